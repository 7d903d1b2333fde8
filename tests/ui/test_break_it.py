"""The window side of "break it": the Setup panel's Buffer and Bug combos (greyed where
the config refuses, with the reason; a bug switches the buffer to condition), the Break it
menu (each bug's scenario and caption, Fix it), the Inside layout at a projector's size
(the put/get code not cut off at 1280 px), and the lost-wakeup scenario's DEADLOCK with
every worker's marker on a ``wait()`` line, as ``pcsim gui --dump-view`` reads it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction

from simulator.engine.config import BUFFER_BUGS, SETTINGS, ConfigError, SimulationConfig
from simulator.scenarios.scenario import load
from simulator.ui.code_panel import compact, run_functions, source_of
from simulator.ui.controls import (
    WHY_BUG_BACKEND,
    WHY_BUG_BUFFER,
    WHY_NO_PROCESSES,
    WHY_NO_REDIS,
    WHY_QUEUE_ONLY,
    ControlPanel,
    redis_missing,
    refused,
)
from simulator.ui.window import BREAK_IT, BROKEN, FIXED, MainWindow


@pytest.fixture(autouse=True)
def forget_the_inside_view():
    """These tests turn the Inside view on and load scenarios, which the window remembers
    (QSettings): the next test's window starts plain again."""
    yield
    settings = QSettings("pcsim", "pcsim")
    for key in ("inside_view", "last_scenario"):
        settings.remove(key)
    settings.sync()


@pytest.fixture
def panel(qtbot):
    actions = {key: QAction(key.title()) for key in ("start", "step", "stop", "reset")}
    panel = ControlPanel(SimulationConfig(), actions)
    panel._test_actions = actions  # keep the actions alive as long as the panel
    qtbot.addWidget(panel)
    sent: list[SimulationConfig] = []
    panel.configChanged.connect(sent.append)
    panel.sent = sent
    return panel


def test_the_combos_offer_the_settings_table_choices(panel):
    for field, combo in (("buffer", panel.buffer), ("bug", panel.bug)):
        shown = tuple(combo.itemText(i) for i in range(combo.count()))
        assert shown == SETTINGS[field].choices


def test_greyed_entries_are_exactly_those_the_config_refuses(panel):
    """Every (backend, buffer, bug) the panel can show: an entry is greyed iff the config
    refuses it (a bug with another buffer excepted: choosing it switches the buffer)."""
    for backend in SETTINGS["backend"].choices:
        for buffer in SETTINGS["buffer"].choices:
            for bug in SETTINGS["bug"].choices:
                try:
                    SimulationConfig(backend=backend, buffer=buffer, bug=bug)
                except ConfigError:
                    continue
                panel.load(SimulationConfig(backend=backend, buffer=buffer, bug=bug))
                for b in SETTINGS["buffer"].choices:
                    ok = _valid(backend=backend, buffer=b, bug=bug)
                    assert (b in panel.greyed("buffer")) is not ok, (backend, buffer, bug, b)
                for g in SETTINGS["bug"].choices:
                    # a buffer's bug brings its buffer along (choosing it switches to
                    # condition); missing-task-done is the consumers' and keeps the buffer
                    ok = _valid(
                        backend=backend, buffer="condition" if g in BUFFER_BUGS else buffer, bug=g
                    )
                    assert (g in panel.greyed("bug")) is not ok, (backend, buffer, bug, g)
                for k in SETTINGS["backend"].choices:
                    ok = _valid(backend=k, buffer=buffer, bug=bug)
                    ok = ok and not (k == "redis" and redis_missing(panel.current()))
                    assert (k in panel.greyed("backend")) is not ok, (backend, buffer, bug, k)


def test_greyed_entries_say_why(panel):
    panel.load(SimulationConfig(backend="processes"))
    assert panel.greyed("buffer") == {"condition": WHY_QUEUE_ONLY, "semaphore": WHY_QUEUE_ONLY}
    assert set(panel.greyed("bug")) == {"no-lock", "if-not-while", "lost-wakeup"}
    assert set(panel.greyed("bug").values()) == {WHY_BUG_BACKEND}
    panel.load(SimulationConfig(buffer="condition", bug="lost-wakeup"))
    assert panel.greyed("backend") == {"processes": WHY_NO_PROCESSES, "redis": WHY_NO_REDIS}
    assert panel.greyed("buffer") == {"queue": WHY_BUG_BUFFER, "semaphore": WHY_BUG_BUFFER}
    assert refused("bug", "none", "processes", "queue", "none") == ""


