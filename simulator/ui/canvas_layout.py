"""Where everything goes on the canvas: rectangles and points only, no items, colours or
fonts (computed once per resize or change of workers/capacity, never per frame)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, QSizeF

from simulator.engine.workers import Role

ROW_MAX_CAPACITY = 16  # up to this, one row of labelled slots
GRID_MAX_CAPACITY = 400  # up to this, a grid of small cells; beyond, a fill bar
CARD_INSET = 9.0  #: where a card's text starts, right of its state stripe (times scale)
MAX_COLUMNS = 8  #: a side's cards are in at most this many columns
MIN_TEXT_PX = 12  #: no text on the canvas is smaller (readable from the back of a room)
#: the longest short state word a one-line card must hold beside its name
WIDEST_SHORT_WORD = "paused"
#: a scenario's caption takes at most this many lines (the rest is elided, in a tooltip)
CAPTION_LINES = 2

#: measures ``text`` at ``px`` pixels (bold or not): the canvas passes its font's metrics
Measure = Callable[[str, float, bool], float]


def estimate(text: str, px: float, bold: bool) -> float:
    """A generous guess at a text's width, for layouts computed without a font."""
    return len(text) * px * (0.68 if bold else 0.6)


def text_px(scale: float) -> float:
    """The size of small text (card states, slots, legend) at ``scale``."""
    return max(MIN_TEXT_PX, 12.0 * scale)


@dataclass
class Layout:
    width: float
    height: float
    scale: float
    producers: dict[str, QRectF] = field(default_factory=dict)
    consumers: dict[str, QRectF] = field(default_factory=dict)
    buffer: QRectF = field(default_factory=QRectF)
    slots: list[QRectF] = field(default_factory=list)  # index 0 = oldest, at the exit
    mode: Literal["row", "grid", "bar"] = "row"
    entrance: QPointF = field(default_factory=QPointF)
    exit: QPointF = field(default_factory=QPointF)
    token: QSizeF = field(default_factory=lambda: QSizeF(48, 20))
    header_y: float = 0.0
    legend: QRectF = field(default_factory=QRectF)
    middle: QRectF = field(default_factory=QRectF)  #: between the two columns of cards
    #: per role, where the per-state counts go when that side's cards are too small for
    #: a word (null rect: the cards carry their words)
    tally: dict[str, QRectF] = field(default_factory=dict)
    producers_right: float = 0.0  #: the right edge of the producers' column
    consumers_left: float = 0.0  #: the left edge of the consumers' column
    #: per role ("producer", "consumer"): the size of a token in a worker's hand, on its
    #: card or beside its column (see :func:`held_sizes`); a token flying to a consumer
    #: has the consumers' size, so it lands as the card shows it
    held: dict[str, QSizeF] = field(default_factory=dict)
    #: the band kept for a scenario's caption, above the legend and under the cards and
    #: the buffer's marks (null rect: no caption), and its lines at ``caption_px``
    caption: QRectF = field(default_factory=QRectF)
    caption_px: float = 0.0
    caption_lines: list[str] = field(default_factory=list)
    #: per role: True where a card's hand lies over its state stripe (cards of one line
    #: with no room for a chip right of the name); the border and tint still say the state
    hand_on_stripe: dict[str, bool] = field(default_factory=dict)


def _cells(area: QRectF, names: list[str], max_h: float, min_h: float) -> dict[str, QRectF]:
    """Stack ``names`` in ``area``: one column while cards stay at least ``min_h`` tall
    (a line of text), then more columns (64 workers still fit a 720p window)."""
    n = max(1, len(names))
    gap = 6.0 if n <= 16 else 3.0
    cols = 1
    while True:
        rows = math.ceil(n / cols)
        h = (area.height() - gap * (rows - 1)) / rows
        if h >= min_h or cols >= MAX_COLUMNS:
            break
        cols += 1
    h = min(h, max_h)
    w = (area.width() - gap * (cols - 1)) / cols
    used = rows * h + gap * (rows - 1)
    top = area.top() + max(0.0, (area.height() - used) / 2)
    out: dict[str, QRectF] = {}
    for i, name in enumerate(names):
        r, c = divmod(i, cols)
        out[name] = QRectF(area.left() + c * (w + gap), top + r * (h + gap), w, h)
    return out


