"""The books: where every item is, and whether any was lost or taken twice.

The ledger reads the event stream and keeps exact counts (produced, put, got, consumed),
the ids now in the buffer in FIFO order, and what each worker holds. Its checks are real
ones, against facts the event stream does not make true by construction:

* no item id is consumed twice (per producer, a watermark plus the few ids finished out
  of order, so memory stays bounded however long the run);
* no item is taken that was never put;
* on exactly ordered backends (threads, asyncio) the buffer length the queue itself
  reported in each put/got event equals the ledger's count;
* at the end, :meth:`close_books` compares the books with what the real queue still held.

A full policy other than ``block`` lets items leave without a consumer: REJECTED (the
producer dropped its item: ``timeout``, ``drop-newest``) and OVERWRITTEN (the oldest item
in the buffer made room: ``drop-oldest``). Both are booked by id, so that

    produced = consumed + in_buffer + in_hand + rejected + overwritten

holds exactly; an item taken after it was overwritten (or never put, because it was
rejected) is a violation like any take of an item not in the buffer.

The endings add two things. A chosen ``terminate`` DISCARDS what was in the buffer and
in every hand at its moment (:meth:`Ledger.freeze`, then :meth:`Ledger.discard` at
the close), by id, so that ``produced = consumed + discarded + rejected + overwritten``;
events that arrive stamped after the moment (workers winding down) are not booked, only
counted (:attr:`Ledger.after_moment`). Poison pills travel through the buffer (they are
in :attr:`Ledger.in_buffer_ids`, so the picture shows them) but are not items: no count
includes them. And the books follow ``task_done``: a CONSUMED that skipped it (``--bug
missing-task-done``) leaves its item unfinished for ``join()``
(:attr:`Ledger.unfinished_tasks`, :meth:`Ledger.join_waits_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.engine.events import (
    ITEM_SHIFT,
    K_CONSUMED,
    K_ERROR,
    K_GOT,
    K_OVERWRITTEN,
    K_PRODUCED,
    K_PUT,
    K_RECOVERED,
    K_REJECTED,
    K_SLEEP,
    K_STOPPED,
    PILL_MIN,
    RawEvent,
    item_label,
)

_SEQ_MASK = (1 << ITEM_SHIFT) - 1
MAX_VIOLATIONS = 20
#: how many ids of rejected and of overwritten items the books keep (the first ones)
MAX_DROPPED_IDS = 20


class SeqTracker:
    """Which sequence numbers of one producer were consumed, in bounded memory."""

    __slots__ = ("pending", "watermark")

    def __init__(self) -> None:
        self.watermark = 0  # every seq <= watermark was consumed
        self.pending: set[int] = set()  # consumed seqs above the watermark

    def add(self, seq: int) -> bool:
        """Record ``seq``; False if it had been consumed before."""
        if seq <= self.watermark or seq in self.pending:
            return False
        self.pending.add(seq)
        while self.watermark + 1 in self.pending:
            self.watermark += 1
            self.pending.discard(self.watermark)
        return True


@dataclass
class Ledger:
    strict: bool = True  #: events arrive in the exact order the queue saw them
    produced: int = 0
    put: int = 0
    got: int = 0
    consumed: int = 0
    duplicates: int = 0
    #: item id -> time it was put, in FIFO order (a dict keeps insertion order)
    in_buffer_ids: dict[int, float] = field(default_factory=dict)
    #: taken before its put arrived (only processes' events can arrive out of order)
    early_gets: set[int] = field(default_factory=set)
    held: dict[str, int] = field(default_factory=dict)
    held_at_stop: int = 0
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0
    lost: int = 0
    closed: bool = False
    #: items a producer dropped because the buffer was full (``timeout``, ``drop-newest``)
    rejected: int = 0
    #: items in the buffer overwritten to make room (``drop-oldest``; done for ``join``)
    overwritten: int = 0
    #: the first :data:`MAX_DROPPED_IDS` ids of each
    rejected_ids: list[int] = field(default_factory=list)
    overwritten_ids: list[int] = field(default_factory=list)
    #: poison pills put and taken (not items: no other count includes them)
    #: items the books had in the buffer that the real queue did not hold at the stop
    #: (a broken buffer overwrote them): counted lost, no longer in the buffer
    vanished: int = 0
    pills_put: int = 0
    pills_got: int = 0
    #: items consumed without ``task_done()`` (``--bug missing-task-done``): every id
    undone_ids: list[int] = field(default_factory=list)
    #: a chosen ``terminate``: the ids in the buffer or in a hand at its moment (set by
    #: :meth:`freeze`), then discarded by :meth:`discard`
    frozen: bool = False
    moment_ids: list[int] = field(default_factory=list)
    discarded: int = 0
    discarded_ids: list[int] = field(default_factory=list)
    #: of the discarded: how many were in the buffer, how many in a hand
    discarded_from_buffer: int = 0
    discarded_from_hands: int = 0
    #: item events stamped after the terminate's moment: not booked (see the module)
    after_moment: int = 0

    def _violate(self, message: str, first: bool = False) -> None:
        """Record a violation; the first :data:`MAX_VIOLATIONS` keep their words, and a
        ``first`` one (the closing summary: what was lost) goes ahead of them."""
        self.violation_count += 1
        if first:
            self.violations.insert(0, message)
            del self.violations[MAX_VIOLATIONS:]
        elif len(self.violations) < MAX_VIOLATIONS:
            self.violations.append(message)

    def feed(self, batch: list[RawEvent]) -> list[float]:
        """Book a batch; return the time-in-buffer (s) of each item taken.

        The hot loop of the bookkeeping thread: events are unpacked as tuples and the common
        cases come first, so booking costs well under the queue operation it records.
        """
        latencies: list[float] = []
        ids = self.in_buffer_ids
        held = self.held
        trackers = self._trackers
        strict = self.strict
        put = got = produced = consumed = 0
        # plain ints (an IntEnum member compares through slower paths); local names
        PUT, GOT, PRODUCED, CONSUMED, SLEEP = K_PUT, K_GOT, K_PRODUCED, K_CONSUMED, K_SLEEP
        for t, k, worker, item, size, value in batch:
            if k == SLEEP:  # a third of all events, and nothing to book: out first
                continue
            if k == PUT:
                if item > PILL_MIN:  # a poison pill: in the buffer, not an item
                    self.pills_put += 1
                    if item in self.early_gets:
                        self.early_gets.discard(item)
                    else:
                        ids[item] = t
                    continue
                put += 1
                if item in self.early_gets:
                    self.early_gets.discard(item)
                else:
                    ids[item] = t
                if strict and size != len(ids):
                    self._violate(
                        f"buffer reported {size} items after {worker}'s put, books say {len(ids)}"
                    )
                held.pop(worker, None)
            elif k == GOT:
                if item > PILL_MIN:  # a consumer took a pill: it ends (done at once)
                    self.pills_got += 1
                    if ids.pop(item, None) is None:
                        self.early_gets.add(item)
                    continue
                got += 1
                held[worker] = item
                t_put = ids.pop(item, None)
                if t_put is not None:
                    latencies.append(t - t_put)
                elif strict:
                    self._violate(self._bad_take(worker, item))
                else:
                    self.early_gets.add(item)
            elif k == PRODUCED:
                produced += 1
                held[worker] = item
            elif k == CONSUMED:
                consumed += 1
                held.pop(worker, None)
                tracker = trackers.get(item >> ITEM_SHIFT)
                if tracker is None:
                    tracker = trackers[item >> ITEM_SHIFT] = SeqTracker()
                seq = item & _SEQ_MASK
                if seq == tracker.watermark + 1 and not tracker.pending:
                    tracker.watermark = seq  # the usual case: in order
                elif not tracker.add(seq):
                    self.duplicates += 1
                    self._violate(f"{item_label(item)} consumed twice ({worker})")
                if value:  # it skipped task_done() (the bug): join() waits for it for ever
                    self.undone_ids.append(item)
            elif k == K_STOPPED:
                if held.pop(worker, None) is not None:
                    self.held_at_stop += 1
            elif k == K_REJECTED:  # the producer dropped the item it held: never put
                self.rejected += 1
                held.pop(worker, None)
                if len(self.rejected_ids) < MAX_DROPPED_IDS:
                    self.rejected_ids.append(item)
            elif k == K_OVERWRITTEN:  # the oldest item left the buffer, done, unconsumed
                self.overwritten += 1
                if len(self.overwritten_ids) < MAX_DROPPED_IDS:
                    self.overwritten_ids.append(item)
                if ids.pop(item, None) is None:
                    if strict:
                        self._violate(f"{worker} overwrote {item_label(item)}, not in the buffer")
                    else:
                        self.early_gets.add(item)
                elif strict and size != len(ids):
                    self._violate(
                        f"buffer reported {size} items after {worker}'s overwrite, "
                        f"books say {len(ids)}"
                    )
            elif k == K_ERROR:
                self._violate(f"{worker} failed: {value}")
            elif k == K_RECOVERED:  # redis: a dead consumer's item, back at the exit end
                if item > PILL_MIN:  # a pill it took: back in the buffer, not an item
                    self.pills_got -= 1
                    held.pop(worker, None)
                    self.in_buffer_ids = ids = {item: t, **ids}
                    continue
                put += 1  # in the buffer once more: got again, still consumed only once
                held.pop(worker, None)
                self.in_buffer_ids = ids = {item: t, **ids}
                if strict and size != len(ids):
                    self._violate(
                        f"buffer reported {size} items after a recovery, books say {len(ids)}"
                    )
        self.put += put
        self.got += got
        self.produced += produced
        self.consumed += consumed
        return latencies

    def __post_init__(self) -> None:
        self._trackers: dict[int, SeqTracker] = {}

    def _bad_take(self, worker: str, item: int) -> str:
        """Why a take of ``item`` that the books do not have in the buffer is wrong, in
        a learner's words (a broken buffer's slot read twice, or read empty)."""
        if item < 0 or item is None:
            return f"{worker} took an empty slot (nothing was there)"
        tracker = self._trackers.get(item >> ITEM_SHIFT)
        seq = item & _SEQ_MASK
        done = tracker is not None and (seq <= tracker.watermark or seq in tracker.pending)
        if done or any(h == item for w, h in self.held.items() if w != worker):
            label = item_label(item)
            return f"{worker} took {label}, which was no longer in the buffer (taken already)"
        return f"{worker} took {item_label(item)}, which was never put"

    @property
    def in_buffer(self) -> int:
        return self.put - self.got - self.overwritten - self.discarded_from_buffer - self.vanished

    @property
    def in_hand(self) -> int:
        """Produced but neither put nor rejected yet, or taken but not yet finished."""
        return (
            (self.produced - self.put - self.rejected)
            + (self.got - self.consumed)
            - self.discarded_from_hands
        )

    @property
    def unfinished_tasks(self) -> int:
        """What the buffer's ``unfinished_tasks`` is by the books: every put not yet
        marked ``task_done`` (in the buffer, in a consumer's hand, or consumed without
        it), pills in the buffer included; an overwritten item counts as done."""
        consumers_hold = self.got - self.consumed  # (a terminate's discards included:
        pills = self.pills_put - self.pills_got  # the real queue never saw them done)
        buffered = self.in_buffer + self.discarded_from_buffer
        return buffered + consumers_hold + len(self.undone_ids) + pills

    def join_waits_for(self, limit: int = 50) -> list[int]:
        """The ids ``join()`` waits for (see :attr:`unfinished_tasks`), at most
        ``limit``: those consumed without ``task_done`` first (they never will be), then
        those in consumers' hands, then the buffer's, oldest first."""
        ids = list(self.undone_ids[:limit])
        ids += [i for w, i in self.held.items() if w[:1] == "C" and 0 <= i < PILL_MIN]
        ids += list(self.in_buffer_ids)
        return ids[:limit]

    def freeze(self) -> list[int]:
        """The terminate's moment: remember (and return) the ids in the buffer and in
        every hand now, buffer first, oldest first; from now on item events are not
        booked (see :meth:`feed_after`)."""
        seen: set[int] = set()
        moment: list[int] = []
        for i in [*self.in_buffer_ids, *self.held.values(), *self.early_gets]:
            if 0 <= i < PILL_MIN and i not in seen:
                seen.add(i)
                moment.append(i)
        self.moment_ids = moment
        self.frozen = True
        return moment

    def feed_after(self, batch: list[RawEvent]) -> None:
        """Book a batch that came after the terminate's moment: workers' last words
        (STOPPED, ERROR) only; item events are counted in :attr:`after_moment`."""
        for ev in batch:
            k = ev[1]
            if k in (K_PRODUCED, K_PUT, K_GOT, K_CONSUMED, K_REJECTED, K_OVERWRITTEN):
                self.after_moment += 1
            elif k == K_ERROR:
                self._violate(f"{ev[2]} failed: {ev[5]}")

    def discard(self) -> None:
        """Close the books of a chosen ``terminate``: what was in the buffer or in a
        hand at the moment is DISCARDED, by id (not lost: the user chose to lose it)."""
        in_buf = {i for i in self.in_buffer_ids if i < PILL_MIN}
        self.discarded_ids = list(self.moment_ids)
        self.discarded = len(self.discarded_ids)
        self.discarded_from_buffer = sum(1 for i in self.discarded_ids if i in in_buf)
        self.discarded_from_hands = self.discarded - self.discarded_from_buffer
        self.in_buffer_ids.clear()
        self.held.clear()
        self.early_gets.clear()
        self.closed = True
        distinct = self.consumed - self.duplicates
        dropped = self.rejected + self.overwritten
        self.lost = max(0, self.produced - distinct - dropped - self.discarded)
        if self.lost or distinct + dropped + self.discarded != self.produced:
            self._violate(
                f"terminate's books do not balance: produced {self.produced}, consumed "
                f"{distinct}, discarded {self.discarded}, rejected {self.rejected}, "
                f"overwritten {self.overwritten}",
                first=True,
            )

    @property
    def dropped(self) -> int:
        """Items the full policy let go: rejected + overwritten."""
        return self.rejected + self.overwritten

    def close_books(self, remaining: int, contents: list[int] | None = None) -> None:
        """After the workers have stopped: compare with the ``remaining`` items really
        left in the queue. Anything produced that is neither consumed, nor in the queue,
        nor held by a worker at its stop, was lost. ``contents`` (the real queue's ids,
        where they can be read: a broken buffer) makes the books' buffer what the queue
        really holds: an item the books had there and the queue has not is lost, not
        in the buffer, so the figures add up."""
        self.closed = True
        remaining -= self.pills_put - self.pills_got  # pills left in the real queue
        # an item consumed twice counts once: the copies hide as many lost items
        distinct = self.consumed - self.duplicates
        dropped = self.rejected + self.overwritten
        self.lost = max(0, self.produced - distinct - remaining - self.held_at_stop - dropped)
        if self.lost:
            twice = f" ({self.duplicates} consumed twice)" if self.duplicates else ""
            policy = (
                f", rejected {self.rejected}, overwritten {self.overwritten}" if dropped else ""
            )
            self._violate(
                f"{self.lost} item(s) lost: produced {self.produced}, consumed "
                f"{distinct} different items{twice}, left in buffer {remaining}, held "
                f"{self.held_at_stop}{policy}",
                first=True,
            )
        if remaining != self.in_buffer:
            self._violate(f"queue holds {remaining} items, books say {self.in_buffer}")
            if contents is not None:  # the books' buffer becomes the real one
                real = set(contents)
                gone = [i for i in self.in_buffer_ids if i not in real and i < PILL_MIN]
                for i in gone:
                    del self.in_buffer_ids[i]
                self.vanished = len(gone)
        if self.early_gets:
            self._violate(f"{len(self.early_gets)} item(s) taken that were never put")

    @property
    def ok(self) -> bool:
        return self.violation_count == 0
