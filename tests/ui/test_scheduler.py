"""You are the scheduler: while paused a card click or a worker's key steps that worker;
the guided race-by-hand scenario starts paused and its guide follows the steps."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent

from simulator.engine.simulation import PAUSED
from simulator.scenarios.scenario import load
from simulator.ui import theme
from simulator.ui.guide import DONE_TEXT, worker_for_key

SHIFT = Qt.KeyboardModifier.ShiftModifier
NONE = Qt.KeyboardModifier.NoModifier


def _key(key: Qt.Key, mods=NONE, text: str = "") -> QKeyEvent:
    return QKeyEvent(QEvent.Type.KeyPress, key, mods, text)


@pytest.mark.parametrize(
    ("key", "mods", "text", "worker"),
    [
        (Qt.Key.Key_1, NONE, "1", "P1"),
        (Qt.Key.Key_9, NONE, "9", "P9"),
        (Qt.Key.Key_Exclam, SHIFT, "!", "C1"),  # US: Shift+1 is "!"
        (Qt.Key.Key_At, SHIFT, "@", "C2"),
        (Qt.Key.Key_ParenLeft, SHIFT, "(", "C9"),
        (Qt.Key.Key_1, SHIFT, "1", "C1"),  # AZERTY: Shift gives the digit itself
        (Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier, "", None),  # another shortcut
        (Qt.Key.Key_0, NONE, "0", None),
        (Qt.Key.Key_A, NONE, "a", None),
        (Qt.Key.Key_Exclam, NONE, "!", None),  # "!" without Shift is no worker's key
    ],
)
def test_worker_keys_whatever_shift_makes_of_the_digit(key, mods, text, worker):
    assert worker_for_key(_key(key, mods, text)) == worker


def _start_race(window, qtbot) -> None:
    """The guided scenario: it starts paused, the Inside view on."""
    assert window.run_scenario("race-by-hand")
    qtbot.waitUntil(lambda: window.bridge.state == PAUSED, timeout=15_000)
    qtbot.waitUntil(
        lambda: window.canvas._items is not None and "C1" in window.canvas._items.cards,
        timeout=30_000,
    )
    qtbot.waitUntil(  # every worker started (until then a step says it waits for them)
        lambda: getattr(window.bridge.last_snapshot, "startup_ms", None) is not None,
        timeout=60_000,
    )


def _last_step(window):
    snap = window.bridge.last_snapshot
    return None if snap is None else snap.last_step


def test_a_card_click_or_a_key_steps_that_worker_while_paused(window, qtbot):
    _start_race(window, qtbot)
    assert window.bridge.state == PAUSED  # a guided scenario starts paused
    card = window.canvas._items.cards["P2"]
    at = window.canvas.mapFromScene(card.rect.center())
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(at))
    qtbot.waitUntil(lambda: _last_step(window) is not None, timeout=15_000)
    assert _last_step(window) == ("P2", "P2 made P2-1")
    # Shift+1 as a US keyboard sends it: C1, who finds the buffer empty and waits ...
    qtbot.keyClick(window, Qt.Key.Key_Exclam, SHIFT)
    qtbot.waitUntil(lambda: _last_step(window)[0] == "C1", timeout=15_000)
    assert _last_step(window)[1] == "C1 waits for an item: buffer empty"
    # ... and then cannot move: one line on the banner says why, and nothing hangs
    qtbot.keyClick(window, Qt.Key.Key_Exclam, SHIFT)
    qtbot.waitUntil(lambda: "cannot" in _last_step(window)[1], timeout=15_000)
    why = _last_step(window)[1]
    assert why.startswith("C1 cannot move now: the buffer is empty; it waits on not_empty")
    qtbot.waitUntil(lambda: why in window.canvas._items.banner.text, timeout=15_000)
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: _last_step(window)[0] == "P1", timeout=15_000)
    assert _last_step(window) == ("P1", "P1 made P1-1")
    window.bridge.stop()


def test_while_running_a_click_only_selects(window, qtbot):
    window.bridge.start()
    qtbot.waitUntil(lambda: window.canvas._items is not None, timeout=15_000)
    qtbot.waitUntil(lambda: "C1" in window.canvas._items.cards, timeout=15_000)
    assert window.step_worker("C1") is False  # running: no step
    window.bridge.stop()
    assert _last_step(window) is None


def test_the_guide_follows_the_race_step_by_step_and_the_code_panel_shows_where(window, qtbot):
    guide = load("race-by-hand").guide
    _start_race(window, qtbot)
    assert window.guide.isVisible() and window.guide.current() == guide[0].caption
    code = window.inside_view.code
    lines = []
    for i, g in enumerate(guide):
        assert window.step_worker(g.worker)
        qtbot.waitUntil(lambda i=i: window.guide.index == i + 1, timeout=15_000)
        lines.append(code.stepped_line())
        assert code.stepped == g.worker
    # the line each worker moved past, from its step's event
    assert lines[1] == "tail = self.tail"  # P1 read tail, no lock held
    assert lines[3] == "tail = self.tail"  # P2 too
    assert lines[4] == "self._sim_put(item, worker)"
    assert lines[6] == "head = self.head"
    assert window.guide.done and window.guide.current() == DONE_TEXT
    dump = window.dump_view()
    assert dump["guide"]["step"] == len(guide)
    assert dump["inside"]["stepped"] == {"worker": "C1", "line": "head = self.head"}
    window.bridge.stop()
    snap = window.bridge.last_snapshot
    assert snap.lost == 1 and not snap.ok  # P1-1 was overwritten


def test_a_step_the_guide_did_not_ask_for_says_what_it_asked(window, qtbot):
    _start_race(window, qtbot)
    assert window.step_worker("P2")
    qtbot.waitUntil(lambda: "asked for P1" in window.guide.note.text(), timeout=15_000)
    assert window.guide.index == 0
    window.bridge.stop()


def test_a_window_opened_on_the_guided_scenario_starts_it_paused(qtbot):
    """``pcsim gui --scenario race-by-hand``: the window is made with the scenario and the
    app starts it; nothing moves before the learner steps."""
    from simulator.ui.window import MainWindow

    sc = load("race-by-hand")
    w = MainWindow(sc.config, sc, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    try:
        assert w.guide.isVisible() and w.guide.current() == sc.guide[0].caption
        w.bridge.start()
        assert w.bridge.state == PAUSED
        qtbot.waitUntil(
            lambda: getattr(w.bridge.last_snapshot, "startup_ms", None) is not None,
            timeout=60_000,
        )
        assert w.bridge.last_snapshot.produced == 0
    finally:
        w.bridge.stop()
        w.close()


def test_the_guides_title_and_note_follow_the_windows_text_size(window):
    """Presentation mode and Ctrl++ enlarge every view's text: the guide's title and
    its ✓ note too (a style sheet would otherwise pin them to the default size), in
    ink (the muted grey is not held to contrast on the caption's yellow)."""
    window.guide.load(load("race-by-hand"))
    window.guide.note.setText("✓ P1 read tail = 0")

    def px(label):
        label.ensurePolished()
        return label.font().pixelSize()

    small = {name: px(getattr(window.guide, name)) for name in ("title", "text", "note")}
    assert small["title"] == small["note"] == window.text_px
    try:
        window.set_font_scale(1.5)
        big = {name: px(getattr(window.guide, name)) for name in ("title", "text", "note")}
        assert big["title"] == big["note"] == window.text_px > small["title"]
        assert big["text"] > small["text"]
        window.toggle_presentation()  # 35 % larger again
        assert px(window.guide.title) == window.text_px > big["title"]
        window.toggle_presentation()
    finally:  # the text scale is remembered: leave it as other tests expect it
        window.set_font_scale(1.0)
    assert theme.hex_color("muted") not in window.guide.styleSheet()
