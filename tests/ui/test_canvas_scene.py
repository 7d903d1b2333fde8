"""The canvas's scene: what the builders make for each buffer mode and number of workers,
and what a card shows for each run state (``theme.display_state``)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.events import item_id
from simulator.engine.simulation import IDLE, PAUSED, RUNNING, STOPPED, Snapshot
from simulator.engine.workers import Role, WorkerState
from simulator.ui import theme
from simulator.ui.canvas import SimulationCanvas, idle_workers
from simulator.ui.canvas_layout import card_lines
from simulator.ui.canvas_model import MAX_DROPS, MAX_TOKENS
from tests.ui.runs import shown_canvas, snapshot_of

# Qt items in the scene of an idle canvas at 1280x720, by (capacity, workers per side),
# counted on the canvas before it was split into items, builders and view (commit
# c2d653c): the builders must make exactly these. Since #11, 64 cards a side carry no
# state word but a per-state count line under their column (+1 a side), and tokens as
# small as those cards carry no label (-48). Since #14 the pool of MAX_DROPS dropped
# items (a tag, its word, and its label where tokens have one) comes on top: _with_drops;
# and the main thread's pills still to put (a STOP tag, its label, its caption).
BEFORE_SPLIT = {
    (1, 1): {"Line": 2, "Path": 64, "SimpleText": 72, "Text": 1},
    (1, 8): {"Line": 16, "Path": 106, "SimpleText": 128, "Text": 1},
    (1, 64): {"Line": 128, "Path": 314, "SimpleText": 402, "Text": 1},
    (10, 1): {"Line": 2, "Path": 73, "SimpleText": 81, "Text": 1},
    (10, 8): {"Line": 16, "Path": 115, "SimpleText": 137, "Text": 1},
    (10, 64): {"Line": 128, "Path": 323, "SimpleText": 411, "Text": 1},
    (200, 1): {"Line": 2, "Path": 263, "SimpleText": 71, "Text": 1},
    (200, 8): {"Line": 16, "Path": 305, "SimpleText": 127, "Text": 1},
    (200, 64): {"Line": 128, "Path": 513, "SimpleText": 401, "Text": 1},
    (1000, 1): {"Line": 2, "Path": 63, "Rect": 1, "SimpleText": 72, "Text": 1},
    (1000, 8): {"Line": 16, "Path": 105, "Rect": 1, "SimpleText": 128, "Text": 1},
    (1000, 64): {"Line": 128, "Path": 313, "Rect": 1, "SimpleText": 402, "Text": 1},
}


def _canvas(qtbot, cfg: SimulationConfig) -> SimulationCanvas:
    return shown_canvas(qtbot, cfg, (1280, 720))


def _snapshot(state: str, cfg: SimulationConfig, fill: int) -> Snapshot:
    """A run in ``state``: producers producing, consumers consuming, ``fill`` items."""
    buffer = tuple(item_id(1, k) for k in range(fill))
    return snapshot_of(cfg, buffer, run_state=state, consumers=WorkerState.CONSUMING)


def _with_drops(kinds: dict[str, int], labelled: bool) -> dict[str, int]:
    """``kinds`` and the dropped items' pool: a tag, its word, its label if labelled."""
    out = dict(kinds)
    out["Path"] += MAX_DROPS
    out["SimpleText"] += MAX_DROPS * (2 if labelled else 1)
    out["Path"] += 1  # the pending pill's tag
    out["SimpleText"] += 2  # its STOP label and "main: 2 pills to put"
    return out


