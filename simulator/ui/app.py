"""Start the Qt application: ``pcsim`` / ``pcsim gui``.

:func:`run_app` is the whole life of the window: make the QApplication, install the quit
signals, open the window, schedule what a timed run does (exit after N seconds with a
screenshot, or record a video), run the event loop, and turn what happened into an exit
code. Each step is a small function below.

The startup probe is an option of the app, for a caller in another process: with
``PCSIM_STARTUP_PROBE`` (:data:`STARTUP_PROBE_ENV`) set, the app prints
``first-paint <time.monotonic()>`` once its canvas has painted and closes;
:func:`first_paint_time` reads that line back (``pcsim bench startup`` does).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator import exitcodes
from simulator.engine.config import SimulationConfig

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from simulator.scenarios.scenario import Scenario
    from simulator.ui.window import MainWindow

ENGINE_LOST = "the engine process ended unexpectedly"
QUIT_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
#: set (to anything non-empty) in the environment: report the first painted frame and close
STARTUP_PROBE_ENV = "PCSIM_STARTUP_PROBE"
#: the first word of the probe's line on stdout
FIRST_PAINT = "first-paint"


@dataclass
class _Outcome:
    """What the event loop's slots decided: the exit code, whether a quit signal is being
    handled, and how to put the process's signal handlers back afterwards."""

    code: int = 0
    quitting: bool = False
    restore_signals: Callable[[], None] = lambda: None


def _quit_on_signals(
    app: QApplication, windows: list[MainWindow], outcome: _Outcome
) -> Callable[[], bool]:
    """Ctrl+C, SIGTERM and SIGHUP close the window the way its Quit does (stop the run,
    join the workers, end the engine process) and exit with 128 + the signal.

    Python runs a signal handler only when the interpreter next gets control, and while
    Qt's event loop sleeps it never does. So the handler only notes the signal, and
    ``signal.set_wakeup_fd`` writes a byte to a socket that a ``QSocketNotifier`` watches:
    the loop wakes, the handler runs, and the quitting happens in an ordinary slot —
    never a ``KeyboardInterrupt`` from inside some other slot. A second signal while
    closing is absorbed. Returns a function telling whether a quit signal came."""
    import signal
    import socket
    from types import FrameType

    from PySide6.QtCore import QSocketNotifier, QTimer

    got: list[int] = []

    def note(signum: int, _frame: FrameType | None) -> None:
        got.append(signum)

    def quit_now() -> None:
        if not got or outcome.quitting:
            return
        outcome.quitting = True
        outcome.code = exitcodes.for_signal(got[0])
        for window in windows:
            window.close()
        app.quit()

    rsock, wsock = socket.socketpair()
    for s in (rsock, wsock):
        s.setblocking(False)
    # not the main thread (embedded use): ValueError, and the timer below still works
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(wsock.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, app)

    def woken() -> None:
        try:
            while rsock.recv(64):
                pass
        except OSError:
            pass
        QTimer.singleShot(0, quit_now)

    notifier.activated.connect(woken)
    # belt and braces: a slow tick gives Python a chance even without the wake-up fd
    tick = QTimer(app)
    tick.setInterval(250)
    tick.timeout.connect(quit_now)
    tick.start()
    previous: dict[int, Any] = {}  # whatever signal.signal returned
    for name in QUIT_SIGNALS:
        if hasattr(signal, name):
            num = getattr(signal, name)
            previous[num] = signal.signal(num, note)

    def restore() -> None:
        """After the loop: the process's own handlers again, the sockets closed."""
        tick.stop()
        notifier.setEnabled(False)
        with contextlib.suppress(ValueError):
            signal.set_wakeup_fd(-1)
            for num, handler in previous.items():
                signal.signal(num, handler)
        rsock.close()
        wsock.close()

    outcome.restore_signals = restore
    return lambda: bool(got)


def display_problem() -> str | None:
    """Why Qt could not open a window here, in words, before Qt aborts with its own."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "pcsim: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). "
        "Run it in a desktop session, or without a window: "
        "QT_QPA_PLATFORM=offscreen pcsim gui --exit-after 5 --screenshot shot.png"
    )


@dataclass(frozen=True, slots=True)
class RecordRequest:
    """``pcsim record``: what to record, checked by the CLI before the window opens."""

    path: str  #: a .gif or .mp4 file
    seconds: float
    fps: int
    size: tuple[int, int]  #: the window's (width, height)
    view: str  #: "window" (all of it) or "canvas" (only the animation)


def run_app(
    config: SimulationConfig | None = None,
    exit_after: float | None = None,
    screenshot: str | None = None,
    scenario: Scenario | None = None,
    record: RecordRequest | None = None,
    dump_view: str | None = None,
) -> int:
    """Open the window. ``exit_after`` starts it at once and quits after that long
    (saving ``screenshot``, and writing ``dump_view``: what every view shows, as JSON,
    see :meth:`MainWindow.dump_view`); ``record`` records the window (view "window") or only its
    canvas ("canvas") at that window size.
    With :data:`STARTUP_PROBE_ENV` set, it reports its first painted frame and closes."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return exitcodes.OUTSIDE  # nothing to show it on: not the books (1), not input (2)
    app = _make_app()
    timed = exit_after is not None or record is not None
    outcome = _Outcome()
    # before the window (whose engine process starts at once): a Ctrl+C during start-up
    # quits as cleanly as one later
    windows: list[MainWindow] = []
    quitting = _quit_on_signals(app, windows, outcome)
    window = _open_window(config, scenario, timed, quitting)
    windows.append(window)
    if scenario is not None and exit_after is None and record is None:
        window.bridge.start()  # a demo runs by itself
    if record is not None:
        _schedule_recording(app, window, record, outcome)
    if os.environ.get(STARTUP_PROBE_ENV):
        _report_first_paint(window)
    if exit_after is not None:
        window.bridge.start()
        _schedule_exit(app, window, exit_after, screenshot, outcome, dump_view)
    code = app.exec()
    outcome.restore_signals()
    return outcome.code or code


