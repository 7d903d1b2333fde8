"""The numbers: counts, rates, occupancy, waiting shares, latency and the invariant.

The panel keeps no clock of its own: it shows whatever snapshot the window hands it, and
the window hands every view the same snapshot, changing it only on the frames it refreshes
the figures of all of them (see ``MainWindow._on_frame``). So the numbers here always
agree with the canvas's header, slots and cards and with the status bar. Handed the same
snapshot again, it does nothing.

:meth:`StatsPanel.read` and :func:`read_books` parse the labels back: ``--dump-view``
reports what the panel *shows*, not what it was told.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.simulation import Snapshot
from simulator.ui import theme
from simulator.ui.plots import run_average

#: the books line when they balance: produced = consumed + in buffer + in hand
BOOKS = re.compile(r"^✓ balanced: ([\d,]+) = ([\d,]+) \+ ([\d,]+) \+ ([\d,]+)$")


class StatsPanel(QGroupBox):
    ROWS = (
        ("produced", "Produced"),
        ("consumed", "Consumed"),
        ("in_buffer", "In buffer"),
        ("in_hand", "In hand"),
        ("throughput", "Throughput now / run avg"),
        ("occupancy", "Occupancy now / max / mean"),
        ("blocked", "Time blocked (P / C)"),
        ("latency", "Time in buffer p50 / p95"),
        ("invariant", "Books"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Statistics", parent)
        form = QFormLayout(self)
        form.setContentsMargins(10, 6, 10, 8)
        form.setVerticalSpacing(3)
        self.values: dict[str, QLabel] = {}
        for key, text in self.ROWS:
            value = QLabel("–")
            value.setObjectName(f"stat_{key}")
            self.values[key] = value
            form.addRow(text + ":", value)
        for value in self.values.values():
            # numbers grow during a run (18,679; 2,425.0 / 2,399.5 items/s): a value that
            # outgrows the side panel wraps at a space instead of widening the panel past
            # its scroll area, which would clip every row on the right
            value.setWordWrap(True)
        self.values["blocked"].setToolTip(
            "Share of the workers' time spent waiting on a full (producers) or empty "
            "(consumers) buffer"
        )
        self.values["latency"].setToolTip("How long items sat in the buffer (recent items)")
        self.values["throughput"].setToolTip(
            "Items consumed per second: over the last 2 seconds (now) and over the whole "
            "run (consumed / elapsed)"
        )
        self.shown: Snapshot | None = None  #: the snapshot whose figures are on show
        self._unknown = False

    def reset(self) -> None:
        """Every number back to "–" (a new run, or Reset)."""
        for v in self.values.values():
            v.setText("–")
            v.setStyleSheet("")
        self.shown = None
        self._unknown = False

    def set_unknown(self, why: str) -> None:
        """Every number greyed out as "unknown": the engine that kept them is gone, so the
        last ones shown may be stale and the books can no longer be vouched for."""
        grey = f"color: {theme.MUTED.name()}"
        for key, v in self.values.items():
            v.setText("unknown" if key != "invariant" else f"unknown — {why}")
            v.setStyleSheet(grey)
        self.values["invariant"].setToolTip(
            "Nobody can check the books of a run whose engine process has ended"
        )
        self._unknown = True

    def show_config(self, _cfg: SimulationConfig) -> None:
        """The numbers are a run's: a new configuration shows none until it runs."""

    def on_frame(self, _batch: list[Event], _total: int, snap: Snapshot) -> None:
        """The window's frame: the numbers come from the snapshot alone."""
        self.on_snapshot(snap)

    @Slot(object)
    def on_snapshot(self, snap: Snapshot, force: bool = False) -> None:
        """Show ``snap``'s figures, all of them; the same snapshot again is a no-op
        (unless ``force``)."""
        if self._unknown or (snap is self.shown and not force):
            return  # unknown stays unknown until reset(): its engine is gone
        self.shown = snap
        v = self.values
        v["produced"].setText(f"{snap.produced:,}")
        v["consumed"].setText(f"{snap.consumed:,}")
        v["in_buffer"].setText(f"{snap.in_buffer:,} of {snap.capacity:,}")
        v["in_hand"].setText(f"{snap.in_hand:,}")
        average = run_average(snap.consumed, snap.elapsed)
        v["throughput"].setText(f"{snap.consumed_rate:,.1f} / {average:,.1f} items/s")
        v["occupancy"].setText(
            f"{snap.occupancy} / {snap.max_occupancy} / {snap.mean_occupancy:.1f}"
        )
        v["blocked"].setText(
            f"{100 * snap.producer_blocked:.0f} % / {100 * snap.consumer_blocked:.0f} %"
        )
        p50, p95, _ = snap.latency_ms
        v["latency"].setText(f"{_ms(p50)} / {_ms(p95)}")
        inv = v["invariant"]
        if snap.ok:
            inv.setText(
                f"✓ balanced: {snap.produced:,} = {snap.consumed:,} + {snap.in_buffer:,} + "
                f"{snap.in_hand:,}"
            )
            tip = "produced = consumed + in buffer + in hand; no item taken twice"
            style = f"color: {theme.hex_color('ok')}; font-weight: bold; {self._size()}"
        else:
            inv.setText("✗ " + (snap.violations[0] if snap.violations else "mismatch"))
            tip = "\n".join(snap.violations)
            style = (
                f"color: white; background: {theme.ALARM_COLOR.name()}; font-weight: bold;"
                f"padding: 2px; {self._size()}"
            )
        # Qt repolishes a label on every setStyleSheet, even an unchanged one: only on change
        if inv.toolTip() != tip:
            inv.setToolTip(tip)
        if inv.styleSheet() != style:
            inv.setStyleSheet(style)

    def _size(self) -> str:
        """A style sheet cuts a label off the font it inherits: name the size again."""
        px = self.font().pixelSize()
        return f"font-size: {px}px;" if px > 0 else ""

    def read(self) -> dict[str, int | None]:
        """The counts as the labels show them (None where a label shows no number)."""
        out: dict[str, int | None] = {}
        for key in ("in_buffer", "produced", "consumed", "in_hand"):
            text = self.values[key].text().split(" of ")[0].replace(",", "")
            out[key] = int(text) if text.isdigit() else None
        return out

    def books_text(self) -> str:
        return self.values["invariant"].text()


def read_books(text: str) -> dict[str, object]:
    """The books line read back: its four figures and whether it says they balance."""
    m = BOOKS.match(text)
    if m is None:
        return {
            "produced": None,
            "consumed": None,
            "in_buffer": None,
            "in_hand": None,
            "ok": False,
            "text": text,
        }
    produced, consumed, in_buffer, in_hand = (int(g.replace(",", "")) for g in m.groups())
    return {
        "produced": produced,
        "consumed": consumed,
        "in_buffer": in_buffer,
        "in_hand": in_hand,
        "ok": True,
        "text": text,
    }


def _ms(x: float) -> str:
    return f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"
