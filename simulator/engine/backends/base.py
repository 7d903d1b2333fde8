"""The backend contract, and the worker loops that threads and processes share.

A backend runs real workers around a real bounded queue and reports every step as an
:class:`~simulator.engine.events.Event` through ``emit``. The producer and consumer loops
below are written once against :class:`WorkerRuntime`, the few primitives that differ
between a thread and a process (how to wait, how to put and get, how to flush events);
the asyncio backend has the same loops as coroutines.

**Holding.** Pause and the start gate are one mechanism: while a backend is *held*
(:attr:`Backend.held`: paused, or its initial workers are not all ready yet) every worker
stops at its next step and books no event at all, so the picture keeps the moment: a
producer blocked on a full buffer stays blocked holding its item, a consumer keeps the
item it is consuming. The hold points, the same on every backend:

* before each step that emits an event (the top of the loop, before PRODUCED, before
  the put, between a consumer's GOT and its SLEEP, before CONSUMED): one cheap flag test
  (:meth:`WorkerRuntime.attention`);
* inside a sleep: the sleep is suspended and its remaining time kept (:func:`work`);
* inside a blocked put or get: the queue's wait also waits while held, so the put or
  get does not complete even if room or an item appears; releasing wakes the waiters.

**Stepping.** While paused, :meth:`Backend.step` *grants* one worker its next move: the
granted worker passes hold points (and the buffer's held checks, see
``BoundedBuffer.holds``) until it is about to write its next ordinary event; that hold
point (or the buffer, for a put or get) *spends* the grant, so the worker writes exactly
that one event and holds again at its next hold point. There is a hold point between any
two ordinary events of one worker (between GOT and a consumer's SLEEP too). A step that
ends at a SLEEP leaves the sleep suspended (a plain short sleep is simply slept out); the
worker's next step sleeps what is left for real, then writes PRODUCED or CONSUMED.

Stop ends every hold at once. A retired worker leaves a hold only where it holds nothing
(before its next item, or waiting on an empty buffer); otherwise it leaves after its
item, once the hold ends.

**Live sleep changes.** :meth:`Backend.set_sleep` bumps the role's *sleep generation* and
wakes that role's sleepers; a sleeper that sees the generation change redraws its sleep
from the new range, counting what it already slept (:func:`work`).

**Short sleeps are plain.** A sleep shorter than :data:`PLAIN_SLEEP_S` (50 ms) is a plain
``time.sleep`` (:meth:`WorkerRuntime.nap`), exactly what the bare pattern does: an
interruptible wait (an ``Event``/``Condition`` wait, a semaphore with a timeout) costs
more per call and wakes later (threads at sleeps of 0-0.2 ms: 0.81 of the bare
pattern's rate with it, 0.86 without; processes 0.44 and 0.56). Such a sleep is not
suspended, redrawn or cut short: a pause, a stop or a new sleep range takes effect when
it ends, at the next hold point (within 50 ms). Longer sleeps stay interruptible as
described above.
"""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from simulator.engine.backends.slot_books import SlotBooks
from simulator.engine.config import SimulationConfig
from simulator.engine.cpu import CHUNK_S, spin
from simulator.engine.events import (
    ITEM_SHIFT,
    NO_ITEM,
    RawEvent,
    consumed_event,
    error_event,
    is_pill,
    produced_event,
    sleep_event,
    started_event,
    stopped_event,
)
from simulator.engine.workers import ROLES, Role

Emit = Callable[[RawEvent], None]  # takes a raw event (see events.py)


class Closed(Exception):
    """Raised by a worker's put or get when the buffer was closed (the run stops), or
    the waiting worker was retired, while it waited: the loops below end quietly on it."""


def worker_rng(seed: int | None, name: str) -> random.Random:
    """Each worker draws its sleeps from its own stream: reproducible with a seed."""
    return random.Random(f"{seed}:{name}") if seed is not None else random.Random()


