"""Settings and buttons. Every change becomes a validated SimulationConfig.

Sleep ranges use superqt's ``QLabeledDoubleRangeSlider`` (a min–max slider with editable
numbers). Changes are debounced (superqt's ``qdebounced``, 150 ms) so dragging a handle
sends the engine a handful of updates, not hundreds, and the last value always arrives;
:meth:`ControlPanel.commit` sends a change still waiting at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleRangeSlider
from superqt.utils import qdebounced, signals_blocked

from simulator.engine.config import BACKENDS, LIVE_FIELDS, SETTINGS, ConfigError, SimulationConfig
from simulator.ui import theme

SLIDER_MAX_S = 2.0  # the sliders' scale; widened when a setting lies beyond it
DEBOUNCE_MS = 150


def _range_slider(tip: str) -> QLabeledDoubleRangeSlider:
    # typed as Any: superqt's annotations give this float slider the int slider's setters
    s: Any = QLabeledDoubleRangeSlider(Qt.Orientation.Horizontal)
    s.setRange(0.0, SLIDER_MAX_S)
    s.setDecimals(2)
    s.setSingleStep(0.01)
    s.setToolTip(tip)
    return s


class ControlPanel(QWidget):
    #: a new, valid configuration
    configChanged = Signal(object)

    def __init__(
        self, config: SimulationConfig, actions: dict[str, QAction], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._config = config  #: the settings last loaded or sent

        buttons = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, key in enumerate(("start", "step", "stop", "reset")):
            b = QPushButton()
            b.setMinimumHeight(32)
            _bind(b, actions[key])
            self.buttons[key] = b
            buttons.addWidget(b, 0, i)

        sleeps = QGroupBox("Timing (live)")
        sform = QFormLayout(sleeps)
        sform.setContentsMargins(8, 4, 8, 6)
        self.producer_sleep = _range_slider(
            "How long a producer sleeps before making each item: drawn at random "
            "between the two handles. Applies at once."
        )
        self.consumer_sleep = _range_slider(
            "How long a consumer works on each item: drawn at random between the two "
            "handles. Applies at once."
        )
        self.time_scale = QDoubleSpinBox()
        self.time_scale.setRange(SETTINGS["time_scale"].lo, SETTINGS["time_scale"].hi)
        self.time_scale.setSingleStep(0.1)
        self.time_scale.setDecimals(2)
        self.time_scale.setSuffix(" ×")
        self.time_scale.setToolTip(
            "Slow motion (0.1–1): 0.5 makes every sleep and every animation twice as long, "
            "so fast dynamics can be followed. Applies at once."
        )
        sform.addRow("Producer sleep (s)", self.producer_sleep)
        sform.addRow("Consumer sleep (s)", self.consumer_sleep)
        sform.addRow("Time scale", self.time_scale)

        setup = QGroupBox("Setup")
        form = QFormLayout(setup)
        form.setContentsMargins(8, 4, 8, 6)
        self.producers = self._spin("producers", "Number of producers; changes at once")
        self.consumers = self._spin("consumers", "Number of consumers; changes at once")
        self.capacity = self._spin("capacity", "Buffer slots; applies at the next start")
        self.backend = QComboBox()
        self.backend.addItems(list(BACKENDS))
        self.backend.setToolTip(
            "threads: threading.Thread + queue.Queue; processes: multiprocessing + "
            "JoinableQueue; asyncio: tasks + asyncio.Queue. Applies at the next start."
        )
        self.seed = QSpinBox()
        self.seed.setRange(-1, int(SETTINGS["seed"].hi))
        self.seed.setSpecialValueText("random")
        self.seed.setToolTip(
            "Seed for the sleep draws (random = different each run). Applies at the next start."
        )
        form.addRow("Producers", self.producers)
        form.addRow("Consumers", self.consumers)
        form.addRow("Capacity", self.capacity)
        form.addRow("Backend", self.backend)
        form.addRow("Seed", self.seed)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("pendingNote")
        self.note.hide()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(buttons)
        lay.addWidget(sleeps)
        lay.addWidget(setup)
        lay.addWidget(self.note)

        self._send_soon = qdebounced(self._send, timeout=DEBOUNCE_MS, parent=self)
        for s in (self.producer_sleep, self.consumer_sleep):
            s.valueChanged.connect(self._changed)
        for w in (self.producers, self.consumers, self.capacity, self.seed, self.time_scale):
            w.valueChanged.connect(self._changed)
        self.backend.currentTextChanged.connect(self._changed)
        self.load(config)

    def _inputs(self) -> tuple[QWidget, ...]:
        """Every widget whose change becomes a new configuration."""
        return (
            self.producer_sleep,
            self.consumer_sleep,
            self.time_scale,
            self.producers,
            self.consumers,
            self.capacity,
            self.backend,
            self.seed,
        )

    def _spin(self, field: str, tip: str) -> QSpinBox:
        lo, hi = SETTINGS[field].lo, SETTINGS[field].hi
        s = QSpinBox()
        s.setRange(int(lo), int(hi))
        s.setToolTip(f"{tip} ({int(lo)}–{int(hi)})")
        s.setAccelerated(True)
        return s

    def load(self, cfg: SimulationConfig) -> None:
        """Show ``cfg`` in the widgets without sending it back."""
        with signals_blocked(*self._inputs()):
            sleeps: tuple[tuple[Any, tuple[float, float]], ...] = (  # Any: see _range_slider
                (self.producer_sleep, cfg.producer_sleep),
                (self.consumer_sleep, cfg.consumer_sleep),
            )
            for slider, (lo, hi) in sleeps:
                slider.setRange(0.0, max(SLIDER_MAX_S, hi))  # never clamp a value away
                slider.setValue((lo, hi))
            self.producers.setValue(cfg.producers)
            self.consumers.setValue(cfg.consumers)
            self.capacity.setValue(cfg.capacity)
            self.backend.setCurrentText(cfg.backend)
            self.seed.setValue(-1 if cfg.seed is None else cfg.seed)
            self.time_scale.setValue(cfg.time_scale)
            self._config = cfg

    @Slot()
    def _changed(self, *_args: object) -> None:
        self._send_soon()

    def current(self) -> SimulationConfig:
        return self._config.replace(
            producer_sleep=tuple(round(v, 3) for v in self.producer_sleep.value()),
            consumer_sleep=tuple(round(v, 3) for v in self.consumer_sleep.value()),
            producers=self.producers.value(),
            consumers=self.consumers.value(),
            capacity=self.capacity.value(),
            backend=self.backend.currentText(),
            seed=None if self.seed.value() < 0 else self.seed.value(),
            time_scale=round(self.time_scale.value(), 2),
        )

    @Slot()
    def commit(self) -> None:
        """Send the widgets' settings now, if they differ from the last sent; a change
        still being debounced is sent here, not again later."""
        self._send_soon.cancel()
        self._send()

    def _send(self) -> None:
        """Emit :attr:`configChanged` with the widgets' settings if they are new; a
        setting the config rejects is shown in the note instead."""
        try:
            cfg = self.current()
        except ConfigError as err:  # the widgets' ranges should prevent it; say so if not
            self.show_note(err.describe(err.field.replace("_", " ")), error=True)
            return
        if cfg != self._config:
            self._config = cfg
            self.configChanged.emit(cfg)

    def show_pending(self, names: frozenset[str]) -> None:
        """Say which changed settings wait for the next start (none: hide the note)."""
        pending = sorted(n for n in names if n not in LIVE_FIELDS)
        if pending:
            self.show_note(f"Changed {', '.join(pending)}: takes effect at the next start.")
        else:
            self.note.hide()

    def show_note(self, text: str, error: bool = False) -> None:
        color = theme.hex_color("error" if error else "note")  # both pass WCAG AA
        self.note.setStyleSheet(f"color: {color}; font-style: italic")
        self.note.setText(text)
        self.note.show()


def _bind(button: QPushButton, action: QAction) -> None:
    """A push button that mirrors an action's text, tooltip and enabled state."""

    def sync() -> None:
        button.setText(action.text().replace("&", ""))
        tip = action.toolTip()
        keys = action.shortcut().toString()
        button.setToolTip(f"{tip} ({keys})" if keys else tip)
        button.setEnabled(action.isEnabled())

    action.changed.connect(sync)
    button.clicked.connect(action.trigger)
    sync()
