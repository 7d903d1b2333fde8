"""The event record every worker writes and every view reads: defined once, here.

Workers create millions of events, so on the hot path an event is a plain tuple, a
:data:`RawEvent`, built by one of the constructors below (``put_event(worker, item,
size)``, ...): one small call and one tuple allocation, cheap next to the queue operation
it describes. The engine's books unpack raw tuples; subscribers get :class:`Event`
records (the same tuple with names, see :func:`make`). A new kind is a new :class:`Kind`
member, its ``K_`` constant, its constructor and its line in ``_LINES``: all in this file.
"""

from __future__ import annotations

import time
from enum import IntEnum
from typing import NamedTuple, TypeAlias

#: Item ids carry their producer: ``producer_number << ITEM_SHIFT | sequence``.
ITEM_SHIFT = 32
NO_ITEM = -1  #: the ``item`` of an event about no item
NO_SIZE = -1  #: the ``size`` of an event that does not report the buffer's length

#: One event as workers write it and the books read it, field by field:
#:
#: 0. ``t`` (float): ``time.monotonic()`` when it happened (comparable across processes);
#: 1. ``kind`` (int): a :class:`Kind` value (the plain ints ``K_*`` on the hot path);
#: 2. ``worker`` (str): who did it, ``"P1"``, ``"C2"``, ...;
#: 3. ``item`` (int): the item id concerned (see :func:`item_id`), or :data:`NO_ITEM`;
#: 4. ``size`` (int): the buffer's length the queue itself reported (PUT, GOT, PUT_WAIT,
#:    GET_WAIT), or :data:`NO_SIZE`;
#: 5. ``value`` (float | str): the seconds of a SLEEP, the message of an ERROR, else 0.0.
#:
#: Build them with the constructors below, never by hand, so every backend writes the
#: same shape for the same kind (a test runs all three and compares).
RawEvent: TypeAlias = tuple[float, int, str, int, int, float | str]


class Kind(IntEnum):
    STARTED = 0  #: a worker began
    STOPPED = 1  #: a worker ended; ``item`` is what it still held (or -1)
    #: a sleep of ``value`` seconds began: a producer's production time, a consumer's
    #: consumption time of ``item``; a live change of the sleep range redraws a sleep in
    #: progress and says so with a new SLEEP of the new total (time already slept included)
    SLEEP = 2
    PRODUCED = 3  #: a producer made ``item``
    #: a producer holds ``item`` and waits: the buffer is full; ``size`` is the buffer's
    #: length when the wait began, which is its capacity (on every backend)
    PUT_WAIT = 4
    PUT = 5  #: ``item`` is in the buffer; ``size`` is the buffer length after
    GET_WAIT = 6  #: a consumer waits: the buffer is empty; ``size`` is 0, its length
    GOT = 7  #: a consumer took ``item``; ``size`` is the buffer length after
    CONSUMED = 8  #: a consumer finished ``item`` (``task_done``)
    ERROR = 9  #: a worker failed; ``value`` is the message
    # ---- the "inside" kinds: what the buffer's primitives do, recorded only when a run is
    # started with ``inside=True`` (the Inside view, ``pcsim run --events``); ``value`` is
    # the primitive's name ("mutex", "not_full", "empty", ...). The books skip them.
    LOCK_WAIT = 10  #: ``worker`` waits for the lock ``value`` (someone else holds it)
    LOCK_HELD = 11  #: ``worker`` holds the lock ``value``
    LOCK_FREE = 12  #: ``worker`` lets the lock ``value`` go
    #: ``worker`` released the lock and waits on the condition ``value`` ("not_full")
    COND_WAIT = 13
    COND_WOKE = 14  #: ``worker`` is back from ``wait()`` on ``value``, the lock held again
    #: ``worker`` notified the condition ``value``; ``size`` is how many it may wake
    #: (1 for ``notify()``, the number of waiters for ``notify_all()``)
    NOTIFY = 15
    SEM_WAIT = 16  #: ``worker`` blocks on the semaphore ``value``; ``size`` the count seen
    SEM_TAKE = 17  #: ``worker`` acquired the semaphore ``value``; ``size`` the count after
    SEM_GIVE = 18  #: ``worker`` released the semaphore ``value``; ``size`` the count after
    #: ``size`` is the buffer's ``unfinished_tasks`` after a put (+1) or task_done (-1)
    TASKS = 19
    # ---- the full policy's drops (ordinary kinds, booked; numbered after the inside
    # kinds so that those keep their numbers, see :func:`is_inside`)
    #: the producer ``worker`` dropped its ``item``: the buffer was full (``timeout``: for
    #: the whole wait, ``drop-newest``: at once); ``size`` is the buffer's length then
    REJECTED = 20
    #: ``item``, the oldest in the buffer, was overwritten by ``worker``'s put
    #: (``drop-oldest``); it counts as done (``task_done``). ``size`` is the buffer's
    #: length after it left; the PUT of the new item follows
    OVERWRITTEN = 21
    # ---- an inside kind numbered after the drops (see :func:`is_inside`)
    #: BUG ``no-lock`` only: ``worker`` read the buffer's index ``value`` ("tail" in put,
    #: "head" in get) *outside* the lock and has not written it back yet; ``size`` is the
    #: index it read, ``item`` the item it puts (or -1). It is the race window made
    #: visible, and a single step ends on it (see ``NoLockBuffer._sim_race``)
    UNLOCKED_READ = 22
    # ---- the broker's own kind (redis): not an inside kind, booked like a put
    #: the consumer ``worker`` died (its heartbeat expired) holding ``item``: the item went
    #: back to the exit end of the buffer (it is taken next); ``size`` the length after
    RECOVERED = 23


