"""Baseline (b'): baseline (b) with the BFF's aiohttp transport beneath the same httpx client.

Not one of the issue's baselines: it separates what the transport buys (b -> b') from what the
BFF's own features cost on the same transport (b' -> BFF), which (b) alone cannot show when
httpx's default pool dominates its CPU.
"""

from __future__ import annotations

from bench.baselines.httpx_gather import build_app
from bff.transport import AiohttpTransport

app = build_app(lambda limits: AiohttpTransport(limits=limits))
