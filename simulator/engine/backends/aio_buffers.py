"""Hand-written bounded buffers for the asyncio backend: the monitor and the semaphores of
:mod:`.thread_buffers`, with ``asyncio.Lock`` / ``Condition`` / ``Semaphore``, and the
monitor's three classic bugs.

The same code as the thread versions with ``await`` where a task may wait; the same
hooks (``_sim_*``: events, the hold) keep the simulator's needs out of ``put`` and
``get``. In asyncio only an ``await`` lets another task run, so nothing between two
awaits can race; the ``no-lock`` bug therefore awaits ``asyncio.sleep(0)`` between
reading an index and writing it back, which is exactly where a task switch breaks it.

The backend drives them through ``put_item`` / ``get_item`` (coroutines that write
their own PUT_WAIT / PUT / GET_WAIT / GOT events), ``held`` (settable: while true no put or
get completes), ``release()`` (end the hold), ``task_done``, ``join`` and ``qsize``; and
single step as the library queue's ``_HeldQueue``: ``granted`` (the backend's set),
``holds(worker)``, ``spend(worker)`` (called by the hooks on the step's one event),
``wake_all()`` and ``waiting`` (workers inside a blocking put or get: settled). In put
and get the hold reads ``self._sim_paused(worker)``.
Stopping cancels every task, which ends every wait; a retired consumer waiting in ``get``
is cancelled the same way (it holds nothing yet).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

from simulator.engine.backends.slot_books import SlotBooks, pick_buffer
from simulator.engine.events import (
    K_COND_WAIT,
    K_COND_WOKE,
    K_LOCK_FREE,
    K_LOCK_HELD,
    K_LOCK_WAIT,
    K_NOTIFY,
    K_SEM_GIVE,
    K_SEM_TAKE,
    K_SEM_WAIT,
    NO_ITEM,
    RawEvent,
    inside_event,
    tasks_event,
    unlocked_read_event,
)


# ---- instrumented primitives (used only with inside=True) -----------------------------
def _task_worker() -> str | None:
    """The worker whose task runs this (``"P1"``), or None for any other task."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return None
    name = task.get_name() if task is not None else ""
    return name[6:] if name.startswith("pcsim-") and name[6:7] in ("P", "C") else None


class InsideAioLock(asyncio.Lock):
    """An ``asyncio.Lock`` reporting LOCK_WAIT (when it must wait), LOCK_HELD, LOCK_FREE."""

    def __init__(self, emit: Any, name: str = "mutex") -> None:
        super().__init__()
        self._emit, self.name = emit, name

    async def acquire(self) -> Literal[True]:
        who = _task_worker()
        if who is not None and self.locked():
            self._emit(inside_event(K_LOCK_WAIT, who, self.name))
        await super().acquire()
        if who is not None:
            self._emit(inside_event(K_LOCK_HELD, who, self.name))
        return True

    def release(self) -> None:
        who = _task_worker()
        if who is not None:
            self._emit(inside_event(K_LOCK_FREE, who, self.name))
        super().release()


class InsideAioCondition(asyncio.Condition):
    """An ``asyncio.Condition`` reporting COND_WAIT, COND_WOKE and NOTIFY (``notify_all``
    is ``notify(len(waiters))`` in asyncio: reported once)."""

    def __init__(self, lock: asyncio.Lock, emit: Any, name: str) -> None:
        super().__init__(lock)
        self._emit, self.name = emit, name

    async def wait(self) -> Literal[True]:
        who = _task_worker()
        if who is not None:
            self._emit(inside_event(K_COND_WAIT, who, self.name))
        try:
            return await super().wait()
        finally:
            if who is not None:
                self._emit(inside_event(K_COND_WOKE, who, self.name))

    def notify(self, n: int = 1) -> None:
        who = _task_worker()
        if who is not None:
            self._emit(inside_event(K_NOTIFY, who, self.name, n))
        super().notify(n)


class InsideAioSemaphore(asyncio.Semaphore):
    """An ``asyncio.Semaphore`` reporting SEM_WAIT (count seen), SEM_TAKE and SEM_GIVE
    (count after)."""

    def __init__(self, value: int, emit: Any, name: str) -> None:
        super().__init__(value)
        self._emit, self.name = emit, name

    async def acquire(self) -> Literal[True]:
        who = _task_worker()
        if who is not None and self.locked():
            self._emit(inside_event(K_SEM_WAIT, who, self.name, self._value))
        await super().acquire()
        if who is not None:
            self._emit(inside_event(K_SEM_TAKE, who, self.name, self._value))
        return True

    def release(self) -> None:
        super().release()
        who = _task_worker()
        if who is not None:
            self._emit(inside_event(K_SEM_GIVE, who, self.name, self._value))


