"""The canvas's scene items: each wraps a few plain Qt items and remembers what it last
sent them, so a frame talks to Qt only about what changed (see ``canvas.py`` for why).

Every item is made once per layout (by ``canvas_scene.build_scene``) and then only
updated; none of them paints in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainterPath,
    QPen,
    QTextOption,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
)

from simulator.engine.events import ITEM_SHIFT, is_pill, item_label, pill_id
from simulator.engine.metrics import WorkerView
from simulator.engine.workers import Role, WorkerState
from simulator.ui import theme
from simulator.ui.canvas_layout import (
    CARD_INSET,
    LABELLED_TOKEN_H,
    MIN_TEXT_PX,
    Layout,
    card_lines,
    held_anchor,
    text_px,
    wrap,
)

WAIT_STATES = (WorkerState.WAITING_FULL, WorkerState.WAITING_EMPTY)


def rounded(rect: QRectF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    return path


CARD_TINT = 0.2  #: how much of its state's colour a card's background takes


class Styles:
    """Pens, brushes and fonts made once per layout, never per frame."""

    def __init__(self, lay: Layout, base: QFont) -> None:
        s = lay.scale
        self.base = base
        self.card_pen = {k: QPen(c, 2.0 * s) for k, c in theme.STATE_COLORS.items()}
        self.card_brush: dict[str, QBrush] = {}
        self.solid: dict[str, QBrush] = {}
        for k, c in theme.STATE_COLORS.items():
            # cards: 20 % state colour over the surface (the tint the contrast test checks)
            self.card_brush[k] = QBrush(theme.blend(theme.SURFACE, c, CARD_TINT))
            self.solid[k] = QBrush(c)
        self.wait_pen: dict[str, QPen] = {
            k: QPen(theme.state_color(k), 2 * s, Qt.PenStyle.DashLine) for k in WAIT_STATES
        }
        self.token_brush = [QBrush(QColor(h)) for h in theme.TOKEN_HUES]
        self.token_pen = [QPen(QColor(h).darker(150), 1.5) for h in theme.TOKEN_HUES]
        #: a poison pill: white with a heavy black border, and the word STOP (no
        #: producer's tint: no producer made it)
        self.pill_brush = QBrush(QColor("#FFFFFF"))
        self.pill_pen = QPen(QColor("#000000"), 3.0 * s)
        self.empty_pen = QPen(theme.color("slot_empty"), 1, Qt.PenStyle.DashLine)
        self.token_ink = QBrush(QColor(theme.TOKEN_INK))  # tokens are pastel in every theme
        self.no_brush = QBrush(Qt.BrushStyle.NoBrush)
        self.ink = QBrush(theme.INK)
        self.muted = QBrush(theme.MUTED)
        #: the buffer's FULL / EMPTY word: the state's hue, readable on the canvas
        self.status_ink: dict[str, QBrush] = {
            WorkerState.WAITING_FULL: QBrush(theme.color("full_text")),
            WorkerState.WAITING_EMPTY: QBrush(theme.color("empty_text")),
        }
        self.header = self.font(15 * s, True)
        self.small = self.font(text_px(s))
        self.small_fm = QFontMetricsF(self.small)
        self.token_font = self.font(text_px(s), True)
        self.token_fm = QFontMetricsF(self.token_font)
        self.slot_font = self.token_font
        self.slot_fm = self.token_fm
        self._count_w: dict[str, float] = {" done": self.small_fm.horizontalAdvance(" done")}

    def count_width(self, text: str) -> float:
        """The width of a card's count (``42`` or ``42 done``) in the small font, from
        cached per-digit widths: no call into Qt per frame (digits are tabular)."""
        digits, _, rest = text.partition(" ")
        w = self._count_w.get(digits[:1] or "0")
        if w is None:
            w = self._count_w[digits[0]] = self.small_fm.horizontalAdvance(digits[0])
        return w * len(digits) + (self._count_w[" done"] if rest else 0.0)

    def font(self, px: float, bold: bool = False) -> QFont:
        """The widget's font at ``px`` pixels (never below :data:`MIN_TEXT_PX`), rounded:
        presentation mode on a canvas a guide made low asks 12.96 px, which truncated to
        the 12 px of the plain window (its text looked no larger, if not smaller)."""
        f = QFont(self.base)
        f.setPixelSize(max(MIN_TEXT_PX, round(px)))
        f.setBold(bold)
        return f

    def token(self, item: int) -> tuple[QBrush, QPen]:
        """An item's colours: those of the producer that made it (a pill's own)."""
        if is_pill(item):
            return self.pill_brush, self.pill_pen
        i = ((item >> ITEM_SHIFT) - 1) % len(self.token_brush)
        return self.token_brush[i], self.token_pen[i]

    def card(self, state: str) -> tuple[QPen, QBrush, QBrush]:
        """A card's pen, tint and stripe for ``state`` (unknown states look ready)."""
        return (
            self.card_pen.get(state, self.card_pen[theme.READY]),
            self.card_brush.get(state, self.card_brush[theme.READY]),
            self.solid.get(state, self.solid[theme.READY]),
        )


