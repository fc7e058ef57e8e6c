"""The chaos suite runs in both cache configurations: off (every call reaches the downstream, so
each test counts exactly what one request costs) and on, as shipped (single-flight, stale copies
and their interplay with retries, deadlines and breakers). A test that expects something else
with the cache on says so next to the expectation, with ``bff.cache_on``."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", params=[False, True], ids=["cache-off", "cache-on"])
def cache_enabled(request: pytest.FixtureRequest) -> bool:
    """Module-scoped, so a module-scoped BFF is started once per configuration."""
    enabled: bool = request.param
    return enabled
