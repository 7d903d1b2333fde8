"""Rewind: the time slider under the canvas, and REPLAY, which repaints every view from
the frame recorded at the slider's moment (:mod:`.history`).

While live, :class:`Replayer` records what the window painted on each frame. Dragging the
slider back (or Ctrl+Left) puts the window in REPLAY: the canvas (cards, buffer,
caption), the statistics and the books, the code panel's markers and the primitives, the
graph (its samples up to that moment, its time and y ranges) and the status bar paint the
recorded state, and a "REPLAY t = 5.0 s" mark in words sits on the canvas. The run goes on
underneath: the frames keep coming, the history keeps recording, and the live parts that
only follow events (the code panel's marker tracker, the canvas's tokens) keep being fed
off screen, so "Live" (or Ctrl+L) returns to the run as it is now. The event log stays
live (it is a list of events, not a picture of a moment).

Why swap models rather than add a "replay" flag to each view: the views already paint
from a snapshot, a :class:`~simulator.ui.canvas_model.CanvasModel` and a
:class:`~simulator.ui.code_panel.MarkerTracker`; handing them frozen ones paints the
recorded moment with the very code that painted it live.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from simulator.engine.simulation import Snapshot
from simulator.ui import theme
from simulator.ui.canvas_model import CanvasModel, Token
from simulator.ui.code_panel import Mark, MarkerTracker
from simulator.ui.history import FrameState, History, Sample
from simulator.ui.plots import N, fold_top, run_average, shows_drops

if TYPE_CHECKING:
    from simulator.ui.canvas import SimulationCanvas
    from simulator.ui.inside_view import InsideView
    from simulator.ui.plots import LivePlot
    from simulator.ui.stats import StatsPanel

#: the slider's steps per second of run time
TICKS = 10
#: Ctrl+Left / Ctrl+Right move this many seconds
KEY_STEP_S = 1.0


def clock(t: float, total: float) -> str:
    """``t = 5.0 s of 20.0 s``: the replayed moment in the run's time."""
    return f"t = {t:.1f} s of {total:.1f} s"


class ReplayBar(QWidget):
    """A slider over the run's recorded time, its label and a Live button."""

    #: the slider was moved by the user to this run time
    seek = Signal(float)
    #: Live was pressed
    goLive = Signal()
    #: the bar (as wide as the canvas above it) was resized: the mark moves
    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replay_bar")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("replay_slider")
        self.slider.setAccessibleName("Rewind: the run's time")
        self.slider.setToolTip(
            "Drag back to replay any moment of the last 5 minutes (Ctrl+Left / Ctrl+Right "
            "move 1 s; Ctrl+L or Live returns)"
        )
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._moved)
        self.label = QLabel("Live")
        self.label.setObjectName("replay_label")
        self.live_button = QPushButton("Live")
        self.live_button.setObjectName("replay_live")
        self.live_button.setToolTip("Back to the run as it is now (Ctrl+L)")
        self.live_button.setEnabled(False)
        self.live_button.clicked.connect(self.goLive)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        lay.addWidget(QLabel("Rewind"))
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        lay.addWidget(self.live_button)
        self._span = (0.0, 0.0)

    def show_span(self, t0: float, t1: float, replay_t: float | None) -> None:
        """The recorded span is [t0, t1]; the slider sits at ``replay_t`` (None: live, at
        the end). Never emits :attr:`seek`."""
        lo, hi = round(t0 * TICKS), round(t1 * TICKS)
        value = hi if replay_t is None else round(replay_t * TICKS)
        self._span = (t0, t1)
        self.slider.blockSignals(True)
        if (self.slider.minimum(), self.slider.maximum()) != (lo, hi):
            self.slider.setRange(lo, hi)
        if self.slider.value() != value:
            self.slider.setValue(value)
        self.slider.blockSignals(False)
        self.slider.setEnabled(hi > lo)
        self.live_button.setEnabled(replay_t is not None)
        text = f"Live · {t1:.1f} s" if replay_t is None else clock(replay_t, t1)
        if self.label.text() != text:
            self.label.setText(text)

    def clear(self) -> None:
        """No run recorded."""
        self.show_span(0.0, 0.0, None)
        self.label.setText("Live")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def _moved(self, value: int) -> None:
        self.seek.emit(value / TICKS)