@pytest.mark.parametrize("n", [1, 8, 64])
@pytest.mark.parametrize("capacity", [1, 10, 200, 1000])
def test_builders_make_the_same_items_as_before_the_split(qtbot, capacity, n):
    cfg = SimulationConfig(producers=n, consumers=n, capacity=capacity)
    canvas = _canvas(qtbot, cfg)
    kinds = Counter(
        type(i).__name__.removeprefix("QGraphics").removesuffix("Item")
        for i in canvas.scene().items()
    )
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None
    labelled = lay.token.height() >= 15
    want = _with_drops(BEFORE_SPLIT[(capacity, n)], labelled)
    # the travelling tokens have a hand's size (the full id where the card or the gap
    # beside its column has room); before, they had the slots' size, and 64 a side had
    # cards too low for a label (they grow to fill the height now)
    was_labelled = labelled and n != 64
    if lay.held["consumer"].height() >= 15 and not was_labelled:
        want["SimpleText"] += MAX_TOKENS
    # every card has a hand now (before, only cards of three lines): a tag, and its
    # label where the hand is tall enough for one
    for card in items.cards.values():
        if card.lines < 3:
            assert card.held is not None
            want["Path"] += 1
            want["SimpleText"] += card.held.label is not None
    assert dict(kinds) == want
    assert list(items.cards) == [v.name for v in idle_workers(cfg)]
    assert len(items.tokens) == MAX_TOKENS
    if lay.mode == "bar":
        assert items.bar is not None and items.slots == []
    else:
        assert items.bar is None and len(items.slots) == capacity
        assert all((s.label is not None) == (lay.mode == "row") for s in items.slots)
    for card in items.cards.values():
        assert card.held is not None  # every card shows the item in its hand


