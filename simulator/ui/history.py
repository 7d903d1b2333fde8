"""Rewind's memory: a bounded history of what the window painted (no Qt).

The window records one :class:`FrameState` per frame it paints: the snapshot every view's
figures were drawn from, the code panel's markers, the canvas's fast mode and caption,
and the graph's samples. Not the canvas's tokens in flight: a recorded moment draws none
(stopped mid-flight, a token read as a stray tag over a card's border; the snapshot puts
its item in the hand it was going to). Dragging the time slider back
repaints every view from the state recorded at that moment (:meth:`History.at`): what was
shown, not a re-simulation.

Why the bound holds whatever the machine: entries are kept at least :attr:`History.interval`
of run time apart (the newest entry is always the latest frame: a frame replaces it while
it is less than ``interval`` after the entry before it), at most :attr:`History.seconds`
of run time is kept, at most ``seconds / interval + 2`` entries, and at most
:attr:`History.max_bytes` bytes; the oldest entries go first. Each entry is stored
compactly: each part pickled and zlib-compressed, and a part equal to the previous
entry's (the snapshot between two full frames, markers that did not move) shares its
bytes instead of storing them again. Measured at 64 producers / 64 consumers with the
Inside view on (README, tests/ui/test_rewind.py): about 7 KB per distinct snapshot.

Style: CPython's ``Lib/queue.py``: each public method states its contract.
"""

from __future__ import annotations

import bisect
import pickle
import sys
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from simulator.engine.simulation import RUNNING, STOPPED, Snapshot

#: keep this much run time (seconds): the last 5 minutes
SECONDS = 300.0
#: entries at least this far apart in run time (20 a second: >= 10 frames a second)
INTERVAL = 0.05
#: at most this many bytes, whatever the size of the frames (64 / 64, the Inside view on)
MAX_BYTES = 50_000_000
#: the graph samples at most this often (defined here, without Qt, for :func:`sample_rule`;
#: plots imports it)
SAMPLE_S = 0.1
#: :func:`sample_rule`'s answers: a new sample; the last sample's occupancy is the
#: snapshot's (a stopped run's final count at the same moment); nothing
ADD, END, SKIP = "add", "end", "skip"
#: graph samples kept this much longer than the frames: the graph shows the 60 s before
#: the oldest frame too (plots.WINDOW_S)
SAMPLE_EXTRA_S = 60.0

#: a code-panel marker: (panel line, the line's code, event kind)
Marker = tuple[int, str, int]
#: a graph sample: (run time, produced/s, consumed/s, occupancy)
Sample = tuple[float, float, float, float, float]  # t, produced, consumed, occupancy, dropped


def sample_rule(last: float | None, t: float, state: str) -> str:
    """What the graph does with a snapshot at run time ``t`` in ``state`` when its last
    sample is at ``last`` (None: no sample yet). The one rule of the live graph
    (LivePlot.on_snapshot) and of the history REPLAY draws it from (:meth:`History.add_sample`),
    so REPLAY's graph ends where live's did:

    * no sample yet: :data:`ADD`, whatever the state;
    * a stopped run: :data:`ADD` its final state at the time it stopped whenever that is
      after the last sample (however soon: the frames may stop well before the run does),
      else :data:`END` (the same moment: its final occupancy; a terminate empties the
      buffer after the last frame);
    * running: :data:`ADD` at most every :data:`SAMPLE_S`;
    * otherwise (paused, stopping): :data:`SKIP`, the picture stays as it is."""
    if last is None:
        return ADD
    if state == STOPPED:
        return ADD if t > last + 1e-9 else END
    if state != RUNNING or t - last < SAMPLE_S:
        return SKIP
    return ADD


@dataclass(frozen=True)
class FrameState:
    """What the window painted at one moment of a run: enough for every replayed view
    to paint exactly that again."""

    #: the run's clock (seconds of running) of the frame
    t: float
    #: the snapshot every view's figures were drawn from
    snapshot: Snapshot
    #: the code panel's markers: worker -> (line, code, kind)
    markers: dict[str, Marker] = field(default_factory=dict)
    #: the canvas was in fast mode (no tokens drawn)
    fast: bool = False
    #: the canvas's caption
    caption: str = ""


@dataclass(slots=True)
class _Entry:
    t: float
    #: (snapshot, markers, the rest) each pickled and compressed; shared by identity
    #: with the neighbouring entry when equal
    parts: tuple[bytes, bytes, bytes]
    #: what the parts were made from (the newest entry's only: to share with the next)
    src: tuple[object, ...] | None = None


def _pack(obj: object) -> bytes:
    return zlib.compress(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), 6)


def _unpack(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))


_ENTRY_BYTES = sys.getsizeof(_Entry(0.0, (b"", b"", b""))) + sys.getsizeof(0.0) + 80
_SAMPLE_BYTES = sys.getsizeof((0.0, 0.0, 0.0, 0.0)) + 4 * sys.getsizeof(0.0) + 8


