"""The card grid uses the room it has: 64 workers a side in presentation mode get cards
as tall as the text size asks (the names a room at the back of a hall reads), the buffer
keeping its share of the width; a few workers' cards stay as they were."""

from __future__ import annotations

from itertools import combinations

import pytest

from simulator.ui.canvas_layout import (
    MIDDLE_SHARE,
    MIN_TEXT_PX,
    compute_layout,
    estimate,
    name_line,
)

P64 = [f"P{i}" for i in range(1, 65)]
C64 = [f"C{i}" for i in range(1, 65)]


@pytest.mark.parametrize("size", [(1280, 380), (1280, 420), (1900, 900)])
def test_64_a_side_in_presentation_get_names_as_large_as_the_text_size_asks(size):
    """At 1280x720 full screen the canvas is 1280x380: the 64 cards a side were 11 rows
    of 20 px with 12 px names, the middle far wider than the buffer needed."""
    lay = compute_layout(*size, P64, C64, 10, boost=1.35)
    px = 13 * lay.scale
    assert px > MIN_TEXT_PX
    cards = {**lay.producers, **lay.consumers}
    assert len(cards) == 128
    # tall enough for a one-line card's name at px, and wide enough to hold it
    assert min(r.height() for r in cards.values()) >= name_line(px) - 0.01
    for name, r in cards.items():
        assert r.width() >= estimate(name, px, True) + 9 * lay.scale, name
    body_w = size[0] - 2 * 12 * lay.scale
    assert lay.middle.width() >= MIDDLE_SHARE * body_w - 0.01
    assert lay.middle.adjusted(-7, -7, 7, 7).contains(lay.buffer)  # its frame: 6 px out


@pytest.mark.parametrize("boost", [1.0, 1.35, 1.62])
@pytest.mark.parametrize("size", [(920, 380), (1280, 380), (1024, 410), (560, 260)])
@pytest.mark.parametrize(("p", "c"), [(3, 2), (16, 16), (64, 64)])
def test_cards_stay_apart_inside_their_column_above_their_counts(size, boost, p, c):
    lay = compute_layout(*size, P64[:p], C64[:c], 10, boost=boost)
    for side, right in ((lay.producers, lay.producers_right), (lay.consumers, None)):
        for a, b in combinations(side.values(), 2):
            assert not a.intersects(b)
        for r in side.values():
            assert r.top() >= 0 and r.bottom() <= lay.legend.top()
            if right is not None:
                assert r.right() <= lay.middle.left()
            else:
                assert r.left() >= lay.middle.right()
    for role, cards in (("producer", lay.producers), ("consumer", lay.consumers)):
        tally = lay.tally[role]
        if not tally.isNull():
            assert max(r.bottom() for r in cards.values()) <= tally.top()


@pytest.mark.parametrize("boost", [1.0, 1.35])
@pytest.mark.parametrize("size", [(920, 380), (1280, 380), (1024, 410)])
def test_three_producers_and_two_consumers_keep_their_cards(size, boost):
    """A few workers' cards are as tall as a card gets (72 px times the scale), in
    columns of the width they had: no wider column takes the buffer's room."""
    lay = compute_layout(*size, P64[:3], C64[:2], 10, boost=boost)
    s = lay.scale
    body_w = size[0] - 2 * 12 * s
    side = max(110.0, min(280.0 * s, body_w * 0.22))
    for r in [*lay.producers.values(), *lay.consumers.values()]:
        assert r.height() == pytest.approx(72 * s)
        assert r.width() == pytest.approx(side)
