"""An embedded, DummyJSON-compatible downstream with deterministic data and fault injection."""

from simulator.app import create_simulator_app
from simulator.server import BackgroundServer, serve

__all__ = ["BackgroundServer", "create_simulator_app", "serve"]
