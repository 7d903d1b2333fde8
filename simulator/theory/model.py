"""The ideal pattern in virtual time: a discrete-event model of exactly the settings.

P producers each draw a production time from their range, then put the item into a
buffer of capacity K, waiting while it is full; C consumers take the oldest item,
waiting while it is empty, then draw a consumption time. Nothing else costs time: no
interpreter, no scheduler, no events recorded. Run on SimPy (a maintained, pure-Python
process-based discrete-event library whose ``Store`` is exactly a bounded FIFO with
waiting putters and getters), in virtual time, so minutes of the pattern take a fraction
of a second.

What it measures is what the engine's books measure, with the same definitions
(:mod:`simulator.engine.metrics`): throughput = consumed / time, mean occupancy
time-weighted, a role's blocked fraction = its waiting time / (working + waiting), time
in buffer from entering the buffer to being taken.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from simulator.engine.config import SimulationConfig
from simulator.engine.workers import Role

#: consumed items to aim for after the warm-up (the estimate's standard error is a few %)
TARGET_ITEMS = 8000
#: the share of the simulated time dropped before measuring: the run starts empty
WARMUP_SHARE = 0.2
#: a safety valve, not the cap: the work is capped by TARGET_ITEMS and MAX_RUNS (so the
#: same settings give the same figures on any machine; 0.04–0.13 s here), and only a
#: machine far slower than this one would stop early and measure what it has
WALL_BUDGET_S = 1.0
#: virtual time is advanced in this many steps, checking the budget between them
STEPS = 20
#: at most this many runs are averaged for a prediction of a run's length
MAX_RUNS = 500


@dataclass(frozen=True, slots=True)
class ModelRun:
    """What the ideal pattern did over ``span_s`` of virtual time after its warm-up."""

    span_s: float
    consumed: int
    throughput_per_s: float
    mean_occupancy: float
    producer_blocked_fraction: float
    consumer_blocked_fraction: float
    latency_ms: tuple[float, float, float]  #: p50, p95, p99 of time in buffer
    mean_latency_ms: float
    #: the 95 % half-width of ``mean_occupancy`` (batch means over the run's steps; for
    #: runs of a given length, over the runs)
    occupancy_half_width: float
    wall_s: float  #: how long the model took, for the record
    complete: bool  #: False if the wall budget cut it short
    runs: int  #: how many runs were averaged (1 for the steady state)
    duration_s: float | None  #: each run's length, or None for the steady state


class _Books:
    """Running sums, reset at the end of the warm-up."""

    def __init__(self) -> None:
        self.reset(0.0, 0)

    def reset(self, now: float, occupancy: int) -> None:
        self.t0 = now
        self.area = 0.0
        self.last_t = now
        self.last_occ = occupancy
        self.consumed = 0
        self.latencies: list[float] = []
        self.batches: list[float] = []  #: mean occupancy of each step after the warm-up
        self.work = {Role.PRODUCER: 0.0, Role.CONSUMER: 0.0}
        self.wait = {Role.PRODUCER: 0.0, Role.CONSUMER: 0.0}

    def occupancy(self, now: float, occ: int) -> None:
        self.area += self.last_occ * (now - self.last_t)
        self.last_t, self.last_occ = now, occ

    def spent(self, role: Role, start: float, now: float, waiting: bool) -> None:
        """Book the part of ``start``–``now`` after the warm-up."""
        d = now - max(start, self.t0)
        if d > 0:
            (self.wait if waiting else self.work)[role] += d


class _Buffer(simpy.Store):
    """A ``Store`` that stamps each item with the time it enters and books occupancy at
    every change (SimPy calls ``_do_put`` / ``_do_get`` whenever it may complete one)."""

    def __init__(self, env: simpy.Environment, capacity: int, books: _Books) -> None:
        super().__init__(env, capacity)
        self.books = books

    def _do_put(self, event: Any) -> bool | None:
        if len(self.items) < self._capacity:
            event.item[0] = self._env.now
            self.items.append(event.item)
            self.books.occupancy(self._env.now, len(self.items))
            event.succeed()
        return None

    def _do_get(self, event: Any) -> bool | None:
        if self.items:
            item = self.items.pop(0)
            self.books.occupancy(self._env.now, len(self.items))
            event.succeed(item)
        return None


def _run_once(
    config: SimulationConfig, rng: random.Random, warmup: float, horizon: float, deadline: float
) -> tuple[_Books, float, bool]:
    """One run from an empty buffer to ``horizon``, measured after ``warmup``; returns its
    books, the span measured and whether it got to ``horizon`` before ``deadline``."""
    env = simpy.Environment()
    books = _Books()
    buf = _Buffer(env, config.capacity, books)
    p_lo, p_hi = config.effective_sleep(Role.PRODUCER)
    c_lo, c_hi = config.effective_sleep(Role.CONSUMER)
    warmed = warmup <= 0

    def producer() -> Generator[simpy.Event, Any, None]:
        while True:
            t = env.now
            yield env.timeout(rng.uniform(p_lo, p_hi))
            books.spent(Role.PRODUCER, t, env.now, waiting=False)
            t = env.now
            yield buf.put([t])  # stamped again when it really enters
            books.spent(Role.PRODUCER, t, env.now, waiting=True)

    def consumer() -> Generator[simpy.Event, Any, None]:
        while True:
            t = env.now
            item = yield buf.get()
            books.spent(Role.CONSUMER, t, env.now, waiting=True)
            if warmed:
                books.latencies.append(env.now - item[0])
            t = env.now
            yield env.timeout(rng.uniform(c_lo, c_hi))
            books.spent(Role.CONSUMER, t, env.now, waiting=False)
            if warmed:
                books.consumed += 1

    for _ in range(config.producers):
        env.process(producer())
    for _ in range(config.consumers):
        env.process(consumer())
    if not warmed:
        env.run(until=warmup)
        books.occupancy(env.now, len(buf.items))
        books.reset(env.now, len(buf.items))
        warmed = True
    complete = True
    step = (horizon - warmup) / STEPS
    for k in range(1, STEPS + 1):
        area0, t0 = books.area + books.last_occ * (env.now - books.last_t), env.now
        env.run(until=warmup + step * k)
        books.occupancy(env.now, len(buf.items))
        books.batches.append((books.area - area0) / (env.now - t0))
        if time.perf_counter() > deadline and k < STEPS:
            complete = False
            break
    return books, env.now - books.t0, complete


def _half_width(batches: list[float]) -> float:
    """The 95 % half-width of a mean from its batch means (each step's mean occupancy).

    A nearly balanced pattern's fill wanders slowly between empty and full, so its mean
    occupancy is known far less well than its throughput from the same run (±1 of 10 for
    ``balanced``); the prediction says so rather than print a precise-looking number."""
    if len(batches) < 2:
        return 0.0
    return 2.0 * statistics.stdev(batches) / math.sqrt(len(batches))


def simulate(
    config: SimulationConfig,
    *,
    duration_s: float | None = None,
    target_items: int = TARGET_ITEMS,
    wall_budget_s: float = WALL_BUDGET_S,
    seed: int = 0,
) -> ModelRun:
    """Run the ideal pattern of ``config`` (its time scale applied); the same arguments
    give the same figures.

    Without ``duration_s``: the steady state, one long run with its first
    :data:`WARMUP_SHARE` dropped, long enough for about ``target_items`` consumed.
    With ``duration_s``: what a run of that length from an empty buffer should show
    (the filling included, as a real run's averages include it), averaged over as many
    runs as make about ``target_items``. Either way it stops at ``wall_budget_s`` of
    real time and measures what it has (``complete`` False).

    The caller makes sure the pattern moves: the rate bound must be finite and above
    zero (see :func:`simulator.theory.prediction.predict`)."""
    from simulator.theory.bounds import Bounds

    started = time.perf_counter()
    deadline = started + wall_budget_s
    rate = Bounds.of(config).limit_per_s
    if not 0 < rate < float("inf"):
        raise ValueError("the model needs a finite, non-zero rate bound")
    rng = random.Random(seed)
    if duration_s is None:
        horizon = target_items / rate / (1.0 - WARMUP_SHARE)
        runs = [_run_once(config, rng, WARMUP_SHARE * horizon, horizon, deadline)]
    else:
        runs = []
        wanted = max(1, math.ceil(target_items / (rate * duration_s)))
        while len(runs) < min(wanted, MAX_RUNS) and time.perf_counter() < deadline:
            runs.append(_run_once(config, rng, 0.0, duration_s, deadline))
    span = sum(r[1] for r in runs)
    consumed = sum(r[0].consumed for r in runs)
    area = sum(r[0].area for r in runs)
    lat = np.fromiter((x for r in runs for x in r[0].latencies), float) * 1000.0

    def blocked(role: Role) -> float:
        wait = sum(r[0].wait[role] for r in runs)
        total = wait + sum(r[0].work[role] for r in runs)
        return wait / total if total > 0 else 0.0

    p = np.percentile(lat, [50, 95, 99]) if lat.size else np.zeros(3)
    return ModelRun(
        span_s=span,
        consumed=consumed,
        throughput_per_s=consumed / span if span > 0 else 0.0,
        mean_occupancy=area / span if span > 0 else 0.0,
        producer_blocked_fraction=blocked(Role.PRODUCER),
        consumer_blocked_fraction=blocked(Role.CONSUMER),
        latency_ms=(float(p[0]), float(p[1]), float(p[2])),
        mean_latency_ms=float(lat.mean()) if lat.size else 0.0,
        occupancy_half_width=_half_width(
            runs[0][0].batches if len(runs) == 1 else [r[0].area / r[1] for r in runs if r[1]]
        ),
        wall_s=time.perf_counter() - started,
        complete=all(r[2] for r in runs) and bool(runs),
        runs=len(runs),
        duration_s=duration_s,
    )