# ---- the buffers ---------------------------------------------------------------------
class _AioSimHooks(SlotBooks):
    """What both asyncio buffers share: the slot ring and the events
    (:class:`~.slot_books.SlotBooks`), the hold, and ``task_done``/``join``."""

    def __init__(self, capacity: int, emit: Any, inside: bool = False) -> None:
        super().__init__(capacity, emit, inside)
        self._held = False
        self._recheck = asyncio.Event()  # set (and replaced) when waiters must look again
        self._finished = asyncio.Event()  # set while unfinished_tasks == 0 (join)
        self._finished.set()

    @property
    def held(self) -> bool:
        """While true no put or get completes (the backend's pause and start gate)."""
        return self._held

    @held.setter
    def held(self, value: bool) -> None:
        self._held = value
        if not value:
            self.wake_all()

    def release(self) -> None:
        """End the hold: every waiter looks again."""
        self.held = False

    def wake_all(self) -> None:
        """Every waiter looks again (the hold ended, or a step was granted)."""
        self._recheck.set()
        self._recheck = asyncio.Event()
        self._wake_all()

    def _wake_all(self) -> None:
        """Wake every condition waiter (after a hold or a grant)."""

    # ---- the simulator's hooks ---------------------------------------------------------
    def _sim_put_wait(self, item: int, worker: str) -> None:
        self.waiting.add(worker)
        self._record_wait(worker, item, full=True)

    def _sim_get_wait(self, worker: str) -> None:
        self.waiting.add(worker)
        self._record_wait(worker, NO_ITEM, full=False)

    async def _sim_while_paused(self, worker: str) -> None:
        """Wait while the simulator holds ``worker`` (not the buffer's own wait)."""
        while self._sim_paused(worker):
            self.waiting.add(worker)
            try:
                await self._recheck.wait()
            finally:
                self.waiting.discard(worker)

    def _sim_put(self, item: int, worker: str) -> None:
        self._finished.clear()  # one more unfinished task: join waits again
        super()._sim_put(item, worker)

    # ---- task accounting, as asyncio.Queue ------------------------------------------
    def task_done(self) -> None:
        """Mark one item taken earlier as finished; ValueError if more than were put."""
        if self.unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self.unfinished_tasks -= 1
        if self.inside:
            who = _task_worker()
            if who is not None:
                self._emit(tasks_event(who, self.unfinished_tasks))
        if self.unfinished_tasks == 0:
            self._finished.set()

    async def join(self) -> None:
        """Wait until every item put has been marked finished with :meth:`task_done`."""
        await self._finished.wait()

    def qsize(self) -> int:
        return self.count

    # the names the backend calls
    async def put_item(self, item: int, worker: str) -> None:
        await self.put(item, worker)

    async def get_item(self, worker: str) -> int:
        return await self.get(worker)

    async def put(self, item: int, worker: str) -> None:
        raise NotImplementedError

    async def get(self, worker: str) -> int:
        raise NotImplementedError


