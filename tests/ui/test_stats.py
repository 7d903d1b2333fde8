"""The statistics panel: balanced books in green, broken books as a red alarm."""

from __future__ import annotations

import pytest

from simulator.ui import theme
from simulator.ui.stats import StatsPanel
from tests.ui.runs import running_snapshot as snapshot


@pytest.fixture
def panel(qtbot):
    p = StatsPanel()
    qtbot.addWidget(p)
    return p


def test_balanced_books_are_shown_as_the_equation(panel):
    panel.on_snapshot(snapshot(), force=True)
    inv = panel.values["invariant"]
    assert inv.text() == "✓ balanced: 12 = 9 + 2 + 1"
    assert theme.ALARM_COLOR.name() not in inv.styleSheet()
    assert panel.values["in_buffer"].text() == "2 of 10"


def test_broken_books_raise_a_red_alarm_naming_the_violation(panel):
    violations = ("P1-4 consumed twice (by C1 and C2)", "1 item lost")
    panel.on_snapshot(snapshot(ok=False, duplicates=1, violations=violations), force=True)
    inv = panel.values["invariant"]
    assert inv.text() == "✗ P1-4 consumed twice (by C1 and C2)"
    assert f"background: {theme.ALARM_COLOR.name()}" in inv.styleSheet()
    assert inv.toolTip().splitlines() == list(violations)
    # and when the next run's books balance, the alarm goes away
    panel.on_snapshot(snapshot(), force=True)
    assert inv.text().startswith("✓") and theme.ALARM_COLOR.name() not in inv.styleSheet()


def test_broken_books_without_a_message_still_alarm(panel):
    panel.on_snapshot(snapshot(ok=False, violations=()), force=True)
    inv = panel.values["invariant"]
    assert inv.text() == "✗ mismatch" and theme.ALARM_COLOR.name() in inv.styleSheet()


def _shows(panel: StatsPanel, key: str) -> bool:
    return panel.names[key].isVisibleTo(panel) and panel.values[key].isVisibleTo(panel)


def test_overwritten_says_dropped_under_drop_oldest_and_lost_in_the_race(panel):
    """Two meanings, two names: drop-oldest's counted, allowed drop, and the no-lock
    race's lost item (the books break); a row nothing in the run can count is hidden."""
    from simulator.engine.config import SimulationConfig
    from simulator.ui.stats import OVERWRITTEN_DROPPED, OVERWRITTEN_LOST

    plain = snapshot()
    panel.on_snapshot(plain, force=True)
    assert not any(_shows(panel, k) for k in ("rejected", "overwritten", "discarded", "lost"))
    assert _shows(panel, "produced") and _shows(panel, "throughput")

    ring = snapshot(config=SimulationConfig(full_policy="drop-oldest"), overwritten=7)
    panel.on_snapshot(ring, force=True)
    assert _shows(panel, "overwritten") and not _shows(panel, "lost")
    assert panel.names["overwritten"].text() == OVERWRITTEN_DROPPED + ":"
    assert panel.values["overwritten"].text() == "7"
    assert "allowed" in panel.names["overwritten"].toolTip()

    race_cfg = SimulationConfig(buffer="condition", bug="no-lock", producers=2)
    race = snapshot(config=race_cfg, lost=1, ok=False, violations=("1 item lost",))
    panel.on_snapshot(race, force=True)
    assert _shows(panel, "lost") and not _shows(panel, "overwritten")
    assert panel.names["lost"].text() == OVERWRITTEN_LOST + ":"
    assert panel.values["lost"].text() == "1"
    assert "books break" in panel.names["lost"].toolTip()
    # before the race's first loss, the row already names what it will count
    panel.reset()
    panel.show_config(race_cfg)
    assert _shows(panel, "lost") and panel.names["lost"].text() == OVERWRITTEN_LOST + ":"


def test_a_null_predictions_reason_heads_the_predicted_column(panel):
    from simulator.engine.config import SimulationConfig
    from simulator.theory import predict

    p = predict(SimulationConfig(full_policy="drop-oldest"))
    assert p.run is None
    panel.show_prediction(p)
    assert panel.reason.isVisibleTo(panel) and p.reason in panel.reason.text()
    assert panel.heading.text() == "predicted: –"
    assert not panel.sentence.isVisibleTo(panel)  # it would only say it again, lower
    assert panel.read_predicted()["sentence"].startswith("No prediction (–)")
    # a real prediction: the reason goes, the sentence comes back
    panel.show_prediction(predict(SimulationConfig()))
    assert not panel.reason.isVisibleTo(panel) and panel.sentence.isVisibleTo(panel)
    assert panel.heading.text() == "predicted"


