"""The API a front end drives, stated once: :class:`Simulation` and its out-of-process
twin :class:`~simulator.engine.remote.RemoteSimulation` both satisfy it (a test checks
both, by type and at run time), so a front end written against it runs either.
:class:`RemoteAPI` adds what only an engine in a process of its own has.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from simulator.engine.config import SimulationConfig
from simulator.engine.frame import Frame
from simulator.engine.simulation import RunState, Snapshot, Step


@runtime_checkable
class SimulationAPI(Protocol):
    """Start, pause, resume, re-configure, stop and observe one run at a time."""

    #: the latest settings (some may wait for the next start: see :meth:`apply`)
    config: SimulationConfig
    #: where the run is
    state: RunState
    #: record the "inside" events (locks, conditions, semaphores) from the next start on
    inside: bool

    @property
    def started_at(self) -> float:
        """``time.monotonic()`` of the run's clock start."""
        ...

    def start(self, paused: bool = False) -> None:
        """Open fresh books and start the configured workers (``paused``: held before
        their first event); raises if a run is on."""
        ...

    def set_inside(self, inside: bool) -> None:
        """Record the inside events or not; applies at the next start."""
        ...

    def pause(self) -> None:
        """Hold every worker at its next step (nothing happens unless running)."""
        ...

    def resume(self) -> None:
        """Let paused workers go on (nothing happens unless paused)."""
        ...

    def step(self, worker: str | None = None, timeout: float = 2.0) -> Step | None:
        """While paused, let one worker (``worker``, or the next that can move) make
        exactly its next move; what moved, or None if nobody can. Raises unless paused
        and on a backend that can step (not processes)."""
        ...

    def apply(self, config: SimulationConfig) -> frozenset[str]:
        """Take new settings; return the names of those kept for the next start."""
        ...

    def stop(self) -> float:
        """Stop and join every worker, close the books; return how long it took (s)."""
        ...

    def snapshot(self) -> Snapshot:
        """Everything a view shows, read at one moment."""
        ...


@runtime_checkable
class RemoteAPI(SimulationAPI, Protocol):
    """A :class:`SimulationAPI` served by an engine process of its own (what the GUI's
    bridge drives): frames instead of subscriptions, and a process that can die."""

    #: events the frames did not carry (too many to be drawn)
    dropped: int
    #: why the engine process ended on its own ("" while it lives)
    ended_reason: str

    @property
    def ended(self) -> bool:
        """True once the engine process has ended without being closed."""
        ...

    @property
    def pid(self) -> int | None:
        """The engine process's id."""
        ...

    def is_alive(self) -> bool:
        """True while the engine process runs."""
        ...

    def poll(self) -> Frame | None:
        """Everything that arrived since the last poll (None before a first snapshot)."""
        ...

    def end(self, ending: str) -> None:
        """Begin the ending ``ending`` (drain, poison-pill, join, terminate) and return at
        once; the run's state turns stopped when it is done."""
        ...

    def forget(self) -> None:
        """Back to idle after a stop (the next start opens fresh books)."""
        ...

    def close(self, timeout: float = 3.0) -> None:
        """Stop the run and end the engine process."""
        ...