#: the shapes of an item's label, most to least telling (see :meth:`Label.set_item`)
ITEM_FORMS = ("full", "stacked")


class Label:
    """A text item that only talks to Qt when its text changes."""

    def __init__(
        self,
        scene: QGraphicsScene,
        font: QFont,
        brush: QBrush,
        parent: QGraphicsItem | None = None,
    ) -> None:
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

    def set_item(
        self,
        item: int,
        center: QPointF,
        size: QSizeF,
        fm: QFontMetricsF,
        forms: tuple[str, ...] = ITEM_FORMS,
    ) -> None:
        """An item's label centred in ``size``, in the first of ``forms`` that fits:
        ``"full"`` (``P1-42``) or ``"stacked"`` (``P1`` over ``42``); nothing where none
        fits (the colour still tells the producer). Never a bare number: a row of them
        (16 17 15 15 …) reads like a broken FIFO, and two hands' ``18`` like one item."""
        full = item_label(item)
        producer, _, seq = full.partition("-")
        text = ""
        shapes = {"full": full, "stacked": f"{producer}\n{seq}"}
        tries = ("STOP", "pill") if is_pill(item) else tuple(shapes[f] for f in forms)
        for t in tries:
            if fits(t, size, fm):
                text = t
                break
        self.set(text)
        if text:
            lines = text.split("\n")
            w = max(fm.horizontalAdvance(x) for x in lines)
            self.item.setPos(center.x() - w / 2, center.y() - len(lines) * fm.height() / 2)


def fits(text: str, size: QSizeF, fm: QFontMetricsF) -> bool:
    """Whether ``text`` (lines split at ``\\n``) fits in ``size`` in ``fm``'s font."""
    lines = text.split("\n")
    tall = len(lines) * fm.height() <= size.height() + 2
    return tall and max(fm.horizontalAdvance(x) for x in lines) <= size.width()


def row_forms(items: Iterable[int], size: QSizeF, fm: QFontMetricsF) -> tuple[str, ...]:
    """The one shape every slot of the buffer shows at this frame: the most telling that
    holds each item in it now (``P1-42``, else ``P1`` over ``42``); none (the colour
    alone) where not every item fits. One shape for the row: a row mixing ``P7`` /
    ``14``, ``P13-7`` and a bare ``14`` read as different kinds of thing; chosen from
    the items on show, so a short run keeps its labels until its numbers grow."""
    labels = [item_label(i).partition("-") for i in items if i >= 0 and not is_pill(i)]
    for form in ITEM_FORMS:
        if all(
            fits(f"{p}-{n}" if form == "full" else f"{p}\n{n}", size, fm) for p, _, n in labels
        ):
            return (form,)
    return ()


class Toggle:
    """An item shown or hidden as a whole (the paused banner, the fast-mode note)."""

    def __init__(self, item: QGraphicsItem) -> None:
        self.item = item
        self.shown = False
        item.setVisible(False)

    def show(self, shown: bool) -> None:
        if shown != self.shown:
            self.shown = shown
            self.item.setVisible(shown)


#: the most lines a banner wraps onto (then it is cut with "…")
BANNER_LINES = 2