class History:
    """The frames of one run, oldest first, bounded by run time, count and bytes."""

    def __init__(
        self,
        seconds: float = SECONDS,
        interval: float = INTERVAL,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.seconds = seconds
        self.interval = interval
        self.max_bytes = max_bytes
        self.max_frames = int(seconds / interval) + 2
        self._entries: deque[_Entry] = deque()
        self._times: deque[float] = deque()  # the entries' t, for bisect
        self._samples: deque[Sample] = deque()
        self._nbytes = 0
        self.dropped = 0  #: entries dropped for the bounds (oldest first)

    # ---- recording -------------------------------------------------------------------
    def append(self, state: FrameState) -> None:
        """Record ``state`` as the newest frame. It replaces the newest entry if that
        one is less than :attr:`interval` after the entry before it (or if ``state`` is
        not after it: a paused run's steps); then the oldest entries are dropped until
        the bounds hold (run time, count, bytes). The newest entry is never dropped."""
        last = self._entries[-1] if self._entries else None
        src = (
            state.snapshot,
            state.markers,
            (state.fast, state.caption),
        )
        parts: list[bytes] = []
        for i, obj in enumerate(src):
            same = (
                last is not None
                and last.src is not None
                and (last.src[i] is obj or (i > 0 and last.src[i] == obj))
            )
            parts.append(last.parts[i] if same and last is not None else _pack(obj))
        # the newest entry slides forward with each frame until it is `interval` after
        # the one before it; then it stays, and the next frame becomes the newest
        replace = last is not None and (
            state.t <= last.t
            or (len(self._entries) >= 2 and last.t - self._entries[-2].t < self.interval)
        )
        if replace:
            self._pop_newest()
        elif last is not None:
            last.src = None  # only the newest entry keeps what it was made of
        entry = _Entry(state.t, (parts[0], parts[1], parts[2]), src)
        self._add(entry)
        self._enforce()

    def add_sample(
        self,
        t: float,
        produced: float,
        consumed: float,
        occupancy: float,
        state: str,
        dropped: float = 0.0,
    ) -> bool:
        """Offer the graph's samples the snapshot the graph is handed at run time ``t``
        in ``state``, by the graph's own rule (:func:`sample_rule`): a new sample, or
        the last one's occupancy replaced by ``occupancy`` (a stopped run's final count
        at the same moment), or nothing. True if the samples changed."""
        rule = sample_rule(self._samples[-1][0] if self._samples else None, t, state)
        if rule == SKIP:
            return False
        if rule == END:
            last = self._samples[-1]
            if last[3] == occupancy:
                return False
            self._samples[-1] = (last[0], last[1], last[2], occupancy, last[4])
            return True
        self._samples.append((t, produced, consumed, occupancy, dropped))
        self._nbytes += _SAMPLE_BYTES
        return True

    def clear(self) -> None:
        """Forget everything (a new run)."""
        self._entries.clear()
        self._times.clear()
        self._samples.clear()
        self._nbytes = 0
        self.dropped = 0

    # ---- reading ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    @property
    def nbytes(self) -> int:
        """The bytes the history holds: its compressed parts (each shared part once), its
        entries and samples."""
        return self._nbytes

    def span(self) -> tuple[float, float] | None:
        """(oldest t, newest t) of the frames kept, or None when empty."""
        if not self._entries:
            return None
        return self._times[0], self._times[-1]

    def index_at(self, t: float) -> int:
        """The index of the newest entry at or before ``t`` (the oldest if ``t`` is before
        them all); IndexError when empty."""
        if not self._entries:
            raise IndexError("the history is empty")
        return max(0, bisect.bisect_right(self._times, t) - 1)

    def at(self, t: float) -> FrameState:
        """The state recorded at ``t``: the newest at or before it (the oldest if ``t`` is
        before them all); IndexError when empty."""
        e = self._entries[self.index_at(t)]
        fast, caption = _unpack(e.parts[2])
        return FrameState(e.t, _unpack(e.parts[0]), _unpack(e.parts[1]), fast, caption)

    def newest(self) -> FrameState:
        """The newest state; IndexError when empty."""
        if not self._entries:
            raise IndexError("the history is empty")
        return self.at(self._times[-1])

    def samples(self, until: float) -> list[Sample]:
        """The graph's samples up to run time ``until`` (inclusive), oldest first."""
        out = list(self._samples)
        return out[: bisect.bisect_right([s[0] for s in out], until)]

    # ---- the bounds ------------------------------------------------------------------
    def _add(self, entry: _Entry) -> None:
        prev = self._entries[-1] if self._entries else None
        self._nbytes += _ENTRY_BYTES + sum(
            sys.getsizeof(p)
            for i, p in enumerate(entry.parts)
            if prev is None or prev.parts[i] is not p
        )
        self._entries.append(entry)
        self._times.append(entry.t)

    def _pop_newest(self) -> None:
        entry = self._entries.pop()
        self._times.pop()
        prev = self._entries[-1] if self._entries else None
        self._nbytes -= _ENTRY_BYTES + sum(
            sys.getsizeof(p)
            for i, p in enumerate(entry.parts)
            if prev is None or prev.parts[i] is not p
        )

    def _pop_oldest(self) -> None:
        entry = self._entries.popleft()
        self._times.popleft()
        nxt = self._entries[0] if self._entries else None
        self._nbytes -= _ENTRY_BYTES + sum(
            sys.getsizeof(p)
            for i, p in enumerate(entry.parts)
            if nxt is None or nxt.parts[i] is not p
        )
        self.dropped += 1

    def _enforce(self) -> None:
        newest = self._times[-1]
        while len(self._entries) > 1 and (
            newest - self._times[0] > self.seconds
            or len(self._entries) > self.max_frames
            or self._nbytes > self.max_bytes
        ):
            self._pop_oldest()
        oldest = self._times[0] - SAMPLE_EXTRA_S
        while self._samples and self._samples[0][0] < oldest:
            self._samples.popleft()
            self._nbytes -= _SAMPLE_BYTES
