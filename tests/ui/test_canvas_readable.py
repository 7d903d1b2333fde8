"""What a screenshot review of 3 to 64 workers a side found unreadable or untrue:

* A row of slots mixed label shapes (``P7`` over ``14``, a bare ``14``, ``P13-7``,
  blanks): every slot of the buffer now uses one shape per layout, never a bare number.
* 12 consumers consuming, ``In hand: 12``, and no card showed its item (only cards of
  three lines had a hand); tokens landed in the gap beside the columns as unlabelled
  pills. Every card now shows the item in its hand on the card, and the dump says so;
  in REPLAY no token hangs mid-flight over a card's border.
* In the dark theme the PAUSED and ending banners had no visible box (#1F2328 on the
  #1E2227 canvas): the box now stands out in both themes and its text keeps 4.5:1.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from simulator.engine.config import SimulationConfig
from simulator.engine.events import item_id, item_label
from simulator.engine.simulation import PAUSED
from simulator.engine.workers import WorkerState
from simulator.ui import theme
from simulator.ui.canvas_scene import PAUSED_BANNER
from simulator.ui.history import FrameState
from simulator.ui.replay_bar import FrozenModel
from tests.ui.runs import shown_canvas, snapshot_of

#: a 1024x768 window's canvas, a 1280x720 window's, and the canvas filling each
SIZES = [(670, 420), (936, 421), (1024, 560), (1280, 620)]


def _shape(label: str) -> str:
    """``full`` (P1-42), ``stacked`` (P1 over 42), ``none`` (""), else ``bare``."""
    if not label:
        return "none"
    if "\n" in label:
        return "stacked" if label.split("\n")[0].startswith("P") else "bare"
    return "full" if label.startswith("P") and "-" in label else "bare"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("boost", [1.0, 1.35])
@pytest.mark.parametrize("n", [3, 12, 24, 64])
def test_every_slot_of_the_buffer_reads_in_one_shape(qtbot, n, boost, size):
    cfg = SimulationConfig(producers=n, consumers=n, capacity=10)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.set_boost(boost)
    # one- and two-digit producers and item numbers side by side, as a run fills it
    producers = [1, n, 7, max(1, n // 2), 4, n, 2, 9 if n >= 9 else 1, 3, n]
    seqs = (7, 14, 888, 5, 12, 3, 99, 1, 40, 2)
    buffer = tuple(item_id(p, k) for k, p in zip(seqs, producers, strict=True))
    canvas.on_snapshot(snapshot_of(cfg, buffer))
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None
    labels = [s.label.text for s in items.slots if s.label is not None]
    assert len(labels) == 10
    shapes = {_shape(t) for t in labels}
    assert len(shapes) == 1 and "bare" not in shapes, labels
    for slot, item in zip(items.slots, buffer, strict=True):
        assert slot.label is not None
        if slot.label.text:  # the label is this item's id, and it fits the slot
            assert slot.label.text.replace("\n", "-") == item_label(item)
            box = slot.label.item.sceneBoundingRect()
            assert slot.rect.adjusted(-1, -2, 1, 2).contains(box), (slot.label.text, size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("boost", [1.0, 1.35])
@pytest.mark.parametrize("n", [2, 12, 24, 64])
def test_every_card_holding_an_item_shows_it_on_the_card(qtbot, n, boost, size):
    cfg = SimulationConfig(producers=n, consumers=n, capacity=10)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.set_boost(boost)
    held = {f"C{i}": (WorkerState.CONSUMING, item_id(i, 100 + i)) for i in range(1, n + 1)}
    held["P1"] = (WorkerState.WAITING_FULL, item_id(1, 888))
    canvas.on_snapshot(snapshot_of(cfg, (), states=held))
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None
    dumped = {c["name"]: c["item"] for c in canvas.dump()["cards"]}
    for name, (_, item) in held.items():
        card = items.cards[name]
        assert card.held is not None and card.held.visible, name
        assert dumped[name] == item_label(item)
        # on its own card, and never over the card's name
        box = card.held.box.sceneBoundingRect()
        assert card.rect.adjusted(-1, -1, 1, 1).contains(box), (name, box, card.rect)
        assert not box.intersects(card.name.item.sceneBoundingRect().adjusted(1, 1, -1, -1))
        label = card.held.label.text if card.held.label is not None else ""
        assert label in ("", item_label(item)), label  # the full id or the colour alone
    # cards holding nothing show no hand
    assert not items.cards["P2" if n > 1 else "C1"].held.visible or n == 1
    assert dumped.get("P2") is None


def test_a_token_lands_where_the_card_shows_its_hand_at_24(qtbot):
    """24 a side: hands were drawn in the gap beside the column (two cards of a row in
    one place, unlabelled pills), or not at all."""
    cfg = SimulationConfig(producers=24, consumers=24, capacity=10)
    canvas = shown_canvas(qtbot, cfg, (936, 421))
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None
    positions = {c.held_pos.toTuple() for c in items.cards.values() if c.held is not None}
    assert len(positions) == 48  # one place per card
    for card in items.cards.values():
        assert card.held is not None and card.rect.contains(card.held_pos)
    assert (items.tokens[0].w, items.tokens[0].h) == (
        items.cards["C1"].held.w,
        items.cards["C1"].held.h,
    )


def test_replay_draws_no_token_frozen_mid_flight(qtbot):
    """A recorded moment with an item half way to C1: it is drawn in C1's hand, not
    stopped over the card's border."""
    cfg = SimulationConfig(producers=3, consumers=2, capacity=10)
    canvas = shown_canvas(qtbot, cfg, (936, 421))
    item = item_id(3, 8)
    snap = snapshot_of(cfg, (), states={"C1": (WorkerState.CONSUMING, item)})
    canvas.model = FrozenModel(FrameState(1.0, snap))
    canvas.on_snapshot(snap, refresh=False)
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None
    assert not any(t.visible for t in items.tokens)
    shown = canvas.dump()
    assert shown["tokens"] == [] and {c["name"]: c["item"] for c in shown["cards"]}["C1"] == (
        "P3-8"
    )


