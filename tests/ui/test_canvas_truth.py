"""The canvas tells the truth and stays readable (#11): the slots show exactly the queue,
oldest at the exit; a take starts from its slot and leaves no hole; a consumer shows an
item only while it holds it; every card says its state in words (or its column counts
them); no text overprints or is under 12 px; dark and light text keep WCAG AA contrast;
and ``dump()`` reads all of that back from the scene."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsSimpleTextItem, QGraphicsTextItem

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event, Kind, item_id, item_label
from simulator.engine.simulation import Snapshot
from simulator.engine.workers import Role, WorkerState, worker_name
from simulator.ui import theme
from simulator.ui.canvas import SimulationCanvas
from simulator.ui.canvas_items import CARD_TINT
from simulator.ui.canvas_layout import MIN_TEXT_PX
from tests.ui.runs import shown_canvas, snapshot_of

#: the canvas's size in the window at 1280x720 and at 1024x768, and a full-screen canvas
SIZES = [(936, 421), (680, 451), (1280, 720)]


def _snap(
    cfg: SimulationConfig,
    buffer: tuple[int, ...],
    states: dict[str, tuple[str, int]] | None = None,
) -> Snapshot:
    """A running snapshot with ``buffer`` (oldest first); ``states`` gives some workers'
    (state, item in hand); the others produce / wait for an item."""
    return snapshot_of(cfg, buffer, states=states)


def _mixed(n: int) -> tuple[int, ...]:
    """``n`` ids from three producers, interleaved as a real queue holds them."""
    return tuple(item_id(1 + k % 3, 10 + k) for k in range(n))


def _texts(canvas: SimulationCanvas) -> list[QGraphicsSimpleTextItem | QGraphicsTextItem]:
    out = []
    for it in canvas.scene().items():
        if isinstance(it, QGraphicsSimpleTextItem) and it.isVisible() and it.text():
            if it.parentItem() is None or it.parentItem().isVisible():
                out.append(it)
        elif isinstance(it, QGraphicsTextItem) and it.isVisible():
            out.append(it)
    return out


@pytest.mark.parametrize("capacity", [1, 10, 16, 200])
def test_slots_draw_the_queue_in_fifo_order_exit_first(qtbot, capacity):
    cfg = SimulationConfig(producers=3, consumers=2, capacity=capacity)
    canvas = shown_canvas(qtbot, cfg)
    ids = _mixed(max(1, capacity * 3 // 4))
    canvas.on_snapshot(_snap(cfg, ids))
    dump = canvas.dump()
    assert dump["buffer"]["items"] == [item_label(i) for i in ids]
    assert dump["buffer"]["count"] == dump["header"]["count"] == len(ids)
    lay = canvas._layout
    assert lay is not None
    # the oldest is drawn by the exit (right), the newest towards the entrance (left)
    xs = [lay.slots[i].center().x() for i in range(len(ids))]
    assert xs[0] >= xs[-1] and lay.slots[0].center().x() > lay.buffer.center().x() - 1
    items = canvas._items
    assert items is not None
    marks = {m.text: m.item.sceneBoundingRect().center().x() for m in items.marks}
    if "in →" in marks and "→ out" in marks:
        assert marks["in →"] < marks["→ out"]


def test_a_full_buffer_with_a_take_in_flight_has_no_hole(qtbot):
    cfg = SimulationConfig(producers=3, consumers=2, capacity=4)
    canvas = shown_canvas(qtbot, cfg)
    ids = _mixed(5)
    taken, rest = ids[0], ids[1:]
    # C1 just took the oldest; P2 just put the newest: both tokens fly, the buffer is full
    canvas.on_batch(
        [
            Event(0.0, Kind.GOT, "C1", taken, 3, 0.0),
            Event(0.0, Kind.PUT, "P2", rest[-1], 4, 0.0),
        ]
    )
    canvas.on_snapshot(_snap(cfg, rest, {"C1": (WorkerState.CONSUMING, taken)}))
    items = canvas._items
    assert items is not None
    assert [s.item for s in items.slots] == list(rest)  # every slot drawn, in order
    assert canvas.dump()["buffer"]["items"] == [item_label(i) for i in rest]
    shown = [t for t in items.tokens if t.visible]
    assert [t.item for t in shown] == [rest[-1], taken] or {t.item for t in shown} <= {
        rest[-1],
        taken,
    }
    lay = canvas._layout
    assert lay is not None
    for t in shown:  # no token wider or taller than a slot
        r = t.box.sceneBoundingRect()
        assert r.width() <= lay.slots[0].width() + 3 and r.height() <= lay.slots[0].height() + 3
    for a, b in itertools.combinations(shown, 2):
        assert not a.box.sceneBoundingRect().intersects(b.box.sceneBoundingRect())


def test_a_consumer_shows_no_item_after_it_consumed_it(qtbot):
    cfg = SimulationConfig(producers=1, consumers=1, capacity=3)
    canvas = shown_canvas(qtbot, cfg, (1280, 720))
    item = item_id(1, 7)
    canvas.on_batch([Event(0.0, Kind.GOT, "C1", item, 0, 0.0)])
    canvas.on_snapshot(_snap(cfg, (), {"C1": (WorkerState.CONSUMING, item)}))
    items = canvas._items
    assert items is not None
    assert any(t.visible and t.item == item for t in items.tokens)  # on its way
    canvas.model.clear()  # it landed
    canvas.on_snapshot(_snap(cfg, (), {"C1": (WorkerState.CONSUMING, item)}))
    assert canvas.dump()["cards"][1] == {
        "name": "C1",
        "state": WorkerState.CONSUMING,
        "item": item_label(item),
    }
    # consumed while a token of it might still fly: neither card nor token shows it
    canvas.on_batch([Event(0.0, Kind.GOT, "C1", item, 0, 0.0)])
    canvas.on_snapshot(_snap(cfg, (), {"C1": (WorkerState.WAITING_EMPTY, -1)}))
    assert canvas.dump()["cards"][1]["item"] is None
    assert not any(t.visible and t.item == item for t in items.tokens)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("capacity", [1, 2, 10, 16, 200, 1000])
def test_fifo_marks_never_overprint(qtbot, capacity, size):
    cfg = SimulationConfig(producers=2, consumers=2, capacity=capacity)
    canvas = shown_canvas(qtbot, cfg, size)
    items = canvas._items
    assert items is not None and items.marks
    rects = [m.item.sceneBoundingRect() for m in items.marks]
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b)
    for r in rects:  # and never over the cards
        for card in items.cards.values():
            assert not r.intersects(card.rect)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("n", [1, 8, 16, 32, 64])
@pytest.mark.parametrize("boost", [1.0, 1.35])
def test_every_card_says_its_state_without_clipping(qtbot, n, size, boost):
    cfg = SimulationConfig(producers=n, consumers=n, capacity=10)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.set_boost(boost)
    states = {
        worker_name(Role.PRODUCER, i): (WorkerState.WAITING_FULL, item_id(i, 1))
        for i in range(1, n + 1, 2)
    }
    canvas.on_snapshot(_snap(cfg, _mixed(10), states))
    items = canvas._items
    assert items is not None
    for card in items.cards.values():
        if card.tallied:
            role = "producer" if card.name.text.startswith("P") else "consumer"
            assert items.tallies[role].label.text  # "32 full · 32 prod"
        else:
            assert card.state.text and card.state.item.isVisible()
        texts = [lbl.item for lbl in (card.name, card.state, card.count)]
        texts = [t for t in texts if t.isVisible() and t.text()]
        for t in texts:  # inside its own card: never clipped, never in a neighbour
            assert card.rect.adjusted(-1, -1, 1, 1).contains(t.sceneBoundingRect()), t.text()
        for a, b in itertools.combinations(texts, 2):
            assert not a.sceneBoundingRect().intersects(b.sceneBoundingRect())
    for tally in items.tallies.values():
        r = tally.label.item.sceneBoundingRect()
        assert r.bottom() <= canvas._layout.legend.top() + 1  # type: ignore[union-attr]
        assert not any(r.intersects(c.rect) for c in items.cards.values())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("n", "capacity"), [(1, 1), (8, 10), (64, 16), (64, 200), (64, 1000)])
def test_no_text_under_12_px(qtbot, n, capacity, size):
    cfg = SimulationConfig(producers=n, consumers=n, capacity=capacity)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.set_caption("A caption")
    puts = [Event(0.0, Kind.PUT, f"P{i}", item_id(i, 1), 1, 0.0) for i in range(1, n + 1)]
    canvas.on_batch(puts[:20])
    canvas.on_snapshot(_snap(cfg, tuple(e.item for e in puts[:capacity])))
    texts = _texts(canvas)
    assert texts
    for t in texts:
        assert t.font().pixelSize() >= MIN_TEXT_PX, t


def test_tokens_never_overlap(qtbot):
    """16 consumers take an item each at once: the takes in flight never overlap."""
    cfg = SimulationConfig(producers=16, consumers=16, capacity=16)
    canvas = shown_canvas(qtbot, cfg)
    items_taken = [item_id(i, 1) for i in range(1, 17)]
    takes = [Event(0.0, Kind.GOT, f"C{i}", item, 0, 0.0) for i, item in enumerate(items_taken, 1)]
    canvas.on_batch(takes)
    holding = {f"C{i}": (WorkerState.CONSUMING, item) for i, item in enumerate(items_taken, 1)}
    canvas.on_snapshot(_snap(cfg, (), holding))
    items = canvas._items
    assert items is not None
    shown = [t.box.sceneBoundingRect() for t in items.tokens if t.visible]
    assert shown
    for a, b in itertools.combinations(shown, 2):
        assert not a.intersects(b)


def test_a_put_shows_its_item_once_in_its_slot_never_as_a_flying_copy(qtbot):
    cfg = SimulationConfig(producers=2, consumers=1, capacity=4)
    canvas = shown_canvas(qtbot, cfg)
    item = item_id(1, 7)
    canvas.on_batch([Event(0.0, Kind.PUT, "P1", item, 1, 0.0)])
    canvas.on_snapshot(_snap(cfg, (item,)))
    items = canvas._items
    assert items is not None
    assert [s.item for s in items.slots].count(item) == 1
    assert not any(t.visible and t.item == item for t in items.tokens)


def test_header_buffer_and_cards_come_from_the_same_snapshot(qtbot):
    """Every figure changes in the same frame: the "N done" counts too."""
    cfg = SimulationConfig(producers=2, consumers=2, capacity=10)
    canvas = shown_canvas(qtbot, cfg, (1280, 720))
    first = _snap(cfg, _mixed(3))
    canvas.on_snapshot(first)
    later = dataclasses.replace(
        _snap(cfg, _mixed(5)),
        workers=tuple(dataclasses.replace(w, done=w.done + 40) for w in first.workers),
    )
    canvas.on_snapshot(later)
    items = canvas._items
    assert items is not None and canvas.shown_snapshot is later
    assert canvas.dump()["header"]["count"] == canvas.dump()["buffer"]["count"] == 5
    assert items.cards["C2"].count.text in ("42 done", "42")


def test_dump_shape(qtbot):
    cfg = SimulationConfig(producers=2, consumers=1, capacity=1000)
    canvas = shown_canvas(qtbot, cfg)
    canvas.on_snapshot(_snap(cfg, _mixed(1234 % 1000)))
    dump = canvas.dump()
    assert set(dump) == {"header", "buffer", "cards", "drops", "tokens", "pills_waiting"}
    assert dump["pills_waiting"] == 0  # no ending: no pill waits to be put
    assert dump["drops"] == []  # nothing dropped: a blocking run
    assert dump["tokens"] == []  # nothing on its way
    assert dump["header"] == {"count": 234}
    assert dump["buffer"] == {"mode": "bar", "count": 234, "items": []}
    assert [c["name"] for c in dump["cards"]] == ["P1", "P2", "C1"]
    for card in dump["cards"]:
        assert set(card) == {"name", "state", "item"}
        assert card["item"] is None or card["item"].startswith("P")


@pytest.mark.parametrize("name", list(theme.THEMES))
def test_every_text_colour_keeps_wcag_aa_contrast(name):
    def ratio(fg: QColor, bg: QColor) -> float:
        return round(theme.contrast(fg, bg), 2)

    t = theme.THEMES[name]
    for fg, bg in theme.TEXT_PAIRS:
        assert ratio(QColor(t[fg]), QColor(t[bg])) >= 4.5, (name, fg, bg)
    surface, ink = QColor(t["surface"]), QColor(t["ink"])
    for state, c in theme.STATE_COLORS.items():  # card words on the card's tint
        tint = theme.blend(surface, c, CARD_TINT)
        assert ratio(ink, tint) >= 4.5, (name, state)
    for hue in theme.TOKEN_HUES:  # item labels on tokens and slots
        assert ratio(QColor(theme.TOKEN_INK), QColor(hue)) >= 4.5, hue
    for fg, bg in theme.FIXED_TEXT_PAIRS:
        assert ratio(QColor(fg), QColor(bg)) >= 4.5, (fg, bg)
    assert ratio(QColor("#FFFFFF"), theme.ALARM_COLOR) >= 4.5


def test_ok_colour_follows_the_theme():
    try:
        for name in theme.THEMES:
            theme.use(name)
            assert theme.contrast(theme.OK_COLOR, theme.color("window")) >= 4.5
    finally:
        theme.use("light")


def test_contrast_matches_wcag_reference_values():
    assert theme.contrast(QColor("#000000"), QColor("#FFFFFF")) == pytest.approx(21.0)
    assert theme.contrast(QColor("#777777"), QColor("#FFFFFF")) == pytest.approx(4.48, abs=0.01)


def test_a_cards_cpu_share_reads_beside_what_it_was_meant_not_as_a_share_of_it(qtbot):
    """``CPU 42 % (meant 95 %)``: two shares of the worker's time, side by side; never
    "42 % of 95 %", which reads as a percentage of a percentage."""
    cfg = SimulationConfig(producers=1, consumers=1, work="cpu")
    canvas = shown_canvas(qtbot, cfg, size=(1280, 720))
    snap = _snap(cfg, ())
    workers = tuple(dataclasses.replace(w, cpu_share=0.42, meant_share=0.95) for w in snap.workers)
    canvas.on_snapshot(dataclasses.replace(snap, workers=workers))
    texts = [t.text() for t in _texts(canvas)]
    assert "CPU 42 % (meant 95 %)" in texts
    assert not any(" % of " in t for t in texts)


@pytest.mark.parametrize("size", SIZES)
def test_every_consumers_item_in_hand_is_drawn_when_two_take_at_once(qtbot, size):
    """ "Both cards say consuming, one shows no item": two takes at the same moment send
    two tokens from the exit, the second overlapping the first, so it was not drawn;
    yet its card hid the item for the token. A card now hides only what a token
    draws: each consumer's item is on screen, in its hand or on its way."""
    cfg = SimulationConfig(producers=1, consumers=2, capacity=4)
    canvas = shown_canvas(qtbot, cfg, size)
    a, b = item_id(1, 1), item_id(1, 2)
    canvas.on_batch([Event(0.0, Kind.GOT, "C1", a, 1, 0.0), Event(0.0, Kind.GOT, "C2", b, 0, 0.0)])
    held = {"C1": (WorkerState.CONSUMING, a), "C2": (WorkerState.CONSUMING, b)}
    canvas.on_snapshot(_snap(cfg, (), held))
    items = canvas._items
    assert items is not None
    flying = {t.item for t in items.tokens if t.visible}
    cards = {c["name"]: c["item"] for c in canvas.dump()["cards"]}
    for worker, (_state, item) in held.items():
        in_hand = cards[worker] == item_label(item)
        assert in_hand != (item in flying), (worker, cards, flying)  # once, never twice
    # and once the tokens land, both in hand
    canvas.model.duration = 0.0
    canvas.refresh(force=True)
    cards = {c["name"]: c["item"] for c in canvas.dump()["cards"]}
    assert cards["C1"] == item_label(a) and cards["C2"] == item_label(b)


