"""Time from starting ``pcsim gui`` to its first painted frame, in a fresh process."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

PROBE_ENV = "PCSIM_STARTUP_PROBE"


def measure_startup(runs: int = 3) -> dict[str, object]:
    times = []
    for _ in range(runs):
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        env[PROBE_ENV] = "1"
        t0 = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "simulator", "gui"], env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        stamp = [line for line in out.stdout.splitlines() if line.startswith("first-paint ")]
        if out.returncode != 0 or not stamp:
            raise RuntimeError(f"pcsim gui did not report its first frame: {out.stderr[-500:]}")
        times.append(float(stamp[-1].split()[1]) - t0)
    return {
        "runs": runs,
        "startup_s_median": round(statistics.median(times), 3),
        "startup_s_max": round(max(times), 3),
    }