class FrozenModel(CanvasModel):
    """The canvas's model at a recorded moment: no tokens, fast mode as it was; fed
    nothing."""

    def __init__(self, state: FrameState) -> None:
        super().__init__()
        self.frozen_fast = state.fast

    def fast(self, now: float) -> bool:
        return self.frozen_fast

    def feed(self, batch: list, now: float, total: int | None = None) -> None:
        return

    def live_tokens(self, now: float) -> list[Token]:
        """None: a still picture draws no token mid-flight. Stopped there, one read as a
        stray tag over a card's border or in a gap; its item is drawn in the hand it was
        going to (the recorded snapshot says that consumer holds it)."""
        return []


def markers_of(tracker: MarkerTracker) -> dict[str, tuple[int, str, int]]:
    """The tracker's markers as plain data (for the history)."""
    return {w: (m.line, m.code, m.kind) for w, m in tracker.marks.items()}


def load_plot(plot: LivePlot, samples: list[Sample], snap: Snapshot | None) -> None:
    """Make ``plot`` show what it showed when ``snap`` was on show: its last N samples up
    to then, the run's average of ``snap``, its time span and y range (a function of
    every one of those samples, folded as live folds them:
    :func:`~simulator.ui.plots.fold_top`)."""
    plot.reset()
    plot.drops = snap is not None and shows_drops(snap)
    s = samples[-N:]
    n = len(s)
    if n:
        arrays = (plot.t, plot.produced, plot.consumed, plot.occupancy, plot.dropped)
        for k, arr in enumerate(arrays):
            arr[N - n :] = [x[k] for x in s]
        plot.n = n
    if snap is not None and snap.elapsed > 0:
        plot.average = run_average(snap.consumed, snap.elapsed)
    if n:
        sl = slice(N - n, N)
        ts = plot.t[sl]
        plot.produced_curve.setData(ts, plot.produced[sl], skipFiniteCheck=True)
        plot.consumed_curve.setData(ts, plot.consumed[sl], skipFiniteCheck=True)
        plot.occupancy_curve.setData(ts, plot.occupancy[sl], skipFiniteCheck=True)
        if plot.drops:
            plot.dropped_curve.setData(ts, plot.dropped[sl], skipFiniteCheck=True)
        plot._set_span(s[-1][0])
        plot.average_line.setValue(plot.average)
        plot.average_line.setVisible(True)
    if samples:
        ts = np.array([x[0] for x in samples])
        peaks = np.array([max(x[1], x[2], x[4]) for x in samples])
        plot.curves_top = fold_top(ts, peaks)
    plot._set_rate_range()
    plot._show_title()
    if snap is not None and snap.capacity != plot.capacity_line.value():
        plot.set_capacity(snap.capacity)


