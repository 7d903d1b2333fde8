"""The endings in the window (issue 15, part 3): the Stop button's menu, an ending run in
the engine while the frames keep coming, the pill drawn as a STOP tag, and the canvas's
words for join(), a stuck join and a terminate."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton

from simulator.engine.config import SHUTDOWNS, SimulationConfig
from simulator.engine.events import item_id, pill_id
from simulator.engine.simulation import STOPPED
from simulator.ui.canvas import SimulationCanvas
from simulator.ui.canvas_scene import banner_text
from simulator.ui.controls import ENDINGS
from tests.ui.runs import running_snapshot, snapshot_of


def test_the_stop_button_offers_the_four_endings_each_saying_what_it_loses(window):
    stop = window.controls.buttons["stop"]
    assert isinstance(stop, QToolButton) and stop.menu() is not None
    actions = stop.menu().actions()
    assert [a.text().replace("&", "") for a in actions] == [
        "Drain",
        "Poison pill",
        "Join",
        "Terminate",
    ]
    assert list(ENDINGS) == list(SHUTDOWNS)
    for a in actions:
        assert "Loses" in a.toolTip()
    assert "discarded" in actions[-1].toolTip()


def test_an_ending_chosen_in_the_menu_runs_in_the_engine_and_stops(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().consumed > 3, timeout=30_000)
    window.actions_by_name["end_poison-pill"].trigger()
    assert window.bridge.config.shutdown == "poison-pill"
    qtbot.waitUntil(lambda: window.bridge.state == STOPPED, timeout=20000)
    snap = window.bridge.sim.snapshot()
    assert snap.ending == "poison-pill" and snap.ok and snap.produced == snap.consumed
    assert window.actions_by_name["stop"].text().replace("&", "") == "Stop: poison-pill"
    # Stop (Esc) now ends by the configured ending
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().consumed > 3, timeout=30_000)
    window.actions_by_name["stop"].trigger()
    qtbot.waitUntil(lambda: window.bridge.state == STOPPED, timeout=20000)
    assert window.bridge.sim.snapshot().ending == "poison-pill"


def test_a_terminate_from_the_window_shows_what_it_discarded(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().in_buffer > 2, timeout=30_000)
    window.actions_by_name["end_terminate"].trigger()
    qtbot.waitUntil(lambda: window.bridge.state == STOPPED, timeout=20000)
    qtbot.waitUntil(lambda: window.canvas.snapshot.state == STOPPED, timeout=30_000)
    snap = window.canvas.snapshot
    assert snap.discarded > 0 and snap.ok
    text = banner_text(STOPPED, snap)
    assert text is not None and text.startswith(f"TERMINATED — {snap.discarded} discarded")
    assert window.stats.read()["discarded"] == snap.discarded
    assert window.stats.books_text().endswith(f"+ {snap.discarded} discarded")


def test_the_canvas_says_what_join_waits_for_and_when_it_is_stuck():
    a, b = 1 << 32 | 7, 2 << 32 | 4
    waiting = running_snapshot(ending="join", unfinished_tasks=3, join_waits_for=(a, b))
    assert banner_text("running", waiting) == "join() waits: 3 unfinished (P1-7, P2-4)"
    stuck = running_snapshot(ending="join", stuck_join=(a, b))
    text = banner_text("running", stuck)
    assert text is not None and text.startswith("STUCK — join() can never return: 2")


def test_a_pill_is_drawn_as_a_stop_tag_without_a_producers_tint(qtbot):
    cfg = SimulationConfig(producers=1, consumers=2, capacity=6)
    canvas = SimulationCanvas(cfg)
    qtbot.addWidget(canvas)
    canvas.resize(1280, 720)
    canvas.show()
    canvas.show_config(cfg)
    buffer = (item_id(1, 1), item_id(1, 2), pill_id(1), pill_id(2))
    canvas.on_snapshot(snapshot_of(cfg, buffer))
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None
    words = [s.label.text for s in items.slots[:4] if s.label is not None]
    assert words == ["P1-1", "P1-2", "STOP", "STOP"]
    pill_brush = items.slots[2].box.brush().color().name()
    item_brush = items.slots[0].box.brush().color().name()
    assert pill_brush == "#ffffff" != item_brush
    assert canvas.dump()["buffer"]["items"] == ["P1-1", "P1-2", "pill-1", "pill-2"]


def test_the_stop_button_names_the_ending_and_the_buttons_fit_a_1024_window(qtbot):
    """The button names the configured ending on a second line: "Stop: terminate" on one
    line widened the side panel past a 1024 px window and cut Reset off."""
    from simulator.ui.window import MainWindow

    for shutdown in SHUTDOWNS:
        window = MainWindow(SimulationConfig(shutdown=shutdown), restore_geometry=False)
        qtbot.addWidget(window)
        window.resize(1024, 768)
        window.show()
        qtbot.waitExposed(window)
        stop = window.controls.buttons["stop"]
        assert stop.text() == f"Stop\n{shutdown}"
        side = window._side  # the scroll area: it never scrolls sideways, so it would clip
        assert side.widget().minimumSizeHint().width() <= side.viewport().width(), shutdown
        for button in window.controls.buttons.values():
            right = button.mapTo(window, button.rect().topRight()).x()
            assert right < window.width(), (shutdown, button.text())
        window.close()
