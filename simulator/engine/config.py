"""What a simulation is asked to do, validated once, in one place.

The CLI, the GUI controls and (later) scenario files all build a :class:`SimulationConfig`;
its validation names the field and the allowed range so each front end can turn a
:class:`ConfigError` into its own clear message instead of a traceback.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

BACKENDS: tuple[str, ...] = ("threads", "processes", "asyncio")

#: (lowest, highest) allowed for every bounded numeric field.
LIMITS: dict[str, tuple[float, float]] = {
    "producers": (1, 64),
    "consumers": (1, 64),
    "capacity": (1, 1000),
    "producer_sleep": (0.0, 10.0),
    "consumer_sleep": (0.0, 10.0),
    "seed": (0, 2**31 - 1),  # fits a Qt spin box, so every front accepts the same seeds
    "items": (1, 10**9),
    "time_scale": (0.1, 1.0),
}

#: Settings a running simulation takes at once; the others wait for the next start.
LIVE_FIELDS: frozenset[str] = frozenset(
    {"producers", "consumers", "producer_sleep", "consumer_sleep", "time_scale"}
)


class ConfigError(ValueError):
    """A setting is out of its range; ``field`` names it, ``allowed`` says what fits."""

    def __init__(self, field: str, allowed: str, got: object) -> None:
        self.field = field
        self.allowed = allowed
        self.got = got
        super().__init__(self.describe(field))

    def describe(self, name: str) -> str:
        """The message with the field shown as ``name`` (a CLI flag, a scenario key)."""
        return f"{name} must be {self.allowed} (got {self.got!r})"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_int(field: str, value: object) -> None:
    lo, hi = LIMITS[field]
    allowed = f"an integer in {int(lo)}–{int(hi)}"
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(field, allowed, value)


def _check_range(field: str, value: object) -> None:
    lo, hi = LIMITS[field]
    allowed = f"two numbers MIN MAX in {_fmt(lo)}–{_fmt(hi)} s with MIN <= MAX"
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ConfigError(field, allowed, value)
    a, b = value
    for x in (a, b):
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise ConfigError(field, allowed, value)
    if not lo <= a <= b <= hi:
        raise ConfigError(field, allowed, tuple(value))


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One complete, valid set of settings. Construct it and it is checked."""

    producers: int = 3
    consumers: int = 2
    capacity: int = 10
    producer_sleep: tuple[float, float] = (0.1, 0.5)
    consumer_sleep: tuple[float, float] = (0.2, 0.7)
    backend: str = "threads"
    seed: int | None = None
    items: int | None = None
    #: slow motion for demos: 0.5 makes every sleep (and animation) twice as long
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("producers", "consumers", "capacity"):
            _check_int(name, getattr(self, name))
        for name in ("producer_sleep", "consumer_sleep"):
            _check_range(name, getattr(self, name))
            object.__setattr__(self, name, tuple(float(x) for x in getattr(self, name)))
        if self.backend not in BACKENDS:
            raise ConfigError("backend", "one of " + ", ".join(BACKENDS), self.backend)
        for name in ("seed", "items"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name))
        lo, hi = LIMITS["time_scale"]
        ts = self.time_scale
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not lo <= ts <= hi:
            raise ConfigError("time_scale", f"a number in {lo:g}–{hi:g}", ts)
        object.__setattr__(self, "time_scale", float(ts))

    def replace(self, **changes: object) -> SimulationConfig:
        """A copy with ``changes`` applied and validated."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def changed_fields(self, other: SimulationConfig) -> set[str]:
        """Names of the fields whose values differ from ``other``."""
        return {
            f.name
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        }

    def sleep_for(self, role: str) -> tuple[float, float]:
        return self.producer_sleep if role == "producer" else self.consumer_sleep

    def effective_sleep(self, role: str) -> tuple[float, float]:
        """The sleep range the workers really use: the setting stretched by the time scale."""
        lo, hi = self.sleep_for(role)
        return lo / self.time_scale, hi / self.time_scale
