"""The one object front ends drive: start, pause, resume, apply settings, stop, observe.

Workers only append events to an inbox (a ``deque``: one atomic append, no lock). A
bookkeeping thread (``pcsim-books``) drains the inbox every few milliseconds, books
each batch in the :class:`~.ledger.Ledger` and :class:`~.metrics.Metrics`, then pushes it
to every subscribed :class:`~.channel.EventChannel`. So the numbers on screen, the JSON of
``pcsim run`` and the animation all come from the same events, and no front end ever
waits on a worker or the other way round.

The clock of a run starts when its workers are ready, not when :meth:`Simulation.start`
returns: spawning 128 interpreters can take seconds, and a run's duration, throughput
and time shares should describe the workers working, not the operating system starting
them. :attr:`Simulation.ready` is set (and :attr:`Simulation.started_at` moves to that
moment) once every initially requested worker's STARTED event is booked (or it failed to
start, which the books show as an error). The rule for what happened before:

* the books (produced, consumed, lost, ...) count every item from ``start()`` on: nothing
  that happened is ever left out of them;
* whatever divides by time (elapsed, rates, mean occupancy, the blocked/working shares)
  is measured from the clock's start: :meth:`~.metrics.Metrics.restart` forgets the time
  before it (an event stamped earlier that arrives late only lands in the clock's first
  0.1 s rate bin);
* counts and extremes that do not depend on time (waits, the highest occupancy, the
  latency samples) cover the whole run, like the books.

Until then the workers do nothing: each reports STARTED and holds at the backend's start
gate (the same hold as a pause, see :mod:`~.backends.base`); the gate opens when the clock
starts, so every initial worker begins together and no item is made before
:attr:`Simulation.started_at`. A run paused while starting stays held until resumed.
Workers added later start at once.

**Single-step.** While paused, :meth:`Simulation.step` lets one worker make exactly its
next move (one ordinary event, see :data:`STEP_KINDS`) and hold again: the backend grants
it (see :mod:`~.backends.base`), and this class waits until every worker holds, grants,
and waits for the bookkeeper to book the worker's event, which it reports as a
:class:`Step` and in :attr:`Snapshot.last_step`. Threads and asyncio only. With the
no-lock bug a step also ends inside the race window, on UNLOCKED_READ (an index read
and not written back), so a learner can interleave two puts or two gets by hand; a
worker held there can always move (:meth:`Backend.mid_move`). ``start(paused=True)``
holds a run before its first event, so stepping can begin from the empty buffer.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from simulator.engine.backends import backend_class
from simulator.engine.backends.base import INBOX_HIGH, INBOX_LOW, Backend
from simulator.engine.channel import EventChannel
from simulator.engine.config import LIVE_FIELDS, SimulationConfig
from simulator.engine.cpu import calibrate, gil_enabled
from simulator.engine.events import (
    K_COND_WAIT,
    K_COND_WOKE,
    K_CONSUMED,
    K_ERROR,
    K_GET_WAIT,
    K_GOT,
    K_INSIDE,
    K_INSIDE_END,
    K_LOCK_FREE,
    K_LOCK_HELD,
    K_LOCK_WAIT,
    K_PRODUCED,
    K_PUT,
    K_PUT_WAIT,
    K_REJECTED,
    K_SEM_GIVE,
    K_SEM_TAKE,
    K_SEM_WAIT,
    K_SLEEP,
    K_STARTED,
    K_STOPPED,
    K_TASKS,
    K_UNLOCKED_READ,
    MARKER_STAYS,
    NO_ITEM,
    Event,
    RawEvent,
    is_inside,
    is_pill,
    item_label,
    make,
    stopped_event,
)
from simulator.engine.ledger import Ledger
from simulator.engine.metrics import Metrics, WorkerView
from simulator.engine.workers import ROLES, Role, WorkerState, role_of, worker_name

BOOKING_PERIOD_S = 0.005  # how often the bookkeeping thread drains the inbox
#: the most events one booking pass books (under the books' lock: a snapshot waits for
#: at most one such pass, ~20 ms)
BOOKING_BATCH = 5_000
#: a run in which every live worker waits and nothing happens for this long (of running
#: time: not paused, not starting) is a deadlock
DEADLOCK_AFTER_S = 1.0
#: how often the bookkeeping thread reads the workers' CPU clocks (see engine/cpu.py)
CPU_SAMPLE_S = 0.25
#: a ``join()`` that has not returned while every consumer has waited on an empty buffer
#: this long can never return (items were never marked done): the run is stuck (exit 3)
STUCK_JOIN_S = 2.0
#: how long a terminate lets held workers settle (a child's blocked get polls every
#: 50 ms, and flushes its events when it holds) before it kills them
TERMINATE_SETTLE_S = 0.15

#: the ordinary events: one step is exactly one of these (events of other kinds that the
#: worker writes on the way, such as the Inside view's lock events, ride along)
STEP_KINDS = frozenset(
    {K_SLEEP, K_PRODUCED, K_PUT_WAIT, K_PUT, K_GET_WAIT, K_GOT, K_CONSUMED, K_REJECTED}
)
#: what ends a step: its ordinary event, or the worker ending (item limit, stop, error);
#: with the no-lock bug also UNLOCKED_READ, the race window between reading an index and
#: writing it back (so a learner can interleave two puts or two gets by hand)
_STEP_ENDS = STEP_KINDS | {K_STOPPED, K_ERROR, K_UNLOCKED_READ}


@dataclass(frozen=True, slots=True)
class Step:
    """What one :meth:`Simulation.step` did."""

    worker: str  #: who moved
    #: the event it wrote; None if it had not written it within the step's timeout (it
    #: sleeps out a long sleep: the event comes when the sleep ends)
    event: Event | None
    why: str  #: one line: "P2 put P2-7 (3 in buffer)"


def steps_on(backend: str) -> bool:
    """Whether :meth:`Simulation.step` works on ``backend`` (threads, asyncio: yes)."""
    return backend_class(backend).can_step


def step_line(ev: Event) -> str:
    """What a step's event means, in one line: ``P2 put P2-7 (3 in buffer)``."""
    w, item, kind = ev.worker, item_label(ev.item), ev.kind
    if kind == K_SLEEP:
        what = "produces its next item" if w[:1] == "P" else f"consumes {item}"
        return f"{w} {what}: sleeps {float(ev.value) * 1000:.1f} ms"
    if kind == K_PRODUCED:
        return f"{w} made {item}"
    if kind == K_PUT_WAIT:
        return f"{w} waits to put {item}: buffer full ({ev.size} in buffer)"
    if kind == K_PUT:
        return f"{w} put {item} ({ev.size} in buffer)"
    if kind == K_REJECTED:
        return f"{w} dropped {item}: buffer full ({ev.size} in buffer)"
    if kind == K_GET_WAIT:
        return f"{w} waits for an item: buffer empty"
    if kind == K_GOT:
        if ev.item < 0:  # a broken buffer's slot that was never written
            return f"{w} took an empty slot: nothing was there ({ev.size} in buffer)"
        return f"{w} got {item} ({ev.size} in buffer)"
    if kind == K_CONSUMED:
        return f"{w} finished {item}"
    if kind == K_UNLOCKED_READ:
        i = ev.size
        if ev.value == "tail":
            return f"{w} read tail = {i} without the lock: it will write {item} into slot {i}"
        return f"{w} read head = {i} without the lock: it will take slot {i}"
    if kind == K_ERROR:
        return f"{w} failed: {ev.value}"
    return f"{w} stopped" + (f" holding {item}" if ev.item >= 0 else "")


