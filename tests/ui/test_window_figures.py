"""One snapshot per frame, one text size for every view, a graph that fits the run."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtGui import QFontInfo

from simulator.engine.config import SimulationConfig
from simulator.engine.frame import Frame
from simulator.ui import plots
from simulator.ui.plots import GROW_S, WINDOW_S, time_span
from simulator.ui.window import FIGURES_S, MainWindow
from tests.ui.runs import running_snapshot


@pytest.fixture
def window(qtbot):
    w = MainWindow(SimulationConfig(), restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.set_font_scale(1.0)
    w.close()


def snapshot(**changes):
    return running_snapshot(**({"elapsed": 3.0} | changes))


def test_frames_between_full_frames_change_no_figure(window, monkeypatch):
    """Between two full frames every view is handed the same snapshot, so the stats and
    the status bar cannot run ahead of the canvas (or the other way round)."""
    clock = [1000.0]
    monkeypatch.setattr("simulator.ui.window.time.monotonic", lambda: clock[0])
    first = snapshot()
    window._on_frame(Frame([], 0, first))
    assert window.shown is first and window.stats.shown is first
    assert window.stats.values["produced"].text() == "12"
    clock[0] += FIGURES_S / 3  # a frame soon after: not a full one
    window._on_frame(Frame([], 0, snapshot(produced=13, in_buffer=3, elapsed=3.02)))
    assert window.shown is first and window.stats.shown is first
    assert window.stats.values["produced"].text() == "12"
    assert "3.0 s" in window.state_label.text()
    clock[0] += FIGURES_S  # the next full frame: everything moves together
    later = snapshot(produced=14, in_buffer=4, elapsed=3.2)
    window._on_frame(Frame([], 0, later))
    assert window.shown is later and window.stats.shown is later
    assert window.stats.values["produced"].text() == "14"
    assert "3.2 s" in window.state_label.text()


def test_a_paused_run_shows_every_frame_at_once(window, monkeypatch):
    monkeypatch.setattr("simulator.ui.window.time.monotonic", lambda: 5.0)
    window._on_frame(Frame([], 0, snapshot()))
    paused = snapshot(state="paused", produced=13, in_buffer=3)
    window._on_frame(Frame([], 0, paused))
    assert window.shown is paused and window.stats.values["produced"].text() == "13"


def test_text_scale_reaches_every_view(window):
    for scale in (1.0, 1.5):
        window.set_font_scale(scale)
        px = round(13 * scale)
        assert window.text_px == px
        assert QFontInfo(window.stats.values["produced"].font()).pixelSize() == px
        assert QFontInfo(window.controls.font()).pixelSize() == px
        assert window.log.text.font().pixelSize() == px
        assert window.plot.text_px == px
        tick = window.plot.rates.getAxis("left").style["tickFont"]
        assert tick.pixelSize() == px
        assert window.canvas.boost == pytest.approx(scale)


def test_no_text_below_12_px_at_the_smallest_scale(window):
    window.set_font_scale(0.1)  # clamped to 80 %
    assert window.font_scale == 0.8
    assert window.text_px >= 12 and window.plot.text_px >= 12


@pytest.mark.parametrize(
    ("t", "span"),
    [
        (0.0, (0.0, GROW_S)),
        (4.0, (0.0, GROW_S)),
        (10.0, (0.0, 10.0)),
        (10.5, (0.0, 20.0)),
        (59.9, (0.0, WINDOW_S)),
        (75.0, (15.0, 75.0)),
    ],
)
def test_the_time_axis_grows_to_a_minute_then_scrolls(t, span):
    assert time_span(t) == pytest.approx(span)


def test_the_graph_fits_a_short_run_and_names_its_average(qtbot):
    plot = plots.LivePlot()
    qtbot.addWidget(plot)
    for i in range(1, 81):  # 8 s of samples
        t = i * 0.1
        plot.on_snapshot(snapshot(elapsed=t, consumed=int(3 * t)))
    low, high = plot.rates.getViewBox().viewRange()[0]
    assert (low, high) == pytest.approx((0.0, 10.0))  # not 5/6 empty
    assert "run avg 3.00" in plot.title_text()
    assert plot.average_line.isVisible() and plot.average_line.value() == pytest.approx(3.0)


def test_stats_show_the_rolling_rate_and_the_run_average(qtbot):
    from simulator.ui.stats import StatsPanel, read_books

    panel = StatsPanel()
    qtbot.addWidget(panel)
    panel.on_snapshot(snapshot(consumed=9, elapsed=2.0, consumed_rate=6.25))
    assert panel.values["throughput"].text() == "6.25\u00a0/\u00a04.50"
    assert panel.read() == {
        "in_buffer": 2,
        "produced": 12,
        "consumed": 9,
        "in_hand": 1,
        "rejected": 0,
        "overwritten": 0,
        "discarded": 0,
    }
    books = read_books(panel.books_text())
    assert books["ok"] and books["produced"] == 12 and books["in_hand"] == 1
    assert read_books("✗ P1-4 consumed twice")["ok"] is False


def _status_at(window, qtbot, width: int, snap) -> str:
    from PySide6.QtCore import QSize

    window.set_font_scale(1.4)  # a larger text: the line must give way at both widths
    window.resize(QSize(width, 768))
    window.cpu_meter.show_workers(50.0, "threads")  # the status bar's other words
    window.rate_label.setText("1,234 events/s")
    qtbot.wait(100)
    window.shown = snap
    window._show_status()
    qtbot.wait(100)
    return window.state_label.text()


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_status_line_drops_its_explanation_before_the_clock(window, qtbot, width):
    """At 1024 px "Deadlocked (every worker waits; nothing moves) · threads · 3 p" lost
    the clock: the line says as much as fits, the explanation going first and the clock
    last; the whole line is in its tooltip."""
    from tests.ui.runs import snapshot_of

    snap = dataclasses.replace(
        snapshot_of(SimulationConfig(producers=3, consumers=2, capacity=8)),
        deadlock=True, elapsed=4.4,
    )  # fmt: skip
    text = _status_at(window, qtbot, width, snap)
    label = window.state_label
    assert text.startswith("Deadlocked") and text.endswith("· 4.4 s"), text
    assert label.fontMetrics().horizontalAdvance(text) <= label.contentsRect().width()
    full = "Deadlocked (every worker waits; nothing moves) · threads · 3 producers, "
    assert label.full_text().startswith(full)
    assert text == label.full_text() or label.toolTip() == label.full_text()


def test_the_status_line_counts_the_workers_the_canvas_shows(window, qtbot):
    """During a poison pill the producers have left: the canvas says "Producers (0)" and
    the status bar said "3 producers" (it fell back to the settings at 0)."""
    from simulator.engine.workers import Role
    from tests.ui.runs import snapshot_of

    snap = snapshot_of(SimulationConfig(producers=3, consumers=2, capacity=6))
    snap = dataclasses.replace(
        snap, workers=tuple(w for w in snap.workers if w.role == Role.CONSUMER)
    )
    _status_at(window, qtbot, 1280, snap)
    assert "0 producers, 2 consumers" in window.state_label.full_text()
