"""Minimal apps the BFF is measured against, each serving the profile screen's route.

Each is what a developer would write without the BFF's features (no typed errors, no deadline,
no partial responses, no validation): the same four downstream calls as the profile screen,
against the same simulator, under the same server options. See README "Benchmarks".
"""