# The kinds as plain ints, for the hot paths: the books compare raw tuples' kinds with
# them, and :class:`~simulator.engine.channel.EventChannel` hands subscribers
# :class:`Event` records.
(
    K_STARTED,
    K_STOPPED,
    K_SLEEP,
    K_PRODUCED,
    K_PUT_WAIT,
    K_PUT,
    K_GET_WAIT,
    K_GOT,
    K_CONSUMED,
    K_ERROR,
    K_LOCK_WAIT,
    K_LOCK_HELD,
    K_LOCK_FREE,
    K_COND_WAIT,
    K_COND_WOKE,
    K_NOTIFY,
    K_SEM_WAIT,
    K_SEM_TAKE,
    K_SEM_GIVE,
    K_TASKS,
    K_REJECTED,
    K_OVERWRITTEN,
    K_UNLOCKED_READ,
    K_RECOVERED,
) = (int(k) for k in Kind)

#: the first of the inside kinds: every kind ``K_INSIDE <= k <= K_INSIDE_END`` is one,
#: and so is :data:`K_UNLOCKED_READ` (numbered after the drops)
K_INSIDE = K_LOCK_WAIT
K_INSIDE_END = K_TASKS
INSIDE_KINDS: frozenset[Kind] = frozenset(
    k for k in Kind if K_INSIDE <= k <= K_INSIDE_END or k == K_UNLOCKED_READ
)
#: the kinds of an item that left by the full policy, not by a consumer
DROP_KINDS: frozenset[int] = frozenset({K_REJECTED, K_OVERWRITTEN})
#: the kinds only a broker writes (the redis backend): a dead worker's item recovered
BROKER_KINDS: frozenset[Kind] = frozenset({Kind.RECOVERED})


#: the inside kinds that leave a worker on the line it was on (releasing a lock, counting
#: a finished task): the code panel's marker stays; every other kind moves it
MARKER_STAYS: frozenset[int] = frozenset({K_LOCK_FREE, K_TASKS})


def is_inside(kind: int) -> bool:
    """True for the inside kinds (locks, conditions, semaphores, unfinished tasks)."""
    return K_INSIDE <= kind <= K_INSIDE_END or kind == K_UNLOCKED_READ


class Event(NamedTuple):
    """A :data:`RawEvent` with its fields named (what subscribers and views read)."""

    t: float  #: ``time.monotonic()`` when it happened (comparable across processes)
    kind: int  #: a :class:`Kind`
    worker: str  #: "P1", "C2", ...
    item: int = NO_ITEM
    size: int = NO_SIZE
    value: float | str = 0.0


#: ``make(raw)`` turns a raw tuple into an :class:`Event` (one C-level call).
make = Event._make

# ---- the constructors: every raw event is built by one of these -------------------
# Each reads the clock itself: the moment the event is built is the moment it happened.
_now = time.monotonic


