"""A dialog that runs one ``pcsim`` command as a child process and charts its progress.

Simulation ▸ Sweep… (``pcsim sweep``) and Simulation ▸ Compare backends… (``pcsim
compare``) share this: the command runs in a child process (through QProcess), never in
threads of the window's process: the measured workers would share the GIL with the
GUI's painting and measure it (README, Architecture). The child dies with the window
however the window dies, SIGKILL included: it is started with ``PCSIM_CHILD_OF=<our
pid>``, which makes it a lifeline child (:func:`simulator.engine.lifeline.become_child`).
Closing the dialog stops it (SIGTERM: it stops the run it is in, writes what is done
and exits). Starting one stops the window's own run, so the two do not compete for the
cores.

The child prints one JSON object per line (``--progress``, the stream of
:class:`simulator.sweep.Outputs`), which :meth:`~ChildRunDialog._on_message` turns into
:attr:`ChildRunDialog.data`; a subclass only words the status line. At the end the
child's ``--json`` file is the truth.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, QProcessEnvironment, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simulator import exitcodes
from simulator.engine.config import SimulationConfig
from simulator.sweep import CHILD_ENV
from simulator.ui import theme
from simulator.ui.chart import SweepChart, save_chart

#: how long a stopped child may take to write what it has before it is killed
STOP_GRACE_MS = 5000


def pcsim_command(args: list[str]) -> tuple[str, list[str]]:
    """``(program, arguments)`` of a child ``pcsim ARGS`` (the frozen app is its own
    ``pcsim``; otherwise this interpreter runs ``-m simulator``)."""
    if getattr(sys, "frozen", False):
        return sys.executable, args
    return sys.executable, ["-m", "simulator", *args]


#: the dialog's size when it opens: it fits a 1280x720 projector with its frame (the
#: chart, which stretches, takes what the form and the table leave)
DIALOG_SIZE = (900, 660)


class ChildRunDialog(QDialog):
    """The buttons, progress bar, status line and chart of a child ``pcsim`` run.

    A subclass builds its inputs into :attr:`form` (a layout placed above the buttons)
    in :meth:`_build_form`, lists them in :meth:`_inputs` (disabled while running),
    takes the window's settings in :meth:`set_config`, starts the child with
    :meth:`_launch`, and words the status line (:meth:`_started_line`,
    :meth:`_run_line`, :meth:`_end_line`, :attr:`what`, :attr:`books_where`).
    ``config`` is the window's settings; ``stop_run`` (the window's) is called when a
    child starts. :attr:`data` is the chart's dict so far; :attr:`exit_code` the last
    child's (None if it crashed)."""

    #: the dialog's title
    title = ""

    #: the chart file's name offered by Save chart…
    chart_name = "chart.png"
    #: the result's list of runs (``"points"``, ``"runs"``); without its ``s``, one run's
    #: word in the progress stream (``point_started``, ``point``)
    runs_key = "points"
    #: what the child does, for "The sweep failed (exit 4): …"
    what = "sweep"
    #: where broken books were found, for "The books broke at a point (books ✗ BROKE): …"
    books_where = "at a point"

    def __init__(
        self,
        config: SimulationConfig,
        stop_run: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.stop_run = stop_run
        self.data: dict[str, Any] = {}
        self.exit_code: int | None = None
        self._tmp: str | None = None
        self._lines = b""
        self._stderr = b""
        #: the step (point, backend) running now: its index and when it started
        self._step_t0: float | None = None
        self._step_index = 0
        self._step_s = 1.0  # how long a step is expected to take
        self._json_path: str | None = None
        self.proc: QProcess | None = None

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.run_button = QPushButton("&Run")
        self.stop_button = QPushButton("S&top")
        self.save_button = QPushButton("&Save chart…")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.chart = SweepChart()

        self.form = QVBoxLayout()
        buttons = QHBoxLayout()
        for b in (self.run_button, self.stop_button, self.save_button):
            buttons.addWidget(b)
        buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.chart, 1)

        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self._ask_save)
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self._advance)

        self.setWindowTitle(self.title)
        self._build_form()
        self.set_config(config)
        self._show_running(False)
        self.resize(*DIALOG_SIZE)

    def _seconds_box(self, tooltip: str) -> QDoubleSpinBox:
        """The input of ``--seconds``: how long each run of the child runs for real."""
        box = QDoubleSpinBox()
        box.setRange(0.5, 3600)
        box.setDecimals(1)
        box.setSingleStep(1)
        box.setValue(5.0)
        box.setSuffix(" s")
        box.setToolTip(tooltip)
        return box

    # ---- for subclasses -----------------------------------------------------------------
    def _build_form(self) -> None:
        """Build the inputs into :attr:`form` (:attr:`config` is set already)."""

    def set_config(self, config: SimulationConfig) -> None:
        """Run around ``config`` (the window's current settings) from the next Run."""
        self.config = config

    def _inputs(self) -> list[QWidget]:
        """The inputs to disable while a child runs."""
        return []

    def _started_line(self, msg: dict[str, Any]) -> str:
        """The status line when the child starts run ``msg["index"]`` (its
        ``<run>_started`` line, :attr:`_step_index` already set)."""
        return ""

    def _run_line(self, run: dict[str, Any]) -> str:
        """The status line when the child has finished ``run`` (its entry)."""
        return ""

    def _end_line(self, stopped: bool) -> str:
        """The status line when the child is done, or was ``stopped`` early."""
        return ""

    def _on_message(self, msg: dict[str, Any]) -> None:
        """Take one progress line of the child: ``start`` is :attr:`data`'s beginning;
        a run's start and end move the bar, its end adds it to the chart."""
        one = self.runs_key[:-1]  # "points" -> "point"
        kind = msg.get("event")
        if kind == "start":
            self.data = {k: v for k, v in msg.items() if k != "event"}
            self.chart.set_data(self.data)
        elif kind == f"{one}_started":
            self._step_started(int(msg.get("index", 0)))
            self._say(self._started_line(msg))
        elif kind == one and self.data:
            run = msg[one]
            self.data[self.runs_key].append(run)
            self._step_done(int(msg.get("index", 0)))
            self.chart.set_data(self.data)
            self._say(self._run_line(run))

    def _ended(self, code: int, crashed: bool, why: str) -> None:
        """Say how the child ended, by its exit code (``why``: its last line on stderr):
        done (the bar full), the books broke, stopped (a signal, or killed), failed."""
        if code == exitcodes.OK and not crashed:
            self.progress.setValue(self.progress.maximum())
            self._say(self._end_line(stopped=False))
        elif code == exitcodes.BOOKS and not crashed:
            self._say(
                f"The books broke {self.books_where} (books ✗ BROKE): an item lost or doubled.",
                True,
            )
        elif crashed or code >= exitcodes.SIGNAL_BASE:
            self._say(self._end_line(stopped=True))
        else:
            self._say(f"The {self.what} failed (exit {code}): {why}", error=True)

    @Slot()
    def start(self) -> bool:
        """Check the inputs and :meth:`_launch`; False if not started."""
        return False

    # ---- running ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.ProcessState.NotRunning

    def _launch(self, args: list[str], steps: int, step_s: float, message: str) -> None:
        """Stop the window's run and start ``pcsim ARGS --json TMP --progress`` as a
        lifeline child; the progress bar counts ``steps`` of about ``step_s`` seconds."""
        if self.stop_run is not None:
            self.stop_run()
        self._cleanup_tmp()
        self._tmp = tempfile.mkdtemp(prefix="pcsim-child-")
        json_path = str(Path(self._tmp) / "result.json")
        program, argv = pcsim_command([*args, "--json", json_path, "--progress"])
        self.data, self.exit_code = {}, None
        self._lines, self._stderr = b"", b""
        self._step_t0, self._step_index, self._step_s = None, 0, step_s
        self.chart.set_data({})
        self.progress.setRange(0, 100 * steps)
        self.progress.setValue(0)
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert(CHILD_ENV, str(os.getpid()))
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._failed_to_start)
        self.proc = proc
        self._json_path = json_path
        proc.start(program, argv)
        self._say(message)
        self._show_running(True)
        self._tick.start()

    def _step_started(self, index: int) -> None:
        """The child began step ``index``: the bar moves within it from now on."""
        self._step_index = index
        self._step_t0 = time.monotonic()

    def _step_done(self, index: int) -> None:
        self._step_t0 = None
        self.progress.setValue(100 * (index + 1))

    @Slot()
    def stop(self, wait: bool = False) -> None:
        """Stop the child: it ends the step it is in, writes what is done and exits.
        With ``wait``, return only once the child has gone (killed after
        :data:`STOP_GRACE_MS`)."""
        proc = self.proc
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return
        self._say("Stopping…")
        proc.terminate()
        if wait and not proc.waitForFinished(STOP_GRACE_MS):
            proc.kill()
            proc.waitForFinished(2000)

    def _show_running(self, on: bool) -> None:
        self.run_button.setEnabled(not on)
        self.stop_button.setEnabled(on)
        for w in self._inputs():
            w.setEnabled(not on)
        has = bool(self.data.get("points") or self.data.get("runs"))
        self.save_button.setEnabled(not on and has)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(f"color: {theme.hex_color('error')}" if error else "")
        self.status.setText(text)

    @Slot()
    def _read_stderr(self) -> None:
        if self.proc is not None:
            self._stderr += bytes(self.proc.readAllStandardError().data())

    @Slot()
    def _read_stdout(self) -> None:
        if self.proc is None:
            return
        self._lines += bytes(self.proc.readAllStandardOutput().data())
        *whole, self._lines = self._lines.split(b"\n")
        for line in whole:
            try:
                msg = json.loads(line)
            except ValueError:
                continue  # not ours (a library's print): the JSON file has the truth
            if isinstance(msg, dict):
                self._on_message(msg)

    @Slot()
    def _advance(self) -> None:
        """Move the bar within the step that is running."""
        if self._step_t0 is None:
            return
        share = min(0.95, (time.monotonic() - self._step_t0) / self._step_s)
        self.progress.setValue(int(100 * (self._step_index + share)))

    @Slot(int, QProcess.ExitStatus)
    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        self._tick.stop()
        self._step_t0 = None
        crashed = status == QProcess.ExitStatus.CrashExit
        self.exit_code = None if crashed else code
        written = self._load_json()
        if written is not None:
            self.data = written
            self.chart.set_data(self.data)
        last_err = self._stderr.decode(errors="replace").strip().splitlines()
        self._ended(code, crashed, last_err[-1] if last_err else "")
        self._cleanup_tmp()
        self._show_running(False)

    @Slot(QProcess.ProcessError)
    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished() follows
            self._tick.stop()
            why = self.proc.errorString() if self.proc is not None else str(error)
            self._say(f"Could not start: {why}", error=True)
            self._cleanup_tmp()
            self._show_running(False)

    def _load_json(self) -> dict[str, Any] | None:
        path = self._json_path
        if not path or not Path(path).exists():
            return None
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _cleanup_tmp(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # ---- the chart --------------------------------------------------------------------
    def save_chart_to(self, path: str) -> Path:
        """Write the chart as it is shown to ``path`` (.png or .svg); ValueError or
        OSError saying why not."""
        return save_chart(self.data, path)

    @Slot()
    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save chart",
            str(Path.home() / self.chart_name),
            "PNG image (*.png);;SVG (*.svg)",
        )
        if not path:
            return
        try:
            out = self.save_chart_to(path)
        except (ValueError, OSError) as err:
            QMessageBox.warning(self, "pcsim", f"Could not save the chart: {err}")
            return
        self._say(f"Saved {out}")

    # ---- closing stops the child -------------------------------------------------------
    def done(self, result: int) -> None:
        """Close, Escape or the window's close: the child stops with the dialog."""
        self.stop(wait=True)
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop(wait=True)
        super().closeEvent(event)