#: the most events the workers may be ahead of the books: past it they hold until the
#: books are back under :data:`INBOX_LOW` (a hard bound on asyncio, whose loop checks it
#: before every item; on threads and processes the bookkeeper's hold, which the inbox can
#: overshoot by what the workers write before the hold reaches them: ~2x seen). Without
#: it the asyncio backend with the Inside view at zero sleeps wrote millions of events a
#: second, the inbox grew to tens of millions and one booking pass held the books' lock
#: for seconds (it looked like a stall after a resume)
INBOX_HIGH = 20_000
INBOX_LOW = 2_000


class Backend(ABC):
    """Runs the workers. The :class:`~simulator.engine.simulation.Simulation` names them.

    ``exact_order`` says whether events arrive in exactly the order the queue saw them
    (true for threads and asyncio, whose put/got events are written under the queue's
    own serialisation; false for processes, whose events travel through pipes).

    A backend starts *gated*: its workers report STARTED and then hold (see the module's
    notes) until :meth:`open_gate`, which the simulation calls once every initial worker
    is ready, so they all begin together when the run's clock starts.
    """

    exact_order = True
    #: record the "inside" events (locks, conditions, semaphores, unfinished tasks):
    #: set by the simulation before :meth:`start`; backends without them ignore it
    inside = False

    def __init__(self, config: SimulationConfig, emit: Emit) -> None:
        self.config = config
        self.emit = emit
        self.sleeps: dict[Role, tuple[float, float]] = {
            role: config.effective_sleep(role) for role in ROLES
        }
        #: the full policy and the timeout of ``timeout`` (live: each put reads them)
        self.full_policy: str = config.full_policy
        self.put_timeout: float = config.put_timeout
        #: workers :meth:`stop` had to end by force (they did not stop in time); the
        #: engine's books tell whether each held an item (lost) or not (a warning)
        self.terminated: list[str] = []
        self.paused = False  #: the user paused the run
        self.gated = True  #: the start gate is closed (until :meth:`open_gate`)
        #: the books are too far behind the workers (see :meth:`throttle`)
        self.throttled = False
        #: how many events wait to be booked (the engine sets it to its inbox's length)
        self.backlog: Callable[[], int] = lambda: 0
        self._hold_lock = threading.Lock()  # pause, resume and open_gate may race
        #: iterations of :func:`~simulator.engine.cpu.spin` per second when the work is
        #: CPU (``config.work == "cpu"``), else 0.0: what the workers read; set by
        #: :meth:`set_work`
        self.cpu_rate = 0.0

    @property
    def held(self) -> bool:
        """True while workers must hold at their next step: paused, or still gated."""
        return self.paused or self.gated or self.throttled

    @abstractmethod
    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        """Start ``(role, name, number)`` workers around a new, empty buffer. They hold
        after their STARTED event while :attr:`held` (the gate is closed at first)."""

    @abstractmethod
    def add(self, role: Role, name: str, number: int) -> None:
        """Start one more worker (it holds too while :attr:`held`)."""

    @abstractmethod
    def retire(self, name: str) -> None:
        """Ask a worker to leave after its current item (it loses nothing)."""

    def set_sleep(self, role: Role, lo: float, hi: float) -> None:
        """Use ``(lo, hi)`` for ``role``'s sleeps from now on, including the sleeps in
        progress: each is redrawn from the new range (see :func:`work`)."""
        self.sleeps[role] = (lo, hi)
        self._sleep_changed(role)

    def set_policy(self, policy: str, timeout: float) -> None:
        """Use ``policy`` (and ``timeout`` for ``timeout``) from the next put on; a put
        already waiting keeps the policy it began with."""
        self.full_policy, self.put_timeout = policy, timeout
        self._policy_changed()

    def _policy_changed(self) -> None:  # noqa: B027 (threads, asyncio: nothing to do)
        """Pass the new policy on to where the workers read it (processes: shared)."""

    def set_work(self, rate: float) -> None:
        """From each worker's next working time on, compute ``rate`` iterations per
        second of work (``work = "cpu"``), or sleep (``rate`` 0.0). Called before
        :meth:`start` too. A working time in progress finishes as it began."""
        self.cpu_rate = rate

    def slots(self) -> list[int] | None:
        """The real buffer's slots, oldest first (``-1`` for one its count claims and
        nothing fills), where they can differ from the books' buffer: a buffer with the
        ``no-lock`` bug, where two puts into one slot leave one item for two; None
        otherwise (the books' buffer is the truth)."""
        if self.config.bug != "no-lock":
            return None
        buf = getattr(self, "buffer", None) or getattr(self, "queue", None)
        return buf.ring() if isinstance(buf, SlotBooks) else None

    def cpu_seconds(self) -> tuple[dict[str, float], float | None]:
        """CPU seconds used so far: per live worker (those that can be measured), and by
        the backend's workers together (None if not measurable). See
        :mod:`~simulator.engine.cpu`."""
        return {}, None

    @abstractmethod
    def _sleep_changed(self, role: Role) -> None:
        """Bump ``role``'s sleep generation, then wake its sleepers so they redraw."""

    def pause(self) -> None:
        """Hold every worker at its next step (see the module's notes); idempotent."""
        with self._hold_lock:
            self.paused = True
            self._set_hold(True)

    def resume(self) -> None:
        """End a pause; the workers go on exactly where they held (unless still gated)."""
        with self._hold_lock:
            self.paused = False
            self._set_hold(self.held)

    def open_gate(self) -> None:
        """Let the initial workers begin (unless paused meanwhile: then on resume)."""
        with self._hold_lock:
            self.gated = False
            self._set_hold(self.held)

    def throttle(self, on: bool) -> None:
        """Hold every worker at its next step while ``on``: the engine's books have fallen
        too far behind the events (at zero sleeps a worker can write events faster than
        they are booked). The same hold as pause, so nothing is lost and nothing moves
        until the books catch up; the run's clock goes on, so throughput says so."""
        with self._hold_lock:
            was = self.held
            self.throttled = on
            if self.held != was:  # (re-applying a hold would drop a step's grant)
                self._set_hold(self.held)

    @abstractmethod
    def _set_hold(self, held: bool) -> None:
        """Make the workers hold (``True``) or go on (``False``); called under a lock, and
        may be called before :meth:`start` (then only remember it)."""

    #: whether :meth:`step` works on this backend (not on processes)
    can_step = True

    def step(self, name: str) -> bool:
        """While held, let worker ``name`` make exactly its next move (see the module's
        notes); False if there is no such worker."""
        raise NotImplementedError("single-step is not available on this backend")

    def settled(self) -> bool:
        """True once every worker is at a hold point or waiting in the buffer: while held,
        nothing more will happen until a step or a resume."""
        return True

    def can_move(self, name: str) -> bool:
        """While settled: False if worker ``name``, waiting in the buffer, cannot finish
        its wait even if granted a step (a semaphore buffer hands a freed slot to one
        waiter: the others stay blocked). The books alone cannot tell."""
        return True

    def mid_move(self, name: str) -> bool:
        """While settled: True if worker ``name`` holds in the middle of a move (the
        no-lock bug's race window: an index read and not yet written back), so it can
        always go on, whatever the books say about the buffer."""
        return False

    @abstractmethod
    def stop(self, timeout: float = 1.0) -> int:
        """Interrupt every wait, sleep and hold, join every worker; return how many items
        the real queue still held."""

    # ---- the endings (see Simulation.stop): what the main thread of the classic
    # program does once its producers are done
    def put_pills(self, count: int) -> None:
        """Put ``count`` poison pills (:func:`~simulator.engine.events.pill_id` 1, 2, ...)
        through the buffer as the main thread (:data:`~simulator.engine.events.MAIN`),
        each a real put that waits for room; returns once they are all in (or the buffer
        closed)."""
        raise NotImplementedError

    def start_join(self) -> threading.Event:
        """Call the buffer's own ``join()`` (off the caller's thread) and return an event
        set when it returns: once every item put has been marked ``task_done``."""
        raise NotImplementedError

    def release_join(self) -> None:  # noqa: B027 (a backend without a stuck join)
        """After :meth:`stop`: end a ``join()`` that can never return (items never marked
        done), so no thread of pcsim is left waiting in it."""

    def terminate(self) -> int:
        """Stop every worker where it stands, items and all (processes:
        ``Process.terminate()``; threads and asyncio: every worker interrupted at once,
        mid-item), join them; return how many items the real queue still held. Call it
        while held, so that nobody is half-way through a put or get."""
        return self.stop()