class Banner:
    """A dark rounded note above the buffer with its text, or hidden.

    It says what holds the whole picture still (paused, workers still starting); the box
    is fitted to the text each time the text changes, never per frame. A text wider than
    ``max_width`` (the room between the columns of cards) wraps onto more lines rather
    than cover a card's name. The box stays between ``top`` (under the header's line)
    and ``bottom`` (the buffer's top): a wrapped banner that grew up from its centre lay
    over "Buffer 1 / 4"; one too tall for that room takes a smaller font (never below
    :data:`MIN_TEXT_PX`), and only then reaches down over the buffer, never up.
    """

    def __init__(
        self,
        scene: QGraphicsScene,
        font: QFont,
        center: QPointF,
        height: float,
        max_width: float = 1e9,
        top: float = -1e9,
        bottom: float = 1e9,
    ):
        self.box = QGraphicsPathItem()
        self.box.setBrush(QBrush(theme.color("banner")))
        self.box.setPen(QPen(Qt.PenStyle.NoPen))
        self.box.setZValue(20)
        self.box.setVisible(False)
        scene.addItem(self.box)
        self.label = Label(scene, font, QBrush(theme.color("banner_ink")), self.box)
        self.font = font
        self.metrics = QFontMetricsF(font)
        self.center, self.height, self.max_width = center, height, max_width
        self.top, self.bottom = top, bottom
        #: the box's padding above and below its text, kept when the font shrinks
        self.pad = max(8.0, height - self.metrics.height())
        self.text: str | None = None

    @property
    def shown(self) -> bool:
        return self.text is not None

    def fit(self, text: str) -> list[str]:
        """``text`` as drawn, in lines no wider than the room between the columns of
        cards: one line if it fits, else wrapped onto :data:`BANNER_LINES`; if that is
        not enough, without its last " — " part (the keys' hint, "— → steps again, Space
        resumes"), and the last line cut with "…" only if still too long (a projector's
        800 px with presentation mode's larger text)."""
        fm, room = self.metrics, self.max_width - 40  # the box's padding
        lines = wrap(text, room, fm.horizontalAdvance)
        if len(lines) > BANNER_LINES:
            lines = wrap(text.rsplit(" — ", 1)[0], room, fm.horizontalAdvance)
        return elide(lines, BANNER_LINES, room, fm)[0]

    def _box_h(self, lines: list[str]) -> float:
        fm = self.metrics
        return self.pad + fm.height() + fm.lineSpacing() * (len(lines) - 1)

    def show(self, text: str | None) -> None:
        """Show ``text`` (None hides the banner)."""
        if text == self.text:
            return
        self.text = text
        self.box.setVisible(text is not None)
        if text is None:
            return
        # red, and the word says it too: a deadlock, a join that never returns, losses
        alarm = text.startswith(("DEADLOCK", "STUCK", "TERMINATED"))
        box, ink = ("banner_alarm", "banner_alarm_ink") if alarm else ("banner", "banner_ink")
        self.box.setBrush(QBrush(theme.color(box)))  # opaque: its text's contrast holds
        self.label.item.setBrush(QBrush(theme.color(ink)))
        room = self.bottom - self.top
        font = QFont(self.font)
        px = font.pixelSize()
        while True:  # the largest font whose box fits between the header and the buffer
            font.setPixelSize(px)
            self.metrics = QFontMetricsF(font)
            lines = self.fit(text)
            h = self._box_h(lines)
            if h <= room or px <= MIN_TEXT_PX:
                break
            px -= 1
        self.label.item.setFont(font)
        fm = self.metrics
        w = max(fm.horizontalAdvance(t) for t in lines) + 40
        y = min(self.center.y() - h / 2, self.bottom - h)  # up from the buffer if needed
        y = max(y, self.top)  # never over the header: down over the buffer instead
        rect = QRectF(self.center.x() - w / 2, y, w, h)
        self.box.setPath(rounded(rect, 8))
        self.label.set("\n".join(lines))
        text_h = fm.height() + fm.lineSpacing() * (len(lines) - 1)
        self.label.item.setPos(rect.left() + 20, rect.center().y() - text_h / 2)


def elide(
    lines: list[str], most: int, room: float, fm: QFontMetricsF, more: bool = False
) -> tuple[list[str], bool]:
    """``(lines, cut)``: wrapped ``lines`` as drawn in at most ``most`` lines ``room``
    wide, and whether anything was cut. Where the words do not all fit (more lines than
    ``most``, a line wider than ``room``, or ``more``: words already dropped by whoever
    wrapped them) the last line ends in "…" and every line is elided to ``room``. The
    banner's and the caption's one way of saying "there is more"."""
    cut = more or len(lines) > most or any(fm.horizontalAdvance(t) > room for t in lines)
    if not cut:
        return lines, False
    lines = lines[:most]
    end = f"{lines[-1]} …" if len(lines) == most or more else lines[-1]
    lines[-1] = end
    return [fm.elidedText(t, Qt.TextElideMode.ElideRight, room) for t in lines], True


class TokenItem:
    """An item's rounded tag; one Qt item (the label is its child), moved with one call."""

    def __init__(self, scene: QGraphicsScene, st: Styles, size: QSizeF, labelled: bool) -> None:
        w, h = size.width(), size.height()
        self.box = QGraphicsPathItem(rounded(QRectF(-w / 2, -h / 2, w, h), 4))
        self.box.setZValue(10)
        scene.addItem(self.box)
        self.st = st
        self.w, self.h = w, h
        self.size = QSizeF(w - 4, h)
        self.label = Label(scene, st.token_font, st.token_ink, self.box) if labelled else None
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
                self.label.set_item(item, QPointF(0, 0), self.size, self.st.token_fm)
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


