"""The one object front ends drive: start, pause, resume, apply settings, stop, observe.

Workers only append events to an inbox (a ``deque``: one atomic append, no lock). A
recorder thread drains the inbox every few milliseconds, books each batch in the
:class:`~.ledger.Ledger` and :class:`~.metrics.Metrics`, then pushes it to every
subscribed :class:`~.channel.EventChannel`. So the numbers on screen, the JSON of
``pcsim run`` and the animation all come from the same events, and no front end ever
waits on a worker or the other way round.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from simulator.engine.backends import backend_class
from simulator.engine.backends.base import Backend
from simulator.engine.channel import EventChannel
from simulator.engine.config import LIVE_FIELDS, SimulationConfig
from simulator.engine.ledger import Ledger
from simulator.engine.metrics import Metrics, WorkerView

RECORD_PERIOD_S = 0.005
IDLE, RUNNING, PAUSED, STOPPED = "idle", "running", "paused", "stopped"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a view shows, read at one moment; immutable so it can be painted."""

    state: str
    config: SimulationConfig  #: the latest settings (some may wait for the next start)
    capacity: int  #: the capacity of the buffer this run really has
    backend: str  #: the backend this run really uses
    elapsed: float
    produced: int
    consumed: int
    in_buffer: int
    in_hand: int
    lost: int
    duplicates: int
    ok: bool
    violations: tuple[str, ...]
    produced_rate: float
    consumed_rate: float
    occupancy: int
    max_occupancy: int
    mean_occupancy: float
    latency_ms: tuple[float, float, float]  # p50, p95, p99 of time in buffer
    producer_blocked: float
    consumer_blocked: float
    waits_full: int
    waits_empty: int
    workers: tuple[WorkerView, ...]
    buffer: tuple[int, ...]  # item ids in the buffer, oldest first


