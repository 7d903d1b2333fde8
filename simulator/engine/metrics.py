"""Rates, occupancy, latency and who spends time how, from the event stream.

Everything here is O(1) memory in the length of the run: rates come from a ring of
0.1-second bins, latency percentiles from a ring of the most recent item latencies (their
mean, for Little's law, from a running sum and count over the whole run), occupancy's
time-weighted mean from a running integral, and per-worker time shares from running sums
(retired workers fold into their role's totals and are forgotten).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.engine.events import (
    K_CONSUMED,
    K_GET_WAIT,
    K_GOT,
    K_OVERWRITTEN,
    K_PRODUCED,
    K_PUT,
    K_PUT_WAIT,
    K_RECOVERED,
    K_REJECTED,
    K_SLEEP,
    K_STOPPED,
    MAIN,
    RawEvent,
)
from simulator.engine.workers import ROLES, Role, WorkerState, role_of

BIN_S = 0.1
N_BINS = 100  # 10 s of history
RATE_WINDOW_S = 2.0
LATENCY_SAMPLES = 4096

# The two time shares a worker's states are grouped into. A producer's sleep is its
# production time and a consumer's its consumption time, so no worker ever rests: it
# works or it is blocked. STARTING and STOPPED count in neither.
WORKING, BLOCKED = 0, 1
_SHARE: dict[str, int] = {
    WorkerState.PRODUCING: WORKING,
    WorkerState.PUTTING: WORKING,
    WorkerState.CONSUMING: WORKING,
    WorkerState.WAITING_FULL: BLOCKED,
    WorkerState.WAITING_EMPTY: BLOCKED,
}


NO_SHARE = -1  #: the ``share`` of a state in neither (STARTING, STOPPED)


class WorkerStat:
    __slots__ = ("acc", "done", "item", "meant", "name", "role", "share", "since", "state")

    def __init__(self, name: str, t: float) -> None:
        self.name = name
        self.role = role_of(name)
        self.state = WorkerState.STARTING
        #: ``_SHARE[state]`` (or NO_SHARE), kept beside the state: the hot loop reads this
        #: int instead of looking the state up for every event
        self.share = NO_SHARE
        self.since = t
        self.item = -1
        self.done = 0
        self.acc = [0.0, 0.0]  # working, blocked seconds
        #: seconds it was meant to work: the sum of its drawn working times
        self.meant = 0.0

    def shares(self, now: float) -> tuple[float, float]:
        acc = list(self.acc)
        share = _SHARE.get(self.state)
        if share is not None and now > self.since:
            acc[share] += now - self.since
        total = acc[0] + acc[1]
        if total <= 0:
            return (0.0, 0.0)
        return (acc[0] / total, acc[1] / total)

    def wall(self, now: float) -> float:
        """Seconds spent working or blocked (what the time shares divide)."""
        extra = now - self.since if self.share >= 0 and now > self.since else 0.0
        return self.acc[0] + self.acc[1] + extra


#: how many stopped workers' counts :attr:`Metrics.gone` keeps
KEEP_GONE = 4096


@dataclass(frozen=True, slots=True)
class WorkerView:
    name: str
    role: Role
    state: str  #: a :class:`WorkerState` (a view may show one of its own, e.g. "ready")
    item: int  #: the item it holds now (a producer putting or waiting, a consumer
    #: consuming), or -1
    done: int
    since: float
    shares: tuple[float, float]  # working, blocked
    #: the share of its time it was meant to work (its drawn working times / its time)
    meant_share: float = 0.0
    #: the share of its time it was really on a CPU; None where not measurable
    #: (filled in by the simulation, see :mod:`~simulator.engine.cpu`)
    cpu_share: float | None = None
    #: where it runs, for a worker that joined from elsewhere (``pcsim worker``), else ""
    host: str = ""


class Metrics:
    def __init__(self, capacity: int, t0: float) -> None:
        self.capacity = capacity
        self.t0 = t0
        self.last_t = t0
        self._produced_bins = [0] * N_BINS
        self._consumed_bins = [0] * N_BINS
        #: items let go by the full policy (rejected or overwritten) per bin
        self._dropped_bins = [0] * N_BINS
        self._bin = int(t0 / BIN_S)
        self.occupancy = 0
        self.max_occupancy = 0
        self._occ_area = 0.0
        self._occ_since = t0
        self._lat = np.zeros(LATENCY_SAMPLES)
        self._lat_n = 0
        self._lat_cache: tuple[int, tuple[float, float, float]] = (0, (0.0, 0.0, 0.0))
        self._lat_sum = 0.0  #: seconds, every item's time in buffer (the ring forgets)
        self.waits_full = 0
        self.waits_empty = 0
        self.workers: dict[str, WorkerStat] = {}
        self._retired: dict[Role, list[float]] = {role: [0.0, 0.0] for role in ROLES}
        #: retired workers' (meant seconds, wall seconds), per role
        self._retired_meant: dict[Role, list[float]] = {role: [0.0, 0.0] for role in ROLES}
        #: each stopped worker's last count and the item it held when it stopped (or -1),
        #: newest last (at most :data:`KEEP_GONE`), so the picture after a stop still says
        #: how much each one did and what it holds
        self.gone: dict[str, tuple[int, int]] = {}

    def restart(self, t0: float) -> None:
        """Start the clock again at ``t0`` (the moment every worker was ready).

        What divides by time forgets the time before: the rate bins, the occupancy
        integral and every worker's time shares. The current state (occupancy, who is
        doing what) and the counts that do not depend on time (waits, the highest
        occupancy, latency samples) are kept.
        """
        self.t0 = t0
        self.last_t = max(self.last_t, t0)
        self._produced_bins = [0] * N_BINS
        self._consumed_bins = [0] * N_BINS
        self._dropped_bins = [0] * N_BINS
        self._bin = int(t0 / BIN_S)
        self._occ_area = 0.0
        self._occ_since = max(self._occ_since, t0)
        for w in self.workers.values():
            w.acc = [0.0, 0.0]
            w.meant = 0.0
            w.since = max(w.since, t0)
        self._retired = {role: [0.0, 0.0] for role in ROLES}
        self._retired_meant = {role: [0.0, 0.0] for role in ROLES}

    def _advance(self, t: float) -> int:
        b = int(t / BIN_S)
        if b > self._bin:
            for i in range(1, min(b - self._bin, N_BINS) + 1):
                j = (self._bin + i) % N_BINS
                self._produced_bins[j] = 0
                self._consumed_bins[j] = 0
                self._dropped_bins[j] = 0
            self._bin = b
        return b % N_BINS

    def feed(self, batch: list[RawEvent], latencies: list[float]) -> None:
        """Update rates, occupancy, waits and worker states (the bookkeeper's hot loop)."""
        workers = self.workers
        pbins, cbins = self._produced_bins, self._consumed_bins
        cur_bin, idx = self._bin, self._bin % N_BINS
        occ, occ_since, occ_area, occ_max = (
            self.occupancy,
            self._occ_since,
            self._occ_area,
            self.max_occupancy,
        )
        S = WorkerState
        PRODUCING, PUTTING, CONSUMING = S.PRODUCING, S.PUTTING, S.CONSUMING
        PRODUCER = Role.PRODUCER
        PUT_OR_GOT, MADE_OR_DONE = (K_PUT, K_GOT), (K_PRODUCED, K_CONSUMED)
        last_t = self.last_t
        # kinds as plain ints (an IntEnum member compares more slowly) and each worker's
        # share index kept beside its state: with the ledger's, 2.55 -> 1.66 us per item
        for t, k, name, item, size, value in batch:
            w = workers.get(name)
            if w is None:
                if name == MAIN:  # the main thread's poison pills: only occupancy moves
                    if k == K_PUT:
                        if t > occ_since:
                            occ_area += occ * (t - occ_since)
                            occ_since = t
                        occ = size
                        occ_max = max(occ_max, size)
                    continue
                w = workers[name] = WorkerStat(name, t)
            # leave the old state: add its time to its share
            s = w.share
            if s >= 0 and t > w.since:
                w.acc[s] += t - w.since
            w.since = t
            if k == K_SLEEP:  # the production or consumption time
                w.meant += value  # type: ignore[operator]  # a SLEEP's value is its seconds
                if w.role is PRODUCER:
                    w.state, w.item = PRODUCING, -1
                else:
                    w.state, w.item = CONSUMING, item
                w.share = WORKING
            elif k in PUT_OR_GOT:
                if k == K_PUT:  # delivered: it goes on to make the next item
                    w.state, w.item = PRODUCING, -1
                    w.done += 1
                else:
                    w.state, w.item = CONSUMING, item
                w.share = WORKING
                if t > occ_since:
                    occ_area += occ * (t - occ_since)
                    occ_since = t
                occ = size
                if size > occ_max:
                    occ_max = size
            elif k in MADE_OR_DONE:
                b = int(t / BIN_S)
                if b != cur_bin:
                    self._bin = cur_bin
                    idx = self._advance(t)
                    cur_bin = self._bin
                if k == K_PRODUCED:  # made: now it puts it
                    w.state, w.item = PUTTING, item
                    pbins[idx] += 1
                else:  # finished: it holds nothing until it takes the next
                    w.state, w.item = CONSUMING, -1
                    w.done += 1
                    cbins[idx] += 1
                w.share = WORKING
            elif k == K_PUT_WAIT:
                w.state, w.item, w.share = S.WAITING_FULL, item, BLOCKED
                self.waits_full += 1
            elif k == K_GET_WAIT:
                w.state, w.item, w.share = S.WAITING_EMPTY, -1, BLOCKED
                self.waits_empty += 1
            elif k in (K_REJECTED, K_OVERWRITTEN):
                b = int(t / BIN_S)
                if b != cur_bin:
                    self._bin = cur_bin
                    idx = self._advance(t)
                    cur_bin = self._bin
                self._dropped_bins[idx] += 1
                if k == K_REJECTED:  # it dropped its item: on to make the next one
                    w.state, w.item, w.share = PRODUCING, -1, WORKING
                else:  # the oldest left; this producer's PUT follows at once
                    if t > occ_since:
                        occ_area += occ * (t - occ_since)
                        occ_since = t
                    occ = size
            elif k == K_RECOVERED:  # a dead consumer's item back in the buffer (redis)
                w.item = -1
                if t > occ_since:
                    occ_area += occ * (t - occ_since)
                    occ_since = t
                occ = size
            elif k == K_STOPPED:
                w.state, w.share = S.STOPPED, NO_SHARE
                acc = self._retired[w.role]
                acc[0] += w.acc[0]
                acc[1] += w.acc[1]
                meant = self._retired_meant[w.role]
                meant[0] += w.meant
                meant[1] += w.acc[0] + w.acc[1]
                del workers[name]
                gone = self.gone
                gone[name] = (w.done, item if item is not None and item >= 0 else -1)
                if len(gone) > KEEP_GONE:
                    del gone[next(iter(gone))]
            if t > last_t:
                last_t = t
        self._bin = cur_bin
        self.last_t = last_t
        self.occupancy, self._occ_since, self._occ_area, self.max_occupancy = (
            occ,
            occ_since,
            occ_area,
            occ_max,
        )
        n = len(latencies)
        if n:
            if n >= LATENCY_SAMPLES:
                self._lat[:] = latencies[-LATENCY_SAMPLES:]
            else:
                idx_l = (self._lat_n + np.arange(n)) % LATENCY_SAMPLES
                self._lat[idx_l] = latencies
            self._lat_n += n
            self._lat_sum += float(sum(latencies))

    def settle(self, t: float, occupancy: int) -> None:
        """The buffer holds ``occupancy`` from ``t`` on, whatever the events said: a stop
        closed the books (a chosen ``terminate`` discarded what the buffer held; a
        plain stop leaves what the books count there, poison pills included). Without
        it the last PUT/GOT's count stays "occupancy now" after the stop and the mean
        keeps integrating it, beside a buffer the books and the picture call empty."""
        if t > self._occ_since:
            self._occ_area += self.occupancy * (t - self._occ_since)
            self._occ_since = t
        self.occupancy = occupancy
        self.last_t = max(self.last_t, t)

    # ---- read side -------------------------------------------------------------
    def rates(self, now: float) -> tuple[float, float]:
        """Produced/s and consumed/s over the last ``RATE_WINDOW_S`` complete bins."""
        self._advance(now)
        k = int(RATE_WINDOW_S / BIN_S)
        span = min(RATE_WINDOW_S, max(now - self.t0, BIN_S))
        k = max(1, min(k, round(span / BIN_S)))
        idx = [(self._bin - i) % N_BINS for i in range(1, k + 1)]
        produced = sum(self._produced_bins[i] for i in idx)
        consumed = sum(self._consumed_bins[i] for i in idx)
        return produced / (k * BIN_S), consumed / (k * BIN_S)

    def dropped_rate(self, now: float) -> float:
        """Items dropped by the full policy per second, over the same window as
        :meth:`rates`."""
        self._advance(now)
        span = min(RATE_WINDOW_S, max(now - self.t0, BIN_S))
        k = max(1, min(int(RATE_WINDOW_S / BIN_S), round(span / BIN_S)))
        dropped = sum(self._dropped_bins[(self._bin - i) % N_BINS] for i in range(1, k + 1))
        return dropped / (k * BIN_S)

    def mean_occupancy(self, now: float) -> float:
        area = self._occ_area + self.occupancy * max(0.0, now - self._occ_since)
        span = now - self.t0
        return area / span if span > 0 else float(self.occupancy)

    def latency_ms(self) -> tuple[float, float, float]:
        """p50, p95, p99 of the latest items' time in the buffer (recomputed only when
        new items were taken: views ask 60 times a second)."""
        if self._lat_cache[0] == self._lat_n:
            return self._lat_cache[1]
        n = min(self._lat_n, LATENCY_SAMPLES)
        if not n:
            return (0.0, 0.0, 0.0)
        p = np.percentile(self._lat[:n], [50, 95, 99]) * 1000.0
        value = (float(p[0]), float(p[1]), float(p[2]))
        self._lat_cache = (self._lat_n, value)
        return value

    def mean_latency_ms(self) -> float:
        """The mean time in buffer of every item taken so far (not only the ring's), in
        ms: Little's law's W needs the whole run's, as L (mean occupancy) and λ are."""
        return 1000.0 * self._lat_sum / self._lat_n if self._lat_n else 0.0

    def blocked_fraction(self, role: Role, now: float) -> float:
        acc = list(self._retired[role])
        for w in self.workers.values():
            if w.role != role:
                continue
            acc[0] += w.acc[0]
            acc[1] += w.acc[1]
            share = _SHARE.get(w.state)
            if share is not None and now > w.since:
                acc[share] += now - w.since
        total = acc[0] + acc[1]
        return acc[BLOCKED] / total if total > 0 else 0.0

    def meant_fraction(self, role: Role, now: float) -> float:
        """The share of ``role``'s time its workers were meant to work (their drawn
        working times over their time working or blocked), retired ones included."""
        meant, wall = self._retired_meant[role]
        for w in self.workers.values():
            if w.role == role:
                meant += w.meant
                wall += w.wall(now)
        return min(1.0, meant / wall) if wall > 0 else 0.0

    def stopped_views(self, names: list[str], t: float) -> tuple[WorkerView, ...]:
        """``names`` (workers no longer live) as stopped, each with its last count and
        the item it held at its stop: the cards after a stop."""
        live, gone = self.workers, self.gone
        return tuple(
            WorkerView(name, role_of(name), WorkerState.STOPPED, gone.get(name, (0, -1))[1],
                       gone.get(name, (0, -1))[0], t, (0.0, 0.0))
            for name in names
            if name not in live
        )  # fmt: skip

    def worker_views(
        self, now: float, hosts: dict[str, str] | None = None
    ) -> tuple[WorkerView, ...]:
        """Every live worker as views show it; ``hosts`` names where joined ones run
        (the redis backend's ``pcsim worker``)."""
        hosts = hosts or {}
        views = []
        for w in self.workers.values():
            wall = w.wall(now)
            meant = min(1.0, w.meant / wall) if wall > 0 else 0.0
            views.append(
                WorkerView(
                    w.name, w.role, w.state, w.item, w.done, w.since, w.shares(now), meant,
                    host=hosts.get(w.name, ""),
                )
            )  # fmt: skip
        return tuple(views)


def rate_text(x: float) -> str:
    """A rate in items/s as every view writes it: three significant figures below 100
    (2.35, 3.00, 13.2, 0.0467), whole items from there (1,204). One format, so Little's
    λ, the statistics' run average and the graph's title never show one figure two ways
    (2.35 beside 2.3), and a product on screen multiplies out."""
    if abs(x) >= 99.95:  # three figures would round it to 100 anyway
        return f"{x:,.0f}"
    return f"{x:#.3g}".rstrip(".")
