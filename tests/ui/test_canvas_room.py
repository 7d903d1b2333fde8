"""What the canvas's banner and caption may cover (nothing they should not), and the
size of its text in presentation mode with a guide (a low canvas)."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsTextItem

from simulator.engine.config import SimulationConfig
from simulator.engine.events import item_id
from simulator.engine.simulation import PAUSED
from simulator.engine.workers import WorkerState
from simulator.ui.canvas import SimulationCanvas
from simulator.ui.canvas_items import Styles, Tally
from simulator.ui.canvas_layout import MIN_TEXT_PX, text_px
from tests.ui.runs import shown_canvas, snapshot_of

#: presentation mode's boost (window.PRESENT_BOOST) on a canvas the guide made low
PRESENT = 1.35
#: the canvas's size in presentation mode at 1280x720 and 1024x768 with a guide on show
LOW = [(1280, 300), (1024, 318)]
STEP = "C1 read head = 1 without the lock: it will take slot 1"


def _paused(qtbot, size: tuple[int, int], boost: float) -> SimulationCanvas:
    cfg = SimulationConfig(producers=2, consumers=1, capacity=4)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.set_boost(boost)
    snap = snapshot_of(cfg, (item_id(1, 1),), run_state=PAUSED, consumers=WorkerState.CONSUMING)
    snap = dataclasses.replace(snap, last_step=("C1", STEP))
    canvas.on_snapshot(snap)
    canvas.refresh(force=True)
    return canvas


@pytest.mark.parametrize("size", LOW)
def test_a_wrapped_banner_stays_under_the_header(qtbot, size):
    """The two-line "PAUSED · Last step: …" banner grew up from its centre over
    "Buffer 1 / 4" (race-by-hand, presentation mode): it stays under the header."""
    canvas = _paused(qtbot, size, PRESENT)
    items = canvas._items
    assert items is not None and items.banner.box.isVisible()
    assert "\n" in items.banner.label.text
    box = items.banner.box.sceneBoundingRect()
    header = items.headers.buffer.item.sceneBoundingRect()
    assert box.top() >= header.bottom(), (box, header)
    for card in items.cards.values():
        assert not box.intersects(card.box.sceneBoundingRect())


@pytest.mark.parametrize("size", LOW)
@pytest.mark.parametrize("boost", [1.0, PRESENT])
def test_every_canvas_text_is_at_least_the_floor_on_a_low_canvas(qtbot, size, boost):
    """A guide's panel makes the canvas low, so its scale bottoms out: still every text
    in the scene (names, states, counts, legend, marks, banner, caption) is set in
    pixels and no smaller than MIN_TEXT_PX."""
    canvas = _paused(qtbot, size, boost)
    canvas.set_caption("Click a card, or press 1–9 (Shift+1–9 for a consumer): one step.")
    seen = 0
    for item in canvas.scene().items():
        if isinstance(item, QGraphicsSimpleTextItem | QGraphicsTextItem) and item.isVisible():
            text = item.text() if isinstance(item, QGraphicsSimpleTextItem) else "caption"
            px = item.font().pixelSize()
            assert px >= MIN_TEXT_PX, (text, px)
            assert item.sceneTransform().m11() >= 1.0, text  # not scaled down either
            seen += 1
    assert seen > 20  # the walk did see the scene's text


#: classic-terminate's caption at 1024 px: its whole description (far more than fits)
LONG = (
    "The classic multiprocessing example: terminate() after 5 s: The textbook "
    "multiprocessing program: one producer process (each item in 0.1–0.5 s) and one "
    "consumer process (0.2–0.7 s) on a multiprocessing.Queue; terminate() kills both "
    "where they stand, and the items still in the queue are discarded, counted apart."
)
SHORT = "Broken (bug lost-wakeup): one condition for both sides and notify()."


@pytest.mark.parametrize("size", [(670, 290), (926, 280), (670, 421)])
@pytest.mark.parametrize("caption", [SHORT, LONG])
def test_a_caption_covers_nothing(qtbot, size, caption):
    """A caption lay over the legend (cut to "waiting") and the buffer's "in → first in,
    first out → out": it has a band of its own above the legend, at most two lines,
    and a longer one ends in "…" with the whole in its tooltip."""
    cfg = SimulationConfig(producers=3, consumers=3, capacity=1)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.set_caption(caption)
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None
    cap = items.caption
    assert cap.box.isVisible()
    box = cap.box.sceneBoundingRect()
    text = cap.text.toPlainText()
    assert 1 <= len(text.split("\n")) <= 2
    assert box.bottom() <= lay.legend.top() + 1
    for other in canvas.scene().items():
        if other in (cap.box, cap.text) or not other.isVisible():
            continue
        if isinstance(other, QGraphicsSimpleTextItem) and other.text():
            assert not box.intersects(other.sceneBoundingRect()), other.text()
    for card in items.cards.values():
        assert not box.intersects(card.box.sceneBoundingRect())
    if caption == LONG:
        assert text.endswith("…") and cap.text.toolTip() == LONG
    else:
        assert "…" not in text and cap.text.toolTip() == ""


def test_a_new_caption_makes_its_room_and_none_gives_it_back(qtbot):
    cfg = SimulationConfig(producers=2, consumers=2, capacity=4)
    canvas = shown_canvas(qtbot, cfg, (670, 290))
    plain = canvas._layout
    assert plain is not None and plain.caption.isNull()
    canvas.set_caption(LONG)
    lay = canvas._layout
    assert lay is not None and not lay.caption.isNull()
    assert lay.buffer.bottom() < plain.buffer.bottom() or lay.buffer.top() < plain.buffer.top()
    canvas.set_caption("")
    assert canvas._layout is not None and canvas._layout.caption.isNull()
    assert not canvas._items.caption.box.isVisible()


def _tally(qtbot, width: float) -> Tally:
    """A column's counts ``width`` wide, two lines tall (as the layout makes them)."""
    canvas = shown_canvas(qtbot, SimulationConfig(producers=2, consumers=2, capacity=4))
    lay = canvas._layout
    assert lay is not None
    scene = QGraphicsScene(canvas)  # the canvas's own is rebuilt under it
    line = text_px(lay.scale) * 1.35
    tally = Tally(scene, Styles(lay, canvas.font()), QRectF(0, 0, width, 2 * line))
    tally.keep = (canvas, scene)  # type: ignore[attr-defined]  # alive with the tally
    return tally


