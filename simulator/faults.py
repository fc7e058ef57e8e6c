"""Fault-injection rules: which requests fail, and how.

`PUT /__sim/faults` replaces the whole rule set with `{"rules": [rule, ...]}`. A rule:

    {
      "path": "/users/*",     required; fnmatch glob on the request path (`*` also matches `/`)
      "mode": "status",       delay | status | reset | malformed | slow_body | drift; default status
      "method": "GET",        optional; only requests with this method
      "delay_ms": 100,        optional, default 0; wait first (slow_body: spread over the chunks)
      "status": 503,          status mode only, default 503 (200-599)
      "retry_after": 1,       status 429 only, default 1; the Retry-After header in seconds
      "rate": 0.5,            optional, default 1.0; probability that a matching request is hit
      "every": 3,             optional; hit exactly every Nth matching request (replaces `rate`)
      "times": 2,             optional; stop after hitting N requests ("fail twice then succeed")
      "chunks": 10,           slow_body only, default 10; number of body chunks
      "after_bytes": 65536    reset only, optional; serve the real response and drop the
                              connection after this many body bytes (a reset mid-stream)
    }

Rules are tried in order and the first one that fires wins. `rate` draws from a RNG seeded at every
PUT, so a run is reproducible; `every` and `times` give exact counts for tests. Unknown keys are
rejected so that a typo (`delay` for `delay_ms`) fails loudly instead of silently doing nothing.
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

FaultMode = Literal["delay", "status", "reset", "malformed", "slow_body", "drift"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)

_KEYS = frozenset(
    {
        "path",
        "mode",
        "method",
        "delay_ms",
        "status",
        "retry_after",
        "rate",
        "every",
        "times",
        "chunks",
        "after_bytes",
    }
)


class InvalidRule(ValueError):
    """The rule set is rejected as a whole; str(exc) says which rule and why."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    path: str
    mode: FaultMode = "status"
    method: str | None = None
    delay_ms: int = 0
    status: int = 503
    retry_after: int = 1
    rate: float = 1.0
    every: int | None = None
    times: int | None = None
    chunks: int = 10
    after_bytes: int | None = None
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", re.compile(fnmatch.translate(self.path)))

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self._pattern.match(path) is not None

    def to_json(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"path": self.path, "mode": self.mode}
        if self.method is not None:
            rule["method"] = self.method
        rule["delay_ms"] = self.delay_ms
        if self.mode == "status":
            rule["status"] = self.status
            if self.status == 429:
                rule["retry_after"] = self.retry_after
        rule["rate"] = self.rate
        if self.every is not None:
            rule["every"] = self.every
        if self.times is not None:
            rule["times"] = self.times
        if self.mode == "slow_body":
            rule["chunks"] = self.chunks
        if self.after_bytes is not None:
            rule["after_bytes"] = self.after_bytes
        return rule


def _int(raw: Mapping[str, Any], key: str, default: int | None, low: int, high: int) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRule(f"'{key}' must be an integer between {low} and {high}")
    return value


def parse_rule(raw: object) -> FaultRule:
    """Validate one rule object (see the module docstring for the schema)."""
    if not isinstance(raw, dict):
        raise InvalidRule("a rule must be a JSON object")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InvalidRule(f"unknown field(s): {', '.join(unknown)}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise InvalidRule("'path' is required and must be a non-empty string")
    mode = raw.get("mode", "status")
    if mode not in FAULT_MODES:
        raise InvalidRule(f"unknown mode {mode!r}; expected one of {', '.join(FAULT_MODES)}")
    method = raw.get("method")
    if method is not None and (not isinstance(method, str) or not method):
        raise InvalidRule("'method' must be a non-empty string")
    rate = raw.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise InvalidRule("'rate' must be a number between 0 and 1")
    return FaultRule(
        path=path,
        mode=cast(FaultMode, mode),
        method=method.upper() if method else None,
        delay_ms=cast(int, _int(raw, "delay_ms", 0, 0, 600_000)),
        status=cast(int, _int(raw, "status", 503, 200, 599)),
        retry_after=cast(int, _int(raw, "retry_after", 1, 0, 86_400)),
        rate=float(rate),
        every=_int(raw, "every", None, 1, 1_000_000),
        times=_int(raw, "times", None, 1, 1_000_000),
        chunks=cast(int, _int(raw, "chunks", 10, 1, 10_000)),
        after_bytes=_int(raw, "after_bytes", None, 0, 1 << 40),
    )


def parse_rules(body: object) -> list[FaultRule]:
    """Validate a whole `{"rules": [...]}` document; the first bad rule rejects it."""
    if not isinstance(body, dict) or not isinstance(body.get("rules"), list):
        raise InvalidRule('expected a JSON object {"rules": [...]}')
    rules = []
    for index, raw in enumerate(body["rules"]):
        try:
            rules.append(parse_rule(raw))
        except InvalidRule as exc:
            raise InvalidRule(f"rules[{index}]: {exc}") from None
    return rules


@dataclass(slots=True)
class _Progress:
    matched: int = 0
    fired: int = 0


class FaultRules:
    """The active rule set of one simulator, with per-rule hit counters."""

    def __init__(self, seed: int = 42) -> None:
        self._seed = seed
        self._rules: list[FaultRule] = []
        self._progress: list[_Progress] = []
        self._rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def rules(self) -> Sequence[FaultRule]:
        return tuple(self._rules)

    def replace(self, rules: Sequence[FaultRule]) -> None:
        """Install `rules` with fresh counters and a re-seeded RNG, so each PUT replays alike."""
        self._rules = list(rules)
        self._progress = [_Progress() for _ in self._rules]
        self._rng = random.Random(self._seed)

    def clear(self) -> None:
        self.replace([])

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, if any, updating the counters."""
        for rule, progress in zip(self._rules, self._progress, strict=True):
            if rule.times is not None and progress.fired >= rule.times:
                continue
            if not rule.matches(method, path):
                continue
            progress.matched += 1
            if rule.every is not None:
                fires = progress.matched % rule.every == 0
            else:
                fires = rule.rate >= 1.0 or self._rng.random() < rule.rate
            if fires:
                progress.fired += 1
                return rule
        return None
