"""The engine in a process of its own, for front ends that must stay responsive.

Python threads share one GIL, and PySide6 releases it around every Qt call: a window in
the same process as 16 busy worker threads waits for the GIL on each of the hundreds of
calls a frame takes (measured here: 25–55 frames/s, 100 ms hitches, and it halves the
workers' throughput). So the window runs the :class:`~.simulation.Simulation` — real
threads, processes or asyncio tasks, unchanged — in a child process, and the two talk
over a pipe: commands one way; one :class:`~.frame.Frame` (the latest snapshot and the
newest events) at the pace set by :data:`PUBLISH_AFTER_S` the other way. Neither side
waits on the other's GIL.

Qt-free, like the rest of the engine; the GUI's bridge polls :meth:`RemoteSimulation.poll`
from its 60 Hz timer.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import threading
import time
from collections import deque
from typing import Any

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.frame import Frame
from simulator.engine.lifeline import become_child, quiet_resource_tracker, sigint_blocked
from simulator.engine.simulation import RunState, Simulation, Snapshot, Step

# The bookkeeping thread passes every ~5 ms; publishing on the first pass >= 9 ms after the last
# frame sends one every ~10 ms, so the window's 60 Hz timer finds a new one at each tick
# (it takes the newest and carries the events of all).
PUBLISH_AFTER_S = 0.009
EVENTS_PER_FRAME = 200  # the newest events sent per frame; the count of all is sent too
REPLY_TIMEOUT_S = 10.0


def _end(sim: Simulation, ending: str, publish: Any) -> None:
    """Run the ending ``ending`` to its stop, then publish the final state (the frames
    show it under way: the bookkeeping thread publishes as it books)."""
    sim.stop(ending=ending)
    publish(force=True)


def _join_command(sim: Simulation) -> str:
    """The command that joins ``sim``'s run from another machine (password included), or
    "" when the run does not listen (only the redis backend with ``--listen`` has one).

    Read off the running backend rather than added to :class:`Simulation`'s API or its
    :class:`Snapshot`: the password must reach only the window of whoever started the
    run, once, never the frames (which feed ``--dump-view``, the JSON and recordings)."""
    return str(getattr(getattr(sim, "_backend", None), "join_command", "") or "")


def _serve(
    conn: Any, config: SimulationConfig, parent_pid: int = 0, death_signal: bool = False
) -> None:
    """The child: run commands from the parent; publish a :class:`Frame` as it books.

    Frames are sent by the engine's own bookkeeping thread right after it books a batch
    (:attr:`Simulation.after_booking`): under load it is the thread that holds the GIL
    most, so a separate publisher thread would be the one starved of it.

    The engine never outlives the window (:func:`~.lifeline.become_child`): it ignores
    SIGINT (the window decides), and if its parent dies it stops its run (its worker
    processes go too) and exits.
    """
    sim = Simulation(config)

    def orphaned() -> None:
        sim.stop()

    if parent_pid:
        become_child(parent_pid, death_signal=death_signal, on_orphan=orphaned, grace_s=1.5)
    channel = sim.subscribe(maxlen=EVENTS_PER_FRAME * 4)
    send_lock = threading.Lock()
    last = {"t": 0.0}

    def send(msg: tuple | Frame) -> None:
        with send_lock:
            conn.send(msg)

    def publish(force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - last["t"] < PUBLISH_AFTER_S:
            return
        last["t"] = now
        dropped_before = channel.dropped
        events = channel.drain()
        total = len(events) + (channel.dropped - dropped_before)
        with contextlib.suppress(BrokenPipeError, OSError):
            send(Frame(events[-EVENTS_PER_FRAME:], total, sim.snapshot()))

    sim.after_booking = publish
    try:
        while True:
            try:
                cmd, args = conn.recv()
            except (EOFError, OSError):  # the parent is gone: stop and leave
                break
            if cmd == "quit":
                break
            try:
                if cmd == "start":
                    if args:  # inside events on or off for this run
                        sim.set_inside(bool(args[0]))
                    sim.start(paused=len(args) > 1 and bool(args[1]))
                    result: object = (sim.started_at, _join_command(sim))
                elif cmd == "apply":
                    result = sim.apply(args[0])
                elif cmd == "stop":
                    result = sim.stop()
                    publish(force=True)  # the final state, before the reply
                elif cmd == "end":  # an ending takes seconds: run it, keep serving
                    ending = threading.Thread(
                        target=_end, args=(sim, args[0], publish), name="pcsim-ending"
                    )
                    ending.daemon = True
                    ending.start()
                    result = None
                elif cmd == "pause":
                    sim.pause()
                    result = None
                elif cmd == "resume":
                    sim.resume()
                    result = None
                elif cmd == "step":
                    result = sim.step(*args)
                    publish(force=True)  # the picture after the step, without delay
                elif cmd == "snapshot":
                    result = sim.snapshot()
                else:
                    raise ValueError(f"unknown command {cmd!r}")
                send(("reply", True, result))
            except Exception as exc:  # report to the parent, keep serving
                send(("reply", False, f"{type(exc).__name__}: {exc}"))
    finally:
        sim.after_booking = None
        sim.stop()
        conn.close()


class EngineDied(RuntimeError):
    """The engine process ended without being asked to (killed, crashed, out of memory).

    The run's books went with it: what the front end last showed is no longer known to be
    true. A fresh :class:`RemoteSimulation` starts a fresh engine."""

    MESSAGE = "the engine process ended unexpectedly"

    def __init__(self, detail: str = "") -> None:
        super().__init__(self.MESSAGE + (f" ({detail})" if detail else ""))


class RemoteSimulation:
    """The :class:`Simulation` API, served by a child process (see the module's notes).

    If the child dies on its own, :attr:`ended` turns true (noticed by :meth:`poll` or by
    any call), :meth:`poll` keeps returning what had arrived, commands that would need the
    engine (:meth:`start`, :meth:`snapshot` with nothing kept) raise :class:`EngineDied`,
    and the ones that only wind a run down (:meth:`stop`, :meth:`pause`, :meth:`forget`,
    :meth:`close`) quietly do nothing: there is nothing left to stop. It never restarts
    itself; whoever owns it makes a new one.
    """

    def __init__(self, config: SimulationConfig | None = None, inside: bool = False) -> None:
        self.config = config or SimulationConfig()
        #: record the inside events from the next start on (see Simulation.inside)
        self.inside = inside
        self.state = RunState.IDLE
        self.started_at = 0.0
        self.dropped = 0  # events the frames did not carry (too many to be drawn)
        #: why the engine process ended on its own ("" while it lives or after close())
        self.ended_reason = ""
        self._closed = False
        # what arrived since the last poll: the newest events (bounded), the count of all
        self._events: deque[Event] = deque(maxlen=EVENTS_PER_FRAME)
        self._total = 0
        self._latest: Snapshot | None = None
        self._ending = False  # an ending runs in the engine (see end)
        self._join_command = ""  # see join_command
        ctx = mp.get_context("spawn")
        quiet_resource_tracker()  # the engine's workers share this process's tracker
        self._conn, child = ctx.Pipe()
        # not a daemon: the processes backend's workers are the child's own children.
        # The kernel's parent-death signal follows the thread that starts the child, so
        # it is asked for only from the main thread (which lives as long as the app);
        # the engine's watchdog covers the rest.
        main = threading.current_thread() is threading.main_thread()
        self._proc = ctx.Process(
            target=_serve, args=(child, self.config, os.getpid(), main), name="pcsim-engine"
        )
        with sigint_blocked():  # born deaf to Ctrl+C: the window decides (see lifeline)
            self._proc.start()
        child.close()
        self._lock = threading.Lock()

    @property
    def ended(self) -> bool:
        """True once the engine process has ended without being closed."""
        return bool(self.ended_reason)

    @property
    def join_command(self) -> str:
        """The ``pcsim worker`` command that joins the current run from another terminal
        or machine, password included: redis with ``--listen`` only, "" otherwise and once
        the run is over (its server is gone). It came once, with the start's reply, never
        in a frame: show it only to whoever started the run (DESIGN "Redis")."""
        if self.state not in (RunState.RUNNING, RunState.PAUSED) or self.ended:
            return ""
        return self._join_command

    @property
    def pid(self) -> int | None:
        """The engine process's id (for measuring it, or for killing it in a test)."""
        return self._proc.pid

    def is_alive(self) -> bool:
        """True while the engine process runs; if it has died, :attr:`ended` turns true."""
        if not self.ended_reason and not self._closed and not self._proc.is_alive():
            self._died()
        return not self.ended_reason and not self._closed

    def _died(self) -> None:
        """Note that the child is gone; the run is over, its books unknown."""
        if self.ended_reason or self._closed:
            return
        self._proc.join(0.5)  # reap it, and learn how it ended
        code = self._proc.exitcode
        if code is None:
            self.ended_reason = "it closed its pipe"
        elif code < 0:
            self.ended_reason = f"killed by signal {-code}"
        else:
            self.ended_reason = f"exit code {code}"
        if self.state in (RunState.RUNNING, RunState.PAUSED):
            self.state = RunState.STOPPED

    # ---- the pipe ----------------------------------------------------------------
    def _read(self, timeout: float) -> tuple | Frame | None:
        """One message, or None if none came within ``timeout`` or the engine is gone
        (then :attr:`ended` is true). Frames are kept."""
        if self.ended_reason or self._closed:
            return None
        try:
            if not self._conn.poll(timeout):
                return None
            msg = self._conn.recv()
        except (EOFError, OSError):  # the child's end closed: the child is gone
            self._died()
            return None
        if isinstance(msg, Frame):
            self._events.extend(msg.events)
            self._total += msg.total
            self._latest = msg.snapshot
        return msg

    def _call(self, cmd: str, *args: object) -> Any:
        with self._lock:
            if not self.ended_reason and not self._proc.is_alive():
                self._died()
            if self.ended_reason:
                raise EngineDied(self.ended_reason)
            try:
                self._conn.send((cmd, args))
            except (BrokenPipeError, OSError):
                self._died()
                raise EngineDied(self.ended_reason) from None
            deadline = time.monotonic() + REPLY_TIMEOUT_S
            while time.monotonic() < deadline:
                reply = self._read(0.05)
                if self.ended_reason:
                    raise EngineDied(self.ended_reason)
                if isinstance(reply, tuple) and reply[0] == "reply":
                    _, ok, result = reply
                    if not ok:
                        raise RuntimeError(result)
                    return result
            raise TimeoutError(f"the engine did not answer {cmd!r}")

    def poll(self) -> Frame | None:
        """Everything that arrived since the last poll as one :class:`Frame`: the newest
        events, how many events happened in all, and the latest snapshot; None until a
        first snapshot has arrived. Never blocks, never raises: a dead engine shows as
        :attr:`ended` (and its last snapshot is still returned)."""
        with self._lock:
            while self._read(0) is not None:
                pass
            events, total = list(self._events), self._total
            self._events.clear()
            self._total = 0
        self.dropped += total - len(events)
        if self._latest is None:
            return None
        if self._ending and self._latest.state == RunState.STOPPED:
            self._ending = False  # the ending is done: the run has stopped
            self.state = RunState.STOPPED
        return Frame(events, total, self._latest)

    # ---- the Simulation API ------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        """Start a run in the engine (``paused``: see :meth:`Simulation.start`);
        :class:`EngineDied` if it has ended."""
        self._events.clear()
        self._total = 0
        self._ending = False
        self._join_command = ""
        self.started_at, self._join_command = self._call("start", self.inside, paused)
        self.state = RunState.PAUSED if paused else RunState.RUNNING

    def set_inside(self, inside: bool) -> None:
        """Record the inside events (``True``) or not, from the next start on."""
        self.inside = inside

    def pause(self) -> None:
        if self.state == RunState.RUNNING and not self.ended:
            self._call("pause")
            self.state = RunState.PAUSED

    def resume(self) -> None:
        if self.state == RunState.PAUSED and not self.ended:
            self._call("resume")
            self.state = RunState.RUNNING

    def step(self, worker: str | None = None, timeout: float = 2.0) -> Step | None:
        """:meth:`Simulation.step` in the engine (its :class:`ValueError` comes back as a
        :class:`RuntimeError` carrying the same message)."""
        if self.ended:
            raise EngineDied(self.ended_reason)
        return self._call("step", worker, timeout)

    def apply(self, config: SimulationConfig) -> frozenset[str]:
        """Send new settings; with the engine gone they are only kept (for the next
        engine) and nothing is deferred."""
        self.config = config
        if self.ended:
            return frozenset()
        return self._call("apply", config)

    def stop(self) -> float:
        """Stop the run; 0.0 if none runs or the engine has ended (nothing to stop)."""
        if self.state not in (RunState.RUNNING, RunState.PAUSED) or self.ended:
            if self.state in (RunState.RUNNING, RunState.PAUSED):
                self.state = RunState.STOPPED
            return 0.0
        took = self._call("stop")
        self.state = RunState.STOPPED
        return took

    def end(self, ending: str) -> None:
        """Begin the ending ``ending`` (see :meth:`Simulation.stop`) in the engine and
        return at once: the frames show it under way, and :attr:`state` turns STOPPED
        with the first frame whose snapshot says the run stopped (see :meth:`poll`)."""
        if self.state not in (RunState.RUNNING, RunState.PAUSED) or self.ended:
            return
        self._ending = True
        self._call("end", ending)

    def forget(self) -> None:
        """Back to idle after a stop (the next start opens fresh books)."""
        self.stop()
        self.state = RunState.IDLE

    def snapshot(self) -> Snapshot:
        """The engine's state now; with the engine gone, the last one that arrived
        (:class:`EngineDied` if none did)."""
        if self.ended and self._latest is not None:
            return self._latest
        snap = self._call("snapshot")
        self._latest = snap
        return snap

    def close(self, timeout: float = 3.0) -> None:
        """Stop the run and end the engine process (never leaves it behind). Safe to call
        twice, and after the engine has died."""
        if self._proc.is_alive():
            try:
                with self._lock:
                    self._conn.send(("quit", ()))
            except (BrokenPipeError, OSError):
                pass
            self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(1.0)
        else:
            self._proc.join(0)  # reap it
        self._closed = True
        self._conn.close()
        if self.state in (RunState.RUNNING, RunState.PAUSED):
            self.state = RunState.STOPPED
