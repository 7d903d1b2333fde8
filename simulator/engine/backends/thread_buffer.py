"""The thread backend's bounded buffer: :class:`queue.Queue` with events, a hold and a close.

It is a real ``queue.Queue`` (same mutex, conditions, ``task_done``/``join``); it adds what
the simulator needs and the standard class lacks on Python 3.11:

* the put/got events are written *inside* the queue's lock, so their order and the buffer
  sizes they carry are exactly the order and sizes the queue went through;
* a blocking put or get can be interrupted: :meth:`close` (like 3.13's ``shutdown``) or
  retiring the waiting worker wakes it, so stopping never hangs;
* while :attr:`held` (the run is paused, or not started yet) no put or get completes,
  even if room or an item appears: the waits also wait while held, and :meth:`hold`
  wakes them when the hold ends;
* while held, a worker granted a single step (its name in :attr:`granted`) passes the
  held check (:meth:`holds`), and spends the grant (:meth:`spend`) on the event it then
  writes, PUT_WAIT / PUT or GET_WAIT / GOT: one event per step.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from simulator.engine.backends.base import Closed
from simulator.engine.events import (
    RawEvent,
    get_wait_event,
    got_event,
    overwritten_event,
    put_event,
    put_wait_event,
    rejected_event,
)


class BoundedBuffer(queue.Queue):
    def __init__(
        self, maxsize: int, emit: Callable[[RawEvent], None], held: bool, inside: bool = False
    ) -> None:
        super().__init__(maxsize)
        self._emit = emit
        self.closed = False
        self.held = held  #: no put or get completes while true (written under the mutex)
        if inside:  # the same queue on instrumented primitives: nothing to test per item
            from simulator.engine.backends.inside import instrument_queue

            instrument_queue(self, emit)
        #: workers granted a single step while held (shared with the backend, which adds
        #: a name; the worker's hold point or this buffer removes it)
        self.granted: set[str] = set()
        #: workers inside a blocking put or get (under the mutex): they are settled
        self.waiting: set[str] = set()

    def holds(self, worker: str) -> bool:
        """True if ``worker`` must not pass now: held, and no step granted to it.
        (Under the mutex; every buffer's held check is this one test.)"""
        return self.held and worker not in self.granted

    def spend(self, worker: str) -> None:
        """``worker`` is about to write its step's one event: its grant is used up."""
        if self.held:
            self.granted.discard(worker)

    # put_item and get_item take ``self.mutex`` itself (the lock both of the queue's
    # conditions are built on: the same lock, entered in C rather than through
    # Condition.__enter__) and read ``len(self.queue)`` rather than ``_qsize()``: four
    # fewer Python calls per item on the path every item takes.

    def put_item(self, item: int, worker: str) -> None:
        """Put ``item``; while full (recording a wait) or held, block until there is room
        and the hold ends, or the buffer closes (:class:`Closed`)."""
        q = self.queue
        with self.mutex:
            if self.held or len(q) >= self.maxsize:
                self._wait_for_room(item, worker)
            if self.closed:
                raise Closed
            q.append(item)
            self.unfinished_tasks += 1
            self._emit(put_event(worker, item, len(q)))
            self.not_empty.notify()

    def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``. On a full buffer:
        ``timeout`` waits up to ``timeout`` seconds of unheld time for room, then drops
        the item (REJECTED, as ``put(timeout=…)`` raising ``queue.Full``); ``drop-newest``
        drops it at once (``put_nowait``); ``drop-oldest`` removes the oldest item
        (OVERWRITTEN; it counts as done: ``unfinished_tasks`` - 1) and puts. Never
        completes while held; :class:`Closed` if the buffer closes."""
        q = self.queue
        with self.mutex:
            if self.held:
                self._wait_while_held(worker)
            if self.closed:
                raise Closed
            if len(q) >= self.maxsize:
                if policy == "drop-oldest":
                    old = q.popleft()
                    self.unfinished_tasks -= 1  # done, unconsumed: join() still returns
                    self._emit(overwritten_event(worker, old, len(q)))
                elif policy == "drop-newest" or not self._wait_until(item, worker, timeout):
                    self.spend(worker)  # a step's one event: this REJECTED
                    self._emit(rejected_event(worker, item, len(q)))
                    return
            self.spend(worker)  # a step's one event: this PUT
            q.append(item)
            self.unfinished_tasks += 1
            self._emit(put_event(worker, item, len(q)))
            self.not_empty.notify()

    def _wait_while_held(self, worker: str) -> None:
        """Under the mutex: wait while the simulator holds ``worker``."""
        self.waiting.add(worker)
        try:
            while self.holds(worker):
                if self.closed:
                    raise Closed
                self.not_full.wait()
        finally:
            self.waiting.discard(worker)

    def _wait_until(self, item: int, worker: str, timeout: float) -> bool:
        """Under the mutex, the buffer full: PUT_WAIT, then wait for room at most
        ``timeout`` seconds (the time held does not count); True if there is room."""
        self.spend(worker)  # a step's one event: this PUT_WAIT
        self._emit(put_wait_event(worker, item, self.maxsize))
        left = timeout
        self.waiting.add(worker)
        try:
            while True:
                if self.closed:
                    raise Closed
                if self.holds(worker):
                    self.not_full.wait()
                    continue
                if len(self.queue) < self.maxsize:
                    return True
                if left <= 0.0:
                    return False
                t0 = time.monotonic()
                self.not_full.wait(left)
                if not self.holds(worker):
                    left -= time.monotonic() - t0
        finally:
            self.waiting.discard(worker)

    def _wait_for_room(self, item: int, worker: str) -> None:
        """The slow path of :meth:`put_item` (under the mutex): PUT_WAIT is recorded once,
        when the buffer is seen full while not held."""
        waited = False
        self.waiting.add(worker)
        try:
            while True:
                if self.closed:
                    raise Closed
                held = self.held  # (read first: holds() is called only while held)
                if not held or not self.holds(worker):
                    if self._qsize() < self.maxsize:
                        if held:
                            self.spend(worker)  # a step's one event: its PUT follows
                        return
                    if not waited:
                        self._emit(put_wait_event(worker, item, self.maxsize))
                        if held:
                            self.spend(worker)
                        waited = True
                self.not_full.wait()
        finally:
            self.waiting.discard(worker)

    def get_item(self, worker: str, retiring: Callable[[], bool]) -> int:
        """Take the oldest item; while empty (recording a wait) or held, block until one
        comes and the hold ends.

        Raises :class:`Closed` when the buffer closes or ``retiring()`` turns true while it
        waits (a waiting consumer holds nothing, so it may leave at once).
        """
        q = self.queue
        with self.mutex:
            if self.held or not q:
                self._wait_for_item(worker, retiring)
            item = q.popleft()
            self._emit(got_event(worker, item, len(q)))
            self.not_full.notify()
            return item

    def _wait_for_item(self, worker: str, retiring: Callable[[], bool]) -> None:
        """The slow path of :meth:`get_item` (under the mutex)."""
        waited = False
        self.waiting.add(worker)
        try:
            while True:
                if self.closed or retiring():
                    raise Closed
                held = self.held
                if not held or not self.holds(worker):
                    if self._qsize():
                        if held:
                            self.spend(worker)  # a step's one event: its GOT follows
                        return
                    if not waited:
                        self._emit(get_wait_event(worker))
                        if held:
                            self.spend(worker)
                        waited = True
                self.not_empty.wait()
        finally:
            self.waiting.discard(worker)

    def hold(self, held: bool) -> None:
        """Hold every put and get (``True``) or let them complete again (``False``: wake
        every waiter to re-check)."""
        with self.mutex:
            self.held = held
            if not held:
                self.not_full.notify_all()
                self.not_empty.notify_all()

    def wake_all(self) -> None:
        """Let every waiter re-check (a step was granted to one of them)."""
        with self.mutex:
            self.not_full.notify_all()
            self.not_empty.notify_all()

    def wake_getters(self) -> None:
        """Let waiting consumers re-check whether they were retired."""
        with self.mutex:
            self.not_empty.notify_all()

    def close(self) -> None:
        with self.mutex:
            self.closed = True
            self.not_full.notify_all()
            self.not_empty.notify_all()

    def snapshot(self) -> list[int]:
        with self.mutex:
            return list(self.queue)
