"""Canvas layout and animation model: legible from 1 to 64 workers, capacity 1 to 1000;
no backlog of animations at high rates."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from simulator.engine.events import Event, Kind, item_id
from simulator.ui.canvas_layout import compute_layout
from simulator.ui.canvas_model import FAST_MOVES_PER_FRAME, MAX_TOKENS, CanvasModel


@pytest.mark.parametrize(("n", "capacity"), [(1, 1), (3, 10), (16, 16), (40, 100), (64, 1000)])
@pytest.mark.parametrize("size", [(940, 430), (1900, 900)])
def test_everything_fits_and_nothing_overlaps(n, capacity, size):
    w, h = size
    names_p = [f"P{i}" for i in range(1, n + 1)]
    names_c = [f"C{i}" for i in range(1, n + 1)]
    lay = compute_layout(w, h, names_p, names_c, capacity)
    bounds = QRectF(0, 0, w, h)
    cards = [*lay.producers.values(), *lay.consumers.values()]
    assert len(cards) == 2 * n
    for r in cards:
        assert bounds.contains(r) and r.height() >= 14 and r.width() >= 30
    for group in (list(lay.producers.values()), list(lay.consumers.values())):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                assert not a.intersects(b)
    assert bounds.contains(lay.buffer)
    for r in cards:
        assert not r.intersects(lay.buffer)
    if lay.mode != "bar":
        assert len(lay.slots) == capacity
        assert all(lay.buffer.contains(s) for s in lay.slots)


def moves(n, worker="P1", kind=Kind.PUT):
    return [Event(0.0, kind, worker, item_id(1, i), 1, 0.0) for i in range(n)]


def test_one_token_per_worker_no_backlog():
    m = CanvasModel()
    m.feed(moves(5), now=0.0)
    assert len(m.tokens) == 1 and m.tokens["P1"].item == item_id(1, 4)


def test_high_rates_switch_to_fast_mode_and_drop_tokens():
    m = CanvasModel()
    m.feed(moves(3), now=0.0)
    m.feed(moves(FAST_MOVES_PER_FRAME + 1), now=0.1)
    assert m.fast(0.2) and not m.tokens
    m.feed(moves(1), now=0.3)
    assert not m.tokens  # still fast
    assert not m.fast(2.0)


def test_token_count_is_capped_and_tokens_expire():
    m = CanvasModel()
    batch = [Event(0.0, Kind.GOT, f"C{i}", item_id(1, i), 0, 0.0) for i in range(20)]
    for k in range(4):
        m.feed([e._replace(worker=e.worker + f"x{k}") for e in batch], now=0.0)
    assert len(m.tokens) <= MAX_TOKENS
    assert m.live_tokens(now=1.0) == []


def test_an_item_taken_at_once_is_not_drawn_twice():
    m = CanvasModel()
    item = item_id(1, 1)
    m.feed(
        [Event(0.0, Kind.PUT, "P1", item, 1, 0.0), Event(0.0, Kind.GOT, "C1", item, 0, 0.0)],
        now=0.0,
    )
    assert [t.worker for t in m.tokens.values()] == ["C1"]