class DropItem:
    """An item leaving the picture by the full policy: its tag with a thick border in the
    drop colour, and the word ("rejected", "overwritten") beside it, fading as it goes.
    Colour and word together: the word says what the colour means."""

    def __init__(self, scene: QGraphicsScene, st: Styles, size: QSizeF, labelled: bool) -> None:
        self.token = TokenItem(scene, st, size, labelled)
        self.token.box.setZValue(11)
        self.pen = QPen(DROP_COLOR, 3)
        # the word in the darker shade (readable on the light surface), bold
        self.word = Label(scene, st.token_font, QBrush(theme.ALARM_COLOR))
        self.word.item.setParentItem(self.token.box)
        self.word.item.setPos(size.width() / 2 + 4, -st.token_fm.height() / 2)
        self.item = -2
        self.kind = ""  #: "rejected" or "overwritten", shown in words or not
        self.hide()

    @property
    def visible(self) -> bool:
        return self.token.visible

    def show(self, item: int, word: str, pos: QPointF, fade: float, worded: bool = True) -> None:
        """``item`` at ``pos`` with ``word`` (unless not ``worded``: another drop's word
        is where this one's would be), ``fade`` (0-1) of the way out."""
        self.kind = word
        if item != self.item:
            self.item = item
            self.token.show(item, pos)
            self.token.box.setPen(self.pen)  # the drop's border, over the producer's
        else:
            self.token.show(item, pos)
        self.word.set(word if worded else "")
        # an overwritten item leaves from the buffer's exit, beside the consumers' cards:
        # its word goes on the left, clear of them; a rejected one's on the right
        half = self.token.box.path().boundingRect().width() / 2
        fm_h = self.word.item.boundingRect().height()
        if word in ("overwritten", "recovered"):
            x = -half - 4 - self.word.item.boundingRect().width()
        else:
            x = half + 4
        self.word.item.setPos(x, -fm_h / 2)
        self.token.box.setOpacity(1.0 - fade)  # gone by the end: no pile at the floor

    def hide(self) -> None:
        self.token.hide()


class PendingPills:
    """The poison pills the main thread waits to put (the ending poison-pill on a full
    buffer: :attr:`Snapshot.pills_waiting`): a STOP tag waiting just outside the buffer's
    entrance, and ``main: 2 pills to put`` above the buffer's entrance end; hidden at 0.

    Without it the picture showed producers gone, a full buffer and consumers working,
    and nothing of why the run did not end: the main thread blocked in ``put``."""

    def __init__(self, scene: QGraphicsScene, st: Styles, lay: Layout) -> None:
        fm = st.token_fm
        w = fm.horizontalAdvance("STOP") + 10
        h = max(lay.token.height(), fm.height() + 2)
        self.token = TokenItem(scene, st, QSizeF(w, h), True)
        self.token.box.setZValue(12)
        self.label = Label(scene, st.small, st.ink)
        self.label.item.setZValue(12)
        top = lay.buffer.top()
        if lay.entrance.x() - lay.producers_right >= w + 10:
            # just left of the entrance, clear of the buffer's frame; the words above
            # the buffer from there
            self.pos = QPointF(lay.entrance.x() - 5 - w / 2, lay.entrance.y())
            self.label.item.setPos(self.pos.x() - w / 2, top - st.small_fm.height() - 3)
        else:  # no room beside it (a narrow window): on the entrance's end of the buffer
            self.pos = QPointF(lay.buffer.left() + w / 2, top - h / 2 - 3)
            self.label.item.setPos(
                lay.buffer.left() + w + 6, self.pos.y() - st.small_fm.height() / 2
            )
        self.n = 0

    @property
    def visible(self) -> bool:
        return self.token.visible

    def show(self, n: int) -> None:
        """Show ``n`` pills still to put (0 hides it)."""
        if n == self.n:
            return
        self.n = n
        if n <= 0:
            self.token.hide()
            self.label.set("")
            return
        self.token.show(pill_id(1), self.pos)
        self.label.set(f"main: {n} pill{'' if n == 1 else 's'} to put")


#: the colour of an item dropped by the full policy (Okabe-Ito vermillion, as dropped/s)
DROP_COLOR = QColor(theme.OKABE_ITO["vermillion"])


def cpu_words(cpu: float, meant: float) -> str:
    """``CPU 48 % (meant 95 %)``: a card's share of its time on a CPU, then the share it
    was meant to spend working (its drawn work times); the gap is time it waited for a
    core (the GIL, a busy machine)."""
    return f"CPU {100 * cpu:.0f} % (meant {100 * meant:.0f} %)"


