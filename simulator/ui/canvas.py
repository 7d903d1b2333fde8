"""The picture: producers on the left, the bounded buffer in the middle, consumers on the
right, and the items travelling between them.

A custom ``QWidget.paintEvent`` rather than a ``QGraphicsScene``: every frame repaints
everything from one immutable :class:`~simulator.engine.simulation.Snapshot` (states,
counts, which ids sit in which slot), so scene items would only add bookkeeping (creating,
moving, deleting one item per worker, slot and token) for no saved work. Painting
64 + 64 cards and 1000 slots from a snapshot is a few milliseconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import ITEM_SHIFT, Event, item_label
from simulator.engine.metrics import WAITING_EMPTY, WAITING_FULL, WorkerView
from simulator.engine.simulation import PAUSED, RUNNING, STOPPED, Snapshot
from simulator.ui import theme
from simulator.ui.canvas_model import CanvasModel, ease

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
    mode: str = "row"  # row | grid | bar
    entrance: QPointF = field(default_factory=QPointF)
    exit: QPointF = field(default_factory=QPointF)
    token: QSize = field(default_factory=lambda: QSize(48, 20))
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
    width: float, height: float, producers: list[str], consumers: list[str], capacity: int
) -> Layout:
    scale = max(0.8, min(1.8, min(width / 1000.0, height / 460.0)))
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
    mid = QRectF(left.right() + gap, body.top(), right.left() - gap - left.right() - gap,
                 body.height())  # fmt: skip
    lay.producers = _cells(left, producers, 72 * scale)
    lay.consumers = _cells(right, consumers, 72 * scale)
    # tokens shrink with the cards, so 64 workers' items do not bury the picture
    card_h = min((r.height() for r in [*lay.producers.values(), *lay.consumers.values()]),
                 default=40.0)  # fmt: skip
    th = min(20.0 * scale, card_h * 0.6)
    lay.token = QSize(int(th * 2.6), int(th))

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


def _idle_workers(cfg: SimulationConfig) -> tuple[WorkerView, ...]:
    """Cards for the workers the next start will create, shown before it."""
    views = [WorkerView(f"P{i}", "producer", theme.READY, -1, 0, 0.0, (0, 0, 0))
             for i in range(1, cfg.producers + 1)]  # fmt: skip
    views += [WorkerView(f"C{i}", "consumer", theme.READY, -1, 0, 0.0, (0, 0, 0))
              for i in range(1, cfg.consumers + 1)]  # fmt: skip
    return tuple(views)


class SimulationCanvas(QWidget):
    def __init__(self, config: SimulationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(560, 300)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.model = CanvasModel()
        self.config = config
        self.snapshot: Snapshot | None = None
        self.state = "idle"
        self.paints = 0
        self.last_paint_s = 0.0  # duration of the last paintEvent, for the benchmark
        self._layout: Layout | None = None
        self._layout_key: tuple | None = None

    def sizeHint(self) -> QSize:
        return QSize(900, 420)

    # ---- feeding -----------------------------------------------------------------
    @Slot(list)
    def on_batch(self, batch: list[Event]) -> None:
        self.model.feed(batch, time.monotonic())

    @Slot(object)
    def on_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.state = snap.state
        self.config = snap.config
        if self.isVisible():  # nothing to paint while hidden or minimised
            self.update()

    def show_config(self, cfg: SimulationConfig) -> None:
        """Before a run: show the workers and slots the next start will create."""
        self.config = cfg
        if self.state not in (RUNNING, PAUSED):
            self.snapshot = None
            self.model.clear()
        self.update()

    def reset(self) -> None:
        self.snapshot = None
        self.state = "idle"
        self.model.clear()
        self.update()

    # ---- painting ----------------------------------------------------------------
    def _current_layout(self, workers: tuple[WorkerView, ...], capacity: int) -> Layout:
        prods = [w.name for w in workers if w.role == "producer"]
        cons = [w.name for w in workers if w.role == "consumer"]
        key = (self.width(), self.height(), tuple(prods), tuple(cons), capacity)
        if key != self._layout_key:
            self._layout = compute_layout(self.width(), self.height(), prods, cons, capacity)
            self._layout_key = key
        assert self._layout is not None
        return self._layout

    def paintEvent(self, _event) -> None:
        t_start = time.perf_counter()
        snap = self.snapshot
        if snap is not None and snap.workers:
            workers = tuple(sorted(snap.workers, key=lambda w: (w.role, _number(w.name))))
        else:
            workers = _idle_workers(self.config)
        capacity = snap.capacity if snap is not None else self.config.capacity
        lay = self._current_layout(workers, capacity)
        now = time.monotonic()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), theme.CANVAS_BG)
        buffer_ids = snap.buffer if snap is not None else ()
        in_flight = self.model.in_flight()
        self._paint_headers(p, lay, snap, capacity)
        self._paint_waits(p, lay, workers)
        self._paint_buffer(p, lay, buffer_ids, capacity, in_flight)
        for w in workers:
            rect = (lay.producers if w.role == "producer" else lay.consumers).get(w.name)
            if rect is not None:
                self._paint_card(p, lay, rect, w, in_flight)
        self._paint_tokens(p, lay, buffer_ids, now)
        self._paint_legend(p, lay, now)
        if self.state == PAUSED:
            self._banner(p, lay, "PAUSED — press Space to resume")
        p.end()
        self.paints += 1
        self.last_paint_s = time.perf_counter() - t_start

    def _font(self, lay: Layout, px: float, bold: bool = False) -> QFont:
        f = QFont(self.font())
        f.setPixelSize(max(8, int(px * lay.scale)))
        f.setBold(bold)
        return f

    def _paint_headers(self, p, lay, snap, capacity) -> None:
        p.setPen(theme.INK)
        p.setFont(self._font(lay, 15, True))
        y = lay.header_y
        h = 24 * lay.scale
        left = QRectF(12 * lay.scale, y, 300, h)
        p.drawText(left, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   f"Producers ({sum(1 for _ in lay.producers)})")  # fmt: skip
        right = QRectF(lay.width - 312 * lay.scale, y, 300 * lay.scale, h)
        p.drawText(right, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   f"Consumers ({sum(1 for _ in lay.consumers)})")  # fmt: skip
        n = snap.in_buffer if snap is not None else 0
        status = ""
        color = theme.INK
        if snap is not None and snap.state in (RUNNING, PAUSED, STOPPED):
            if n >= capacity:
                status, color = "  FULL", theme.STATE_COLORS[WAITING_FULL]
            elif n <= 0:
                status, color = "  EMPTY", theme.STATE_COLORS[WAITING_EMPTY]
        mid = QRectF(lay.buffer.left() - 100, y, lay.buffer.width() + 200, h)
        text = f"Buffer  {n} / {capacity}"
        p.drawText(mid, Qt.AlignmentFlag.AlignCenter, text + " " * (len(status) * 2))
        if status:
            fm = p.fontMetrics()
            tw = fm.horizontalAdvance(text + " " * (len(status) * 2))
            x = (
                mid.center().x()
                + tw / 2
                - fm.horizontalAdvance(status)
                - fm.horizontalAdvance(" ")
            )
            p.setPen(color)
            p.drawText(QPointF(x, mid.center().y() + fm.ascent() / 2 - 1), status)
        # FIFO direction under the buffer
        p.setPen(theme.MUTED)
        p.setFont(self._font(lay, 11))
        below = QRectF(
            lay.buffer.left(), lay.buffer.bottom() + 4, lay.buffer.width(), 18 * lay.scale
        )
        p.drawText(below, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "in →")
        p.drawText(below, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "→ out")
        p.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                   "first in, first out")  # fmt: skip

    def _paint_waits(self, p, lay, workers) -> None:
        """Dashed lines show who waits on the buffer: blocked producers at its entrance,
        starving consumers at its exit."""
        for w in workers:
            if w.state == WAITING_FULL and w.name in lay.producers:
                r = lay.producers[w.name]
                a, b = QPointF(r.right(), r.center().y()), lay.entrance
            elif w.state == WAITING_EMPTY and w.name in lay.consumers:
                r = lay.consumers[w.name]
                a, b = lay.exit, QPointF(r.left(), r.center().y())
            else:
                continue
            pen = QPen(theme.state_color(w.state), 2 * lay.scale, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawLine(a, b)

    def _paint_buffer(self, p, lay, ids, capacity, in_flight) -> None:
        full = len(ids) >= capacity
        frame = theme.STATE_COLORS[WAITING_FULL] if full else QColor("#B8BCC2")
        if not ids and self.snapshot is not None:
            frame = theme.STATE_COLORS[WAITING_EMPTY]
        p.setPen(QPen(frame, 2.5 * lay.scale))
        p.setBrush(QColor("#FFFFFF"))
        p.drawRoundedRect(lay.buffer, 8, 8)
        if lay.mode == "bar":
            frac = min(1.0, len(ids) / capacity)
            inner = lay.buffer.adjusted(4, 4, -4, -4)
            fill = QRectF(inner.right() - inner.width() * frac, inner.top(),
                          inner.width() * frac, inner.height())  # fmt: skip
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.token_color(1).darker(110))
            p.drawRoundedRect(fill, 4, 4)
            p.setPen(theme.INK)
            p.setFont(self._font(lay, 14, True))
            p.drawText(inner, Qt.AlignmentFlag.AlignCenter, f"{len(ids)} items")
            return
        labelled = lay.mode == "row"
        if lay.slots:  # labels shrink to fit narrow slots ("P12-345" is 7 characters)
            px = min(11 * lay.scale, lay.slots[0].width() / 4.2)
            f = self._font(lay, 11, True)
            f.setPixelSize(max(7, int(px)))
            p.setFont(f)
        empty_pen = QPen(QColor("#D5D8DC"), 1, Qt.PenStyle.DashLine)
        for i, slot in enumerate(lay.slots):
            item = ids[i] if i < len(ids) else -1
            if item < 0 or item in in_flight:
                p.setPen(empty_pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(slot, 4, 4)
                continue
            self._token(p, slot, item, labelled)

    def _token(self, p, rect: QRectF, item: int, labelled: bool, outline: QColor | None = None):
        color = theme.token_color(item >> ITEM_SHIFT)
        p.setPen(QPen(outline or color.darker(150), 1.5))
        p.setBrush(color)
        p.drawRoundedRect(rect, 4, 4)
        if labelled:
            p.setPen(theme.INK)
            label = item_label(item)
            if p.fontMetrics().horizontalAdvance(label) > rect.width() - 4:
                label = label.split("-")[1]
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_card(self, p, lay, rect: QRectF, w: WorkerView, in_flight) -> None:
        state = theme.PAUSED if self.state == PAUSED and w.state != theme.READY else w.state
        if self.state == STOPPED:
            state = "stopped"
        color = theme.state_color(state)
        tint = QColor(color)
        tint.setAlpha(48)
        p.setPen(QPen(color, 2.0 * lay.scale))
        p.setBrush(QColor("#FFFFFF"))
        p.drawRoundedRect(rect, 6, 6)
        p.setBrush(tint)
        p.drawRoundedRect(rect, 6, 6)
        stripe = QRectF(rect.left(), rect.top(), 6 * lay.scale, rect.height())
        path = QPainterPath()
        path.addRoundedRect(stripe, 3, 3)
        p.fillPath(path, QBrush(color))
        inner = rect.adjusted(10 * lay.scale, 2, -6 * lay.scale, -2)
        h = rect.height()
        held = w.item if w.item >= 0 and w.item not in in_flight else -1
        name_font = self._font(lay, min(16, max(9, h / lay.scale * 0.3)), True)
        small = self._font(lay, min(12, max(8, h / lay.scale * 0.24)))
        p.setPen(theme.INK)
        if h >= 50 * lay.scale:  # three lines: name + count / state / held item
            third = inner.height() / 3
            top = QRectF(inner.left(), inner.top(), inner.width(), third)
            p.setFont(name_font)
            p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, w.name)
            p.setFont(small)
            p.setPen(theme.MUTED)
            p.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{w.done} done")  # fmt: skip
            p.setPen(theme.INK)
            mid = top.translated(0, third)
            p.drawText(mid, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, state)
            if held >= 0:
                tok = QRectF(0, 0, min(lay.token.width(), inner.width() * 0.5), third - 2)
                tok.moveTopLeft(QPointF(inner.left(), mid.bottom() + 1))
                self._token(p, tok, held, True, color)
        elif h >= 30 * lay.scale:  # two lines
            half = inner.height() / 2
            top = QRectF(inner.left(), inner.top(), inner.width(), half)
            p.setFont(name_font)
            p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, w.name)
            p.setFont(small)
            if held >= 0:
                p.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           item_label(held))  # fmt: skip
            bottom = top.translated(0, half)
            p.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, state)
            p.setPen(theme.MUTED)
            p.drawText(bottom, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       str(w.done))  # fmt: skip
        else:  # one line: name and a short state word, colour-coded
            p.setFont(small)
            p.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, w.name)
            if inner.width() > 90:
                p.setPen(theme.MUTED)
                short = state.replace("waiting: buffer ", "wait ")
                p.drawText(inner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           short)  # fmt: skip

    def _paint_tokens(self, p, lay, ids, now) -> None:
        p.setFont(self._font(lay, 11, True))
        tw, th = lay.token.width(), lay.token.height()
        index = {item: i for i, item in enumerate(ids)} if ids else {}
        for tok in self.model.live_tokens(now):
            k = ease(tok.progress(now, self.model.duration))
            if tok.inbound:
                src_rect = lay.producers.get(tok.worker)
                if src_rect is None:
                    continue
                a = QPointF(src_rect.right(), src_rect.center().y())
                i = index.get(tok.item)
                b = lay.slots[i].center() if i is not None and i < len(lay.slots) else lay.entrance
            else:
                dst_rect = lay.consumers.get(tok.worker)
                if dst_rect is None:
                    continue
                a = lay.slots[0].center() if lay.slots else lay.exit
                b = QPointF(dst_rect.left(), dst_rect.center().y())
            pos = a + (b - a) * k
            rect = QRectF(pos.x() - tw / 2, pos.y() - th / 2, tw, th)
            self._token(p, rect, tok.item, th >= 15)

    def _paint_legend(self, p, lay, now) -> None:
        p.setFont(self._font(lay, 11))
        x = lay.legend.left()
        y = lay.legend.center().y()
        sw = 12 * lay.scale
        for state, word in theme.LEGEND:
            color = theme.state_color(state)
            p.setPen(QPen(color.darker(120), 1))
            p.setBrush(color)
            p.drawRoundedRect(QRectF(x, y - sw / 2, sw, sw), 3, 3)
            x += sw + 5
            p.setPen(theme.INK)
            p.drawText(QPointF(x, y + p.fontMetrics().ascent() / 2 - 1), word)
            x += p.fontMetrics().horizontalAdvance(word) + 16 * lay.scale
        if self.model.fast(now):
            p.setPen(theme.MUTED)
            p.drawText(lay.legend, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       "too fast to animate: showing states and counts")  # fmt: skip

    def _banner(self, p, lay, text: str) -> None:
        p.setFont(self._font(lay, 16, True))
        fm = p.fontMetrics()
        w = fm.horizontalAdvance(text) + 40
        r = QRectF((lay.width - w) / 2, lay.buffer.top() - 70 * lay.scale, w, 34 * lay.scale)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(31, 35, 40, 220))
        p.drawRoundedRect(r, 8, 8)
        p.setPen(QColor("#FFFFFF"))
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)


def _number(name: str) -> int:
    return int(name[1:]) if name[1:].isdigit() else 0
