"""The one place where the engine meets Qt.

The engine runs in a process of its own (:class:`~simulator.engine.remote.RemoteSimulation`:
busy worker threads in this process would starve the GUI thread of the GIL). Its workers
never call Qt. This bridge lives on the GUI thread: a 60 Hz ``QTimer`` polls the engine's
pipe and emits *one* signal per frame, :attr:`frameReady`, carrying a
:class:`~simulator.engine.frame.Frame`: the newest events, how many events happened in
all, and one snapshot. No signal crosses threads, and the
event loop sees at most ~60 deliveries a second whatever the item rate (one queued
signal per event piles up hundreds of milliseconds of latency at high rates; a
timer-polled pipe does not).

One signal, not one per view or per kind: every Qt call from Python releases the GIL and
every slot invocation takes it back, and with worker threads busy each take costs the
GUI thread a wait. The window connects one slot and hands the frame to its views in
plain Python.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from simulator.engine.api import RemoteAPI
from simulator.engine.config import SimulationConfig
from simulator.engine.frame import Frame
from simulator.engine.remote import EngineDied, RemoteSimulation
from simulator.engine.simulation import RunState, Snapshot

FRAME_MS = 16


class EngineBridge(QObject):
    #: once per frame: a :class:`~simulator.engine.frame.Frame`
    frameReady = Signal(object)
    #: idle | running | paused | stopped
    stateChanged = Signal(str)
    #: a new run began at this ``time.monotonic()``: views clear their history
    runStarted = Signal(float)
    #: names of settings that will apply at the next start
    deferredChanged = Signal(frozenset)
    #: the engine process failed; the text says what happened
    engineFailed = Signal(str)
    #: the engine process ended on its own (killed, crashed): emitted once per engine,
    #: with what happened; the run is over and its books unknown. Start makes a new one.
    engineLost = Signal(str)

    def __init__(self, config: SimulationConfig | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.sim: RemoteAPI = RemoteSimulation(config)
        #: engines that died on their own in this window's life (``--exit-after`` exits 4)
        self.engines_lost = 0
        self._lost_reported: RemoteAPI | None = None
        self.deferred: frozenset[str] = frozenset()
        self.last_snapshot: Snapshot | None = None
        #: record the inside events (locks, conditions, semaphores) from the next start:
        #: the Inside view asks; kept here so a fresh engine after a death gets it too
        self.inside = False
        #: start every run paused (a guided scenario: the learner steps from the start)
        self.start_paused = False
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.tick)

    @property
    def config(self) -> SimulationConfig:
        return self.sim.config

    @property
    def state(self) -> RunState:
        return self.sim.state

    @property
    def join_command(self) -> str:
        """The ``pcsim worker`` command that joins the run on show from another machine,
        password included, while it runs (redis with ``--listen``; "" otherwise). The
        engine sends it once, with its answer to start, never in a frame: only the invite
        dialog shows it (see :mod:`simulator.ui.invite_dialog`)."""
        return str(getattr(self.sim, "join_command", "") or "")

    # ---- control -------------------------------------------------------------------
    @property
    def engine_lost(self) -> bool:
        """True while the current engine is one that died (until Start replaces it)."""
        return self.sim.ended

    def start(self, paused: bool | None = None) -> None:
        """Start a run (``paused``: held before its first event, for single steps; None:
        :attr:`start_paused`); after the engine died, in a fresh engine process."""
        if paused is None:
            paused = self.start_paused
        if self.sim.state in (RunState.RUNNING, RunState.PAUSED) and self.sim.is_alive():
            return
        for _ in range(2):  # a death noticed only by this start gets one fresh engine
            if not self.sim.is_alive():
                self._check_engine()  # a death not noticed yet (it happened while idle)
                config = self.sim.config
                self.sim.close()
                self.sim = RemoteSimulation(config)
            try:
                self._pass_inside()
                self.sim.start(paused=paused)
                break
            except EngineDied:
                self._check_engine()
            except (RuntimeError, TimeoutError, OSError) as exc:
                self.engineFailed.emit(f"The simulation could not start: {exc}")
                return
        else:
            return  # two engines in a row died at start: the banner says so
        self.last_snapshot = None  # the previous run's is no longer true
        self.runStarted.emit(self.sim.started_at)
        self._set_deferred(frozenset())
        self.timer.start()
        self.stateChanged.emit(self.sim.state)
        self.tick()

    def set_inside(self, inside: bool) -> None:
        """Ask the engine for the inside events (``True``) or not, from the next start
        on (an engine without them ignores it)."""
        self.inside = inside
        self._pass_inside()

    def _pass_inside(self) -> None:
        setter = getattr(self.sim, "set_inside", None)
        if setter is not None:
            setter(self.inside)

    def toggle(self) -> None:
        """Space: start when idle or stopped, otherwise pause or resume."""
        if self.sim.state == RunState.RUNNING:
            self.pause()
        elif self.sim.state == RunState.PAUSED:
            self.resume()
        else:
            self.start()

    def pause(self) -> None:
        try:
            self.sim.pause()
        except EngineDied:
            self._check_engine()
            return
        self.stateChanged.emit(self.sim.state)

    def resume(self) -> None:
        try:
            self.sim.resume()
        except EngineDied:
            self._check_engine()
            return
        self.stateChanged.emit(self.sim.state)

    def step(self, worker: str | None = None) -> str:
        """While paused, let one worker (``worker``, or the next that can move) make its
        next move; the line that says who moved and why (or why nobody did), "" if not
        paused. The picture follows from the frame the engine sends with its answer."""
        if self.sim.state != RunState.PAUSED:
            return ""
        try:
            step = self.sim.step(worker)
        except EngineDied:
            self._check_engine()
            return ""
        except (RuntimeError, ValueError) as exc:  # e.g. not available on processes
            return str(exc).removeprefix("ValueError: ")
        self.tick()
        if step is None:
            if worker is None:
                return "nobody can move: every worker waits"
            last = self.last_snapshot.last_step if self.last_snapshot is not None else None
            if last is not None and last[0] == worker:  # the engine's why, in one line
                return last[1]
            return f"{worker} cannot move now: it waits"
        return step.why

    def stop(self) -> float:
        """Stop the workers (joined within a second) and paint the final state."""
        if self.sim.state not in (RunState.RUNNING, RunState.PAUSED):
            return 0.0
        try:
            took = self.sim.stop()
            self.tick()
            last = self.last_snapshot
            if last is not None and last.state != RunState.STOPPED and not self.sim.ended:
                self.last_snapshot = self.sim.snapshot()
                self.frameReady.emit(Frame([], 0, self.last_snapshot))
        except EngineDied:
            took = 0.0
        self.timer.stop()
        self._check_engine()
        self.stateChanged.emit(self.sim.state)
        return took

    def end(self, ending: str | None = None) -> None:
        """Stop the run by ``ending`` (None: the configured ``shutdown``; none chosen: a
        plain :meth:`stop`). The ending runs in the engine while the frames keep coming
        (the join counter counts down on the canvas); :meth:`tick` sees it finish."""
        ending = ending or self.sim.config.shutdown
        if ending is None:
            self.stop()
            return
        if self.sim.state not in (RunState.RUNNING, RunState.PAUSED):
            return
        try:
            self.sim.end(ending)
        except EngineDied:
            self._check_engine()

    def reset(self) -> None:
        """Stop and forget the run: views clear and wait for a new start (the next start
        opens fresh books)."""
        self.stop()
        self.sim.forget()
        self._set_deferred(frozenset())
        self.last_snapshot = None
        self.stateChanged.emit(RunState.IDLE)

    def apply(self, config: SimulationConfig) -> None:
        """New settings for the engine (kept for the next engine if this one died)."""
        try:
            deferred = self.sim.apply(config)
            if self.sim.state in (RunState.RUNNING, RunState.PAUSED):
                self._set_deferred(self.deferred | deferred)
            idle = self.sim.state in (RunState.IDLE, RunState.STOPPED)
            if idle and self.last_snapshot is not None and not self.sim.ended:
                self.frameReady.emit(Frame([], 0, self.sim.snapshot()))
        except EngineDied:
            self._check_engine()

    def _set_deferred(self, names: frozenset[str]) -> None:
        if names != self.deferred:
            self.deferred = names
            self.deferredChanged.emit(names)

    # ---- the frame -------------------------------------------------------------------
    @Slot()
    def tick(self) -> None:
        frame = self.sim.poll()
        if self.sim.ended:
            self._check_engine()
            return
        if frame is None or (frame.snapshot is self.last_snapshot and not frame.total):
            return  # nothing new: nothing to redraw
        self.last_snapshot = frame.snapshot
        self.frameReady.emit(frame)
        stopped = frame.snapshot.state == RunState.STOPPED == self.sim.state
        if stopped and self.timer.isActive():  # an ending finished in the engine
            self.timer.stop()
            self.stateChanged.emit(self.sim.state)

    def _check_engine(self) -> None:
        """If the engine died, say so once: the frames stop, the state is "stopped", and
        :attr:`engineLost` tells the views (whose books are now unknown)."""
        if not self.sim.ended or self._lost_reported is self.sim:
            return
        self._lost_reported = self.sim
        self.engines_lost += 1
        self.timer.stop()
        self._set_deferred(frozenset())
        self.engineLost.emit(f"The engine process ended unexpectedly ({self.sim.ended_reason}).")
        self.stateChanged.emit(self.sim.state)

    @property
    def dropped(self) -> int:
        """Events that happened but were not sent to the window (too many to draw)."""
        return self.sim.dropped

    def close(self) -> None:
        """Stop the run and end the engine process."""
        self.timer.stop()
        self.sim.close()