class CardItem:
    """One worker: box, state stripe, name, state word, count, held item, wait line.

    The state is always said in words where the card has room: the whole state on a
    second line, else its short word (``full``, ``prod``) beside the name; a card too small
    for either (``tallied``) leaves its state to the per-state counts beside its column
    (:class:`Tally`). No text is ever clipped or runs into a neighbour: a word or count
    that does not fit is shortened or left out, decided with the font's real metrics.
    """

    def __init__(
        self,
        scene: QGraphicsScene,
        st: Styles,
        lay: Layout,
        rect: QRectF,
        view: WorkerView,
        tallied: bool = False,
    ) -> None:
        self.st = st
        self.rect = rect
        s = lay.scale
        self.box = QGraphicsPathItem(rounded(rect, 6))
        scene.addItem(self.box)
        self.stripe = QGraphicsPathItem(
            rounded(QRectF(rect.left(), rect.top(), 6 * s, rect.height()), 3)
        )
        self.stripe.setPen(QPen(Qt.PenStyle.NoPen))
        scene.addItem(self.stripe)
        h = rect.height()
        x = rect.left() + CARD_INSET * s
        self.right = rect.right() - 3 * s
        self.lines = card_lines(rect, s)
        self.tallied = tallied and self.lines == 1
        small = st.small
        # a worker that joined from elsewhere (pcsim worker) says where it runs
        title = f"{view.name} · {view.host}" if view.host else view.name
        name_px = min(16 * s, h * 0.3) if self.lines > 1 else min(13 * s, (h - 4) / 1.3)
        name_font = st.font(name_px, True)
        # the hand ends a one-line card's line: the name keeps left of it
        held = lay.held.get(str(view.role), lay.token)
        self.held_pos = held_anchor(rect, view.role, lay)
        on_stripe = lay.hand_on_stripe.get(str(view.role), False)
        if self.lines == 1 and not on_stripe:
            name_right = self.held_pos.x() - held.width() / 2 - 3
        else:
            name_right = self.right
        # a narrow card: a smaller name (never under MIN_TEXT_PX), then less inset
        while (
            QFontMetricsF(name_font).horizontalAdvance(title) > name_right - x
            and name_font.pixelSize() > MIN_TEXT_PX
        ):
            name_font = st.font(name_font.pixelSize() - 1, True)
        if QFontMetricsF(name_font).horizontalAdvance(title) > name_right - x:
            x = rect.left() + 6 * s + 1
        self.name = Label(scene, name_font, st.ink)
        self.name.set(title)
        self.fm = st.small_fm
        name_w = QFontMetricsF(name_font).horizontalAdvance(title)
        row = h / self.lines
        name_h = QFontMetricsF(name_font).height()
        self.name.item.setPos(x, rect.top() + (row - name_h) / 2)
        self.state = Label(scene, small, st.ink)
        self.count = Label(scene, small, st.muted)
        self.held: TokenItem | None = None
        self.count_y = rect.top() + (row - self.fm.height()) / 2
        # where the state word goes and how wide it may be
        if self.lines >= 2:
            self.word_x = x
            self.word_y = rect.top() + row + (row - self.fm.height()) / 2
            self.count_left = x + name_w + 8  # the count shares the first line with the name
        else:
            self.word_x = x + name_w + 6
            self.word_y = self.count_y
            self.count_left = self.word_x
        #: the size of the item in this card's hand: the full id where the card has
        #: room, else its colour; every card has one (see ``held_sizes``)
        self.held = TokenItem(scene, st, held, held.height() >= LABELLED_TOKEN_H)
        #: the right end of the text on the hand's line: left of the hand when the hand
        #: ends a line (cards of one or two lines), so no word or count runs under it
        beside = self.lines < 3 and not on_stripe
        self.line_right = self.held_pos.x() - held.width() / 2 - 4 if beside else self.right
        self.count_right = self.line_right if self.lines == 1 else self.right
        self.word_room = self.line_right - self.word_x
        if self.tallied:
            self.state.item.setVisible(False)
        else:
            self.state.item.setPos(self.word_x, self.word_y)
        #: "CPU 48 %" (work cpu): on the third line right of the item in hand, or on
        #: the second right of the state word; left out where it does not fit. Made
        #: the first time there is one to show (a sleep run's scene has no such item)
        self.cpu: Label | None = None
        self._scene = scene
        self.cpu_y = rect.top() + (self.lines - 1) * row + (row - self.fm.height()) / 2
        self.cpu_left = (
            self.held_pos.x() + held.width() / 2 + 6 if self.lines == 3 else self.word_x
        )
        self.shown_cpu: tuple[str, str] = ("", "")
        if view.role == Role.PRODUCER:
            a, b = QPointF(rect.right(), rect.center().y()), lay.entrance
        else:
            a, b = lay.exit, QPointF(rect.left(), rect.center().y())
        self.line = QGraphicsLineItem(a.x(), a.y(), b.x(), b.y())
        self.line.setZValue(-1)
        self.line.setVisible(False)
        scene.addItem(self.line)
        self.shown_state = ""
        self.shown_done = -1
        self.count_w = -1.0
        self.line_state = ""
        self.shown_item = -1  #: the item this card draws in its hand (-1: none)
        self._words: dict[str, str] = {}

    def word(self, state: str) -> str:
        """The words this card draws for ``state``: the whole state where it fits, else
        its short word, else nothing (the per-state counts say it)."""
        word = self._words.get(state)
        if word is None:
            word = ""
            if not self.tallied:
                for w in (state, theme.short_state(state)):
                    if self.fm.horizontalAdvance(w) <= self.word_room:
                        word = w
                        break
            self._words[state] = word
        return word

    def _place_count(self, done: int) -> None:
        """``N done``, or ``N``, right-aligned where it touches no other text; or none.

        Counts change on every frame at high rates for up to 128 cards, so this asks Qt
        for nothing but the new text (widths come from :meth:`Styles.count_width`) and
        moves the label only when its width changed."""
        left = self.count_left
        if self.lines == 1 and self.state.text:
            left += self.st.small_fm.horizontalAdvance(self.state.text) + 8
        room = -1.0 if self.tallied else self.count_right - left  # names only: no flicker
        text, width = "", 0.0
        for t in (f"{done} done", str(done)) if self.lines == 3 else (str(done),):
            width = self.st.count_width(t)
            if width <= room:
                text = t
                break
        self.count.set(text)
        if text and width != self.count_w:
            self.count_w = width
            self.count.item.setPos(self.count_right - width, self.count_y)

    def show_cpu(self, cpu: float | None, meant: float) -> None:
        """The share of its time on a CPU beside the share it was meant to work
        (``CPU 48 % (meant 95 %)``, else ``CPU 48 %``), where it fits; None: nothing.
        Not "48 % of 95 %": both are shares of the worker's time, not one of the other."""
        key = ("" if cpu is None else f"{100 * cpu:.0f}|{100 * meant:.0f}", self.shown_state)
        if key == self.shown_cpu:
            return
        self.shown_cpu = key
        text = ""
        if cpu is not None and self.lines >= 2 and not self.tallied:
            left = self.cpu_left
            if self.lines == 2 and self.state.text:
                left += self.fm.horizontalAdvance(self.state.text) + 8
            for t in (cpu_words(cpu, meant), f"CPU {100 * cpu:.0f} %"):
                w = self.fm.horizontalAdvance(t)
                if left + w <= self.line_right:
                    text = t
                    if self.cpu is None:
                        self.cpu = Label(self._scene, self.st.small, self.st.muted)
                    self.cpu.item.setPos(self.line_right - w, self.cpu_y)
                    break
        if self.cpu is not None:
            self.cpu.set(text)

    def update(self, state: str, done: int | None, held: int) -> None:
        """Show ``state`` (a display state), ``done`` (None: leave the count) and the
        item in hand (-1: none)."""
        st = self.st
        if state != self.shown_state:
            self.shown_state = state
            pen, tint, solid = st.card(state)
            self.box.setPen(pen)
            self.box.setBrush(tint)
            self.stripe.setBrush(solid)
            self.state.set(self.word(state))
            if self.lines == 1 and self.shown_done >= 0:
                self._place_count(self.shown_done)  # the word's width moved it
            waiting = state in WAIT_STATES
            if waiting != (self.line_state != ""):
                self.line.setVisible(waiting)
            if waiting and state != self.line_state:
                self.line.setPen(st.wait_pen[state])
            self.line_state = state if waiting else ""
        if done is not None and done != self.shown_done:
            self.shown_done = done
            self._place_count(done)
        if self.held is not None:
            if held >= 0:
                self.held.show(held, self.held_pos)
            else:
                self.held.hide()
            self.shown_item = held if held >= 0 else -1


