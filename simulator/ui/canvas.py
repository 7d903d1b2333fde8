"""The picture: producers on the left, the bounded buffer in the middle, consumers on the
right, and the items travelling between them.

Why a ``QGraphicsScene`` of plain Qt items, updated by difference, and not a Python
``paintEvent``: PySide6 releases the GIL around every wrapped call (even ``QRectF()``).
With worker threads running flat out, each release costs the GUI thread a wait for the
GIL — measured here, 2,000 ``QRectF`` constructions took 0.6 ms idle and 436 ms beside
two busy threads. A paintEvent makes hundreds of such calls per frame. Plain C++ items
render without Python (a 300-item scene: 0.6 ms per frame under the same load), so each
frame only pays for the few properties that changed: a state colour, a label, a token's
position. All of them are compared in Python first and sent to Qt only when different.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QSizePolicy,
    QWidget,
)

from simulator.engine.config import SimulationConfig
from simulator.engine.events import ITEM_SHIFT, Event, item_label
from simulator.engine.metrics import WAITING_EMPTY, WAITING_FULL, WorkerView
from simulator.engine.simulation import PAUSED, RUNNING, STOPPED, Snapshot
from simulator.ui import theme
from simulator.ui.canvas_layout import (
    Layout,
    card_lines,
    compute_layout,
    held_anchor,
    idle_workers,
)
from simulator.ui.canvas_model import MAX_TOKENS, TWEEN_S, CanvasModel, ease

FAST_REFRESH_S = 0.05  # in fast mode, cards and slots refresh at 20 Hz
COUNT_REFRESH_S = 0.2  # "N done" counters refresh at 5 Hz


def _rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


class _Styles:
    """Pens, brushes and fonts made once per layout, never per frame."""

    def __init__(self, lay: Layout, base: QFont) -> None:
        s = lay.scale
        self.card_pen = {k: QPen(c, 2.0 * s) for k, c in theme.STATE_COLORS.items()}
        self.card_brush = {}
        self.solid = {}
        for k, c in theme.STATE_COLORS.items():
            sf = theme.SURFACE  # cards: 20 % state colour over the surface
            tint = QColor.fromRgbF(
                sf.redF() + (c.redF() - sf.redF()) * 0.2,
                sf.greenF() + (c.greenF() - sf.greenF()) * 0.2,
                sf.blueF() + (c.blueF() - sf.blueF()) * 0.2,
            )
            self.card_brush[k] = QBrush(tint)
            self.solid[k] = QBrush(c)
        self.wait_pen = {
            k: QPen(theme.state_color(k), 2 * s, Qt.PenStyle.DashLine)
            for k in (WAITING_FULL, WAITING_EMPTY)
        }
        self.token_brush = [QBrush(QColor(h)) for h in theme.TOKEN_HUES]
        self.token_pen = [QPen(QColor(h).darker(150), 1.5) for h in theme.TOKEN_HUES]
        self.empty_pen = QPen(theme.color("slot_empty"), 1, Qt.PenStyle.DashLine)
        self.token_ink = QBrush(QColor("#1F2328"))  # tokens are pastel in every theme
        self.no_brush = QBrush(Qt.BrushStyle.NoBrush)
        self.ink = QBrush(theme.INK)
        self.muted = QBrush(theme.MUTED)

        def font(px: float, bold: bool = False) -> QFont:
            f = QFont(base)
            f.setPixelSize(max(7, int(px)))
            f.setBold(bold)
            return f

        self.font = font
        self.header = font(15 * s, True)
        self.small = font(11 * s)
        self.token_font = font(min(11 * s, lay.token.height() * 0.6), True)
        self.token_char_w = QFontMetricsF(self.token_font).horizontalAdvance("0")
        # slot labels: the largest font at which a typical label ("P8-88") fits a slot
        px = 11 * s
        slot_w = lay.slots[0].width() if lay.slots else 0.0
        self.slot_font = font(px, True)
        while px > 7 and QFontMetricsF(self.slot_font).horizontalAdvance("P8-88") > slot_w - 5:
            px -= 0.5
            self.slot_font = font(px, True)
        self.slot_char_w = QFontMetricsF(self.slot_font).horizontalAdvance("0")

    def token(self, item: int) -> tuple[QBrush, QPen]:
        i = ((item >> ITEM_SHIFT) - 1) % len(self.token_brush)
        return self.token_brush[i], self.token_pen[i]


class _Label:
    """A text item that only talks to Qt when its text changes."""

    def __init__(self, scene: QGraphicsScene, font: QFont, brush: QBrush,
                 parent: QGraphicsItem | None = None) -> None:  # fmt: skip
        self.item = QGraphicsSimpleTextItem(parent)
        if parent is None:
            scene.addItem(self.item)
        self.item.setFont(font)
        self.item.setBrush(brush)
        self.text = ""

    def set(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.item.setText(text)

    def set_item(self, item: int, center: QPointF, width: float, char_w: float, px: int) -> None:
        """An item's label (``P1-42``, or ``42`` where that does not fit), centred."""
        text = item_label(item)
        if len(text) * char_w > width:
            text = text.split("-")[1]
        self.set(text)
        self.item.setPos(center.x() - len(text) * char_w / 2, center.y() - px * 0.62)


