"""What the canvas shows of items in hand and of pills still to put.

* A card's item in hand reads as its full id (``P1-11``), not a bare number: two cards
  showing ``18`` and ``18`` read like one item taken twice. The token flying to a
  consumer has the size of the one in its hand, so it lands without a jump.
* The ending poison-pill on a full buffer: the main thread waits to put its pills, and
  the canvas shows a STOP tag at the buffer's entrance with ``main: 2 pills to put``
  while :attr:`Snapshot.pills_waiting` > 0, hidden after.
"""

from __future__ import annotations

import dataclasses
import threading

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event, Kind, is_pill, item_id, pill_id
from simulator.engine.simulation import RUNNING, STOPPED, Simulation
from simulator.engine.workers import WorkerState
from simulator.ui.canvas_layout import card_lines, held_anchor
from simulator.ui.canvas_scene import ending_text
from simulator.ui.stats import StatsPanel
from tests.engine.waiting import wait_for
from tests.ui.runs import shown_canvas, snapshot_of

SIZES = [(670, 420), (936, 421), (1280, 720)]  # a 1024 window's canvas, the tests', 720p


@pytest.mark.parametrize("size", SIZES)
def test_a_cards_item_in_hand_reads_as_its_full_id(qtbot, size):
    cfg = SimulationConfig(producers=3, consumers=2, capacity=10)
    canvas = shown_canvas(qtbot, cfg, size)
    held = {
        "P1": (WorkerState.WAITING_FULL, item_id(1, 118)),
        "C1": (WorkerState.CONSUMING, item_id(2, 118)),
        "C2": (WorkerState.CONSUMING, item_id(3, 7)),
    }
    canvas.on_snapshot(snapshot_of(cfg, (), states=held))
    canvas.refresh(force=True)
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None
    for name, want in (("P1", "P1-118"), ("C1", "P2-118"), ("C2", "P3-7")):
        card = items.cards[name]
        assert card.lines == 3 and card.held is not None
        assert card.held.label is not None and card.held.label.text == want
        # inside its card, right of the stripe, clear of the right edge
        box = card.held.box.sceneBoundingRect()
        assert card.rect.left() < box.left() and box.right() <= card.rect.right()


@pytest.mark.parametrize("size", SIZES)
def test_a_token_lands_as_its_card_shows_it(qtbot, size):
    """The flying token has the size of the card's token, and ends where it is drawn."""
    cfg = SimulationConfig(producers=1, consumers=2, capacity=4)
    canvas = shown_canvas(qtbot, cfg, size)
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None
    card = items.cards["C1"]
    assert card.held is not None
    flying = items.tokens[0]
    assert (flying.w, flying.h) == (card.held.w, card.held.h)
    assert held_anchor(lay.consumers["C1"], "consumer", lay) == card.held_pos
    item = item_id(1, 11)
    canvas.on_batch([Event(0.0, Kind.GOT, "C1", item, 0, 0.0)])
    canvas.on_snapshot(
        snapshot_of(cfg, (), states={"C1": (WorkerState.CONSUMING, item)}), refresh=False
    )
    canvas.refresh(force=True)
    assert flying.visible and flying.label is not None and flying.label.text == "P1-11"


def test_many_workers_keep_their_fallbacks(qtbot):
    """64 a side: cards of one line, tokens beside the column no wider than the gap."""
    cfg = SimulationConfig(producers=64, consumers=64, capacity=10)
    canvas = shown_canvas(qtbot, cfg, (1280, 720))
    lay = canvas._layout
    assert lay is not None
    rect = next(iter(lay.consumers.values()))
    assert card_lines(rect, lay.scale) < 3
    size = lay.held["consumer"]
    assert size.width() <= lay.consumers_left - lay.buffer.right()


