"""The event record every worker writes and every view reads.

Events are plain tuples (a :class:`typing.NamedTuple`) because workers create millions of
them: building one is a single C-level tuple allocation (see :func:`make`), which keeps
the instrumentation cheap next to the queue operation it describes.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

#: Item ids carry their producer: ``producer_number << ITEM_SHIFT | sequence``.
ITEM_SHIFT = 32
NO_ITEM = -1


class Kind(IntEnum):
    STARTED = 0  #: a worker began
    STOPPED = 1  #: a worker ended; ``item`` is what it still held (or -1)
    SLEEP = 2  #: a sleep of ``value`` seconds began
    PRODUCED = 3  #: a producer made ``item``
    PUT_WAIT = 4  #: a producer holds ``item`` and waits: the buffer is full
    PUT = 5  #: ``item`` is in the buffer; ``size`` is the buffer length after
    GET_WAIT = 6  #: a consumer waits: the buffer is empty
    GOT = 7  #: a consumer took ``item``; ``size`` is the buffer length after
    CONSUMED = 8  #: a consumer finished ``item`` (``task_done``)
    ERROR = 9  #: a worker failed; ``value`` is the message


# The kinds as plain ints, for the hot paths: workers write raw tuples
# ``(t, kind, worker, item, size, value)`` (one allocation each); the engine's books
# unpack them, and :class:`~simulator.engine.channel.EventChannel` hands subscribers
# :class:`Event` records.
(K_STARTED, K_STOPPED, K_SLEEP, K_PRODUCED, K_PUT_WAIT, K_PUT, K_GET_WAIT, K_GOT,
 K_CONSUMED, K_ERROR) = (int(k) for k in Kind)  # fmt: skip


class Event(NamedTuple):
    t: float  #: ``time.monotonic()`` when it happened (comparable across processes)
    kind: int  #: a :class:`Kind`
    worker: str  #: "P1", "C2", ...
    item: int = NO_ITEM
    size: int = -1
    value: float | str = 0.0


#: ``make(raw)`` turns a raw tuple into an :class:`Event` (one C-level call).
make = Event._make


def item_id(producer_number: int, seq: int) -> int:
    return producer_number << ITEM_SHIFT | seq


def item_label(item: int) -> str:
    """``P1-42``: the 42nd item of producer P1."""
    if item < 0:
        return "-"
    return f"P{item >> ITEM_SHIFT}-{item & ((1 << ITEM_SHIFT) - 1)}"


_LINES = {
    Kind.PRODUCED: "Produced: {item} by {w}",
    Kind.PUT: "{w} put {item} (buffer {size})",
    Kind.PUT_WAIT: "{w} waiting: buffer full",
    Kind.GET_WAIT: "{w} waiting: buffer empty",
    Kind.GOT: "{w} got {item} (buffer {size})",
    Kind.CONSUMED: "Consumed: {item} by {w}",
    Kind.SLEEP: "{w} sleeping {value:.3f} s",
    Kind.STARTED: "{w} started",
    Kind.ERROR: "{w} error: {value}",
}


def describe(ev: Event) -> str:
    """One line in the style of the classic example: ``Produced: P1-42 by P1``."""
    if ev.kind == Kind.STOPPED:
        held = f" holding {item_label(ev.item)}" if ev.item >= 0 else ""
        return f"{ev.worker} stopped{held}"
    return _LINES[Kind(ev.kind)].format(
        w=ev.worker, item=item_label(ev.item), size=ev.size, value=ev.value
    )


def to_json(ev: Event) -> dict[str, object]:
    d: dict[str, object] = {"t": ev.t, "kind": Kind(ev.kind).name.lower(), "worker": ev.worker}
    if ev.item >= 0:
        d["item"] = item_label(ev.item)
    if ev.size >= 0:
        d["size"] = ev.size
    if ev.kind in (Kind.SLEEP, Kind.ERROR):
        d["value"] = ev.value
    return d
