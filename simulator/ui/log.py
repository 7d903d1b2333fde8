"""The event log, in the classic example's words (``Produced: P1-42 by P1``).

It keeps the last :data:`MAX_LINES` events (a ring), filters them by worker and kind,
and can hold its scroll position while events keep arriving. At high rates it writes at
most :data:`MAX_PER_FRAME` lines ten times a second, in one append, and says how many it
left out: a text widget cannot show 100,000 lines a second and should not try.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event, Kind, describe
from simulator.engine.simulation import Snapshot

MAX_LINES = 1000
MAX_PER_FRAME = 40
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


class EventLog(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: deque[Event] = deque(maxlen=MAX_LINES)
        self.t0 = 0.0
        self._pending: list[Event] = []
        self._arrived = 0
        self._last_write = 0.0
        self.kind = QComboBox()
        self.kind.addItems(list(KIND_FILTERS))
        self.kind.setCurrentText(DEFAULT_FILTER)
        self.kind.setToolTip("Which kinds of event to show")
        # the box may shrink below its longest name ("Producing, consuming times"): on a
        # 1024 px screen the graph beside the log needs the width more
        self.kind.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.kind.setMinimumWidth(130)
        self.worker = QLineEdit()
        self.worker.setPlaceholderText("workers: P1, C2 …")
        self.worker.setClearButtonEnabled(True)
        self.worker.setToolTip("Show only these workers (comma-separated); empty shows all")
        self.follow = QCheckBox("Follow")
        self.follow.setChecked(True)
        self.follow.setToolTip("Scroll to the newest event; untick to read in peace")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.worker.setMinimumWidth(110)
        # REPLAY repaints a past moment everywhere else: the log alone goes on listing
        # the run's events as they come, and says so while the rest is in the past
        self.title = QLabel("<b>Event log (live)</b>")  # rich text: the size it inherits
        self.title.setObjectName("log_title")
        self.title.setToolTip(
            "REPLAY shows a past moment in the picture, statistics and graph; the event "
            "log stays live: it lists the run's events as they happen"
        )
        self.title.hide()
        top.addWidget(self.kind, 3)
        top.addWidget(self.worker, 2)
        top.addWidget(self.follow)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.title)  # a line of its own: the graph beside needs the width
        lay.addLayout(top)
        lay.addWidget(self.text)
        self.kind.currentTextChanged.connect(self.refilter)
        self.worker.textChanged.connect(self.refilter)

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
        return f"{e.t - self.t0:8.3f}  {describe(e)}"

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
            lines.append(f"          … {unlisted:,} events not listed (too fast to read)")
        lines += [self._line(e) for e in shown[-MAX_PER_FRAME:]]
        if lines:
            self._append("\n".join(lines))

    def _append(self, text: str) -> None:
        bar = self.text.verticalScrollBar()
        keep = None if self.follow.isChecked() else bar.value()
        self.text.appendPlainText(text)
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