class Replayer:
    """Records what the window paints and, in REPLAY, paints a recorded moment instead.

    The window calls :meth:`record` after every live frame it paints, :meth:`follow`
    instead of painting while :attr:`active`, and reads :attr:`snapshot` (the snapshot
    on show in REPLAY, else None) for its status bar and ``--dump-view``."""

    def __init__(
        self,
        canvas: SimulationCanvas,
        plot: LivePlot,
        stats: StatsPanel,
        inside: InsideView,
        bar: ReplayBar,
        show_prediction: Callable[[Snapshot], None],
        show_status: Callable[[], None],
        show_live: Callable[[], None],
        on_replay: Callable[[bool], None] | None = None,
    ) -> None:
        """``show_prediction(snap)`` hands the prediction views ``snap``'s prediction;
        ``show_status()`` redraws the status bar; ``show_live()`` paints the newest
        snapshot in every view (the window's ``show_figures_now``); ``on_replay(on)`` is
        told when REPLAY begins (True) and ends (False), for what stays live to say so
        (the event log)."""
        self.canvas, self.plot, self.stats, self.inside, self.bar = (
            canvas,
            plot,
            stats,
            inside,
            bar,
        )
        self._show_prediction = show_prediction
        self._show_status = show_status
        self._show_live = show_live
        self._on_replay = on_replay
        self.history = History()
        #: the recorded state on show (None: live)
        self.state: FrameState | None = None
        self._live_model: CanvasModel = canvas.model
        self._live_tracker: MarkerTracker = inside.code.tracker
        self._live_caption = canvas.caption
        self._sampled: Snapshot | None = None
        self._bar_t = -1.0
        self.mark = QLabel(canvas)
        self.mark.setObjectName("replay_mark")
        self.mark.setAccessibleName("Replay: the picture shows a recorded moment")
        self.mark.hide()
        self._mark_style: tuple[str, int] | None = None
        #: what the mark says, longest first: the first that fits somewhere clear
        self._mark_texts: tuple[str, ...] = ()
        #: what the mark's place was found for (the texts' widths, the style, the
        #: canvas's size and layout) and which text it chose: the same again keeps it
        self._mark_key: tuple[object, ...] | None = None
        self._mark_pick = 0
        self.restyle()
        bar.seek.connect(self.show)
        bar.goLive.connect(self.live)
        bar.resized.connect(self._place_mark)

    # ---- state -----------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state is not None

    @property
    def snapshot(self) -> Snapshot | None:
        """The recorded snapshot on show in REPLAY; None while live."""
        return None if self.state is None else self.state.snapshot

    def dump(self) -> dict[str, object] | None:
        """``--dump-view``'s ``replay`` field: None while live."""
        if self.state is None:
            return None
        span = self.history.span() or (self.state.t, self.state.t)
        return {
            "t": self.state.t,
            "span": list(span),
            "mark": self.mark.text(),
            "label": self.bar.label.text(),
        }

    # ---- recording -------------------------------------------------------------------
    def record(self, t: float, shown: Snapshot) -> None:
        """The window painted ``shown``'s figures (live) at run time ``t``: keep it."""
        self._sample(shown)
        self.history.append(
            FrameState(
                t,
                shown,
                markers_of(self._live_tracker),
                self._live_model.fast(time.monotonic()),
                self._live_caption if self.active else self.canvas.caption,
            )
        )
        self._show_bar(t)

    def follow(self, t: float, shown: Snapshot, events: list, total: int) -> None:
        """A live frame in REPLAY: what follows events off screen is fed (the markers'
        tracker, the canvas's tokens), and the frame is recorded; nothing is painted."""
        if total:
            self._live_model.feed(events, time.monotonic(), total)
        if events:
            self._live_tracker.feed(events)
        self._sample(shown)
        self.record(t, shown)

    def _sample(self, shown: Snapshot) -> None:
        if shown is self._sampled:
            return
        self._sampled = shown
        self.history.add_sample(
            shown.elapsed,
            shown.produced_rate,
            shown.consumed_rate,
            shown.occupancy,
            shown.state,
            shown.dropped_rate,
        )

    def _show_bar(self, t: float, force: bool = False) -> None:
        if not force and abs(t - self._bar_t) < 0.1:
            return  # ten times a second is enough for a slider
        self._bar_t = t
        span = self.history.span()
        if span is None:
            self.bar.clear()
            return
        self.bar.show_span(span[0], span[1], None if self.state is None else self.state.t)
        if self.state is not None:
            t = self.state.t
            self._mark_texts = (
                f"REPLAY  {clock(t, span[1])}  ·  Live: Ctrl+L",
                f"REPLAY  t = {t:.1f} s  ·  Live: Ctrl+L",
                f"REPLAY  t = {t:.1f} s",
            )
            self._place_mark()

    def set_live_caption(self, text: str) -> None:
        """The run's caption changed (a scenario's step): shown at once while live,
        after REPLAY otherwise."""
        self._live_caption = text
        if not self.active:
            self.canvas.set_caption(text)

    def clear(self) -> None:
        """A new run (or Reset): back to live, nothing recorded."""
        self.live(repaint=False)
        self.history.clear()
        self._sampled = None
        self._bar_t = -1.0
        self.bar.clear()

    # ---- replay ----------------------------------------------------------------------
    def show(self, t: float) -> bool:
        """REPLAY the moment ``t`` (the newest recorded frame at or before it): every
        replayed view paints it. False (nothing changes) with nothing recorded."""
        if not len(self.history):
            return False
        entering = self.state is None
        if entering:  # keep what the live parts are
            self._live_model = self.canvas.model
            self._live_tracker = self.inside.code.tracker
            self._live_caption = self.canvas.caption
        self.state = self.history.at(t)
        self.repaint()
        if entering and self._on_replay is not None:
            self._on_replay(True)
        return True

    def step(self, seconds: float) -> None:
        """Ctrl+Left / Ctrl+Right: move ``seconds`` from the moment on show (live: the
        newest); past the newest frame returns to live."""
        span = self.history.span()
        if span is None:
            return
        at = span[1] if self.state is None else self.state.t
        target = at + seconds
        if self.state is not None and target > span[1] + 1e-9:
            self.live()
            return
        self.show(max(span[0], target))

    def repaint(self) -> None:
        """Paint the recorded state on show again, in every replayed view."""
        st = self.state
        if st is None:
            return
        snap = st.snapshot
        canvas = self.canvas
        canvas.model = FrozenModel(st)
        canvas.on_snapshot(snap, refresh=False)
        canvas.set_caption(st.caption)
        canvas.refresh(force=True)
        self.stats.on_snapshot(snap, force=True)
        self._show_prediction(snap)
        tracker = MarkerTracker(self.inside.code.sections)
        tracker.marks = {w: Mark(*m) for w, m in st.markers.items()}
        self.inside.code.tracker = tracker
        self.inside.on_frame([], 0, snap)
        self.inside.code._refresh_marks()
        load_plot(self.plot, self.history.samples(snap.elapsed), snap)
        self.restyle()  # the text size may have changed since
        self._show_bar(st.t, force=True)
        self.mark.show()
        self.mark.raise_()
        self._show_status()

    def live(self, repaint: bool = True) -> None:
        """Back to the run as it is now: the live parts return, the graph gets every
        sample recorded meanwhile; the window repaints the newest snapshot
        (``repaint``, its :meth:`MainWindow.show_figures_now`)."""
        if self.state is None:
            return
        self.state = None
        if self._on_replay is not None:
            self._on_replay(False)
        self.canvas.model = self._live_model
        self.inside.code.tracker = self._live_tracker
        self.inside.code._refresh_marks()
        self.canvas.set_caption(self._live_caption)
        self.mark.hide()
        newest = self._sampled
        load_plot(self.plot, self.history.samples(math.inf), newest)
        if newest is not None:  # the live figures, before the next frame
            self.canvas.on_snapshot(newest, refresh=False)
            self.canvas.refresh(force=True)
        span = self.history.span()
        if span is not None:
            self.bar.show_span(span[0], span[1], None)
        if repaint:
            self._show_live()
            self._show_status()

    # ---- the mark --------------------------------------------------------------------
    def restyle(self) -> None:
        """The mark in the theme's alarm colour, words first (not colour alone), its
        text as large as the canvas's (14 px, times presentation mode and text size)."""
        px = max(14, round(14 * self.canvas.boost))
        key = (theme.NAME, px)
        if key == self._mark_style:
            return
        self._mark_style = key
        bg = theme.ALARM_COLOR if theme.NAME == "light" else theme.ALARM_COLOR.darker(140)
        self.mark.setStyleSheet(
            f"QLabel#replay_mark {{ color: white; background: {bg.name()}; font-weight: bold;"
            f" font-size: {px}px; padding: 4px 10px; border-radius: 3px; }}"
        )
        self._place_mark()

    def _place_mark(self) -> None:
        """Where it covers nothing the canvas draws (:meth:`SimulationCanvas.clear_spot`:
        a top corner under the headers, as a rule): at the bottom right it hid half the
        legend's words at 1024 px. With 64 workers a side no corner is free and it
        covered cards: it says less (the moment, without its run's length, then without
        the key) until it fits a gap of the header line beside the buffer's title; else
        the shortest goes where it covers the least."""
        texts = self._mark_texts or (self.mark.text(),)
        canvas = self.canvas
        fm = self.mark.fontMetrics()
        key = (
            tuple(round(fm.horizontalAdvance(t)) for t in texts),
            self._mark_style,
            canvas.viewport().size().toTuple(),
            canvas._layout,  # a new layout equal to the old places the mark alike
        )
        if key == self._mark_key and not self._mark_over_headers():
            # ten times a second the moment's figures change, not the text's width nor
            # the picture's layout: the same place (walking the scene for it cost ~3 ms
            # at 64 workers a side)
            self.mark.setText(texts[min(self._mark_pick, len(texts) - 1)])
            return
        self._mark_key = key
        drawn = canvas.drawn()  # once for every try
        for pick, text in enumerate(texts):
            self.mark.setText(text)
            self.mark.adjustSize()
            spot = canvas.clear_spot(self.mark.width(), self.mark.height(), drawn)
            if spot is not None:
                self.mark.move(spot)
                self._mark_pick = pick
                return
        self._mark_pick = len(texts) - 1
        self.mark.move(canvas.free_spot(self.mark.width(), self.mark.height(), drawn))

    def _mark_over_headers(self) -> bool:
        """Whether the mark now covers a column title: within one layout only they change
        width (the buffer's count, its FULL / EMPTY word), and the mark may sit in a gap
        of their line. Four rects, not the whole scene."""
        items = self.canvas._items
        if items is None:
            return False
        g = self.mark.geometry()
        box = QRectF(g.x(), g.y(), g.width(), g.height())
        hd = items.headers
        return any(
            t.text and box.intersects(t.item.sceneBoundingRect())
            for t in (hd.producers, hd.buffer, hd.status, hd.consumers)
        )