def started_event(worker: str) -> RawEvent:
    """``worker`` began (it is ready)."""
    return (_now(), K_STARTED, worker, NO_ITEM, NO_SIZE, 0.0)


def stopped_event(worker: str, held: int) -> RawEvent:
    """``worker`` ended still holding ``held`` (or :data:`NO_ITEM`)."""
    return (_now(), K_STOPPED, worker, held, NO_SIZE, 0.0)


def sleep_event(worker: str, held: int, seconds: float) -> RawEvent:
    """``worker`` sleeps ``seconds``: a producer makes its next item meanwhile, a consumer
    works on ``held``."""
    return (_now(), K_SLEEP, worker, held, NO_SIZE, seconds)


def produced_event(worker: str, item: int) -> RawEvent:
    """The producer ``worker`` made ``item``."""
    return (_now(), K_PRODUCED, worker, item, NO_SIZE, 0.0)


def put_wait_event(worker: str, item: int, capacity: int) -> RawEvent:
    """``worker`` holds ``item`` and waits: the buffer is full (its length is ``capacity``)."""
    return (_now(), K_PUT_WAIT, worker, item, capacity, 0.0)


def put_event(worker: str, item: int, size: int) -> RawEvent:
    """``item`` is in the buffer, whose length is now ``size``."""
    return (_now(), K_PUT, worker, item, size, 0.0)


def get_wait_event(worker: str) -> RawEvent:
    """``worker`` waits: the buffer is empty."""
    return (_now(), K_GET_WAIT, worker, NO_ITEM, 0, 0.0)


def got_event(worker: str, item: int, size: int) -> RawEvent:
    """``worker`` took ``item``; the buffer's length is now ``size``."""
    return (_now(), K_GOT, worker, item, size, 0.0)


#: the ``value`` of a CONSUMED whose ``task_done()`` was skipped (``--bug missing-task-done``)
NO_TASK_DONE = "no task_done"


def consumed_event(worker: str, item: int, done: bool = True) -> RawEvent:
    """``worker`` finished ``item`` (``task_done``; with ``done`` False it skipped it, and
    ``value`` says so: :data:`NO_TASK_DONE`)."""
    return (_now(), K_CONSUMED, worker, item, NO_SIZE, 0.0 if done else NO_TASK_DONE)


def error_event(worker: str, held: int, message: str) -> RawEvent:
    """``worker`` failed with ``message`` while holding ``held`` (or :data:`NO_ITEM`)."""
    return (_now(), K_ERROR, worker, held, NO_SIZE, message)


def inside_event(kind: int, worker: str, name: str, size: int = NO_SIZE) -> RawEvent:
    """One of the inside kinds (``K_LOCK_WAIT`` .. ``K_TASKS``): ``worker`` did ``kind`` on
    the primitive ``name``; ``size`` a count where the kind has one (see :class:`Kind`)."""
    return (_now(), kind, worker, NO_ITEM, size, name)


def tasks_event(worker: str, unfinished: int) -> RawEvent:
    """The buffer's ``unfinished_tasks`` is ``unfinished`` after ``worker``'s put or
    task_done."""
    return (_now(), K_TASKS, worker, NO_ITEM, unfinished, "unfinished_tasks")


def rejected_event(worker: str, item: int, size: int) -> RawEvent:
    """The producer ``worker`` dropped ``item``: the buffer (``size`` long) was full."""
    return (_now(), K_REJECTED, worker, item, size, 0.0)


def overwritten_event(worker: str, item: int, size: int) -> RawEvent:
    """``worker`` overwrote ``item``, the oldest in the buffer; ``size`` items remain."""
    return (_now(), K_OVERWRITTEN, worker, item, size, 0.0)


def unlocked_read_event(worker: str, item: int, index: str, value: int) -> RawEvent:
    """``worker`` read the index ``index`` ("tail", "head"), which was ``value``, without
    the lock (the no-lock bug), about to put ``item`` (or :data:`NO_ITEM` in a get)."""
    return (_now(), K_UNLOCKED_READ, worker, item, value, index)


def recovered_event(worker: str, item: int, size: int) -> RawEvent:
    """The dead consumer ``worker``'s ``item`` is back in the buffer (length ``size``)."""
    return (_now(), K_RECOVERED, worker, item, size, 0.0)


