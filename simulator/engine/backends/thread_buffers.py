"""Hand-written bounded buffers for the thread backend: the textbook monitor and the
textbook semaphores, and the classic bugs of the monitor, on purpose.

The ``put`` and ``get`` of these classes are what the Inside view's code panel shows, so
they are written to be read: like CPython's ``Lib/queue.py``, each public method states
its contract, and comments say where a lock's invariant lives. What only the simulator
needs (events, the hold, close, retire) sits in small hooks named ``_sim_*``:

* ``_sim_put_wait`` / ``_sim_get_wait``: called once per turn of a wait loop, before the
  real ``wait()``. They raise :class:`~.base.Closed` when the buffer is closed (the run
  stops) or a waiting consumer is retired, and record PUT_WAIT / GET_WAIT once per put or
  get, when the buffer is seen full / empty while not held;
* ``_sim_put`` / ``_sim_got``: record PUT / GOT with the buffer's count, under the lock,
  so the events keep the buffer's own order (the books check the counts);
* ``_sim_paused(worker)``: true while the simulator holds ``worker`` (the run is paused
  and no single step is granted to it); a wait loop then waits as if full / empty.

**Holding** and **stepping** work as in :class:`~.thread_buffer.BoundedBuffer`: while
:attr:`held` no put or get completes (the wait loops also wait while held) and :meth:`hold`
wakes every waiter when it ends; a worker in :attr:`granted` (a single step) passes
(:meth:`holds`) and spends its grant (:meth:`spend`) on the one event it then writes,
PUT_WAIT / PUT or GET_WAIT / GOT; :meth:`wake_all` lets every waiter re-check after a
grant, and :attr:`waiting` (the workers inside a blocking put or get) tells the backend
they are settled. **Stopping never hangs**: :meth:`close` wakes every condition
waiter; the semaphore buffer's acquires are timed (:data:`POLL_S`) and re-check.

All of them have the interface of ``BoundedBuffer`` (``put_item``, ``get_item``,
``task_done``, ``join``, ``unfinished_tasks``, ``hold``, ``wake_getters``, ``close``,
``snapshot``, ``qsize``) and emit the same events; :func:`buffer_class` picks one from a
config. With ``inside=True`` their primitives are the instrumented ones of :mod:`.inside`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from simulator.engine.backends.base import Closed
from simulator.engine.backends.inside import (
    InsideCondition,
    InsideLock,
    InsideSemaphore,
    current_worker,
)
from simulator.engine.backends.slot_books import SlotBooks, pick_buffer
from simulator.engine.events import (
    NO_ITEM,
    RawEvent,
    tasks_event,
    unlocked_read_event,
)

Emit = Callable[[RawEvent], None]
#: how long a blocked semaphore acquire waits before it re-checks close and retire
POLL_S = 0.05


def _never() -> bool:
    return False


class _SimHooks(SlotBooks):
    """What both hand-written buffers share: the slot ring and the events
    (:class:`~.slot_books.SlotBooks`), the hold, close and retire, and
    ``task_done``/``join``. Subclasses build ``self.mutex`` (the lock every index and
    count lives under) and ``self.all_tasks_done`` on it."""

    mutex: threading.Lock | InsideLock
    all_tasks_done: threading.Condition

    def __init__(self, capacity: int, emit: Emit, held: bool, inside: bool) -> None:
        super().__init__(capacity, emit, inside)
        self.held = held  #: no put or get completes while true (written under the mutex)
        self.closed = False

    def wake_all(self) -> None:
        """Let every waiter re-check (a step was granted to one of them)."""
        with self.mutex:
            self._wake_all()

    def _wake_all(self) -> None:
        raise NotImplementedError

    # ---- the simulator's hooks (called under the mutex) ------------------------------
    def _sim_put_wait(self, item: int, worker: str) -> None:
        if self.closed:
            self.waiting.discard(worker)
            raise Closed
        self.waiting.add(worker)
        if self.count >= self.capacity:
            self._record_wait(worker, item, full=True)

    def _sim_get_wait(self, worker: str, retiring: Callable[[], bool]) -> None:
        if self.closed or retiring():
            self.waiting.discard(worker)
            raise Closed
        self.waiting.add(worker)
        if self.count <= 0:
            self._record_wait(worker, NO_ITEM, full=False)

    # ---- queue.Queue's task accounting -----------------------------------------------
    def task_done(self) -> None:
        """Mark one item taken earlier as finished; when every item put is finished,
        wake whoever waits in :meth:`join`. ValueError if called more often than put."""
        with self.all_tasks_done:
            unfinished = self.unfinished_tasks - 1
            if unfinished < 0:
                raise ValueError("task_done() called too many times")
            self.unfinished_tasks = unfinished
            if self.inside:
                who = current_worker()
                if who is not None:
                    self._emit(tasks_event(who, unfinished))
            if unfinished == 0:
                self.all_tasks_done.notify_all()

    def join(self) -> None:
        """Block until every item put has been marked finished with :meth:`task_done`."""
        with self.all_tasks_done:
            while self.unfinished_tasks:
                self.all_tasks_done.wait()

    def qsize(self) -> int:
        """How many items the buffer holds (a moment's answer)."""
        with self.mutex:
            return self.count

    def snapshot(self) -> list[int]:
        """The items in the buffer, oldest first."""
        with self.mutex:
            n = max(0, min(self.count, self.capacity))
            return [self.slots[(self.head + i) % self.capacity] for i in range(n)]

    # the names the thread backend calls (those of BoundedBuffer)
    def put_item(self, item: int, worker: str) -> None:
        self.put(item, worker)

    def get_item(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        return self.get(worker, retiring)

    def put(self, item: int, worker: str) -> None:
        raise NotImplementedError

    def get(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        raise NotImplementedError


class ConditionBuffer(_SimHooks):
    """A bounded FIFO buffer: a fixed array of ``capacity`` slots used as a ring, one lock
    and two conditions on it (the monitor of every textbook).

    Invariant, true whenever nobody holds ``mutex``: ``count`` items sit in the slots
    ``head``, ``head + 1``, ... (modulo ``capacity``), and ``tail == (head + count) %
    capacity``. Every read or write of ``slots``, ``head``, ``tail`` and ``count`` is done
    holding ``mutex``; ``wait()`` lets it go while asleep and takes it back before
    returning, so a waiter must check its condition again (hence ``while``, not ``if``).
    """

    def __init__(self, capacity: int, emit: Emit, held: bool = False, inside: bool = False):
        super().__init__(capacity, emit, held, inside)
        self.not_full: threading.Condition
        self.not_empty: threading.Condition
        if inside:
            self.mutex = InsideLock(emit, "mutex")
            self.not_full = InsideCondition(self.mutex, emit, "not_full")
            self.not_empty = InsideCondition(self.mutex, emit, "not_empty")
            self.all_tasks_done = InsideCondition(self.mutex, emit, "all_tasks_done")
        else:
            self.mutex = threading.Lock()
            # both conditions share the one lock: a put and a get exclude each other
            self.not_full = threading.Condition(self.mutex)  # notified when a slot frees
            self.not_empty = threading.Condition(self.mutex)  # notified when an item comes
            self.all_tasks_done = threading.Condition(self.mutex)

    def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while it is full."""
        with self.mutex:
            while self.count == self.capacity or self._sim_paused(worker):
                self._sim_put_wait(item, worker)
                self.not_full.wait()
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
            self.not_empty.notify()  # one consumer may now take it

    def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``; when the buffer is full,
        ``timeout`` waits at most ``timeout`` seconds for a slot, ``drop-newest`` not at
        all (the item is dropped: rejected), ``drop-oldest`` overwrites the oldest item
        (it counts as done) and so always has a slot."""
        with self.mutex:
            deadline = time.monotonic() + timeout
            while self.count == self.capacity or self._sim_paused(worker):
                paused, left = self._sim_paused(worker), deadline - time.monotonic()
                choice = self._sim_when_full(item, worker, policy, left, paused)
                if choice == "overwrite":
                    break  # the oldest left: its slot is free
                if choice == "reject":
                    return  # the item is dropped
                self.not_full.wait(None if paused else left)  # paused: until the hold ends
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
            self.not_empty.notify()  # one consumer may now take it

    def get(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        """Remove and return the oldest item, waiting while the buffer is empty."""
        with self.mutex:
            while self.count == 0 or self._sim_paused(worker):
                self._sim_get_wait(worker, retiring)
                self.not_empty.wait()
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
            self.not_full.notify()  # one producer may now use the slot
            return item

    # ---- the simulator's controls ----------------------------------------------------
    def hold(self, held: bool) -> None:
        """Hold every put and get (``True``) or let them complete again (``False``: every
        waiter wakes and checks again)."""
        with self.mutex:
            self.held = held
            if not held:
                self._wake_all()

    def wake_getters(self) -> None:
        """Let waiting consumers check whether they were retired."""
        with self.mutex:
            self._wake_all()

    def close(self) -> None:
        """The run stops: every waiter wakes and leaves with :class:`~.base.Closed`."""
        with self.mutex:
            self.closed = True
            self._wake_all()

    def _wake_all(self) -> None:
        self.not_full.notify_all()
        self.not_empty.notify_all()


class NoLockBuffer(ConditionBuffer):
    """BUG ``no-lock``: the slot, the indices and the count are updated *outside* the
    lock; the lock is kept only around ``wait()`` and ``notify()``.

    Two producers can read the same ``tail`` and write the same slot (one item lost), two
    consumers the same ``head`` (one item taken twice), and ``count += 1`` (read, add,
    write) can lose an update, so the count stops matching the contents. The
    ``time.sleep(0)`` between reading an index and writing it back only lets another
    thread run at that moment (it widens the race window, so CPython shows the race
    within seconds); without it the race is the same, only rarer.

    **Racing by hand.** While the run is paused the race window is also a single-step
    boundary (:meth:`_sim_race`): a step ends on the UNLOCKED_READ event right after the
    index is read, and the worker holds there, index read and not written back, until
    its next step. So a learner can step P1 to its read of ``tail``, then P2 to the same
    read, then both writes: one item overwritten, whatever the machine's timing.
    """

    def __init__(self, capacity: int, emit: Emit, held: bool = False, inside: bool = False):
        super().__init__(capacity, emit, held, inside)
        #: the simulator's hold inside the race window: its own plain lock, never the
        #: buffer's (the code holds no lock there, and the Inside view must not show one)
        self._race = threading.Condition(threading.Lock())
        #: workers that read an index and have not written it back (see :meth:`_sim_race`)
        self.racing: set[str] = set()

    def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while it is full (BROKEN: no lock)."""
        with self.mutex:
            while self.count >= self.capacity or self._sim_paused(worker):
                self._sim_put_wait(item, worker)
                self.not_full.wait()
        # BUG: from here on nothing is protected
        tail = self.tail
        time.sleep(0)  # another thread may run here: widens the race window
        self._sim_race(worker, item, "tail", tail)
        self.slots[tail] = item
        self.tail = (tail + 1) % self.capacity
        self.count += 1
        self.unfinished_tasks += 1
        self._sim_put(item, worker)
        with self.mutex:
            self.not_empty.notify()

    def get(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        """Remove and return the oldest item, waiting while empty (BROKEN: no lock)."""
        with self.mutex:
            while self.count <= 0 or self._sim_paused(worker):
                self._sim_get_wait(worker, retiring)
                self.not_empty.wait()
        # BUG: from here on nothing is protected
        head = self.head
        time.sleep(0)  # another thread may run here: widens the race window
        self._sim_race(worker, NO_ITEM, "head", head)
        item = self.slots[head]
        self.head = (head + 1) % self.capacity
        self.count -= 1
        self._sim_got(item, worker)
        with self.mutex:
            self.not_full.notify()
        return item

    def snapshot(self) -> list[int]:
        with self.mutex:  # the count may be anything: show what it says, within bounds
            n = max(0, min(self.count, self.capacity))
            return [self.slots[(self.head + i) % self.capacity] for i in range(n)]

    def qsize(self) -> int:
        """How many items the buffer really holds: the distinct items in the slots its
        ``count`` claims. The count alone can lie (two puts into one slot count two items
        where one is left), and the books compare this with theirs at the end: the
        overwritten item is then reported lost."""
        return len({item for item in self.snapshot() if item >= 0})

    # ---- the race window as a step boundary --------------------------------------------
    def _sim_race(self, worker: str, item: int, index: str, value: int) -> None:
        """Between reading an index (``value`` of ``index``) and writing it back. Running
        with the Inside view, record UNLOCKED_READ (the code panel shows the worker here).
        While held (paused), this is a step boundary: a worker not granted a step first
        waits for one, spends it on UNLOCKED_READ, then holds again, index in hand, until
        its next step, which ends on its PUT or GOT. Nothing at all while running plain."""
        if not (self.held or self.inside):
            return
        self._sim_race_hold(worker)  # paused before its read was shown: wait for a step
        self.spend(worker)  # a step's one event: this UNLOCKED_READ
        self.racing.add(worker)
        self._emit(unlocked_read_event(worker, item, index, value))
        try:
            self._sim_race_hold(worker)
        finally:
            self.racing.discard(worker)

    def _sim_race_hold(self, worker: str) -> None:
        """Wait while the simulator holds ``worker`` (settled meanwhile: in ``waiting``);
        :class:`~.base.Closed` if the run stops meanwhile."""
        with self._race:
            try:
                while self._sim_paused(worker):
                    if self.closed:
                        raise Closed
                    self.waiting.add(worker)
                    self._race.wait(0.1)  # woken by a grant, the end of the hold, a close
            finally:
                self.waiting.discard(worker)

    def _wake_all(self) -> None:
        super()._wake_all()
        with self._race:  # (order: the mutex, then this one; the hold never takes both)
            self._race.notify_all()


class IfNotWhileBuffer(ConditionBuffer):
    """BUG ``if-not-while``: ``if`` instead of ``while`` around ``wait()`` in ``get``.

    A consumer woken by ``notify()`` does not get the lock back at once: another consumer
    that was not waiting can take the lock first and the item with it. Back from
    ``wait()``, the woken one does not look again and takes from an empty buffer: it fails
    (an empty ring has no oldest item, so it raises IndexError, as ``list.pop()`` would).
    """

    def get(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        """Remove and return the oldest item, waiting if empty (BROKEN: ``if``)."""
        with self.mutex:
            if self.count == 0 or self._sim_paused(worker):  # BUG: `if`, never checked again
                self._sim_get_wait(worker, retiring)
                self.not_empty.wait()
                self._sim_woken(worker, retiring)  # a stop, a retire, a pause: not the bug
            if self.count == 0:
                raise IndexError("get from an empty buffer: woken, but the item was gone")
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
            self.not_full.notify()
            return item

    def _sim_woken(self, worker: str, retiring: Callable[[], bool]) -> None:
        """Back from ``wait()``: woken by a stop or a retire, leave quietly; while the
        simulator holds this worker, wait on (the hold is not the bug: ``count`` is
        still not looked at again)."""
        while True:
            if self.closed or retiring():
                self.waiting.discard(worker)
                raise Closed
            if not self._sim_paused(worker):
                return
            self.not_empty.wait()


class LostWakeupBuffer(ConditionBuffer):
    """BUG ``lost-wakeup``: one condition, ``changed``, for producers and consumers alike,
    and ``notify()`` (wake one) instead of ``notify_all()``.

    A producer's ``notify()`` meant for a consumer can wake another producer, which finds
    the buffer still full and waits again: the wake-up is lost. Sooner or later every
    worker waits on ``changed`` and nobody is left to notify: a deadlock. At capacity 1
    almost every put fills the buffer, so this takes a fraction of a second; with more
    slots the waits are rare and it can take very long.
    """

    def __init__(self, capacity: int, emit: Emit, held: bool = False, inside: bool = False):
        super().__init__(capacity, emit, held, inside)
        self.changed = self.not_empty  # BUG: one condition for two different waits
        if inside:
            self.changed.name = "changed"  # type: ignore[attr-defined]

    def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while full (BROKEN: lost wake-ups)."""
        with self.mutex:
            while self.count == self.capacity or self._sim_paused(worker):
                self._sim_put_wait(item, worker)
                self.changed.wait()
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
            self.changed.notify()  # BUG: may wake a producer instead of a consumer

    def get(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        """Remove and return the oldest item, waiting while empty (BROKEN: lost wake-ups)."""
        with self.mutex:
            while self.count == 0 or self._sim_paused(worker):
                self._sim_get_wait(worker, retiring)
                self.changed.wait()
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
            self.changed.notify()  # BUG: may wake a consumer instead of a producer
            return item


class SemaphoreBuffer(_SimHooks):
    """A bounded FIFO buffer from two counting semaphores and a mutex (Dijkstra's).

    ``empty`` counts the free slots and ``full`` the items; a producer takes a free slot
    (``empty.acquire()``) before it writes and gives an item (``full.release()``) after,
    a consumer the other way round, so nobody writes into a full buffer or reads from an
    empty one. The ``mutex`` lets one worker at a time move ``head``, ``tail`` and
    ``count``: it protects the indices, the semaphores protect the counts.
    """

    def __init__(self, capacity: int, emit: Emit, held: bool = False, inside: bool = False):
        super().__init__(capacity, emit, held, inside)
        self.empty: threading.Semaphore
        self.full: threading.Semaphore
        if inside:
            self.mutex = InsideLock(emit, "mutex")
            self.empty = InsideSemaphore(capacity, emit, "empty")
            self.full = InsideSemaphore(0, emit, "full")
            self.all_tasks_done = InsideCondition(self.mutex, emit, "all_tasks_done")
        else:
            self.mutex = threading.Lock()
            self.empty = threading.Semaphore(capacity)  # free slots
            self.full = threading.Semaphore(0)  # items ready to take
            self.all_tasks_done = threading.Condition(self.mutex)
        self._blocked: dict[str, threading.Semaphore] = {}  # who waits in which acquire
        # the simulator's hold, see hold() (an InsideLock serves a Condition as well)
        self._unheld = threading.Condition(self.mutex)  # type: ignore[arg-type]

    def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while it is full."""
        self._sim_down(self.empty, item, worker)  # empty.acquire(): take a free slot
        with self.mutex:
            self._sim_while_paused(worker)
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
        self.full.release()  # one more item to take

    def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``: ``timeout`` is
        ``empty.acquire(timeout=…)``, ``drop-newest`` ``empty.acquire(False)``; without a
        free slot the item is dropped (rejected). ``drop-oldest`` takes an item nobody
        has claimed yet (``full.acquire(False)``) out of the ring (overwritten, counted
        done) and keeps its slot."""
        if policy == "drop-oldest":
            while not self.empty.acquire(False):  # no free slot
                if self.full.acquire(False):  # an unclaimed item: it is overwritten
                    with self.mutex:
                        self._sim_while_paused(worker)
                        self._sim_overwrite(worker)
                    break  # its slot is this producer's now
                if self.closed:
                    raise Closed
                if self.empty.acquire(True, POLL_S / 10):  # every item is being taken
                    break
        elif not self._sim_down_until(self.empty, item, worker, timeout, policy):
            with self.mutex:
                self._sim_while_paused(worker)
                self._sim_reject(item, worker)  # no free slot: the item is dropped
            return
        with self.mutex:
            self._sim_while_paused(worker)
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
        self.full.release()  # one more item to take

    def get(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        """Remove and return the oldest item, waiting while the buffer is empty."""
        self._sim_down(self.full, NO_ITEM, worker, retiring)  # full.acquire(): an item
        with self.mutex:
            self._sim_while_paused(worker, self.full, retiring)
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
        self.empty.release()  # one more free slot
        return item

    # ---- the simulator's hooks -------------------------------------------------------
    def _sim_down(
        self,
        sem: threading.Semaphore,
        item: int,
        worker: str,
        retiring: Callable[[], bool] | None = None,
    ) -> None:
        """``sem.acquire()``, recording PUT_WAIT / GET_WAIT if it blocks, and timed so a
        close or a retire is seen within :data:`POLL_S`."""
        if sem.acquire(False):
            return
        with self.mutex:  # the wait is recorded in the buffer's order
            if self.closed:
                raise Closed
            self.waiting.add(worker)  # settled while blocked (see can_move)
            self._blocked[worker] = sem
            self._record_wait(worker, item, full=retiring is None)
        try:
            while not sem.acquire(True, POLL_S):
                if self.closed or (retiring is not None and retiring()):
                    raise Closed
        finally:
            with self.mutex:  # (not settled until it waits again, in _sim_while_paused)
                self.waiting.discard(worker)
                del self._blocked[worker]

    def _sim_down_until(
        self, sem: threading.Semaphore, item: int, worker: str, timeout: float, policy: str
    ) -> bool:
        """``sem.acquire(False)`` (``drop-newest``) or ``sem.acquire(timeout=timeout)``,
        recording PUT_WAIT if it waits; False if no token came."""
        if sem.acquire(False):
            return True
        if policy == "drop-newest":
            return False
        with self.mutex:
            if self.closed:
                raise Closed
            self.waiting.add(worker)
            self._blocked[worker] = sem
            self._record_wait(worker, item, full=True)
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                if sem.acquire(True, min(POLL_S, left)):
                    return True
                if self.closed:
                    raise Closed
        finally:
            with self.mutex:
                self.waiting.discard(worker)
                del self._blocked[worker]

    def can_move(self, name: str) -> bool:
        """False if ``name`` is blocked on a semaphore with no token free (a freed slot
        went to another waiter): a step granted to it could not complete."""
        sem = self._blocked.get(name)
        return sem is None or sem._value > 0  # type: ignore[attr-defined]

    def _sim_while_paused(
        self,
        worker: str,
        taken: threading.Semaphore | None = None,
        retiring: Callable[[], bool] = _never,
    ) -> None:
        """Under the mutex: wait while the simulator holds ``worker``. A retired consumer
        leaves, giving back the item's token it ``taken``; a close leaves as is."""
        try:
            while self._sim_paused(worker):
                if self.closed:
                    raise Closed
                if taken is not None and retiring():
                    taken.release()
                    raise Closed
                self.waiting.add(worker)
                self._unheld.wait()
            if self.closed:
                raise Closed
        finally:
            self.waiting.discard(worker)

    def hold(self, held: bool) -> None:
        """Hold every put and get (``True``) or let them complete again (``False``)."""
        with self.mutex:
            self.held = held
            if not held:
                self._unheld.notify_all()

    def _wake_all(self) -> None:
        self._unheld.notify_all()

    def wake_getters(self) -> None:
        """Let waiting consumers check whether they were retired (those blocked on
        ``full`` see it within :data:`POLL_S`: that acquire is timed)."""
        with self.mutex:
            self._unheld.notify_all()

    def close(self) -> None:
        """The run stops: every waiter leaves with :class:`~.base.Closed` (those blocked
        on a semaphore within :data:`POLL_S`)."""
        with self.mutex:
            self.closed = True
            self._unheld.notify_all()


BUFFERS: dict[tuple[str, str], type[_SimHooks]] = {
    ("condition", "none"): ConditionBuffer,
    ("semaphore", "none"): SemaphoreBuffer,
    ("condition", "no-lock"): NoLockBuffer,
    ("condition", "if-not-while"): IfNotWhileBuffer,
    ("condition", "lost-wakeup"): LostWakeupBuffer,
}


def buffer_class(buffer: str, bug: str = "none") -> type[_SimHooks] | None:
    """The hand-written buffer class for ``buffer`` with ``bug``; None for ``queue`` (the
    library's, :class:`~.thread_buffer.BoundedBuffer`)."""
    return pick_buffer(BUFFERS, buffer, bug)
