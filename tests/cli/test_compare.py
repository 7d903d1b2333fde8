"""``pcsim compare``: bad input is one line and exit 2 before any run; a short
comparison prints its table and writes the JSON runs and a bar chart (the speed-up is
not asserted: it depends on the machine; the README reports it, measured by hand)."""

from __future__ import annotations

import json

import pytest

from simulator.compare import RUN_KEYS, speedups
from tests.cli.test_bad_input import one_line, pcsim

FAST = ["--producer-sleep", "0", "0.002", "--consumer-sleep", "0.01", "0.02"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--backends", "threads", "fibers"], ["--backends", "threads, processes", "'fibers'"]),
        (["--backends", "threads", "threads"], ["--backends", "threads", "twice"]),
        (["--backends", "processes", "--buffer", "condition"], ["--backends processes", "queue"]),
        (["--backend", "threads"], ["--backend", "--backends"]),
        (["--work", "spin"], ["--work", "sleep", "cpu"]),
        (["--seconds", "0.1"], ["--seconds", "0.5–3600"]),
        (["--out", "c.jpg"], ["--out", ".png or .svg"]),
        (["--json", "/no/such/c.json"], ["--json", "/no/such"]),
        (["--consumers", "0"], ["--consumers", "1–64"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_run(args, words):
    one_line(pcsim("compare", *args), *words)


def test_a_short_comparison_writes_its_runs_and_a_bar_chart(tmp_path, qapp):
    from PySide6.QtGui import QImage

    js, png = tmp_path / "c.json", tmp_path / "c.png"
    out = pcsim(
        "compare", "--backends", "threads", "asyncio", "--work", "cpu",
        "--producers", "1", "--consumers", "2", *FAST,
        "--seconds", "0.5", "--json", str(js), "--out", str(png),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:2] == ["backend", "items/s"]
    assert [ln.split()[0] for ln in lines[1:3]] == ["threads", "asyncio"]
    assert any(ln.startswith("asyncio: ") and "× the throughput of threads" in ln for ln in lines)
    data = json.loads(js.read_text())
    assert [r["backend"] for r in data["runs"]] == ["threads", "asyncio"]
    for run in data["runs"]:
        assert set(RUN_KEYS) <= set(run)
        assert run["work"] == "cpu" and run["ok"] is True and run["consumed"] > 0
        assert run["cpu_percent"] is not None and run["cpu_percent"] > 0
        assert 0 <= run["producer_blocked_fraction"] <= 1
        assert run["calibration"]["iterations_per_ms"] > 0
    assert set(data["speedup_vs_threads"]) == {"asyncio"}
    img = QImage(str(png))
    assert not img.isNull() and (img.width(), img.height()) == (1200, 780)


def test_the_speedup_is_against_threads():
    runs = [
        {"backend": "threads", "throughput_per_s": 40.0},
        {"backend": "processes", "throughput_per_s": 70.0},
    ]
    assert speedups(runs) == {"processes": 1.75}
    assert speedups(runs[1:]) == {}
