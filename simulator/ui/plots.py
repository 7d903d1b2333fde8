"""Throughput and occupancy over the run's time (pyqtgraph).

Preallocated arrays, shifted in place (pyqtgraph's ``scrollingPlots`` example, first
method): memory is fixed however long the run, and each new sample costs one ``setData``
per curve. Samples are taken at 10 Hz, the resolution of the engine's rate bins.

The time axis is the run's own (seconds since its start). It grows with the run, in
whole steps of :data:`GROW_S`, until it spans :data:`WINDOW_S`; then it scrolls, the
newest sample at the right edge. A 10-second demo fills the plot instead of a sixth of
it. The y ranges move only in 1-2-5 steps, so the axes are not re-laid-out on every
sample. The rates' range is a function of the samples alone (:func:`next_top`, folded
over them, floored by the run's average and the prediction), so REPLAY draws a moment
with the axis it had live. It grows with the last :data:`SCALE_S` of samples and
shrinks only when the last 2 x SCALE_S stay well under the top (:data:`SHRINK`): a
steady 17 ± 1.5 items/s run flipped 20 -> 50 -> 20 every few seconds when the top was
the last SCALE_S's peak alone; and a start-up burst still does not flatten a slow run's
1 item/s lines onto the baseline for the rest of the run.

The rolling rate of the engine (a 2-second window) swings with every burst; the run's
average (consumed / elapsed) is the trend. Both are drawn, and named in the title, so a
viewer can tell one from the other.

The prediction for the run's settings (:mod:`simulator.theory`, handed over by the window
with the frame) is drawn as a dashed horizontal line in each plot, in a shade of the
curve it predicts (throughput: the consumed blue; occupancy: its orange), and named with
its value in that plot's title ("╍ predicted 4.4"): a reader sees at once whether the
run does what the settings should give.

Every text (title, axis titles, tick labels, the capacity mark) is sized in pixels by
:meth:`LivePlot.set_text_px`, so the window's text size and presentation mode reach the
graph like every other view. The left axes get a width that holds the widest tick label
("80000") *beside* the rotated axis title, so the two never run into each other.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen, QResizeEvent
from PySide6.QtWidgets import QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.metrics import rate_text
from simulator.engine.simulation import Snapshot
from simulator.theory import Prediction, occupancy_text
from simulator.ui import theme
from simulator.ui.history import END, SAMPLE_S, SKIP, sample_rule

WINDOW_S = 60.0  #: the longest time span shown; after that the axis scrolls
GROW_S = 10.0  #: the time axis starts this long and grows in steps of it
N = int(WINDOW_S / SAMPLE_S)
WIDEST_TICK = "000000"  #: room for the widest tick label, e.g. "80000" or "1,000"
#: the rates' y range grows to show the samples of the last this many seconds, and
#: shrinks by those of the last twice as many (older peaks, a start-up burst, may run
#: off the top once they are that old)
SCALE_S = 5.0
#: the rates' top shrinks only when the last 2 x SCALE_S's peak is below top / SHRINK
#: (the hysteresis: noise around a 1-2-5 step's edge does not flip the axis)
SHRINK = 2.5
HEADROOM = 1.15  #: the rates' top is at least this much above the highest line


_UNSET = object()  #: no prediction handed over yet


def time_span(t: float) -> tuple[float, float]:
    """The time axis's range at run time ``t``: from 0 to the next whole :data:`GROW_S`
    at or above ``t`` while that is within :data:`WINDOW_S`, then the last WINDOW_S."""
    if t <= WINDOW_S:
        return 0.0, min(WINDOW_S, max(GROW_S, math.ceil(t / GROW_S - 1e-9) * GROW_S))
    return t - WINDOW_S, t


def rate_top(peak: float) -> float:
    """The rates' y range's top for ``peak``, the highest line to show: the next 1-2-5
    step above it with :data:`HEADROOM` (at least 1 item/s)."""
    return _nice_ceiling(max(peak, 1.0) * HEADROOM)


def next_top(top: float, ts: np.ndarray, peaks: np.ndarray) -> float:
    """The rates' curves' top after a new sample, from ``top``, the one before it, and the
    samples so far (their times ``ts`` and highest curve values ``peaks``, oldest first,
    the new one last): :func:`step_top` of the last :data:`SCALE_S`'s peak and the last
    2 x SCALE_S's. Live folds the samples with it, REPLAY with :func:`fold_top` (the
    same rule), so a moment is drawn with the axis it had live."""
    now = float(ts[-1])
    short = float(peaks[int(np.searchsorted(ts, now - SCALE_S)) :].max())
    long = float(peaks[int(np.searchsorted(ts, now - 2 * SCALE_S)) :].max())
    return step_top(top, short, long)


def step_top(top: float, short: float, long: float) -> float:
    """The hysteresis: up to :func:`rate_top` of ``short`` (the last SCALE_S's peak) if
    that is higher than ``top``; down to rate_top of ``long`` (the last 2 x SCALE_S's)
    only when that is below ``top / SHRINK``; else ``top``."""
    grow = rate_top(short)
    if grow > top:
        return grow
    if long < top / SHRINK:
        return rate_top(long)
    return top


def fold_top(ts: np.ndarray, peaks: np.ndarray) -> float:
    """The curves' top after every sample (:func:`next_top` from 0, its windows' peaks
    taken at once: a REPLAY of 6 minutes of samples folds 3600 of them)."""
    n = len(ts)
    if not n:
        return 0.0
    padded = np.append(peaks, 0.0)  # reduceat's end index for the newest sample
    ends = np.arange(1, n + 1)
    out = []
    for span in (SCALE_S, 2 * SCALE_S):
        starts = np.searchsorted(ts, ts - span)
        idx = np.empty(2 * n, dtype=np.intp)
        idx[0::2], idx[1::2] = starts, ends
        out.append(np.maximum.reduceat(padded, idx)[0::2].tolist())
    top = 0.0
    for short, long in zip(out[0], out[1], strict=True):
        top = step_top(top, short, long)
    return top


def run_average(consumed: int, elapsed: float) -> float:
    """The run's average throughput: everything consumed over the whole run so far."""
    return consumed / elapsed if elapsed > 0 else 0.0


#: the full policy's drops (rejected + overwritten per second): vermillion, dotted
DROPPED_PEN = theme.OKABE_ITO["vermillion"]


def shows_drops(snap: Snapshot) -> bool:
    """Whether the graph draws the dropped/s line for ``snap``'s run: a dropping full
    policy, or drops already booked (the policy may have changed live)."""
    return snap.config.full_policy != "block" or bool(snap.rejected or snap.overwritten)


class LivePlot(pg.GraphicsLayoutWidget):
    _built = False  #: True once the plots exist (see resizeEvent)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(180)
        self.t = np.zeros(N)
        self.produced = np.zeros(N)
        self.consumed = np.zeros(N)
        self.occupancy = np.zeros(N)
        self.dropped = np.zeros(N)
        #: the run drops items by its full policy: the dropped/s line is in the legend
        self.drops = False
        self.n = 0
        self.average = 0.0  #: the run's average consumed/s at the last sample
        self.text_px = theme.TEXT_PX
        self.span = time_span(0.0)
        self.rates = self.addPlot(row=0, col=0, axisItems={"left": _FewTicks("left")})
        self.produced_curve = self.rates.plot(
            name="produced/s", pen=pg.mkPen(theme.PRODUCED_PEN, width=2.5)
        )
        self.consumed_curve = self.rates.plot(
            name="consumed/s",
            pen=pg.mkPen(theme.CONSUMED_PEN, width=2.5, style=Qt.PenStyle.DashLine),
        )
        self.dropped_curve = self.rates.plot(
            name="dropped/s",
            pen=pg.mkPen(DROPPED_PEN, width=2.5, style=Qt.PenStyle.DotLine),
        )
        self.average_line = pg.InfiniteLine(pos=0, angle=0)
        self.average_line.setVisible(False)
        self.rates.addItem(self.average_line)
        self.occ = self.addPlot(row=1, col=0, axisItems={"left": _FewTicks("left")})
        self.occ.setXLink(self.rates)
        fill = pg.mkColor(theme.OCCUPANCY_PEN)
        fill.setAlpha(70)
        self.occupancy_curve = self.occ.plot(
            pen=pg.mkPen(theme.OCCUPANCY_PEN, width=2.5),
            fillLevel=0,
            brush=fill,
        )
        self.capacity_line = pg.InfiniteLine(angle=0)  # named in the title, never over data
        # under the occupancy: a full buffer's line lies on the capacity, and must show
        self.capacity_line.setZValue(-5)
        self.occupancy_curve.setZValue(5)
        self.occ.addItem(self.capacity_line)
        #: the prediction on show (None: predicting; a Prediction whose run is None: none)
        self.prediction: object = _UNSET
        self.predicted_rate: float | None = None
        self.predicted_occupancy: float | None = None
        self.predicted_rate_line = pg.InfiniteLine(pos=0, angle=0)
        self.predicted_occ_line = pg.InfiniteLine(pos=0, angle=0)
        for line, plot in (
            (self.predicted_rate_line, self.rates),
            (self.predicted_occ_line, self.occ),
        ):
            line.setVisible(False)
            line.setZValue(-5)  # under the measured curves: the data stays readable
            plot.addItem(line)
        for plot in (self.rates, self.occ):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setClipToView(True)
            plot.setXRange(*self.span, padding=0)
            plot.enableAutoRange(False)
        self.ci.layout.setRowStretchFactor(0, 1)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.restyle()
        for plot in (self.rates, self.occ):  # fixed axes: after everything that may reset them
            plot.getViewBox().disableAutoRange()
            plot.setXRange(*self.span, padding=0)
        self.rates_top = 0.0
        #: the curves' top, folded over the samples (:func:`next_top`); the axis's top is
        #: this or the run's average's and the prediction's, whichever is higher
        self.curves_top = 0.0
        self._set_rate_range()
        self.set_capacity(10)
        self._built = True

    def set_text_px(self, px: int) -> None:
        """Every text of the graph at ``px`` pixels (the window's text size)."""
        self.text_px = max(12, int(px))
        self.restyle()

    def restyle(self) -> None:
        """Apply the current theme's colours and the text size to background, titles,
        axes, ticks and grid."""
        ink, muted = theme.hex_color("ink"), theme.hex_color("muted")
        px = self.text_px
        self.setBackground(theme.hex_color("plot_bg"))
        style = {"color": ink, "font-size": f"{px}px"}
        self._title_key: tuple[str, str, int, int, bool] | None = None
        self._show_title()
        self.rates.setLabel("left", "items/s", **style)
        self.occ.setLabel("left", "items", **style)
        self.occ.setLabel("bottom", "run time (s)", **style)
        grid_alpha = cast(float, theme.THEMES[theme.NAME]["grid_alpha"])
        tick_font = QFont(self.font())
        tick_font.setPixelSize(px)
        fm = QFontMetricsF(tick_font)
        # tick labels, their gap, the rotated title (one line high) and a margin
        width = int(fm.horizontalAdvance(WIDEST_TICK) + fm.height() + 14)
        for plot in (self.rates, self.occ):
            plot.showGrid(x=True, y=True, alpha=grid_alpha)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(muted)
                axis.setTextPen(muted)
                axis.setStyle(tickFont=tick_font, tickTextOffset=4)
            plot.getAxis("left").setWidth(width)
            plot.getAxis("bottom").setHeight(int(fm.height() + 8))
        self.occ.getAxis("bottom").setHeight(int(2 * fm.height() + 10))  # ticks + title
        self.capacity_line.setPen(pg.mkPen(muted, width=1.5, style=Qt.PenStyle.DashLine))
        avg_pen = pg.mkPen(theme.CONSUMED_PEN, width=1.5, style=Qt.PenStyle.DotLine)
        self.average_line.setPen(avg_pen)
        self.predicted_rate_line.setPen(_predicted_pen(theme.CONSUMED_PEN))
        self.predicted_occ_line.setPen(_predicted_pen(theme.OCCUPANCY_PEN))
        self._show_occ_title()

    def _show_title(self) -> None:
        """The rates' title is their legend (inside the plot it would hide data) and
        names the run's average and the predicted throughput beside the two rolling
        rates, in the longest wording that fits the graph's width (:meth:`_fit_title`)."""
        avg = rate_text(self.average) if self.n else "–"
        guess = _predicted_text(self.prediction, self.predicted_rate)
        key = (avg, guess, self.width(), self.text_px, self.drops)
        if key == self._title_key:
            return
        self._title_key = key
        shade = _predicted_color(theme.CONSUMED_PEN)
        curves = [(theme.PRODUCED_PEN, "━ produced"), (theme.CONSUMED_PEN, "╍ consumed")]
        if self.drops:  # a dropping full policy: its line, named as the others
            curves.append((DROPPED_PEN, "┈ dropped"))
        lines = [(theme.CONSUMED_PEN, f"┈ run avg {avg}"), (shade, f"╍ predicted {guess}")]
        # one line, or two: the measured curves, then the two horizontal lines; with the
        # dropped line at 1024 px, three (nothing of the legend is ever clipped)
        wordings = [[curves + lines], [curves, lines]]
        if self.drops:
            wordings.append([curves[:2], [curves[2], lines[0]], [lines[1]]])
        self._fit_title(self.rates, wordings)

    def _show_occ_title(self) -> None:
        p = self.prediction
        guess = occupancy_text(p) if isinstance(p, Prediction) else _predicted_text(p, None)
        shade = _predicted_color(theme.OCCUPANCY_PEN)
        ink = theme.hex_color("ink")
        pred = (shade, f"╍ predicted mean {guess}")
        head = [(ink, "Buffer occupancy"), (ink, "╌ capacity")]
        self._fit_title(self.occ, [[[*head, pred]], [head, [pred]]])

    def _fit_title(self, plot: pg.PlotItem, wordings: list[list[list[tuple[str, str]]]]) -> None:
        """Give ``plot`` the first of ``wordings`` (lines of coloured parts) whose lines
        fit the graph's width at the current text size, else the last, and a title row
        as high as its lines. At 1024 px the graph is narrow, and a clipped legend would
        hide what the lines mean."""
        font = QFont(self.font())
        font.setPixelSize(self.text_px)
        fm = QFontMetricsF(font)
        # a plot's title spans its view box, not the axis beside it; box-drawing marks
        # may come from a wider fallback font: some to spare
        room = (self.width() - self.rates.getAxis("left").width() - 24) / 1.3
        lines = wordings[-1]
        for lines in wordings:
            if all(fm.horizontalAdvance("   ".join(t for _, t in ln)) <= room for ln in lines):
                break
        html = "<br>".join(
            " &nbsp; ".join(f"<span style='color:{c}'>{t}</span>" for c, t in ln) for ln in lines
        )
        plot.setTitle(html, color=theme.hex_color("ink"), size=f"{self.text_px}px")
        # pyqtgraph fixes the title row at 30 px: room for every line
        height = max(30, int(len(lines) * fm.lineSpacing() + 10))
        plot.titleLabel.setMaximumHeight(height)
        plot.layout.setRowFixedHeight(0, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._built:
            return  # pyqtgraph resizes the widget before the plots exist
        self._show_title()  # the wording that fits the new width
        self._show_occ_title()

    def show_prediction(self, p: Prediction | None) -> None:
        """Draw ``p``, the prediction for the settings of the snapshot on show: its
        throughput and mean occupancy as dashed lines, their values in the titles
        (None: still predicting, "…"; a null prediction: "–", no line). The same
        prediction again is a no-op."""
        if p is self.prediction:
            return
        self.prediction = p
        run = None if p is None else p.run
        self.predicted_rate = None if run is None else run.throughput_per_s
        self.predicted_occupancy = None if run is None else run.mean_occupancy
        for line, value in (
            (self.predicted_rate_line, self.predicted_rate),
            (self.predicted_occ_line, self.predicted_occupancy),
        ):
            line.setVisible(value is not None)
            if value is not None:
                line.setValue(value)
        self._show_title()
        self._show_occ_title()
        self._set_rate_range()

    def predicted_lines(self) -> dict[str, float | None]:
        """The dashed lines' values as drawn (None where none is shown): for dumps and
        tests."""
        return {
            "throughput": self.predicted_rate_line.value()
            if self.predicted_rate_line.isVisible()
            else None,
            "occupancy": self.predicted_occ_line.value()
            if self.predicted_occ_line.isVisible()
            else None,
        }

    def occ_title_text(self) -> str:
        """The occupancy plot's title as plain text."""
        return _plain(self.occ.titleLabel.text)

    def title_text(self) -> str:
        """The rates' title as plain text (what a viewer reads; for tests and dumps)."""
        return _plain(self.rates.titleLabel.text)

    def set_capacity(self, capacity: int) -> None:
        self.capacity_line.setValue(capacity)
        self.occ.setYRange(0, capacity * 1.25, padding=0)

    def reset(self) -> None:
        """Forget the samples. (Not ``clear``: GraphicsLayoutWidget binds ``clear`` per
        instance to remove every plot from the layout.)"""
        self.n = 0
        self.average = 0.0
        self.drops = False
        for c in (
            self.produced_curve,
            self.consumed_curve,
            self.occupancy_curve,
            self.dropped_curve,
        ):
            c.setData([], [])
        self.average_line.setVisible(False)
        self.curves_top = 0.0
        self._set_span(0.0)
        self._set_rate_range()
        self._show_title()

    def _set_span(self, t: float) -> None:
        span = time_span(t)
        if span != self.span:
            self.span = span
            self.rates.setXRange(*span, padding=0)

    def _set_rate_range(self) -> None:
        """The rates' y range: the curves' top (:attr:`curves_top`) or :func:`rate_top` of
        the run's average and the prediction, whichever is higher; set only when it
        changes (a 1-2-5 step)."""
        top = max(self.curves_top, rate_top(max(self.average, self.predicted_rate or 0.0)))
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
        """Sample ``snap`` by :func:`~simulator.ui.history.sample_rule` (at most every
        :data:`SAMPLE_S` of run time while running; the stopped run's final state at the
        time it stopped, or its final count at the same moment; the history keeps the
        samples REPLAY draws by the same rule); the run's average in the title follows
        every snapshot handed in, so it agrees with the statistics' on the same frame."""
        if shows_drops(snap) and not self.drops:
            self.drops = True
            self._show_title()
        average = run_average(snap.consumed, snap.elapsed)
        if average != self.average and snap.elapsed > 0:
            self.average = average
            if self.n:
                self._show_title()
        rule = sample_rule(float(self.t[-1]) if self.n else None, snap.elapsed, snap.state)
        if rule == SKIP:
            return  # too soon, or a paused run's picture kept as it is
        if rule == END:
            # the same stopped moment: its final count (a terminate empties the buffer)
            if self.occupancy[-1] != snap.occupancy:
                self.occupancy[-1] = snap.occupancy
                sl = slice(N - self.n, N)
                self.occupancy_curve.setData(self.t[sl], self.occupancy[sl], skipFiniteCheck=True)
            return
        self.add_sample(
            snap.elapsed, snap.produced_rate, snap.consumed_rate, snap.occupancy, snap.dropped_rate
        )
        if snap.capacity != self.capacity_line.value():
            self.set_capacity(snap.capacity)

    def add_sample(
        self, t: float, produced: float, consumed: float, occupancy: float, dropped: float = 0.0
    ) -> None:
        for arr, v in (
            (self.t, t),
            (self.produced, produced),
            (self.consumed, consumed),
            (self.occupancy, occupancy),
            (self.dropped, dropped),
        ):
            arr[:-1] = arr[1:]
            arr[-1] = v
        self.n = min(N, self.n + 1)
        sl = slice(N - self.n, N)
        ts = self.t[sl]
        self.produced_curve.setData(ts, self.produced[sl], skipFiniteCheck=True)
        self.consumed_curve.setData(ts, self.consumed[sl], skipFiniteCheck=True)
        self.occupancy_curve.setData(ts, self.occupancy[sl], skipFiniteCheck=True)
        if self.drops:
            self.dropped_curve.setData(ts, self.dropped[sl], skipFiniteCheck=True)
        self._set_span(t)
        self.average_line.setValue(self.average)
        self.average_line.setVisible(True)
        self._show_title()
        ts = self.t[N - self.n :]
        lo = N - self.n + int(np.searchsorted(ts, t - 2 * SCALE_S))
        self.curves_top = next_top(self.curves_top, self.t[lo:], self.peaks(slice(lo, N)))
        self._set_rate_range()

    def peaks(self, sl: slice) -> np.ndarray:
        """The highest curve at each sample of ``sl`` (the dropped line's too: it is 0
        where none is drawn, so live and REPLAY agree however ``drops`` came to be)."""
        return np.maximum(np.maximum(self.produced[sl], self.consumed[sl]), self.dropped[sl])


def _plain(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html.replace("<br>", "   ")).replace("&nbsp;", " ")


def _predicted_color(pen: str) -> str:
    """A shade of a curve's colour for its prediction: towards the theme's ink (darker
    on light, lighter on dark), so it reads as the same family yet apart from the curve,
    on either background."""
    return theme.blend(QColor(pen), theme.color("ink"), 0.35).name()


def _predicted_pen(pen: str) -> QPen:
    p = pg.mkPen(_predicted_color(pen), width=2.0)
    p.setStyle(Qt.PenStyle.CustomDashLine)
    p.setDashPattern([5.0, 3.0])  # long dashes: apart from the consumed curve's
    return p


def _predicted_text(p: object, value: float | None) -> str:
    """A prediction's figure as a title names it: "…" while predicting, "–" for none."""
    if p is None or p is _UNSET:
        return "…"
    if value is None:
        return "–"
    return rate_text(value)


class _FewTicks(pg.AxisItem):
    """A y axis with at most three labelled ticks. The plots are short, and at a
    projector's text size pyqtgraph's own choice (never fewer than 2.25 intervals, in
    1-2-5 steps) stacked "8 6 4 2" into one another."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        dif = abs(maxVal - minVal)
        if dif == 0:
            return []
        # a 1-2-5 step giving three or four ticks: at least one lies inside the axis
        # (pyqtgraph drops a label that reaches past either end)
        return [(_nice_ceiling(dif / 3.0), 0.0)]


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is >= x."""
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * k >= x:
            return m * k
    return 10 * k
