"""What a scenario's words promise, in numbers a real run can be held to.

A caption that says "the buffer fills and producers wait" is a claim about the run. A
scenario file states it next to the words, per phase (the start, and each timeline step)::

    [[timeline]]
    at = 12
    set = { consumers = 10 }
    caption = "Eight more consumers join: the buffer drains and producers stop waiting"
    settle = 2                      # judge from 2 s after the step ...
    expect = { producer_blocked_fraction = "<0.1", end_occupancy = "<=2" }

An expectation is a :data:`FIGURES` name and a comparison: an operator (``<``, ``<=``,
``>``, ``>=``, ``==``) and a number, a :data:`REFERENCES` name, or ``number*name``
(``"==capacity"``, ``">0.8*producer_bound"``), or a list of them that must all hold
(``[">0.8*producer_bound", "<1.2*producer_bound"]``). It is judged over its phase's window:
from the step (plus ``settle``) until the next step or the end of the scenario.

Figures are measured from the run's event stream by :func:`measure`, in the scenario's
own seconds (a check that runs the scenario faster divides rates back), so the same
expectation holds at any speed the claim survives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simulator.engine.config import SimulationConfig
from simulator.engine.events import MAIN, Kind, is_inside
from simulator.engine.workers import Role, role_of

#: what can be expected, measured over a window of the run
FIGURES: dict[str, str] = {
    "produced": "items made in the window",
    "consumed": "items finished in the window",
    "throughput_per_s": "items finished per second in the window",
    "max_occupancy": "the most items in the buffer at once",
    "min_occupancy": "the fewest items in the buffer at once",
    "mean_occupancy": "time-weighted mean items in the buffer",
    "end_occupancy": "items in the buffer at the window's end",
    "producer_blocked_fraction": "share of producers' time spent waiting: buffer full",
    "consumer_blocked_fraction": "share of consumers' time spent waiting: buffer empty",
    "waits_full": "times a producer found the buffer full",
    "waits_empty": "times a consumer found the buffer empty",
    "errors": "workers that failed (an ERROR event: a broken get)",
    "taken_twice": "items taken from the buffer a second time (a broken buffer)",
    "deadlock": "1 if every live worker waited and nothing moved for 1 s or more, else 0",
    "rejected": "items a producer dropped on a full buffer (full policy timeout, drop-newest)",
    "overwritten": "items overwritten in the buffer to make room (full policy drop-oldest)",
    "dropped_per_s": "items dropped (rejected + overwritten) per second in the window",
    "mean_age_ms": "mean time from made to taken of the items taken in the window (ms): "
    "the wait in the producer's hand plus the time in the buffer",
    # the books of a run an ending closed (a step's ``end``, or the scenario's end with a
    # shutdown); 0 in a phase that ended no run
    "discarded": "items a terminate discarded (in the buffer or in hand at its moment)",
    "lost": "items produced that the closed books cannot account for",
    "unfinished": "items put and never marked task_done when the run ended",
}
#: the figures read from the books of an ended run rather than from the window's events
ENDING_FIGURES = ("discarded", "lost", "unfinished")
#: how long every worker must wait, with nothing happening, for ``deadlock`` (real s)
DEADLOCK_S = 1.0

#: what an expectation may compare with, from the settings of its phase
REFERENCES: dict[str, str] = {
    "capacity": "buffer slots",
    "producers": "producers running",
    "consumers": "consumers running",
    "producer_bound": "what the producers can offer: producers / mean producing time (items/s)",
    "consumer_bound": "what the consumers can take: consumers / mean consuming time (items/s)",
}

OPS = ("<=", ">=", "==", "<", ">")
_NUMBER = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
_PATTERN = re.compile(
    rf"^\s*(?P<op><=|>=|==|<|>)\s*"
    rf"(?:(?P<factor>{_NUMBER})\s*(?:\*\s*(?P<ref1>[a-z_]+))?|(?P<ref2>[a-z_]+))\s*$"
)
#: what a bad comparison is told
FORM = "a comparison like '>0.5', '<=2', '==capacity' or '>0.8*producer_bound'"


class ExpectationError(ValueError):
    """A figure or comparison that cannot be checked; ``key`` names it."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