class Tally:
    """Per-state counts beside a column of cards too small to carry words, in real
    words where the column's lines hold them (``46 producing · 18 waiting: full``,
    ``64 stopped``); a count takes its short word (``prod``, ``full``) only where the
    words do not fit, the longest first."""

    def __init__(self, scene: QGraphicsScene, st: Styles, rect: QRectF) -> None:
        self.rect = rect
        self.fm = st.small_fm
        self.label = Label(scene, st.small, st.ink)
        self.label.item.setPos(rect.left(), rect.top())
        self.counts: dict[str, int] = {}
        #: how many lines the rect holds (it is made two lines tall)
        self.max_lines = max(1, round(rect.height() / max(1.0, self.fm.lineSpacing())))

    def pack(self, parts: list[str]) -> list[str]:
        """``parts`` joined by " · " onto lines no wider than the rect."""
        lines: list[str] = []
        for part in parts:
            if lines and self.fm.horizontalAdvance(lines[-1] + " · " + part) <= self.rect.width():
                lines[-1] += " · " + part
            else:
                lines.append(part)
        return lines

    def fits(self, lines: list[str]) -> bool:
        width = self.rect.width()
        return len(lines) <= self.max_lines and all(
            self.fm.horizontalAdvance(t) <= width for t in lines
        )

    def show(self, states: list[str]) -> None:
        """Count ``states`` (display states) and say how many cards are in each."""
        counts = Counter(states)
        if counts == self.counts:
            return
        self.counts = dict(counts)
        order = {k: i for i, k in enumerate(theme.STATE_COLORS)}
        keys = sorted(counts, key=lambda k: (order.get(k, 99), k))
        long = {k: f"{counts[k]} {theme.state_word(k)}" for k in keys}
        short = {k: f"{counts[k]} {theme.short_state(k)}" for k in keys}
        words = dict(long)
        lines = self.pack([words[k] for k in keys])
        # the longest words give way first, one at a time, until the lines fit
        for k in sorted(keys, key=lambda k: len(short[k]) - len(long[k])):
            if self.fits(lines):
                break
            words[k] = short[k]
            lines = self.pack([words[k] for k in keys])
        self.label.set("\n".join(lines))


