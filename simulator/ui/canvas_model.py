"""What the canvas animates, kept apart from painting so it can be tested without pixels.

Tokens are the items in flight: from a producer to its slot (a ``PUT``) and from the
buffer's exit to a consumer (a ``GOT``). Each lasts :attr:`duration` seconds. At high rates
the picture must never lag behind reality, so the model keeps no backlog: a worker has at
most one token in flight (a newer one replaces it), the number of tokens is capped, and a
frame with more moves than can be followed switches to *fast mode*, where only states,
fill and counters are shown until the rate drops.

Drops are the items a full policy lets go (REJECTED by a producer, OVERWRITTEN in the
buffer): each is seen leaving the picture for :data:`DROP_S`, with its word; at most
:data:`MAX_DROPS` at once (the newest), none in fast mode. The same pool shows an item
RECOVERED from a dead consumer (redis) coming back to the buffer's exit, with its word,
for :data:`RECOVER_S`: long enough to be seen, as it is rare and it matters.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.engine.events import Event, Kind

TWEEN_S = 0.25
MAX_TOKENS = 48
FAST_MOVES_PER_FRAME = 24  # more puts+gets than this in one frame: stop animating
FAST_HOLD_S = 1.0  # stay in fast mode this long after the last busy frame
DROP_S = 0.9  #: how long a dropped item is seen leaving (long enough to read its word)
RECOVER_S = 3.0  #: how long a recovered item is seen coming back, with its word
MAX_DROPS = 8
#: the word a dropped item carries as it leaves
DROP_WORDS = {
    int(Kind.REJECTED): "rejected",
    int(Kind.OVERWRITTEN): "overwritten",
    int(Kind.RECOVERED): "recovered",
}


@dataclass(slots=True)
class Drop:
    """An item the full policy let go: from the producer's hand (``rejected``) or the
    buffer's exit (``overwritten``), out of the picture; or one ``recovered`` from a dead
    consumer, back to the exit."""

    item: int
    worker: str  #: the producer that dropped it, whose put overwrote it, or who died
    word: str  #: "rejected", "overwritten" or "recovered"
    t0: float

    @property
    def duration(self) -> float:
        return RECOVER_S if self.word == "recovered" else DROP_S

    def progress(self, now: float) -> float:
        return min(1.0, max(0.0, (now - self.t0) / self.duration))


@dataclass(slots=True)
class Token:
    item: int
    worker: str
    inbound: bool  # True: producer -> slot, False: buffer exit -> consumer
    t0: float

    def progress(self, now: float, duration: float) -> float:
        return min(1.0, max(0.0, (now - self.t0) / duration))


class CanvasModel:
    def __init__(self, duration: float = TWEEN_S) -> None:
        self.duration = duration
        self.tokens: dict[str, Token] = {}  # by worker: one in flight each
        self.drops: list[Drop] = []  # items leaving by the full policy, oldest first
        self.fast_until = 0.0

    def clear(self) -> None:
        self.tokens.clear()
        self.drops.clear()
        self.fast_until = 0.0

    def fast(self, now: float) -> bool:
        return now < self.fast_until

    def feed(self, batch: list[Event], now: float, total: int | None = None) -> None:
        """``batch`` may be the newest part of ``total`` events (the rest were not sent)."""
        total = len(batch) if total is None else total
        if total > 8 * FAST_MOVES_PER_FRAME:  # clearly too many: do not even scan
            self.fast_until = now + FAST_HOLD_S
            self.tokens.clear()
            self.drops.clear()
            return
        moves = [e for e in batch if e.kind == Kind.PUT or e.kind == Kind.GOT]
        if len(moves) > FAST_MOVES_PER_FRAME:
            self.fast_until = now + FAST_HOLD_S
            self.tokens.clear()
            self.drops.clear()
            return
        if self.fast(now):
            return
        for e in batch:
            word = DROP_WORDS.get(e.kind)
            if word is not None:
                self.drops.append(Drop(e.item, e.worker, word, now))
        del self.drops[:-MAX_DROPS]
        for e in moves:
            if e.kind == Kind.GOT:  # taken at once: its trip into the slot is over
                for w in [w for w, t in self.tokens.items() if t.inbound and t.item == e.item]:
                    del self.tokens[w]
            self.tokens[e.worker] = Token(e.item, e.worker, e.kind == Kind.PUT, now)
        if len(self.tokens) > MAX_TOKENS:  # keep the newest
            newest = sorted(self.tokens.values(), key=lambda t: t.t0)[-MAX_TOKENS:]
            self.tokens = {t.worker: t for t in newest}

    def live_tokens(self, now: float) -> list[Token]:
        """Tokens still moving; finished ones are dropped."""
        done = [w for w, t in self.tokens.items() if now - t.t0 >= self.duration]
        for w in done:
            del self.tokens[w]
        return list(self.tokens.values())

    def live_drops(self, now: float) -> list[Drop]:
        """Drops still leaving; finished ones are forgotten."""
        self.drops = [d for d in self.drops if now - d.t0 < d.duration]
        return list(self.drops)

    def in_flight(self) -> set[int]:
        return {t.item for t in self.tokens.values()}

    def arriving(self) -> set[int]:
        """Items on their way to a consumer (drawn by their token until it lands)."""
        return {t.item for t in self.tokens.values() if not t.inbound}


def ease(p: float) -> float:
    """Ease-out cubic: quick start, gentle arrival."""
    return 1.0 - (1.0 - p) ** 3
