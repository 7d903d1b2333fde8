"""The thread backend's bounded buffer: :class:`queue.Queue` with events and a close.

It is a real ``queue.Queue`` (same mutex, conditions, ``task_done``/``join``); it adds what
the simulator needs and the standard class lacks on Python 3.11:

* the put/got events are written *inside* the queue's lock, so their order and the buffer
  sizes they carry are exactly the order and sizes the queue went through;
* a blocking put or get can be interrupted: :meth:`close` (like 3.13's ``shutdown``) or
  retiring the waiting worker wakes it, so stopping never hangs.
"""

from __future__ import annotations

import queue
from collections.abc import Callable

from simulator.engine.backends.base import Closed
from simulator.engine.events import (
    RawEvent,
    get_wait_event,
    got_event,
    put_event,
    put_wait_event,
)


class BoundedBuffer(queue.Queue):
    def __init__(self, maxsize: int, emit: Callable[[RawEvent], None]) -> None:
        super().__init__(maxsize)
        self._emit = emit
        self.closed = False

    def put_item(self, item: int, worker: str) -> None:
        """Put ``item``; if full, record a wait and block until there is room or close."""
        emit = self._emit
        with self.not_full:
            if self._qsize() >= self.maxsize:
                emit(put_wait_event(worker, item, self.maxsize))
                while self._qsize() >= self.maxsize:
                    if self.closed:
                        raise Closed
                    self.not_full.wait()
            if self.closed:
                raise Closed
            self._put(item)
            self.unfinished_tasks += 1
            emit(put_event(worker, item, self._qsize()))
            self.not_empty.notify()

    def get_item(self, worker: str, retiring: Callable[[], bool]) -> int:
        """Take the oldest item; if empty, record a wait and block until one comes.

        Raises :class:`Closed` when the buffer closes or ``retiring()`` turns true while it
        waits (a waiting consumer holds nothing, so it may leave at once).
        """
        emit = self._emit
        with self.not_empty:
            if not self._qsize():
                emit(get_wait_event(worker))
                while not self._qsize():
                    if self.closed or retiring():
                        raise Closed
                    self.not_empty.wait()
            item = self._get()
            emit(got_event(worker, item, self._qsize()))
            self.not_full.notify()
            return item

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