def test_choosing_a_bug_switches_the_buffer_to_condition_and_says_so(panel, qtbot):
    said: list[str] = []
    panel.message.connect(said.append)
    assert panel.buffer.currentText() == "queue"
    panel.bug.setCurrentText("if-not-while")
    qtbot.waitUntil(lambda: len(panel.sent) == 1, timeout=30_000)
    assert panel.sent[0].bug == "if-not-while" and panel.sent[0].buffer == "condition"
    assert panel.buffer.currentText() == "condition"
    assert len(said) == 1 and "from queue to condition" in said[0]
    panel.bug.setCurrentText("none")  # the buffer stays condition
    qtbot.waitUntil(lambda: len(panel.sent) == 2, timeout=30_000)
    assert (panel.sent[1].bug, panel.sent[1].buffer) == ("none", "condition")
    assert len(said) == 1


def test_buffer_and_bug_wait_for_the_next_start(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.bridge.last_snapshot is not None, timeout=30_000)
    window.controls.buffer.setCurrentText("semaphore")
    qtbot.waitUntil(lambda: window.bridge.config.buffer == "semaphore", timeout=30_000)
    note = window.controls.note
    assert note.isVisible() and "buffer" in note.text() and "next start" in note.text()
    assert window.bridge.sim.snapshot().buffer_kind == "queue"  # the run keeps its own
    window.controls.bug.setCurrentText("no-lock")
    qtbot.waitUntil(lambda: window.bridge.config.bug == "no-lock", timeout=30_000)
    assert window.bridge.config.buffer == "condition"
    assert "bug" in note.text()
    assert "condition" in window.statusBar().currentMessage()


@pytest.mark.parametrize("bug", list(BREAK_IT))
def test_break_it_runs_the_bugs_scenario_with_its_caption(window, qtbot, bug):
    scenario, text, _tip = BREAK_IT[bug]
    act = window.break_actions[bug]
    assert act.text() == text
    menu = next(m for m in window.menuBar().actions() if m.text() == "&Break it").menu()
    assert act in menu.actions() and window.break_actions["none"] in menu.actions()
    act.trigger()
    cfg = window.bridge.config
    assert (cfg.bug, cfg.buffer) == (bug, "condition")
    assert cfg == load(scenario).config
    assert window.canvas.caption == BROKEN[scenario]
    assert window.inside_on and window.inside_shown
    qtbot.waitUntil(lambda: window.bridge.last_snapshot is not None, timeout=30_000)
    # Fix it: the same settings with bug none, run again, the caption says what changed
    window.break_actions["none"].trigger()
    assert window.bridge.config == load(scenario).config.replace(bug="none")
    assert window.controls.bug.currentText() == "none"
    assert window.canvas.caption == FIXED[bug]
    assert "Fixed" in window.statusBar().currentMessage()
    window.bridge.stop()


def test_every_break_it_caption_names_what_breaks_and_what_to_watch():
    for scenario, caption in BROKEN.items():
        bug = next(b for b, (s, _t, _tip) in BREAK_IT.items() if s == scenario)
        assert f"bug {bug}" in caption and "watch" in caption.lower()
        assert load(scenario).config.bug == bug
    assert set(FIXED) == set(BREAK_IT)


def _put_get_width(panel, backend: str, buffer: str, bug: str) -> int:
    fm = panel.fontMetrics()
    funcs = run_functions(backend, buffer, bug)
    return max(
        fm.horizontalAdvance(line)
        for name in ("put", "get")
        for line in source_of(funcs[name]).splitlines()
    )