class AioConditionBuffer(_AioSimHooks):
    """The monitor of :class:`~.thread_buffers.ConditionBuffer` on asyncio: a ring of
    ``capacity`` slots, one ``asyncio.Lock``, two ``asyncio.Condition``s on it.

    Invariant whenever no task holds ``mutex``: ``count`` items sit in the slots from
    ``head`` on, and ``tail == (head + count) % capacity``.
    """

    def __init__(self, capacity: int, emit: Any, inside: bool = False) -> None:
        super().__init__(capacity, emit, inside)
        if inside:
            self.mutex: asyncio.Lock = InsideAioLock(emit, "mutex")
            self.not_full: asyncio.Condition = InsideAioCondition(self.mutex, emit, "not_full")
            self.not_empty: asyncio.Condition = InsideAioCondition(self.mutex, emit, "not_empty")
        else:
            self.mutex = asyncio.Lock()
            self.not_full = asyncio.Condition(self.mutex)  # notified when a slot frees
            self.not_empty = asyncio.Condition(self.mutex)  # notified when an item comes

    async def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while it is full."""
        async with self.mutex:
            while self.count == self.capacity or self._sim_paused(worker):
                self._sim_put_wait(item, worker)
                await self.not_full.wait()
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
            self.not_empty.notify()  # one consumer may now take it

    async def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``; when the buffer is full,
        ``timeout`` waits at most ``timeout`` seconds for a slot, ``drop-newest`` not at
        all (the item is dropped: rejected), ``drop-oldest`` overwrites the oldest item
        (it counts as done) and so always has a slot."""
        async with self.mutex:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while self.count == self.capacity or self._sim_paused(worker):
                paused, left = self._sim_paused(worker), deadline - loop.time()
                choice = self._sim_when_full(item, worker, policy, left, paused)
                if choice == "overwrite":
                    break  # the oldest left: its slot is free
                if choice == "reject":
                    return  # the item is dropped
                with contextlib.suppress(TimeoutError):  # paused: until the hold ends
                    async with asyncio.timeout(None if paused else left):
                        await self.not_full.wait()
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
            self.not_empty.notify()  # one consumer may now take it

    async def get(self, worker: str) -> int:
        """Remove and return the oldest item, waiting while the buffer is empty."""
        async with self.mutex:
            while self.count == 0 or self._sim_paused(worker):
                self._sim_get_wait(worker)
                await self.not_empty.wait()
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
            self.not_full.notify()  # one producer may now use the slot
            return item

    def _wake_all(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the loop has not started: nobody waits yet
            return
        self._waker = loop.create_task(self._notify_all(), name="buffer-wake")

    async def _notify_all(self) -> None:
        async with self.mutex:
            for cond in {self.not_full, self.not_empty}:
                cond.notify_all()


class AioNoLockBuffer(AioConditionBuffer):
    """BUG ``no-lock`` (see :class:`~.thread_buffers.NoLockBuffer`): the slot, indices and
    count are updated outside the lock; ``await asyncio.sleep(0)`` between reading an
    index and writing it back is the task switch that makes the race."""

    async def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while it is full (BROKEN: no lock)."""
        async with self.mutex:
            while self.count >= self.capacity or self._sim_paused(worker):
                self._sim_put_wait(item, worker)
                await self.not_full.wait()
        # BUG: from here on nothing is protected
        tail = self.tail
        await asyncio.sleep(0)  # another task runs here
        await self._sim_race(worker, item, "tail", tail)
        self.slots[tail] = item
        self.tail = (tail + 1) % self.capacity
        self.count += 1
        self.unfinished_tasks += 1
        self._sim_put(item, worker)
        async with self.mutex:
            self.not_empty.notify()

    async def get(self, worker: str) -> int:
        """Remove and return the oldest item, waiting while empty (BROKEN: no lock)."""
        async with self.mutex:
            while self.count <= 0 or self._sim_paused(worker):
                self._sim_get_wait(worker)
                await self.not_empty.wait()
        # BUG: from here on nothing is protected
        head = self.head
        await asyncio.sleep(0)  # another task runs here
        await self._sim_race(worker, NO_ITEM, "head", head)
        item = self.slots[head]
        self.head = (head + 1) % self.capacity
        self.count -= 1
        self._sim_got(item, worker)
        async with self.mutex:
            self.not_full.notify()
        return item

    def __init__(self, capacity: int, emit: Any, inside: bool = False) -> None:
        super().__init__(capacity, emit, inside)
        #: tasks that read an index and have not written it back (see :meth:`_sim_race`)
        self.racing: set[str] = set()

    def qsize(self) -> int:
        """The distinct items in the slots ``count`` claims (see
        :meth:`.thread_buffers.NoLockBuffer.qsize`: an overwritten item is not there)."""
        n = max(0, min(self.count, self.capacity))
        return len(
            {i for i in (self.slots[(self.head + k) % self.capacity] for k in range(n)) if i >= 0}
        )

    async def _sim_race(self, worker: str, item: int, index: str, value: int) -> None:
        """The race window as a step boundary while held, and UNLOCKED_READ with the
        Inside view (see :meth:`.thread_buffers.NoLockBuffer._sim_race`)."""
        if not (self.held or self.inside):
            return
        await self._sim_while_paused(worker)  # paused before its read was shown
        self.spend(worker)  # a step's one event: this UNLOCKED_READ
        self.racing.add(worker)
        self._emit(unlocked_read_event(worker, item, index, value))
        try:
            await self._sim_while_paused(worker)
        finally:
            self.racing.discard(worker)


class AioIfNotWhileBuffer(AioConditionBuffer):
    """BUG ``if-not-while`` (see :class:`~.thread_buffers.IfNotWhileBuffer`).

    A woken consumer must take the lock back before ``wait()`` returns; a consumer that
    was not waiting can take the lock first, and the item with it. On threads the OS
    scheduler opens that window; in asyncio a free lock is taken back at once, so the
    window was open only when another task already queued on the lock (5 runs in 10).
    Here the woken consumer yields, ``await asyncio.sleep(0)`` for two turns of the loop,
    between being notified and taking the lock back (:meth:`_sim_yield_then_acquire`,
    the condition's re-acquire): the tasks that were ready, then those that became ready
    meanwhile (a timer come due: a consumer back from its work), run first, as a woken
    thread waits to be scheduled. It widens the window as ``no-lock``'s ``sleep(0)``
    does; the failure is real (the woken consumer finds ``count == 0``). One turn was not
    enough (8 runs in 10 failed); a real delay (1 ms) was worse (the other consumers,
    woken the same way, were delayed too and the buffer refilled: 0 in 4).
    """

    def __init__(self, capacity: int, emit: Any, inside: bool = False) -> None:
        super().__init__(capacity, emit, inside)
        # asyncio.Condition.wait() re-takes the lock with ``self.acquire`` (the lock's
        # acquire, copied in its __init__): the woken consumer yields there first
        self._lock_acquire = self.not_empty.acquire
        self.not_empty.acquire = self._sim_yield_then_acquire  # type: ignore[method-assign,assignment]

    async def _sim_yield_then_acquire(self) -> bool:
        """The woken consumer's way back to the lock: two turns of the loop, then
        acquire."""
        for _turn in range(2):
            await asyncio.sleep(0)  # another task runs here
        return await self._lock_acquire()  # type: ignore[no-any-return]

    async def get(self, worker: str) -> int:
        """Remove and return the oldest item, waiting if empty (BROKEN: ``if``)."""
        async with self.mutex:
            if self.count == 0 or self._sim_paused(worker):  # BUG: `if`, never checked again
                self._sim_get_wait(worker)
                await self.not_empty.wait()
                while self._sim_paused(worker):  # the simulator's hold, not the bug
                    await self.not_empty.wait()
            if self.count == 0:
                raise IndexError("get from an empty buffer: woken, but the item was gone")
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
            self.not_full.notify()
            return item


class AioLostWakeupBuffer(AioConditionBuffer):
    """BUG ``lost-wakeup`` (see :class:`~.thread_buffers.LostWakeupBuffer`): one condition
    ``changed`` for both waits, and ``notify()`` instead of ``notify_all()``."""

    def __init__(self, capacity: int, emit: Any, inside: bool = False) -> None:
        super().__init__(capacity, emit, inside)
        self.changed = self.not_empty  # BUG: one condition for two different waits
        if inside:
            self.changed.name = "changed"  # type: ignore[attr-defined]

    async def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while full (BROKEN: lost wake-ups)."""
        async with self.mutex:
            while self.count == self.capacity or self._sim_paused(worker):
                self._sim_put_wait(item, worker)
                await self.changed.wait()
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
            self.changed.notify()  # BUG: may wake a producer instead of a consumer

    async def get(self, worker: str) -> int:
        """Remove and return the oldest item, waiting while empty (BROKEN: lost wake-ups)."""
        async with self.mutex:
            while self.count == 0 or self._sim_paused(worker):
                self._sim_get_wait(worker)
                await self.changed.wait()
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
            self.changed.notify()  # BUG: may wake a consumer instead of a producer
            return item


class AioSemaphoreBuffer(_AioSimHooks):
    """The semaphore buffer of :class:`~.thread_buffers.SemaphoreBuffer` on asyncio:
    ``empty`` counts free slots, ``full`` items, ``mutex`` guards the indices."""

    def __init__(self, capacity: int, emit: Any, inside: bool = False) -> None:
        super().__init__(capacity, emit, inside)
        if inside:
            self.mutex: asyncio.Lock = InsideAioLock(emit, "mutex")
            self.empty: asyncio.Semaphore = InsideAioSemaphore(capacity, emit, "empty")
            self.full: asyncio.Semaphore = InsideAioSemaphore(0, emit, "full")
        else:
            self.mutex = asyncio.Lock()
            self.empty = asyncio.Semaphore(capacity)  # free slots
            self.full = asyncio.Semaphore(0)  # items ready to take
        self._blocked: dict[str, asyncio.Semaphore] = {}  # who waits in which acquire

    async def put(self, item: int, worker: str) -> None:
        """Put ``item`` into the buffer, waiting while it is full."""
        await self._sim_down(self.empty, item, worker)  # empty.acquire(): a free slot
        async with self.mutex:
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
        self.full.release()  # one more item to take

    async def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``: ``timeout`` is
        ``empty.acquire()`` for at most ``timeout`` seconds, ``drop-newest`` takes a free
        slot only if one is there; without one the item is dropped (rejected).
        ``drop-oldest`` takes an item nobody has claimed yet (``full``) out of the ring
        (overwritten, counted done) and keeps its slot."""
        await self._sim_while_paused(worker)  # never decide while paused
        if not self.empty.locked():
            await self.empty.acquire()  # a free slot: this does not wait
        elif policy == "drop-oldest":
            while self.empty.locked():
                if not self.full.locked():  # an unclaimed item: it is overwritten
                    await self.full.acquire()  # (does not wait)
                    async with self.mutex:
                        self._sim_overwrite(worker)
                    break  # its slot is this producer's now
                await asyncio.sleep(0)  # every item is being taken: a slot frees soon
            else:
                await self.empty.acquire()
        elif policy == "drop-newest" or not await self._sim_down_until(item, worker, timeout):
            self._sim_reject(item, worker)  # no free slot: the item is dropped
            return
        async with self.mutex:
            self.slots[self.tail] = item
            self.tail = (self.tail + 1) % self.capacity
            self.count += 1
            self.unfinished_tasks += 1
            self._sim_put(item, worker)
        self.full.release()  # one more item to take

    async def _sim_down_until(self, item: int, worker: str, timeout: float) -> bool:
        """``empty.acquire()`` for at most ``timeout`` seconds, recording PUT_WAIT; then
        wait while held. False if no slot came."""
        self._sim_put_wait(item, worker)
        self._blocked[worker] = self.empty
        try:
            async with asyncio.timeout(timeout):
                await self.empty.acquire()
        except TimeoutError:
            await self._sim_while_paused(worker)  # the drop is not written while paused
            return False
        finally:
            self.waiting.discard(worker)
            self._blocked.pop(worker, None)
        try:
            await self._sim_while_paused(worker)
        except asyncio.CancelledError:
            self.empty.release()
            raise
        return True

    async def get(self, worker: str) -> int:
        """Remove and return the oldest item, waiting while the buffer is empty."""
        await self._sim_down(self.full, NO_ITEM, worker)  # full.acquire(): an item
        async with self.mutex:
            item = self.slots[self.head]
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self._sim_got(item, worker)
        self.empty.release()  # one more free slot
        return item

    def can_move(self, name: str) -> bool:
        """False if ``name`` is blocked on a semaphore with no token free (a freed slot
        went to another waiter): a step granted to it could not complete."""
        sem = self._blocked.get(name)
        return sem is None or sem._value > 0

    async def _sim_down(self, sem: asyncio.Semaphore, item: int, worker: str) -> None:
        """``sem.acquire()``, recording PUT_WAIT / GET_WAIT if it must wait, then wait
        while held. Nothing awaits between here and the end of the caller's ``async with
        self.mutex`` (an uncontended asyncio lock does not suspend), so the put or get
        cannot complete during a hold. Cancelled after taking ``sem`` (a retire during a
        hold), it gives ``sem`` back."""
        if sem.locked():
            if item == NO_ITEM:
                self._sim_get_wait(worker)
            else:
                self._sim_put_wait(item, worker)
        self._blocked[worker] = sem
        try:
            await sem.acquire()
        finally:
            self.waiting.discard(worker)
            del self._blocked[worker]
        try:
            await self._sim_while_paused(worker)
        except asyncio.CancelledError:
            sem.release()
            raise


BUFFERS: dict[tuple[str, str], type[_AioSimHooks]] = {
    ("condition", "none"): AioConditionBuffer,
    ("semaphore", "none"): AioSemaphoreBuffer,
    ("condition", "no-lock"): AioNoLockBuffer,
    ("condition", "if-not-while"): AioIfNotWhileBuffer,
    ("condition", "lost-wakeup"): AioLostWakeupBuffer,
}


def buffer_class(buffer: str, bug: str = "none") -> type[_AioSimHooks] | None:
    """The hand-written asyncio buffer for ``buffer`` with ``bug``; None for ``queue``."""
    return pick_buffer(BUFFERS, buffer, bug)


__all__ = ["RawEvent", "buffer_class"]
