"""The numbers: counts, rates, occupancy, waiting shares, latency and the invariant."""

from __future__ import annotations

import time

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.simulation import RUNNING, Snapshot
from simulator.ui import theme

REFRESH_S = 0.2  # text is re-laid-out at 5 Hz, not every frame


class StatsPanel(QGroupBox):
    ROWS = (
        ("produced", "Produced"),
        ("consumed", "Consumed"),
        ("in_buffer", "In buffer"),
        ("in_hand", "In hand"),
        ("throughput", "Throughput"),
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
        self.values["invariant"].setWordWrap(True)
        self.values["blocked"].setToolTip(
            "Share of the workers' time spent waiting on a full (producers) or empty "
            "(consumers) buffer"
        )
        self.values["latency"].setToolTip("How long items sat in the buffer (recent items)")
        self._last = -1.0
        self._unknown = False

    def reset(self) -> None:
        """Every number back to "–" (a new run, or Reset)."""
        for v in self.values.values():
            v.setText("–")
            v.setStyleSheet("")
        self._last = -1.0
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
        now = time.monotonic()  # not the run's clock: it stands still while workers start
        if not force and 0 <= now - self._last < REFRESH_S and snap.state == RUNNING:
            return
        self._last = now
        v = self.values
        v["produced"].setText(f"{snap.produced:,}")
        v["consumed"].setText(f"{snap.consumed:,}")
        v["in_buffer"].setText(f"{snap.in_buffer:,} of {snap.capacity:,}")
        v["in_hand"].setText(f"{snap.in_hand:,}")
        v["throughput"].setText(f"{snap.consumed_rate:,.1f} items/s")
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
            inv.setToolTip("produced = consumed + in buffer + in hand; no item taken twice")
            inv.setStyleSheet(f"color: {theme.OK_COLOR.darker(130).name()}; font-weight: bold")
        else:
            inv.setText("✗ " + (snap.violations[0] if snap.violations else "mismatch"))
            inv.setToolTip("\n".join(snap.violations))
            inv.setStyleSheet(
                f"color: white; background: {theme.ALARM_COLOR.name()}; font-weight: bold;"
                "padding: 2px"
            )


def _ms(x: float) -> str:
    return f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"
