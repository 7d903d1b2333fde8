"""Simulation ▸ Sweep…: ``pcsim sweep`` from the window, its chart growing point by point.

The sweep runs in a lifeline child process (:class:`~simulator.ui.child_run.ChildRunDialog`,
shared with Compare backends…): never in threads of the window's process, dying with the
window, stopped by closing the dialog. Starting a sweep stops the window's own run, so
the two do not compete for the cores.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from simulator.engine.config import SimulationConfig
from simulator.sweep import KNOBS, config_args, default_values, point_configs
from simulator.ui.child_run import STOP_GRACE_MS, ChildRunDialog, pcsim_command

__all__ = ["MIN_TRUSTED_ITEMS", "STOP_GRACE_MS", "SweepDialog", "sweep_command", "table_cells"]

#: a point that consumed fewer items than this is flagged: its throughput and shares
#: rest on too few items to trust (a few slow items swing them)
MIN_TRUSTED_ITEMS = 200
#: the table's columns after the varied setting's: measured / predicted side by side
TABLE_COLUMNS = (
    "measured/s",
    "predicted/s",
    "producers blocked\nmeasured / pred.",
    "consumers blocked\nmeasured / pred.",
    "books",
    "note",
)


def _pct(x: object) -> str:
    return "–" if x is None else f"{100 * float(x):.0f} %"  # type: ignore[arg-type]


def _rate(x: object) -> str:
    return "–" if x is None else f"{float(x):.1f}"  # type: ignore[arg-type]


def table_cells(point: dict[str, Any]) -> tuple[list[str], str]:
    """One point's row of the dialog's table (its value, then :data:`TABLE_COLUMNS`), and
    its warning ("" if none): ``"⚠ 57 items: too few to trust"`` under
    :data:`MIN_TRUSTED_ITEMS` consumed, in the note column, and a ⚠ beside the measured
    figure it concerns. The books column says ``✓ balanced`` or ``✗ BROKE``
    (``pcsim sweep``'s JSON calls it ``ok``)."""
    m, p = point.get("measured", {}), point.get("predicted", {})
    consumed = int(m.get("consumed", 0))
    items = f"{consumed:,} item{'' if consumed == 1 else 's'}"
    warning = f"⚠ {items}: too few to trust" if consumed < MIN_TRUSTED_ITEMS else ""
    measured = _rate(m.get("throughput_per_s"))
    cells = [
        f"{point.get('value', 0):g}",
        f"{measured} ⚠" if warning else measured,
        _rate(p.get("throughput_per_s")),
        f"{_pct(m.get('producer_blocked_fraction'))} / {_pct(p.get('producer_blocked_fraction'))}",
        f"{_pct(m.get('consumer_blocked_fraction'))} / {_pct(p.get('consumer_blocked_fraction'))}",
        "✓ balanced" if point.get("ok") else "✗ BROKE",
        warning,
    ]
    return cells, warning


def sweep_command(
    cfg: SimulationConfig, name: str, values: list[str], seconds: float, json_path: str
) -> tuple[str, list[str]]:
    """``(program, arguments)`` of the child ``pcsim sweep``."""
    args = ["sweep", *config_args(cfg), "--vary", name, *values]
    args += ["--seconds", repr(float(seconds)), "--json", json_path, "--progress"]
    return pcsim_command(args)


class SweepDialog(ChildRunDialog):
    """Vary one setting of ``config``, run the sweep in a child process, show its chart.

    ``stop_run`` (the window's) is called when a sweep starts. :attr:`data` is the
    sweep's dict so far (the JSON's layout); :attr:`exit_code` the last sweep's."""

    title = "Sweep: theory beside reality"

    def _build_form(self) -> None:
        self.vary = QComboBox()
        self.vary.addItems(list(KNOBS))
        self.vary.setToolTip("The setting each point changes; the others stay as set")
        self.values = QLineEdit()
        self.values.setToolTip("The values to run, separated by spaces")
        self.seconds = self._seconds_box("How long each point runs for real")
        form = QFormLayout()
        form.addRow("Vary", self.vary)
        form.addRow("Values", self.values)
        form.addRow("Each point runs", self.seconds)
        self.form.addLayout(form)
        self.vary.setCurrentText("consumers")  # (set_config then fills in its values)
        self.vary.currentTextChanged.connect(self._prefill)
        #: the points as numbers, one row each, under the chart
        self.table = QTableWidget(0, 1 + len(TABLE_COLUMNS))
        self.table.setObjectName("sweep_table")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # the note: the rest of the width
        # rows one line high, the table as high as three of them under the two-line
        # heads, then it scrolls: the chart gets the rest (the dialog fits 720 px)
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._fit_table()
        layout = self.layout()
        if layout is not None:
            layout.addWidget(self.table)

    @property
    def chart_name(self) -> str:  # type: ignore[override]
        return f"sweep-{self.data.get('vary', 'chart')}.png"

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

    def _inputs(self) -> list[QWidget]:
        return [self.vary, self.values, self.seconds]

    # ---- running ----------------------------------------------------------------------
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
        seconds = self.seconds.value()
        args = ["sweep", *config_args(self.config), "--vary", name, *values]
        args += ["--seconds", repr(float(seconds))]
        # a point is its run plus the model's quarter second or so
        self._launch(
            args,
            len(values),
            seconds + 0.6,
            f"Running {len(values)} points of {seconds:g} s each…",
        )
        return True

    def show_table(self) -> None:
        """The table of :attr:`data`'s points so far; a point on too few items says so
        in its measured cell, in words (and its tooltip says why it matters)."""
        points = self.data.get("points", [])
        heads = [str(self.data.get("vary") or self.vary.currentText()), *TABLE_COLUMNS]
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(points))
        for row, point in enumerate(points):
            cells, warning = table_cells(point)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if warning:
                    item.setToolTip(
                        f"This point consumed fewer than {MIN_TRUSTED_ITEMS} items: a few "
                        "slow items swing its figures. Run each point longer."
                    )
                self.table.setItem(row, col, item)
        self._fit_table()

    def _fit_table(self) -> None:
        """As high as its heads and up to three rows (one while empty), no blank below."""
        t = self.table
        shown = min(3, max(1, t.rowCount()))
        head = t.horizontalHeader().sizeHint().height()
        rows = shown * t.verticalHeader().defaultSectionSize()
        t.setFixedHeight(head + rows + 2 * t.frameWidth())

    def _on_message(self, msg: dict[str, Any]) -> None:
        super()._on_message(msg)
        if msg.get("event") in ("start", "point"):
            self.show_table()

    def _ended(self, code: int, crashed: bool, why: str) -> None:
        self.show_table()  # the JSON's points, as written
        super()._ended(code, crashed, why)

    def _started_line(self, msg: dict[str, Any]) -> str:
        n = len(self.data.get("values", []))
        return f"Point {self._step_index + 1} of {n}: {self.data.get('vary')} {msg.get('value')}…"

    def _run_line(self, run: dict[str, Any]) -> str:
        return str(run.get("bottleneck", ""))

    def _end_line(self, stopped: bool) -> str:
        done = len(self.data.get("points", []))
        if not stopped:
            few = sum(1 for p in self.data.get("points", []) if table_cells(p)[1])
            warn = (
                f" ⚠ {few} on fewer than {MIN_TRUSTED_ITEMS} items: run each point longer."
                if few
                else ""
            )
            return f"Done: {done} points. Measured solid, predicted dashed.{warn}"
        total = len(self.data.get("values", [])) or self.progress.maximum() // 100
        return f"Stopped after {done} of {total} points."
