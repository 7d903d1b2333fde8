"""REPLAY's mark with 64 workers a side: the cards fill every corner it used to take, and
it covered P5 and C1; it says less and goes to the header line instead, over no card."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QRectF, QSize

from simulator.ui.window import MainWindow
from tests.ui.runs import FAST
from tests.ui.test_layout_fit import _covered_by

MANY = dataclasses.replace(FAST, producers=64, consumers=64)


@pytest.fixture
def many(qtbot):
    w = MainWindow(MANY, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.mark.parametrize("present", [False, True], ids=["plain", "presentation"])
@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_the_replay_mark_covers_no_card_with_64_workers_a_side(many, qtbot, size, present):
    if present:
        many.toggle_presentation()
    many.resize(QSize(*size))
    many.bridge.start()
    qtbot.waitUntil(
        lambda: getattr(many.bridge.last_snapshot, "elapsed", 0) >= 1.5, timeout=60_000
    )
    assert many.replay.show(0.8)
    canvas, mark = many.canvas, many.replay.mark
    assert mark.isVisible() and mark.text().startswith("REPLAY  t = 0.")
    assert len(canvas._items.cards) == 128
    box = QRectF(canvas.viewport().mapFrom(canvas, mark.pos()), mark.size().toSizeF())
    assert QRectF(0, 0, canvas.viewport().width(), canvas.viewport().height()).contains(box)
    over = [n for n, card in canvas._items.cards.items() if box.intersects(card.rect)]
    assert over == [], (mark.text(), box)
    assert _covered_by(mark, canvas) == []
    many.bridge.stop()
    if present:
        many.toggle_presentation()


def test_the_mark_is_placed_again_only_when_its_width_or_the_layout_changes(
    many, qtbot, monkeypatch
):
    """Each placement walked every scene item up to three times (~3 ms at 64 / 64, ten
    times a second in REPLAY). Another moment of the same picture keeps the place: no
    walk; a new layout (another window size) walks the scene once."""
    many.resize(QSize(1280, 720))
    many.bridge.start()
    qtbot.waitUntil(
        lambda: getattr(many.bridge.last_snapshot, "elapsed", 0) >= 1.5, timeout=60_000
    )
    canvas, mark, replay = many.canvas, many.replay.mark, many.replay
    assert replay.show(0.8)
    walks = []
    scene = canvas.scene()

    class _Counting:  # the scene, counting the walks over all its items
        def __getattr__(self, name):
            return getattr(scene, name)

        def items(self, *a):
            walks.append(1)
            return scene.items(*a)

    counting = _Counting()
    monkeypatch.setattr(canvas, "scene", lambda: counting)
    pos = mark.pos()
    for t in (0.9, 1.0, 1.1):
        assert replay.show(t)
        assert mark.text().startswith(f"REPLAY  t = {replay.state.t:.1f} s")
    assert walks == [] and mark.pos() == pos
    many.resize(QSize(1024, 768))
    qtbot.waitUntil(lambda: canvas.viewport().width() < 1000, timeout=10_000)
    assert replay.show(0.8)
    assert len(walks) >= 1
    box = QRectF(canvas.viewport().mapFrom(canvas, mark.pos()), mark.size().toSizeF())
    assert [n for n, card in canvas._items.cards.items() if box.intersects(card.rect)] == []
    many.bridge.stop()