#: what a slot shows for a place the buffer's count claims and nothing fills (a broken
#: buffer: two puts into one slot): a red dashed outline and "?"
CLAIMED_EMPTY = -2


class SlotItem:
    """One place in the buffer (row and grid modes): empty, or an item's colours, or
    :data:`CLAIMED_EMPTY`."""

    def __init__(self, scene: QGraphicsScene, st: Styles, rect: QRectF, labelled: bool) -> None:
        self.st = st
        self.rect = rect
        self.box = QGraphicsPathItem(rounded(rect, 4 if rect.width() > 8 else 1))
        self.box.setPen(st.empty_pen)
        scene.addItem(self.box)
        self.label = Label(scene, st.slot_font, st.token_ink) if labelled else None
        self.item = -1
        self.forms: tuple[str, ...] = ITEM_FORMS

    def show(self, item: int, forms: tuple[str, ...] = ITEM_FORMS) -> None:
        """Show ``item`` in this slot (-1: empty; :data:`CLAIMED_EMPTY`: counted, empty),
        labelled in the first of ``forms`` (the row's, :func:`row_forms`) that fits."""
        if item == self.item and forms == self.forms:
            return
        self.item, self.forms = item, forms
        if item == CLAIMED_EMPTY:
            pen = QPen(QColor(179, 38, 30), 2.0, Qt.PenStyle.DashLine)
            self.box.setPen(pen)
            self.box.setBrush(self.st.no_brush)
            if self.label is not None:
                self.label.item.setBrush(QBrush(QColor(229, 83, 75)))  # read on both themes
                self.label.set("?")
                r = self.label.item.boundingRect()
                self.label.item.setPos(
                    self.rect.center().x() - r.width() / 2, self.rect.center().y() - r.height() / 2
                )
            return
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
            self.label.item.setBrush(self.st.token_ink)
            size = QSizeF(self.rect.width() - 4, self.rect.height())
            self.label.set_item(item, self.rect.center(), size, self.st.slot_fm, forms)


class FillBar:
    """The buffer as one bar and a count (bar mode: too many slots to draw)."""

    def __init__(self, scene: QGraphicsScene, st: Styles, lay: Layout) -> None:
        self.inner = lay.buffer.adjusted(4, 4, -4, -4)
        self.bar = QGraphicsRectItem()
        self.bar.setBrush(QBrush(theme.token_color(1).darker(110)))
        self.bar.setPen(QPen(Qt.PenStyle.NoPen))
        scene.addItem(self.bar)
        self.label = Label(scene, st.font(14 * lay.scale, True), st.ink)
        self.n = -1  #: what the bar shows: items and pills (see show)
        self.pills = 0

    def show(self, n: int, capacity: int, pills: int = 0) -> None:
        """Fill the bar to ``n`` items and ``pills`` poison pills of ``capacity``, from
        the exit: the pills take slots, but are named apart ("936 items + 64 STOP", as
        the header counts them; "1,000 items" beside "936 / 1000 + 64 STOP" disagreed)."""
        if (n + pills, pills) == (self.n, self.pills):
            return
        self.n, self.pills = n + pills, pills
        inner = self.inner
        w = inner.width() * min(1.0, (n + pills) / capacity)
        self.bar.setRect(QRectF(inner.right() - w, inner.top(), w, inner.height()))
        text = f"{n:,} item" if n == 1 else f"{n:,} items"
        fm = QFontMetricsF(self.label.item.font())
        if pills:  # the shorter forms where the bar is narrow (64 cards a side)
            forms = (f"{text} + {pills:,} STOP", f"{n:,} + {pills:,} STOP", f"{n:,}+{pills:,}")
            fits = [t for t in forms if fm.horizontalAdvance(t) <= inner.width() - 4]
            text = fits[0] if fits else forms[-1]
        self.label.set(text)
        self.label.item.setPos(
            inner.center().x() - fm.horizontalAdvance(self.label.text) / 2,
            inner.center().y() - fm.height() / 2,
        )