def words_fit(rect: QRectF, name: str, scale: float, measure: Measure) -> bool:
    """Whether a card in ``rect`` can say its state in a word (a second line, or the
    short word beside the name) at no less than :data:`MIN_TEXT_PX`."""
    if card_lines(rect, scale) >= 2:
        return True
    px = text_px(scale)
    need = (
        CARD_INSET * scale
        + measure(name, px, True)
        + 6
        + measure(WIDEST_SHORT_WORD, px, False)
        + 4
        + hand_chip(rect.height(), 1, scale).width()  # the hand ends the line
        + 4
    )
    return need <= rect.width()


def hand_chip(card_h: float, lines: int, scale: float) -> QSizeF:
    """The least a hand takes at the end of a card's last line (cards of one or two
    lines): a chip its colour alone tells, as tall as the line allows."""
    h = max(6.0, min(20.0 * scale, card_h / lines - 4))
    return QSizeF(1.6 * h, h)


#: the narrowest chip (of the held item's colour) drawn right of a one-line card's
#: name, the gap already counted out; with less room the hand lies over the card's
#: state stripe (:attr:`Layout.hand_on_stripe`)
MIN_CHIP_W = 8.0


def _name_room(names: list[str], height: float, scale: float, measure: Measure) -> float:
    """How wide a column of ``names`` must be for cards as low as one line of text to
    hold their names at :data:`MIN_TEXT_PX` (what 64 cards a side need when enlarged)."""
    if not names:
        return 0.0
    px = text_px(scale)
    gap = 3.0
    line = px * 1.2 + 3
    rows = max(1, math.floor((height - 2 * px * 1.35 - 6 + gap) / (line + gap)))
    cols = math.ceil(len(names) / rows)
    name_w = max(measure(n, MIN_TEXT_PX, True) for n in names) + 6 * scale + 5
    return cols * name_w + (cols - 1) * gap


def name_line(px: float) -> float:
    """The height of a one-line card whose name is ``px`` tall (the inverse of the
    card's own rule, name = (height - 4) / 1.3)."""
    return px * 1.3 + 4


def _tally_h(scale: float) -> float:
    """The height the per-state counts take under a column of name-only cards."""
    return 2 * text_px(scale) * 1.35 + 6


def _grown_room(
    names: list[str], height: float, scale: float, px: float, measure: Measure
) -> float:
    """How wide a column of one-line ``names`` cards must be for their names to be
    ``px`` tall: as many rows of such cards as ``height`` holds (less the per-state
    counts under them), as many columns as that takes, each as wide as the widest
    name at ``px`` (the card narrows its inset before it shrinks a name)."""
    if not names:
        return 0.0
    gap = 3.0
    rows = max(1, math.floor((height - _tally_h(scale) + gap) / (name_line(px) + gap)))
    cols = math.ceil(len(names) / rows)
    if cols > MAX_COLUMNS:  # _cells makes no more: the cards would be lower
        return math.inf
    name_w = max(measure(n, px, True) for n in names) + 9 * scale + 2
    return cols * name_w + (cols - 1) * gap


def _column(
    area: QRectF, names: list[str], scale: float, measure: Measure, name_px: float = 0.0
) -> tuple[dict[str, QRectF], QRectF]:
    """The cards of one side, and where its per-state counts go when the cards cannot
    hold a word (two lines of text under the cards; a null rect when not needed).

    Cards are never lower than a one-line card with a ``name_px`` name: with many
    workers the grid takes more (shorter) rows only while the names stay that large,
    so the column's width, not just its height, decides how large they are."""
    floor = name_line(name_px) if name_px > 0 else 0.0
    min_h = max(20.0, text_px(scale) * 1.3 + 4, floor)
    cells = _cells(area, names, 72 * scale, min_h)
    if all(words_fit(r, n, scale, measure) for n, r in cells.items()):
        return cells, QRectF()
    line = text_px(scale) * 1.35
    tally_h = _tally_h(scale)
    cards_area = area.adjusted(0, 0, 0, -tally_h)
    # cards that only carry a name may be as low as the name
    cells = _cells(cards_area, names, 72 * scale, max(text_px(scale) * 1.2 + 3, floor))
    return cells, QRectF(area.left(), area.bottom() - tally_h + 6, area.width(), 2 * line)


#: the least of the canvas's width the buffer keeps between the columns when they grow
MIDDLE_SHARE = 0.3
#: the least gap between a column and the buffer (the lines to the entrance cross it)
MIN_GAP = 50.0


