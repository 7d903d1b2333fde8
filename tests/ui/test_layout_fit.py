"""The window's parts fit the screens a classroom has (1280x720, 1024x768) without one
drawn over another: the canvas inside its slot above the Rewind bar and every canvas
item inside the canvas, REPLAY's mark over no legend word, the event log's controls
readable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, QSize

from simulator.scenarios.scenario import load
from simulator.ui.guide import GUIDE_CAPTION
from tests.ui.test_scheduler import _start_race

SIZES = [(1280, 720), (1024, 768)]


def _outside(canvas) -> list[str]:
    """The visible scene items (what they say) drawn past the canvas's viewport."""
    vp = canvas.viewport()
    room = QRectF(0, 0, vp.width(), vp.height()).adjusted(-1, -1, 1, 1)
    out = []
    for item in canvas.scene().items():
        r = item.sceneBoundingRect()
        if item.isVisible() and not r.isEmpty() and not room.contains(r):
            text = getattr(item, "toPlainText", getattr(item, "text", lambda: ""))()
            out.append(f"{type(item).__name__} {text!r} at {r}")
    return out


@pytest.mark.parametrize("size", SIZES)
def test_the_guided_race_keeps_the_canvas_above_the_rewind_bar(window, qtbot, size):
    """The guide grows to four lines when done: the canvas below it gets less room, and
    is drawn in that room (it was drawn at its old minimum, under the Rewind bar, legend
    and caption over the slider); the caption goes once the run stopped."""
    window.resize(QSize(*size))
    _start_race(window, qtbot)
    assert window.canvas.caption == GUIDE_CAPTION
    for i, g in enumerate(load("race-by-hand").guide):
        assert window.step_worker(g.worker)
        qtbot.waitUntil(lambda i=i: window.guide.index == i + 1, timeout=15_000)
    assert window.guide.done
    qtbot.wait(200)  # the layout settles on the guide's last words
    window.show_figures_now()
    canvas, bar = window.canvas, window.replay_bar
    assert canvas.parentWidget() is bar.parentWidget()
    assert canvas.geometry().bottom() < bar.geometry().top(), (canvas.geometry(), bar.geometry())
    assert canvas.viewport().height() == canvas.height()
    assert window.guide.geometry().bottom() < canvas.geometry().top()
    assert canvas._items.caption.box.isVisible()
    assert _outside(canvas) == []
    window.bridge.stop()
    qtbot.waitUntil(lambda: not canvas._items.caption.box.isVisible(), timeout=15_000)
    assert canvas.caption == ""
    assert _outside(canvas) == []


def _covered_by(widget, canvas) -> list[str]:
    """The visible scene items that ``widget`` (laid over the canvas) hides a part of."""
    top_left = canvas.viewport().mapFrom(canvas, widget.pos())
    box = QRectF(top_left.x(), top_left.y(), widget.width(), widget.height())
    vp = canvas.viewport()
    backdrop = 0.4 * vp.width() * vp.height()
    hidden = []
    for item in canvas.scene().items():
        r = item.sceneBoundingRect()
        small = not r.isEmpty() and r.width() * r.height() < backdrop
        if item.isVisible() and small and box.intersects(r):
            text = getattr(item, "toPlainText", getattr(item, "text", lambda: ""))()
            hidden.append(f"{type(item).__name__} {text!r}")
    return hidden


@pytest.mark.parametrize("size", SIZES)
def test_the_replay_mark_covers_nothing_the_canvas_draws(window, qtbot, size):
    """At the canvas's bottom right the mark hid "waiting: empty", "consuming" and
    "starting" of the legend at 1024 px: it goes where nothing is drawn."""
    window.resize(QSize(*size))
    window.bridge.start()
    qtbot.waitUntil(
        lambda: getattr(window.bridge.last_snapshot, "elapsed", 0) >= 1.5, timeout=60_000
    )
    assert window.replay.show(0.8)
    mark = window.replay.mark
    assert mark.isVisible() and mark.text().startswith("REPLAY")
    canvas = window.canvas
    assert canvas.rect().contains(mark.geometry())
    legend = canvas._layout.legend
    assert not QRectF(mark.geometry()).intersects(legend)
    assert _covered_by(mark, canvas) == []
    window.bridge.stop()


def _field_width(combo) -> int:
    from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    return (
        combo.style()
        .subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, combo
        )
        .width()
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_event_logs_controls_show_their_words_whole(window, qtbot, size):
    """At 1024 px the filter read "Produced, consu" and the worker field "worker…": the
    default filter and the field's hint fit; a longer filter name ends in "…" with the
    whole name in the tooltip, never cut mid-word."""
    from simulator.ui.log import DEFAULT_FILTER, KIND_FILTERS

    window.resize(QSize(*size))
    qtbot.wait(100)
    log = window.log
    kind, worker = log.kind, log.worker
    fm = kind.fontMetrics()
    assert kind.currentText() == DEFAULT_FILTER
    assert fm.horizontalAdvance(DEFAULT_FILTER) <= _field_width(kind)
    assert kind.shown_text() == DEFAULT_FILTER
    hint = worker.placeholderText()
    assert fm.horizontalAdvance(hint) + 12 <= worker.width(), (hint, worker.width())
    for name in KIND_FILTERS:
        kind.setCurrentText(name)
        shown = kind.shown_text()
        assert shown == name or (shown.endswith("…") and name in kind.toolTip())
