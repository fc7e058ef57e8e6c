"""Everything one simulator instance owns, hung on `app.state.simulator`.

Keeping it per instance (no module globals) lets a test start several simulators with different
seeds, faults and counters side by side.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.data import Dataset, build_dataset
from simulator.faults import FaultRules
from simulator.ratelimit import RateLimiter
from simulator.responses import EntityCache
from simulator.stats import RequestStats


@dataclass(slots=True)
class SimulatorState:
    data: Dataset
    seed: int = 42
    delay_ms: int = 0
    faults: FaultRules = field(init=False)
    stats: RequestStats = field(default_factory=RequestStats)
    cache: EntityCache = field(default_factory=EntityCache)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.faults = FaultRules(self.seed)
        self.rng = random.Random(self.seed)

    @classmethod
    def build(cls, *, seed: int = 42, delay_ms: int = 0) -> SimulatorState:
        return cls(data=build_dataset(seed), seed=seed, delay_ms=delay_ms)
