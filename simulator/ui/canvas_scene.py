"""What the canvas's scene is made of for one layout, built in one place.

:func:`build_scene` clears the scene and returns every item a frame updates as one
:class:`SceneItems`; the view keeps that and rebuilds it only when the layout changes
(a resize, other workers, another capacity, the theme or the text size). Items are
added in drawing order: later builders' items lie over earlier ones at equal depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from simulator.engine.events import item_label
from simulator.engine.metrics import WorkerView
from simulator.engine.simulation import PAUSED, RUNNING, STOPPED, Snapshot
from simulator.engine.workers import Role
from simulator.ui import theme
from simulator.ui.canvas_items import (
    Banner,
    Caption,
    CardItem,
    DropItem,
    FillBar,
    Headers,
    Label,
    PendingPills,
    SlotItem,
    Styles,
    Tally,
    Toggle,
    TokenItem,
    rounded,
)
from simulator.ui.canvas_layout import LABELLED_TOKEN_H, Layout
from simulator.ui.canvas_model import MAX_DROPS, MAX_TOKENS

FAST_NOTE = "too fast to animate: showing states and counts"
FAST_NOTE_SHORT = "too fast to animate"
FIFO = "first in, first out"
#: the FIFO marks under the buffer, most to least telling; the first set that fits is drawn
FIFO_MARKS: list[tuple[str, ...]] = [
    ("in →", FIFO, "→ out"),
    ("in →", "FIFO", "→ out"),
    ("in →", "→ out"),
    ("FIFO",),
]
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
    #: per role ("producer", "consumer"): the per-state counts of a column whose cards are
    #: too small for words; absent where the cards carry their words
    tallies: dict[str, Tally]
    #: the FIFO marks under the buffer, as drawn
    marks: list[Label]
    #: the pills the main thread waits to put (ending poison-pill), hidden at 0
    pending_pills: PendingPills
    #: a pool of MAX_DROPS tags of items leaving by the full policy, with their word
    drops: list[DropItem] = field(default_factory=list)


def build_scene(
    scene: QGraphicsScene, lay: Layout, font: QFont, workers: tuple[WorkerView, ...]
) -> SceneItems:
    """Clear ``scene`` and fill it for ``lay``: cards for ``workers`` that have a place."""
    scene.clear()
    st = Styles(lay, font)
    headers = Headers(scene, st, lay)
    slots, bar, marks = build_buffer(scene, st, lay)
    cards = build_cards(scene, st, lay, workers)
    tallies = {
        role: Tally(scene, st, rect) for role, rect in lay.tally.items() if not rect.isNull()
    }
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
        tallies=tallies,
        marks=marks,
        drops=build_drops(scene, st, lay),
        pending_pills=PendingPills(scene, st, lay),
    )


def build_buffer(
    scene: QGraphicsScene, st: Styles, lay: Layout
) -> tuple[list[SlotItem], FillBar | None, list[Label]]:
    """The FIFO marks under the buffer, then its slots (row: labelled; grid: plain) or,
    in bar mode, its fill bar.

    The marks say where items enter (left) and leave (right): the fullest set of
    :data:`FIFO_MARKS` that fits under the buffer (widened to the space between the
    columns for a small buffer) without two marks touching; never one over another."""
    fm = st.small_fm
    gap = 10.0
    need = [sum(fm.horizontalAdvance(t) for t in m) + gap * (len(m) - 1) for m in FIFO_MARKS]
    room = QRectF(lay.buffer)
    widest = need[0]
    if room.width() < widest:  # a small buffer: the marks may use the space around it
        w = min(widest, lay.middle.width())
        room = QRectF(lay.buffer.center().x() - w / 2, room.top(), w, room.height())
    chosen = next((m for m, n in zip(FIFO_MARKS, need, strict=True) if n <= room.width()), ())
    y = lay.buffer.bottom() + 4
    marks = []
    for i, text in enumerate(chosen):
        w = fm.horizontalAdvance(text)
        if len(chosen) == 1:
            x = room.center().x() - w / 2
        elif i == 0:
            x = room.left()
        elif i == len(chosen) - 1:
            x = room.right() - w
        else:
            x = room.center().x() - w / 2
        lbl = Label(scene, st.small, st.muted)
        lbl.set(text)
        lbl.item.setPos(x, y)
        marks.append(lbl)
    slots = [SlotItem(scene, st, r, lay.mode == "row") for r in lay.slots]
    bar = FillBar(scene, st, lay) if lay.mode == "bar" else None
    return slots, bar, marks


def build_cards(
    scene: QGraphicsScene, st: Styles, lay: Layout, workers: tuple[WorkerView, ...]
) -> dict[str, CardItem]:
    """A card for each worker the layout has a place for, by name."""
    cards = {}
    for v in workers:
        rect = (lay.producers if v.role == Role.PRODUCER else lay.consumers).get(v.name)
        if rect is not None:
            tallied = not lay.tally.get(v.role, QRectF()).isNull()
            cards[v.name] = CardItem(scene, st, lay, rect, v, tallied)
    return cards


def build_tokens(scene: QGraphicsScene, st: Styles, lay: Layout) -> list[TokenItem]:
    """The pool of travelling tags, hidden; labelled while they are tall enough to read.

    Every one flies to a consumer's hand, so it has the size of a token there (the
    full id where the card has room): it lands as the card shows it, without a jump."""
    size = lay.held.get("consumer", lay.token)
    labelled = size.height() >= LABELLED_TOKEN_H
    return [TokenItem(scene, st, size, labelled) for _ in range(MAX_TOKENS)]


def build_drops(scene: QGraphicsScene, st: Styles, lay: Layout) -> list[DropItem]:
    """The pool of dropped items' tags (the full policy), hidden."""
    labelled = lay.token.height() >= LABELLED_TOKEN_H
    return [DropItem(scene, st, lay.token, labelled) for _ in range(MAX_DROPS)]


