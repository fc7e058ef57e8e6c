"""The backend-for-frontend: one aggregated, typed endpoint per screen."""

__version__ = "0.1.0"
