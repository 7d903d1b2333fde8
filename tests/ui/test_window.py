"""The window, driven the way a user drives it, offscreen."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtGui import QColor

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import PAUSED, RUNNING, STOPPED
from simulator.ui import theme
from simulator.ui.window import MainWindow
from tests.ui.runs import FAST, wait_still


def test_window_opens_ready_to_start(window):
    assert "pcsim" in window.windowTitle()
    assert window.bridge.state == "idle"
    assert window.actions_by_name["start"].text().replace("&", "") == "Start"
    assert not window.actions_by_name["stop"].isEnabled()
    assert window.width() >= 1200 and window.height() >= 680


def test_start_brings_events_to_canvas_graph_stats_and_log(window, qtbot):
    paints = window.canvas.paints
    window.actions_by_name["start"].trigger()
    assert window.bridge.state == RUNNING
    qtbot.waitUntil(
        lambda: window.canvas.snapshot and window.canvas.snapshot.consumed > 5, timeout=30_000
    )
    qtbot.waitUntil(lambda: window.plot.n > 3, timeout=30_000)
    assert window.canvas.paints > paints
    assert window.plot.produced[-window.plot.n :].max() > 0
    assert window.log.text.toPlainText().count("Produced:") > 0
    assert window.stats.values["produced"].text() not in ("", "–")
    assert window.stats.values["invariant"].text().startswith("✓")


def test_slider_change_reaches_the_running_engine(window, qtbot):
    window.bridge.start()
    window.controls.consumer_sleep.setValue((0.3, 0.9))
    # the engine process itself reports the new range
    qtbot.waitUntil(
        lambda: window.bridge.sim.snapshot().config.consumer_sleep == (0.3, 0.9), timeout=30_000
    )


def test_count_change_is_live_and_capacity_waits_for_next_start(window, qtbot):
    window.bridge.start()
    window.controls.producers.setValue(5)
    window.controls.capacity.setValue(20)
    qtbot.waitUntil(
        lambda: (
            len([w for w in window.bridge.sim.snapshot().workers if w.role == "producer"]) == 5
        ),
        timeout=30_000,
    )
    assert window.bridge.sim.snapshot().capacity == 10
    assert window.controls.note.isVisible()
    assert (
        "capacity" in window.controls.note.text() and "next start" in window.controls.note.text()
    )


def test_pause_holds_the_counts(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().consumed > 5, timeout=30_000)
    window.actions_by_name["start"].trigger()  # Space: pause
    assert window.bridge.state == PAUSED
    # the frames of the steps under way when the pause landed arrive, however late
    wait_still(qtbot, lambda: _counts(window.bridge.sim.snapshot()))
    before = window.bridge.sim.snapshot()
    qtbot.wait(400)
    after = window.bridge.sim.snapshot()
    assert (after.produced, after.consumed) == (before.produced, before.consumed)
    window.actions_by_name["start"].trigger()  # Space again: resume
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().consumed > after.consumed, timeout=30_000)


def _counts(snap) -> tuple[int, int]:
    return snap.produced, snap.consumed


def test_stop_and_close_leave_no_worker_behind(qtbot):
    w = MainWindow(FAST.replace(producers=8, consumers=8), restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    w.bridge.start()
    qtbot.waitUntil(lambda: len(w.bridge.sim.snapshot().workers) == 16, timeout=30_000)
    w.actions_by_name["stop"].trigger()
    assert w.bridge.state == STOPPED
    assert w.bridge.sim.snapshot().ok
    w.bridge.start()
    qtbot.waitUntil(lambda: w.bridge.sim.snapshot().consumed > 0, timeout=30_000)
    engine = w.bridge.sim._proc
    w.close()  # closing while running stops, joins every worker and ends the engine
    assert not engine.is_alive() and engine.exitcode == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("pcsim-")]


def test_reset_clears_the_run(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().consumed > 3, timeout=30_000)
    window.actions_by_name["reset"].trigger()
    assert window.bridge.state == "idle"
    assert window.canvas.snapshot is None and window.plot.n == 0
    assert window.log.text.toPlainText() == ""


def _has_color_near(img, rect, color: QColor, tolerance: int = 40) -> bool:
    for x in range(int(rect.left()) + 1, int(rect.right()), 2):
        for y in range(int(rect.top()) + 1, int(rect.bottom()), 2):
            c = img.pixelColor(x, y)
            if (
                abs(c.red() - color.red())
                + abs(c.green() - color.green())
                + abs(c.blue() - color.blue())
            ) < tolerance:
                return True
    return False


def test_screenshot_shows_producers_buffer_and_consumers(window, qtbot):
    window.bridge.start()
    # The pause lands a moment after the frame that showed an item in the buffer; in
    # between the consumers may empty it. Pause until the frozen moment has one (else
    # resume and retry). A pause freezes the run: once the frames of what was under way
    # have arrived (the view stands still), draw the frozen moment.
    for _attempt in range(10):
        qtbot.waitUntil(lambda: window.bridge.sim.snapshot().in_buffer > 0, timeout=30_000)
        window.bridge.pause()
        wait_still(qtbot, lambda: window.bridge.sim.snapshot().buffer)
        qtbot.wait(500)  # the tokens in flight land (animations take a fixed time)
        window.canvas.refresh(force=True)
        shown = window.canvas.shown_snapshot
        if shown is not None and shown.buffer:
            break
        window.bridge.resume()
    img = window.canvas.grab().toImage()
    lay = window.canvas._layout
    assert lay is not None
    assert len(lay.producers) == 3 and len(lay.consumers) == 2
    colors = {img.pixel(x, y) for x in range(0, img.width(), 9) for y in range(0, img.height(), 9)}
    assert len(colors) > 20  # not blank
    # each card is outlined in its state's colour: paused, it keeps its real state
    items = window.canvas._items
    assert items is not None
    for name, rect in [*lay.producers.items(), *lay.consumers.items()]:
        shown = items.cards[name].shown_state
        assert shown != theme.PAUSED
        assert _has_color_near(img, rect, theme.state_color(shown))
    # the buffer's first slot holds a token (tinted by its producer)
    first = lay.slots[0]
    snap = window.canvas.shown_snapshot  # the frame painted (a later one may differ)
    assert snap is not None and snap.buffer
    assert _has_color_near(img, first, theme.token_color(snap.buffer[0] >> 32), tolerance=30)


def test_a_bad_scenario_is_refused_and_changes_nothing(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(
        "simulator.ui.window.QMessageBox.warning", lambda _parent, _title, text: shown.append(text)
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[config]\nconsumers = 0\n")
    before = window.controls.current()
    assert not window.run_scenario(str(bad))
    assert shown and "bad.toml: config.consumers" in shown[0] and "1–64" in shown[0]
    assert window.controls.current() == before and window.bridge.state == "idle"


def test_a_scenario_runs_and_its_timeline_acts(window, qtbot, tmp_path):
    f = tmp_path / "demo.toml"
    f.write_text(
        'title = "Demo"\n[config]\nconsumers = 1\nproducer_sleep = [0, 0.01]\n'
        '[[timeline]]\nat = 0.5\nset = { consumers = 3 }\ncaption = "Two more"\n'
    )
    assert window.run_scenario(str(f))
    assert window.bridge.state == RUNNING and "Demo" in window.canvas.caption
    qtbot.waitUntil(lambda: window.canvas.caption == "Two more", timeout=30_000)
    assert window.controls.consumers.value() == 3
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().config.consumers == 3, timeout=30_000)


def test_presentation_mode_shows_the_picture_graph_and_numbers(window, qtbot):
    try:
        window.set_font_scale(1.2)
        assert window.canvas.boost == pytest.approx(1.2)
        window.actions_by_name["present"].trigger()
        assert window.isFullScreen() and window.actions_by_name["present"].isChecked()
        hidden = (window.controls, window.log, window.statusBar(), window.menuBar())
        assert not any(w.isVisible() for w in hidden)
        assert window.canvas.isVisible() and window.plot.isVisible()
        # throughput and the books stay in sight, on one line under the picture, as the
        # (hidden) statistics show them
        assert not window.stats.isVisible() and window.strip.isVisible()
        window.bridge.start()
        qtbot.waitUntil(lambda: "balanced" in window.strip.text(), timeout=30_000)
        window.show_figures_now()
        assert window.stats.values["throughput"].text() in window.strip.text()
        assert window.stats.books_text() in window.strip.text()
        assert window.canvas.boost == pytest.approx(1.2 * 1.35)  # larger text for a projector
        assert window.plot.text_px == window.text_px == round(13 * 1.2 * 1.35)
        window.actions_by_name["present"].trigger()
        assert not window.isFullScreen() and not window.actions_by_name["present"].isChecked()
        assert all(w.isVisible() for w in hidden) and not window.strip.isVisible()
        assert window.canvas.boost == pytest.approx(1.2)
    finally:  # the text scale is remembered: leave it as other tests expect it
        window.set_font_scale(1.0)


def test_time_scale_reaches_the_engine_and_slows_the_animation(window, qtbot):
    window.bridge.start()
    window.controls.time_scale.setValue(0.5)
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().config.time_scale == 0.5, timeout=30_000)
    qtbot.waitUntil(lambda: window.canvas.model.duration > 0.4, timeout=30_000)


def test_dark_theme_repaints_everything_and_is_remembered(window, qtbot):
    from simulator.ui import theme

    window.set_theme("dark")
    img = window.canvas.grab().toImage()
    assert img.pixelColor(5, img.height() // 2).lightness() < 80  # dark canvas
    assert window.settings.value("theme") == "dark"
    window.set_theme("light")
    assert theme.NAME == "light"


def test_window_geometry_is_remembered(qtbot):
    first = MainWindow(FAST)
    qtbot.addWidget(first)
    first.show()
    first.resize(1100, 700)
    first.close()
    assert first.settings.value("geometry") is not None
    second = MainWindow(FAST)
    qtbot.addWidget(second)
    # restored (the offscreen screen is 800 px wide, so Qt fits it to that)
    assert second.height() == 700 and second.width() < 1280
    second.close()


def test_font_scale_enlarges_the_canvas_within_bounds(window):
    window.actions_by_name["zoom_in"].trigger()
    assert window.font_scale == 1.1 and window.canvas.boost == pytest.approx(1.1)
    for _ in range(20):
        window.actions_by_name["zoom_in"].trigger()
    assert window.font_scale == 2.0
    window.actions_by_name["zoom_reset"].trigger()
    assert window.canvas.boost == 1.0


def test_the_last_scenario_is_ready_next_time(qtbot):
    first = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(first)
    assert first.run_scenario("hand-off")
    first.close()
    second = MainWindow(restore_geometry=False)
    qtbot.addWidget(second)
    second.restore_last_scenario()
    assert second.scenario is not None and second.scenario.name == "hand-off"
    assert second.controls.capacity.value() == 1 and second.bridge.state == "idle"
    second.close()


def test_status_shows_the_running_backend_not_a_pending_one(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.last_snapshot is not None, timeout=30_000)
    window.controls.backend.setCurrentText("asyncio")
    window.controls.commit()
    assert "threads" in window.state_label.text()
    assert "backend" in window.controls.note.text()


class _SpyView:
    """A view that only notes what the window asked of it (a new view, in one line)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.configs: list[SimulationConfig] = []

    def reset(self) -> None:
        self.calls.append("reset")

    def show_config(self, cfg: SimulationConfig) -> None:
        self.calls.append("show_config")
        self.configs.append(cfg)

    def on_frame(self, batch, total, snap) -> None:
        self.calls.append("on_frame")


