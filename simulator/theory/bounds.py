"""The closed-form bounds: what each side could do if the other never made it wait.

Producers can offer at most P / E[production time] items per second, consumers can
finish at most C / E[consumption time]; the run can go no faster than the smaller, and
that side is the bottleneck. The bounds ignore the buffer and the spread of the sleeps:
with a small buffer and varied times both sides wait on each other now and then, so the
real rate stays below the bound (the discrete-event model in :mod:`.model` says by how
much).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from simulator.engine.config import SimulationConfig
from simulator.engine.workers import Role

Side = Literal["producers", "consumers", "neither"]

#: Rates within this share of each other count as balanced: neither side is the bottleneck.
BALANCED_WITHIN = 0.05


def mean_time(config: SimulationConfig, role: Role) -> float:
    """The mean of the uniform sleep range the workers really use (time scale applied)."""
    lo, hi = config.effective_sleep(role)
    return (lo + hi) / 2.0


def _rate(workers: int, mean_s: float) -> float:
    return workers / mean_s if mean_s > 0 else math.inf


@dataclass(frozen=True, slots=True)
class Bounds:
    """Producers' offered rate, consumers' capacity (items/s; ``inf`` at zero sleeps),
    and which side sets the pace."""

    offered_per_s: float
    consumer_capacity_per_s: float

    @classmethod
    def of(cls, config: SimulationConfig) -> Bounds:
        return cls(
            _rate(config.producers, mean_time(config, Role.PRODUCER)),
            _rate(config.consumers, mean_time(config, Role.CONSUMER)),
        )

    @property
    def limit_per_s(self) -> float:
        """No run of these settings can average more than this."""
        return min(self.offered_per_s, self.consumer_capacity_per_s)

    @property
    def bottleneck(self) -> Side:
        """The slower side, or "neither" when they are within :data:`BALANCED_WITHIN`."""
        p, c = self.offered_per_s, self.consumer_capacity_per_s
        if math.isinf(p) and math.isinf(c):
            return "neither"
        if math.isinf(p) or math.isinf(c):
            return "consumers" if math.isinf(p) else "producers"
        if abs(p - c) <= BALANCED_WITHIN * max(p, c):
            return "neither"
        return "consumers" if c < p else "producers"

    def as_json(self) -> dict[str, object]:
        def num(x: float) -> float | None:
            return None if math.isinf(x) else round(x, 3)

        return {
            "offered_per_s": num(self.offered_per_s),
            "consumer_capacity_per_s": num(self.consumer_capacity_per_s),
            "bottleneck": self.bottleneck,
        }