class Simulation:
    def __init__(self, config: SimulationConfig | None = None) -> None:
        self.config = config or SimulationConfig()
        self.state = IDLE
        self._inbox: deque[tuple] = deque()  # raw event tuples (see events.py)
        self._channels: list[EventChannel] = []
        self._lock = threading.Lock()  # guards the books against concurrent snapshot()
        self._control = threading.RLock()  # serialises start/stop/apply
        self._backend: Backend | None = None
        self._recorder: threading.Thread | None = None
        self._rec_stop = threading.Event()
        self.finished = threading.Event()  # set when an item limit is fully consumed
        #: called by the recorder thread after each pass (it already holds the books
        #: fresh, and under load it is the thread that gets the GIL most readily)
        self.after_record: Callable[[], None] | None = None
        self._names: dict[str, list[str]] = {"producer": [], "consumer": []}
        self._numbers = {"producer": 0, "consumer": 0}
        self._reset_books()

    def _reset_books(self) -> None:
        self._t0 = time.monotonic()
        self._t_end: float | None = None
        self.ledger = Ledger(strict=True)
        self.metrics = Metrics(self.config.capacity, self._t0)
        self._run_backend = self.config.backend

    # ---- subscribers -------------------------------------------------------------
    def subscribe(self, maxlen: int = 200_000) -> EventChannel:
        ch = EventChannel(maxlen)
        self._channels = [*self._channels, ch]
        return ch

    def unsubscribe(self, ch: EventChannel) -> None:
        self._channels = [c for c in self._channels if c is not ch]

    # ---- control -----------------------------------------------------------------
    def _new_worker(self, role: str) -> tuple[str, str, int]:
        self._numbers[role] += 1
        n = self._numbers[role]
        name = f"{'P' if role == 'producer' else 'C'}{n}"
        self._names[role].append(name)
        return role, name, n

    def start(self) -> None:
        with self._control:
            if self.state in (RUNNING, PAUSED):
                raise RuntimeError("the simulation is already running")
            self._inbox.clear()
            self._reset_books()
            self.finished.clear()
            self._names = {"producer": [], "consumer": []}
            self._numbers = {"producer": 0, "consumer": 0}
            backend = backend_class(self.config.backend)(self.config, self._inbox.append)
            self.ledger.strict = backend.exact_order
            workers = [self._new_worker("producer") for _ in range(self.config.producers)]
            workers += [self._new_worker("consumer") for _ in range(self.config.consumers)]
            self._rec_stop.clear()
            self._recorder = threading.Thread(
                target=self._record_loop, name="pcsim-recorder", daemon=True
            )
            self._recorder.start()
            backend.start(workers)
            self._backend = backend
            self.state = RUNNING

    def pause(self) -> None:
        with self._control:
            if self.state == RUNNING and self._backend:
                self._backend.pause()
                self.state = PAUSED

    def resume(self) -> None:
        with self._control:
            if self.state == PAUSED and self._backend:
                self._backend.resume()
                self.state = RUNNING

    def apply(self, config: SimulationConfig) -> frozenset[str]:
        """Take new settings. Live ones act now on a running simulation; the others are
        kept for the next start, and their names are returned so a view can say so."""
        with self._control:
            old, self.config = self.config, config
            changed = config.changed_fields(old)
            backend = self._backend
            if self.state not in (RUNNING, PAUSED) or backend is None:
                return frozenset()
            for role in ("producer", "consumer"):
                if f"{role}_sleep" in changed or "time_scale" in changed:
                    backend.set_sleep(role, *config.effective_sleep(role))
                names = self._names[role]
                want = config.producers if role == "producer" else config.consumers
                while len(names) < want:
                    backend.add(*self._new_worker(role))
                while len(names) > want:
                    backend.retire(names.pop())  # the newest leaves first
            return frozenset(changed - LIVE_FIELDS)

    def stop(self, drain: bool = False, drain_timeout: float = 10.0) -> float:
        """Stop every worker and return how long the stop itself took (seconds).

        With ``drain``, producers leave first and consumers empty the buffer (for at most
        ``drain_timeout`` seconds) so that, after it, produced = consumed.
        """
        with self._control:
            backend = self._backend
            if backend is None or self.state not in (RUNNING, PAUSED):
                return 0.0
            if drain:
                self.resume()
                for name in self._names["producer"]:
                    backend.retire(name)
                deadline = time.monotonic() + drain_timeout
                while time.monotonic() < deadline:
                    with self._lock:
                        busy = self.ledger.in_buffer + self.ledger.in_hand
                        producers_alive = any(
                            w.role == "producer" for w in self.metrics.workers.values()
                        )
                    if busy == 0 and not producers_alive:
                        break
                    time.sleep(0.01)
            t0 = time.monotonic()
            remaining = backend.stop()
            self._rec_stop.set()
            if self._recorder is not None:
                self._recorder.join()
            self._record_once()  # whatever arrived after the recorder's last pass
            with self._lock:
                self.ledger.close_books(remaining)
            self._t_end = time.monotonic()
            self._backend = None
            self.state = STOPPED
            return self._t_end - t0

    # ---- recording ---------------------------------------------------------------
    def _record_loop(self) -> None:
        while not self._rec_stop.wait(RECORD_PERIOD_S):
            self._record_once()
            if self.after_record is not None:
                self.after_record()

    def _record_once(self) -> None:
        inbox = self._inbox
        n = len(inbox)
        if not n:
            return
        pop = inbox.popleft
        batch = [pop() for _ in range(n)]
        with self._lock:
            latencies = self.ledger.feed(batch)
            self.metrics.feed(batch, latencies)
            limit = self.config.items
            if limit is not None and self.ledger.consumed >= limit:
                self.finished.set()
        for ch in self._channels:
            ch.push(batch)

    # ---- observing ---------------------------------------------------------------
    @property
    def started_at(self) -> float:
        """``time.monotonic()`` of the current run's start (events are stamped the same way)."""
        return self._t0

    @property
    def elapsed(self) -> float:
        end = self._t_end if self._t_end is not None else time.monotonic()
        return end - self._t0

    def snapshot(self) -> Snapshot:
        with self._lock:
            led, met = self.ledger, self.metrics
            now = self._t_end if self._t_end is not None else time.monotonic()
            p_rate, c_rate = met.rates(now)
            return Snapshot(
                state=self.state,
                config=self.config,
                capacity=met.capacity,
                backend=self._run_backend,
                elapsed=now - self._t0,
                produced=led.produced,
                consumed=led.consumed,
                in_buffer=led.in_buffer,
                in_hand=led.in_hand,
                lost=led.lost,
                duplicates=led.duplicates,
                ok=led.ok,
                violations=tuple(led.violations),
                produced_rate=p_rate,
                consumed_rate=c_rate,
                occupancy=met.occupancy,
                max_occupancy=met.max_occupancy,
                mean_occupancy=met.mean_occupancy(now),
                latency_ms=met.latency_ms(),
                producer_blocked=met.blocked_fraction("producer", now),
                consumer_blocked=met.blocked_fraction("consumer", now),
                waits_full=met.waits_full,
                waits_empty=met.waits_empty,
                workers=met.worker_views(now),
                buffer=tuple(led.in_buffer_ids),
            )
