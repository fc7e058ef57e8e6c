"""Baseline (a), the classic anti-pattern: a ``def`` endpoint calling ``requests`` one call after
another. FastAPI runs it on its thread pool (40 threads), so each request holds a thread for the
sum of the four calls. One ``requests.Session`` per thread keeps connections alive: without it the
run would also pay a TCP handshake per call and could run out of ephemeral ports."""

from __future__ import annotations

import threading
from typing import Any

import requests
from fastapi import FastAPI

from bench.baselines.downstream import SECTIONS, TIMEOUT_S, profile_urls

app = FastAPI()
_local = threading.local()


def _session() -> requests.Session:
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


@app.get("/v1/users/{user_id}/profile", response_model=None)
def profile(user_id: int) -> dict[str, Any]:
    session = _session()
    bodies = []
    for url in profile_urls(user_id):
        response = session.get(url, timeout=TIMEOUT_S)
        response.raise_for_status()
        bodies.append(response.json())
    return dict(zip(SECTIONS, bodies, strict=True))