class _PendingStep:
    """A step granted and not yet booked (the bookkeeper completes it)."""

    __slots__ = ("done", "event", "worker")

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.event: Event | None = None
        self.done = threading.Event()


class RunState(StrEnum):
    """Where a whole run is (a worker's own state is a
    :class:`~simulator.engine.workers.WorkerState`, a different thing)."""

    IDLE = "idle"  #: no run yet, or forgotten after a stop (the next start opens new books)
    RUNNING = "running"
    #: every worker holds at its next step and books no event (a sleep is suspended, a
    #: blocked put or get stays blocked); the books are kept
    PAUSED = "paused"
    STOPPED = "stopped"  #: every worker joined; the books are closed and still readable


# The members under their short names, for the views that import them.
IDLE, RUNNING, PAUSED, STOPPED = (
    RunState.IDLE,
    RunState.RUNNING,
    RunState.PAUSED,
    RunState.STOPPED,
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a view shows, read at one moment; immutable so it can be painted."""

    state: RunState
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
    #: what the buffer holds now, as the header counts it: ``in_buffer`` items plus
    #: ``pills_in_buffer`` (pills are not items of the books, but they take slots).
    #: One count for every view, before and after the stop
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
    #: the real buffer's slots where they can differ from the books' ``buffer`` (the
    #: no-lock bug: two puts into one slot leave one item where the count claims two),
    #: oldest first, -1 for a claimed slot that holds nothing; None otherwise. The
    #: canvas draws these: the picture shows the broken buffer as it is
    slots: tuple[int, ...] | None = None
    #: what went wrong without breaking the books (e.g. an idle worker that had to be
    #: terminated); a run with warnings is still ``ok``
    warnings: tuple[str, ...] = ()
    #: milliseconds from ``start()`` until every requested worker was ready; None while
    #: starting (and for a run stopped before it was ready)
    startup_ms: float | None = None
    #: (workers ready, workers requested) of the run's initial workers
    starting: tuple[int, int] = (0, 0)
    #: ``time.monotonic()`` of the clock's start (that of ``start()`` until ready)
    started_at: float = 0.0
    #: mean time in buffer (ms) of every item taken so far: Little's law's W
    mean_latency_ms: float = 0.0
    #: (worker, what it did) of the last single step while paused; None otherwise
    last_step: tuple[str, str] | None = None
    #: the kind of buffer this run really has: "queue", "condition", "semaphore"
    #: (named so beside ``buffer``, the items in it)
    buffer_kind: str = "queue"
    #: every live worker has been waiting, and nothing happened, for
    #: :data:`DEADLOCK_AFTER_S` of running time (see :meth:`Simulation._check_deadlock`)
    deadlock: bool = False
    #: with ``deadlock``: (worker, what it waits on: "not_full", "not_empty", "changed",
    #: "empty", "full"), in the order of the workers
    waits: tuple[tuple[str, str], ...] = ()
    #: the buffer's primitives as the inside events left them, for a run started with
    #: ``inside=True`` (else None): ``{"lock": {"name": "mutex", "holder": "P1" | None,
    #: "waiting": ["C2"]}, "conditions": {"not_full": ["P1"], "not_empty": []},
    #: "semaphores": {"empty": 0, "full": 10}, "unfinished_tasks": 12}``
    inside: dict[str, Any] | None = None
    #: how many violations there were (``violations`` keeps the first ones)
    violation_count: int = 0
    #: for a run started with ``inside=True``: where each live worker is, as the books
    #: saw it: ``{"P1": (last ordinary kind, last kind that moved it, its value)}`` —
    #: the code panel's markers come from this (a frame carries only the newest events,
    #: so a marker fed from events alone could lag the snapshot it is painted with)
    where: dict[str, tuple[int, int, str]] | None = None
    #: items a producer dropped on a full buffer (full policy ``timeout``, ``drop-newest``)
    rejected: int = 0
    #: items overwritten in the buffer to make room (full policy ``drop-oldest``)
    overwritten: int = 0
    #: items dropped (rejected + overwritten) per second, over the rates' window
    dropped_rate: float = 0.0
    #: the first ids of the rejected and of the overwritten items
    rejected_ids: tuple[int, ...] = ()
    overwritten_ids: tuple[int, ...] = ()
    #: with ``work = "cpu"``: the kernel's speed on one core, measured at the start
    #: (``{"iterations_per_ms": …}``); None while the work is slept
    calibration: dict[str, float] | None = None
    #: whether this interpreter has a GIL (a free-threaded build lets threads scale)
    gil_enabled: bool = True
    #: every worker's CPU seconds over the run's wall seconds, in percent (100 = one
    #: core busy); None where not measurable. On asyncio: the loop thread's.
    cpu_percent: float | None = None
    #: per role ("producer", "consumer"): ``{"cpu_share": …, "meant_share": …}``, the
    #: share of its workers' time on a CPU (None if not measurable per worker: asyncio)
    #: and the share they were meant to work
    role_cpu: dict[str, dict[str, float | None]] = dataclasses.field(default_factory=dict)
    #: what failed outside the books and ended the run (the redis broker vanished), else
    #: None; the books are those up to that moment
    failure: str | None = None
    #: after a stop, the workers that joined from elsewhere (redis: ``pcsim worker``):
    #: (name, where it runs, items it put or consumed)
    joined: tuple[tuple[str, str, int], ...] = ()
    #: the ending under way or done ("drain", "poison-pill", "join", "terminate"); None
    #: while the run goes on (or for a plain stop)
    ending: str | None = None
    #: the buffer's ``unfinished_tasks`` by the books: every put not yet ``task_done``
    unfinished_tasks: int = 0
    #: while the ending ``join`` waits (and after): the first ids it waits for
    join_waits_for: tuple[int, ...] = ()
    #: a chosen ``terminate``: how many items it discarded and which (every id)
    discarded: int = 0
    discarded_ids: tuple[int, ...] = ()
    #: a ``join()`` that could never return: the items never marked done (exit 3)
    stuck_join: tuple[int, ...] | None = None
    #: the ending ``poison-pill``: the pills the main thread has still to put (it waits
    #: for room in a full buffer), by the books: the pills it was to put less those
    #: booked into the buffer. 0 when none is due, and once the run has stopped (nobody
    #: is left waiting to put: a stop that cut the ending short ends the main's put too)
    pills_waiting: int = 0
    #: the poison pills in the buffer now, by the books (the pills among ``buffer``):
    #: the one count the header, the statistics and a cut-short note show, so they
    #: never disagree (each used to count it from its own source). 0 without pills
    pills_in_buffer: int = 0


def _wait_names(buffer: str, bug: str) -> dict[str, str]:
    """What a producer waiting on a full buffer and a consumer waiting on an empty one
    wait on, in the words of the buffer's code."""
    if bug == "lost-wakeup":
        return {WorkerState.WAITING_FULL: "changed", WorkerState.WAITING_EMPTY: "changed"}
    if buffer == "semaphore":
        return {WorkerState.WAITING_FULL: "empty", WorkerState.WAITING_EMPTY: "full"}
    return {WorkerState.WAITING_FULL: "not_full", WorkerState.WAITING_EMPTY: "not_empty"}


def _new_inside(config: SimulationConfig) -> dict[str, Any]:
    """The primitives' state before any inside event (see :attr:`Snapshot.inside`)."""
    names = _wait_names(config.buffer, config.bug)
    conditions: dict[str, list[str]] = {}
    semaphores: dict[str, int] = {}
    if config.buffer == "semaphore":
        semaphores = {"empty": config.capacity, "full": 0}
    else:
        conditions = {name: [] for name in names.values()}
    # asyncio.Queue has no lock: one thread runs it, and its waiters are futures
    lockless = config.backend == "asyncio" and config.buffer == "queue"
    return {
        "where": {},
        "lock": None if lockless else {"name": "mutex", "holder": None, "waiting": []},
        "conditions": conditions,
        "semaphores": semaphores,
        "unfinished_tasks": 0,
    }


class Simulation:
    def __init__(self, config: SimulationConfig | None = None, inside: bool = False) -> None:
        self.config = config or SimulationConfig()
        #: record the "inside" events (locks, conditions, semaphores) from the next start
        #: on; they cost time per item, so only the Inside view and ``--events`` ask
        self.inside = inside
        self._inside_run = False  # what the current run was started with
        #: set by the bookkeeping thread when it sees a deadlock (see _check_deadlock)
        self.deadlocked = threading.Event()
        self.state = RunState.IDLE
        self._inbox: deque[RawEvent] = deque()
        self._channels: list[EventChannel] = []
        self._lock = threading.Lock()  # guards the books against concurrent snapshot()
        self._control = threading.RLock()  # serialises start/stop/apply
        self._backend: Backend | None = None
        self._gated: Backend | None = None  # a backend whose start gate is still closed
        self._booker: threading.Thread | None = None
        self._booking_stop = threading.Event()
        #: set when an item limit is reached: the Nth item produced with an ending chosen
        #: (the ending starts then), else the Nth consumed
        self.finished = threading.Event()
        #: set when something outside the books failed (the redis backend's broker
        #: vanished): the run cannot go on; :attr:`Snapshot.failure` says what
        self.broken = threading.Event()
        #: set once every initially requested worker is ready: the run's clock starts
        #: then (see the module's notes); stays clear for a run stopped while starting
        self.ready = threading.Event()
        #: called by the bookkeeping thread after each pass (it already holds the books
        #: fresh, and under load it is the thread that gets the GIL most readily)
        self.after_booking: Callable[[], None] | None = None
        self._names: dict[Role, list[str]] = {role: [] for role in ROLES}
        self._numbers: dict[Role, int] = {role: 0 for role in ROLES}
        self._passes = 0  # bookkeeping passes done (a step waits for one to end)
        self._pending: _PendingStep | None = None  # a step the books have not seen yet
        self._last_step: tuple[str, str] | None = None
        self._stepped = ""  # the last worker stepped by round robin
        self._calibration: float = 0.0  # spin iterations per second; 0.0: not measured
        self._reset_books()

    def _reset_books(self) -> None:
        self._throttles = 0  # times the workers were held for the books to catch up
        self._t_start = self._t0 = time.monotonic()
        self._t_end: float | None = None
        self._awaiting: set[str] = set()  # initial workers not ready yet
        self._requested = 0
        self._startup_ms: float | None = None
        self._warnings: list[str] = []
        self._failure: str | None = None
        self._joined: tuple[tuple[str, str, int], ...] = ()
        self._pending = None
        self._last_step = None
        self._stepped = ""
        self.ledger = Ledger(strict=True)
        self.metrics = Metrics(self.config.capacity, self._t0)
        self._run_backend = self.config.backend
        self._run_buffer = self.config.buffer
        self._wait_on = _wait_names(self.config.buffer, self.config.bug)
        self._inside_state: dict[str, Any] | None = (
            _new_inside(self.config) if self._inside_run else None
        )
        self._quiet_since = time.monotonic()  # the last event, or the last paused moment
        self._deadlock = False
        self._waits: tuple[tuple[str, str], ...] = ()
        self.deadlocked.clear()
        self._stopping = False  # the workers' last events do not end a deadlock
        #: worker -> [cpu at its first reading after the clock started, its time, the
        #: latest cpu, its time] (kept after a worker stops, for the role's share)
        self._cpu: dict[str, list[float]] = {}
        self._cpu_total: list[float] | None = None  # the same for the whole backend
        self._cpu_sampled = 0.0
        self._ending: str | None = None  # the ending under way (see stop)
        #: set by a stop that comes while an ending is under way: it cuts the ending's
        #: waits short, so the second Stop is felt at once (not after ``drain_timeout``)
        self._hurry = threading.Event()
        #: the real slots at the stop (see Snapshot.slots), kept for the final picture
        self._final_slots: tuple[int, ...] | None = None
        self._joining = False  # the ending join waits in join()
        self._stuck_join: tuple[int, ...] | None = None
        self._pills_due = 0  #: the pills the ending poison-pill puts (see pills_waiting)
        #: a terminate's moment (event time), and the events booked to metrics but not
        #: yet to the ledger since then (sorted out at the stop: see _close_terminate)
        self._moment: float | None = None
        self._after: list[RawEvent] | None = None

    def set_inside(self, inside: bool) -> None:
        """Record the inside events (``True``) or not, from the next start on."""
        self.inside = inside

    # ---- subscribers -------------------------------------------------------------
    def subscribe(self, maxlen: int = 200_000) -> EventChannel:
        ch = EventChannel(maxlen)
        self._channels = [*self._channels, ch]
        return ch

    def unsubscribe(self, ch: EventChannel) -> None:
        self._channels = [c for c in self._channels if c is not ch]

    # ---- control -----------------------------------------------------------------
    def _new_worker(self, role: Role) -> tuple[Role, str, int]:
        self._numbers[role] += 1
        n = self._numbers[role]
        name = worker_name(role, n)
        self._names[role].append(name)
        return role, name, n

    def start(self, paused: bool = False) -> None:
        """Start a run. ``paused`` starts it paused: every worker holds at the start gate
        before its first event, so single steps begin from the empty buffer (a guided
        scenario); a :meth:`pause` right after ``start()`` might come too late."""
        with self._control:
            if self.state in (RunState.RUNNING, RunState.PAUSED):
                raise RuntimeError("the simulation is already running")
            self._inbox.clear()
            self.finished.clear()
            self.broken.clear()
            self.ready.clear()
            self._names = {role: [] for role in ROLES}
            self._numbers = {role: 0 for role in ROLES}
            self._calibration = 0.0  # measured again for each run (see _cpu_rate)
            backend = backend_class(self.config.backend)(self.config, self._inbox.append)
            backend.backlog = self._inbox.__len__
            backend.set_work(self._cpu_rate(self.config))
            self._inside_run = backend.inside = self.inside
            workers = [self._new_worker(Role.PRODUCER) for _ in range(self.config.producers)]
            workers += [self._new_worker(Role.CONSUMER) for _ in range(self.config.consumers)]
            with self._lock:
                self._reset_books()
                self.ledger.strict = backend.exact_order
                self._awaiting = {name for _, name, _ in workers}
                self._requested = len(workers)
                if not workers:
                    self._mark_ready(self._t_start)
            self._gated = backend
            self._booking_stop.clear()
            self._booker = threading.Thread(
                target=self._booking_loop, name="pcsim-books", daemon=True
            )
            self._booker.start()
            if paused:
                backend.pause()  # before any worker runs: they all hold at the gate
            backend.start(workers)
            self._backend = backend
            self.state = RunState.PAUSED if paused else RunState.RUNNING
            self._open_gate_if_ready()  # a run of no workers is ready at once

    def pause(self) -> None:
        with self._control:
            if self.state == RunState.RUNNING and self._backend:
                self._backend.pause()
                self.state = RunState.PAUSED

    def resume(self) -> None:
        with self._control:
            if self.state == RunState.PAUSED and self._backend:
                self._backend.resume()
                self.state = RunState.RUNNING
                self._drop_step()
                with self._lock:
                    self._last_step = None

    def step(self, worker: str | None = None, timeout: float = 2.0) -> Step | None:
        """While paused, let one worker make exactly its next move, then hold again.

        ``worker`` names who moves; None picks the next one that can move, round robin
        (a worker waiting on a full buffer can move only if there is room now, one waiting
        on an empty buffer only if there is an item). The move runs from where the worker
        holds until it writes its next ordinary event (:data:`STEP_KINDS`); a SLEEP ends
        the step with the sleep suspended, and the worker's next step sleeps what is left
        of it for real before writing PRODUCED or CONSUMED.

        Returns what moved, or None if nobody (or the named worker) can move now. If the
        event has not come within ``timeout`` seconds (a long sleep), the returned
        :class:`Step` has no event and the worker's move completes later (the next step
        waits for it first). Raises :class:`ValueError` unless paused, on a backend
        without single-step (processes), or for a worker that is not in the run.
        """
        self._check_steppable()
        deadline = time.monotonic() + timeout
        pending = self._pending  # a step still under way (a long sleep): it comes first
        if pending is not None and not pending.done.wait(timeout):
            return Step(pending.worker, None, f"{pending.worker} still sleeps")
        with self._control:  # not held while the move is awaited: stop never waits on it
            backend = self._check_steppable()
            if self._pending is not None:
                return Step(self._pending.worker, None, f"{self._pending.worker} still sleeps")
            self._settle(backend, deadline)
            with self._lock:
                movers = self._movers()
                if worker is None:
                    worker = self._next_mover(movers)
                    if worker is None:
                        self._last_step = ("", "nobody can move: every worker waits")
                        return None
                elif worker not in self._names[Role.PRODUCER] + self._names[Role.CONSUMER]:
                    raise ValueError(f"step: no worker {worker!r} in this run")
                elif worker not in movers:
                    self._last_step = (worker, self._why_stuck(worker))
                    return None
                pending = self._pending = _PendingStep(worker)
            self._stepped = worker
            if not backend.step(worker):
                self._pending = None
                return None
        if not pending.done.wait(max(0.0, deadline - time.monotonic())):
            return Step(worker, None, f"{worker} sleeps: it moves when its sleep ends")
        ev = pending.event
        if ev is None:  # resumed or stopped meanwhile
            return Step(worker, None, f"{worker} did not finish its step: the run went on")
        return Step(worker, ev, step_line(ev))

    def _check_steppable(self) -> Backend:
        """The backend to step, or :class:`ValueError` saying why a step cannot be."""
        backend = self._backend
        if self.state != RunState.PAUSED or backend is None:
            raise ValueError(f"step works only while paused (the run is {self.state})")
        if not backend.can_step:
            raise ValueError(f"step is not available on {self._run_backend}")
        if not self.ready.is_set():
            raise ValueError("step waits until every worker has started")
        return backend

    def _drop_step(self) -> None:
        """Forget a step under way (resume, stop) and wake whoever awaits it."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.done.set()

    def _settle(self, backend: Backend, deadline: float) -> None:
        """Wait (until ``deadline``) for every worker to hold and the books to have booked
        all they wrote: only then is who can move known."""
        while not backend.settled() and time.monotonic() < deadline:
            time.sleep(0.002)
        while self._inbox and time.monotonic() < deadline:
            time.sleep(0.002)
        passes = self._passes  # a pass that ends after now has booked what was popped
        while self._passes == passes and time.monotonic() < deadline:
            if self._booker is None or not self._booker.is_alive():
                break
            time.sleep(0.002)

    def _movers(self) -> list[str]:
        """The workers that can make a move now, in naming order (under ``self._lock``)."""
        in_buffer, capacity = self.ledger.in_buffer, self.metrics.capacity
        backend = self._backend
        movers = []
        for name in self._names[Role.PRODUCER] + self._names[Role.CONSUMER]:
            st = self.metrics.workers.get(name)
            if st is None or st.state == WorkerState.STOPPED:
                continue
            if backend is not None and backend.mid_move(name):
                movers.append(name)  # in the race window: it goes on whatever the count
                continue
            if st.state == WorkerState.WAITING_FULL and in_buffer >= capacity:
                continue
            if st.state == WorkerState.WAITING_EMPTY and in_buffer <= 0:
                continue
            waits = st.state in (WorkerState.WAITING_FULL, WorkerState.WAITING_EMPTY)
            if waits and backend is not None and not backend.can_move(name):
                continue  # its buffer gave the slot (or the item) to another waiter
            movers.append(name)
        return movers

    def _why_stuck(self, name: str) -> str:
        """Why ``name`` cannot move now, in one line (under ``self._lock``)."""
        st = self.metrics.workers.get(name)
        if st is None or st.state == WorkerState.STOPPED:
            return f"{name} cannot move now: it has stopped"
        on = self._wait_on.get(st.state, "")
        if st.state == WorkerState.WAITING_FULL:
            if self.ledger.in_buffer < self.metrics.capacity:  # a semaphore's token
                return f"{name} cannot move now: the free slot went to another waiter"
            return (
                f"{name} cannot move now: the buffer is full; it waits on {on} "
                "until a consumer takes an item"
            )
        if st.state == WorkerState.WAITING_EMPTY:
            if self.ledger.in_buffer > 0:
                return f"{name} cannot move now: the item went to another waiter"
            return (
                f"{name} cannot move now: the buffer is empty; it waits on {on} "
                "until a producer puts an item"
            )
        return f"{name} cannot move now: it waits"

    def _next_mover(self, movers: list[str]) -> str | None:
        """Round robin: the first mover after the one stepped last, in naming order."""
        if not movers:
            return None
        order = self._names[Role.PRODUCER] + self._names[Role.CONSUMER]
        if self._stepped in order:
            start = order.index(self._stepped)
            for name in order[start + 1 :] + order[: start + 1]:
                if name in movers:
                    return name
        return movers[0]

    def apply(self, config: SimulationConfig) -> frozenset[str]:
        """Take new settings. Live ones act now on a running simulation; the others are
        kept for the next start, and their names are returned so a view can say so."""
        with self._control:
            old, self.config = self.config, config
            changed = config.changed_fields(old)
            backend = self._backend
            if self.state not in (RunState.RUNNING, RunState.PAUSED) or backend is None:
                return frozenset()
            if "work" in changed:
                backend.set_work(self._cpu_rate(config))
            for role in ROLES:
                if f"{role}_sleep" in changed or "time_scale" in changed:
                    backend.set_sleep(role, *config.effective_sleep(role))
            if changed & {"full_policy", "put_timeout"}:
                backend.set_policy(config.full_policy, config.put_timeout)
            for role in ROLES:
                names = self._names[role]
                want = config.producers if role is Role.PRODUCER else config.consumers
                while len(names) < want:
                    backend.add(*self._new_worker(role))
                while len(names) > want:
                    name = names.pop()  # the newest leaves first
                    backend.retire(name)
                    with self._lock:
                        if name in self._awaiting:  # no longer waited for
                            self._awaiting.discard(name)
                            self._requested -= 1
                            if not self._awaiting:
                                self._mark_ready(time.monotonic())
                    self._open_gate_if_ready()
            return frozenset(changed - LIVE_FIELDS)

    def stop(
        self, drain: bool = False, drain_timeout: float = 10.0, ending: str | None = None
    ) -> float:
        """Stop every worker and return how long the stop itself took (seconds): the
        final interruption and join, not the ending before it.

        ``ending`` (or ``drain=True``, which is ``ending="drain"``) says how the run ends
        first (see :data:`~.config.SHUTDOWNS`; each waits at most ``drain_timeout``):

        * ``drain``: producers leave, consumers empty the buffer: produced = consumed;
        * ``poison-pill``: producers leave, then the main thread puts one pill per
          consumer through the buffer; each consumer ends when it takes one;
        * ``join``: producers leave, then the buffer's own ``join()`` waits until every
          item is ``task_done``; consumers are stopped after it. A join that cannot
          return (every consumer has waited on an empty buffer for
          :data:`STUCK_JOIN_S`) is :attr:`Snapshot.stuck_join`;
        * ``terminate``: every worker held where it stands, then ended (processes:
          ``Process.terminate()``); what was in the buffer or in a hand at the moment
          (the Nth item's PRODUCED with ``--items``, else now) is discarded, by id.

        None: a plain stop, every worker interrupted (what is left stays in the books as
        in buffer and in hand). Workers still starting are not waited for. A worker the
        backend had to terminate breaks the books only if it held an item (which is then
        lost); otherwise it is a warning in :attr:`Snapshot.warnings`.
        """
        if drain and ending is None:
            ending = "drain"
        if self._ending is not None and self.state in (RunState.RUNNING, RunState.PAUSED):
            self._hurry.set()  # a Stop during an ending: end it now (see _wait_until)
        with self._control:
            backend = self._backend
            if backend is None or self.state not in (RunState.RUNNING, RunState.PAUSED):
                return 0.0
            self._gated = None  # the gate stays as it is (an ending opens it below)
            self._drop_step()
            self._hurry.clear()
            self._final_slots = None
            self._ending = ending
            if ending == "terminate":
                return self._terminate(backend)
            pills: threading.Thread | None = None
            join_done: threading.Event | None = None
            if ending is not None:
                deadline = time.monotonic() + drain_timeout
                self.resume()
                backend.open_gate()  # stopped while starting: let them finish too
                for name in self._names[Role.PRODUCER]:
                    backend.retire(name)
                self._wait_until(lambda b: not self._alive(Role.PRODUCER), deadline)
                if ending == "drain":
                    self._wait_until(lambda b: b.in_buffer + b.in_hand == 0, deadline)
                elif ending == "poison-pill":
                    with self._lock:
                        n = self._pills_due = self._alive(Role.CONSUMER)
                    pills = threading.Thread(
                        target=backend.put_pills, args=(n,), name="pcsim-pills", daemon=True
                    )
                    pills.start()
                    self._wait_until(lambda b: not self._alive(Role.CONSUMER), deadline)
                elif ending == "join":
                    join_done = self._join(backend, deadline)
            if self._hurry.is_set():
                self._warnings.append(
                    f"a second Stop cut the {ending} short: what was left stays in the books "
                    "as in buffer and in hand"
                )
            self._sample_cpu(backend, time.monotonic())  # the last reading of live workers
            t0 = time.monotonic()
            self._stopping = True
            remaining = backend.stop()
            if pills is not None:
                pills.join(2.0)
            if join_done is not None and not join_done.is_set():
                backend.release_join()
            self._joining = False
            self._joined = tuple(
                (name, getattr(backend, "hosts", {}).get(name, ""), n)
                for name, n in getattr(backend, "joined", {}).items()
            )
            failure = getattr(backend, "failure", None)
            if failure is not None:  # the real queue is out of reach: the books stand,
                self._failure = failure  # and what workers held they held at the stop
                remaining = self.ledger.in_buffer
            slots = backend.slots()
            self._stop_booking()
            with self._lock:
                if failure is not None:
                    self.ledger.held_at_stop += len(self.ledger.held)
                    self.ledger.held.clear()
                self._book_terminated(backend.terminated)
                self._note_starting()
                contents = None if slots is None else [i for i in slots if i >= 0]
                self._final_slots = None if slots is None else tuple(slots)
                self.ledger.close_books(remaining, contents)
                # what stays in the buffer by the books (pills too) from the stop on
                self.metrics.settle(time.monotonic(), self._buffer_count())
            return self._stopped(t0)

    def _alive(self, role: Role) -> int:
        """How many workers of ``role`` have not stopped (by the books' events)."""
        return sum(1 for w in list(self.metrics.workers.values()) if w.role is role)

    def _wait_until(self, done: Callable[[Ledger], bool], deadline: float) -> bool:
        """Wait (booked events in hand) until ``done(ledger)`` or ``deadline``, or a
        second stop cuts the ending short."""
        while time.monotonic() < deadline and not self._hurry.is_set():
            with self._lock:
                if done(self.ledger):
                    return True
            time.sleep(0.01)
        return False

    def _join(self, backend: Backend, deadline: float) -> threading.Event:
        """The ending ``join``: the buffer's own ``join()``, watched. Returns the event
        set when it returned. A join that can never return is recorded as stuck after
        :data:`STUCK_JOIN_S`: of waiting while the books know items consumed without
        ``task_done``, or of every consumer waiting on an empty buffer; one still
        waiting at ``deadline`` counts as stuck too."""
        self._joining = True
        done = backend.start_join()
        began = time.monotonic()
        idle_since: float | None = None
        while not done.wait(0.02) and not self._hurry.is_set():
            now = time.monotonic()
            with self._lock:
                consumers = [w for w in self.metrics.workers.values() if w.role is Role.CONSUMER]
                idle = all(w.state == WorkerState.WAITING_EMPTY for w in consumers)
                idle = idle and self.ledger.in_buffer == 0 and not self._inbox
            if not idle:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            with self._lock:  # items consumed without task_done: it can never return
                doomed = bool(self.ledger.undone_ids) and now - began >= STUCK_JOIN_S
            idle_long = idle_since is not None and now - idle_since >= STUCK_JOIN_S
            if doomed or idle_long or now >= deadline:
                with self._lock:
                    waits = self.ledger.join_waits_for(limit=10**6)
                    self._stuck_join = tuple(waits)
                    self._warnings.append(
                        f"join() can never return: {len(waits)} item(s) never marked "
                        "task_done: "
                        + ", ".join(item_label(i) for i in waits[:12])
                        + (" …" if len(waits) > 12 else "")
                    )
                break
        return done

    def _terminate(self, backend: Backend) -> float:
        """The ending ``terminate`` (under ``self._control``): hold every worker where it
        stands, kill them, then close the books at the moment (see :meth:`stop`)."""
        backend.pause()
        self.state = RunState.PAUSED
        deadline = time.monotonic() + TERMINATE_SETTLE_S
        while time.monotonic() < deadline:  # the held workers' last events come in
            time.sleep(0.01)
        with self._lock:
            if self._after is None:  # no moment yet (a Stop, the end of --duration): now
                self._moment = time.monotonic()
                self._after = []
        self._sample_cpu(backend, time.monotonic())
        t0 = time.monotonic()
        self._stopping = True
        backend.terminate()
        self._stop_booking()
        with self._lock:
            late = sorted(self._after or [], key=lambda ev: ev[0])
            moment = self._moment if self._moment is not None else time.monotonic()
            self._after = None
            self.ledger.feed([ev for ev in late if ev[0] <= moment])
            self.ledger.freeze()
            self.ledger.feed_after([ev for ev in late if ev[0] > moment])
            self.ledger.discard()
            self.metrics.settle(moment, self._buffer_count())  # discarded: empty
            for name in list(self.metrics.workers):  # killed: they said nothing more
                self.metrics.feed([stopped_event(name, NO_ITEM)], [])
            gone = self.metrics.gone  # what they held was discarded: empty hands
            for name, (done, _item) in list(gone.items()):
                gone[name] = (done, -1)
            self._note_starting()
            if self.ledger.after_moment:
                self._warnings.append(
                    f"{self.ledger.after_moment} event(s) after the terminate's moment "
                    "were not booked (workers still winding down)"
                )
            self._warnings.append(
                f"terminate discarded {self.ledger.discarded} item(s) "
                f"({self.ledger.discarded_from_buffer} in the buffer, "
                f"{self.ledger.discarded_from_hands} in hand): counted, by id"
            )
        return self._stopped(t0)

    def _stop_booking(self) -> None:
        """End the bookkeeping thread and book whatever arrived after its last pass."""
        self._booking_stop.set()
        if self._booker is not None:
            self._booker.join()
        while self._inbox:  # (a pass books at most BOOKING_BATCH)
            self._book_once()

    def _note_starting(self) -> None:
        """A run stopped while starting says so (under ``self._lock``)."""
        if self._awaiting:
            ready = self._requested - len(self._awaiting)
            self._warnings.append(
                f"stopped while starting: {ready} of {self._requested} workers were ready"
            )

    def _stopped(self, t0: float) -> float:
        self._t_end = time.monotonic()
        self._backend = None
        self.state = RunState.STOPPED
        return self._t_end - t0

    def _book_terminated(self, names: list[str]) -> None:
        """Book workers that were ended by force (under ``self._lock``)."""
        for name in names:
            item = self.ledger.held.pop(name, None)
            if item is not None:  # it dies with the item: close_books counts it lost
                self.ledger._violate(f"{name} was terminated holding {item_label(item)}")
            else:
                self._warnings.append(f"{name} did not stop in time and was terminated")
            if name in self.metrics.workers:  # it will not say STOPPED itself
                self.metrics.feed([stopped_event(name, NO_ITEM)], [])

    def _moment_cut(self, batch: list[RawEvent]) -> int | None:
        """With ``terminate`` and ``--items`` N: the length of the head of ``batch`` up to
        and including the Nth item's PRODUCED (the terminate's moment), else None."""
        cfg = self.config
        if cfg.shutdown != "terminate" or cfg.items is None:
            return None
        need = cfg.items - self.ledger.produced
        for i, ev in enumerate(batch):
            if ev[1] == K_PRODUCED:
                need -= 1
                if need <= 0:
                    return i + 1
        return None

    def _find_step(self, pending: _PendingStep, batch: list[RawEvent]) -> bool:
        """Book a pending step's event if it is in ``batch`` (under ``self._lock``); True
        if so (the caller then sets ``pending.done``)."""
        who = pending.worker
        for raw in batch:
            if raw[2] == who and raw[1] in _STEP_ENDS:
                ev = pending.event = make(raw)
                self._last_step = (who, step_line(ev))
                self._pending = None
                return True
        return False

    def _mark_ready(self, t: float) -> None:
        """Every initial worker is ready: start the clock at ``t`` (under ``self._lock``;
        the caller then opens the gate with :meth:`_open_gate_if_ready`)."""
        self._t0 = t
        self._startup_ms = (t - self._t_start) * 1000.0
        self.metrics.restart(t)
        self.ready.set()

    def _open_gate_if_ready(self) -> None:
        """Once the clock started, let the held initial workers begin (outside
        ``self._lock``: a backend may wait for its own lock to wake its workers)."""
        backend = self._gated
        if backend is not None and self.ready.is_set():
            self._gated = None
            backend.open_gate()

    # ---- bookkeeping -------------------------------------------------------------
    def _cpu_rate(self, config: SimulationConfig) -> float:
        """The calibrated speed of the CPU kernel for ``config.work == "cpu"`` (measured
        once per run, the first time it is needed), else 0.0 (sleep)."""
        if config.work != "cpu":
            return 0.0
        if not self._calibration:
            self._calibration = calibrate()
        return self._calibration

    def _sample_cpu(self, backend: Backend | None, now: float) -> None:
        """Read the workers' CPU clocks (after the clock started): the first reading of
        each is its baseline, so interpreter start-up does not count."""
        if backend is None or not self.ready.is_set():
            return
        self._cpu_sampled = now
        per, total = backend.cpu_seconds()
        with self._lock:
            books = self._cpu
            for name, cpu in per.items():
                b = books.get(name)
                if b is None:
                    books[name] = [cpu, now, cpu, now]
                else:
                    b[2], b[3] = cpu, now
            if total is not None:
                if self._cpu_total is None:
                    self._cpu_total = [total, now, total, now]
                else:
                    self._cpu_total[2:] = [total, now]

    def _cpu_views(self) -> tuple[float | None, dict[str, dict[str, float | None]]]:
        """(cpu percent of the whole run, each role's shares) from the readings (under
        ``self._lock``)."""
        tot = self._cpu_total
        percent = None
        if tot is not None and tot[3] > tot[1]:
            percent = 100.0 * (tot[2] - tot[0]) / (tot[3] - tot[1])
        roles: dict[str, dict[str, float | None]] = {}
        now = self._t_end if self._t_end is not None else time.monotonic()
        for role in ROLES:
            cpu = wall = 0.0
            for name, (c0, t0, c1, t1) in self._cpu.items():
                if role_of(name) is role:
                    cpu += c1 - c0
                    wall += t1 - t0
            roles[str(role)] = {
                "cpu_share": round(cpu / wall, 4) if wall > 0 else None,
                "meant_share": round(self.metrics.meant_fraction(role, now), 4),
            }
        return percent, roles

    def _worker_cpu(self, views: tuple[WorkerView, ...]) -> tuple[WorkerView, ...]:
        """``views`` with each measurable worker's CPU share (under ``self._lock``)."""
        books = self._cpu
        out = []
        for v in views:
            b = books.get(v.name)
            if b is not None and b[3] > b[1]:
                v = dataclasses.replace(v, cpu_share=(b[2] - b[0]) / (b[3] - b[1]))
            out.append(v)
        return tuple(out)

    def _booking_loop(self) -> None:
        period = BOOKING_PERIOD_S
        while not self._booking_stop.wait(period):
            self._throttle()
            self._book_once()
            backend = self._backend
            if backend is not None and getattr(backend, "failure", None) is not None:
                self.broken.set()
            self._passes += 1
            now = time.monotonic()
            if now - self._cpu_sampled >= CPU_SAMPLE_S:
                self._sample_cpu(self._backend, now)
            self._check_deadlock()
            if self.after_booking is not None:
                self.after_booking()
            # a backlog left (a batch's worth or more): the next pass at once
            period = 0.0 if len(self._inbox) >= BOOKING_BATCH else BOOKING_PERIOD_S

    def _throttle_warning(self) -> tuple[str, ...]:
        """What the throttle did, said (the workers stood still while it held them)."""
        n = self._throttles
        if not n:
            return ()
        return (
            f"the workers waited {n} time{'s' if n > 1 else ''} for the books to catch up "
            f"(over {INBOX_HIGH:,} events behind): at these speeds the bookkeeping sets "
            "the pace",
        )

    def _throttle(self) -> None:
        """Hold the workers while the inbox holds more than :data:`~.base.INBOX_HIGH` events not
        yet booked, and let them go once under :data:`INBOX_LOW` (hysteresis: one hold
        per backlog, not one per pass). Nothing grows without bound, and a snapshot
        never waits behind a pass of millions of events."""
        backend = self._backend
        if backend is None:
            return
        backlog = len(self._inbox)
        if backlog > INBOX_HIGH:
            self._throttles += not backend.throttled
            backend.throttle(True)
        elif backlog < INBOX_LOW and backend.throttled:
            backend.throttle(False)

    def _check_deadlock(self) -> None:
        """A deadlock: every live worker waits (on a full or an empty buffer) and no
        event came for :data:`DEADLOCK_AFTER_S` of running time. Paused or stepping time
        does not count (the quiet period starts again at the resume), nor does the time
        before every initial worker is ready; a finished ``--items`` run is not one.
        An event after it (a false alarm) clears it."""
        now = time.monotonic()
        if self.state != RunState.RUNNING or not self.ready.is_set() or self.finished.is_set():
            self._quiet_since = now
            return
        if self.config.full_policy != "block":  # a dropping producer never waits for good
            self._quiet_since = now
            return
        if self._ending is not None:  # an ending watches its own waits (a stuck join)
            self._quiet_since = now
            return
        if self._deadlock or now - self._quiet_since < DEADLOCK_AFTER_S:
            return
        with self._lock:
            workers = list(self.metrics.workers.values())
            wait_on = self._wait_on
            waits = tuple((w.name, wait_on.get(w.state, "")) for w in workers)
            if not waits or not all(on for _, on in waits):
                return
            self._deadlock, self._waits = True, waits
        self.deadlocked.set()

    def _book_once(self) -> None:
        """Book what the workers appended since the last pass (at most
        :data:`BOOKING_BATCH` events: the books' lock is never held for long), then hand
        it on."""
        inbox = self._inbox
        n = min(len(inbox), BOOKING_BATCH)
        if not n:
            return
        pop = inbox.popleft
        batch = [pop() for _ in range(n)]
        self._quiet_since = time.monotonic()
        with self._lock:
            if self._deadlock and not self._stopping:  # something moved after all
                self._deadlock, self._waits = False, ()
                self.deadlocked.clear()
            if self._inside_state is not None:
                _book_inside(self._inside_state, batch)
            if self._after is not None:  # after a terminate's moment: sorted at the stop
                self._after.extend(batch)
                latencies: list[float] = []
            else:
                cut = self._moment_cut(batch)
                if cut is None:
                    latencies = self.ledger.feed(batch)
                else:  # the Nth item's PRODUCED: the terminate's moment
                    latencies = self.ledger.feed(batch[:cut])
                    self._moment = batch[cut - 1][0]
                    self._after = batch[cut:]
            self.metrics.feed(batch, latencies)
            awaiting = self._awaiting
            if awaiting:  # only while starting: who has reported ready (or failed)?
                for ev in batch:
                    if ev[1] in (K_STARTED, K_ERROR):
                        awaiting.discard(ev[2])
                if not awaiting:
                    self._mark_ready(time.monotonic())
            limit = self.config.items
            # with an ending chosen, it starts once the Nth item is produced; without,
            # the run ends once the Nth is consumed (today's item limit)
            if limit is not None and (
                (self.ledger.produced >= limit or self._after is not None)
                if self.config.shutdown
                else self.ledger.consumed >= limit
            ):
                self.finished.set()
            pending = self._pending
            stepped = pending is not None and self._find_step(pending, batch)
        if self._gated is not None:
            self._open_gate_if_ready()
        for ch in self._channels:
            ch.push(batch)
        if stepped:  # after the push: whoever stepped finds the event in its channel
            assert pending is not None
            pending.done.set()

    # ---- observing ---------------------------------------------------------------
    @property
    def started_at(self) -> float:
        """``time.monotonic()`` of the current run's clock start: the moment every worker
        was ready (until then, that of ``start()``). Events are stamped the same way."""
        return self._t0

    @property
    def elapsed(self) -> float:
        """Seconds on the run's clock: 0 while the workers are starting."""
        if not self.ready.is_set():
            return 0.0
        end = self._t_end if self._t_end is not None else time.monotonic()
        return max(0.0, end - self._t0)

    def _slots(self) -> tuple[int, ...] | None:
        """The real slots (see :attr:`Snapshot.slots`): read now while running, those at
        the stop after it."""
        backend = self._backend
        if backend is None:
            return self._final_slots
        slots = backend.slots()
        return None if slots is None else tuple(slots)

    def _stopped_cards(self, now: float) -> tuple[WorkerView, ...]:
        """After a stop, the run's own last workers as stopped, each with its count, so
        the cards still say how much each one did (under ``self._lock``; joined workers
        are in the report's ``joined``)."""
        if self.state != RunState.STOPPED:
            return ()
        names = self._names[Role.PRODUCER] + self._names[Role.CONSUMER]
        return self.metrics.stopped_views(names, now)

    def snapshot(self) -> Snapshot:
        with self._lock:
            led, met = self.ledger, self.metrics
            now = self._t_end if self._t_end is not None else time.monotonic()
            p_rate, c_rate = met.rates(now)
            requested = self._requested
            cpu_percent, role_cpu = self._cpu_views()
            pills = self._pills_in_buffer()
            occupancy = led.in_buffer + pills
            return Snapshot(
                state=self.state,
                config=self.config,
                capacity=met.capacity,
                backend=self._run_backend,
                elapsed=max(0.0, now - self._t0) if self.ready.is_set() else 0.0,
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
                occupancy=occupancy,
                max_occupancy=max(met.max_occupancy, occupancy),
                mean_occupancy=met.mean_occupancy(now),
                latency_ms=met.latency_ms(),
                producer_blocked=met.blocked_fraction(Role.PRODUCER, now),
                consumer_blocked=met.blocked_fraction(Role.CONSUMER, now),
                waits_full=met.waits_full,
                waits_empty=met.waits_empty,
                workers=self._worker_cpu(
                    met.worker_views(now, getattr(self._backend, "hosts", None))
                )
                + self._stopped_cards(now),
                buffer=tuple(led.in_buffer_ids),
                slots=self._slots(),
                warnings=tuple(self._warnings) + self._throttle_warning(),
                failure=self._failure,
                joined=self._joined,
                startup_ms=self._startup_ms,
                starting=(requested - len(self._awaiting), requested),
                started_at=self._t0,
                mean_latency_ms=met.mean_latency_ms(),
                last_step=self._last_step,
                buffer_kind=self._run_buffer,
                deadlock=self._deadlock,
                waits=self._waits,
                inside=_shown_inside(self._inside_state),
                where=None if self._inside_state is None else dict(self._inside_state["where"]),
                violation_count=led.violation_count,
                rejected=led.rejected,
                overwritten=led.overwritten,
                dropped_rate=met.dropped_rate(now),
                rejected_ids=tuple(led.rejected_ids),
                overwritten_ids=tuple(led.overwritten_ids),
                calibration=(
                    {"iterations_per_ms": round(self._calibration / 1000.0, 1)}
                    if self.config.work == "cpu" and self._calibration
                    else None
                ),
                gil_enabled=gil_enabled(),
                cpu_percent=cpu_percent,
                role_cpu=role_cpu,
                ending=self._ending,
                unfinished_tasks=led.unfinished_tasks,
                join_waits_for=(
                    tuple(led.join_waits_for())
                    if self._joining or self._stuck_join is not None
                    else ()
                ),
                discarded=led.discarded,
                discarded_ids=tuple(led.discarded_ids),
                stuck_join=self._stuck_join,
                pills_waiting=self._pills_waiting(),
                pills_in_buffer=pills,
            )

    def _pills_in_buffer(self) -> int:
        """:attr:`Snapshot.pills_in_buffer` (under ``self._lock``): the pills among the
        ids the books hold in the buffer."""
        return sum(1 for i in self.ledger.in_buffer_ids if is_pill(i))

    def _buffer_count(self) -> int:
        """What the buffer holds by the books (under ``self._lock``): items and the poison
        pills among them, as :attr:`Snapshot.occupancy` counts it."""
        return self.ledger.in_buffer + self._pills_in_buffer()

    def _pills_waiting(self) -> int:
        """:attr:`Snapshot.pills_waiting` (under ``self._lock``): counted from the PUT
        events the books already hold, so a pill leaves this count on the same frame it
        appears in the buffer, on every backend alike."""
        if self._pills_due == 0 or self._stopping or self.state == RunState.STOPPED:
            return 0
        return max(0, self._pills_due - self.ledger.pills_put)


def _shown_inside(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """:attr:`Snapshot.inside`: the primitives' state (a copy), without ``where``."""
    if state is None:
        return None
    return copy.deepcopy({k: v for k, v in state.items() if k != "where"})


def _book_inside(state: dict[str, Any], batch: list[RawEvent]) -> None:
    """Update the primitives' state (:attr:`Snapshot.inside`) from a batch's inside
    events (and STOPPED: a worker that left waits on nothing), and where each worker is
    (``state["where"]``: its last ordinary kind, and the last kind and value that moved
    it; see :attr:`Snapshot.where`)."""
    conditions, semaphores = state["conditions"], state["semaphores"]
    lock = state["lock"] or {"holder": None, "waiting": []}  # None: a buffer with no lock
    where: dict[str, tuple[int, int, str]] = state["where"]
    for _t, k, w, _item, size, value in batch:
        if k == K_STOPPED:
            where.pop(w, None)
        elif k not in MARKER_STAYS:
            if is_inside(k):
                last = where.get(w)
                where[w] = (last[0] if last else k, k, str(value))
            else:
                where[w] = (k, k, "")
        if not K_INSIDE <= k <= K_INSIDE_END and k != K_STOPPED:
            continue
        if k == K_LOCK_WAIT:
            if w not in lock["waiting"]:
                lock["waiting"].append(w)
        elif k == K_LOCK_HELD:
            lock["holder"] = w
            if w in lock["waiting"]:
                lock["waiting"].remove(w)
        elif k == K_LOCK_FREE:
            if lock["holder"] == w:
                lock["holder"] = None
        elif k == K_COND_WAIT:
            waiters = conditions.setdefault(str(value), [])
            if w not in waiters:
                waiters.append(w)
        elif k == K_COND_WOKE:
            waiters = conditions.get(str(value))
            if waiters and w in waiters:
                waiters.remove(w)
        elif k in (K_SEM_WAIT, K_SEM_TAKE, K_SEM_GIVE):
            semaphores[str(value)] = size
        elif k == K_TASKS:
            state["unfinished_tasks"] = size
        elif k == K_STOPPED:
            if lock["holder"] == w:
                lock["holder"] = None
            for waiters in (lock["waiting"], *conditions.values()):
                if w in waiters:
                    waiters.remove(w)
