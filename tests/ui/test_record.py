"""pcsim record writes real animated files whose frames differ; the window's Record toggle."""

from __future__ import annotations

import os
import subprocess
import sys

import imageio_ffmpeg
import numpy as np
import pytest


def frames_of(path) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]


@pytest.mark.parametrize("ext", ["gif", "mp4"])
def test_record_writes_an_animation_whose_frames_differ(tmp_path, ext):
    out = tmp_path / f"d.{ext}"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "record",
            "--scenario",
            "fast-producers",
            "--seconds",
            "2",
            "--fps",
            "10",
            "--size",
            "640x360",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert f"wrote {out}" in run.stdout
    frames = frames_of(out)
    assert len(frames) >= 10
    assert frames[0].shape == (360, 640, 3)
    assert not np.array_equal(frames[0], frames[-1])  # it moves


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "demo.avi"], ".gif or .mp4"),
        (["--out", "/no/such/dir/d.gif"], "does not exist"),
        (["--out", "d.gif", "--size", "10x10"], "--size"),
        (["--out", "d.gif", "--fps", "500"], "--fps"),
    ],
)
def test_record_refuses_bad_flags(args, message):
    run = subprocess.run(
        [sys.executable, "-m", "simulator", "record", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_window_record_toggle_writes_a_file(qtbot, tmp_path):
    from simulator.ui.window import MainWindow

    w = MainWindow(restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    w.bridge.start()
    out = tmp_path / "w.mp4"
    w.toggle_recording(str(out))
    assert w.recorder is not None and w.rec_label.isVisible()
    # five frames grabbed, however slowly a busy machine draws them (not a fixed 700 ms)
    qtbot.waitUntil(lambda: w.recorder.frames >= 5, timeout=30_000)
    w.toggle_recording()
    assert w.recorder is None and not w.rec_label.isVisible()
    assert len(frames_of(out)) >= 5
    w.close()


def test_a_window_resized_while_recording_keeps_every_frame(qtbot, tmp_path):
    """ffmpeg reads frames of one size: a window resized mid-film (or presentation
    mode's full screen) sent larger frames, and the file held fewer, sheared ones."""
    from PySide6.QtWidgets import QLabel

    from simulator.ui.recorder import Recorder

    widget = QLabel("pcsim")
    qtbot.addWidget(widget)
    widget.resize(200, 120)
    widget.show()
    rec = Recorder(widget, tmp_path / "r.mp4", fps=10)
    rec._timer.setInterval(10_000)  # the test grabs by hand
    rec.start()
    rec.grab()
    widget.resize(320, 200)
    qtbot.waitUntil(lambda: widget.width() == 320)
    rec.grab()
    rec.grab()
    done = rec.stop()
    frames = frames_of(done.path)
    assert done.frames == len(frames) == 4
    assert {f.shape for f in frames} == {(120, 200, 3)}