def _grow(
    body: QRectF,
    side: float,
    gap: float,
    producers: list[str],
    consumers: list[str],
    scale: float,
    measure: Measure,
) -> tuple[float, float, float]:
    """``(side, gap, name_px)``: the columns' width, the gap to the buffer and how large
    the names of one-line cards are, for a room at the back of a hall.

    Many workers (64 a side) fill the column's height with one-line cards whose names
    shrink to :data:`MIN_TEXT_PX`, while the middle stays wider than the buffer needs.
    Their names are made as large as the text size asks (13 px times ``scale``: larger
    in presentation mode) where wider columns of more, taller cards hold them, the
    buffer keeping :data:`MIDDLE_SHARE` of the width. Few workers' cards are as tall
    as they were: their names need no wider column."""
    want = 13 * scale
    px = want
    while px > MIN_TEXT_PX:
        need = max(
            _grown_room(producers, body.height(), scale, px, measure),
            _grown_room(consumers, body.height(), scale, px, measure),
        )
        if need <= side:
            return side, gap, px
        g = max(MIN_GAP, min(gap, (body.width() * (1 - MIDDLE_SHARE) - 2 * need) / 2))
        if 2 * need + 2 * g <= body.width() * (1 - MIDDLE_SHARE):
            return need, g, px
        px -= 0.5
    return side, gap, 0.0


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width`` by ``measure`` (a text's width: a
    font's metrics, or a :data:`Measure` at one size) where its words allow (greedy, at
    single spaces; a word wider than ``width`` keeps its own line). One wrap for the
    layout's caption band and the drawn banner, so the two cannot break differently."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and measure(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    return lines


def _bold(measure: Measure, px: float, text: str) -> float:
    return measure(text, px, True)


def caption_text(
    text: str, width: float, scale: float, measure: Measure
) -> tuple[float, list[str]]:
    """``(px, lines)``: a caption's size and lines in a band ``width`` wide: as large as
    15 px times ``scale`` while it fits on :data:`CAPTION_LINES` lines, smaller down to
    :data:`MIN_TEXT_PX`; at that floor, the lines past the last are dropped (the drawn
    caption elides its last line and keeps the whole text in its tooltip)."""
    text = " ".join(text.split())
    px = max(float(MIN_TEXT_PX), round(15 * scale))
    while True:
        lines = wrap(text, width, functools.partial(_bold, measure, px))
        if len(lines) <= CAPTION_LINES or px <= MIN_TEXT_PX:
            return px, lines[:CAPTION_LINES]
        px -= 1


def caption_fit(lay: Layout, caption: str, measure: Measure) -> tuple[float, list[str]] | None:
    """``(px, lines)`` of ``caption`` in ``lay``'s caption band as :func:`compute_layout`
    would make them (``(0.0, [])`` for no caption); None if ``lay`` has no band for it.
    A new caption whose px and line count match ``lay``'s fits the band as it is: the
    canvas then shows the new lines without making the scene anew."""
    if not caption.strip():
        return 0.0, []
    if lay.caption.isNull():
        return None
    return caption_text(caption.strip(), lay.caption.width() - 24, lay.scale, measure)


def caption_height(px: float, lines: int) -> float:
    """The height of a caption's band: its lines (a font's line spacing is under 1.25
    times its size) and the box's margins."""
    return lines * math.ceil(px * 1.25) + 12