def build_legend(scene: QGraphicsScene, st: Styles, lay: Layout) -> Toggle:
    """The colour legend along the bottom, and the fast-mode note (the returned toggle)
    at its right end, or above the buffer where the legend leaves no room.

    Legend words are the legend's own, or the cards' short words where those do not fit
    on one line; never smaller than the rest of the canvas's text."""
    s = lay.scale
    fm = st.small_fm
    sw = 12 * s
    room = lay.legend.width()

    def width(words: list[str]) -> float:
        return sum(sw + 5 + fm.horizontalAdvance(w) + 16 * s for w in words)

    words = [w for _, w in theme.LEGEND]
    if width(words) > room:
        words = [theme.short_state(k) for k, _ in theme.LEGEND]
    x = lay.legend.left()
    y = lay.legend.center().y()
    for (state, _), word in zip(theme.LEGEND, words, strict=True):
        chip = QGraphicsPathItem(rounded(QRectF(x, y - sw / 2, sw, sw), 3))
        chip.setBrush(st.solid[state] if state in st.solid else st.solid[theme.READY])
        chip.setPen(QPen(theme.state_color(state).darker(120), 1))
        scene.addItem(chip)
        x += sw + 5
        lbl = Label(scene, st.small, st.ink)
        lbl.set(word)
        lbl.item.setPos(x, y - fm.height() / 2)
        x += fm.horizontalAdvance(word) + 16 * s
    note = Label(scene, st.small, st.muted)
    for text in (FAST_NOTE, FAST_NOTE_SHORT):
        w = fm.horizontalAdvance(text)
        if x + w <= lay.legend.right():
            note.set(text)
            note.item.setPos(lay.legend.right() - w, y - fm.height() / 2)
            break
    else:  # above the buffer, between the columns
        text = (
            FAST_NOTE if fm.horizontalAdvance(FAST_NOTE) <= lay.middle.width() else FAST_NOTE_SHORT
        )
        note.set(text)
        w = fm.horizontalAdvance(text)
        note.item.setPos(lay.middle.center().x() - w / 2, lay.buffer.top() - fm.height() - 6)
    return Toggle(note.item)


def build_banner(scene: QGraphicsScene, st: Styles, lay: Layout) -> Banner:
    """The banner above the buffer (paused, starting workers), hidden.

    It keeps between the header's line ("Buffer 1 / 4") and the buffer: its centre is
    where a one-line banner always stood, and a wrapped one stays under the header."""
    s = lay.scale
    # between the columns of cards, never over a card's name
    left, right = lay.producers_right + 6 * s, lay.consumers_left - 6 * s
    center = QPointF((left + right) / 2, lay.buffer.top() - 53 * s)
    top = lay.header_y + QFontMetricsF(st.header).height() + 4
    return Banner(
        scene,
        st.font(16 * s, True),
        center,
        34 * s,
        max(right - left, 200 * s),
        top=top,
        bottom=lay.buffer.top() - 4,
    )


