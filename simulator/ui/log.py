"""The event log, in the classic example's words (``Produced: P1-42 by P1``).

It keeps the last :data:`MAX_LINES` events (a ring), filters them by worker and kind,
and can hold its scroll position while events keep arriving. At high rates it writes at
most :data:`MAX_PER_FRAME` lines ten times a second, in one append, and says how many it
left out: a text widget cannot show 100,000 lines a second and should not try.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QPaintEvent,
    QResizeEvent,
    QTextBlockFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event, Kind, describe
from simulator.engine.simulation import Snapshot

MAX_LINES = 1000
MAX_PER_FRAME = 40
#: the characters before an event's words: its time ("  1.234", wider from 1000 s on)
#: and the two spaces after it; a wrapped line's rest is indented by as much
TIME_AND_GAP = re.compile(r"^ *[\d.]+  ")
REFRESH_S = 0.1  # the text widget is written at most 10 times a second

KIND_FILTERS: dict[str, frozenset[int] | None] = {
    "All events": None,
    "Produced, consumed": frozenset({Kind.PRODUCED, Kind.CONSUMED}),
    "Waits": frozenset({Kind.PUT_WAIT, Kind.GET_WAIT}),
    "Puts and gets": frozenset({Kind.PUT, Kind.GOT}),
    # a producer's sleep is its production time, a consumer's its consumption time
    "Producing, consuming times": frozenset({Kind.SLEEP}),
    "Starts, stops": frozenset({Kind.STARTED, Kind.STOPPED, Kind.ERROR}),
}
DEFAULT_FILTER = "Produced, consumed"


#: the worker field's hint: short enough for its 70 px at 1024 (its tooltip says more)
WORKER_HINT = "P1, C2 …"


class ElidingCombo(QComboBox):
    """A combo box that ends a name too long for it with "…" (and its tooltip says the
    whole name) rather than cut it mid-word: "Produced, consu" read as a typo."""

    def shown_text(self) -> str:
        """The current name as drawn: whole, or elided to the box's text field."""
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, self
        )
        return self.fontMetrics().elidedText(
            self.currentText(), Qt.TextElideMode.ElideRight, max(0, field.width())
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        opt.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


class EventLog(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: deque[Event] = deque(maxlen=MAX_LINES)
        self.t0 = 0.0
        self._pending: list[Event] = []
        self._arrived = 0
        self._last_write = 0.0
        self.kind = ElidingCombo()
        self.kind.addItems(list(KIND_FILTERS))
        self.kind.setCurrentText(DEFAULT_FILTER)
        # the box may shrink below its longest name ("Producing, consuming times"): on a
        # 1024 px screen the graph beside the log needs the width more
        self.kind.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.kind.setMinimumWidth(130)
        self.worker = QLineEdit()
        self.worker.setPlaceholderText(WORKER_HINT)
        self.worker.setClearButtonEnabled(True)
        self.worker.setToolTip("Show only these workers (comma-separated); empty shows all")
        self.follow = QCheckBox("Follow")
        self.follow.setChecked(True)
        self.follow.setToolTip("Scroll to the newest event; untick to read in peace")
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setAcceptRichText(False)
        self.text.document().setMaximumBlockCount(MAX_LINES)
        # a narrow log (1024 px) wraps a line rather than cut it ("… by P4|2" cut after
        # the 4 named the wrong worker), its rest indented under the event's words (see
        # _append): a QTextEdit, as a QPlainTextEdit ignores a block's indent
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        top = QGridLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self._top = top
        self._one_row: bool | None = None
        self.worker.setMinimumWidth(70)
        # REPLAY repaints a past moment everywhere else: the log alone goes on listing
        # the run's events as they come, and says so while the rest is in the past
        self.title = QLabel("<b>Event log (live)</b>")  # rich text: the size it inherits
        self.title.setObjectName("log_title")
        self.title.setToolTip(
            "REPLAY shows a past moment in the picture, statistics and graph; the event "
            "log stays live: it lists the run's events as they happen"
        )
        self.title.hide()
        self._arrange(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)  # a line of its own: the graph beside needs the width
        lay.addLayout(top)
        lay.addWidget(self.text)
        self.kind.currentTextChanged.connect(self.refilter)
        self.kind.currentTextChanged.connect(self._kind_tip)
        self.worker.textChanged.connect(self.refilter)
        self._kind_tip()

    def _kind_tip(self) -> None:
        """The filter's tooltip names the kinds on show in full (the box may elide it)."""
        self.kind.setToolTip(f"Which kinds of event to show: {self.kind.currentText()}")

    def _one_row_width(self) -> int:
        """The width the controls need on one row: the default filter's name whole, the
        worker field its hint, and Follow."""
        fm = self.kind.fontMetrics()
        kind = fm.horizontalAdvance(DEFAULT_FILTER) + 40  # the box's arrow and margins
        worker = max(self.worker.minimumWidth(), fm.horizontalAdvance(WORKER_HINT) + 30)
        spacing = 2 * max(0, self._top.horizontalSpacing())
        return kind + worker + self.follow.sizeHint().width() + spacing

    def _arrange(self, one_row: bool) -> None:
        """The filter, the worker field and Follow on one row; or, narrower (the log
        beside the graph at 1024 px), the filter on a row of its own above the other
        two, so that neither is cut ("Produced, consu", "worker…")."""
        if one_row == self._one_row:
            return
        self._one_row = one_row
        top = self._top
        for w in (self.kind, self.worker, self.follow):
            top.removeWidget(w)
        for col in range(3):
            top.setColumnStretch(col, 0)
        if one_row:
            top.addWidget(self.kind, 0, 0)
            top.addWidget(self.worker, 0, 1)
            top.addWidget(self.follow, 0, 2)
            top.setColumnStretch(0, 3)
            top.setColumnStretch(1, 2)
        else:
            top.addWidget(self.kind, 0, 0, 1, 2)
            top.addWidget(self.worker, 1, 0)
            top.addWidget(self.follow, 1, 1)
            top.setColumnStretch(0, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(self.width() >= self._one_row_width())

    def set_replay(self, on: bool) -> None:
        """REPLAY began (``on``) or ended: the title "Event log (live)" shows meanwhile."""
        self.title.setVisible(on)

    def set_origin(self, t0: float) -> None:
        self.t0 = t0

    def reset(self) -> None:
        """Forget every event (a new run, or Reset)."""
        self.history.clear()
        self._pending.clear()
        self._arrived = 0
        self.text.clear()

    def _matcher(self) -> Callable[[Event], bool]:
        kinds = KIND_FILTERS.get(self.kind.currentText())
        names = {w.strip().upper() for w in self.worker.text().split(",") if w.strip()}

        def match(e: Event) -> bool:
            return (kinds is None or e.kind in kinds) and (not names or e.worker in names)

        return match

    def _line(self, e: Event) -> str:
        return f"{e.t - self.t0:7.3f}  {describe(e)}"  # see TIME_AND_GAP

    def show_config(self, _cfg: SimulationConfig) -> None:
        """The log lists what happened: a new configuration shows nothing until it runs."""

    def on_frame(self, batch: list[Event], total: int, _snap: Snapshot) -> None:
        """The window's frame: list its events (the snapshot is the other views')."""
        if total:
            self.on_batch(batch, total)

    def on_batch(self, batch: list[Event], total: int | None = None) -> None:
        """``batch`` may be the newest part of ``total`` events (the rest were not sent)."""
        self.history.extend(batch[-MAX_LINES:])
        self._pending.extend(batch[-MAX_LINES:])
        self._arrived += len(batch) if total is None else total
        now = time.monotonic()
        if now - self._last_write < REFRESH_S:
            return
        self._last_write = now
        pending, arrived = self._pending[-MAX_LINES:], self._arrived
        self._pending, self._arrived = [], 0
        match = self._matcher()
        shown = [e for e in pending if match(e)]
        unlisted = arrived - len(pending) + max(0, len(shown) - MAX_PER_FRAME)
        lines = []
        if unlisted > 0:
            lines.append(f"         … {unlisted:,} events not listed (too fast to read)")
        lines += [self._line(e) for e in shown[-MAX_PER_FRAME:]]
        if lines:
            self._append("\n".join(lines))

    def _append(self, text: str) -> None:
        bar = self.text.verticalScrollBar()
        keep = None if self.follow.isChecked() else bar.value()
        doc = self.text.document()
        cursor = QTextCursor(doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        space = QFontMetricsF(self.text.font()).horizontalAdvance(" ")
        cursor.beginEditBlock()
        for i, line in enumerate(text.split("\n")):
            # the time stands out; a wrapped rest sits under the event's words
            words_at = m.end() if (m := TIME_AND_GAP.match(line)) else 0
            block = QTextBlockFormat()
            block.setLeftMargin(space * words_at)
            block.setTextIndent(-space * words_at)
            if i or not doc.isEmpty():
                cursor.insertBlock(block)
            else:
                cursor.setBlockFormat(block)
            cursor.insertText(line)
        cursor.endEditBlock()
        if keep is None:
            bar.setValue(bar.maximum())
        else:
            bar.setValue(keep)

    @Slot()
    def refilter(self) -> None:
        match = self._matcher()
        self.text.clear()
        lines = [self._line(e) for e in self.history if match(e)]
        if lines:
            self._append("\n".join(lines))