def _bound_of(name: str, config: SimulationConfig) -> float:
    if name == "capacity":
        return float(config.capacity)
    if name == "producers":
        return float(config.producers)
    if name == "consumers":
        return float(config.consumers)
    sleep = config.producer_sleep if name == "producer_bound" else config.consumer_sleep
    count = config.producers if name == "producer_bound" else config.consumers
    mean = (sleep[0] + sleep[1]) / 2
    return math.inf if mean <= 0 else count / mean


@dataclass(frozen=True, slots=True)
class Expectation:
    """``figure`` compared by ``op`` with ``factor`` (times ``ref``'s value, if any)."""

    figure: str
    op: str
    factor: float
    ref: str | None
    text: str  #: as the file wrote it

    @classmethod
    def parse(cls, figure: str, text: object) -> Expectation:
        """The expectation ``figure = text``; raises :class:`ExpectationError` naming
        the figure if either part is not one this module can check."""
        if figure not in FIGURES:
            raise ExpectationError(figure, "unknown figure; allowed: " + ", ".join(FIGURES))
        m = _PATTERN.match(text) if isinstance(text, str) else None
        ref = m and (m["ref1"] or m["ref2"])
        if m is None or (ref and ref not in REFERENCES):
            got = repr(text) if len(repr(text)) <= 40 else repr(text)[:39] + "…"
            allowed = ", ".join(REFERENCES)
            raise ExpectationError(figure, f"must be {FORM}; names: {allowed} (got {got})")
        factor = float(m["factor"]) if m["factor"] else 1.0
        return cls(figure, m["op"], factor, ref or None, str(text).strip())

    def bound(self, config: SimulationConfig) -> float:
        """The number ``figure`` is compared with under ``config``."""
        return self.factor * (_bound_of(self.ref, config) if self.ref else 1.0)

    def holds(self, value: float, config: SimulationConfig) -> bool:
        b = self.bound(config)
        return {
            "<": value < b,
            "<=": value <= b,
            ">": value > b,
            ">=": value >= b,
            "==": math.isclose(value, b, abs_tol=1e-9),
        }[self.op]


def parse_all(table: object) -> tuple[Expectation, ...]:
    """Every ``figure = comparison`` of an ``expect`` table."""
    if not isinstance(table, Mapping):
        raise ExpectationError("", f"must be a table of figure = comparison (got {table!r})")
    out = []
    for k, v in table.items():
        for text in v if isinstance(v, list) and v else [v]:  # a list: every one must hold
            out.append(Expectation.parse(str(k), text))
    return tuple(out)


