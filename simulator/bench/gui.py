"""How the window holds up under load: frames per second, GUI-thread lateness,
event-to-screen latency and memory, with the engine running flat out.

Run: ``QT_QPA_PLATFORM=offscreen python -m simulator.bench.gui --seconds 60``.

The steps of :func:`run_gui_bench`: open the window (:func:`_open_window`), hook the
samples to it (:meth:`_Samples.watch`: each frame's events, each paint), start the
lateness probe and the memory timer, run warm-up then measurement
(:func:`_run_measured`), and summarise (:meth:`_Samples.report`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simulator.engine.frame import Frame
    from simulator.engine.simulation import Snapshot
    from simulator.ui.window import MainWindow

PROBE_MS = 5
WARMUP_S = 2.0
MB = 1024 * 1024


def _pct(values: Any, q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if len(values) else 0.0


@dataclass
class _Samples:
    """Everything measured, taken only while :attr:`measuring` (after the warm-up)."""

    measuring: bool = False
    lateness: list[float] = field(default_factory=list)  # ms the probe timer fired late
    frame_times: list[float] = field(default_factory=list)  # monotonic time of each paint
    paint_ms: list[float] = field(default_factory=list)
    frame_ms: list[float] = field(default_factory=list)  # the window's views, per frame
    latency: array = field(default_factory=lambda: array("d"))  # compact: must not grow
    pending: list[np.ndarray] = field(default_factory=list)  # event times not painted yet
    rss: list[int] = field(default_factory=list)
    t0: float = 0.0
    consumed0: int = 0
    elapsed: float = 0.0
    snap: Snapshot | None = None

    def watch(self, window: MainWindow) -> None:
        """Sample each frame's events (as ``frameReady`` carries them) and each paint."""

        def on_frame(frame: Frame) -> None:
            batch = frame.events
            if self.measuring and batch:
                step = max(1, len(batch) // 16)  # a sample of each batch is enough
                self.pending.append(np.fromiter((e.t for e in batch[::step]), dtype=float))

        def on_painted(now: float) -> None:
            if not self.measuring:
                self.pending.clear()
                return
            self.frame_times.append(now)
            self.paint_ms.append(window.canvas.last_paint_s * 1000.0)
            self.frame_ms.append(window.last_frame_s * 1000.0)
            for ts in self.pending:
                self.latency.extend((now - ts) * 1000.0)
            self.pending.clear()

        window.frame_listeners.append(on_frame)
        window.canvas.on_painted = on_painted

    def report(self, config: str, window: MainWindow) -> dict[str, object]:
        elapsed, snap, rss = self.elapsed, self.snap, self.rss
        assert snap is not None, "the measurement never ended"
        return {
            "seconds": round(elapsed, 2),
            "config": config,
            "frames_per_s": round(len(self.frame_times) / elapsed, 1),
            "frame_interval_p95_ms": round(_pct(np.diff(self.frame_times) * 1000.0, 95), 2),
            "paint_ms_p50": round(_pct(self.paint_ms, 50), 2),
            "paint_ms_p95": round(_pct(self.paint_ms, 95), 2),
            "frame_work_ms_p50": round(_pct(self.frame_ms, 50), 2),
            "frame_work_ms_p95": round(_pct(self.frame_ms, 95), 2),
            "probe_late_p99_ms": round(_pct(self.lateness, 99), 2),
            "probe_late_max_ms": round(max(self.lateness, default=0.0), 2),
            "event_to_paint_p50_ms": round(_pct(self.latency, 50), 2),
            "event_to_paint_p95_ms": round(_pct(self.latency, 95), 2),
            "items_per_s": round((snap.consumed - self.consumed0) / elapsed, 1),
            "rss_start_mb": round(rss[0] / MB, 1),
            "rss_peak_mb": round(max(rss) / MB, 1),
            "rss_growth_mb": round((rss[-1] - rss[0]) / MB, 1),
            "events_dropped": window.bridge.dropped,
            "books_ok": snap.ok,
            "engine_process": True,
        }


def _open_window(cfg: Any) -> tuple[Any, MainWindow]:
    """The QApplication and a shown window for ``cfg`` (offscreen unless told otherwise)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtWidgets import QApplication

    from simulator.ui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(cfg)
    window.show()
    return app, window


def _start_lateness_probe(samples: _Samples) -> Any:
    """A precise timer every :data:`PROBE_MS`: how late it fires is how long the GUI
    thread was busy (or waiting for the GIL)."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    clock = QElapsedTimer()
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    last = 0

    def on_probe() -> None:
        nonlocal last
        now = clock.nsecsElapsed()
        if samples.measuring and last:
            samples.lateness.append(max(0.0, (now - last) / 1e6 - PROBE_MS))
        last = now

    probe.timeout.connect(on_probe)
    clock.start()
    probe.start()
    return probe


def _start_rss_timer(samples: _Samples, proc: Any) -> Any:
    """The GUI process's resident memory once a second while measuring."""
    from PySide6.QtCore import QTimer

    def on_tick() -> None:
        if samples.measuring:
            samples.rss.append(proc.memory_info().rss)

    timer = QTimer()
    timer.setInterval(1000)
    timer.timeout.connect(on_tick)
    timer.start()
    return timer


def _run_measured(
    app: Any, window: MainWindow, samples: _Samples, proc: Any, seconds: float
) -> None:
    """Start the engine, measure from :data:`WARMUP_S` for ``seconds``, then close."""
    from PySide6.QtCore import QTimer

    def begin() -> None:
        # the count before the measured window opens: a snapshot() is a blocking round
        # trip to the engine, which the lateness probe would record as a GUI stall
        samples.consumed0 = window.bridge.sim.snapshot().consumed
        samples.measuring = True
        samples.t0 = time.monotonic()
        samples.rss.append(proc.memory_info().rss)

    def end() -> None:
        samples.measuring = False
        samples.elapsed = time.monotonic() - samples.t0
        samples.snap = window.bridge.sim.snapshot()
        samples.rss.append(proc.memory_info().rss)
        window.close()  # stops the engine and ends its process
        app.quit()

    window.bridge.start()
    QTimer.singleShot(int(WARMUP_S * 1000), begin)
    QTimer.singleShot(int((WARMUP_S + seconds) * 1000), end)
    app.exec()


def run_gui_bench(
    seconds: float = 60.0,
    producers: int = 8,
    consumers: int = 8,
    capacity: int = 10,
    backend: str = "threads",
    sleep: tuple[float, float] = (0.0, 0.0),
) -> dict[str, object]:
    """Run the window flat out for ``seconds`` after a warm-up and report its figures."""
    import psutil

    from simulator.engine.config import SimulationConfig

    cfg = SimulationConfig(
        producers=producers,
        consumers=consumers,
        capacity=capacity,
        backend=backend,
        producer_sleep=sleep,
        consumer_sleep=sleep,
    )
    app, window = _open_window(cfg)
    proc = psutil.Process()
    samples = _Samples()
    samples.watch(window)
    probe = _start_lateness_probe(samples)
    rss_timer = _start_rss_timer(samples, proc)
    _run_measured(app, window, samples, proc, seconds)
    probe.stop()
    rss_timer.stop()
    config = f"{producers}P/{consumers}C cap {capacity} {backend} sleeps {sleep}"
    return samples.report(config, window)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.bench.gui")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--producers", type=int, default=8)
    ap.add_argument("--consumers", type=int, default=8)
    ap.add_argument("--capacity", type=int, default=10)
    ap.add_argument("--backend", default="threads")
    ap.add_argument(
        "--sleep",
        nargs=2,
        type=float,
        default=(0.0, 0.0),
        metavar=("MIN", "MAX"),
        help="both sides' sleep range (default 0 0: flat out)",
    )
    args = ap.parse_args(argv)
    result = run_gui_bench(
        args.seconds,
        args.producers,
        args.consumers,
        args.capacity,
        args.backend,
        tuple(args.sleep),
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