def compute_layout(
    width: float,
    height: float,
    producers: list[str],
    consumers: list[str],
    capacity: int,
    boost: float = 1.0,
    measure: Measure = estimate,
    caption: str = "",
) -> Layout:
    """``boost`` enlarges text and cards (presentation mode); ``measure`` says how wide
    a text is (the canvas passes its font's metrics; the default guesses); a
    ``caption`` gets a band of its own above the legend, taken from the cards' and the
    buffer's height: drawn over them, it hid the legend and the buffer's marks."""
    scale = max(0.8, min(1.8, min(width / 1000.0, height / 460.0))) * boost
    lay = Layout(width, height, scale)
    pad = 12 * scale
    header = 30 * scale
    legend_h = 24 * scale
    lay.header_y = pad
    lay.legend = QRectF(pad, height - pad - legend_h, width - 2 * pad, legend_h)
    band = 0.0
    if caption.strip():
        lay.caption_px, lay.caption_lines = caption_text(
            caption.strip(), width - 2 * pad - 24, scale, measure
        )
        band = caption_height(lay.caption_px, len(lay.caption_lines))
        lay.caption = QRectF(pad, lay.legend.top() - 4 - band, width - 2 * pad, band)
        band += 4
    body = QRectF(
        pad, pad + header, width - 2 * pad, height - 2 * pad - header - legend_h - 6 - band
    )
    # many cards a side need a wider column to keep their names at a readable size
    share = 0.22 if max(len(producers), len(consumers)) <= 16 else 0.26
    side = max(110.0, min(280.0 * scale, body.width() * share))
    side = min(
        max(side, _name_room(producers, body.height(), scale, measure)),
        max(_name_room(consumers, body.height(), scale, measure), body.width() * 0.35),
    )
    gap = max(50.0, body.width() * 0.07)

    def columns(side: float, name_px: float) -> list[tuple[dict[str, QRectF], QRectF]]:
        left = QRectF(body.left(), body.top(), side, body.height())
        right = QRectF(body.right() - side, body.top(), side, body.height())
        return [
            _column(left, producers, scale, measure, name_px),
            _column(right, consumers, scale, measure, name_px),
        ]

    def lowest(cols: list[tuple[dict[str, QRectF], QRectF]]) -> float:
        return min((r.height() for c, _ in cols for r in c.values()), default=0.0)

    made = columns(side, 0.0)
    grown_side, grown_gap, name_px = _grow(body, side, gap, producers, consumers, scale, measure)
    if name_px > 0:
        grown = columns(grown_side, name_px)
        # only where the cards do grow: a wider column of cards as low as before would
        # only take the buffer's room
        if lowest(grown) >= lowest(made) + 2:
            made, side, gap = grown, grown_side, grown_gap
    mid = QRectF(
        body.left() + side + gap, body.top(), body.width() - 2 * (side + gap), body.height()
    )
    lay.middle = mid
    (lay.producers, lay.tally["producer"]), (lay.consumers, lay.tally["consumer"]) = made
    lay.producers_right = max(
        (r.right() for r in lay.producers.values()), default=body.left() + side
    )
    lay.consumers_left = min(
        (r.left() for r in lay.consumers.values()), default=body.right() - side
    )
    # tokens shrink with the cards, so 64 workers' items do not bury the picture
    card_h = min(
        (r.height() for r in [*lay.producers.values(), *lay.consumers.values()]), default=40.0
    )
    th = min(20.0 * scale, card_h * 0.6)
    tw = th * 2.6

    if capacity <= ROW_MAX_CAPACITY:
        lay.mode = "row"
        sw = min(76.0 * scale, mid.width() / capacity)
        sh = min(60.0 * scale, max(sw, 40.0 * scale))
        total = sw * capacity
        x0 = mid.left() + (mid.width() - total) / 2
        y0 = mid.center().y() - sh / 2
        lay.buffer = QRectF(x0 - 6, y0 - 6, total + 12, sh + 12)
        for i in range(capacity):
            x = x0 + (capacity - 1 - i) * sw  # oldest at the right, by the exit
            lay.slots.append(QRectF(x + 2, y0 + 2, sw - 4, sh - 4))
    elif capacity <= GRID_MAX_CAPACITY:
        lay.mode = "grid"
        avail_h = mid.height() * 0.75
        s = math.floor(math.sqrt(mid.width() * avail_h / capacity))
        cols = max(1, int(mid.width() // s))
        rows = math.ceil(capacity / cols)
        while rows * s > avail_h and s > 3:
            s -= 1
            cols = max(1, int(mid.width() // s))
            rows = math.ceil(capacity / cols)
        total_w, total_h = cols * s, rows * s
        x0 = mid.left() + (mid.width() - total_w) / 2
        y0 = mid.center().y() - total_h / 2
        lay.buffer = QRectF(x0 - 6, y0 - 6, total_w + 12, total_h + 12)
        for i in range(capacity):
            r, c = divmod(i, cols)
            x = x0 + (cols - 1 - c) * s  # fills right to left, row by row
            lay.slots.append(QRectF(x + 1, y0 + r * s + 1, s - 2, s - 2))
    else:
        lay.mode = "bar"
        bh = 56.0 * scale
        lay.buffer = QRectF(mid.left(), mid.center().y() - bh / 2, mid.width(), bh)
    if lay.slots:  # a token is never larger than the slot it comes from or goes to
        slot = lay.slots[0]
        tw, th = min(tw, slot.width()), min(th, slot.height())
    lay.token = QSizeF(tw, th)
    lay.held, lay.hand_on_stripe = held_sizes(lay, producers, measure)
    lay.entrance = QPointF(lay.buffer.left(), lay.buffer.center().y())
    lay.exit = QPointF(lay.buffer.right(), lay.buffer.center().y())
    return lay


def card_lines(rect: QRectF, scale: float) -> int:
    """How much a card has room to say: 3 lines (name, state, held item), 2, or 1; each
    line at least :data:`MIN_TEXT_PX` tall."""
    h = rect.height()
    line = text_px(scale) * 1.3
    return 3 if h >= max(50 * scale, 3 * line + 8) else 2 if h >= 2 * line + 4 else 1


#: the widest item number a hand's token is sized for (``P3-888``): a longer one (a
#: producer's 1000th item) falls back to the label's shorter forms (``Label.set_item``).
#: Four digits would leave no room on a 1280 px card for the CPU words beside it
HELD_SEQ = "888"
#: a token at least this tall carries a label (the tokens' font fits); lower, colour only
LABELLED_TOKEN_H = 15


#: the widest count a one-line card keeps room for beside the item in its hand
HELD_COUNT = "888"


def held_sizes(
    lay: Layout, producers: list[str], measure: Measure
) -> tuple[dict[str, QSizeF], dict[str, bool]]:
    """``(sizes, on_stripe)``: per role, the size of a token in a hand, and whether it
    lies over the card's state stripe (:attr:`Layout.hand_on_stripe`: a one-line card
    without :data:`MIN_CHIP_W` right of its name). A hand is always on the card, so every
    card of a worker holding an item shows it where the card is (beside the column,
    two cards of one row put theirs in one place, and a hand read as a stray pill).

    On a card of three lines the token is on the third line, wide enough for the full
    id (``P1-11``, ``P12-345``): two hands never read alike (``18`` and ``18`` looked
    like one item taken twice). On a lower card it sits at the right end of the card's
    last line: the full id where the card keeps room for its name and a count beside
    it, else a chip the colour alone tells (no label: a bare number is never drawn).
    Never narrower than a slot's token on a card of three lines."""
    s = lay.scale
    px = text_px(s)
    widest = max((int(n[1:]) for n in producers if n[1:].isdigit()), default=1)
    need = measure(f"P{widest}-{HELD_SEQ}", px, True) + 8  # the label's margins
    out: dict[str, QSizeF] = {}
    on_stripe: dict[str, bool] = {}
    for role, cards in (("producer", lay.producers), ("consumer", lay.consumers)):
        rects = list(cards.values())
        if not rects:
            out[role] = QSizeF(lay.token)
            continue
        card_h = min(r.height() for r in rects)
        card_w = min(r.width() for r in rects)
        lines = min(card_lines(r, s) for r in rects)
        if lines == 3:  # on the card's third line
            h = min(20.0 * s, card_h * 0.6)
            if h < LABELLED_TOKEN_H:
                out[role] = QSizeF(lay.token)
                continue
            w = max(lay.token.width(), min(need, card_w - 14 * s))
            out[role] = QSizeF(w, max(lay.token.height(), h))
            continue
        # at the right end of the last line, inside the card's border
        chip = hand_chip(card_h, lines, s)
        h = chip.height()
        room = card_w - CARD_INSET * s - 3 * s - 6
        if lines == 1:  # the name (as the card draws it) shares the line
            name_px = max(px, min(13 * s, (card_h - 4) / 1.3))
            room -= max(measure(n, name_px, True) for n in cards)
            if lay.tally.get(role, QRectF()).isNull():  # a count and the short word
                room -= measure(HELD_COUNT, px, False) + 6
                room -= measure(WIDEST_SHORT_WORD, px, False) + 6
        else:  # the state's short word shares the second line
            room -= measure(WIDEST_SHORT_WORD, px, False)
        if h >= LABELLED_TOKEN_H and need <= room:
            out[role] = QSizeF(need, h)
        else:  # the colour alone: a chip, narrowed to the room the card has
            if room < MIN_CHIP_W:  # not even a chip beside the name: on the stripe
                on_stripe[role] = True
                out[role] = QSizeF(6 * s, max(6.0, card_h - 4))
                continue
            w = min(chip.width(), room)
            out[role] = QSizeF(w, min(h, max(1.6 * w, 12.0)))  # a chip, not a bar
    return out, on_stripe


def held_anchor(rect: QRectF, role: Role | str, lay: Layout) -> QPointF:
    """Where a card shows the item it holds, so a travelling token lands right there:
    on the third line of a card of three, else at the right end of its last line (or
    over the state stripe, see :attr:`Layout.hand_on_stripe`)."""
    size = lay.held.get(str(role), lay.token)
    lines = card_lines(rect, lay.scale)
    row = rect.height() / lines
    if lines == 3:
        return QPointF(rect.left() + 11 * lay.scale + size.width() / 2, rect.top() + 2.5 * row)
    if lay.hand_on_stripe.get(str(role), False):
        return QPointF(rect.left() + size.width() / 2, rect.center().y())
    x = rect.right() - 3 * lay.scale - size.width() / 2
    return QPointF(x, rect.top() + (lines - 0.5) * row)