@pytest.mark.parametrize("boost", [1.0, 1.35, 2.0])
def test_the_paused_banner_fits_the_canvas_however_long_the_last_step(qtbot, boost):
    """A step's line plus the keys' hint outgrew a projector's 800 px in presentation
    mode: the hint goes first, then the line is cut with "…"; never clipped."""
    from simulator.engine.simulation import PAUSED

    cfg = SimulationConfig(producers=2, consumers=1, capacity=4)
    canvas = shown_canvas(qtbot, cfg, size=(800, 380))
    canvas.set_boost(boost)
    line = "P2 read tail = 0 without the lock: it will write P2-1 into slot 0"
    snap = dataclasses.replace(_snap(cfg, ()), state=PAUSED, last_step=("P2", line))
    canvas.on_snapshot(snap)
    banner = canvas._items.banner
    assert banner.text is not None and f"Last step: {line}" in banner.text  # in full
    drawn = banner.label.item.text()
    assert drawn.startswith("PAUSED · Last step: P2")
    scene = canvas.scene().sceneRect()
    for item in (banner.box, banner.label.item):
        r = item.sceneBoundingRect()
        assert scene.left() <= r.left() and r.right() <= scene.right(), (boost, r, scene)


def test_a_recovered_item_comes_back_to_the_exit_with_its_word(qtbot, monkeypatch):
    """redis: a dead consumer's item goes back to the buffer's exit; the picture says
    "recovered" beside the exit, for longer than a drop (rare, and it matters)."""
    from simulator.engine.events import make, recovered_event
    from simulator.ui import canvas as canvas_module
    from simulator.ui.canvas_model import DROP_S, RECOVER_S

    cfg = SimulationConfig(backend="redis", producers=1, consumers=2, capacity=4)
    canvas = shown_canvas(qtbot, cfg)
    item = item_id(1, 7)
    clock = [100.0]
    monkeypatch.setattr(canvas_module.time, "monotonic", lambda: clock[0])
    canvas.on_batch([make(recovered_event("C1001", item, 1))])
    canvas.on_snapshot(_snap(cfg, (item,)))
    lay = canvas._layout
    assert lay is not None
    for t in (0.05, DROP_S + 0.5, RECOVER_S - 0.3):
        clock[0] = 100.0 + t
        canvas.refresh(force=True)
        drops = canvas.dump()["drops"]
        assert [(d["item"], d["word"]) for d in drops] == [(item_label(item), "recovered")], t
    drop = canvas._items.drops[0].token.box.sceneBoundingRect()
    assert drop.center().x() > lay.buffer.center().x()  # beside the exit, not elsewhere
    clock[0] = 100.0 + RECOVER_S + 0.1
    canvas.refresh(force=True)
    assert canvas.dump()["drops"] == []


def test_a_slot_the_count_claims_and_nothing_fills_is_drawn_as_such(qtbot):
    """The no-lock race: the count says 2, the slots hold P2-1 and nothing. The canvas
    draws the real slots (Snapshot.slots): P2-1 at the exit, then a red dashed "?"."""
    from simulator.ui.canvas_items import CLAIMED_EMPTY

    cfg = SimulationConfig(producers=2, consumers=1, capacity=4)
    canvas = shown_canvas(qtbot, cfg)
    p1, p2 = item_id(1, 1), item_id(2, 1)
    snap = dataclasses.replace(_snap(cfg, (p1, p2)), slots=(p2, -1))
    canvas.on_snapshot(snap)
    canvas.refresh(force=True)
    slots = canvas._items.slots
    assert [s.item for s in slots] == [p2, CLAIMED_EMPTY, -1, -1]
    assert canvas.dump()["buffer"]["items"] == [item_label(p2)]
    assert slots[1].label is None or slots[1].label.text == "?"