def test_rate_now_is_a_dash_once_the_run_stopped(panel):
    """The rate "now" is the last 2 s of a run going on: after Stop nothing moves, so its
    last value would mislead; the run's average stays."""
    panel.on_snapshot(snapshot(consumed_rate=5.0, consumed=8, elapsed=2.0), force=True)
    assert panel.values["throughput"].text() == "5.00\u00a0/\u00a04.00"
    stopped = snapshot(state="stopped", consumed_rate=5.0, consumed=8, elapsed=2.0)
    panel.on_snapshot(stopped, force=True)
    assert panel.values["throughput"].text() == "–\u00a0/\u00a04.00"


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_no_figure_is_broken_or_clipped_in_the_side_panel(window, qtbot, size):
    """At 1024 px "– / 0.85 items/s" was clipped and "items/" wrapped over "s"; the
    predicted column wrapped "55 % /" over "0 %": every figure shows whole, on one line,
    inside the side panel (the units are in the rows' names)."""
    from PySide6.QtCore import QPoint, QSize
    from PySide6.QtWidgets import QScrollArea

    from simulator.theory import predict

    window.resize(QSize(*size))
    qtbot.wait(100)
    stats = window.stats
    cfg = window.bridge.config
    stats.show_prediction(predict(cfg))
    snap = snapshot(
        state="stopped", produced=18_679, consumed=18_600, consumed_rate=2425.0,
        elapsed=7.77, occupancy=10, max_occupancy=10, mean_occupancy=8.5,
        producer_blocked=0.55, consumer_blocked=0.031, latency_ms=(2233.0, 2642.0, 2700.0),
    )  # fmt: skip
    stats.on_snapshot(snap, force=True)
    qtbot.wait(100)
    scroll = stats.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    assert scroll is not None
    right = scroll.viewport().mapToGlobal(QPoint(scroll.viewport().width(), 0)).x()
    one_line = stats.fontMetrics().lineSpacing() * 1.5
    for key in ("throughput", "occupancy", "blocked", "latency"):
        for label in (stats.values[key], stats.predicted[key]):
            text = label.text()
            assert not label.wordWrap(), text
            need = label.fontMetrics().horizontalAdvance(text)
            assert label.contentsRect().width() >= need, (key, text)
            assert label.height() < one_line, (key, text)
            assert label.mapToGlobal(QPoint(need, 0)).x() <= right, (key, text)
            assert "/" not in text.replace("\u00a0/\u00a0", ""), text  # no "items/s"


def test_in_buffer_names_the_pills_the_header_counts(panel):
    """A poison pill cut short: the header says "0 / 6 + 2 STOP"; "In buffer: 0 of 6"
    beside "Occupancy now 2" read as a contradiction. The row names the pills."""
    from simulator.engine.events import pill_id

    snap = snapshot(
        state="stopped", in_buffer=0, capacity=6, buffer=(pill_id(1), pill_id(2)),
        occupancy=2, max_occupancy=6, ending="poison-pill", pills_in_buffer=2,
    )  # fmt: skip
    panel.on_snapshot(snap, force=True)
    assert panel.values["in_buffer"].text() == "0 of 6 + 2 STOP"
    assert "poison pills" in panel.values["in_buffer"].toolTip()
    assert panel.values["occupancy"].text().startswith("2\u00a0/")
    assert panel.read()["in_buffer"] == 0


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (0.0467, "0.0467"),
        (0.004, "0.00400"),
        (2.349, "2.35"),
        (3, "3.00"),
        (9.996, "10.0"),
        (99.96, "100"),
        (141.7, "142"),
        (1204.4, "1,204"),
    ],
)
def test_a_rate_keeps_three_figures_however_slow(rate, text):
    """A slow run (10 s sleeps) showed 0.05 for 0.0467, and Little's λ × W no longer
    multiplied out; 99.96 showed as 100.0."""
    from simulator.engine.metrics import rate_text

    assert rate_text(rate) == text


def test_in_buffer_with_pills_shows_whole_in_a_1024_window(window, qtbot):
    """At 1024 px "936 of 1,000 + 64 STOP (pills)" needed 197 px and got 171: the row
    says "+ 64 STOP", the words are in its tooltip, and the figure shows whole."""
    from PySide6.QtCore import QPoint, QSize

    window.resize(QSize(1024, 768))
    qtbot.wait(100)
    stats = window.stats
    snap = snapshot(
        state="running", in_buffer=936, capacity=1000, occupancy=1000, max_occupancy=1000,
        ending="poison-pill", pills_in_buffer=64,
    )  # fmt: skip
    stats.on_snapshot(snap, force=True)
    qtbot.wait(100)
    label = stats.values["in_buffer"]
    assert label.text() == "936 of 1,000 + 64 STOP"
    assert "poison pills" in label.toolTip()
    need = label.fontMetrics().horizontalAdvance(label.text())
    assert label.contentsRect().width() >= need, (need, label.contentsRect().width())
    right = window.mapToGlobal(QPoint(window.width(), 0)).x()
    assert label.mapToGlobal(QPoint(need, 0)).x() <= right
