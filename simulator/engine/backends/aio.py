"""Real ``asyncio`` tasks around an ``asyncio.Queue``, on an event loop of their own thread.

The loop runs in a background thread so the caller (the GUI thread, the CLI) is never
blocked; every control call crosses into it with ``call_soon_threadsafe``. The worker
coroutines are the same loops as :func:`~.base.run_producer` and
:func:`~.base.run_consumer`, written with ``await``, with the same hold points and the
same interruptible sleep as :func:`~.base.work` (see :mod:`~.base`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import deque
from typing import Any

from simulator.engine.backends.aio_buffers import _task_worker, buffer_class
from simulator.engine.backends.base import INBOX_HIGH, INBOX_LOW, Backend, worker_rng
from simulator.engine.cpu import CHUNK_S, ThreadClock, spin
from simulator.engine.events import (
    ITEM_SHIFT,
    K_COND_WAIT,
    K_COND_WOKE,
    MAIN,
    NO_ITEM,
    consumed_event,
    error_event,
    get_wait_event,
    got_event,
    inside_event,
    is_pill,
    overwritten_event,
    pill_id,
    produced_event,
    put_event,
    put_wait_event,
    rejected_event,
    sleep_event,
    started_event,
    stopped_event,
    tasks_event,
)
from simulator.engine.workers import ROLES, Role


class _HeldQueue(asyncio.Queue[int]):
    """An ``asyncio.Queue`` whose blocking put and get also wait while :attr:`held`.

    Written like the standard ``put``/``get`` (the same waiter futures): a waiter woken
    while held waits again; :meth:`release` wakes every waiter to re-check.
    """

    held = False
    _emit: Any = None  #: where :meth:`offer` writes its events (set by the backend)
    #: workers in a timed put (settled, as those in a hand-written buffer's wait)
    waiting: set[str] = frozenset()  # type: ignore[assignment]
    #: workers granted a single step while held (the backend's set, shared; set in
    #: :meth:`AsyncioBackend._run` before any worker runs)
    granted: set[str]
    _putters: deque[asyncio.Future[None]]
    _getters: deque[asyncio.Future[None]]

    def holds(self, worker: str) -> bool:
        """True if ``worker`` must not pass now: held, and no step granted to it."""
        return self.held and worker not in self.granted

    def spend(self, worker: str) -> None:
        """``worker`` is about to write its step's one event: its grant is used up."""
        if self.held:
            self.granted.discard(worker)

    async def put_held(self, item: int, worker: str) -> None:
        while self.holds(worker) or self.full():
            await self._wait(self._putters)
        self.spend(worker)  # its PUT follows
        self.put_nowait(item)

    async def get_held(self, worker: str) -> int:
        while self.holds(worker) or self.empty():
            await self._wait(self._getters)
        self.spend(worker)  # its GOT follows
        return self.get_nowait()

    async def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``, writing its events (set
        ``_emit`` first). On a full queue: ``timeout`` waits for room at most ``timeout``
        seconds, then drops the item (REJECTED); ``drop-newest`` drops it at once
        (``put_nowait`` would raise ``QueueFull``); ``drop-oldest`` removes the oldest
        item (OVERWRITTEN; done: ``unfinished_tasks`` - 1) and puts. Nothing is decided
        while the simulator holds ``worker``."""
        emit = self._emit
        while self.holds(worker):
            await self._wait(self._putters)
        if self.full():
            if policy == "drop-oldest":
                old = self._queue.popleft()  # type: ignore[attr-defined]
                self._unfinished_tasks -= 1  # type: ignore[attr-defined]
                emit(overwritten_event(worker, old, self.qsize()))
            elif policy == "drop-newest" or not await self._put_within(item, worker, timeout):
                self.spend(worker)  # a step's one event: this REJECTED
                emit(rejected_event(worker, item, self.qsize()))
                return
            else:  # put by put_held, in this task: nothing ran in between
                emit(put_event(worker, item, self.qsize()))
                return
        self.spend(worker)  # a step's one event: this PUT
        self.put_nowait(item)
        emit(put_event(worker, item, self.qsize()))

    async def _put_within(self, item: int, worker: str, timeout: float) -> bool:
        """The queue full: PUT_WAIT, then :meth:`put_held` for at most ``timeout``
        seconds; True if the item is in. A drop waits for the hold to end first."""
        self._emit(put_wait_event(worker, item, self.maxsize))
        self.spend(worker)
        self.waiting.add(worker)
        try:
            async with asyncio.timeout(timeout):  # in this task (wait_for may not be)
                await self.put_held(item, worker)
            return True
        except TimeoutError:
            while self.holds(worker):
                await self._wait(self._putters)
            return False
        finally:
            self.waiting.discard(worker)

    async def _wait(self, waiters: deque[asyncio.Future[None]]) -> None:
        waiter = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            woken = waiter.done() and not waiter.cancelled()
            waiter.cancel()
            if waiter in waiters:
                waiters.remove(waiter)
            if woken:  # cancelled just after being woken: pass the wake-up on
                self._wakeup_next(waiters)  # type: ignore[attr-defined]
            raise

    def release(self) -> None:
        """End the hold: every waiter looks again."""
        self.held = False
        self.wake_all()

    def wake_all(self) -> None:
        """Every waiter looks again (the hold ended, or a step was granted)."""
        for waiters in (self._putters, self._getters):
            while waiters:
                w = waiters.popleft()
                if not w.done():
                    w.set_result(None)


class _LibraryQueue(_HeldQueue):
    """With the Inside view on, buffer ``queue`` runs the library's OWN
    ``asyncio.Queue.put`` / ``get`` (:meth:`put_item` / :meth:`get_item` only call them);
    the simulator's needs sit in the override hooks the library calls:

    * ``full()`` / ``empty()``: asked by a producer / a consumer (known by its task's
      name), they also answer "full" / "empty" while the simulator holds that worker, so
      the library's own ``while`` loop waits on its ``_putters`` / ``_getters`` future
      (:meth:`wake_all` ends those futures: the loop looks again); the first wait on a
      really full / empty queue records PUT_WAIT / GET_WAIT (spending a step grant), and
      every wait records COND_WAIT "not_full" / "not_empty" and COND_WOKE when it ends;
    * ``_put`` / ``_get``: PUT / GOT with the exact size, and TASKS (+1), spending a step
      grant; ``task_done`` records TASKS (-1).

    An asyncio queue has no lock (only an ``await`` switches tasks) and no conditions:
    its waiters are futures in ``_putters`` / ``_getters``, woken one at a time by
    ``_wakeup_next``; the COND_* events name them "not_full" / "not_empty" so the Inside
    view's waiters show who waits for room and who for an item. A stop or a retire
    cancels the waiting task, and the library's ``except`` cleans its future up.
    """

    def __init__(self, maxsize: int, emit: Any) -> None:
        super().__init__(maxsize)
        self._emit = emit
        #: workers inside a blocking put or get (waiting on a future): settled
        self.waiting: set[str] = set()
        self._recorded: set[str] = set()  # whose PUT_WAIT / GET_WAIT is recorded
        self._items: dict[str, int] = {}  # the item each producer is putting
        self._nowait: set[str] = set()  # producers in put_nowait (a drop policy)

    async def put_item(self, item: int, worker: str) -> None:
        """``asyncio.Queue.put`` itself (the hooks write the events)."""
        self._items[worker] = item
        try:
            await asyncio.Queue.put(self, item)
        finally:
            self._left(worker, "not_full")

    async def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """A full policy other than ``block`` with the library's own calls: ``timeout``
        is ``asyncio.Queue.put`` under ``asyncio.timeout(timeout)``, ``drop-newest``
        ``put_nowait``; their ``TimeoutError`` / ``QueueFull`` drops the item (REJECTED).
        ``drop-oldest`` removes the oldest item (OVERWRITTEN, counted done), then
        ``put_nowait``s. Nothing is decided while the simulator holds ``worker``."""
        self._items[worker] = item
        try:
            while self.holds(worker):
                await self._wait(self._putters)
            try:
                if policy == "timeout":  # in this task: the hooks know who puts
                    async with asyncio.timeout(timeout):
                        await asyncio.Queue.put(self, item)
                    return
                if policy == "drop-oldest" and asyncio.Queue.full(self):
                    old = self._queue.popleft()  # type: ignore[attr-defined]
                    self._unfinished_tasks -= 1  # type: ignore[attr-defined]
                    self._emit(overwritten_event(worker, old, self.qsize()))
                self._nowait.add(worker)  # put_nowait asks full(): no wait to record
                try:
                    asyncio.Queue.put_nowait(self, item)
                finally:
                    self._nowait.discard(worker)
            except (asyncio.QueueFull, TimeoutError):
                while self.holds(worker):  # the drop is not written while paused
                    await self._wait(self._putters)
                self.spend(worker)  # a step's one event: this REJECTED
                self._emit(rejected_event(worker, item, self.qsize()))
        finally:
            self._left(worker, "not_full")

    async def get_item(self, worker: str) -> int:
        """``asyncio.Queue.get`` itself (the hooks write the events)."""
        try:
            return await asyncio.Queue.get(self)
        finally:
            self._left(worker, "not_empty")

    def _left(self, worker: str, cond: str) -> None:
        """Out of put or get (done, or cancelled while it waited)."""
        self._recorded.discard(worker)
        if worker in self.waiting:
            self.waiting.discard(worker)
            self._emit(inside_event(K_COND_WOKE, worker, cond))

    def _blocked(self, worker: str, really: bool, cond: str) -> bool:
        """The wait test for ``worker``: True (it waits on its future) if ``really``
        full / empty or the simulator holds it."""
        if not (really or self.holds(worker)):
            if worker in self.waiting:  # its wait ends: it passes now
                self.waiting.discard(worker)
                self._emit(inside_event(K_COND_WOKE, worker, cond))
            return False
        if really and not self.holds(worker) and worker not in self._recorded:
            self._recorded.add(worker)
            self.spend(worker)  # a step's one event: this PUT_WAIT / GET_WAIT
            if cond == "not_full":
                self._emit(put_wait_event(worker, self._items[worker], self.maxsize))
            else:
                self._emit(get_wait_event(worker))
        if worker not in self.waiting:
            self.waiting.add(worker)
            self._emit(inside_event(K_COND_WAIT, worker, cond))
        return True

    def full(self) -> bool:
        really = super().full()
        worker = _task_worker()
        if worker is None or worker[0] != "P" or worker in self._nowait:
            return really
        return self._blocked(worker, really, "not_full")

    def empty(self) -> bool:
        really = super().empty()
        worker = _task_worker()
        if worker is None or worker[0] != "C":
            return really
        return self._blocked(worker, really, "not_empty")

    def _put(self, item: int) -> None:
        super()._put(item)  # type: ignore[misc]
        worker = _task_worker() or "?"
        self.spend(worker)  # a step's one event: this PUT
        self._emit(put_event(worker, item, self.qsize()))
        # put_nowait adds 1 to unfinished_tasks just after this hook
        self._emit(tasks_event(worker, self._unfinished_tasks + 1))  # type: ignore[attr-defined]

    def _get(self) -> int:
        item: int = super()._get()  # type: ignore[misc]
        worker = _task_worker() or "?"
        self.spend(worker)  # a step's one event: this GOT
        self._emit(got_event(worker, item, self.qsize()))
        return item

    def task_done(self) -> None:
        super().task_done()
        worker = _task_worker()
        if worker is not None:
            self._emit(tasks_event(worker, self._unfinished_tasks))  # type: ignore[attr-defined]


class _Task:
    __slots__ = (
        "go",
        "interruptible",
        "name",
        "number",
        "parked",
        "retiring",
        "role",
        "sleeper",
        "task",
        "uniform",
    )

    def __init__(self, role: Role, name: str, number: int, seed: int | None) -> None:
        self.role, self.name, self.number = role, name, number
        self.task: asyncio.Task[None] | None = None
        self.retiring = False
        self.interruptible = False  # holds nothing: may be cancelled when retired
        self.sleeper: asyncio.Future[bool] | None = None  # set while it sleeps
        self.go = asyncio.Event()  # set to end its hold: resume, a step granted to it
        self.parked = False  # waiting at a hold point or in a blocking put or get
        self.uniform = worker_rng(seed, name).uniform


def _wake(fut: asyncio.Future[bool] | None, early: bool) -> None:
    if fut is not None and not fut.done():
        fut.set_result(early)


class AsyncioBackend(Backend):
    exact_order = True

    _stop_asked = False

    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        self.loop = asyncio.new_event_loop()
        self._clock = ThreadClock()  # the loop thread's CPU time (see engine/cpu.py)
        self.tasks: dict[str, _Task] = {}
        self.sleep_gen: dict[Role, int] = {role: 0 for role in ROLES}
        self._booted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pcsim-asyncio", daemon=True)
        self._thread.start()
        self._booted.wait()
        for w in workers:
            self.add(*w)

    def _run(self) -> None:
        self._clock.begin()
        try:
            self._run_loop()
        finally:
            self._clock.end()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        # the library's asyncio.Queue, or a hand-written buffer (config.buffer), which
        # writes its own put/get events
        # With the Inside view on, ``queue`` is the library's own put/get
        # (_LibraryQueue); off, the fast path (put_nowait, then a held wait)
        cls = buffer_class(self.config.buffer, self.config.bug)
        self.custom = cls is not None or self.inside
        self.queue: Any = (
            cls(self.config.capacity, self.emit, self.inside)
            if cls is not None
            else _LibraryQueue(self.config.capacity, self.emit)
            if self.inside
            else _HeldQueue(self.config.capacity)
        )
        self.granted: set[str] = set()  # workers granted a single step (see base)
        self.queue.granted = self.granted
        if cls is None and not self.inside:  # the plain queue: its offer writes events
            self.queue._emit, self.queue.waiting = self.emit, set()
        with self._hold_lock:
            self._apply_hold(self.held)
            self._started = True
        self.tickets = 0
        self.loop.call_soon(self._booted.set)
        self.loop.run_forever()
        self.loop.close()

    def _spawn(self, role: Role, name: str, number: int) -> None:
        t = _Task(role, name, number, self.config.seed)
        coro = self._producer(t) if role == Role.PRODUCER else self._consumer(t)
        t.task = self.loop.create_task(coro, name=f"pcsim-{name}")
        self.tasks[name] = t

    def add(self, role: Role, name: str, number: int) -> None:
        self.loop.call_soon_threadsafe(self._spawn, role, name, number)

    def _retire(self, name: str) -> None:
        t = self.tasks.pop(name, None)
        if t is None:
            return
        t.retiring = True
        if t.interruptible and t.task is not None:
            t.task.cancel()

    def retire(self, name: str) -> None:
        self.loop.call_soon_threadsafe(self._retire, name)

    # ---- holding and live sleeps (run in the loop) ----------------------------------
    def _set_hold(self, held: bool) -> None:
        if getattr(self, "_started", False):
            with contextlib.suppress(RuntimeError):  # the loop is closed: stopped
                self.loop.call_soon_threadsafe(self._apply_hold, held)

    def _apply_hold(self, held: bool) -> None:
        self.granted.clear()  # a step never outlives the pause it was granted in
        if held:
            self.queue.held = True
            for t in self.tasks.values():
                _wake(t.sleeper, True)  # a sleeper suspends its sleep
        else:
            self.queue.release()
            for t in self.tasks.values():
                t.go.set()

    def step(self, name: str) -> bool:
        t = self.tasks.get(name)
        if t is None or t.task is None or t.task.done():
            return False
        self.loop.call_soon_threadsafe(self._grant, t)
        return True

    def _grant(self, t: _Task) -> None:
        if not self.queue.held:
            return  # resumed meanwhile
        self.granted.add(t.name)
        t.go.set()
        self.queue.wake_all()  # if it waits in a put or get, it re-checks

    def can_move(self, name: str) -> bool:
        check = getattr(getattr(self, "queue", None), "can_move", None)
        return check is None or check(name)

    def mid_move(self, name: str) -> bool:
        return name in getattr(getattr(self, "queue", None), "racing", ())

    def settled(self) -> bool:
        if getattr(self, "queue", None) is None or not self.queue.held:
            return False  # the hold is not applied in the loop yet: a waiter's ``parked``
            # may still be true although its wait just completed (it runs on unheld)
        # a hand-written buffer keeps who waits inside its put or get (``waiting``)
        waiting = self.queue.waiting if getattr(self, "custom", False) else ()
        return all(
            t.parked or t.name in waiting or t.task is None or t.task.done()
            for t in list(self.tasks.values())
        )

    def _sleep_changed(self, role: Role) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: stopped
            self.loop.call_soon_threadsafe(self._redraw, role)

    def _redraw(self, role: Role) -> None:
        self.sleep_gen[role] += 1
        for t in self.tasks.values():
            if t.role is role:
                _wake(t.sleeper, True)

    async def _hold(self, t: _Task, holding: bool = False, spend: bool = False) -> None:
        """Wait while held (see :mod:`~.base`); a task holding nothing may be retired
        (cancelled) meanwhile. Stop cancels every task anyway. A step granted to the task
        passes at once, and ``spend`` (an event is next) uses it up."""
        q, granted, name = self.queue, self.granted, t.name
        while q.held and (holding or not t.retiring):
            if name in granted:
                if spend:
                    granted.discard(name)
                return
            t.interruptible = not holding
            t.parked = True
            t.go.clear()
            try:
                await t.go.wait()
            finally:
                t.interruptible = t.parked = False

    async def _work(self, t: _Task, held: int) -> bool:
        """:func:`~.base.work` as a coroutine: sleep the working time, suspended while
        held, redrawn on a new sleep range. True if the task must leave (a producer that
        was retired; a stop cancels the task instead). With ``work = "cpu"``,
        :meth:`_compute`."""
        rate = self.cpu_rate
        if rate > 0.0:
            return await self._compute(t, held, rate)
        loop, role, producer = self.loop, t.role, held == NO_ITEM
        gen, d = self._draw(t, held)
        slept = 0.0
        while True:
            if self.queue.holds(t.name):  # suspended (also after a step ended at the SLEEP)
                await self._hold(t, not producer, self.sleep_gen[role] != gen)
                if producer and t.retiring:
                    return True
                if self.sleep_gen[role] != gen:
                    gen, d = self._draw(t, held)
                if slept >= d:
                    return False
            fut: asyncio.Future[bool] = loop.create_future()
            t0 = loop.time()
            timer = loop.call_later(max(0.0, d - slept), _wake, fut, False)
            t.sleeper, t.interruptible = fut, producer
            try:
                early = await fut
            finally:
                timer.cancel()
                t.sleeper, t.interruptible = None, False
            if not early:
                return False  # slept it all
            slept += loop.time() - t0
            if producer and t.retiring:
                return True
            if self.queue.holds(t.name):
                continue  # suspended at the top of the loop
            if self.sleep_gen[role] != gen:
                gen, d = self._draw(t, held)
            if slept >= d:
                return False

    def _draw(self, t: _Task, held: int) -> tuple[int, float]:
        """Draw ``t``'s working time from its role's sleep range as it is now, and say so
        (SLEEP, with ``held``). Returns ``(generation, seconds)``: the range's
        generation read first, so a change in between only makes the caller redraw."""
        gen = self.sleep_gen[t.role]
        lo, hi = self.sleeps[t.role]
        d = t.uniform(lo, hi)
        self.emit(sleep_event(t.name, held, d))
        return gen, d

    async def _compute(self, t: _Task, held: int, rate: float) -> bool:
        """:func:`~.base.compute` as a coroutine: the working time computed on the loop's
        thread, without awaiting, so it blocks every other task (as CPU-bound code in a
        coroutine does). Between chunks it looks at the thread-safe flags a pause or a
        stop sets (:attr:`held`, ``_stop_asked``) and only then yields to the loop, which
        applies the hold or cancels the task."""
        role, producer = t.role, held == NO_ITEM
        gen, d = self._draw(t, held)
        chunk = max(1, int(rate * CHUNK_S))
        done, total = 0, int(d * rate)
        while True:
            if self.queue.holds(t.name):  # suspended (also after a step ended at the SLEEP)
                await self._hold(t, not producer, self.sleep_gen[role] != gen)
                if producer and t.retiring:
                    return True
            if self.sleep_gen[role] != gen:
                gen, d = self._draw(t, held)
                total = int(d * rate)
            while done < total:
                n = min(chunk, total - done)
                spin(n)
                done += n
                if self.held or self._stop_asked:
                    break
            if done >= total:
                return False
            await asyncio.sleep(0)  # let the loop apply the hold, or cancel us on stop
            if producer and t.retiring:
                return True

    def cpu_seconds(self) -> tuple[dict[str, float], float | None]:
        # per task it cannot be measured: they all run on the loop's one thread
        return {}, self._clock.read()

    # ---- stop ----------------------------------------------------------------------
    async def _shutdown(self) -> int:
        me = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not me]
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return self.queue.qsize()

    def stop(self, timeout: float = 1.0) -> int:
        self._stop_asked = True  # a task computing yields to the loop (see _compute)
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
        remaining = fut.result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        return remaining

    # ---- the endings (see Backend.put_pills, start_join) -------------------------------
    async def _put_pills(self, count: int) -> None:
        q, emit = self.queue, self.emit
        for k in range(1, count + 1):
            item = pill_id(k)
            if self.custom:  # a hand-written buffer (or the library's, traced) writes its PUT
                await q.put_item(item, MAIN)
                continue
            if q.full():
                await q.put_held(item, MAIN)
            else:
                q.put_nowait(item)
            emit(put_event(MAIN, item, q.qsize()))

    def put_pills(self, count: int) -> None:
        fut = asyncio.run_coroutine_threadsafe(self._put_pills(count), self.loop)
        with contextlib.suppress(asyncio.CancelledError, concurrent.futures.CancelledError):
            fut.result()

    def start_join(self) -> threading.Event:
        done = threading.Event()
        fut = asyncio.run_coroutine_threadsafe(self.queue.join(), self.loop)

        def returned(f: concurrent.futures.Future[None]) -> None:
            if not f.cancelled() and f.exception() is None:
                done.set()

        fut.add_done_callback(returned)
        return done  # a stuck join is cancelled with every task by stop()

    def _ticket(self) -> bool:
        limit = self.config.items
        if limit is None:
            return True
        if self.tickets >= limit:
            return False
        self.tickets += 1
        return True

    # ---- the workers ---------------------------------------------------------------
    def _wait_for_books(self) -> None:
        """Block the loop's thread (every task: they share it) until the engine has
        booked all but :data:`~.base.INBOX_LOW` of the events, or for 1 s at most. The
        books' own throttle (a hold) cannot be relied on here: a busy loop thread can
        keep the bookkeeper from the GIL for most of a second, and the events pile up.
        Blocking releases the GIL, so the books catch up; nothing is lost or skipped."""
        deadline = time.monotonic() + 1.0
        while self.backlog() > INBOX_LOW and not self._stop_asked:
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)

    async def _producer(self, t: _Task) -> None:
        name, emit, q, sleeps = t.name, self.emit, self.queue, self.sleeps
        custom = self.custom
        role = Role.PRODUCER  # an enum attribute costs ~60 ns a lookup: once, not per item
        base, seq, held = t.number << ITEM_SHIFT, 0, -1
        backlog = self.backlog
        emit(started_event(name))
        try:
            while True:
                if backlog() > INBOX_HIGH:  # the books are far behind: the loop waits
                    self._wait_for_books()
                if q.held:  # hold point: before the next item (a step spends its grant
                    # here if the SLEEP comes next)
                    await self._hold(t, False, sleeps[role][1] > 0.0)
                if t.retiring:
                    break
                if sleeps[role][1] > 0.0 and await self._work(t, NO_ITEM):
                    break
                if q.held:  # hold point: before PRODUCED
                    await self._hold(t, False, True)
                    if t.retiring:
                        break
                if not self._ticket():
                    break
                seq += 1
                held = base | seq
                emit(produced_event(name, held))
                if q.held:  # hold point: before the put (it holds the item)
                    await self._hold(t, True)
                    blocks = self.full_policy == "block"  # (else offer spends it)
                    if not custom and blocks and not q.full():  # (a hand-written buffer
                        q.spend(name)  # spends it) a step's one event: this PUT
                if self.full_policy != "block":  # timeout, drop-newest, drop-oldest
                    await q.offer(held, name, self.full_policy, self.put_timeout)
                    held = -1
                    # a put that drops need not wait: at zero sleeps this loop would
                    # never await, and no other task (nor a pause) would ever run
                    await asyncio.sleep(0)
                    continue
                if custom:
                    await q.put_item(held, name)
                    held = -1
                    continue
                try:
                    q.put_nowait(held)
                except asyncio.QueueFull:
                    emit(put_wait_event(name, held, q.maxsize))
                    q.spend(name)
                    t.parked = True
                    try:
                        await q.put_held(held, name)
                    finally:
                        t.parked = False
                emit(put_event(name, held, q.qsize()))
                held = -1
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
        finally:
            emit(stopped_event(name, held))

    async def _consumer(self, t: _Task) -> None:
        name, emit, q, sleeps = t.name, self.emit, self.queue, self.sleeps
        custom = self.custom
        role = Role.CONSUMER
        skip = self.config.bug == "missing-task-done"
        held = -1
        emit(started_event(name))
        try:
            while True:
                if q.held:  # hold point: before taking the next item
                    await self._hold(t)
                    if not custom and not q.empty():  # (a hand-written buffer spends it)
                        q.spend(name)  # a step's one event: this GOT
                if t.retiring:
                    break
                if custom:  # the hand-written buffer writes its own GET_WAIT and GOT
                    t.interruptible = True  # a consumer waiting in get holds nothing
                    try:
                        held = await q.get_item(name)
                    finally:
                        t.interruptible = False
                else:
                    try:
                        held = q.get_nowait()
                    except asyncio.QueueEmpty:
                        emit(get_wait_event(name))
                        q.spend(name)
                        t.interruptible = t.parked = True
                        try:
                            held = await q.get_held(name)
                        finally:
                            t.interruptible = t.parked = False
                    emit(got_event(name, held, q.qsize()))
                if is_pill(held):  # a poison pill: no more items (marked done below)
                    break
                if sleeps[role][1] > 0.0:
                    if q.held:  # hold point: between GOT and the SLEEP
                        await self._hold(t, True, True)
                    await self._work(t, held)
                if q.held:  # hold point: before CONSUMED (it holds the item)
                    await self._hold(t, True, True)
                if not skip:  # (the bug skips it: a join waits for this item for ever)
                    q.task_done()
                emit(consumed_event(name, held, not skip))
                held = -1
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
        finally:
            if is_pill(held):  # the pill it took: marked done, as every item put must be
                q.task_done()
                held = -1
            emit(stopped_event(name, held))


__all__: list[Any] = ["AsyncioBackend"]