def item_id(producer_number: int, seq: int) -> int:
    return producer_number << ITEM_SHIFT | seq


#: Poison pills (shutdown ``poison-pill``) are items of a reserved producer number, far
#: above any real producer's: ids ``PILL_MIN + k`` for k = 1, 2, ... The books do not
#: count them as items; a consumer that takes one ends.
PILL_NUMBER = 0xFFFF
PILL_MIN = PILL_NUMBER << ITEM_SHIFT
#: who puts the pills (and calls ``join()``): the main thread, as in the classic program
MAIN = "main"


def pill_id(k: int) -> int:
    """The ``k``-th poison pill's id (``k`` from 1)."""
    return PILL_MIN | k


def is_pill(item: int) -> bool:
    """True for a poison pill's id (see :data:`PILL_MIN`)."""
    return item > PILL_MIN


def item_label(item: int) -> str:
    """``P1-42``: the 42nd item of producer P1; ``pill-2``: the second poison pill."""
    if item < 0:
        return "-"
    if item > PILL_MIN:
        return f"pill-{item & ((1 << ITEM_SHIFT) - 1)}"
    return f"P{item >> ITEM_SHIFT}-{item & ((1 << ITEM_SHIFT) - 1)}"


_LINES = {
    Kind.PRODUCED: "Produced: {item} by {w}",
    Kind.PUT: "{w} put {item} (buffer {size})",
    Kind.PUT_WAIT: "{w} waiting: buffer full",
    Kind.GET_WAIT: "{w} waiting: buffer empty",
    Kind.GOT: "{w} got {item} (buffer {size})",
    Kind.CONSUMED: "Consumed: {item} by {w}",
    Kind.STARTED: "{w} started",
    Kind.ERROR: "{w} error: {value}",
    Kind.LOCK_WAIT: "{w} waits for the lock {value}",
    Kind.LOCK_HELD: "{w} holds the lock {value}",
    Kind.LOCK_FREE: "{w} releases the lock {value}",
    Kind.COND_WAIT: "{w} waits on {value} (lock released)",
    Kind.COND_WOKE: "{w} woke from {value} (lock held again)",
    Kind.NOTIFY: "{w} notifies {value} (may wake {size})",
    Kind.SEM_WAIT: "{w} blocks on semaphore {value} (count {size})",
    Kind.SEM_TAKE: "{w} takes semaphore {value} (count now {size})",
    Kind.SEM_GIVE: "{w} gives semaphore {value} (count now {size})",
    Kind.TASKS: "{w}: unfinished_tasks = {size}",
    Kind.REJECTED: "Rejected: {item} by {w} (buffer full)",
    Kind.OVERWRITTEN: "Overwritten: {item} by {w} (oldest dropped)",
    Kind.UNLOCKED_READ: "{w} read {value} = {size} without the lock",
    Kind.RECOVERED: "{w} died holding {item}: recovered, back in the buffer ({size})",
}


def describe(ev: Event) -> str:
    """One line in the style of the classic example: ``Produced: P1-42 by P1``."""
    if ev.kind == Kind.STOPPED:
        held = f" holding {item_label(ev.item)}" if ev.item >= 0 else ""
        return f"{ev.worker} stopped{held}"
    if ev.kind == Kind.SLEEP:  # the sleep is the work: say which
        if ev.worker[:1] == "P":
            what = "producing"
        else:
            what = f"consuming {item_label(ev.item)}" if ev.item >= 0 else "consuming"
        return f"{ev.worker} {what} for {ev.value:.3f} s"
    return _LINES[Kind(ev.kind)].format(
        w=ev.worker, item=item_label(ev.item), size=ev.size, value=ev.value
    )


def to_json(ev: Event) -> dict[str, object]:
    d: dict[str, object] = {"t": ev.t, "kind": Kind(ev.kind).name.lower(), "worker": ev.worker}
    if ev.item >= 0:
        d["item"] = item_label(ev.item)
    if ev.size >= 0:
        d["size"] = ev.size
    if ev.kind in (Kind.SLEEP, Kind.ERROR) or is_inside(ev.kind):
        d["value"] = ev.value
    return d
