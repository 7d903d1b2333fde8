"""``pcsim run`` ended from outside: by a signal, or by a reader that closes the pipe.

A signal stops the run the way Ctrl+C does: the report is printed, every worker is joined,
and the exit code is 128 + the signal. A reader that goes away (``| head -5``) ends the
run quietly with 141 (128 + SIGPIPE).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from simulator.headless import StopSignals as _StopSignals

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

ZERO = ["--producer-sleep", "0", "0", "--consumer-sleep", "0", "0"]


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    out, err = tmp_path / "out", tmp_path / "err"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", *args],
        stdout=out.open("wb"),
        stderr=err.open("wb"),
    )
    return proc, out, err


def wait_until_running(proc: subprocess.Popen[bytes], out: Path) -> None:
    """Until the first event is written: the workers exist and the handlers are in."""
    deadline = time.monotonic() + 60
    while out.stat().st_size == 0:
        assert proc.poll() is None, "the run ended before it was signalled"
        assert time.monotonic() < deadline, "the run wrote no event in 60 s"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("backend", "sig"),
    [
        ("threads", signal.SIGTERM),
        ("processes", signal.SIGTERM),
        ("asyncio", signal.SIGHUP),
        ("threads", signal.SIGINT),
    ],
)
def test_a_signal_stops_the_run_prints_the_report_and_exits_128_plus_n(tmp_path, backend, sig):
    proc, out, err = start(
        tmp_path, "--backend", backend, "--duration", "60", "--events", "--json", *ZERO
    )
    wait_until_running(proc, out)
    workers = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == 128 + sig
    lines = out.read_text().splitlines()
    report = json.loads(lines[-1])
    assert report["signal"] == sig.name and report["ok"] and report["lost"] == 0
    assert report["events_written"] == len(lines) - 1
    assert "Traceback" not in err.read_text()
    _, alive = psutil.wait_procs(workers, timeout=30.0)  # the tracker goes after the parent
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_a_second_signal_during_the_stop_is_absorbed(capfd):
    """The handler itself: the first signal is recorded, the second says "stopping…"
    once, the third says nothing, and none raises (so no stop is cut short)."""
    with _StopSignals() as signals:
        handler = signal.getsignal(signal.SIGINT)
        assert handler == signals._handle
        for sig in (signal.SIGINT, signal.SIGINT, signal.SIGTERM):
            signals._handle(sig, None)
    assert signals.signum == signal.SIGINT and signals.exit_code == 130
    assert capfd.readouterr().err == "stopping…\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_double_ctrl_c_prints_no_traceback(tmp_path):
    proc, out, err = start(tmp_path, "--backend", "asyncio", "--duration", "60", "--events", *ZERO)
    wait_until_running(proc, out)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    assert "Traceback" not in err.read_text()
    assert err.read_text().count("stopping…") <= 1
    assert out.read_text().splitlines()[-1].startswith("invariant")


@pytest.mark.parametrize("backend", ["threads", "processes", "asyncio"])
def test_a_closed_pipe_ends_the_run_quietly_with_141(backend):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "run",
            "--backend",
            backend,
            "--events",
            "--duration",
            "60",
            *ZERO,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = [proc.stdout.readline() for _ in range(5)]
    assert all(first), first
    workers = psutil.Process(proc.pid).children(recursive=True)
    proc.stdout.close()  # what `| head -5` does after its fifth line
    assert proc.wait(timeout=60) == 141
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert err == ""  # quietly: no traceback, no message
    # workers are joined before the exit; the resource tracker sees its pipe close only
    # when the parent is gone, then cleans up: everything is gone within seconds
    _, alive = psutil.wait_procs(workers, timeout=30.0)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
