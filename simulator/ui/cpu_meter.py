"""A small CPU meter: how busy each core of the machine is, once a second.

With ``work = cpu`` it shows what the Snapshot's numbers say: two CPU-bound threads keep
about one core busy between them (the GIL), two processes keep two. It reads the whole
machine (``psutil.cpu_percent(percpu=True)``), so other programs count too; it says so.
A bar per core, its number in words beside it, in the status bar (always in view);
refreshed by its own one-second timer, only while shown.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

#: how often the meter reads the cores
PERIOD_MS = 1000


def core_loads() -> list[float] | None:
    """Each core's busy share since the last call, in percent; None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return [float(x) for x in psutil.cpu_percent(percpu=True)]


class CpuMeter(QWidget):
    """``CPU  core 1 [=====   ] 52 %  core 2 [==      ] 20 %``: one bar per core."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cpu_meter")
        self.setToolTip(
            "How busy each core is, read once a second for the whole machine (other "
            "programs count too). With work cpu: threads keep about one core busy between "
            "them (the GIL), processes one each."
        )
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 6, 0)
        self.row.setSpacing(4)
        self.row.addStretch(1)  # any room the status bar gives goes before "CPU:", never
        # between it and its figures (it opened a wide gap there)
        self.row.addWidget(QLabel("CPU:"))
        self.bars: list[QProgressBar] = []
        self.words: list[QLabel] = []
        self.missing = QLabel("not measurable (no psutil)")
        self.missing.hide()
        self.row.addWidget(self.missing)
        #: the run's own figure, from the snapshot: its workers' CPU over its time
        self.workers = QLabel()
        self.workers.setObjectName("cpu_workers")
        self.workers.setToolTip(
            "pcsim's workers together: their CPU time over the run's time (100 % = one "
            "core busy); on asyncio, the loop's one thread. Other programs do not count."
        )
        self.row.addWidget(self.workers)
        self.timer = QTimer(self)
        self.timer.setInterval(PERIOD_MS)
        self.timer.timeout.connect(self.refresh)
        core_loads()  # the first reading starts psutil's interval

    def showEvent(self, event: object) -> None:
        self.timer.start()
        super().showEvent(event)  # type: ignore[arg-type]

    def hideEvent(self, event: object) -> None:
        self.timer.stop()
        super().hideEvent(event)  # type: ignore[arg-type]

    def show_workers(self, percent: float | None, backend: str) -> None:
        """The run's workers' CPU use (``Snapshot.cpu_percent``), in words."""
        if percent is None:
            self.workers.setText("")
            return
        who = "loop thread" if backend == "asyncio" else "workers"
        # short: the status bar is shared at 1024 px (the tooltip says the rest)
        self.workers.setText(f"{who} {percent:.0f} % ·")

    @Slot()
    def refresh(self) -> None:
        """Read the cores now and show them."""
        self.show_loads(core_loads())

    def show_loads(self, loads: list[float] | None) -> None:
        """Show ``loads`` (percent per core; None: not measurable)."""
        if loads is None:
            self.missing.show()
            return
        while len(self.bars) < len(loads):
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setTextVisible(False)  # the number is a label beside it, in the ink colour
            bar.setFixedSize(48, 10)
            words = QLabel()
            self.row.addWidget(bar)
            self.row.addWidget(words)
            self.bars.append(bar)
            self.words.append(words)
        for i, (bar, words, load) in enumerate(zip(self.bars, self.words, loads, strict=False)):
            bar.setValue(round(load))
            words.setText(f"core {i + 1} {load:3.0f} %")
            bar.setAccessibleName(f"core {i + 1}: {load:.0f} % busy")