def _pills_snapshot(cfg: SimulationConfig, waiting: int, in_buffer: int):
    items = tuple(item_id(1, k) for k in range(1, cfg.capacity - in_buffer + 1))
    pills = tuple(pill_id(k) for k in range(1, in_buffer + 1))
    snap = snapshot_of(cfg, items + pills, consumers=WorkerState.CONSUMING)
    return dataclasses.replace(
        snap, ending="poison-pill", pills_waiting=waiting, in_buffer=len(items)
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_pills_the_main_thread_waits_to_put_are_drawn_at_the_entrance(qtbot, size):
    cfg = SimulationConfig(producers=3, consumers=2, capacity=6)
    canvas = shown_canvas(qtbot, cfg, size)
    canvas.on_snapshot(_pills_snapshot(cfg, waiting=2, in_buffer=0))
    canvas.refresh(force=True)
    items, lay = canvas._items, canvas._layout
    assert items is not None and lay is not None and items.pending_pills is not None
    pending = items.pending_pills
    assert pending.visible and pending.label.text == "main: 2 pills to put"
    assert pending.token.label is not None and pending.token.label.text == "STOP"
    assert canvas.dump()["pills_waiting"] == 2
    # at the entrance, outside the buffer and clear of the producers' cards
    box = pending.token.box.sceneBoundingRect()
    assert not box.intersects(lay.buffer) and box.left() >= lay.producers_right
    assert box.left() <= lay.buffer.left() + 2 and box.top() <= lay.entrance.y()
    caption = pending.label.item.sceneBoundingRect()
    assert caption.bottom() <= lay.buffer.top() and caption.right() <= lay.consumers_left
    assert not caption.intersects(box) and caption.left() >= lay.producers_right
    # one put: one to go, the other in the buffer
    canvas.on_snapshot(_pills_snapshot(cfg, waiting=1, in_buffer=1))
    canvas.refresh(force=True)
    assert pending.visible and pending.label.text == "main: 1 pill to put"
    # every pill put: nothing waits
    canvas.on_snapshot(_pills_snapshot(cfg, waiting=0, in_buffer=2))
    canvas.refresh(force=True)
    assert not pending.visible and not pending.token.box.isVisible()
    assert pending.label.text == "" and canvas.dump()["pills_waiting"] == 0


#: fast producers, slow consumers, a small buffer: full when a poison-pill ending
#: starts, so the main thread waits to put its pills
FULL_THEN_PILLS = SimulationConfig(
    producers=2, consumers=2, capacity=4, producer_sleep=(0.0, 0.01), consumer_sleep=(0.3, 0.5)
)


def _poison_pill_ending(sim: Simulation) -> threading.Thread:
    """The ending poison-pill of ``sim``, in a thread of its own (not started)."""
    return threading.Thread(
        target=sim.stop, kwargs={"ending": "poison-pill", "drain_timeout": 60.0}
    )


def test_a_real_poison_pill_ending_shows_the_waiting_pills_then_hides_them(qtbot):
    """A real run (threads) with a full buffer and slow consumers, each snapshot handed
    to the canvas as the window would: the pending pill shows, then goes."""
    cfg = FULL_THEN_PILLS
    canvas = shown_canvas(qtbot, cfg, (936, 421))
    sim = Simulation(cfg)
    sim.start()
    ender = _poison_pill_ending(sim)
    shown: list[int] = []

    def drawn() -> int:
        canvas.on_snapshot(snap := sim.snapshot())
        canvas.refresh(force=True)
        n = canvas.dump()["pills_waiting"]
        assert n == (snap.pills_waiting if snap.state == RUNNING else 0)
        shown.append(n)
        return n

    try:
        assert sim.ready.wait(60.0)
        assert wait_for(
            lambda: any(w.state == WorkerState.WAITING_FULL for w in sim.snapshot().workers),
            30.0,
        )
        ender.start()
        assert wait_for(lambda: drawn() > 0, 30.0), "the waiting pill is drawn"
        assert wait_for(lambda: drawn() == 0, 60.0), "and hidden once every pill is in"
        ender.join(90.0)
        snap = sim.snapshot()
        drawn()
        assert snap.state == STOPPED and snap.ok and snap.produced == snap.consumed
        assert shown[-1] == 0
    finally:
        if ender.is_alive():
            ender.join(90.0)
        sim.stop()


def test_header_stats_and_canvas_show_the_snapshots_pills_in_buffer(qtbot):
    """A real poison-pill ending on a full buffer: at every frame the canvas's header,
    the statistics' row and the slots drawn agree with :attr:`Snapshot.pills_in_buffer`,
    which each view used to count from its own source (the slots or the buffer, gated
    on the ending or not)."""
    cfg = FULL_THEN_PILLS
    canvas = shown_canvas(qtbot, cfg, (936, 421))
    stats = StatsPanel()
    qtbot.addWidget(stats)
    sim = Simulation(cfg)
    sim.start()
    ender = _poison_pill_ending(sim)
    seen: list[int] = []

    def frame() -> bool:
        snap = sim.snapshot()
        canvas.on_snapshot(snap)
        canvas.refresh(force=True)
        stats.on_snapshot(snap)
        n = snap.pills_in_buffer
        assert n == sum(1 for i in snap.buffer if is_pill(i))
        assert snap.occupancy == snap.in_buffer + n
        header = canvas._items.headers.buffer.text
        row = stats.values["in_buffer"].text()
        drawn = canvas.dump()["buffer"]["items"]
        assert (f"+ {n} STOP" in header) == (n > 0) and (f"+ {n} STOP" in row) == (n > 0)
        assert sum(1 for label in drawn if label.startswith("pill-")) == n
        seen.append(n)
        return n > 0 and snap.occupancy == snap.capacity

    try:
        assert sim.ready.wait(60.0)
        assert wait_for(
            lambda: any(w.state == WorkerState.WAITING_FULL for w in sim.snapshot().workers),
            30.0,
        )
        ender.start()
        assert wait_for(frame, 60.0), f"a full buffer with pills in it is shown ({seen})"
        ender.join(90.0)
        frame()
        assert seen[-1] == 0, "every pill taken"
    finally:
        if ender.is_alive():
            ender.join(90.0)
        sim.stop()


def test_a_poison_pill_ending_cut_short_says_what_it_left():
    """Stopped at its time limit with pills still in the buffer and items in hand, the
    ending does not claim "every consumer ended, nothing lost"."""
    cfg = SimulationConfig(producers=1, consumers=2, capacity=4)
    left = dataclasses.replace(
        snapshot_of(cfg, (pill_id(1), pill_id(2)), run_state=STOPPED),
        ending="poison-pill",
        in_buffer=0,
        in_hand=2,
    )
    assert ending_text(left) == (
        "poison-pill cut short: 2 pills never taken · "
        "2 items left unconsumed (in hand), in the books"
    )
    done = dataclasses.replace(left, buffer=(), pills_in_buffer=0, in_hand=0)
    assert ending_text(done) == "poison pills taken: every consumer ended, nothing lost"
    drained = dataclasses.replace(done, ending="drain", in_buffer=3, buffer=(item_id(1, 1),) * 3)
    assert ending_text(drained) == (
        "drain cut short: 3 items left unconsumed (in the buffer), in the books"
    )
