"""What every baseline calls: the profile screen's four downstream requests, the same URLs the
BFF sends (``clients/``: explicit paging), so every variant asks the simulator for the same work."""

from __future__ import annotations

import os

DOWNSTREAM_URL = os.environ.get("BENCH_DOWNSTREAM_URL", "http://127.0.0.1:9100").rstrip("/")
POOL_SIZE = 100
"""The BFF's default ``BFF_POOL_MAX_CONNECTIONS``, so pools compare like for like."""
TIMEOUT_S = 5.0
"""The BFF's default ``BFF_DOWNSTREAM_TIMEOUT``."""
SECTIONS = ("user", "carts", "posts", "todos")


def profile_urls(user_id: int) -> list[str]:
    """user, carts, posts, todos: the order of ``SECTIONS``."""
    return [
        f"{DOWNSTREAM_URL}/users/{user_id}",
        f"{DOWNSTREAM_URL}/carts/user/{user_id}?limit=10&skip=0",
        f"{DOWNSTREAM_URL}/users/{user_id}/posts?limit=10&skip=0",
        f"{DOWNSTREAM_URL}/users/{user_id}/todos?limit=10&skip=0",
    ]