class _Token:
    """An item's rounded tag; one Qt item (the label is its child), moved with one call."""

    def __init__(self, scene: QGraphicsScene, st: _Styles, size, labelled: bool) -> None:
        w, h = size.width(), size.height()
        self.box = QGraphicsPathItem(_rounded(QRectF(-w / 2, -h / 2, w, h), 4))
        self.box.setZValue(10)
        scene.addItem(self.box)
        self.st = st
        self.w, self.h = w, h
        self.label = _Label(scene, st.token_font, st.token_ink, self.box) if labelled else None
        self.item = -2
        self.pos = QPointF()
        self.visible = True
        self.hide()

    def show(self, item: int, pos: QPointF | None = None) -> None:
        if item != self.item:
            self.item = item
            brush, pen = self.st.token(item)
            self.box.setBrush(brush)
            self.box.setPen(pen)
            if self.label is not None:
                st = self.st
                self.label.set_item(item, QPointF(0, 0), self.w - 4, st.token_char_w,
                                    st.token_font.pixelSize())  # fmt: skip
        if pos is not None and pos != self.pos:
            self.pos = pos
            self.box.setPos(pos)
        if not self.visible:
            self.visible = True
            self.box.setVisible(True)

    def hide(self) -> None:
        if self.visible:
            self.visible = False
            self.box.setVisible(False)


class _Card:
    """One worker: box, state stripe, name, state words, count, held item, wait line."""

    def __init__(self, scene: QGraphicsScene, st: _Styles, lay: Layout, rect: QRectF,
                 view: WorkerView) -> None:  # fmt: skip
        self.st = st
        s = lay.scale
        self.box = QGraphicsPathItem(_rounded(rect, 6))
        scene.addItem(self.box)
        self.stripe = QGraphicsPathItem(
            _rounded(QRectF(rect.left(), rect.top(), 6 * s, rect.height()), 3)
        )
        self.stripe.setPen(QPen(Qt.PenStyle.NoPen))
        scene.addItem(self.stripe)
        h = rect.height()
        x = rect.left() + 11 * s
        self.lines = card_lines(rect, s)
        name_px = min(16 * s, max(9.0, h * 0.3)) if self.lines > 1 else min(11 * s, h * 0.55)
        name_font = st.font(name_px, True)
        small = st.font(min(12 * s, max(8.0, h * 0.24)) if self.lines > 1 else name_px)
        self.name = _Label(scene, name_font, st.ink)
        self.name.set(view.name)
        row = h / self.lines
        self.name.item.setPos(x, rect.top() + (row - name_px * 1.25) / 2)
        self.state = _Label(scene, small, st.ink)
        self.count = _Label(scene, small, st.muted)
        self.held: _Token | None = None
        self.count_right = rect.right() - 6 * s
        self.count_y = rect.top() + (row - small.pixelSize() * 1.25) / 2
        self.char_w = QFontMetricsF(small).horizontalAdvance("0")
        if self.lines >= 2:
            self.state.item.setPos(x, rect.top() + row + (row - small.pixelSize() * 1.25) / 2)
        else:
            self.state.item.setVisible(False)
        if self.lines == 3:
            self.held = _Token(scene, st, lay.token, True)
            self.held_pos = held_anchor(rect, view.role, lay)
        if self.lines == 1 and rect.width() < 60 * s:
            self.count.item.setVisible(False)
        if view.role == "producer":
            a, b = QPointF(rect.right(), rect.center().y()), lay.entrance
        else:
            a, b = lay.exit, QPointF(rect.left(), rect.center().y())
        self.line = QGraphicsLineItem(a.x(), a.y(), b.x(), b.y())
        self.line.setZValue(-1)
        self.line.setVisible(False)
        scene.addItem(self.line)
        self.shown_state = ""
        self.shown_done = -1
        self.line_state = ""

    def update(self, state: str, done: int | None, held: int) -> None:
        st = self.st
        if state != self.shown_state:
            self.shown_state = state
            self.box.setPen(st.card_pen.get(state, st.card_pen[theme.READY]))
            self.box.setBrush(st.card_brush.get(state, st.card_brush[theme.READY]))
            self.stripe.setBrush(st.solid.get(state, st.solid[theme.READY]))
            self.state.set(state)
            waiting = state in (WAITING_FULL, WAITING_EMPTY)
            if waiting != (self.line_state != ""):
                self.line.setVisible(waiting)
            if waiting and state != self.line_state:
                self.line.setPen(st.wait_pen[state])
            self.line_state = state if waiting else ""
        if done is not None and done != self.shown_done:
            self.shown_done = done
            text = f"{done} done" if self.lines == 3 else str(done)
            self.count.set(text)
            self.count.item.setPos(self.count_right - len(text) * self.char_w, self.count_y)
        if self.held is not None:
            if held >= 0:
                self.held.show(held, self.held_pos)
            else:
                self.held.hide()


