"""``pcsim compare``: the same settings on each backend in turn, side by side.

What one run cannot show: with ``--work cpu`` threads take turns holding the GIL, so
two CPU-bound consumers finish about as much as one, while processes run on two cores
and asyncio's tasks block their one loop; with ``--work sleep`` (waiting, like I/O) the
three backends do about the same. The runs go one after another, never at once (they
would compete for the cores), each on a fresh engine whose clock starts when every
worker is ready (:func:`simulator.sweep.run_point`, shared with ``pcsim sweep``).

Qt-free but for ``--out``, which draws a bar chart through the one chart module the
window shares (:mod:`simulator.ui.chart`). The window's Simulation ▸ Compare backends…
runs this command as a child with ``--progress`` (:mod:`simulator.ui.compare_dialog`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulator.engine.config import BACKENDS, ConfigError, SimulationConfig
from simulator.sweep import Outputs, run_series, settings_json

#: what one run of the comparison reports (the keys of each entry of ``runs``)
RUN_KEYS = (
    "backend",
    "work",
    "throughput_per_s",
    "mean_occupancy",
    "producer_blocked_fraction",
    "consumer_blocked_fraction",
    "cpu_percent",
)


def backend_configs(base: SimulationConfig, backends: Sequence[str]) -> list[SimulationConfig]:
    """``base`` on each of ``backends``, checked before any run: ValueError with the one
    line to show if a backend is unknown, repeated, or does not combine with the other
    settings (e.g. ``--buffer condition`` on processes)."""
    if not backends:
        raise ValueError("--backends: give at least one of " + ", ".join(BACKENDS))
    out: list[SimulationConfig] = []
    for name in backends:
        if name not in BACKENDS:
            allowed = ", ".join(BACKENDS)
            raise ValueError(f"--backends: each must be one of {allowed} (got {name!r})")
        if backends.count(name) > 1:
            raise ValueError(f"--backends: {name} is given twice")
        try:
            out.append(base.replace(backend=name))
        except ConfigError as err:
            raise ValueError(f"--backends {name}: {err.describe(err.field)}") from None
    return out


def run_entry(measured: dict[str, Any]) -> dict[str, Any]:
    """One backend's entry of ``runs`` from its measured report (the keys of
    :data:`RUN_KEYS`, then the books and the CPU detail)."""
    entry = {k: measured[k] for k in RUN_KEYS}
    entry.update(
        ok=measured["ok"],
        consumed=measured["consumed"],
        duration_s=measured["duration_s"],
        calibration=measured["calibration"],
        gil_enabled=measured["gil_enabled"],
        cpu=measured["cpu"],
    )
    return entry


def speedups(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Each backend's throughput over the threads backend's (when threads ran and did
    something): ``{"processes": 1.8, "asyncio": 1.0}``."""
    by = {r["backend"]: r["throughput_per_s"] for r in runs}
    base = by.get("threads")
    if not base:
        return {}
    return {name: round(v / base, 3) for name, v in by.items() if name != "threads"}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"


#: the table's columns: (header, width)
COLUMNS = (
    ("backend", 9),
    ("items/s", 9),
    ("occupancy", 9),
    ("producers blocked", 17),
    ("consumers blocked", 17),
    ("CPU", 6),
    ("books", 8),
)


def table_header() -> str:
    return "  ".join(f"{h:>{w}}" for h, w in COLUMNS) + "\n"


def table_row(run: dict[str, Any]) -> str:
    cpu = run["cpu_percent"]
    cells = (
        run["backend"],
        f"{run['throughput_per_s']:.1f}",
        f"{run['mean_occupancy']:.2f}",
        _pct(run["producer_blocked_fraction"]),
        _pct(run["consumer_blocked_fraction"]),
        "–" if cpu is None else f"{cpu:.0f} %",
        "balanced" if run["ok"] else "BROKE",
    )
    return "  ".join(f"{c:>{w}}" for c, (_, w) in zip(cells, COLUMNS, strict=True)) + "\n"


def run_compare(
    base: SimulationConfig, backends: Sequence[str], seconds: float, to: Outputs
) -> int:
    """Run ``base`` on each backend for ``seconds`` of its clock, one after another;
    print the table and each backend's speed-up over threads, or the progress stream
    (``run_started`` with the ``backend``, ``run``), and write ``to``'s JSON
    (``{"runs": [{"backend", "work", "throughput_per_s", "mean_occupancy",
    "producer_blocked_fraction", "consumer_blocked_fraction", "cpu_percent", …}, …],
    "speedup_vs_threads": {…}}``) and chart. The backends must have passed
    :func:`backend_configs`. Returns :func:`~simulator.sweep.finish`'s exit code."""
    configs = backend_configs(base, backends)
    result: dict[str, Any] = {
        "compare": list(backends),
        "work": base.work,
        "seconds": seconds,
        "config": settings_json(base),
        "runs": [],
    }

    def summary() -> list[str]:
        result["speedup_vs_threads"] = speedups(result["runs"])
        cal = next((r["calibration"] for r in result["runs"] if r["calibration"]), None)
        work = (
            f"work cpu: each drawn time computed ({cal['iterations_per_ms']:,.0f} "
            "iterations/ms on one core)"
            if cal
            else f"work {base.work}"
        )
        return [
            f"\n({work}; CPU: the workers' CPU time over the run's, 100 % = one core)\n",
            *(
                f"{name}: {x:.2f} × the throughput of threads\n"
                for name, x in result["speedup_vs_threads"].items()
            ),
        ]

    return run_series(
        "compare",
        result,
        "runs",
        [({"backend": cfg.backend}, cfg) for cfg in configs],
        seconds,
        to,
        model=False,
        header=table_header(),
        entry=lambda _fields, point: run_entry(point["measured"]),
        row=table_row,
        summary=summary,
    )
