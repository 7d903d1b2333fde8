"""Settings and buttons. Every change becomes a validated SimulationConfig.

Sleep ranges use superqt's ``QLabeledDoubleRangeSlider`` (a min–max slider with editable
numbers). Changes are debounced (superqt's ``qdebounced``, 150 ms) so dragging a handle
sends the engine a handful of updates, not hundreds, and the last value always arrives;
:meth:`ControlPanel.commit` sends a change still waiting at once.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleRangeSlider
from superqt.utils import qdebounced, signals_blocked

from simulator.engine.config import (
    BUFFER_BUGS,
    LIVE_FIELDS,
    SETTINGS,
    SHUTDOWNS,
    ConfigError,
    SimulationConfig,
)
from simulator.ui import theme

#: the Stop button's menu: each ending, and one line on what it does and what it loses
ENDINGS: dict[str, tuple[str, str]] = {
    "drain": (
        "&Drain",
        "Producers stop; consumers finish every item in the buffer. Loses nothing.",
    ),
    "poison-pill": (
        "&Poison pill",
        "Producers stop; one STOP pill per consumer goes through the buffer, each consumer "
        "ends when it takes one. Loses nothing.",
    ),
    "join": (
        "&Join",
        "Producers stop; the buffer's join() waits until every item is task_done, then "
        "consumers stop. Loses nothing (never returns if task_done is missing).",
    ),
    "terminate": (
        "&Terminate",
        "Every worker stopped where it stands (processes: Process.terminate()). Loses "
        "what is in the buffer and in hand: counted as discarded, by id.",
    ),
}

SLIDER_MAX_S = 2.0  # the sliders' scale; widened when a setting lies beyond it
DEBOUNCE_MS = 150

#: the backends that run a hand-written buffer and its bugs (config's cross-field rules)
BUG_BACKENDS = ("threads", "asyncio")
#: why an entry is greyed out: the same rules as SimulationConfig.__post_init__, in words
WHY_QUEUE_ONLY = (
    "The processes backend takes buffer queue only: its workers are separate processes and "
    "share a multiprocessing JoinableQueue; the hand-written buffers live in one process."
)
WHY_BUG_BACKEND = "A bug needs the condition buffer on threads or asyncio, not processes or redis."
WHY_BUG_BUFFER = "A bug acts on the condition buffer: set Bug to none first."
WHY_NO_PROCESSES = "The processes backend takes buffer queue only: set Buffer to queue first."
WHY_NO_DROP_OLDEST = (
    "drop-oldest is not offered on processes: multiprocessing.JoinableQueue has no atomic "
    "remove-oldest-and-put."
)
WHY_POLICY_BUG = "A bug shows what goes wrong while producers wait: it needs Full buffer block."
WHY_NO_PROCESSES_POLICY = "drop-oldest is not offered on processes: set Full buffer first."
WHY_REDIS_QUEUE = (
    "The redis backend takes buffer queue only: the buffer is the broker's lists (items and "
    "free-slot tokens), moved by Lua scripts."
)
WHY_REDIS_BUG = "The redis backend offers no bug: its workers always mark their items done."
WHY_NO_REDIS = "The redis backend takes buffer queue and no bug: set Buffer to queue first."
WHY_REDIS_POLICY = (
    "The redis backend offers Full buffer block only: a producer waits on the broker's "
    "free-slot tokens."
)
WHY_NO_REDIS_POLICY = "The redis backend offers Full buffer block only: set Full buffer first."
#: what a put does under each other full policy: why the Put timeout spin is greyed
WHY_NO_TIMEOUT = {
    "block": "waits as long as it takes",
    "drop-newest": "drops its item at once",
    "drop-oldest": "overwrites the oldest item at once",
}
WHY_REDIS_MISSING = (
    "The redis backend needs redis-server (apt install redis-server), or start pcsim with "
    "--backend redis --broker redis://HOST:PORT to use a running one."
)


def refused(
    field: str, choice: str, backend: str, buffer: str, bug: str, policy: str = "block"
) -> str:
    """Why ``choice`` for ``field`` does not combine with the other settings shown ("" if
    it does). A bug chosen with another buffer is allowed here: choosing it switches the
    buffer to condition and the full policy to block (:meth:`ControlPanel._bug_chosen`)."""
    if field == "full_policy":
        if choice == "drop-oldest" and backend == "processes":
            return WHY_NO_DROP_OLDEST
        if choice != "block" and backend == "redis":
            return WHY_REDIS_POLICY
        if choice != "block" and bug in BUFFER_BUGS:
            return WHY_POLICY_BUG
        return ""
    if field == "backend" and choice == "processes" and policy == "drop-oldest":
        return WHY_NO_PROCESSES_POLICY
    if field == "backend" and choice == "redis" and policy != "block":
        return WHY_NO_REDIS_POLICY
    if field == "buffer":
        if backend == "processes" and choice != "queue":
            return WHY_QUEUE_ONLY
        if backend == "redis" and choice != "queue":
            return WHY_REDIS_QUEUE
        if bug in BUFFER_BUGS and choice != "condition":
            return WHY_BUG_BUFFER
    elif field == "bug":
        if choice in BUFFER_BUGS and backend not in BUG_BACKENDS:
            return WHY_BUG_BACKEND
        if choice != "none" and backend == "redis":
            return WHY_REDIS_BUG
    elif (
        field == "backend" and choice == "processes" and (buffer != "queue" or bug in BUFFER_BUGS)
    ):
        return WHY_NO_PROCESSES
    elif field == "backend" and choice == "redis" and (buffer != "queue" or bug != "none"):
        return WHY_NO_REDIS
    return ""


def redis_missing(cfg: SimulationConfig) -> bool:
    """True if the redis backend cannot run: no ``redis-server`` and no ``--broker``."""
    import shutil

    return cfg.broker is None and shutil.which("redis-server") is None


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
    #: a sentence for the status bar (a choice that changed another setting too)
    message = Signal(str)

    def __init__(
        self, config: SimulationConfig, actions: dict[str, QAction], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._config = config  #: the settings last loaded or sent

        buttons = QGridLayout()
        self.buttons: dict[str, QAbstractButton] = {}
        for i, key in enumerate(("start", "step", "stop", "reset")):
            b: QAbstractButton
            if key == "stop" and all(f"end_{e}" in actions for e in SHUTDOWNS):
                b = _stop_button(actions)
            else:
                push = _TextButton()
                push.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                _bind(push, actions[key])
                b = push
            b.setMinimumHeight(32)
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
        self.backend.addItems(list(SETTINGS["backend"].choices))
        self.backend.setToolTip(
            "threads: threading.Thread + queue.Queue; processes: multiprocessing + "
            "JoinableQueue; asyncio: tasks + asyncio.Queue; redis: a Redis broker's lists, "
            "workers may join from other terminals (pcsim worker). Applies at the next start."
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
        self.buffer = QComboBox()
        self.buffer.setObjectName("buffer_combo")
        self.buffer.addItems(list(SETTINGS["buffer"].choices))
        self.buffer.setToolTip(
            "queue: the library's queue; condition: hand-written, one lock and two conditions "
            "(not_full, not_empty); semaphore: the textbook empty/full semaphores and a "
            "mutex. Applies at the next start."
        )
        self.bug = QComboBox()
        self.bug.setObjectName("bug_combo")
        self.bug.addItems(list(SETTINGS["bug"].choices))
        self.bug.setToolTip(
            "Break the condition buffer on purpose (Break it menu): no-lock, if-not-while, "
            "lost-wakeup. Choosing one switches Buffer to condition. Applies at the next start."
        )
        self.work = QComboBox()
        self.work.setObjectName("work_combo")
        self.work.addItems(list(SETTINGS["work"].choices))
        self.work.setToolTip(
            "What each drawn working time is: sleep (waiting, like I/O) or cpu (that long of "
            "pure-Python computation on an idle core: threads then take turns holding the "
            "GIL, processes use the cores, asyncio blocks its loop). Live."
        )
        form.addRow("Backend", self.backend)
        form.addRow("Work", self.work)
        form.addRow("Buffer", self.buffer)
        form.addRow("Bug", self.bug)
        self.full_policy = QComboBox()
        self.full_policy.setObjectName("full_policy_combo")
        self.full_policy.addItems(list(SETTINGS["full_policy"].choices))
        self.full_policy.setToolTip(
            "What a producer does when the buffer is full: block (wait: back-pressure), "
            "timeout (wait up to Put timeout, then drop its item), drop-newest (drop it at "
            "once: load shedding), drop-oldest (overwrite the oldest item: a ring buffer). "
            "Applies at once, from the next put."
        )
        timeout = SETTINGS["put_timeout"]
        self.put_timeout = QDoubleSpinBox()
        self.put_timeout.setObjectName("put_timeout_spin")
        self.put_timeout.setRange(timeout.lo, timeout.hi)
        self.put_timeout.setDecimals(3)
        self.put_timeout.setSingleStep(0.01)
        self.put_timeout.setSuffix(" s")
        self.put_timeout_tip = (
            f"With Full buffer timeout: how long a put waits before it drops its item "
            f"({timeout.span}). Applies at once."
        )
        self.put_timeout.setToolTip(self.put_timeout_tip)
        form.addRow("Full buffer", self.full_policy)
        form.addRow("Put timeout", self.put_timeout)
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
        for w in (
            self.producers,
            self.consumers,
            self.capacity,
            self.seed,
            self.time_scale,
            self.put_timeout,
        ):
            w.valueChanged.connect(self._changed)
        self.backend.currentTextChanged.connect(self._changed)
        self.buffer.currentTextChanged.connect(self._changed)
        self.full_policy.currentTextChanged.connect(self._changed)
        self.work.currentTextChanged.connect(self._changed)
        self.bug.currentTextChanged.connect(self._bug_chosen)
        for combo in (self.backend, self.buffer, self.bug, self.full_policy):
            combo.currentTextChanged.connect(self._grey)
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
            self.buffer,
            self.bug,
            self.full_policy,
            self.put_timeout,
            self.work,
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
            self.buffer.setCurrentText(cfg.buffer)
            self.bug.setCurrentText(cfg.bug)
            self.full_policy.setCurrentText(cfg.full_policy)
            self.put_timeout.setValue(cfg.put_timeout)
            self.work.setCurrentText(cfg.work)
            self.seed.setValue(-1 if cfg.seed is None else cfg.seed)
            self.time_scale.setValue(cfg.time_scale)
            self._config = cfg
        self._grey()

    @Slot()
    def _changed(self, *_args: object) -> None:
        self._send_soon()

    @Slot(str)
    def _bug_chosen(self, bug: str) -> None:
        """A bug acts on the condition buffer: choosing one switches the buffer to
        condition (and says so) rather than leaving a combination the config refuses."""
        if bug in BUFFER_BUGS and self.buffer.currentText() != "condition":
            was = self.buffer.currentText()
            with signals_blocked(self.buffer):
                self.buffer.setCurrentText("condition")
            self._grey()
            self.message.emit(
                f"Bug {bug} acts on the condition buffer: Buffer switched from {was} to "
                "condition (at the next start)."
            )
        if bug in BUFFER_BUGS and self.full_policy.currentText() != "block":
            was = self.full_policy.currentText()
            with signals_blocked(self.full_policy):
                self.full_policy.setCurrentText("block")
            self._grey()
            self.message.emit(f"Bug {bug} needs producers that wait: Full buffer {was} -> block.")
        self._changed()

    @Slot()
    def _grey(self, *_args: object) -> None:
        """Grey out every combo entry the other settings shown refuse, its tooltip saying
        why (the config's cross-field rules), so no choice can end in an error."""
        backend, buffer, bug, policy = (
            self.backend.currentText(),
            self.buffer.currentText(),
            self.bug.currentText(),
            self.full_policy.currentText(),
        )
        combos = (
            ("backend", self.backend),
            ("buffer", self.buffer),
            ("bug", self.bug),
            ("full_policy", self.full_policy),
        )
        for field, combo in combos:
            model = combo.model()
            assert isinstance(model, QStandardItemModel)
            for i in range(combo.count()):
                why = refused(field, combo.itemText(i), backend, buffer, bug, policy)
                if not why and field == "backend" and combo.itemText(i) == "redis":
                    why = WHY_REDIS_MISSING if redis_missing(self._config) else ""
                item = model.item(i)
                item.setEnabled(not why)
                item.setToolTip(why)
        # the spin means something under one policy only: editable elsewhere, it would
        # look as if it shaped a blocking or dropping put
        timed = policy == "timeout"
        self.put_timeout.setEnabled(timed)
        self.put_timeout.setToolTip(
            self.put_timeout_tip
            if timed
            else f"Used only with Full buffer timeout (now {policy}: a put "
            + WHY_NO_TIMEOUT.get(policy, "does not wait with a limit")
            + "). Choose timeout to set it."
        )

    def greyed(self, field: str) -> dict[str, str]:
        """{choice: why} for the entries of the ``field`` combo greyed out now."""
        combo = {
            "backend": self.backend,
            "buffer": self.buffer,
            "bug": self.bug,
            "full_policy": self.full_policy,
        }[field]
        model = combo.model()
        assert isinstance(model, QStandardItemModel)
        return {
            combo.itemText(i): model.item(i).toolTip()
            for i in range(combo.count())
            if not model.item(i).isEnabled()
        }

    def current(self) -> SimulationConfig:
        return self._config.replace(
            producer_sleep=tuple(round(v, 3) for v in self.producer_sleep.value()),
            consumer_sleep=tuple(round(v, 3) for v in self.consumer_sleep.value()),
            producers=self.producers.value(),
            consumers=self.consumers.value(),
            capacity=self.capacity.value(),
            backend=self.backend.currentText(),
            buffer=self.buffer.currentText(),
            bug=self.bug.currentText(),
            full_policy=self.full_policy.currentText(),
            put_timeout=round(self.put_timeout.value(), 3),
            work=self.work.currentText(),
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


def _stop_button(actions: dict[str, QAction]) -> QToolButton:
    """Stop: a click ends the run by the configured ending (the ``stop`` action); its
    arrow offers the four endings, each saying what it does and what it loses."""
    b = QToolButton()
    b.setDefaultAction(actions["stop"])
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    b.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    menu = QMenu(b)
    menu.setToolTipsVisible(True)
    for e in SHUTDOWNS:
        menu.addAction(actions[f"end_{e}"])
    b.setMenu(menu)
    return b


class _TextButton(QPushButton):
    """A push button as narrow as its text allows: the style's 80 px floor for a text
    button would make the row of four wider than the side panel of a 1024 px window."""

    def _narrow(self, hint: QSize) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self.text()) + 24
        return QSize(min(hint.width(), width), hint.height())

    def sizeHint(self) -> QSize:
        return self._narrow(super().sizeHint())

    def minimumSizeHint(self) -> QSize:
        return self._narrow(super().minimumSizeHint())


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
