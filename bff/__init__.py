"""The backend-for-frontend: one aggregated, typed endpoint per screen."""

__version__ = "1.0.0"