def measure(
    events: Iterable[tuple], start: float, end: float, speed: float = 1.0
) -> dict[str, float]:
    """Every :data:`FIGURES` value over ``start``–``end`` (``time.monotonic()`` seconds)
    of a run whose ``events`` (raw tuples or :class:`~simulator.engine.events.Event`
    records, all of them from the run's start, so the state at ``start`` is known) were
    recorded at ``speed`` times the scenario's pace; rates are given per scenario second.

    A worker is blocked from its PUT_WAIT or GET_WAIT until its next event, and counts
    from its first event until STOPPED (or the window's end)."""
    occ = 0
    occ_min = occ_max = -1
    occ_area = 0.0
    occ_since = start
    produced = consumed = waits_full = waits_empty = errors = taken_twice = 0
    rejected = overwritten = 0
    made: dict[int, float] = {}  # item -> when it was made (until it is taken or dropped)
    ages: list[float] = []  # made-to-taken of the items taken in the window
    taken: set[int] = set()  # every item taken since the run's start
    blocked_now: dict[str, bool] = {}  # live worker -> waiting on a full / empty buffer
    last_t = start
    deadlock = 0
    time_in: dict[Role, list[float]] = {r: [0.0, 0.0] for r in Role}  # alive, blocked
    since: dict[str, tuple[float, bool]] = {}  # worker -> (since, blocked)

    def add_worker_time(name: str, t: float) -> None:
        s, blocked = since[name]
        a, b = max(s, start), min(t, end)
        if b > a:
            acc = time_in[role_of(name)]
            acc[0] += b - a
            if blocked:
                acc[1] += b - a

    def note_occupancy(t: float, new: int) -> None:
        nonlocal occ, occ_area, occ_since, occ_min, occ_max
        if start <= t < end:
            occ_area += occ * (t - occ_since)
            occ_since = t
            occ_min = new if occ_min < 0 else min(occ_min, new)
            occ_max = max(occ_max, new)
        occ = new

    def all_waited_until(t: float) -> None:
        nonlocal deadlock
        if (
            blocked_now
            and all(blocked_now.values())
            and min(t, end) - max(last_t, start) >= (DEADLOCK_S)
        ):
            deadlock = 1

    for ev in sorted(events, key=lambda e: e[0]):
        t, kind, name, item, size = ev[0], ev[1], ev[2], ev[3], ev[4]
        if t >= end:
            break
        if t >= start and occ_min < 0:  # first event in the window: the state at start
            occ_min = occ_max = occ
        inside = t >= start
        all_waited_until(t)
        last_t = t
        if name == MAIN:  # the main thread's poison pills: not a worker, not an item
            if kind == Kind.PUT:
                note_occupancy(t, size)
            continue
        if kind == Kind.STOPPED:
            blocked_now.pop(name, None)
        elif not is_inside(kind):  # the inside kinds do not change what a worker does
            blocked_now[name] = kind in (Kind.PUT_WAIT, Kind.GET_WAIT)
        if kind == Kind.GOT:
            if item in taken:
                taken_twice += inside
            taken.add(item)
            t_made = made.pop(item, None)
            if inside and t_made is not None:
                ages.append(t - t_made)
        elif kind == Kind.PRODUCED:
            made[item] = t
        elif kind in (Kind.REJECTED, Kind.OVERWRITTEN):
            made.pop(item, None)
            if inside and kind == Kind.REJECTED:
                rejected += 1
            elif inside:
                overwritten += 1
        elif inside and kind == Kind.ERROR:
            errors += 1
        if name in since:
            add_worker_time(name, t)
        if kind == Kind.STOPPED:
            since.pop(name, None)
        else:
            since[name] = (t, kind in (Kind.PUT_WAIT, Kind.GET_WAIT))
        if kind in (Kind.PUT, Kind.GOT):
            note_occupancy(t, size)
        elif inside and kind == Kind.PRODUCED:
            produced += 1
        elif inside and kind == Kind.CONSUMED:
            consumed += 1
        elif inside and kind == Kind.PUT_WAIT:
            waits_full += 1
        elif inside and kind == Kind.GET_WAIT:
            waits_empty += 1
    all_waited_until(end)
    if occ_min < 0:
        occ_min = occ_max = occ
    occ_area += occ * max(0.0, end - max(occ_since, start))
    for name in list(since):
        add_worker_time(name, end)
    span = max(end - start, 1e-9)
    alive_p, blocked_p = time_in[Role.PRODUCER]
    alive_c, blocked_c = time_in[Role.CONSUMER]
    return {
        "produced": produced,
        "consumed": consumed,
        "throughput_per_s": consumed / (span * speed),
        "max_occupancy": occ_max,
        "min_occupancy": occ_min,
        "mean_occupancy": occ_area / span,
        "end_occupancy": occ,
        "producer_blocked_fraction": blocked_p / alive_p if alive_p else 0.0,
        "consumer_blocked_fraction": blocked_c / alive_c if alive_c else 0.0,
        "waits_full": waits_full,
        "waits_empty": waits_empty,
        "errors": errors,
        "taken_twice": taken_twice,
        "deadlock": deadlock,
        "rejected": rejected,
        "overwritten": overwritten,
        "dropped_per_s": (rejected + overwritten) / (span * speed),
        # a time, so in the scenario's own seconds as the rates (``speed`` times longer)
        "mean_age_ms": 1000.0 * speed * sum(ages) / len(ages) if ages else 0.0,
        **dict.fromkeys(ENDING_FIGURES, 0.0),  # (the check fills these in for an ending)
    }
