"""``pcsim bench``: run the measurements, print a table against the targets, write JSON."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Mapping
from pathlib import Path

from simulator import exitcodes

TARGETS = {
    "engine_ratio_threads_asyncio": 0.8,
    "engine_ratio_processes": 0.5,
    "gui_frames_per_s": 55,
    "gui_probe_late_max_ms": 20,
    "gui_event_to_paint_p95_ms": 50,
    "gui_rss_growth_mb": 10,
    "scale_frame_p95_ms": 16,
    "startup_s": 1.5,
    "soak_rss_growth_mb": 5,
}


def _mark(ok: bool) -> str:
    return "ok " if ok else "MISS"


def _number(report: Mapping[str, object], key: str) -> float:
    """``report[key]`` as a float (the reports are JSON-shaped: every figure a number)."""
    value = report[key]
    if not isinstance(value, int | float):
        raise TypeError(f"{key} is not a number: {value!r}")
    return float(value)


def fidelity_lines(fidelity: Mapping[str, object]) -> list[str]:
    """The fidelity table: pcsim beside the bare program with the same sleeps."""
    runs = fidelity["runs"]
    assert isinstance(runs, list)
    n = runs[0]["repeats"] if runs else 0
    lines = [
        f"fidelity (4P/4C, capacity 10, uniform sleeps 0..max both sides; median of {n}, "
        "interleaved)",
        f"  {'backend':<11}{'sleeps':>10}{'bare items/s':>14}{'pcsim items/s':>15}{'ratio':>8}",
    ]
    for row in runs:
        ratio, target = _number(row, "ratio"), row["target"]
        mark = "  report only" if target is None else f"  {_mark(ratio >= target)} (>= {target})"
        if not row["books_ok"]:
            mark += "  BOOKS BROKE"
        lines.append(
            f"  {row['backend']:<11}{'0-' + format(row['sleep_max_ms'], 'g') + ' ms':>10}"
            f"{row['bare_items_per_s']:>14,.0f}{row['pcsim_items_per_s']:>15,.0f}"
            f"{ratio:>8.2f}{mark}"
        )
    model = fidelity.get("model")
    if isinstance(model, dict):
        if not model["points"]:
            lines.append(f"  model check: skipped ({model.get('reason')})")
        else:
            lines.append(
                "model vs bare threads program (4P/4C, capacity 10, sleeps >= 10 ms; "
                f"within {model['tolerance']:.0%})"
            )
            for pt in model["points"]:
                ps, cs = pt["producer_sleep_ms"], pt["consumer_sleep_ms"]
                pred, ratio = pt["predicted_items_per_s"], pt["ratio"]
                said = "none" if pred is None else f"{pred:,.1f}/s"
                tail = "" if ratio is None else f"  ratio {ratio:.2f}  {_mark(pt['pass'])}"
                lines.append(
                    f"  P {ps[0]:g}-{ps[1]:g} ms, C {cs[0]:g}-{cs[1]:g} ms: bare "
                    f"{pt['bare_items_per_s']:,.1f}/s, model {said}{tail}"
                )
    return lines


def model_lines(model: Mapping[str, object]) -> list[str]:
    """The model against real runs: each case's throughput, real beside predicted."""
    runs = model["runs"]
    assert isinstance(runs, list)
    secs = runs[0]["seconds"] if runs else 0
    n = runs[0]["runs"] if runs else 0
    lines = [
        f"model vs real runs (starting settings, timeline off, threads, {secs:g} s, "
        f"median of {n})",
        f"  {'case':<18}{'real/s':>9}{'model/s':>9}{'bound/s':>9}{'ratio':>8}",
    ]
    for row in runs:
        ratio = row["ratio"]
        mark = "  –" if ratio is None else f"  {_mark(row['pass'])} (±{row['tolerance']:.0%})"
        lines.append(
            f"  {row['case']:<18}{row['measured_items_per_s']:>9.2f}"
            f"{row['predicted_items_per_s']:>9.2f}{row['bound_items_per_s']:>9.2f}"
            f"{'' if ratio is None else format(ratio, '.3f'):>8}{mark}"
        )
    return lines


