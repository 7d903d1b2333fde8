"""Time from starting ``pcsim gui`` to its first painted frame, in a fresh process.

The app itself reports that frame when asked (its startup probe:
:data:`simulator.ui.app.STARTUP_PROBE_ENV`); this only starts it, reads the report and
takes the median.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from simulator.ui.app import STARTUP_PROBE_ENV, first_paint_time


def measure_startup(runs: int = 3) -> dict[str, object]:
    times = []
    for _ in range(runs):
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        env[STARTUP_PROBE_ENV] = "1"
        t0 = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "simulator", "gui"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        painted = first_paint_time(out.stdout)
        if out.returncode != 0 or painted is None:
            raise RuntimeError(f"pcsim gui did not report its first frame: {out.stderr[-500:]}")
        times.append(painted - t0)
    return {
        "runs": runs,
        "startup_s_median": round(statistics.median(times), 3),
        "startup_s_max": round(max(times), 3),
    }
