"""Simulation ▸ Sweep…: ``pcsim sweep`` from the window, its chart growing point by point.

The sweep runs in a child process (``pcsim sweep … --progress --json TMP`` through
QProcess), never in threads of the window's process: the measured workers would share
the GIL with the GUI's painting and measure it (README, Architecture). The child dies
with the window however the window dies, SIGKILL included: it is started with
``PCSIM_CHILD_OF=<our pid>``, which makes it a lifeline child
(:func:`simulator.engine.lifeline.become_child`). Closing the dialog stops it (SIGTERM:
it stops the point it is in, writes what is done and exits). Starting a sweep stops the
window's own run, so the two do not compete for the cores.
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
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simulator import exitcodes
from simulator.engine.config import SimulationConfig
from simulator.sweep import CHILD_ENV, KNOBS, config_args, default_values, point_configs
from simulator.ui import theme
from simulator.ui.chart import SweepChart, save_chart

#: how long a stopped sweep may take to write what it has before it is killed
STOP_GRACE_MS = 5000


def sweep_command(
    cfg: SimulationConfig, name: str, values: list[str], seconds: float, json_path: str
) -> tuple[str, list[str]]:
    """``(program, arguments)`` of the child ``pcsim sweep`` (the frozen app is its own
    ``pcsim``; otherwise this interpreter runs ``-m simulator``)."""
    args = ["sweep", *config_args(cfg), "--vary", name, *values]
    args += ["--seconds", repr(float(seconds)), "--json", json_path, "--progress"]
    if getattr(sys, "frozen", False):
        return sys.executable, args
    return sys.executable, ["-m", "simulator", *args]


class SweepDialog(QDialog):
    """Vary one setting of ``config``, run the sweep in a child process, show its chart.

    ``stop_run`` (the window's) is called when a sweep starts. :attr:`data` is the
    sweep's dict so far (the JSON's layout); :attr:`exit_code` the last sweep's."""

    def __init__(
        self,
        config: SimulationConfig,
        stop_run: Callable[[], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sweep: theory beside reality")
        self.config = config
        self.stop_run = stop_run
        self.data: dict[str, Any] = {}
        self.exit_code: int | None = None
        self._tmp: str | None = None
        self._lines = b""
        self._stderr = b""
        self._point_t0: float | None = None
        self._point_index = 0
        self._json_path: str | None = None
        self.proc: QProcess | None = None

        self.vary = QComboBox()
        self.vary.addItems(list(KNOBS))
        self.vary.setToolTip("The setting each point changes; the others stay as set")
        self.values = QLineEdit()
        self.values.setToolTip("The values to run, separated by spaces")
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0.5, 3600)
        self.seconds.setDecimals(1)
        self.seconds.setSingleStep(1)
        self.seconds.setValue(5.0)
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("How long each point runs for real")
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

        form = QFormLayout()
        form.addRow("Vary", self.vary)
        form.addRow("Values", self.values)
        form.addRow("Each point runs", self.seconds)
        buttons = QHBoxLayout()
        for b in (self.run_button, self.stop_button, self.save_button):
            buttons.addWidget(b)
        buttons.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.chart, 1)

        self.vary.currentTextChanged.connect(self._prefill)
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self._ask_save)
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self._advance)
        self.set_config(config)
        self.vary.setCurrentText("consumers")
        self._prefill("consumers")
        self._show_running(False)
        self.resize(900, 760)

    # ---- settings ---------------------------------------------------------------------
    def set_config(self, config: SimulationConfig) -> None:
        """Sweep around ``config`` (the window's current settings) from the next Run."""
        self.config = config
        cores = os.cpu_count() or 1
        self.note.setText(
            f"Each point runs for real on the {config.backend} backend, one after another, "
            f"then in the model. Starting a sweep stops the window's run, so the two do not "
            f"compete for this machine's {cores} core{'s' if cores != 1 else ''}."
        )
        self._prefill(self.vary.currentText())

    @Slot(str)
    def _prefill(self, name: str) -> None:
        if name in KNOBS:
            self.values.setText(" ".join(f"{v:g}" for v in default_values(self.config, name)))

    # ---- running ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.ProcessState.NotRunning

    @Slot()
    def start(self) -> bool:
        """Check the values, stop the window's run, start the child; False (and the
        reason shown) if a value is bad or a sweep is already running."""
        if self.running:
            return False
        name, values = self.vary.currentText(), self.values.text().split()
        try:
            point_configs(self.config, name, values)
        except ValueError as err:
            self._say(str(err), error=True)
            return False
        if self.stop_run is not None:
            self.stop_run()
        self._cleanup_tmp()
        self._tmp = tempfile.mkdtemp(prefix="pcsim-sweep-")
        json_path = str(Path(self._tmp) / "sweep.json")
        program, args = sweep_command(self.config, name, values, self.seconds.value(), json_path)
        self.data, self.exit_code = {}, None
        self._lines, self._stderr = b"", b""
        self._point_t0, self._point_index = None, 0
        self.chart.set_data({})
        self.progress.setRange(0, 100 * len(values))
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
        proc.start(program, args)
        self._say(f"Running {len(values)} points of {self.seconds.value():g} s each…")
        self._show_running(True)
        self._tick.start()
        return True

    @Slot()
    def stop(self, wait: bool = False) -> None:
        """Stop the sweep: it ends the point it is in, writes the points done and exits.
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
        self.vary.setEnabled(not on)
        self.values.setEnabled(not on)
        self.seconds.setEnabled(not on)
        self.save_button.setEnabled(not on and bool(self.data.get("points")))

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
            self._on_message(msg)

    def _on_message(self, msg: dict[str, Any]) -> None:
        kind = msg.get("event")
        if kind == "start":
            self.data = {k: v for k, v in msg.items() if k != "event"}
            self.chart.set_data(self.data)
        elif kind == "point_started":
            self._point_index = int(msg.get("index", 0))
            self._point_t0 = time.monotonic()
            n = len(self.data.get("values", []))
            self._say(
                f"Point {self._point_index + 1} of {n}: {self.data.get('vary')} "
                f"{msg.get('value')}…"
            )
        elif kind == "point" and self.data:
            self.data["points"].append(msg["point"])
            self._point_t0 = None
            self.progress.setValue(100 * (int(msg.get("index", 0)) + 1))
            self.chart.set_data(self.data)
            self._say(msg["point"].get("bottleneck", ""))

    @Slot()
    def _advance(self) -> None:
        """Move the bar within the point that is running (its clock and the model)."""
        if self._point_t0 is None:
            return
        share = min(0.95, (time.monotonic() - self._point_t0) / (self.seconds.value() + 0.6))
        self.progress.setValue(int(100 * (self._point_index + share)))

    @Slot(int, QProcess.ExitStatus)
    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        self._tick.stop()
        self._point_t0 = None
        crashed = status == QProcess.ExitStatus.CrashExit
        self.exit_code = None if crashed else code
        written = self._load_json()
        if written is not None:
            self.data = written
            self.chart.set_data(self.data)
        done = len(self.data.get("points", []))
        total = len(self.data.get("values", [])) or self.progress.maximum() // 100
        last_err = self._stderr.decode(errors="replace").strip().splitlines()
        why = last_err[-1] if last_err else ""
        if code == exitcodes.OK and not crashed:
            self.progress.setValue(self.progress.maximum())
            self._say(f"Done: {done} points. Measured solid, predicted dashed.")
        elif code == exitcodes.BOOKS and not crashed:
            self._say("The books broke at a point (ok: false): an item lost or doubled.", True)
        elif crashed or code >= exitcodes.SIGNAL_BASE:
            self._say(f"Stopped after {done} of {total} points.")
        else:
            self._say(f"The sweep failed (exit {code}): {why}", error=True)
        self._cleanup_tmp()
        self._show_running(False)

    @Slot(QProcess.ProcessError)
    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished() follows
            self._tick.stop()
            why = self.proc.errorString() if self.proc is not None else str(error)
            self._say(f"Could not start the sweep: {why}", error=True)
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
        name = f"sweep-{self.data.get('vary', 'chart')}.png"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save chart", str(Path.home() / name), "PNG image (*.png);;SVG (*.svg)"
        )
        if not path:
            return
        try:
            out = self.save_chart_to(path)
        except (ValueError, OSError) as err:
            QMessageBox.warning(self, "pcsim", f"Could not save the chart: {err}")
            return
        self._say(f"Saved {out}")

    # ---- closing stops the sweep -------------------------------------------------------
    def done(self, result: int) -> None:
        """Close, Escape or the window's close: the sweep stops with the dialog."""
        self.stop(wait=True)
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop(wait=True)
        super().closeEvent(event)
