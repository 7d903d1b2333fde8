"""What a front end receives once per frame: the newest events and the state they led to.

The engine process sends one :class:`Frame` over its pipe every ~10 ms
(:mod:`~simulator.engine.remote`), :meth:`RemoteSimulation.poll
<simulator.engine.remote.RemoteSimulation.poll>` merges what arrived into one, and the
GUI's bridge emits it to the window in a single signal. One type from end to end, so a
field added here reaches every receiver without a signature to re-spell.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.engine.events import Event
from simulator.engine.simulation import Snapshot


@dataclass(frozen=True, slots=True)
class Frame:
    #: the newest events, oldest first (at most a frame's worth: see ``total``)
    events: list[Event]
    #: how many events happened since the previous frame, carried or not
    total: int
    #: the engine's state after them
    snapshot: Snapshot