def _make_app() -> QApplication:
    """The one QApplication, named and styled for pcsim."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")  # pyqtgraph would prefer PyQt6
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from simulator.resources import asset

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("pcsim")
    app.setOrganizationName("pcsim")
    app.setDesktopFileName("pcsim")
    app.setStyle("Fusion")  # the same look everywhere, and a palette that themes fully
    icon = asset("icons", "pcsim.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _open_window(
    config: SimulationConfig | None,
    scenario: Scenario | None,
    timed: bool,
    quitting: Callable[[], bool],
) -> MainWindow:
    """Show the window (a timed run keeps the default size); an untimed default start
    makes the last session's scenario ready. An engine death is said once on stderr."""
    from simulator.ui.window import MainWindow

    window = MainWindow(config, scenario, restore_geometry=not timed)
    window.show()

    def engine_lost(_message: str) -> None:
        if quitting():  # a Ctrl+C to the group may take the engine down first
            return
        print(f"pcsim: {ENGINE_LOST}", file=sys.stderr, flush=True)

    window.bridge.engineLost.connect(engine_lost)
    if scenario is None and not timed and (config is None or config == SimulationConfig()):
        window.restore_last_scenario()  # settings persist: the last demo is ready to run
    return window


def _finish(app: QApplication, window: MainWindow, outcome: _Outcome) -> None:
    """End a timed run with the run's own exit code, as ``pcsim run`` would give it:
    1 if the books broke (whatever else happened), else 4 if an engine died on its way
    or a file could not be written, else 3 if it deadlocked (or its join() could never
    return); close, quit the loop."""
    if window.bridge.engines_lost:
        outcome.code = exitcodes.OUTSIDE
    snap = window.bridge.last_snapshot
    if snap is not None and not snap.ok:
        outcome.code = exitcodes.BOOKS  # the books broke: that outranks how it ended
    elif (
        snap is not None
        and not outcome.code
        and (snap.deadlock or getattr(snap, "stuck_join", None) is not None)
    ):
        outcome.code = exitcodes.STUCK
    window.close()
    app.quit()


def _schedule_recording(
    app: QApplication,
    window: MainWindow,
    record: RecordRequest,
    outcome: _Outcome,
) -> None:
    """Start the run and record it for its seconds, then say what was written and quit."""
    from PySide6.QtCore import QSize, QTimer

    from simulator.ui.recorder import Recorder

    out, seconds, fps, view = record.path, record.seconds, record.fps, record.view
    w, h = record.size
    window.resize(w, h)
    window.bridge.start()
    if view == "canvas":
        recorder = Recorder(window.canvas, out, fps)
    else:
        recorder = Recorder(window, out, fps, QSize(w, h))
    recorder.start()

    def finish_recording() -> None:
        try:
            rec = recorder.stop()
            print(
                f"wrote {rec.path}: {rec.frames} frames, {rec.size[0]}x{rec.size[1]}, "
                f"{rec.seconds:.1f} s at {fps} fps"
                + (f", {rec.dropped} frames dropped (encoder too slow)" if rec.dropped else "")
            )
        except RuntimeError as err:
            print(f"pcsim: {err}", file=sys.stderr)
            outcome.code = exitcodes.OUTSIDE  # the encoder failed, not the books
        _finish(app, window, outcome)

    QTimer.singleShot(int(seconds * 1000), finish_recording)


def _schedule_exit(
    app: QApplication,
    window: MainWindow,
    exit_after: float,
    screenshot: str | None,
    outcome: _Outcome,
    dump_view: str | None = None,
) -> None:
    """After ``exit_after`` seconds: one full frame (every view from the newest snapshot),
    then the view dump and the screenshot of that same frame (exit 4 if either cannot be
    written), quit."""
    from PySide6.QtCore import QTimer

    def finish() -> None:
        window.show_figures_now()
        if dump_view:
            import json

            try:
                text = json.dumps(window.dump_view(), indent=2, ensure_ascii=False)
                Path(dump_view).write_text(text + "\n", encoding="utf-8")
            except OSError as err:
                print(
                    f"pcsim: could not write the view dump to {dump_view}: {err}", file=sys.stderr
                )
                outcome.code = exitcodes.OUTSIDE
        if screenshot:
            path = Path(screenshot)
            if not window.grab().save(str(path), "PNG"):
                print(f"pcsim: could not write the screenshot to {path}", file=sys.stderr)
                outcome.code = exitcodes.OUTSIDE  # the disk refused, not the books
        _finish(app, window, outcome)

    QTimer.singleShot(int(exit_after * 1000), finish)


def _report_first_paint(window: MainWindow) -> None:
    """The startup probe (:data:`STARTUP_PROBE_ENV`): print ``first-paint <monotonic>``
    when the canvas first paints, then close the window."""
    import time

    from PySide6.QtCore import QTimer

    def first_paint(_now: float) -> None:
        window.canvas.on_painted = None
        print(f"{FIRST_PAINT} {time.monotonic()}", flush=True)
        QTimer.singleShot(0, window.close)

    window.canvas.on_painted = first_paint


def first_paint_time(stdout: str) -> float | None:
    """The ``time.monotonic()`` a probed ``pcsim gui`` printed for its first painted frame
    (see :data:`STARTUP_PROBE_ENV`), or None if it printed none."""
    stamps = [line for line in stdout.splitlines() if line.startswith(FIRST_PAINT + " ")]
    return float(stamps[-1].split()[1]) if stamps else None