class WorkerRuntime(Protocol):
    name: str
    number: int
    role: Role

    def emit(self, ev: RawEvent, /) -> None:
        """Report ``ev`` (a thread appends it to the engine's inbox, a child batches it)."""
        ...

    def uniform(self, lo: float, hi: float, /) -> float:
        """A sleep drawn from this worker's own random stream."""
        ...

    def attention(self) -> bool:
        """True if held, stopping or retiring: any reason to look closer (one cheap test
        per step)."""
        ...

    def held(self) -> bool:
        """True while the backend is held (paused or gated) and no step is granted to this
        worker."""
        ...

    def hold(self, holding: bool = False, spend: bool = False, /) -> None:
        """Wait while held. Returns early on stop, and on retire unless ``holding`` (the
        worker holds an item and must not leave with it). Returns at once if a step is
        granted to this worker; with ``spend`` (the worker's next action writes an
        event) that uses the grant up."""
        ...

    def exiting(self) -> bool:
        """Stopping or retired."""
        ...

    def stopping(self) -> bool: ...
    def retiring(self) -> bool: ...

    def sleep_range(self) -> tuple[float, float]: ...

    def sleep_generation(self) -> int:
        """A number that changes whenever this worker's role gets a new sleep range."""
        ...

    def sleep(self, seconds: float, /) -> bool:
        """Sleep ``seconds``; True if woken early (stop, retire, hold, new sleep range)."""
        ...

    def nap(self, seconds: float, /) -> None:
        """Sleep ``seconds`` (less than :data:`PLAIN_SLEEP_S`) plainly, uninterruptibly."""
        ...

    def cpu_rate(self) -> float:
        """0.0 while the working time is slept (``work = "sleep"``); with ``work =
        "cpu"``, the calibrated iterations of :func:`~simulator.engine.cpu.spin` per
        second, so that ``d`` seconds of work is ``d × rate`` iterations."""
        ...

    def flush(self) -> None:
        """Send the events written so far on their way (a child batches them)."""
        ...

    def ticket(self) -> bool: ...

    def put(self, item: int, /) -> None:
        """Put ``item`` as the full policy says: waiting while the buffer is full *or*
        held (``block``; ``timeout`` up to the put timeout, then REJECTED), REJECTED at
        once when full (``drop-newest``), or OVERWRITTEN the oldest (``drop-oldest``);
        never completing while held; :class:`Closed` on stop."""
        ...

    def get(self) -> int:
        """Take the oldest item, waiting while the buffer is empty or held; :class:`Closed`
        on stop or retire."""
        ...

    def task_done(self) -> None: ...
    def finish(self) -> None: ...

    #: ``--bug missing-task-done``: the consumer never calls :meth:`task_done`
    skip_task_done: bool


