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
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, QSizeF, Qt, Signal, Slot
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QSizePolicy, QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event, item_label
from simulator.engine.metrics import WorkerView
from simulator.engine.simulation import IDLE, PAUSED, RUNNING, Snapshot
from simulator.engine.workers import ROLES, Role, number_of, worker_name
from simulator.ui import theme
from simulator.ui.canvas_items import CLAIMED_EMPTY, ITEM_FORMS, row_forms
from simulator.ui.canvas_layout import (
    MIN_TEXT_PX,
    Layout,
    caption_fit,
    compute_layout,
    held_anchor,
)
from simulator.ui.canvas_model import TWEEN_S, CanvasModel, ease
from simulator.ui.canvas_scene import SceneItems, banner_text, build_scene

FAST_REFRESH_S = 0.05  # in fast mode, the whole picture refreshes at 20 Hz
#: the canvas's minimum height: headers, one card a side, the buffer and the legend
MIN_HEIGHT = 260


class SimulationCanvas(QGraphicsView):
    """The simulation drawn as a scene: fed events (:meth:`on_batch`) for the travelling
    items and snapshots (:meth:`on_snapshot`) for everything else."""

    #: a worker's card was clicked: its name (the Inside view highlights its line)
    workerClicked = Signal(str)

    def __init__(self, config: SimulationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setInteractive(False)
        self.setBackgroundBrush(theme.CANVAS_BG)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # the canvas must be given at least this: a taller minimum than its slot in the
        # window (a guide of four lines above it, the Rewind bar below) made Qt draw it
        # past the slot, under the Rewind bar; the layout scales down to this height
        self.setMinimumSize(560, MIN_HEIGHT)
        self.model = CanvasModel()
        self.config = config
        self.snapshot: Snapshot | None = None
        self.state = IDLE  #: the run's state, from the latest snapshot
        self.paints = 0
        self.last_paint_s = 0.0  # duration of the last paint, for the benchmark
        #: optional callback(time.monotonic()) after each paint
        self.on_painted: Callable[[float], None] | None = None
        self.boost = 1.0  # presentation mode makes everything larger
        self.caption = ""
        self._caption_shown = ""  #: the caption the scene shows now
        self._layout: Layout | None = None
        self._layout_key: tuple[object, ...] | None = None
        self._items: SceneItems | None = None  # made with _layout, replaced with it
        self._last_full = 0.0
        #: the snapshot the scene's figures were last drawn from (None: no run)
        self.shown_snapshot: Snapshot | None = None

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
        if text == self.caption:
            return
        self.caption = text
        # the layout keeps a band for a caption (lines as many as it takes): the scene
        # is made anew only if the new one needs another band (see _rebuild)
        self.refresh()

    def sizeHint(self) -> QSize:
        return QSize(900, 420)

    def free_spot(self, w: int, h: int, drawn: list[QRectF] | None = None) -> QPoint:
        """Where a ``w`` x ``h`` box laid over the canvas (REPLAY's mark) covers the least
        it draws: a spot :meth:`clear_spot` finds, else the least covered of them.
        ``drawn``: :meth:`drawn`'s rects, if the caller has them (see clear_spot)."""
        if drawn is None:
            drawn = self.drawn()
        spot = self.clear_spot(w, h, drawn)
        if spot is not None:
            return spot
        spots = self._spots(w, h)
        if not spots:
            vw, vh = self.viewport().width(), self.viewport().height()
            return QPoint(max(0, vw - w - 6), max(0, vh - h - 4))
        best = min(spots, key=lambda at: self._covered(at, w, h, drawn))
        return QPoint(max(0, best.x()), max(0, best.y()))

    def clear_spot(self, w: int, h: int, drawn: list[QRectF] | None = None) -> QPoint | None:
        """Where a ``w`` x ``h`` box laid over the canvas covers nothing it draws: the
        first of the top-right corner under the headers, the top-left one, the middle
        under the headers, the bottom right (over the legend's end), then the header
        line's gaps (right of the buffer's title, left of it); None where every one
        covers something (64 workers a side fill every corner: a shorter mark may fit
        the header line). Over the legend it hid half its words at 1024 px.

        ``drawn`` is :meth:`drawn`'s rects if the caller has them: walking every scene
        item costs about a millisecond at 64 workers a side, and a caller trying several
        boxes on one picture (REPLAY's mark, longest text first) walks them once."""
        if drawn is None:
            drawn = self.drawn()
        for at in self._spots(w, h):
            if self._covered(at, w, h, drawn) == 0:
                return QPoint(max(0, at.x()), max(0, at.y()))
        return None

    def _spots(self, w: int, h: int) -> list[QPoint]:
        """The places :meth:`clear_spot` tries for a ``w`` x ``h`` box, best first."""
        lay, items = self._layout, self._items
        if lay is None or items is None:
            return []
        vw, vh = self.viewport().width(), self.viewport().height()
        pad = round(lay.legend.left())
        below_headers = round(lay.header_y + 30 * lay.scale)
        spots = [
            QPoint(vw - pad - w, below_headers),
            QPoint(pad, below_headers),
            QPoint((vw - w) // 2, below_headers),
            QPoint(vw - w - 6, vh - h - 4),
        ]
        # in the header line, ending just above the cards, in the gaps between the titles
        top = max(0, below_headers - h - 1)
        heads = items.headers
        titles = [heads.producers, heads.buffer, heads.status, heads.consumers]
        edges = sorted(
            (r.left(), r.right())
            for t in titles
            if t.text and not (r := t.item.sceneBoundingRect()).isEmpty()
        )
        gaps = sorted(
            ((a[1], b[0]) for a, b in pairwise(edges)),
            key=lambda g: -(g[0] > lay.width / 2),  # the right one first, then the left
        )
        for a, b in gaps:
            spots.append(QPoint(round((a + b - w) / 2), top))
        return spots

    def drawn(self) -> list[QRectF]:
        """The rects of what the canvas draws now (a backdrop excepted), for
        :meth:`clear_spot` and :meth:`free_spot`."""
        vw, vh = self.viewport().width(), self.viewport().height()
        return [
            r
            for item in self.scene().items()
            if item.isVisible()
            and not (r := item.sceneBoundingRect()).isEmpty()
            and r.width() * r.height() < 0.4 * vw * vh  # not a backdrop
        ]

    def _covered(self, at: QPoint, w: int, h: int, drawn: list[QRectF]) -> float:
        """How much of what is ``drawn`` a ``w`` x ``h`` box at ``at`` hides (inf: the
        box is not wholly on the canvas)."""
        box = QRectF(at.x(), at.y(), w, h)
        if not QRectF(0, 0, self.viewport().width(), self.viewport().height()).contains(box):
            return float("inf")
        return sum(
            (cut := box.intersected(r)).width() * cut.height() for r in drawn if box.intersects(r)
        )

    # ---- feeding -----------------------------------------------------------------
    def on_batch(self, batch: list[Event], total: int | None = None) -> None:
        self.model.feed(batch, time.monotonic(), total)

    @Slot(object)
    def on_snapshot(self, snap: Snapshot, refresh: bool = True) -> None:
        """Take ``snap``; redraw from it at once unless the caller will (``refresh``)."""
        self.snapshot = snap
        self.state = snap.state
        self.config = snap.config
        self.model.duration = TWEEN_S / snap.config.time_scale  # slow motion slows tokens
        if refresh and self.isVisible():  # nothing to update while hidden or minimised
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
        self.state = IDLE
        self.model.clear()
        self.refresh(force=True)

    def card_at(self, pos: QPointF) -> str | None:
        """The worker whose card is at scene position ``pos``, or None."""
        if self._items is None:
            return None
        for name, card in self._items.cards.items():
            if card.rect.contains(pos):
                return name
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        name = self.card_at(self.mapToScene(event.position().toPoint()))
        if name is not None:
            self.workerClicked.emit(name)
        super().mousePressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.scene().setSceneRect(0, 0, self.viewport().width(), self.viewport().height())
        self.refresh(force=True)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def paintEvent(self, event: QPaintEvent) -> None:
        t0 = time.perf_counter()
        super().paintEvent(event)  # C++ renders the scene; Python is not involved
        self.paints += 1
        self.last_paint_s = time.perf_counter() - t0
        if self.on_painted is not None:
            self.on_painted(time.monotonic())

    # ---- building the scene (on resize or when workers/capacity change) -------------
    def _measure(self, text: str, px: float, bold: bool) -> float:
        """The width of ``text`` in the canvas's font (for the layout's decisions), at
        the size :meth:`Styles.font` draws it."""
        f = QFont(self.font())
        f.setPixelSize(max(MIN_TEXT_PX, round(px)))
        f.setBold(bold)
        return QFontMetricsF(f).horizontalAdvance(text)

    def _workers(self) -> tuple[tuple[WorkerView, ...], int]:
        snap = self.snapshot
        if snap is not None and snap.workers:
            views = sorted(snap.workers, key=lambda w: (ROLES.index(w.role), number_of(w.name)))
            return tuple(views), snap.capacity
        return idle_workers(self.config), (snap.capacity if snap else self.config.capacity)

    def _rebuild(
        self, workers: tuple[WorkerView, ...], capacity: int
    ) -> tuple[Layout, SceneItems]:
        """The layout and scene for these workers and capacity at the current size; made
        anew only when one of those (or the boost, or the theme) changed, or the caption
        needs another band (its size or line count): a caption's new text in the band
        it has is only shown (a scenario's every step changes it)."""
        w, h = self.viewport().width(), self.viewport().height()
        prods = [v.name for v in workers if v.role == Role.PRODUCER]
        cons = [v.name for v in workers if v.role == Role.CONSUMER]
        key = (w, h, tuple(prods), tuple(cons), capacity, self.boost)
        lay, items = self._layout, self._items
        if key == self._layout_key and lay is not None and items is not None:
            if self.caption == self._caption_shown:
                return lay, items
            fit = caption_fit(lay, self.caption, self._measure)
            band = (lay.caption_px, len(lay.caption_lines))
            if fit is not None and (fit[0], len(fit[1])) == band:
                lay.caption_lines = fit[1]
                items.caption.show(self.caption)
                self._caption_shown = self.caption
                return lay, items
        lay = compute_layout(w, h, prods, cons, capacity, self.boost, self._measure, self.caption)
        items = build_scene(self.scene(), lay, self.font(), workers)
        items.caption.show(self.caption)
        self._caption_shown = self.caption
        self._layout, self._layout_key, self._items = lay, key, items
        self._last_full = 0.0
        return lay, items

    # ---- one frame -----------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Bring the scene up to date with the latest snapshot, touching only what changed.

        Every figure (the header's count, the slots or bar, the cards' states, counts and
        held items, the per-state counts) changes on the same frames and from the same
        snapshot, so the picture never contradicts itself: every frame while animating,
        at :data:`FAST_REFRESH_S` in fast mode (tokens are not drawn then)."""
        if self.viewport().width() < 10:
            return
        workers, capacity = self._workers()
        lay, items = self._rebuild(workers, capacity)
        now = time.monotonic()
        snap = self.snapshot
        fast = self.model.fast(now)
        # tokens first: a card hides its item only while a token draws it this frame (a
        # token skipped as overlapping, or landed, leaves the item in the card's hand)
        flying = self._move_tokens(lay, items, workers, now, fast)
        if force or not fast or now - self._last_full >= FAST_REFRESH_S:
            self._last_full = now
            self._show_figures(items, workers, capacity, fast, flying)
        self._move_drops(lay, items, now, fast)
        items.fast_note.show(fast)
        items.banner.show(banner_text(self.state, snap))

    def _show_figures(
        self,
        items: SceneItems,
        workers: tuple[WorkerView, ...],
        capacity: int,
        fast: bool,
        flying: set[int],
    ) -> None:
        """Header, buffer, cards and tallies from :attr:`snapshot`, all at once; a
        consumer's item in ``flying`` (drawn by its token this frame) is not drawn in
        its hand too."""
        snap = self.snapshot
        self.shown_snapshot = snap
        # the real slots where a broken buffer's differ from the books (see Snapshot.slots)
        ids = () if snap is None else snap.slots if snap.slots is not None else snap.buffer
        # the pills by the books, as the statistics and a cut-short note count them
        pills = snap.pills_in_buffer if snap is not None else 0
        items.headers.show(snap.in_buffer if snap is not None else None, capacity, pills)
        # the main thread's pills, still to put
        items.pending_pills.show(snap.pills_waiting if snap is not None else 0)
        # an item flying to a consumer is drawn by its token, not twice
        arriving = set() if fast else flying
        states: dict[str, list[str]] = {"producer": [], "consumer": []}
        cpu_work = snap is not None and snap.config.work == "cpu"  # then each card's CPU
        for v in workers:
            card = items.cards.get(v.name)
            if card is None:
                continue
            shown = theme.display_state(self.state, v.state)
            states[v.role].append(shown)
            card.update(shown, v.done, v.item if v.item not in arriving else -1)
            card.show_cpu(v.cpu_share if cpu_work else None, v.meant_share)
        for role, tally in items.tallies.items():
            tally.show(states[role])
        if items.bar is not None:
            items.bar.show(max(0, len(ids) - pills), capacity, pills)
        else:
            forms: tuple[str, ...] = ITEM_FORMS
            if items.slots and items.slots[0].label is not None:
                r = items.slots[0].rect
                forms = row_forms(ids, QSizeF(r.width() - 4, r.height()), items.styles.slot_fm)
            for i, slot in enumerate(items.slots):
                # a place the count claims that holds nothing (see Snapshot.slots)
                at = (ids[i] if ids[i] >= 0 else CLAIMED_EMPTY) if i < len(ids) else -1
                slot.show(at, forms)

    def _move_tokens(
        self,
        lay: Layout,
        items: SceneItems,
        workers: tuple[WorkerView, ...],
        now: float,
        fast: bool,
    ) -> set[int]:
        """Move the items in flight from the exit to the consumer that took them, while it
        holds them (a put needs no token: the item's slot shows it at once). A token that
        would overlap another is not drawn this frame: its item stays in the consumer's
        hand; in REPLAY no token is drawn. Returns the items the tokens draw."""
        # REPLAY's model (replay_bar.FrozenModel) has no live tokens: a still picture
        # draws none mid-flight
        live = [] if fast else self.model.live_tokens(now)
        tokens = items.tokens
        drawn: set[int] = set()
        if not live:
            for t in tokens:
                t.hide()
            return drawn
        holding = {v.name: v.item for v in workers}
        size = lay.held.get("consumer", lay.token)  # every one flies to a consumer's hand
        half_w, half_h = size.width() / 2, size.height() / 2
        placed: list[tuple[float, float]] = []
        k = 0
        duration = self.model.duration
        for tok in sorted(live, key=lambda t: t.t0):  # the nearest to arriving first
            if k >= len(tokens):
                break
            p = ease(tok.progress(now, duration))
            if tok.inbound:
                # a put is drawn by its slot, which shows the item from the moment it is
                # in the buffer: a flying copy beside it would show one item twice
                continue
            else:
                dst = lay.consumers.get(tok.worker)
                if dst is None or holding.get(tok.worker) != tok.item:
                    continue  # consumed already: its consumer holds nothing
                # from just outside the exit: the slot it left may already hold the next
                # item, which a token starting over it would hide
                a = QPointF(lay.exit.x() + half_w + 2, lay.exit.y())
                b = held_anchor(dst, Role.CONSUMER, lay)
            pos = a + (b - a) * p
            x, y = pos.x(), pos.y()
            if any(abs(x - px) < 2 * half_w and abs(y - py) < 2 * half_h for px, py in placed):
                # it would cover another (two takes at once): it lands at once instead,
                # rather than blink between the hand and the air as the two part
                del self.model.tokens[tok.worker]
                continue
            placed.append((x, y))
            tokens[k].show(tok.item, pos)
            drawn.add(tok.item)
            k += 1
        for t in tokens[k:]:
            t.hide()
        return drawn

    def _move_drops(self, lay: Layout, items: SceneItems, now: float, fast: bool) -> None:
        """Items the full policy let go, leaving the picture downwards with their word:
        a rejected one from its producer's hand, an overwritten one from the buffer's
        exit (the oldest item's place); they fade out above the legend. A recovered one
        (a dead consumer's, redis) comes back from the consumers' side to just above the
        exit and stays there with its word, then fades."""
        live = [] if fast else self.model.live_drops(now)
        pool = items.drops
        k = 0
        worded: list[QPointF] = []  # where a word is shown: a second one there would overprint
        near_y, near_x = lay.token.height(), lay.token.width() * 3
        recovered = 0
        for d in live:
            if k >= len(pool):
                break
            if d.word == "recovered":  # above the exit (its captions are below), stacked
                p = d.progress(now)
                a = QPointF(lay.consumers_left - lay.token.width(), lay.exit.y())
                above = lay.token.height() * (0.9 + 1.2 * recovered)
                b = QPointF(lay.exit.x() - lay.token.width() / 2, lay.buffer.top() - above)
                recovered += 1
                pos = a + (b - a) * ease(min(1.0, p / 0.3))
                worded.append(pos)
                pool[k].show(d.item, d.word, pos, max(0.0, (p - 0.75) / 0.25))
                k += 1
                continue
            if d.word == "rejected":
                card = lay.producers.get(d.worker)
                if card is None:
                    continue
                a = held_anchor(card, Role.PRODUCER, lay)
            else:
                # from just under the exit's caption (its word would cover it)
                a = QPointF(
                    lay.exit.x() - lay.token.width() / 2, lay.exit.y() + lay.token.height()
                )
            # down to just above the legend (it fades on the way), never over it
            floor = lay.legend.top() - lay.token.height()
            b = QPointF(a.x(), max(a.y() + lay.token.height(), floor))
            p = d.progress(now)
            pos = a + (b - a) * ease(p)
            # the token always shows; its word only where no other word is, and a rejected
            # one's not beside the buffer (it would cover the buffer's captions)
            clear = all(
                abs(pos.y() - q.y()) > near_y or abs(pos.x() - q.x()) > near_x for q in worded
            ) and not (
                d.word == "rejected" and lay.buffer.adjusted(-near_x, 0, 0, near_y).contains(pos)
            )
            if clear:
                worded.append(pos)
            pool[k].show(d.item, d.word, pos, p, worded=clear)
            k += 1
        for drop in pool[k:]:
            drop.hide()

    # ---- what the canvas shows ---------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """What the canvas shows, read back from its scene items (not from the snapshot):

        ``{"header": {"count": N}, "buffer": {"mode": "row|grid|bar", "count": N,
        "items": ["P1-3", ...]}, "cards": [{"name": "P1", "state": "waiting: buffer full",
        "item": "P1-13" or None}, ...]}``

        ``buffer.items`` are the ids the slots are drawn for, exit (oldest) first; ``[]``
        in bar mode, whose count is the bar's. A card's ``state`` is its whole display
        state (it may draw the short word); its ``item`` is the item drawn in its hand."""
        items, lay = self._items, self._layout
        if items is None or lay is None:
            return {
                "header": {"count": 0},
                "buffer": {"mode": "row", "count": 0, "items": []},
                "cards": [],
            }
        header = items.headers.buffer.item.text().split()  # "Buffer", "N", "/", "capacity"
        drawn: list[str] = []
        if items.bar is not None:
            count = items.bar.n  # items and pills, as the slots count them
        else:
            drawn = [item_label(s.item) for s in items.slots if s.item >= 0]
            count = len(drawn)
        cards = [
            {
                "name": card.name.item.text(),
                "state": card.shown_state,
                "item": (
                    item_label(card.held.item)
                    if card.held is not None and card.held.box.isVisible()
                    else None
                ),
            }
            for card in items.cards.values()
        ]
        drops = [
            {"item": item_label(d.item), "word": d.kind, "worded": bool(d.word.text)}
            for d in items.drops
            if d.visible
        ]
        return {
            "header": {"count": int(header[1])},
            "buffer": {"mode": lay.mode, "count": count, "items": drawn},
            "cards": cards,
            "drops": drops,
            # the items on their way to a consumer, each drawn by its token (not its card)
            "tokens": [item_label(t.item) for t in items.tokens if t.visible],
            # the poison pills the main thread waits to put, as drawn (0: none shown)
            "pills_waiting": items.pending_pills.n if items.pending_pills.visible else 0,
        }


def idle_workers(cfg: SimulationConfig) -> tuple[WorkerView, ...]:
    """Cards for the workers the next start will create, shown before it."""
    counts = {Role.PRODUCER: cfg.producers, Role.CONSUMER: cfg.consumers}
    return tuple(
        WorkerView(worker_name(role, i), role, theme.READY, -1, 0, 0.0, (0.0, 0.0))
        for role in ROLES
        for i in range(1, counts[role] + 1)
    )