class _Slot:
    def __init__(self, scene: QGraphicsScene, st: _Styles, rect: QRectF, labelled: bool):
        self.st = st
        self.rect = rect
        self.box = QGraphicsPathItem(_rounded(rect, 4 if rect.width() > 8 else 1))
        self.box.setPen(st.empty_pen)
        scene.addItem(self.box)
        self.label = _Label(scene, st.slot_font, st.token_ink) if labelled else None
        self.item = -1

    def show(self, item: int) -> None:
        if item == self.item:
            return
        self.item = item
        if item < 0:
            self.box.setPen(self.st.empty_pen)
            self.box.setBrush(self.st.no_brush)
            if self.label is not None:
                self.label.set("")
            return
        brush, pen = self.st.token(item)
        self.box.setBrush(brush)
        self.box.setPen(pen)
        if self.label is not None:
            st = self.st
            self.label.set_item(item, self.rect.center(), self.rect.width() - 3, st.slot_char_w,
                                st.slot_font.pixelSize())  # fmt: skip


class SimulationCanvas(QGraphicsView):
    def __init__(self, config: SimulationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)  # fmt: skip
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setInteractive(False)
        self.setBackgroundBrush(theme.CANVAS_BG)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(560, 300)
        self.model = CanvasModel()
        self.config = config
        self.snapshot: Snapshot | None = None
        self.state = "idle"
        self.paints = 0
        self.last_paint_s = 0.0  # duration of the last paint, for the benchmark
        self.on_painted = None  # optional callback(time.monotonic()) after each paint
        self._layout: Layout | None = None
        self._layout_key: tuple | None = None
        self._cards: dict[str, _Card] = {}
        self._slots: list[_Slot] = []
        self._tokens: list[_Token] = []
        self._last_full = 0.0
        self._last_counts = 0.0
        self.boost = 1.0  # presentation mode makes everything larger
        self.caption = ""

    def restyle(self) -> None:
        """The theme changed: rebuild the scene with its colours."""
        self.setBackgroundBrush(theme.CANVAS_BG)
        self._layout_key = None
        self.refresh(force=True)

    def set_boost(self, boost: float) -> None:
        self.boost = boost
        self._layout_key = None
        self.refresh(force=True)

    def set_caption(self, text: str) -> None:
        """A sentence shown under the buffer (scenario captions); empty hides it."""
        self.caption = text
        if self._layout is not None:
            self._show_caption(self._layout)

    def _show_caption(self, lay: Layout) -> None:
        item, box = self._caption_item, self._caption_box
        if not self.caption:
            item.setVisible(False)
            box.setVisible(False)
            return
        item.setPlainText(self.caption)
        # between the two columns of cards, never over them
        left = max((r.right() for r in lay.producers.values()), default=0.0) + 28
        right = min((r.left() for r in lay.consumers.values()), default=lay.width) - 28
        item.setTextWidth(max(200.0, right - left))
        r = item.boundingRect()
        x = (left + right - r.width()) / 2
        y = lay.buffer.bottom() + 30 * lay.scale
        y = min(y, lay.legend.top() - r.height() - 8)
        item.setPos(x, y)
        box.setPath(_rounded(QRectF(x - 10, y - 4, r.width() + 20, r.height() + 8), 8))
        item.setVisible(True)
        box.setVisible(True)

    def sizeHint(self) -> QSize:
        return QSize(900, 420)

    # ---- feeding -----------------------------------------------------------------
    def on_batch(self, batch: list[Event], total: int | None = None) -> None:
        self.model.feed(batch, time.monotonic(), total)

    @Slot(object)
    def on_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        self.state = snap.state
        self.config = snap.config
        self.model.duration = TWEEN_S / snap.config.time_scale  # slow motion slows tokens
        if self.isVisible():  # nothing to update while hidden or minimised
            self.refresh()

    def show_config(self, cfg: SimulationConfig) -> None:
        """Before a run: show the workers and slots the next start will create."""
        self.config = cfg
        if self.state not in (RUNNING, PAUSED):
            self.snapshot = None
            self.model.clear()
        self.refresh(force=True)

    def reset(self) -> None:
        self.snapshot = None
        self.state = "idle"
        self.model.clear()
        self.refresh(force=True)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.scene().setSceneRect(0, 0, self.viewport().width(), self.viewport().height())
        self.refresh(force=True)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def paintEvent(self, event) -> None:
        t0 = time.perf_counter()
        super().paintEvent(event)  # C++ renders the scene; Python is not involved
        self.paints += 1
        self.last_paint_s = time.perf_counter() - t0
        if self.on_painted is not None:
            self.on_painted(time.monotonic())

    # ---- building the scene (on resize or when workers/capacity change) -------------
    def _workers(self) -> tuple[tuple[WorkerView, ...], int]:
        snap = self.snapshot
        if snap is not None and snap.workers:
            views = sorted(snap.workers, key=lambda w: (w.role, _number(w.name)))
            return tuple(views), snap.capacity
        return idle_workers(self.config), (snap.capacity if snap else self.config.capacity)

    def _rebuild(self, workers: tuple[WorkerView, ...], capacity: int) -> Layout:
        w, h = self.viewport().width(), self.viewport().height()
        prods = [v.name for v in workers if v.role == "producer"]
        cons = [v.name for v in workers if v.role == "consumer"]
        key = (w, h, tuple(prods), tuple(cons), capacity, self.boost)
        if key == self._layout_key and self._layout is not None:
            return self._layout
        lay = compute_layout(w, h, prods, cons, capacity, self.boost)
        self._layout, self._layout_key = lay, key
        scene = self.scene()
        scene.clear()
        st = self._styles = _Styles(lay, self.font())
        s = lay.scale
        # headers
        self._h_prod = _Label(scene, st.header, st.ink)
        self._h_prod.item.setPos(12 * s, lay.header_y)
        self._h_cons = _Label(scene, st.header, st.ink)
        self._h_buf = _Label(scene, st.header, st.ink)
        self._h_status = _Label(scene, st.header, st.ink)
        self._h_fm = QFontMetricsF(st.header)
        # buffer frame, FIFO marks
        self._frame = QGraphicsPathItem(_rounded(lay.buffer, 8))
        self._frame.setBrush(QBrush(theme.SURFACE))
        scene.addItem(self._frame)
        self._frame_key = ""
        small_fm = QFontMetricsF(st.small)
        y = lay.buffer.bottom() + 4
        fifo = "first in, first out"
        marks = [
            ("in →", lay.buffer.left()),
            (fifo, lay.buffer.center().x() - small_fm.horizontalAdvance(fifo) / 2),
            ("→ out", lay.buffer.right() - small_fm.horizontalAdvance("→ out")),
        ]
        for text, x in marks:
            lbl = _Label(scene, st.small, st.muted)
            lbl.set(text)
            lbl.item.setPos(x, y)
        self._slots = [_Slot(scene, st, r, lay.mode == "row") for r in lay.slots]
        self._bar = None
        if lay.mode == "bar":
            self._bar = QGraphicsRectItem()
            self._bar.setBrush(QBrush(theme.token_color(1).darker(110)))
            self._bar.setPen(QPen(Qt.PenStyle.NoPen))
            scene.addItem(self._bar)
            self._bar_label = _Label(scene, st.font(14 * s, True), st.ink)
            self._bar_n = -1
        self._cards = {}
        for v in workers:
            rect = (lay.producers if v.role == "producer" else lay.consumers).get(v.name)
            if rect is not None:
                self._cards[v.name] = _Card(scene, st, lay, rect, v)
        self._tokens = [_Token(scene, st, lay.token, lay.token.height() >= 15)
                        for _ in range(MAX_TOKENS)]  # fmt: skip
        # legend
        x = lay.legend.left()
        y = lay.legend.center().y()
        sw = 12 * s
        for state, word in theme.LEGEND:
            chip = QGraphicsPathItem(_rounded(QRectF(x, y - sw / 2, sw, sw), 3))
            chip.setBrush(st.solid[state])
            chip.setPen(QPen(theme.state_color(state).darker(120), 1))
            scene.addItem(chip)
            x += sw + 5
            lbl = _Label(scene, st.small, st.ink)
            lbl.set(word)
            lbl.item.setPos(x, y - st.small.pixelSize() * 0.62)
            x += small_fm.horizontalAdvance(word) + 16 * s
        self._fast_note = _Label(scene, st.small, st.muted)
        note = "too fast to animate: showing states and counts"
        self._fast_note.set(note)
        self._fast_note.item.setPos(lay.legend.right() - small_fm.horizontalAdvance(note),
                                    y - st.small.pixelSize() * 0.62)  # fmt: skip
        self._fast_note.item.setVisible(False)
        self._fast_shown = False
        # the paused banner
        banner_font = st.font(16 * s, True)
        text = "PAUSED — press Space to resume"
        bw = QFontMetricsF(banner_font).horizontalAdvance(text) + 40
        br = QRectF((lay.width - bw) / 2, lay.buffer.top() - 70 * s, bw, 34 * s)
        self._banner = QGraphicsPathItem(_rounded(br, 8))
        self._banner.setBrush(QBrush(QColor(31, 35, 40, 225)))
        self._banner.setPen(QPen(Qt.PenStyle.NoPen))
        self._banner.setZValue(20)
        scene.addItem(self._banner)
        label = _Label(scene, banner_font, QBrush(QColor("#FFFFFF")), self._banner)
        label.set(text)
        label.item.setPos(br.left() + 20, br.center().y() - banner_font.pixelSize() * 0.62)
        self._banner.setVisible(False)
        self._banner_shown = False
        # the caption (scenario timelines)
        self._caption_box = QGraphicsPathItem()
        self._caption_box.setBrush(QBrush(theme.color("caption")))
        self._caption_box.setPen(QPen(theme.color("caption_edge"), 1.5))
        self._caption_box.setZValue(15)
        scene.addItem(self._caption_box)
        self._caption_item = QGraphicsTextItem()
        self._caption_item.setFont(st.font(17 * s, True))
        self._caption_item.setDefaultTextColor(theme.INK)
        self._caption_item.setZValue(16)
        self._caption_item.document().setDefaultTextOption(
            QTextOption(Qt.AlignmentFlag.AlignCenter)
        )
        scene.addItem(self._caption_item)
        self._show_caption(lay)
        self._last_full = 0.0
        return lay

    # ---- one frame -----------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Bring the scene up to date with the latest snapshot, touching only what changed."""
        if self.viewport().width() < 10:
            return
        workers, capacity = self._workers()
        lay = self._rebuild(workers, capacity)
        now = time.monotonic()
        snap = self.snapshot
        fast = self.model.fast(now)
        full = force or not fast or now - self._last_full >= FAST_REFRESH_S
        counts = force or now - self._last_counts >= COUNT_REFRESH_S
        if counts:
            self._last_counts = now
        in_flight = self.model.in_flight() if not fast else set()
        ids = snap.buffer if snap is not None else ()
        self._headers(lay, snap, capacity)
        if full:
            self._last_full = now
            paused, stopped = self.state == PAUSED, self.state == STOPPED
            for v in workers:
                card = self._cards.get(v.name)
                if card is None:
                    continue
                state = v.state
                if stopped:
                    state = "stopped"
                elif paused and state != theme.READY:
                    state = theme.PAUSED
                held = v.item if v.item not in in_flight else -1
                card.update(state, v.done if counts else None, held)
            if self._bar is not None:
                self._update_bar(lay, len(ids), capacity)
            else:
                for i, slot in enumerate(self._slots):
                    item = ids[i] if i < len(ids) else -1
                    slot.show(-1 if item in in_flight else item)
        self._move_tokens(lay, ids, now, fast)
        if fast != self._fast_shown:
            self._fast_shown = fast
            self._fast_note.item.setVisible(fast)
        banner = self.state == PAUSED
        if banner != self._banner_shown:
            self._banner_shown = banner
            self._banner.setVisible(banner)

    def _headers(self, lay: Layout, snap: Snapshot | None, capacity: int) -> None:
        s = lay.scale
        n_p, n_c = len(lay.producers), len(lay.consumers)
        text = f"Consumers ({n_c})"
        if text != self._h_cons.text:
            self._h_cons.set(text)
            self._h_cons.item.setPos(lay.width - 12 * s - self._h_fm.horizontalAdvance(text),
                                     lay.header_y)  # fmt: skip
        self._h_prod.set(f"Producers ({n_p})")
        n = snap.in_buffer if snap is not None else 0
        status, key = "", "normal"
        if snap is not None:
            if n >= capacity:
                status, key = "FULL", WAITING_FULL
            elif n <= 0:
                status, key = "EMPTY", WAITING_EMPTY
        text = f"Buffer  {n} / {capacity}"
        if text != self._h_buf.text or status != self._h_status.text:
            gap = 12 * s
            total = self._h_fm.horizontalAdvance(text) + (
                gap + self._h_fm.horizontalAdvance(status) if status else 0
            )
            x = lay.buffer.center().x() - total / 2
            self._h_buf.set(text)
            self._h_buf.item.setPos(x, lay.header_y)
            self._h_status.set(status)
            if status:
                self._h_status.item.setBrush(self._styles.solid[key])
                self._h_status.item.setPos(
                    x + self._h_fm.horizontalAdvance(text) + gap, lay.header_y
                )
        if key != self._frame_key:
            self._frame_key = key
            color = theme.state_color(key) if key != "normal" else theme.color("frame")
            self._frame.setPen(QPen(color, 2.5 * s))

    def _update_bar(self, lay: Layout, n: int, capacity: int) -> None:
        if n == self._bar_n:
            return
        self._bar_n = n
        inner = lay.buffer.adjusted(4, 4, -4, -4)
        w = inner.width() * min(1.0, n / capacity)
        self._bar.setRect(QRectF(inner.right() - w, inner.top(), w, inner.height()))
        self._bar_label.set(f"{n:,} items")
        fm = QFontMetricsF(self._bar_label.item.font())
        self._bar_label.item.setPos(
            inner.center().x() - fm.horizontalAdvance(self._bar_label.text) / 2,
            inner.center().y() - fm.height() / 2,
        )

    def _move_tokens(self, lay: Layout, ids, now: float, fast: bool) -> None:
        live = [] if fast else self.model.live_tokens(now)
        index = {item: i for i, item in enumerate(ids)} if live else {}
        for k, tok in enumerate(live[: len(self._tokens)]):
            p = ease(tok.progress(now, self.model.duration))
            if tok.inbound:
                src = lay.producers.get(tok.worker)
                if src is None:
                    self._tokens[k].hide()
                    continue
                a = QPointF(src.right(), src.center().y())  # never across other cards
                i = index.get(tok.item)
                b = lay.slots[i].center() if i is not None and i < len(lay.slots) else lay.entrance
            else:
                dst = lay.consumers.get(tok.worker)
                if dst is None:
                    self._tokens[k].hide()
                    continue
                a = lay.slots[0].center() if lay.slots else lay.exit
                b = held_anchor(dst, "consumer", lay)
            self._tokens[k].show(tok.item, a + (b - a) * p)
        for t in self._tokens[len(live) :]:
            t.hide()


def _number(name: str) -> int:
    return int(name[1:]) if name[1:].isdigit() else 0
