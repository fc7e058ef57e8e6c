"""Pydantic models: what downstreams send (`downstream`) and what the BFF returns (`responses`)."""
