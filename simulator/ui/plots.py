"""Throughput and occupancy over a scrolling 60-second window (pyqtgraph).

Preallocated arrays, shifted in place (pyqtgraph's ``scrollingPlots`` example, first
method): memory is fixed however long the run, and each new sample costs one ``setData``
per curve. Samples are taken at 10 Hz, the resolution of the engine's rate bins.

The x axis is fixed ("seconds ago", -60 to 0) and the y ranges move only in 1-2-5
steps, so the axes are not re-laid-out on every sample: with worker threads competing
for the GIL, every call the GUI thread does not make is time it does not wait.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.simulation import RUNNING, Snapshot
from simulator.ui import theme

WINDOW_S = 60.0
SAMPLE_S = 0.1
N = int(WINDOW_S / SAMPLE_S)


class LivePlot(pg.GraphicsLayoutWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(180)
        self.t = np.zeros(N)
        self.produced = np.zeros(N)
        self.consumed = np.zeros(N)
        self.occupancy = np.zeros(N)
        self.n = 0
        self._last_sample = -1.0
        self.rates = self.addPlot(row=0, col=0)
        self.produced_curve = self.rates.plot(
            name="produced/s", pen=pg.mkPen(theme.PRODUCED_PEN, width=2.5)
        )
        self.consumed_curve = self.rates.plot(
            name="consumed/s",
            pen=pg.mkPen(theme.CONSUMED_PEN, width=2.5, style=Qt.PenStyle.DashLine),
        )
        self.occ = self.addPlot(row=1, col=0)
        self.occ.setXLink(self.rates)
        fill = pg.mkColor(theme.OCCUPANCY_PEN)
        fill.setAlpha(70)
        self.occupancy_curve = self.occ.plot(
            pen=pg.mkPen(theme.OCCUPANCY_PEN, width=2.5),
            fillLevel=0,
            brush=fill,
        )
        self.capacity_line = pg.InfiniteLine(
            angle=0, label="capacity", labelOpts={"position": 0.06}
        )
        self.occ.addItem(self.capacity_line)
        for plot in (self.rates, self.occ):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setClipToView(True)
            plot.getAxis("left").setWidth(52)
            plot.setXRange(-WINDOW_S, 0, padding=0)
            plot.enableAutoRange(False)
        self.ci.layout.setRowStretchFactor(0, 1)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.restyle()
        for plot in (self.rates, self.occ):  # fixed axes: after everything that may reset them
            plot.getViewBox().disableAutoRange()
            plot.setXRange(-WINDOW_S, 0, padding=0)
        self.rates_top = 0.0
        self._set_rate_range(1.0)
        self.set_capacity(10)

    def restyle(self) -> None:
        """Apply the current theme's colours to background, titles, axes and grid."""
        ink, muted = theme.hex_color("ink"), theme.hex_color("muted")
        self.setBackground(theme.hex_color("plot_bg"))
        style = {"color": ink, "font-size": "11pt"}
        # the legend lives in the title: inside the plot it would hide the newest data
        self.rates.setTitle(
            f"Throughput &nbsp; <span style='color:{theme.PRODUCED_PEN}'>━ produced/s</span>"
            f" &nbsp; <span style='color:{theme.CONSUMED_PEN}'>╍ consumed/s</span>",
            color=ink,
            size="11pt",
        )
        self.rates.setLabel("left", "items/s", **style)
        self.occ.setTitle("Buffer occupancy", color=ink, size="11pt")
        self.occ.setLabel("left", "items", **style)
        self.occ.setLabel("bottom", "seconds ago", **style)
        grid_alpha = cast(float, theme.THEMES[theme.NAME]["grid_alpha"])
        for plot in (self.rates, self.occ):
            plot.showGrid(x=True, y=True, alpha=grid_alpha)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(muted)
                axis.setTextPen(muted)
        self.capacity_line.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DashLine))
        self.capacity_line.label.setColor(muted)

    def set_capacity(self, capacity: int) -> None:
        self.capacity_line.setValue(capacity)
        self.occ.setYRange(0, capacity * 1.25, padding=0)

    def reset(self) -> None:
        """Forget the samples. (Not ``clear``: GraphicsLayoutWidget binds ``clear`` per
        instance to remove every plot from the layout.)"""
        self.n = 0
        self._last_sample = -1.0
        for c in (self.produced_curve, self.consumed_curve, self.occupancy_curve):
            c.setData([], [])
        self._set_rate_range(1.0)

    def _set_rate_range(self, peak: float) -> None:
        """Grow (or shrink, when far above) the rates' y range in 1-2-5 steps."""
        top = _nice_ceiling(max(peak, 1.0) * 1.1)
        if top != self.rates_top:
            self.rates_top = top
            self.rates.setYRange(0, top, padding=0)

    def show_config(self, cfg: SimulationConfig) -> None:
        """Before a run: the capacity line of the run the next start creates."""
        self.set_capacity(cfg.capacity)

    def on_frame(self, _batch: list[Event], _total: int, snap: Snapshot) -> None:
        """The window's frame: the graph samples the snapshot (the events are the log's)."""
        self.on_snapshot(snap)

    @Slot(object)
    def on_snapshot(self, snap: Snapshot) -> None:
        if snap.state != RUNNING and self.n:
            return  # keep the picture of a paused or stopped run as it is
        t = snap.elapsed
        if t - self._last_sample < SAMPLE_S:
            return
        self._last_sample = t
        self.add_sample(t, snap.produced_rate, snap.consumed_rate, snap.occupancy)
        if snap.capacity != self.capacity_line.value():
            self.set_capacity(snap.capacity)

    def add_sample(self, t: float, produced: float, consumed: float, occupancy: float) -> None:
        for arr, v in (
            (self.t, t),
            (self.produced, produced),
            (self.consumed, consumed),
            (self.occupancy, occupancy),
        ):
            arr[:-1] = arr[1:]
            arr[-1] = v
        self.n = min(N, self.n + 1)
        sl = slice(N - self.n, N)
        ago = self.t[sl] - t
        self.produced_curve.setData(ago, self.produced[sl], skipFiniteCheck=True)
        self.consumed_curve.setData(ago, self.consumed[sl], skipFiniteCheck=True)
        self.occupancy_curve.setData(ago, self.occupancy[sl], skipFiniteCheck=True)
        peak = max(float(self.produced[sl].max()), float(self.consumed[sl].max()))
        if peak > self.rates_top or peak < self.rates_top / 4:
            self._set_rate_range(peak)


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is >= x."""
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * k >= x:
            return m * k
    return 10 * k
