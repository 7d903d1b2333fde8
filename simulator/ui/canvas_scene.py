"""What the canvas's scene is made of for one layout, built in one place.

:func:`build_scene` clears the scene and returns every item a frame updates as one
:class:`SceneItems`; the view keeps that and rebuilds it only when the layout changes
(a resize, other workers, another capacity, the theme or the text size). Items are
added in drawing order: later builders' items lie over earlier ones at equal depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from simulator.engine.metrics import WorkerView
from simulator.engine.simulation import PAUSED, RUNNING, Snapshot
from simulator.engine.workers import Role
from simulator.ui import theme
from simulator.ui.canvas_items import (
    Banner,
    Caption,
    CardItem,
    FillBar,
    Headers,
    Label,
    SlotItem,
    Styles,
    Toggle,
    TokenItem,
    rounded,
)
from simulator.ui.canvas_layout import Layout
from simulator.ui.canvas_model import MAX_TOKENS

FAST_NOTE = "too fast to animate: showing states and counts"
PAUSED_BANNER = "PAUSED — press Space to resume"


@dataclass
class SceneItems:
    """Everything a frame may change, for one layout."""

    styles: Styles
    headers: Headers
    slots: list[SlotItem]  #: one per slot in row and grid modes; empty in bar mode
    bar: FillBar | None  #: only in bar mode
    cards: dict[str, CardItem]  #: by worker name
    tokens: list[TokenItem]  #: a pool of MAX_TOKENS travelling tags
    fast_note: Toggle
    banner: Banner
    caption: Caption


def build_scene(
    scene: QGraphicsScene, lay: Layout, font: QFont, workers: tuple[WorkerView, ...]
) -> SceneItems:
    """Clear ``scene`` and fill it for ``lay``: cards for ``workers`` that have a place."""
    scene.clear()
    st = Styles(lay, font)
    headers = Headers(scene, st, lay)
    slots, bar = build_buffer(scene, st, lay)
    cards = build_cards(scene, st, lay, workers)
    tokens = build_tokens(scene, st, lay)
    fast_note = build_legend(scene, st, lay)
    banner = build_banner(scene, st, lay)
    return SceneItems(
        styles=st,
        headers=headers,
        slots=slots,
        bar=bar,
        cards=cards,
        tokens=tokens,
        fast_note=fast_note,
        banner=banner,
        caption=Caption(scene, st, lay),
    )


def build_buffer(
    scene: QGraphicsScene, st: Styles, lay: Layout
) -> tuple[list[SlotItem], FillBar | None]:
    """The FIFO marks under the buffer, then its slots (row: labelled; grid: plain) or,
    in bar mode, its fill bar."""
    small_fm = QFontMetricsF(st.small)
    y = lay.buffer.bottom() + 4
    fifo = "first in, first out"
    marks = [
        ("in →", lay.buffer.left()),
        (fifo, lay.buffer.center().x() - small_fm.horizontalAdvance(fifo) / 2),
        ("→ out", lay.buffer.right() - small_fm.horizontalAdvance("→ out")),
    ]
    for text, x in marks:
        lbl = Label(scene, st.small, st.muted)
        lbl.set(text)
        lbl.item.setPos(x, y)
    slots = [SlotItem(scene, st, r, lay.mode == "row") for r in lay.slots]
    bar = FillBar(scene, st, lay) if lay.mode == "bar" else None
    return slots, bar


def build_cards(
    scene: QGraphicsScene, st: Styles, lay: Layout, workers: tuple[WorkerView, ...]
) -> dict[str, CardItem]:
    """A card for each worker the layout has a place for, by name."""
    cards = {}
    for v in workers:
        rect = (lay.producers if v.role == Role.PRODUCER else lay.consumers).get(v.name)
        if rect is not None:
            cards[v.name] = CardItem(scene, st, lay, rect, v)
    return cards


def build_tokens(scene: QGraphicsScene, st: Styles, lay: Layout) -> list[TokenItem]:
    """The pool of travelling tags, hidden; labelled while they are tall enough to read."""
    labelled = lay.token.height() >= 15
    return [TokenItem(scene, st, lay.token, labelled) for _ in range(MAX_TOKENS)]


def build_legend(scene: QGraphicsScene, st: Styles, lay: Layout) -> Toggle:
    """The colour legend along the bottom, and the fast-mode note at its right end (the
    returned toggle)."""
    s = lay.scale
    small_fm = QFontMetricsF(st.small)
    x = lay.legend.left()
    y = lay.legend.center().y()
    sw = 12 * s
    for state, word in theme.LEGEND:
        chip = QGraphicsPathItem(rounded(QRectF(x, y - sw / 2, sw, sw), 3))
        chip.setBrush(st.solid[state])
        chip.setPen(QPen(theme.state_color(state).darker(120), 1))
        scene.addItem(chip)
        x += sw + 5
        lbl = Label(scene, st.small, st.ink)
        lbl.set(word)
        lbl.item.setPos(x, y - st.small.pixelSize() * 0.62)
        x += small_fm.horizontalAdvance(word) + 16 * s
    note = Label(scene, st.small, st.muted)
    note.set(FAST_NOTE)
    note.item.setPos(
        lay.legend.right() - small_fm.horizontalAdvance(FAST_NOTE),
        y - st.small.pixelSize() * 0.62,
    )
    return Toggle(note.item)


def build_banner(scene: QGraphicsScene, st: Styles, lay: Layout) -> Banner:
    """The banner above the buffer (paused, starting workers), hidden."""
    s = lay.scale
    center = QPointF(lay.width / 2, lay.buffer.top() - 53 * s)
    return Banner(scene, st.font(16 * s, True), center, 34 * s)


def banner_text(run_state: str, snap: Snapshot | None) -> str | None:
    """What holds the whole picture still, in words: a pause, or workers still starting
    (spawning 64 interpreters takes seconds, and the run's clock waits for them)."""
    if run_state == PAUSED:
        return PAUSED_BANNER
    if snap is not None and run_state == RUNNING:
        ready, wanted = snap.starting
        if ready < wanted:
            return f"Starting workers {ready}/{wanted}…"
    return None
