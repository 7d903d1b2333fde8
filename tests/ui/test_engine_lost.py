"""The window outlives its engine process, and quits cleanly on Ctrl+C and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from simulator.engine.simulation import RUNNING
from tests.ui.runs import FAST


def _kill_engine(window) -> int:
    pid = window.bridge.sim.pid
    os.kill(pid, signal.SIGKILL)
    return pid


def test_killed_engine_shows_banner_unknown_books_and_start_brings_a_fresh_one(
    window, qtbot, capfd
):
    window.actions_by_name["start"].trigger()
    qtbot.waitUntil(
        lambda: window.stats.values["invariant"].text().startswith("✓"), timeout=30_000
    )
    dead = _kill_engine(window)
    qtbot.waitUntil(window.banner.isVisible, timeout=30_000)
    assert "ended unexpectedly" in window.banner.text()
    assert "Start" in window.banner.text()
    assert "ended unexpectedly" in window.state_label.text()
    assert all(v.text().startswith("unknown") for v in window.stats.values.values())
    assert "✓" not in window.stats.values["invariant"].text()
    assert window.bridge.engines_lost == 1
    qtbot.wait(300)  # more frames' worth of ticks: nothing is printed, nothing raised
    window.show_figures_now()  # a full frame, a theme change: the numbers stay unknown
    window.set_theme("dark")
    window.set_theme("light")
    assert all(v.text().startswith("unknown") for v in window.stats.values.values())
    window.actions_by_name["stop"].trigger()
    window.actions_by_name["reset"].trigger()
    assert window.bridge.engines_lost == 1  # said once
    window.actions_by_name["start"].trigger()
    assert window.bridge.state == RUNNING
    assert window.bridge.sim._proc.pid != dead and window.bridge.sim._proc.is_alive()
    assert not window.banner.isVisible()
    qtbot.waitUntil(
        lambda: window.stats.values["invariant"].text().startswith("✓"), timeout=30_000
    )
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err


def test_engine_killed_while_idle_then_one_start_runs_a_fresh_engine(window, qtbot, capfd):
    dead = _kill_engine(window)
    window.actions_by_name["start"].trigger()  # notices the death, starts a fresh engine
    assert window.bridge.state == RUNNING and window.bridge.sim._proc.pid != dead
    assert window.bridge.engines_lost == 1
    assert not window.banner.isVisible()
    window.bridge.apply(window.bridge.config.replace(consumers=3))
    qtbot.waitUntil(lambda: window.bridge.sim.snapshot().config.consumers == 3, timeout=30_000)
    assert "Traceback" not in capfd.readouterr().err


def test_settings_changed_after_the_engine_died_reach_the_next_engine(window, qtbot, capfd):
    window.actions_by_name["start"].trigger()
    _kill_engine(window)
    qtbot.waitUntil(window.banner.isVisible, timeout=30_000)
    window.bridge.apply(FAST.replace(consumers=3))  # kept for the next engine
    window.actions_by_name["start"].trigger()
    assert window.bridge.state == RUNNING
    assert window.bridge.sim.snapshot().config.consumers == 3
    assert "Traceback" not in capfd.readouterr().err


def _engine_of(proc: subprocess.Popen, timeout: float = 20.0) -> psutil.Process:
    """The window's engine: its child running multiprocessing's spawn entry point."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(proc.pid).children():
            try:
                cmd = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "spawn_main" in cmd:  # not the resource tracker
                return child
        time.sleep(0.1)
    raise AssertionError("no engine process appeared")


def _gui(*args: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", "gui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_gui_exit_after_with_a_killed_engine_exits_4_with_one_line():
    proc = _gui("--exit-after", "3")
    try:
        engine = _engine_of(proc)
        engine.kill()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 4, err
    pcsim_lines = [line for line in err.splitlines() if line.startswith("pcsim:")]
    assert pcsim_lines == ["pcsim: the engine process ended unexpectedly"], err
    assert "Traceback" not in err


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_quits_the_window_cleanly(sig, code):
    proc = _gui("--exit-after", "30")
    try:
        engine = _engine_of(proc)
        time.sleep(1.0)  # running
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=20)  # well under the 30 s
    finally:
        proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    engine.wait(5)  # the engine process ended too
    assert not engine.is_running()
