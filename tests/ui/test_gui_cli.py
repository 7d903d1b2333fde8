"""``pcsim gui`` as CI and the packaged app use it: offscreen, timed, with a screenshot."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage


@pytest.mark.parametrize("backend", ["threads", "processes", "asyncio"])
def test_gui_exit_after_writes_a_screenshot(backend, tmp_path):
    shot = tmp_path / "x.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "gui",
            "--backend",
            backend,
            "--exit-after",
            "3",
            "--screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    img = QImage(str(shot))
    assert img.width() >= 1200 and img.height() >= 680
    colors = {
        img.pixel(x, y) for x in range(0, img.width(), 13) for y in range(0, img.height(), 13)
    }
    assert len(colors) > 50


def test_gui_flags_are_validated_like_run():
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "gui", "--capacity", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "--capacity" in out.stderr and "1–1000" in out.stderr


def test_no_display_gives_one_clear_message():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    out = subprocess.run(
        [sys.executable, "-m", "simulator"], capture_output=True, text=True, timeout=30, env=env
    )
    assert out.returncode == 4  # outside the books: nothing to show a window on
    assert "no display" in out.stderr and "QT_QPA_PLATFORM=offscreen" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_startup_probe_reports_the_first_paint_and_closes():
    from simulator.ui.app import STARTUP_PROBE_ENV, first_paint_time

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{STARTUP_PROBE_ENV: "1"})
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "gui"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert first_paint_time(out.stdout) is not None
    assert first_paint_time("hello\nfirst-paint 12.5\n") == 12.5
    assert first_paint_time("first-painted 3\n") is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--scenario", "lost-wakeup-deadlock", "--exit-after", "12"], 3),
        (
            [
                "--buffer",
                "condition",
                "--bug",
                "no-lock",
                "--producers",
                "4",
                "--consumers",
                "4",
                "--producer-sleep",
                "0",
                "0",
                "--consumer-sleep",
                "0",
                "0",
                "--exit-after",
                "4",
            ],
            1,
        ),
    ],
    ids=["deadlock-3", "books-1"],
)
def test_a_timed_window_exits_with_the_runs_own_code(args, code):
    """A timed ``pcsim gui`` says how the run went as ``pcsim run`` does: 3 for a
    deadlock, 1 for broken books (exit codes keep one meaning each)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "gui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == code, out.stderr