_now = time.monotonic
#: sleeps shorter than this are plain ``time.sleep`` (see the module's notes): a pause, a
#: stop or a new sleep range acts when they end, so within this long
PLAIN_SLEEP_S = 0.05


def wake_role(workers: Iterable[ThreadWorkerFlags], role: Role) -> None:
    """Cut short the sleep of every worker thread of ``role`` (a new sleep range: each
    draws again at once, counting what it already slept)."""
    for w in list(workers):
        if w.role is role:
            w.wake.set()


class ThreadWorkerFlags:
    """The part of a :class:`WorkerRuntime` that a worker *thread* reads from the object
    that steers it (``owner``: the threads backend, or a redis :class:`WorkerPool`): its
    attention, stopping, sleeps and CPU rate, shared by every thread it runs. The owner
    has ``attention``, ``stopping``, ``sleeps``, ``sleep_gen`` and ``cpu_rate``."""

    owner: Any
    role: Role
    is_retiring: bool
    wake: threading.Event  #: cuts a sleep short
    go: threading.Event  #: ends a hold

    def retire(self) -> None:
        """Leave after the item in hand: out of every sleep and hold at once, to see it."""
        self.is_retiring = True
        self.wake.set()
        self.go.set()

    def attention(self) -> bool:
        return self.owner.attention or self.is_retiring

    def exiting(self) -> bool:
        return self.is_retiring or self.owner.stopping

    def stopping(self) -> bool:
        return bool(self.owner.stopping)

    def retiring(self) -> bool:
        return self.is_retiring

    def sleep_range(self) -> tuple[float, float]:
        return self.owner.sleeps[self.role]  # type: ignore[no-any-return]

    def sleep_generation(self) -> int:
        return self.owner.sleep_gen[self.role]  # type: ignore[no-any-return]

    def cpu_rate(self) -> float:
        return float(self.owner.cpu_rate)


