"""How the window holds up under load: frames per second, GUI-thread lateness,
event-to-screen latency and memory, with the engine running flat out.

Run: ``QT_QPA_PLATFORM=offscreen python -m simulator.bench.gui --seconds 60``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from array import array

import numpy as np

PROBE_MS = 5
WARMUP_S = 2.0


def _pct(values, q) -> float:
    return float(np.percentile(np.asarray(values), q)) if len(values) else 0.0


def run_gui_bench(
    seconds: float = 60.0,
    producers: int = 8,
    consumers: int = 8,
    capacity: int = 10,
    backend: str = "threads",
    sleep: tuple[float, float] = (0.0, 0.0),
) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    import psutil
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from simulator.engine.config import SimulationConfig
    from simulator.ui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    cfg = SimulationConfig(
        producers=producers, consumers=consumers, capacity=capacity, backend=backend,
        producer_sleep=sleep, consumer_sleep=sleep,
    )  # fmt: skip
    window = MainWindow(cfg)
    window.show()
    proc = psutil.Process()
    state: dict[str, object] = {"measuring": False}
    lateness: list[float] = []
    frame_times: list[float] = []
    paint_ms: list[float] = []
    frame_ms: list[float] = []
    latency = array("d")  # compact: the benchmark must not be what grows
    pending: list[np.ndarray] = []
    rss: list[int] = []

    def on_batch(batch, _total=0, _snap=None) -> None:
        if state["measuring"] and batch:
            step = max(1, len(batch) // 16)  # a sample of each batch is enough
            pending.append(np.fromiter((e.t for e in batch[::step]), dtype=float))

    def on_painted(now: float) -> None:
        if not state["measuring"]:
            pending.clear()
            return
        frame_times.append(now)
        paint_ms.append(window.canvas.last_paint_s * 1000.0)
        frame_ms.append(window.last_frame_s * 1000.0)
        for ts in pending:
            latency.extend((now - ts) * 1000.0)
        pending.clear()

    window.frame_listeners.append(on_batch)
    window.canvas.on_painted = on_painted

    clock = QElapsedTimer()
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    last = {"t": 0}

    def on_probe() -> None:
        now = clock.nsecsElapsed()
        if state["measuring"] and last["t"]:
            lateness.append(max(0.0, (now - last["t"]) / 1e6 - PROBE_MS))
        last["t"] = now

    probe.timeout.connect(on_probe)
    rss_timer = QTimer()
    rss_timer.setInterval(1000)
    rss_timer.timeout.connect(lambda: state["measuring"] and rss.append(proc.memory_info().rss))

    def begin() -> None:
        state["measuring"] = True
        state["t0"] = time.monotonic()
        state["produced0"] = window.bridge.sim.snapshot().consumed
        rss.append(proc.memory_info().rss)

    clock.start()
    probe.start()
    rss_timer.start()
    window.bridge.start()
    QTimer.singleShot(int(WARMUP_S * 1000), begin)

    def end() -> None:
        state["measuring"] = False
        state["elapsed"] = time.monotonic() - float(state["t0"])  # type: ignore[arg-type]
        state["snap"] = window.bridge.sim.snapshot()
        rss.append(proc.memory_info().rss)
        window.close()  # stops the engine and ends its process
        app.quit()

    QTimer.singleShot(int((WARMUP_S + seconds) * 1000), end)
    app.exec()
    elapsed = float(state["elapsed"])  # type: ignore[arg-type]
    snap = state["snap"]
    probe.stop()
    rss_timer.stop()
    frames = len(frame_times)
    mb = 1024 * 1024
    return {
        "seconds": round(elapsed, 2),
        "config": f"{producers}P/{consumers}C cap {capacity} {backend} sleeps {sleep}",
        "frames_per_s": round(frames / elapsed, 1),
        "frame_interval_p95_ms": round(_pct(np.diff(frame_times) * 1000.0, 95), 2),
        "paint_ms_p50": round(_pct(paint_ms, 50), 2),
        "paint_ms_p95": round(_pct(paint_ms, 95), 2),
        "frame_work_ms_p50": round(_pct(frame_ms, 50), 2),
        "frame_work_ms_p95": round(_pct(frame_ms, 95), 2),
        "probe_late_p99_ms": round(_pct(lateness, 99), 2),
        "probe_late_max_ms": round(max(lateness, default=0.0), 2),
        "event_to_paint_p50_ms": round(_pct(latency, 50), 2),
        "event_to_paint_p95_ms": round(_pct(latency, 95), 2),
        "items_per_s": round((snap.consumed - int(state["produced0"])) / elapsed, 1),  # type: ignore
        "rss_start_mb": round(rss[0] / mb, 1),
        "rss_peak_mb": round(max(rss) / mb, 1),
        "rss_growth_mb": round((rss[-1] - rss[0]) / mb, 1),
        "events_dropped": window.bridge.dropped,
        "books_ok": snap.ok,  # type: ignore[attr-defined]
        "engine_process": True,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.bench.gui")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--producers", type=int, default=8)
    ap.add_argument("--consumers", type=int, default=8)
    ap.add_argument("--capacity", type=int, default=10)
    ap.add_argument("--backend", default="threads")
    ap.add_argument("--sleep", nargs=2, type=float, default=(0.0, 0.0), metavar=("MIN", "MAX"),
                    help="both sides' sleep range (default 0 0: flat out)")  # fmt: skip
    args = ap.parse_args(argv)
    result = run_gui_bench(args.seconds, args.producers, args.consumers, args.capacity,
                           args.backend, tuple(args.sleep))  # fmt: skip
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