def test_every_view_is_in_the_views_tuple(window):
    fed = set(window.views)
    assert {window.plot, window.log, window.stats, window.inside_view} <= fed
    assert any(getattr(v, "canvas", None) is window.canvas for v in fed)
    assert len(fed) == 5  # a sixth widget fed by the window would show up here


def test_a_view_added_in_one_line_is_cleared_configured_and_fed(window, qtbot):
    spy = _SpyView()
    window.views = (*window.views, spy)  # the one line a new view needs
    window.controls.producers.setValue(4)
    window.controls.commit()
    assert spy.configs and spy.configs[-1].producers == 4
    window.bridge.start()  # a run starts: cleared, then fed frames
    assert "reset" in spy.calls
    qtbot.waitUntil(lambda: spy.calls.count("on_frame") > 3, timeout=30_000)
    window.actions_by_name["reset"].trigger()
    assert spy.calls[-2:] == ["reset", "show_config"]
    assert spy.configs[-1] == window.bridge.config


def test_use_config_reaches_every_view(window, monkeypatch):
    shown: dict[int, SimulationConfig] = {}
    for i, view in enumerate(window.views):
        monkeypatch.setattr(view, "show_config", lambda cfg, i=i: shown.__setitem__(i, cfg))
    cfg = FAST.replace(capacity=17, consumers=5)
    window._use_config(cfg)
    assert shown == dict.fromkeys(range(len(window.views)), cfg)
    assert window.controls.current().capacity == 17  # the controls show it too
    assert "capacity 17" in window.state_label.text()


def test_a_restored_scenario_shows_its_capacity_everywhere(qtbot):
    first = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(first)
    assert first.run_scenario("hand-off")
    first.close()
    second = MainWindow(restore_geometry=False)
    qtbot.addWidget(second)
    second.restore_last_scenario()
    capacity = second.scenario.config.capacity
    assert second.plot.capacity_line.value() == capacity
    assert f"capacity {capacity}" in second.state_label.text()
    assert second.scenario.title in second.windowTitle()
    second.close()


def test_a_window_opened_dark_turns_every_widget_light(qtbot):
    """The sliders and their figures follow the theme too: opened dark (the saved
    theme) and switched to light, superqt's range sliders kept dark handles and pale
    figures on the light panel."""
    from PySide6.QtWidgets import QApplication, QWidget

    first = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(first)
    first.set_theme("dark")  # remembered: the next window opens dark
    first.close()
    window = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.set_theme("light")
    text = QApplication.palette().text().color().name()
    styled = [w for w in window.controls.findChildren(QWidget) if w.styleSheet()]
    assert styled  # the sliders' value labels have style sheets of their own
    assert {w.palette().text().color().name() for w in styled} == {text}
