"""A small CPU meter: how busy each core of the machine is, once a second.

With ``work = cpu`` it shows what the Snapshot's numbers say: two CPU-bound threads keep
about one core busy between them (the GIL), two processes keep two. It reads the whole
machine (``psutil.cpu_percent(percpu=True)``), so other programs count too; it says so.
A bar per core, its number in words beside it; refreshed by its own one-second timer,
only while shown.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QWidget

#: how often the meter reads the cores
PERIOD_MS = 1000


def core_loads() -> list[float] | None:
    """Each core's busy share since the last call, in percent; None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return [float(x) for x in psutil.cpu_percent(percpu=True)]


class CpuMeter(QGroupBox):
    """One row per core: ``core 1 [=====    ] 52 %``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("CPU per core (whole machine)", parent)
        self.setObjectName("cpu_meter")
        self.setToolTip(
            "How busy each core is, read once a second for the whole machine (other "
            "programs count too). With work cpu: threads keep about one core busy between "
            "them (the GIL), processes one each."
        )
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(10, 6, 10, 8)
        self.grid.setVerticalSpacing(2)
        self.bars: list[QProgressBar] = []
        self.words: list[QLabel] = []
        self.missing = QLabel("psutil is not installed: no meter")
        self.missing.hide()
        self.grid.addWidget(self.missing, 0, 0, 1, 3)
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
            i = len(self.bars)
            name = QLabel(f"core {i + 1}")
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setTextVisible(False)  # the number is a label beside it, in the ink colour
            bar.setMaximumHeight(12)
            words = QLabel()
            words.setMinimumWidth(44)
            self.grid.addWidget(name, i + 1, 0)
            self.grid.addWidget(bar, i + 1, 1)
            self.grid.addWidget(words, i + 1, 2)
            self.bars.append(bar)
            self.words.append(words)
        for bar, words, load in zip(self.bars, self.words, loads, strict=False):
            bar.setValue(round(load))
            words.setText(f"{load:.0f} %")
            bar.setAccessibleName(f"{words.text()} busy")
