"""A bounded, thread-safe hand-off of event batches to one subscriber.

The engine's bookkeeping thread pushes each batch it has booked into every subscriber's channel; a
subscriber (the GUI's 60 Hz timer, the CLI printer) drains it whenever it likes. A slow or
absent subscriber never blocks the engine: once ``maxlen`` events wait, the oldest are
dropped and counted in :attr:`dropped`, so memory stays bounded and the loss is visible.
The books themselves never go through a channel and never drop anything.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from simulator.engine.events import Event, RawEvent, make


class EventChannel:
    def __init__(self, maxlen: int = 200_000) -> None:
        self._events: deque[RawEvent] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.maxlen = maxlen
        self.dropped = 0

    def push(self, batch: Iterable[RawEvent]) -> None:
        batch = list(batch)
        with self._lock:
            overflow = len(self._events) + len(batch) - self.maxlen
            if overflow > 0:
                self.dropped += overflow
            self._events.extend(batch)

    def drain(self) -> list[Event]:
        """Everything waiting, oldest first, as :class:`Event` records (the engine stores
        raw tuples; only what a subscriber takes is converted)."""
        with self._lock:
            batch = list(self._events)
            self._events.clear()
        return list(map(make, batch))

    def __len__(self) -> int:
        return len(self._events)