def test_inside_layout_at_1280_leaves_no_put_get_line_cut(qtbot):
    """At 1280x720 with the Inside view on, the code tab is as wide as the picture: every
    line of every buffer's put and get fits (no wrap, no sideways scroll), the text is at
    least 12 px, and the canvas keeps its width."""
    cfg = SimulationConfig(buffer="condition", bug="lost-wakeup")
    w = MainWindow(cfg, restore_geometry=False)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    try:
        assert w.inside_on and w.inside_shown
        assert w.bottom_tabs.currentWidget() is w.inside_view
        code = w.inside_view.code
        assert code.font().pixelSize() >= 12
        assert w.inside_view.prims.font().pixelSize() >= 12 or w.text_px >= 12
        assert w.canvas.width() >= 800
        assert code.viewport().width() >= 780
        for backend in ("threads", "asyncio"):
            for buffer, bug in (
                ("queue", "none"),
                ("condition", "none"),
                ("semaphore", "none"),
                ("condition", "no-lock"),
                ("condition", "if-not-while"),
                ("condition", "lost-wakeup"),
            ):
                need = _put_get_width(code, backend, buffer, bug)
                assert need <= code.viewport().width(), (backend, buffer, bug, need)
        # off: the plain layout (no tab bar, graph and log), the primitives row hidden
        w.set_inside_view(False)
        assert not w.inside_shown and w.bottom_tabs.count() == 1
        assert not w.inside_view.strip.isVisible()
        assert w.graph_log.isVisible()
    finally:
        w.close()


def test_the_gutter_names_runs_of_workers_compactly():
    assert compact(["P1", "P2", "P3", "C1", "C2", "C3"]) == "P1–3 C1–3"
    assert compact(["P2"]) == "P2"
    assert compact(["P1", "P3", "P4", "C10"]) == "P1,3–4 C10"


def test_the_stepped_workers_mark_stands_apart_from_the_others_on_its_line(qtbot):
    """ "▶P1–2" read like the item P1-2: the stepped worker stands alone after the ▶."""
    from simulator.ui.code_panel import CodePanel, Mark

    panel = CodePanel()
    qtbot.addWidget(panel)
    panel.tracker.step_marks["P1"] = Mark(3, "tail = self.tail", 0)
    panel.show_step("P1")
    assert panel.gutter_text(3, ["P1", "P2"]) == "▶ P1 · P2"
    assert panel.gutter_text(3, ["P1", "P2", "P3"]) == "▶ P1 · P2–3"
    assert panel.gutter_text(3, ["P1"]) == "▶ P1"
    assert panel.gutter_text(3, ["P2"]) == "▶ P1 · P2"  # its marker moved on; P2 is here
    assert panel.gutter_text(3, []) == "▶ P1"
    assert panel.gutter_text(4, ["P1", "P2"]) == "P1–2"  # not the stepped line


def test_lost_wakeup_scenario_deadlocks_with_every_marker_on_a_wait_line(qtbot):
    """``pcsim gui --scenario lost-wakeup-deadlock --exit-after 30 --dump-view v.json``,
    scaled down: the window runs the scenario until its dump says DEADLOCK (it comes
    within a second or two; 60 s allowed), and then every worker's marker is on a
    ``wait()`` line of the code shown, every worker waits, and the canvas says so."""
    scenario = load("lost-wakeup-deadlock")
    w = MainWindow(scenario.config, scenario=scenario, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    try:
        assert w.run_scenario("lost-wakeup-deadlock")
        qtbot.waitUntil(lambda: w.dump_view()["deadlock"] is True, timeout=60_000)
        dump = w.dump_view()
        names = [c["name"] for c in dump["cards"]]
        assert sorted(names) == ["C1", "C2", "C3", "P1", "P2", "P3"]
        markers = dump["inside"]["markers"]
        assert set(markers) == set(names)
        assert all(line.endswith(".wait()") for line in markers.values()), str(markers)
        assert dump["inside"]["visible"] is True
        assert dump["inside"]["primitives"]["deadlock"] is True
        assert {wk for wk, _on in dump["inside"]["primitives"]["waits"]} == set(names)
        assert w.canvas._items is not None
        assert w.canvas._items.banner.text.startswith("DEADLOCK")
        # the status bar does not say "Running" beside a DEADLOCK banner
        assert w.state_label.text().startswith("Deadlocked"), w.state_label.text()
    finally:
        w.close()


def _valid(**fields: str) -> bool:
    try:
        SimulationConfig(**fields)  # type: ignore[arg-type]
    except ConfigError:
        return False
    return True