def run(what: str, quick: bool, json_path: str | None, minutes: float = 10.0) -> int:
    """Run ``what`` and print the table. ``soak`` (``minutes`` long) is not part of
    ``all``: it watches the window's memory for as long as a lecture."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    result: dict[str, object] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "quick": quick,
        "targets": TARGETS,
    }
    lines: list[str] = []
    if what in ("engine", "all"):
        from simulator.bench.engine import run_engine_bench

        engine = run_engine_bench(quick=quick)
        result["engine"] = engine
        lines.append("engine (zero sleeps, capacity 10; median of 5, interleaved)")
        lines.append(f"  {'pair':<16}{'bare items/s':>14}{'pcsim items/s':>15}{'ratio':>8}")
        for key, row in engine.items():
            target = TARGETS[
                "engine_ratio_processes" if "processes" in key else "engine_ratio_threads_asyncio"
            ]
            ratio = _number(row, "ratio")
            bare, ours = row["bare_items_per_s"], row["pcsim_items_per_s"]
            lines.append(
                f"  {key:<16}{bare:>14,}{ours:>15,}{ratio:>8.2f}  "
                f"{_mark(ratio >= target)} (>= {target})"
            )
    if what in ("fidelity", "all"):
        from simulator.bench.fidelity import run_fidelity_bench

        fidelity = run_fidelity_bench(quick=quick)
        if what == "fidelity":  # its own layout: {"runs": [...], "model": ...} at the top
            result.update(fidelity)
        else:
            result["fidelity"] = fidelity
        lines.extend(fidelity_lines(fidelity))
    if what in ("model", "all"):
        from simulator.bench.model import run_model_bench

        model = run_model_bench(quick=quick)
        if what == "model":  # its own layout: {"runs": [...]} at the top
            result.update(model)
        else:
            result["model"] = model
        lines.extend(model_lines(model))
    if what in ("gui", "all"):
        from simulator.bench.gui import run_gui_bench

        gui = run_gui_bench(seconds=10 if quick else 60)
        result["gui"] = gui
        lines.append(f"gui ({gui['config']}, {gui['seconds']} s)")
        checks: tuple[tuple[str, float | None, str], ...] = (
            ("frames_per_s", TARGETS["gui_frames_per_s"], "high"),
            ("probe_late_p99_ms", None, ""),
            ("probe_late_max_ms", TARGETS["gui_probe_late_max_ms"], "low"),
            ("event_to_paint_p50_ms", None, ""),
            ("event_to_paint_p95_ms", TARGETS["gui_event_to_paint_p95_ms"], "low"),
            ("rss_peak_mb", None, ""),
            ("rss_growth_mb", TARGETS["gui_rss_growth_mb"], "low"),
            ("items_per_s", None, ""),
        )
        for key, goal, better in checks:
            v = _number(gui, key)
            mark = ""
            if goal is not None:
                ok = v >= goal if better == "high" else v <= goal
                mark = f"  {_mark(ok)} ({'>=' if better == 'high' else '<='} {goal})"
            lines.append(f"  {key:<24}{v:>12,.1f}{mark}")
    if what in ("scale", "all"):
        from simulator.bench.gui import run_gui_bench

        scale = run_gui_bench(
            seconds=5 if quick else 20,
            producers=64,
            consumers=64,
            capacity=1000,
            sleep=(0.0, 0.05),
        )
        result["scale"] = scale
        lines.append(f"scale ({scale['config']}, {scale['seconds']} s)")
        p95 = _number(scale, "frame_work_ms_p95") + _number(scale, "paint_ms_p95")
        scale["frame_time_p95_ms"] = round(p95, 2)
        scale["frame_time_p50_ms"] = round(
            _number(scale, "frame_work_ms_p50") + _number(scale, "paint_ms_p50"), 2
        )
        lines.append(f"  {'frame_time_p50_ms':<24}{scale['frame_time_p50_ms']:>12,.2f}")
        lines.append(
            f"  {'frame_time_p95_ms':<24}{p95:>12,.2f}  "
            f"{_mark(p95 <= TARGETS['scale_frame_p95_ms'])} (<= 16)"
        )
        for key in ("frames_per_s", "probe_late_p99_ms", "probe_late_max_ms"):
            lines.append(f"  {key:<24}{_number(scale, key):>12,.1f}")
    if what in ("startup", "all"):
        from simulator.bench.startup import measure_startup

        startup = measure_startup(runs=3)
        result["startup"] = startup
        s = _number(startup, "startup_s_median")
        lines.append("startup (process start to first painted frame, median of 3)")
        lines.append(f"  {'startup_s':<24}{s:>12.3f}  {_mark(s <= TARGETS['startup_s'])} (<= 1.5)")
    if what == "soak":
        from simulator.bench.soak import print_soak, run_soak

        soak = run_soak(minutes)
        result["soak"] = soak
        target = TARGETS["soak_rss_growth_mb"]
        lines.append(f"soak: window + engine, balanced scenario, {minutes:g} min")
        lines.append(
            f"  {'gui_rss_growth_mb':<32}{soak['gui_rss_growth_mb']:>8.2f}  (from the "
            "first sample: includes the first paints and filling the log)"
        )
        # the leak figure: growth once the log (1,000 lines) and the graph (60 s) are full
        settled = soak["gui_rss_growth_after_settled_mb"]
        if settled is not None:
            ok = _number(soak, "gui_rss_growth_after_settled_mb") < target
            lines.append(
                f"  {'gui_rss_growth_after_90s_mb':<32}{settled:>8.2f}  {_mark(ok)} (< {target})"
            )
        print_soak(soak)
    print(f"pcsim bench {what}{' --quick' if quick else ''} — {result['machine']}")
    print("\n".join(lines))
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {json_path}")
    fid = result.get("fidelity", result if what == "fidelity" else {})
    if isinstance(fid, dict) and not all(row["books_ok"] for row in fid.get("runs", [])):
        return exitcodes.BOOKS  # a run lost or duplicated an item: the figures mean nothing
    return exitcodes.OK
