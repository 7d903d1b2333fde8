"""What the hand-written buffers of both backends share: the slot ring's state, and the
simulator's bookkeeping around it (events, single-step grants, who is waiting).

Threads (:mod:`.thread_buffers`) and asyncio (:mod:`.aio_buffers`) differ in how they
wait, lock and hold; what they write and when is the same, so it is written once here.
Every method is called where the buffer's own order is kept: under the mutex on
threads, between two awaits on asyncio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

from simulator.engine.events import (
    NO_ITEM,
    RawEvent,
    get_wait_event,
    got_event,
    overwritten_event,
    put_event,
    put_wait_event,
    rejected_event,
    tasks_event,
)

EMPTY = NO_ITEM  #: what a slot holds before its first item (item ids are >= 0)

B = TypeVar("B")


def pick_buffer(table: Mapping[tuple[str, str], B], buffer: str, bug: str) -> B | None:
    """The class of ``table`` (keyed by ``(buffer, bug)``, one table a backend) for
    ``buffer`` with ``bug``; None for ``queue`` (the library's, not hand-written). A bug
    the table lacks is the consumers' (``missing-task-done``), not the buffer's: the
    buffer is then as written (``(buffer, "none")``)."""
    if buffer == "queue":
        return None
    return table[(buffer, bug if (buffer, bug) in table else "none")]


#: what a producer that finds the buffer full does under a full policy (see :func:`on_full`)
OnFull = Literal["wait", "overwrite", "reject"]


def on_full(policy: str, left: float, paused: bool) -> OnFull:
    """The full policy's decision, once per look at a full buffer, for a producer with
    ``left`` seconds of its ``put_timeout`` left: ``"overwrite"`` the oldest item
    (``drop-oldest``: a slot is then free), ``"reject"`` its own item (``drop-newest``,
    or ``timeout`` with no time left), or ``"wait"`` (for a slot, at most ``left``
    seconds; while ``paused``, for the hold to end). Nothing is dropped while paused: a
    pause must not change the books. Pure, so that the thread and the asyncio buffers
    decide alike and differ only in how they wait."""
    if paused:
        return "wait"
    if policy == "drop-oldest":
        return "overwrite"
    if policy == "drop-newest" or left <= 0:
        return "reject"
    return "wait"


class SlotBooks:
    """A ring of ``capacity`` slots (``head``, ``tail``, ``count``), ``unfinished_tasks``,
    and the hooks that record PUT_WAIT / PUT / GET_WAIT / GOT. A subclass provides
    ``held`` (no put or get completes while it is true)."""

    held: bool

    def __init__(self, capacity: int, emit: Callable[[RawEvent], None], inside: bool) -> None:
        self.capacity = capacity
        self.slots: list[int] = [EMPTY] * capacity
        self.head = 0  #: the slot the next get takes from
        self.tail = 0  #: the slot the next put writes to
        self.count = 0  #: items in the buffer
        self.unfinished_tasks = 0  #: items put and not yet marked done (what join waits on)
        self._emit = emit
        self.inside = inside
        self._recorded: set[str] = set()  # workers whose PUT_WAIT / GET_WAIT is recorded
        #: workers granted a single step while held (the backend's set, shared: the
        #: backend assigns it at start)
        self.granted: set[str] = set()
        #: workers inside a blocking put or get: they are settled
        self.waiting: set[str] = set()

    def ring(self) -> list[int]:
        """The slots ``count`` claims, oldest first, read without the lock (a moment's
        look for the picture): :data:`EMPTY` where a claimed slot holds nothing, which
        only a broken buffer leaves (two puts into one slot)."""
        n = max(0, min(self.count, self.capacity))
        return [self.slots[(self.head + i) % self.capacity] for i in range(n)]

    # ---- single step (as BoundedBuffer's) ----------------------------------------------
    def holds(self, worker: str) -> bool:
        """True if ``worker`` must not pass now: held, and no step granted to it."""
        return self.held and worker not in self.granted

    #: the name the put/get code reads: true while the simulator holds ``worker`` (the
    #: run is paused and it was not granted a single step), so it waits as if it had to
    _sim_paused = holds

    def spend(self, worker: str) -> None:
        """``worker`` is about to write its step's one event: its grant is used up."""
        if self.held:
            self.granted.discard(worker)

    # ---- the events -------------------------------------------------------------------
    def _record_wait(self, worker: str, item: int, full: bool) -> None:
        """PUT_WAIT (``full``) or GET_WAIT, once per put or get, and not while held."""
        if worker not in self._recorded and not self._sim_paused(worker):
            self._recorded.add(worker)
            self.spend(worker)  # a step's one event: this PUT_WAIT / GET_WAIT
            if full:
                self._emit(put_wait_event(worker, item, self.capacity))
            else:
                self._emit(get_wait_event(worker))

    def _sim_put(self, item: int, worker: str) -> None:
        """``item`` is in: PUT with the count after (and TASKS, with the inside events)."""
        self.waiting.discard(worker)
        self._recorded.discard(worker)
        self.spend(worker)  # a step's one event: this PUT
        self._emit(put_event(worker, item, self.count))
        if self.inside:
            self._emit(tasks_event(worker, self.unfinished_tasks))

    def _sim_got(self, item: int, worker: str) -> None:
        """``item`` is out: GOT with the count after."""
        self.waiting.discard(worker)
        self._recorded.discard(worker)
        self.spend(worker)  # a step's one event: this GOT
        self._emit(got_event(worker, item, self.count))

    def _sim_reject(self, item: int, worker: str) -> None:
        """The full policy drops ``item``: REJECTED, with the count (the buffer is full)."""
        self.waiting.discard(worker)
        self._recorded.discard(worker)
        self.spend(worker)  # a step's one event: this REJECTED
        self._emit(rejected_event(worker, item, self.count))

    def _sim_put_wait(self, item: int, worker: str) -> None:
        """A put is about to wait: the worker is settled, PUT_WAIT recorded (each
        backend's own, for how it closes)."""
        raise NotImplementedError

    def _sim_when_full(
        self, item: int, worker: str, policy: str, left: float, paused: bool
    ) -> OnFull:
        """What ``offer`` does each time it finds the buffer full (or ``paused``): the
        decision of :func:`on_full`, with its event written here, in the buffer's order:
        OVERWRITTEN (the caller then puts ``item`` in the freed slot), REJECTED (the
        caller returns), or the wait's PUT_WAIT (the caller then waits, at most ``left``
        seconds unless ``paused``). Returns the decision."""
        choice = on_full(policy, left, paused)
        if choice == "overwrite":
            self._sim_overwrite(worker)  # the oldest leaves: a slot is free
        elif choice == "reject":
            self._sim_reject(item, worker)  # the item is dropped
        else:
            self._sim_put_wait(item, worker)
        return choice

    def _sim_overwrite(self, worker: str) -> None:
        """``drop-oldest``: the oldest item leaves its slot unconsumed and counts as done
        (``unfinished_tasks`` - 1, so ``join`` still returns); OVERWRITTEN with the count
        after. The caller then puts its item in the freed slot."""
        old = self.slots[self.head]
        self.head = (self.head + 1) % self.capacity
        self.count -= 1
        self.unfinished_tasks -= 1
        self._emit(overwritten_event(worker, old, self.count))