@pytest.mark.parametrize(("capacity", "mode"), [(10, "row"), (200, "grid"), (1000, "bar")])
def test_a_running_snapshot_fills_the_buffer_in_each_mode(qtbot, capacity, mode):
    cfg = SimulationConfig(producers=2, consumers=2, capacity=capacity)
    canvas = _canvas(qtbot, cfg)
    canvas.on_snapshot(_snapshot(RUNNING, cfg, fill=capacity // 2))
    canvas.refresh(force=True)
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None and lay.mode == mode
    assert items.headers.buffer.text == f"Buffer  {capacity // 2} / {capacity}"
    if mode == "bar":
        assert items.bar is not None and items.bar.label.text == f"{capacity // 2} items"
    else:
        assert [s.item >= 0 for s in items.slots].count(True) == capacity // 2
    assert items.cards["P1"].shown_state == WorkerState.PRODUCING
    assert items.cards["C2"].shown_state == WorkerState.CONSUMING
    assert items.cards["C2"].count.text == ("2 done" if items.cards["C2"].lines == 3 else "2")
    assert not items.banner.shown


@pytest.mark.parametrize(
    ("run_state", "worker_state", "shown"),
    [
        (RUNNING, WorkerState.PRODUCING, WorkerState.PRODUCING),
        (RUNNING, WorkerState.WAITING_FULL, WorkerState.WAITING_FULL),
        (IDLE, theme.READY, theme.READY),
        (PAUSED, WorkerState.CONSUMING, WorkerState.CONSUMING),  # a pause keeps the state
        (PAUSED, WorkerState.WAITING_FULL, WorkerState.WAITING_FULL),
        (PAUSED, theme.READY, theme.READY),  # never started: nothing to pause
        (STOPPED, WorkerState.CONSUMING, WorkerState.STOPPED),
        (STOPPED, theme.READY, WorkerState.STOPPED),
    ],
)
def test_display_state(run_state, worker_state, shown):
    assert theme.display_state(run_state, worker_state) == shown
    assert shown in theme.STATE_COLORS  # every shown state has its own colour


@pytest.mark.parametrize(("run_state", "shown"), [(PAUSED, None), (STOPPED, "stopped")])
def test_cards_show_the_display_state_and_the_banner_follows_a_pause(qtbot, run_state, shown):
    """Paused cards keep their own states (``shown`` None); stopped ones say stopped."""
    cfg = SimulationConfig(producers=3, consumers=2, capacity=5)
    canvas = _canvas(qtbot, cfg)
    canvas.on_snapshot(_snapshot(run_state, cfg, fill=2))
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None
    own = {WorkerState.PRODUCING, WorkerState.CONSUMING}
    assert {c.shown_state for c in items.cards.values()} == ({shown} if shown else own)
    assert all(c.state.text == c.shown_state for c in items.cards.values() if c.lines >= 2)
    assert items.banner.shown == (run_state == PAUSED)
    assert items.banner.box.isVisible() == (run_state == PAUSED)


def test_the_banner_counts_workers_still_starting_then_goes(qtbot):
    """The run's clock waits for every worker; the picture says why nothing moves yet."""
    cfg = SimulationConfig(producers=3, consumers=2, capacity=5)
    canvas = _canvas(qtbot, cfg)
    starting = dataclasses.replace(_snapshot(RUNNING, cfg, fill=0), starting=(2, 5))
    canvas.on_snapshot(starting)
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None and items.banner.box.isVisible()
    assert items.banner.label.text == "Starting workers 2/5…"
    canvas.on_snapshot(dataclasses.replace(starting, starting=(5, 5)))
    canvas.refresh(force=True)
    assert not items.banner.shown and not items.banner.box.isVisible()


def test_idle_workers_are_named_by_role_and_ready():
    views = idle_workers(SimulationConfig(producers=2, consumers=3))
    assert [v.name for v in views] == ["P1", "P2", "C1", "C2", "C3"]
    assert [v.role for v in views] == [Role.PRODUCER] * 2 + [Role.CONSUMER] * 3
    assert {v.state for v in views} == {theme.READY}


def test_the_scene_is_rebuilt_only_when_the_layout_changes(qtbot):
    cfg = SimulationConfig(producers=2, consumers=2, capacity=4)
    canvas = _canvas(qtbot, cfg)
    first = canvas._items
    canvas.refresh(force=True)
    assert canvas._items is first
    canvas.show_config(cfg.replace(capacity=5))
    assert canvas._items is not first and canvas._items is not None
    assert len(canvas._items.slots) == 5
    assert card_lines(canvas._layout.producers["P1"], canvas._layout.scale) == 3


@pytest.mark.parametrize("size", [(1024, 768), (900, 600)])
def test_a_long_ending_note_wraps_and_covers_no_card(qtbot, size):
    """The poison-pill note is wider than the room between the columns at these sizes:
    it wraps onto more lines instead of covering C1's name (it used to)."""
    cfg = SimulationConfig(producers=2, consumers=3, capacity=8)
    canvas = _canvas(qtbot, cfg)
    canvas.resize(*size)
    snap = dataclasses.replace(_snapshot(RUNNING, cfg, fill=3), ending="poison-pill")
    canvas.on_snapshot(snap)
    canvas.refresh(force=True)
    items = canvas._items
    assert items is not None and items.banner.box.isVisible()
    assert "\n" in items.banner.label.text
    box = items.banner.box.sceneBoundingRect()
    for card in items.cards.values():
        assert not box.intersects(card.box.sceneBoundingRect()), card


def test_the_bar_names_the_pills_the_header_counts(qtbot):
    """Bar mode, a poison-pill ending on a full buffer of 1000: the bar said "1,000
    items" under "936 / 1000 + 64 STOP"; it names the pills as the header does."""
    from simulator.engine.events import pill_id

    cfg = SimulationConfig(producers=2, consumers=64, capacity=1000)
    canvas = _canvas(qtbot, cfg)
    buffer = tuple(item_id(1, k) for k in range(936)) + tuple(pill_id(k) for k in range(1, 65))
    snap = dataclasses.replace(
        snapshot_of(cfg, buffer, consumers=WorkerState.CONSUMING),
        ending="poison-pill",
        in_buffer=936,
    )
    canvas.on_snapshot(snap)
    canvas.refresh(force=True)
    items = canvas._items
    assert items.headers.buffer.text.startswith("Buffer  936 / 1000 + 64 STOP")
    assert items.bar is not None and items.bar.label.text == "936 items + 64 STOP"
    assert canvas.dump()["buffer"]["count"] == 1000


def test_a_buffer_of_poison_pills_only_is_not_called_empty(qtbot):
    """Two STOP pills and no item: the header counts them, without the purple EMPTY of
    a buffer consumers starve on (they are about to take a pill each)."""
    from simulator.engine.events import pill_id

    cfg = SimulationConfig(producers=1, consumers=2, capacity=5)
    canvas = _canvas(qtbot, cfg)
    snap = dataclasses.replace(
        _snapshot(RUNNING, cfg, fill=0),
        ending="poison-pill",
        buffer=(pill_id(1), pill_id(2)),
        pills_in_buffer=2,
        in_buffer=0,
    )
    canvas.on_snapshot(snap)
    canvas.refresh(force=True)
    headers = canvas._items.headers
    assert headers.buffer.text == "Buffer  0 / 5 + 2 STOP" and headers.status.text == ""