def _composited(box: QColor, canvas: QColor) -> QColor:
    return theme.blend(canvas, QColor(box.red(), box.green(), box.blue()), box.alphaF())


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_the_banners_box_stands_out_in_every_theme(qtbot, name):
    cfg = SimulationConfig(producers=3, consumers=2, capacity=10)
    canvas = shown_canvas(qtbot, cfg, (936, 421))
    try:
        theme.use(name)
        canvas.restyle()
        canvas.on_snapshot(snapshot_of(cfg, (), run_state=PAUSED))
        canvas.refresh(force=True)
        items = canvas._items
        assert items is not None
        banner = items.banner
        for text in (PAUSED_BANNER, "DEADLOCK: every worker waits"):
            banner.show(text)
            assert banner.box.isVisible()
            box = _composited(banner.box.brush().color(), theme.CANVAS_BG)
            ink = banner.label.item.brush().color()
            assert theme.contrast(box, theme.CANVAS_BG) >= 3.0, (name, text, box.name())
            assert theme.contrast(ink, box) >= 4.5, (name, text, ink.name(), box.name())
    finally:
        theme.use("light")
        canvas.restyle()


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_every_box_pair_stands_out(name):
    t = theme.THEMES[name]
    for box, bg in theme.BOX_PAIRS:
        assert theme.contrast(QColor(t[box]), QColor(t[bg])) >= 3.0, (name, box)


@pytest.mark.parametrize("size", SIZES)
def test_a_short_runs_slots_keep_their_labels(qtbot, size):
    """The shape follows the items on show: 3 producers' first items (P3 over 10) fit a
    slot at every size, so the row is labelled; it went blank for a long run's widest
    number (P3-8888) that no slot of this run held yet."""
    cfg = SimulationConfig(producers=3, consumers=2, capacity=10)
    canvas = shown_canvas(qtbot, cfg, size)
    buffer = tuple(item_id(1 + k % 3, 8 + k) for k in range(10))
    canvas.on_snapshot(snapshot_of(cfg, buffer))
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None
    labels = [s.label.text if s.label is not None else "" for s in items.slots]
    shown = [t.replace("\n", "-") for t in labels]
    assert shown == [item_label(i) for i in buffer], labels