def test_the_counts_under_a_column_say_real_words_where_they_fit(qtbot):
    """ "46 prod · 18 full" and "64 stop" were cryptic where the whole words fit."""
    tally = _tally(qtbot, 300)
    full, prod = WorkerState.WAITING_FULL, WorkerState.PRODUCING
    tally.show([prod] * 46 + [full] * 18)
    assert tally.label.text.replace("\n", " · ") == "46 producing · 18 waiting: full"
    tally.show([WorkerState.STOPPED] * 64)
    assert tally.label.text == "64 stopped"


def test_the_counts_take_short_words_only_where_the_words_cannot_fit(qtbot):
    tally = _tally(qtbot, 170)
    states = [
        WorkerState.PRODUCING,
        WorkerState.PUTTING,
        WorkerState.WAITING_FULL,
        WorkerState.WAITING_EMPTY,
        WorkerState.CONSUMING,
    ]
    tally.show([s for s in states for _ in range(3)])
    lines = tally.label.text.split("\n")
    assert len(lines) <= tally.max_lines
    assert all(tally.fm.horizontalAdvance(t) <= 170 for t in lines), lines
    assert "3 full" in tally.label.text  # the longest word gave way first


@pytest.mark.parametrize("size", LOW)
def test_presentation_text_on_a_low_canvas_is_larger_than_the_plain_windows(qtbot, size):
    """Presentation mode with a guide asked 12.96 px and drew 12, no larger than the
    plain window's: the legend's and the cards' text is rounded, not truncated."""

    def legend_px(boost: float) -> int:
        canvas = _paused(qtbot, size, boost)
        words = [
            i
            for i in canvas.scene().items()
            if isinstance(i, QGraphicsSimpleTextItem) and i.text() == "producing"
        ]
        assert words
        return min(i.font().pixelSize() for i in words)

    assert legend_px(PRESENT) > legend_px(1.0) >= MIN_TEXT_PX


@pytest.mark.parametrize(("n", "said"), [(0, "0 items"), (1, "1 item"), (2, "2 items")])
def test_the_fill_bar_counts_one_item_in_the_singular(qtbot, n, said):
    cfg = SimulationConfig(producers=1, consumers=1, capacity=1000)
    canvas = shown_canvas(qtbot, cfg)
    buffer = tuple(item_id(1, k) for k in range(1, n + 1))
    canvas.on_snapshot(snapshot_of(cfg, buffer, consumers=WorkerState.CONSUMING))
    canvas.refresh(force=True)
    bar = canvas._items.bar
    assert bar is not None and bar.label.text == said


def test_a_caption_of_the_same_band_is_shown_without_making_the_scene_anew(qtbot):
    """A scenario changes its caption at every step: a new text that fits the band the
    layout has (same size, same line count) is drawn in it, the scene kept; one that
    needs another line makes the layout (and the scene) anew."""
    cfg = SimulationConfig(producers=2, consumers=2, capacity=4)
    canvas = shown_canvas(qtbot, cfg, (936, 421))
    canvas.set_caption("Step one: P1 puts an item.")
    lay, items = canvas._layout, canvas._items
    assert lay is not None and items is not None and len(lay.caption_lines) == 1
    canvas.set_caption("Step two: C1 takes it.")
    assert canvas._layout is lay and canvas._items is items, "the scene was made anew"
    assert lay.caption_lines == ["Step two: C1 takes it."]
    assert items.caption.text.toPlainText() == "Step two: C1 takes it."
    canvas.set_caption(LONG)
    assert canvas._items is not items and len(canvas._layout.caption_lines) > 1
