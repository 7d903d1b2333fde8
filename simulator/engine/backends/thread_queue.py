"""Buffer ``queue`` on threads with the Inside view on: CPython's own ``Queue.put`` and
``Queue.get`` run, unchanged, and the simulator rides on the hooks the class offers.

``queue.Queue`` is built to be subclassed: ``_qsize``, ``_put`` and ``_get`` are "called
with the lock held" (Lib/queue.py), and ``put``/``get`` are written around them:

    with self.not_full:
        while self._qsize() >= self.maxsize:
            self.not_full.wait()
        self._put(item)
        ...

:class:`LibraryQueue` overrides exactly those three, so the code the Inside view shows
(``inspect.getsource(queue.Queue.put)``) is the code every worker is in, line for line:

* ``_put`` / ``_get`` write PUT / GOT with the buffer's size, under the queue's lock
  (so the events keep the queue's own order), and spend a single step's grant;
* ``_qsize`` is the library's loop test, asked with the lock held just before every
  ``wait()``. Asked by a worker inside :meth:`~LibraryQueue.put_item` /
  :meth:`~LibraryQueue.get_item` (a thread-local says which, and for whom), it also
  raises :class:`~.base.Closed` when the run stops (or a waiting consumer is retired),
  records PUT_WAIT / GET_WAIT once per put or get when the buffer is really full /
  empty, and, while the simulator holds that worker (paused, no step granted), answers
  "full" to a putter and "empty" to a getter, so the library's own ``while`` loop waits
  in ``self.not_full.wait()`` / ``self.not_empty.wait()`` even when there is room.
  Everyone else (``qsize()``, ``empty()``, the control thread) gets the true size.

:meth:`~.thread_buffer.BoundedBuffer.hold`, ``wake_all`` and ``close`` notify both
conditions: each waiter wakes inside the library's ``wait()``, its loop asks
``_qsize`` again, and the answer lets it go on, keeps it waiting, or raises Closed out
of the ``with`` block (which releases the lock).

This path is taken only when the run has ``inside=True`` (the code is shown then): the
primitives are the instrumented ones of :mod:`.inside`, so every item already pays
for events. With the Inside view off, :class:`~.thread_buffer.BoundedBuffer`'s fast
``put_item``/``get_item`` run, as before: its fidelity depends on that path.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from simulator.engine.backends.base import Closed
from simulator.engine.backends.thread_buffer import BoundedBuffer
from simulator.engine.events import (
    RawEvent,
    get_wait_event,
    got_event,
    overwritten_event,
    put_event,
    put_wait_event,
    rejected_event,
)

_PUT, _GET = 1, 2  # what the calling worker is doing (the thread-local's ``op``)


def _never() -> bool:
    return False


class LibraryQueue(BoundedBuffer):
    """A :class:`~.thread_buffer.BoundedBuffer` (same interface, same events) whose
    ``put_item``/``get_item`` call ``queue.Queue.put``/``get`` themselves."""

    def __init__(
        self, maxsize: int, emit: Callable[[RawEvent], None], held: bool, inside: bool = True
    ) -> None:
        super().__init__(maxsize, emit, held, inside)
        #: per worker thread: ``op`` (_PUT, _GET or None), ``worker``, ``item``,
        #: ``retiring`` and ``waited`` (its PUT_WAIT / GET_WAIT is recorded)
        self._ctx = threading.local()

    # ---- what the thread backend calls -----------------------------------------------
    def put_item(self, item: int, worker: str) -> None:
        """Put ``item`` with ``queue.Queue.put``; while full (recording a wait) or held,
        it waits in the library's ``not_full.wait()``; :class:`Closed` if the buffer
        closes."""
        ctx = self._ctx
        ctx.op, ctx.worker, ctx.item, ctx.waited = _PUT, worker, item, False
        ctx.policy = "block"
        try:
            queue.Queue.put(self, item)
        finally:
            ctx.op = None

    def offer(self, item: int, worker: str, policy: str, timeout: float) -> None:
        """Put ``item`` by a full policy other than ``block``, with the library's own
        calls: ``timeout`` is ``queue.Queue.put(item, timeout=…)`` and ``drop-newest``
        ``put_nowait(item)``; their ``queue.Full`` drops the item (REJECTED).
        ``drop-oldest`` removes the oldest item under the lock (OVERWRITTEN, counted done)
        and then ``put_nowait``s, again if another producer took the slot meanwhile."""
        ctx = self._ctx
        ctx.op, ctx.worker, ctx.item, ctx.waited = _PUT, worker, item, False
        ctx.policy = policy
        try:
            while True:
                if policy == "drop-oldest":
                    with self.mutex:
                        self._wait_while_held(worker)
                        if self.closed:
                            raise Closed
                        q = self.queue
                        if len(q) >= self.maxsize:
                            old = q.popleft()
                            self.unfinished_tasks -= 1  # done, unconsumed
                            self._emit(overwritten_event(worker, old, len(q)))
                try:
                    if policy == "timeout":
                        queue.Queue.put(self, item, timeout=timeout)
                    else:
                        queue.Queue.put_nowait(self, item)
                    return
                except queue.Full:
                    if policy == "drop-oldest":
                        continue  # another producer took the freed slot: again
                    with self.mutex:
                        self.spend(worker)  # a step's one event: this REJECTED
                        self._emit(rejected_event(worker, item, len(self.queue)))
                    return
        finally:
            ctx.op = None

    def get_item(self, worker: str, retiring: Callable[[], bool] = _never) -> int:
        """Take the oldest item with ``queue.Queue.get``; while empty (recording a wait)
        or held, it waits in the library's ``not_empty.wait()``; :class:`Closed` when the
        buffer closes or ``retiring()`` turns true while it would wait."""
        ctx = self._ctx
        ctx.op, ctx.worker, ctx.retiring, ctx.waited = _GET, worker, retiring, False
        try:
            item: int = queue.Queue.get(self)
            return item
        finally:
            ctx.op = None

    # ---- queue.Queue's hooks (called with the lock held) ------------------------------
    def _qsize(self) -> int:
        """The size the library's loop tests: the true one, except to a worker the
        simulator holds (see the module's docstring)."""
        n = len(self.queue)
        ctx = self._ctx
        op = getattr(ctx, "op", None)
        if op is None:  # not a put or get of ours: the plain answer
            return n
        worker: str = ctx.worker
        if op == _PUT:
            return self._put_check(n, worker, ctx)
        return self._get_check(n, worker, ctx)

    def _put_check(self, n: int, worker: str, ctx: threading.local) -> int:
        if self.closed:
            self.waiting.discard(worker)
            raise Closed
        held = self.held
        policy = getattr(ctx, "policy", "block")
        if held and self.holds(worker):
            if policy == "block":  # paused: the loop waits as if full
                self.waiting.add(worker)
                return self.maxsize
            # a put that may give up must not give up while paused: it waits here (the
            # lock is held; wait() lets it go) until the hold ends, then looks
            self._wait_while_held(worker)
            n, held = len(self.queue), self.held
        if n < self.maxsize:  # room: _put follows (and spends a step's grant)
            self.waiting.discard(worker)
            return n
        if policy in ("drop-newest", "drop-oldest"):  # put_nowait: Full, no wait
            return n
        if not ctx.waited:  # really full: PUT_WAIT, once per put
            ctx.waited = True
            self._emit(put_wait_event(worker, ctx.item, self.maxsize))
            if held:
                self.spend(worker)  # a step's one event: this PUT_WAIT
        self.waiting.add(worker)
        return n

    def _get_check(self, n: int, worker: str, ctx: threading.local) -> int:
        held = self.held
        if n and not held:  # the common case: take it
            self.waiting.discard(worker)
            return n
        if self.closed or ctx.retiring():  # it would wait: may it leave instead?
            self.waiting.discard(worker)
            raise Closed
        if held and self.holds(worker):  # paused: the loop waits as if empty
            self.waiting.add(worker)
            return 0
        if n:  # a granted step: _get follows (and spends the grant)
            self.waiting.discard(worker)
            return n
        if not ctx.waited:  # really empty: GET_WAIT, once per get
            ctx.waited = True
            self._emit(get_wait_event(worker))
            if held:
                self.spend(worker)  # a step's one event: this GET_WAIT
        self.waiting.add(worker)
        return 0

    def _put(self, item: int) -> None:
        """Append ``item`` and write PUT with the new size (the lock is held)."""
        q = self.queue
        q.append(item)
        worker: str = self._ctx.worker
        self.spend(worker)  # a step's one event: this PUT
        self._emit(put_event(worker, item, len(q)))

    def _get(self) -> int:
        """Take the oldest item and write GOT with the size left (the lock is held)."""
        q = self.queue
        item: int = q.popleft()
        worker: str = self._ctx.worker
        self.spend(worker)  # a step's one event: this GOT
        self._emit(got_event(worker, item, len(q)))
        return item