def work(rt: WorkerRuntime, held: int) -> bool:
    """Sleep the worker's working time: a producer's production time (``held`` is
    :data:`NO_ITEM`) or a consumer's consumption of ``held``. Returns True if the worker
    must leave now: on stop, or a producer on retire (it holds nothing yet); a consumer
    that is retired finishes its item first.

    The sleep can be interrupted and goes on where it was: while held it is suspended
    (the time held does not count as slept); when the role's sleep range changes it is
    redrawn from the new range, ``d'``, and lasts ``max(0, d' - slept)`` more, announced
    by a new SLEEP event of ``d'``. Nothing is emitted while held. A sleep shorter than
    :data:`PLAIN_SLEEP_S` is plain and whole (the caller's next hold point holds, stops
    or retires it).

    With ``work = "cpu"`` the time is computed instead (:func:`compute`).
    """
    rate = rt.cpu_rate()
    if rate > 0.0:
        return compute(rt, held, rate)
    lo, hi = rt.sleep_range()
    if hi < PLAIN_SLEEP_S:  # the usual case at high rates: one plain sleep, nothing else
        d = rt.uniform(lo, hi)
        rt.emit(sleep_event(rt.name, held, d))
        rt.nap(d)
        return False
    gen = rt.sleep_generation()  # before the range: a change in between only redraws
    lo, hi = rt.sleep_range()
    d = rt.uniform(lo, hi)
    rt.emit(sleep_event(rt.name, held, d))
    if d < PLAIN_SLEEP_S:
        rt.nap(d)
        return False
    slept = 0.0
    producer = held == NO_ITEM
    while True:
        if rt.held():  # suspended (also right after a step that ended at the SLEEP)
            rt.hold(not producer, rt.sleep_generation() != gen)  # a redraw is an event
            if rt.stopping() or (producer and rt.retiring()):
                return True
        g = rt.sleep_generation()
        if g != gen:
            gen = g
            lo, hi = rt.sleep_range()
            d = rt.uniform(lo, hi)
            rt.emit(sleep_event(rt.name, held, d))
        if slept >= d:
            return False
        t0 = _now()
        if not rt.sleep(d - slept):
            return False  # slept it all
        slept += _now() - t0
        if rt.stopping() or (producer and rt.retiring()):
            return True


