"""The video recorder's bounded queue: an encoder slower than the frames loses frames,
counted, and still writes a valid file of the frames it kept."""

from __future__ import annotations

import threading

import imageio_ffmpeg
import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from simulator.ui.recorder import Recorder


def frames_of(path) -> list[np.ndarray]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]


@pytest.fixture
def gated_encoder(monkeypatch):
    """ffmpeg's writer, held at its first frame until the returned event is set: an
    encoder as slow as we like, without depending on how fast this machine is."""
    gate = threading.Event()
    real = imageio_ffmpeg.write_frames

    def write_frames(*args, **kwargs):
        writer = real(*args, **kwargs)
        writer.send(None)
        try:
            while True:
                frame = yield
                gate.wait(60)
                writer.send(frame)
        finally:
            writer.close()

    monkeypatch.setattr(imageio_ffmpeg, "write_frames", write_frames)
    yield gate
    gate.set()


@pytest.mark.parametrize("ext", ["mp4", "gif"])
def test_a_slow_encoder_drops_and_counts_frames_and_the_file_is_valid(
    qtbot, tmp_path, gated_encoder, ext
):
    widget = QLabel("pcsim")
    widget.resize(64, 48)
    qtbot.addWidget(widget)
    widget.show()
    rec = Recorder(widget, tmp_path / f"slow.{ext}", fps=4)
    queue_size = rec._queue.maxsize
    grabs = queue_size + 12
    for _ in range(grabs):  # grabbed by hand: the timer is not started
        rec.grab()
    # the writer holds at most one frame; the queue holds the rest; the others are lost
    assert rec.frames + rec.dropped == grabs
    assert queue_size <= rec.frames <= queue_size + 1
    assert rec.dropped >= grabs - queue_size - 1
    gated_encoder.set()
    result = rec.stop()
    assert (result.frames, result.dropped) == (rec.frames, rec.dropped)
    frames = frames_of(result.path)
    assert len(frames) == result.frames
    assert frames[0].shape == (48, 64, 3)
