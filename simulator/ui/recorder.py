"""Record the window to an animated GIF or an MP4, without a screen-capture tool.

Frames come from grabbing the widget (``QWidget.grab``) on a timer at the requested
rate, so it works offscreen too. Encoding runs on a writer thread, through imageio-ffmpeg's
bundled ffmpeg (H.264 for MP4; a palette-optimised GIF), fed by a bounded queue: if the
encoder falls behind, frames are dropped and counted rather than piling up in memory.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from simulator.resources import check_writable

FORMATS = (".gif", ".mp4")
# one palette for the clip; only the changed rectangle of each frame is re-encoded
GIF_FILTER = (
    "split[a][b];[a]palettegen=max_colors=128:stats_mode=full[p];"
    "[b][p]paletteuse=dither=none:diff_mode=rectangle"
)


@dataclass(frozen=True)
class Recording:
    path: Path
    frames: int
    dropped: int
    seconds: float
    size: tuple[int, int]


def available() -> str | None:
    """None if recording works here, else why not (the packaged app leaves ffmpeg out)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return (
            "recording needs the imageio-ffmpeg package (it carries ffmpeg): pip install "
            "imageio-ffmpeg — the packaged app leaves it out to stay small"
        )
    try:
        imageio_ffmpeg.get_ffmpeg_exe()  # the package installed without its binary
    except RuntimeError as err:
        return f"recording needs ffmpeg, and none was found: {err}"
    return None


def check_output(path: str) -> Path:
    """``path`` if a recording can be written there (.gif or .mp4, in a folder that takes
    new files); else ValueError saying why, before any frame is grabbed."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise ValueError(f"the output must end in .gif or .mp4 (got {p.name!r})")
    return check_writable(path)


def _to_array(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=h * stride)
    return buf.reshape(h, stride)[:, : w * 3].reshape(h, w, 3).copy()


class Recorder(QObject):
    """Grabs ``widget`` ``fps`` times a second into ``path``, from :meth:`start` to
    :meth:`stop`, every frame scaled to one size: ``size`` if given, else the first
    frame's (ffmpeg reads fixed-size frames; a window resized mid-film would shear
    them). Lives on the GUI thread; only the encoding does not."""

    def __init__(
        self, widget: QWidget, path: str | Path, fps: int = 30, size: QSize | None = None
    ) -> None:
        super().__init__(widget)
        self.widget = widget
        self.path = check_output(str(path))
        self.fps = fps
        self.size = size
        self.frames = 0
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=max(8, fps * 2))
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(round(1000 / fps))
        self._timer.timeout.connect(self.grab)
        self._writer: threading.Thread | None = None
        self._frame_size: tuple[int, int] | None = None
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self.grab()  # the first frame fixes the size
        self._timer.start()

    @Slot()
    def grab(self) -> None:
        img = self.widget.grab().toImage()
        if self.size is None:  # the first frame's size holds for the whole film:
            self.size = img.size()  # ffmpeg reads fixed-size frames (a resized window
            # or presentation mode's full screen would shear every frame after it)
        if img.size() != self.size:
            img = img.scaled(
                self.size,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        frame = _to_array(img)
        h, w = frame.shape[:2]
        frame = frame[: h - h % 2, : w - w % 2]  # H.264 wants even sizes
        if self._writer is None:
            self._frame_size = (frame.shape[1], frame.shape[0])
            self._writer = threading.Thread(
                target=self._write, name="pcsim-video-writer", daemon=True
            )
            self._writer.start()
        try:
            self._queue.put_nowait(frame)
            self.frames += 1
        except queue.Full:
            self.dropped += 1

    def _write(self) -> None:
        import imageio_ffmpeg

        assert self._frame_size is not None
        gif = self.path.suffix.lower() == ".gif"
        params = (
            dict(codec="gif", pix_fmt_out="pal8", output_params=["-vf", GIF_FILTER, "-loop", "0"])
            if gif
            else dict(codec="libx264", quality=7, pix_fmt_out="yuv420p")
        )
        try:
            writer = imageio_ffmpeg.write_frames(
                str(self.path),
                self._frame_size,
                fps=self.fps,
                macro_block_size=1,
                ffmpeg_log_level="error",
                **params,
            )
            writer.send(None)
            while (frame := self._queue.get()) is not None:
                writer.send(frame)
            writer.close()
        except Exception as exc:  # report it in stop()'s result, never crash the window
            self.error = f"{type(exc).__name__}: {exc}"
            while self._queue.get() is not None:  # let grab() keep going until stop()
                pass

    def stop(self) -> Recording:
        """Stop grabbing, finish the file, and say what was written."""
        self._timer.stop()
        seconds = time.monotonic() - self._t0
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
        if self.error:
            raise RuntimeError(f"could not write {self.path}: {self.error}")
        return Recording(self.path, self.frames, self.dropped, seconds, self._frame_size or (0, 0))