def compute(rt: WorkerRuntime, held: int, rate: float) -> bool:
    """:func:`work` with ``work = "cpu"``: the drawn time ``d`` is ``d × rate``
    iterations of :func:`~simulator.engine.cpu.spin`, computed in chunks of
    :data:`~simulator.engine.cpu.CHUNK_S` of work. After each chunk the worker looks
    whether it must hold, stop, leave or redraw, so a pause or a stop acts within about
    a millisecond of work (longer in wall time when the GIL is busy elsewhere). Held, the
    work done so far is kept; a redraw counts it against the new ``d'``. Same return as
    :func:`work`."""
    lo, hi = rt.sleep_range()
    gen = rt.sleep_generation()
    d = rt.uniform(lo, hi)
    rt.emit(sleep_event(rt.name, held, d))
    if d >= 0.005:
        rt.flush()  # a child: the picture shows the item being worked on
    chunk = max(1, int(rate * CHUNK_S))
    done = 0  # iterations computed
    total = int(d * rate)
    producer = held == NO_ITEM
    attention, sleep_generation = rt.attention, rt.sleep_generation
    while True:
        if rt.held():  # suspended (also right after a step that ended at the SLEEP)
            rt.hold(not producer, sleep_generation() != gen)  # a redraw is an event
            if rt.stopping() or (producer and rt.retiring()):
                return True
        g = sleep_generation()
        if g != gen:
            gen = g
            lo, hi = rt.sleep_range()
            d = rt.uniform(lo, hi)
            total = int(d * rate)
            rt.emit(sleep_event(rt.name, held, d))
        while done < total:
            n = min(chunk, total - done)
            spin(n)
            done += n
            if sleep_generation() != gen:
                break
            if attention() and (rt.held() or rt.stopping() or (producer and rt.retiring())):
                break
        if done >= total:
            return False
        if rt.stopping() or (producer and rt.retiring()):
            return True


def run_producer(rt: WorkerRuntime) -> None:
    """Make an item (the sleep), put it (waiting while the buffer is full); until told to
    go. Holds at every step while the backend is held (see the module's notes)."""
    name, emit, attention = rt.name, rt.emit, rt.attention
    base = rt.number << ITEM_SHIFT
    seq = 0
    held = -1
    emit(started_event(name))
    try:
        while True:
            if attention():  # hold point: before the next item (it holds nothing); a
                # step spends its grant here if the SLEEP comes next
                rt.hold(False, rt.sleep_range()[1] > 0.0)
                if rt.exiting():
                    break
            if rt.sleep_range()[1] > 0.0 and work(rt, NO_ITEM):
                break  # stopped or retired while making it
            if attention():  # hold point: before PRODUCED
                rt.hold(False, True)
                if rt.exiting():
                    break
            if not rt.ticket():
                break  # the item limit is reached
            seq += 1
            held = base | seq
            emit(produced_event(name, held))
            if attention():  # hold point: before the put (it holds the item; a step's
                # grant is spent by the buffer, on PUT or PUT_WAIT)
                rt.hold(True)
                if rt.stopping():
                    break
            rt.put(held)
            held = -1
    except Closed:
        pass
    except Exception as exc:  # report, never vanish silently
        emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
    finally:
        emit(stopped_event(name, held))
        rt.finish()


def run_consumer(rt: WorkerRuntime) -> None:
    """Take an item (waiting while the buffer is empty), consume it (the sleep), finish
    it. Holds at every step while the backend is held (see the module's notes). Ends on
    a poison pill, which it marks done as it leaves (it was put: a join waits for it);
    with ``--bug missing-task-done`` it skips marking its items done (the CONSUMED event
    says so)."""
    name, emit, attention = rt.name, rt.emit, rt.attention
    skip = rt.skip_task_done
    held = -1
    emit(started_event(name))
    try:
        while True:
            if attention():  # hold point: before taking the next item (a step's grant
                # is spent by the buffer, on GOT or GET_WAIT)
                rt.hold()
                if rt.exiting():
                    break
            held = rt.get()
            if is_pill(held):  # a poison pill (shutdown poison-pill): no more items
                break
            if rt.sleep_range()[1] > 0.0:
                if attention():  # hold point: between GOT and the SLEEP
                    rt.hold(True, True)
                    if rt.stopping():
                        break
                if work(rt, held):
                    break  # stopped mid-item: it is reported as held
            if attention():  # hold point: before CONSUMED (it holds the item)
                rt.hold(True, True)
                if rt.stopping():
                    break
            if skip:  # the bug: join() will wait for this item for ever
                emit(consumed_event(name, held, False))
            else:
                rt.task_done()
                emit(consumed_event(name, held))
            held = -1
    except Closed:
        pass
    except Exception as exc:
        emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
    finally:
        if is_pill(held):  # the pill it took: marked done, as every item put must be
            rt.task_done()
            held = -1
        emit(stopped_event(name, held))
        rt.finish()
