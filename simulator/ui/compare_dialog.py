"""Simulation ▸ Compare backends…: ``pcsim compare`` from the window, a bar per backend.

Runs in a lifeline child process like the Sweep dialog
(:class:`~simulator.ui.child_run.ChildRunDialog`): the measured workers must not share
the window's GIL, and the window's own run stops first so the two do not compete for the
cores. The work kind is chosen here (sleep or cpu), the other settings are the window's.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QWidget,
)

from simulator.compare import backend_configs
from simulator.engine.config import BACKENDS, SETTINGS, SimulationConfig
from simulator.sweep import config_args
from simulator.ui.child_run import ChildRunDialog


class CompareDialog(ChildRunDialog):
    """Run ``config`` on each chosen backend in a child ``pcsim compare``; show the bars.

    :attr:`data` is the comparison's dict so far (the JSON's layout, ``runs``)."""

    chart_name = "compare.png"
    runs_key = "runs"
    what = "comparison"
    books_where = "on a backend"
    title = "Compare backends: the same settings on each"

    def _build_form(self) -> None:
        self.backends = {name: QCheckBox(name) for name in BACKENDS}
        row = QHBoxLayout()
        for name, box in self.backends.items():
            box.setChecked(name != "redis")  # redis needs a redis-server: by choice
            row.addWidget(box)
        row.addStretch(1)
        self.work = QComboBox()
        self.work.addItems(list(SETTINGS["work"].choices))
        self.work.setToolTip(
            "sleep: the drawn time is waited (like I/O); cpu: it is computed in pure Python"
        )
        self.seconds = self._seconds_box("How long each backend runs for real")
        form = QFormLayout()
        form.addRow("Backends", row)
        form.addRow("Work", self.work)
        form.addRow("Each backend runs", self.seconds)
        self.form.addLayout(form)

    def set_config(self, config: SimulationConfig) -> None:
        """Compare ``config`` (the window's current settings) from the next Run."""
        self.config = config
        self.work.setCurrentText(config.work)
        cores = os.cpu_count() or 1
        self.note.setText(
            "Each backend runs the window's settings for real, one after another. With work "
            "cpu, threads take turns holding the GIL, processes use the cores, asyncio's "
            f"computation blocks its loop. This machine has {cores} "
            f"core{'s' if cores != 1 else ''}; the window's run stops first."
        )

    def _inputs(self) -> list[QWidget]:
        return [*self.backends.values(), self.work, self.seconds]

    def chosen(self) -> list[str]:
        return [name for name, box in self.backends.items() if box.isChecked()]

    def start(self) -> bool:
        """Check the choice, stop the window's run, start the child; False (and the
        reason shown) if it will not do or a comparison is already running."""
        if self.running:
            return False
        backends = self.chosen()
        try:
            cfg = self.config.replace(work=self.work.currentText())
            backend_configs(cfg, backends)
        except ValueError as err:
            self._say(str(err), error=True)
            return False
        seconds = self.seconds.value()
        args = ["compare", *[a for a in _without_backend(config_args(cfg))]]
        args += ["--backends", *backends, "--seconds", repr(float(seconds))]
        # a run is its clock plus the workers' start (processes: interpreters to spawn)
        self._launch(args, len(backends), seconds + 1.0, f"Running {len(backends)} backends…")
        return True

    def _started_line(self, msg: dict[str, Any]) -> str:
        n = len(self.data.get("compare", []))
        return f"Backend {self._step_index + 1} of {n}: {msg.get('backend')}…"

    def _run_line(self, run: dict[str, Any]) -> str:
        return f"{run['backend']}: {run['throughput_per_s']:.1f} items/s"

    def _end_line(self, stopped: bool) -> str:
        runs = self.data.get("runs", [])
        if stopped:
            return f"Stopped after {len(runs)} backends."
        speed = self.data.get("speedup_vs_threads", {})
        said = ", ".join(f"{k} {v:.2f} ×" for k, v in speed.items())
        return f"Done: {len(runs)} backends." + (f" Against threads: {said}." if said else "")


def _without_backend(args: list[str]) -> list[str]:
    """``config_args`` without ``--backend X``: compare takes ``--backends``."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == SETTINGS["backend"].flag:
            skip = True
            continue
        out.append(a)
    return out