def banner_text(run_state: str, snap: Snapshot | None) -> str | None:
    """What holds the whole picture still, in words: a pause, or workers still starting
    (spawning 64 interpreters takes seconds, and the run's clock waits for them), or a
    deadlock: who waits on what (:func:`deadlock_text`)."""
    if snap is not None and getattr(snap, "deadlock", False) and run_state != PAUSED:
        return deadlock_text(getattr(snap, "waits", ()))
    ending = ending_text(snap)
    if ending is not None:
        return ending
    if run_state == PAUSED:
        if snap is not None and snap.last_step is not None:  # a single step: who, why
            # "Last step": what just happened (the guide's "step" is what to do next)
            return f"PAUSED · Last step: {snap.last_step[1]} — → steps again, Space resumes"
        return PAUSED_BANNER
    if snap is not None and run_state == RUNNING:
        ready, wanted = snap.starting
        if ready < wanted:
            return f"Starting workers {ready}/{wanted}…"
    return None


def _ids(ids: tuple[int, ...] | list[int], n: int = 4) -> str:
    """``P1-7, P2-4, …``: the first ``n`` ids, and an ellipsis if there are more."""
    shown = ", ".join(item_label(i) for i in list(ids)[:n])
    return shown + (", …" if len(ids) > n else "")


def ending_text(snap: Snapshot | None) -> str | None:
    """What the ending under way (or done) does, in words (None: no ending): ``join()
    waits: 3 unfinished (P1-7, P2-4, …)`` counting down; a join that can never return
    (``STUCK``, red like a deadlock); what a terminate discarded."""
    ending = getattr(snap, "ending", None)
    if snap is None or ending is None:
        return None
    stuck = getattr(snap, "stuck_join", None)
    if stuck is not None:
        return (
            f"STUCK — join() can never return: {len(stuck)} never marked task_done ({_ids(stuck)})"
        )
    stopped = snap.state == STOPPED
    if stopped and ending in ("poison-pill", "drain"):
        left = cut_short(snap)
        if left is not None:
            return left
    if ending == "join":
        if stopped:
            return "join() returned: every item task_done; consumers stopped"
        waits = snap.join_waits_for
        who = f" ({_ids(waits)})" if waits else ""
        return f"join() waits: {snap.unfinished_tasks} unfinished{who}"
    if ending == "poison-pill":
        if stopped:
            return "poison pills taken: every consumer ended, nothing lost"
        return "poison-pill: producers stopped; one STOP pill per consumer, through the buffer"
    if ending == "drain":
        if stopped:
            return "drained: producers stopped, consumers emptied the buffer"
        return f"drain: producers stopped; consumers empty the buffer ({snap.in_buffer} left)"
    if ending == "terminate":
        if not stopped:
            return "terminate: every worker stopped where it stands…"
        return f"TERMINATED — {snap.discarded} discarded ({_ids(snap.discarded_ids)})"
    return None


def cut_short(snap: Snapshot) -> str | None:
    """What a stopped drain or poison-pill left behind when it did not finish (its time
    limit ran out, or a second Stop cut it): ``poison-pill cut short: 2 pills never
    taken · 2 items left unconsumed (in hand), in the books``; None if it finished.
    Saying "every consumer ended, nothing lost" over pills still in the buffer was
    false."""
    pills = snap.pills_in_buffer
    left = snap.in_buffer + snap.in_hand
    if not (pills or left):
        return None
    words = []
    if pills:
        words.append(f"{pills} pill{'' if pills == 1 else 's'} never taken")
    if left:
        where = [
            f"{n} {place}" if snap.in_buffer and snap.in_hand else place
            for n, place in ((snap.in_buffer, "in the buffer"), (snap.in_hand, "in hand"))
            if n
        ]
        items = f"{left} item{'' if left == 1 else 's'}"
        words.append(f"{items} left unconsumed ({', '.join(where)}), in the books")
    return f"{snap.ending} cut short: " + " · ".join(words)


def deadlock_text(waits: tuple[tuple[str, str], ...] | list[list[str]]) -> str:
    """``DEADLOCK — P1, P2 wait on not_full · C1 waits on not_empty``: every worker
    waits, grouped by what it waits on, in the buffer code's words."""
    groups: dict[str, list[str]] = {}
    for worker, on in waits:
        groups.setdefault(on or "?", []).append(worker)
    parts = [
        f"{', '.join(ws)} {'waits' if len(ws) == 1 else 'wait'} on {on}"
        for on, ws in groups.items()
    ]
    return "DEADLOCK — " + (" · ".join(parts) if parts else "every worker waits")
