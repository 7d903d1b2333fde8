"""``pcsim sweep``: bad input is one line and exit 2 before any point runs; a tiny sweep
prints its table and writes JSON (measured and predicted per point) and a chart that
decodes; a signal ends it with what is done; its child dies with its parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from simulator.cli import build_parser, config_from_args
from simulator.engine.config import SimulationConfig
from simulator.headless import StopSignals
from simulator.sweep import (
    CHILD_ENV,
    Outputs,
    config_args,
    default_values,
    point_configs,
    run_sweep,
)
from tests.cli.test_bad_input import one_line, pcsim

FAST = ["--producer-sleep", "0.01", "0.03", "--consumer-sleep", "0.01", "0.03"]
#: the measured report's keys the sweep's points and the model's prediction share
SHARED = (
    "throughput_per_s",
    "mean_occupancy",
    "producer_blocked_fraction",
    "consumer_blocked_fraction",
    "latency_ms",
)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--vary", "consumers", "1", "0"], ["--vary consumers", "1–64", "'0'"]),
        (["--vary", "consumers", "two"], ["--vary consumers", "'two'"]),
        (["--vary", "threads", "1"], ["--vary", "consumers, producers", "'threads'"]),
        (["--vary", "consumers"], ["--vary consumers", "at least one value"]),
        (["--vary", "capacity", "1", "1001"], ["--vary capacity", "1–1000"]),
        (["--vary", "consumer-sleep-max", "0.1"], ["--vary consumer-sleep-max", "0.1", "MIN"]),
        (["--vary", "producer-sleep-min", "0.9"], ["--vary producer-sleep-min", "0.9", "MAX"]),
        (["--vary", "consumers", "1", "--seconds", "0.1"], ["--seconds", "0.5–3600"]),
        (["--vary", "consumers", "1", "--out", "c.jpg"], ["--out", ".png or .svg"]),
        (["--vary", "consumers", "1", "--out", "/no/such/c.png"], ["--out", "/no/such"]),
        (["--vary", "consumers", "1", "--json", "/no/such/s.json"], ["--json", "/no/such"]),
        (["--producers", "0", "--vary", "consumers", "1"], ["--producers", "1–64"]),
        ([], ["--vary"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_point(args, words):
    one_line(pcsim("sweep", *args), *words)


def test_a_sleep_end_keeps_the_other_end():
    base = SimulationConfig(consumer_sleep=(0.2, 0.7))
    _, values, cfgs = point_configs(base, "consumer-sleep-max", ["0.3", "1.5"])
    assert values == [0.3, 1.5]
    assert [c.consumer_sleep for c in cfgs] == [(0.2, 0.3), (0.2, 1.5)]
    _, _, cfgs = point_configs(base, "consumer-sleep-min", ["0", "0.7"])
    assert [c.consumer_sleep for c in cfgs] == [(0.0, 0.7), (0.7, 0.7)]


def test_the_dialogs_values_are_valid_and_its_flags_give_back_the_settings():
    cfg = SimulationConfig(
        producers=4, producer_sleep=(0.05, 0.25), backend="asyncio", seed=7, time_scale=0.5
    )
    args = build_parser().parse_args(["sweep", *config_args(cfg), "--vary", "consumers", "1"])
    assert config_from_args(args) == cfg
    for name in ("consumers", "producers", "capacity", "consumer-sleep-max",
                 "consumer-sleep-min", "producer-sleep-max", "producer-sleep-min"):  # fmt: skip
        values = default_values(cfg, name)
        point_configs(cfg, name, [f"{v:g}" for v in values])  # raises if one is not valid


def test_a_tiny_sweep_prints_its_table_and_writes_json_and_a_png(tmp_path, qapp):
    from PySide6.QtGui import QImage

    js, png = tmp_path / "s.json", tmp_path / "s.png"
    out = pcsim(
        "sweep", "--vary", "consumers", "1", "2", "--producers", "2", *FAST,
        "--seconds", "0.5", "--json", str(js), "--out", str(png),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["consumers", "measured/s", "predicted/s"]
    assert [ln.split()[0] for ln in lines[2:4]] == ["1", "2"]
    assert all(ln.split()[-1] == "balanced" for ln in lines[2:4])  # the books column
    assert any(ln.startswith("consumers 1: ") and "Consumers" in ln for ln in lines)
    data = json.loads(js.read_text())
    assert (data["vary"], data["values"], data["seconds"]) == ("consumers", [1, 2], 0.5)
    assert data["backend"] == "threads" and data["config"]["producers"] == 2
    assert [p["value"] for p in data["points"]] == [1, 2]
    for p, consumers in zip(data["points"], (1, 2), strict=True):
        assert p["ok"] is True and p["measured"]["consumers"] == consumers
        assert p["measured"]["consumed"] > 0 and p["measured"]["lost"] == 0
        for key in SHARED:
            assert key in p["measured"] and key in p["predicted"], key
        assert p["predicted"]["bounds"]["consumer_capacity_per_s"] == pytest.approx(
            consumers / 0.02
        )
        assert (
            p["predicted"]["for"]
            == f"a {p['measured']['duration_s']:.1f} s run from an empty buffer"
        )
    img = QImage(str(png))
    assert not img.isNull() and (img.width(), img.height()) == (1200, 780)


def test_the_chart_can_be_svg(tmp_path, qapp):
    from PySide6.QtSvg import QSvgRenderer

    svg = tmp_path / "s.svg"
    out = pcsim(
        "sweep", "--vary", "producer-sleep-max", "0.02", "0.04", *FAST,
        "--seconds", "0.5", "--out", str(svg),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid()
    box = renderer.viewBox()
    assert (box.width(), box.height()) == (1200, 780)
    assert 'width="317.5mm"' in svg.read_text()  # 1200 CSS pixels at 96 per inch
    assert "Throughput and waiting for producer sleep MAX (s) = 0.02, 0.04" in svg.read_text()


def test_a_chart_that_cannot_be_written_is_exit_4_after_the_table(tmp_path, qapp):
    lines: list[str] = []
    code = run_sweep(
        SimulationConfig(producer_sleep=(0.01, 0.03), consumer_sleep=(0.01, 0.03)),
        "capacity",
        ["2"],
        0.5,
        Outputs(
            StopSignals(),  # not entered: no handlers in the test process
            json_path=str(tmp_path / "s.json"),
            out_path=str(tmp_path / "gone" / "c.png"),
            write=lines.append,
        ),
    )
    assert code == 4
    assert json.loads((tmp_path / "s.json").read_text())["points"][0]["ok"] is True
    assert lines[1].split()[-1] == "balanced"  # the header, then the point's row


def test_sigterm_ends_the_sweep_with_the_points_done(tmp_path):
    js = tmp_path / "s.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "sweep", "--vary", "consumers", "1", "2", "3",
         *FAST, "--seconds", "1", "--json", str(js), "--progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if json.loads(line)["event"] == "point":
                break
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert "stopped after" in err
    data = json.loads(js.read_text())
    assert data["signal"] == "SIGTERM"
    assert 1 <= len(data["points"]) < 3
    assert json.loads(rest.splitlines()[-1]) == {"event": "done", "points": len(data["points"])}


def test_a_sweep_started_as_a_child_dies_with_its_parent_even_by_sigkill(tmp_path):
    parent_code = f"""
import os, subprocess, sys, time
env = dict(os.environ, {CHILD_ENV}=str(os.getpid()))
child = subprocess.Popen([sys.executable, "-m", "simulator", "sweep", "--vary", "consumers",
    "1", "2", "--seconds", "60", "--producer-sleep", "0.01", "0.03", "--progress"], env=env,
    stdout=subprocess.DEVNULL)
print(child.pid, flush=True)
time.sleep(120)
"""
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(child.threads()) < 3:
            time.sleep(0.05)  # until its run's workers are going
        assert len(child.threads()) >= 3
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30  # generous: it notices by polling, on a busy machine
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    alive = _alive(child)
    if alive:
        child.kill()
    assert not alive, "the sweep outlived its parent"


def _alive(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_reader_that_goes_away_ends_the_sweep_quietly_with_141():
    cmd = (
        f"{sys.executable} -m simulator sweep --vary consumers 1 2 3 4 {' '.join(FAST)} "
        "--seconds 0.5 | head -3; exit ${PIPESTATUS[0]}"
    )
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert out.returncode == 141, out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stdout.splitlines()) == 3
