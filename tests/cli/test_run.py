"""``pcsim run`` as a user runs it: in a subprocess, reading its output and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest


def pcsim(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("backend", ["threads", "processes", "asyncio"])
def test_items_run_reports_every_item_consumed(backend):
    out = pcsim(
        "run",
        "--backend",
        backend,
        "--producers",
        "3",
        "--consumers",
        "2",
        "--capacity",
        "5",
        "--producer-sleep",
        "0",
        "0.01",
        "--consumer-sleep",
        "0",
        "0.02",
        "--items",
        "500",
        "--seed",
        "11",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    # the settings echo the flags
    assert (r["backend"], r["producers"], r["consumers"], r["capacity"]) == (backend, 3, 2, 5)
    assert (r["producer_sleep"], r["consumer_sleep"]) == ([0, 0.01], [0, 0.02])
    assert (r["items"], r["seed"]) == (500, 11)
    # the books balance, and with an item limit every item is consumed
    assert r["ok"] is True and r["violations"] == []
    assert r["produced"] == r["consumed"] + r["in_buffer"] + r["in_hand"]
    assert r["produced"] == r["consumed"] == 500 and r["in_buffer"] == r["in_hand"] == 0
    assert r["lost"] == 0 and r["duplicates"] == 0
    # the derived numbers agree with each other
    assert r["duration_s"] > 0
    assert r["throughput_per_s"] == pytest.approx(r["consumed"] / r["duration_s"], rel=0.01)
    assert 1 <= r["max_occupancy"] <= 5 and 0 <= r["mean_occupancy"] <= r["max_occupancy"]
    lat = r["latency_ms"]
    assert set(lat) == {"p50", "p95", "p99"} and 0 <= lat["p50"] <= lat["p95"] <= lat["p99"]
    for key in ("producer_blocked_fraction", "consumer_blocked_fraction"):
        assert 0 <= r[key] <= 1
    assert r["waits_full"] >= 0 and r["waits_empty"] >= 0 and r["stop_latency_ms"] >= 0


@pytest.mark.parametrize("backend", ["threads", "processes", "asyncio"])
def test_long_sleeps_do_not_delay_the_stop(backend):
    t0 = time.monotonic()
    out = pcsim(
        "run",
        "--backend",
        backend,
        "--producer-sleep",
        "9",
        "10",
        "--consumer-sleep",
        "9",
        "10",
        "--duration",
        "1",
        "--json",
    )
    wall = time.monotonic() - t0
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stop_latency_ms"] < 1000
    # the sleeps are 9-10 s: a run that waited for one would take longer than that
    # (not a tighter bound: interpreter start-up on a loaded CI machine takes seconds)
    assert wall < 9


@pytest.mark.parametrize(
    ("args", "flag", "allowed"),
    [
        (["--capacity", "0"], "--capacity", "1–1000"),
        (["--capacity", "1001"], "--capacity", "1–1000"),
        (["--capacity", "many"], "--capacity", "1–1000"),
        (["--producers", "0"], "--producers", "1–64"),
        (["--consumers", "65"], "--consumers", "1–64"),
        (["--producer-sleep", "-1", "1"], "--producer-sleep", "0–10"),
        (["--consumer-sleep", "0", "10.5"], "--consumer-sleep", "0–10"),
        (["--producer-sleep", "2", "1"], "--producer-sleep", "MIN <= MAX"),
        (["--backend", "fibers"], "--backend", "threads"),
        (["--duration", "0"], "--duration", "0.001–604800"),
        (["--items", "0"], "--items", "1–1000000000"),
        (["--seed", "-5"], "--seed", "0–2147483647"),
    ],
)
def test_bad_flags_exit_2_with_one_line_naming_the_flag(args, flag, allowed):
    out = pcsim("run", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert flag in lines[0] and allowed in lines[0]
    assert "Traceback" not in out.stderr


def test_events_stream_in_the_classic_style():
    out = pcsim(
        "run",
        "--items",
        "5",
        "--producers",
        "1",
        "--consumers",
        "1",
        "--events",
        "--producer-sleep",
        "0",
        "0",
        "--consumer-sleep",
        "0",
        "0",
    )
    assert out.returncode == 0, out.stderr
    assert "Produced: P1-1 by P1" in out.stdout
    assert "Consumed: P1-5 by C1" in out.stdout
    assert "invariant" in out.stdout


def test_events_as_json_lines_then_the_report():
    out = pcsim("run", "--items", "5", "--events", "--json", "--producer-sleep", "0", "0")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert {e["kind"] for e in lines[:-1]} >= {"produced", "put", "got", "consumed"}
    assert lines[-1]["consumed"] == 5


@pytest.mark.parametrize("buffer", ["queue", "condition"])
@pytest.mark.parametrize("backend", ["threads", "asyncio"])
def test_events_are_exact_at_zero_sleeps(backend, buffer):
    """Every event is written, however fast the run: the output paces it. The count of
    lines is the report's events_written, and every item produced has its line; the
    inside events (the buffer's lock) are among them. (On asyncio this run once piled
    up millions of unbooked events and looked stuck: the inbox is bounded now.)"""
    out = pcsim(
        "run",
        "--backend",
        backend,
        "--buffer",
        buffer,
        "--events",
        "--json",
        "--duration",
        "2",
        "--producer-sleep",
        "0",
        "0",
        "--consumer-sleep",
        "0",
        "0",
    )
    assert out.returncode == 0, out.stderr
    *events, last = out.stdout.splitlines()
    report = json.loads(last)
    assert report["events_unwritten"] == 0 and out.stderr == ""
    assert report["events_written"] == len(events)
    kinds = [json.loads(e)["kind"] for e in events]
    assert kinds.count("produced") == report["produced"] > 1000
    assert kinds.count("consumed") == report["consumed"]
    if buffer == "condition":
        assert {"lock_held", "lock_free"} <= set(kinds)


def test_without_events_the_report_has_no_event_counts():
    out = pcsim("run", "--items", "3", "--json", "--producer-sleep", "0", "0")
    assert out.returncode == 0, out.stderr
    assert "events_written" not in json.loads(out.stdout)


def test_every_setting_has_its_flag_checked_by_the_config():
    """The flags are generated from the config's table: each one exists and refuses what
    the config refuses, with the config's words."""
    from simulator.cli import build_parser
    from simulator.engine.config import SETTINGS

    parser = build_parser()
    for s in SETTINGS.values():
        good = {"int": ["1"], "float": ["0.5"], "range": ["0", "1"], "text": ["x"]}.get(
            s.kind, s.choices[-1:]
        )
        args = parser.parse_args(["run", s.flag, *good])
        assert getattr(args, s.name) is not None, s.name
        if s.kind not in ("choice", "text"):  # a text is checked with the whole config
            with pytest.raises(SystemExit):
                parser.parse_args(["run", s.flag, *["-1"] * len(good)])


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_the_clock_starts_when_the_workers_are_ready(backend):
    """--duration is run time, not start-up time: spawning interpreters is reported apart."""
    t0 = time.monotonic()
    out = pcsim(
        "run",
        "--backend",
        backend,
        "--producers",
        "4",
        "--consumers",
        "4",
        "--producer-sleep",
        "0",
        "0.01",
        "--consumer-sleep",
        "0",
        "0.01",
        "--duration",
        "0.5",
        "--json",
    )
    wall = time.monotonic() - t0
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["warnings"] == []
    assert isinstance(report["startup_ms"], float) and report["startup_ms"] >= 0
    assert report["duration_s"] >= 0.5
    assert wall >= 0.5 + report["startup_ms"] / 1000  # the 0.5 s began once all were ready


@pytest.mark.parametrize("backend", ["threads", "asyncio"])
def test_a_deadlock_ends_the_run_with_exit_3_and_the_waits(backend):
    # the lost-wakeup run: it deadlocks within a fraction of a second at capacity 1
    out = pcsim(
        "run", "--backend", backend, "--buffer", "condition", "--bug", "lost-wakeup",
        "--producers", "3", "--consumers", "3", "--capacity", "1",
        "--producer-sleep", "0", "0.001", "--consumer-sleep", "0", "0.001",
        "--duration", "30", "--json",
    )  # fmt: skip
    assert out.returncode == 3, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["deadlock"] is True and report["ok"] is True
    assert sorted(w for w, _ in report["waits"]) == ["C1", "C2", "C3", "P1", "P2", "P3"]
    assert report["duration_s"] < 25  # it stopped at the deadlock, not at --duration


def test_a_run_without_a_deadlock_says_so():
    out = pcsim("run", "--buffer", "semaphore", "--items", "50", "--producer-sleep", "0", "0",
                "--consumer-sleep", "0", "0", "--json")  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["deadlock"] is False and report["waits"] == []
    assert report["buffer"] == "semaphore" and report["bug"] == "none"