class Headers:
    """The three column titles, the buffer's FULL / EMPTY word and the buffer's frame,
    whose colour follows that word."""

    def __init__(self, scene: QGraphicsScene, st: Styles, lay: Layout) -> None:
        self.st = st
        self.lay = lay
        self.producers = Label(scene, st.header, st.ink)
        self.producers.item.setPos(12 * lay.scale, lay.header_y)
        self.consumers = Label(scene, st.header, st.ink)
        self.buffer = Label(scene, st.header, st.ink)
        self.status = Label(scene, st.header, st.ink)
        self.fm = QFontMetricsF(st.header)
        self.frame = QGraphicsPathItem(rounded(lay.buffer, 8))
        self.frame.setBrush(QBrush(theme.SURFACE))
        scene.addItem(self.frame)
        self.frame_key = ""

    def show(self, n: int | None, capacity: int, pills: int = 0) -> None:
        """Show the counts; ``n`` is the number of items in the buffer (None: no run),
        ``pills`` the poison pills beside them (not items: named apart)."""
        lay, fm = self.lay, self.fm
        s = lay.scale
        text = f"Consumers ({len(lay.consumers)})"
        if text != self.consumers.text:
            self.consumers.set(text)
            x = lay.width - 12 * s - fm.horizontalAdvance(text)
            self.consumers.item.setPos(x, lay.header_y)
        self.producers.set(f"Producers ({len(lay.producers)})")
        status, key = "", "normal"
        if n is not None:
            if n >= capacity:
                status, key = "FULL", WorkerState.WAITING_FULL
            elif n <= 0 and not pills:  # pills to take: not a buffer a consumer waits on
                status, key = "EMPTY", WorkerState.WAITING_EMPTY
        text = f"Buffer  {n or 0} / {capacity}"
        if pills:
            text += f" + {pills} STOP"
            if (n or 0) + pills >= capacity:
                status, key = "FULL", WorkerState.WAITING_FULL
        if text != self.buffer.text or status != self.status.text:
            gap = 12 * s
            total = fm.horizontalAdvance(text) + (
                gap + fm.horizontalAdvance(status) if status else 0
            )
            x = lay.buffer.center().x() - total / 2
            self.buffer.set(text)
            self.buffer.item.setPos(x, lay.header_y)
            self.status.set(status)
            if status:
                self.status.item.setBrush(self.st.status_ink[key])
                self.status.item.setPos(x + fm.horizontalAdvance(text) + gap, lay.header_y)
        if key != self.frame_key:
            self.frame_key = key
            color = theme.state_color(key) if key != "normal" else theme.color("frame")
            self.frame.setPen(QPen(color, 2.5 * s))


class Caption:
    """A scenario's caption in its own band above the legend (:attr:`Layout.caption`),
    under the cards and the buffer's marks: it covers nothing. At most
    :data:`CAPTION_LINES` lines; a longer one ends in "…" and says the whole in its
    tooltip."""

    def __init__(self, scene: QGraphicsScene, st: Styles, lay: Layout) -> None:
        self.lay = lay
        self.box = QGraphicsPathItem()
        self.box.setBrush(QBrush(theme.color("caption")))
        self.box.setPen(QPen(theme.color("caption_edge"), 1.5))
        self.box.setZValue(15)
        scene.addItem(self.box)
        self.st = st
        self.text = QGraphicsTextItem()
        self.text.setFont(st.font(lay.caption_px, True))
        self.text.setDefaultTextColor(theme.INK)
        self.text.setZValue(16)
        option = QTextOption(Qt.AlignmentFlag.AlignCenter)
        option.setWrapMode(QTextOption.WrapMode.NoWrap)  # the lines are made here
        self.text.document().setDefaultTextOption(option)
        self.text.document().setDocumentMargin(2)
        scene.addItem(self.text)
        self.elided = False  #: whether the drawn caption ends in "…" (its tooltip says all)

    def lines(self, caption: str) -> list[str]:
        """``caption`` as drawn: the lines the layout wrapped it into
        (:attr:`Layout.caption_lines`, at :attr:`Layout.caption_px`), the last one cut
        with "…" where the layout dropped words (or a word is wider than the band)."""
        lines = list(self.lay.caption_lines) or [""]
        dropped = " ".join(lines) != " ".join(caption.split())
        fm = QFontMetricsF(self.text.font())
        lines, self.elided = elide(lines, len(lines), self.lay.caption.width() - 24, fm, dropped)
        return lines

    def show(self, caption: str) -> None:
        """Show ``caption`` in its band; empty (or a layout made without a band) hides it."""
        item, box, lay = self.text, self.box, self.lay
        if not caption.strip() or lay.caption.isNull():
            item.setVisible(False)
            box.setVisible(False)
            item.setToolTip("")
            return
        band = lay.caption
        item.setFont(self.st.font(lay.caption_px, True))
        lines = self.lines(caption)
        fm = QFontMetricsF(item.font())
        item.setPlainText("\n".join(lines))
        item.setToolTip(caption if self.elided else "")
        item.setTextWidth(max(fm.horizontalAdvance(t) for t in lines) + 6)
        r = item.boundingRect()
        x = band.center().x() - r.width() / 2
        y = band.center().y() - r.height() / 2
        item.setPos(x, y)
        box.setPath(rounded(QRectF(x - 10, y - 2, r.width() + 20, r.height() + 4), 8))
        item.setVisible(True)
        box.setVisible(True)
