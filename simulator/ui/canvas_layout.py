"""Where everything goes on the canvas: rectangles and points only, no items, colours or
fonts (computed once per resize or change of workers/capacity, never per frame)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, QSizeF

from simulator.engine.workers import Role

ROW_MAX_CAPACITY = 16  # up to this, one row of labelled slots
GRID_MAX_CAPACITY = 400  # up to this, a grid of small cells; beyond, a fill bar


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


def _cells(area: QRectF, names: list[str], max_h: float) -> dict[str, QRectF]:
    """Stack ``names`` in ``area``: one column while cards stay at least 20 px tall, then
    more columns (64 workers still fit a 720p window)."""
    n = max(1, len(names))
    gap = 6.0 if n <= 16 else 3.0
    cols = 1
    while True:
        rows = math.ceil(n / cols)
        h = (area.height() - gap * (rows - 1)) / rows
        if h >= 20 or cols >= 8:
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


def compute_layout(
    width: float,
    height: float,
    producers: list[str],
    consumers: list[str],
    capacity: int,
    boost: float = 1.0,
) -> Layout:
    """``boost`` enlarges text and cards (presentation mode)."""
    scale = max(0.8, min(1.8, min(width / 1000.0, height / 460.0))) * boost
    lay = Layout(width, height, scale)
    pad = 12 * scale
    header = 30 * scale
    legend_h = 24 * scale
    lay.header_y = pad
    lay.legend = QRectF(pad, height - pad - legend_h, width - 2 * pad, legend_h)
    body = QRectF(pad, pad + header, width - 2 * pad, height - 2 * pad - header - legend_h - 6)
    side = max(110.0, min(280.0 * scale, body.width() * 0.22))
    gap = max(50.0, body.width() * 0.07)
    left = QRectF(body.left(), body.top(), side, body.height())
    right = QRectF(body.right() - side, body.top(), side, body.height())
    mid = QRectF(
        left.right() + gap, body.top(), right.left() - gap - left.right() - gap, body.height()
    )
    lay.producers = _cells(left, producers, 72 * scale)
    lay.consumers = _cells(right, consumers, 72 * scale)
    # tokens shrink with the cards, so 64 workers' items do not bury the picture
    card_h = min(
        (r.height() for r in [*lay.producers.values(), *lay.consumers.values()]), default=40.0
    )
    th = min(20.0 * scale, card_h * 0.6)
    lay.token = QSizeF(th * 2.6, th)

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
    lay.entrance = QPointF(lay.buffer.left(), lay.buffer.center().y())
    lay.exit = QPointF(lay.buffer.right(), lay.buffer.center().y())
    return lay


def card_lines(rect: QRectF, scale: float) -> int:
    """How much a card has room to say: 3 lines (name, state, held item), 2, or 1."""
    h = rect.height()
    return 3 if h >= 50 * scale else 2 if h >= 30 * scale else 1


def held_anchor(rect: QRectF, role: Role | str, lay: Layout) -> QPointF:
    """Where a card shows the item it holds, so a travelling token lands right there."""
    if card_lines(rect, lay.scale) == 3:
        row = rect.height() / 3
        return QPointF(
            rect.left() + 11 * lay.scale + lay.token.width() / 2, rect.top() + 2.5 * row
        )
    if role == Role.PRODUCER:
        return QPointF(rect.right(), rect.center().y())
    return QPointF(rect.left(), rect.center().y())
