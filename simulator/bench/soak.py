"""Does the window's memory stay flat? Run it for minutes and watch its RSS.

``pcsim bench soak --minutes 10`` opens the window offscreen with the ``balanced``
scenario (the demo a teacher leaves running on a projector) and samples the resident
memory of the GUI process and of its engine process every few seconds. A window that
creeps a few tens of KB a second is fine for a minute and a problem for a lecture, so the
figure that matters is the growth *after the first* :data:`SETTLED_S` seconds, once
start-up, caches, the log's 1,000 lines and the graph's 60 s have filled (the growth over
the second half is printed beside it). The scenario's timeline is replayed whenever it ends,
so the run never settles into a quieter state than a real one.

``python -m simulator.bench.soak --minutes 2 --trace`` also diffs ``tracemalloc``
snapshots of the GUI process (the first after warm-up against the last) and prints the
allocation sites that grew most: the way to find what leaks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.scenarios.scenario import Scenario, Step, TimelinePlayer

SAMPLE_S = 5.0
#: the log (1,000 lines) and the graph (60 s) fill up in the first ~90 s of `balanced`:
#: memory that grows until then and no further is their contents, not a leak
SETTLED_S = 90.0
WARMUP_S = 10.0  # tracemalloc's baseline: after the first frames, caches and fonts


def _rss(proc) -> int:
    try:
        return int(proc.memory_info().rss)
    except Exception:  # the engine may be between processes
        return 0


def _replay(scenario: Scenario, offset: float) -> TimelinePlayer:
    """The scenario's timeline again, from ``offset`` seconds into the run."""
    from simulator.scenarios.scenario import TimelinePlayer

    class Replay(TimelinePlayer):
        def due(self, elapsed: float) -> list[Step]:
            return super().due(elapsed - offset)

    return Replay(scenario)


def run_soak(minutes: float = 10.0, trace: bool = False) -> dict[str, object]:
    """Run the window for ``minutes`` and return the RSS figures (MB) of both processes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    import psutil
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from simulator.scenarios.scenario import load
    from simulator.ui.window import MainWindow

    if trace:
        import tracemalloc

        tracemalloc.start(12)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    scenario = load("balanced")
    window = MainWindow(scenario.config, scenario, restore_geometry=False)
    window.show()
    me = psutil.Process()
    samples: list[tuple[float, int, int]] = []  # (seconds since start, gui rss, engine rss)
    t0 = time.monotonic()
    traced: dict[str, Any] = {}  # tracemalloc's "baseline" and "top", when tracing
    last_at = max((s.at for s in scenario.timeline), default=0.0)

    def sample() -> None:
        try:
            engine_rss = _rss(psutil.Process(window.bridge.sim.pid))
        except (psutil.Error, ValueError):  # between engines, or already closed
            engine_rss = 0
        t = time.monotonic() - t0
        samples.append((t, _rss(me), engine_rss))
        # the scenario's timeline is over: replay it, as a looping demo would
        snap = window.bridge.last_snapshot
        if (
            scenario.timeline
            and snap is not None
            and window.timeline.done
            and snap.elapsed > last_at + SAMPLE_S
        ):
            window.timeline = _replay(scenario, snap.elapsed)
        if trace and "baseline" not in traced and t >= WARMUP_S:
            traced["baseline"] = tracemalloc.take_snapshot()

    timer = QTimer()
    timer.setInterval(int(SAMPLE_S * 1000))
    timer.timeout.connect(sample)

    def finish() -> None:
        sample()
        if trace and "baseline" in traced:
            traced["top"] = tracemalloc.take_snapshot().compare_to(traced["baseline"], "traceback")
        window.close()
        app.quit()

    window.bridge.start()
    sample()
    timer.start()
    QTimer.singleShot(int(minutes * 60_000), finish)
    app.exec()
    timer.stop()
    mb = 1024 * 1024
    gui = [s[1] for s in samples]
    engine = [s[2] for s in samples if s[2]]
    half = len(samples) // 2
    settled = next((i for i, s in enumerate(samples) if s[0] >= SETTLED_S), None)
    result: dict[str, object] = {
        "minutes": minutes,
        "scenario": "balanced",
        "samples": len(samples),
        "gui_rss_start_mb": round(gui[0] / mb, 1),
        "gui_rss_end_mb": round(gui[-1] / mb, 1),
        "gui_rss_growth_mb": round((gui[-1] - gui[0]) / mb, 2),
        "gui_rss_growth_second_half_mb": round((gui[-1] - gui[half]) / mb, 2),
        "settled_s": SETTLED_S,
        # None: the run was too short to get past the filling
        "gui_rss_growth_after_settled_mb": None
        if settled is None
        else round((gui[-1] - gui[settled]) / mb, 2),
        "engine_rss_start_mb": round(engine[0] / mb, 1) if engine else 0.0,
        "engine_rss_end_mb": round(engine[-1] / mb, 1) if engine else 0.0,
        "engine_rss_growth_mb": round((engine[-1] - engine[0]) / mb, 2) if engine else 0.0,
        "rss_mb_series": [
            [round(t, 1), round(g / mb, 2), round(e / mb, 2)] for t, g, e in samples
        ],
    }
    if trace and "top" in traced:
        lines = []
        for stat in traced["top"][:15]:
            frames = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback]
            lines.append(
                f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d}  "
                + " <- ".join(frames[-1:-6:-1])
            )
        result["tracemalloc_top"] = lines
    return result


def print_soak(result: dict[str, object]) -> None:
    print(
        f"soak: pcsim gui --scenario balanced, {result['minutes']} min, "
        f"{result['samples']} samples every {SAMPLE_S:.0f} s"
    )
    for who in ("gui", "engine"):
        print(
            f"  {who:<7} rss {result[f'{who}_rss_start_mb']:>7} MB -> "
            f"{result[f'{who}_rss_end_mb']:>7} MB  growth "
            f"{result[f'{who}_rss_growth_mb']:+.2f} MB"
        )
    print(f"  gui growth over the second half: {result['gui_rss_growth_second_half_mb']:+.2f} MB")
    settled = result["gui_rss_growth_after_settled_mb"]
    print(
        f"  gui growth after the first {result['settled_s']:.0f} s (log and graph full): "
        + ("n/a (shorter run)" if settled is None else f"{settled:+.2f} MB")
    )
    top = result.get("tracemalloc_top", [])
    for line in top if isinstance(top, list) else []:
        print("  " + line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.bench.soak")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--trace", action="store_true", help="diff tracemalloc snapshots")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    result = run_soak(args.minutes, args.trace)
    print_soak(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
