"""Simulation ▸ Invite workers…: the exact ``pcsim worker`` commands that join the run.

A redis run started with ``--listen ADDRESS`` opens its private server to the network,
behind a random password. Whoever started the run needs to hand the join command to the
others (a class whose laptops become the consumers), and the window is usually on a
projector while they do: so the password is hidden until asked for ("Show password"), and
Copy puts the whole command on the clipboard without it ever being shown. The command
comes from the engine once, with its answer to start
(:attr:`~simulator.ui.bridge.EngineBridge.join_command`), never in a frame: no snapshot,
``--dump-view``, report or recording carries it (issue #16, DESIGN "Redis").

:func:`why_not` is the disabled action's tooltip, Qt-free so it can be tested on its own.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simulator.engine.broker_url import redact
from simulator.engine.config import SimulationConfig

#: the two roles a joining machine can take, in the dialog's order (consumers first: a
#: room of laptops joins most naturally as the consumers of the projected run)
ROLES = ("consumer", "producer")
#: what each role's workers do, under its command
ROLE_WORDS = {
    "consumer": "Consumers: take items from this run's buffer",
    "producer": "Producers: put items into this run's buffer",
}
#: the one sentence on what joining does
WHAT_JOINING_DOES = (
    "Run one of these in a terminal on any machine with pcsim that can reach this one: its "
    "workers join this run's buffer, appear on the canvas with their host on the card, "
    "follow the run's sleeps and pause, and stop when it stops (add --count N for N "
    "workers)."
)
#: the widest a command's line gets before it wraps (the dialog fits a 1024 px projector)
MAX_LINE_PX = 880
#: how long a Copy button says "Copied ✓"
COPIED_MS = 2000

_ROLE = re.compile(r"--role \S+")


def command_for(join_command: str, role: str) -> str:
    """``join_command`` (the engine's, which joins as a consumer) for ``role``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if _ROLE.search(join_command):
        return _ROLE.sub(f"--role {role}", join_command, count=1)
    return f"{join_command} --role {role}"


def why_not(config: SimulationConfig, running: bool, join_command: str) -> str:
    """Why Invite workers is greyed out now ("" when it is not): the action's tooltip.

    ``config`` is the settings on show, ``running`` whether a run is on (running or
    paused), ``join_command`` what the engine sent for it ("" for none)."""
    if running and join_command:
        return ""
    if config.backend != "redis":
        return (
            "Invite workers needs the redis backend with --listen: "
            "pcsim gui --backend redis --listen 0.0.0.0"
        )
    if config.listen is None and config.broker is None:
        return (
            "This run's private server listens on 127.0.0.1 only: start pcsim gui with "
            "--listen ADDRESS to let other machines join"
        )
    return "Start the run first: the command names the run, whose server exists only while it runs"


def _mono(px: int) -> QFont:
    font = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPixelSize(px)
    return font


class InviteDialog(QDialog):
    """The join commands of the running run, for consumers and for producers.

    :attr:`commands` holds them in full (role -> command); :attr:`lines` shows them, the
    password as ``***`` unless :attr:`show_password` is ticked; :meth:`copy` puts a full
    command on the clipboard. :meth:`set_command` takes a new run's command."""

    def __init__(self, join_command: str, text_px: int = 13, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Invite workers to this run")
        self.commands: dict[str, str] = {}
        self.lines: dict[str, QLabel] = {}
        self.copy_buttons: dict[str, QPushButton] = {}

        about = QLabel(WHAT_JOINING_DOES)
        about.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        for i, role in enumerate(ROLES):
            title = QLabel(ROLE_WORDS[role])
            title.setStyleSheet("font-weight: bold")  # the dialog's size (set_text_px)
            line = QLabel()
            line.setTextFormat(Qt.TextFormat.PlainText)
            line.setWordWrap(True)
            line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            line.setFrameShape(QFrame.Shape.StyledPanel)
            line.setBackgroundRole(QPalette.ColorRole.Base)
            line.setAutoFillBackground(True)
            line.setMargin(6)
            button = QPushButton("Copy")
            button.setToolTip(
                f"Copy the {role}s' command to the clipboard, password included (it is not shown)"
            )
            button.clicked.connect(lambda _=False, r=role: self.copy(r))
            grid.addWidget(title, 2 * i, 0, 1, 2)
            grid.addWidget(line, 2 * i + 1, 0)
            grid.addWidget(button, 2 * i + 1, 1, Qt.AlignmentFlag.AlignTop)
            self.lines[role] = line
            self.copy_buttons[role] = button
        self.show_password = QCheckBox("Show password")
        self.show_password.setToolTip(
            "Hidden by default: this window may be on a projector or in a screenshot. "
            "Copy always copies the full command."
        )
        self.show_password.toggled.connect(self._refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom = QGridLayout()
        bottom.addWidget(self.show_password, 0, 0)
        bottom.addWidget(buttons, 0, 1, Qt.AlignmentFlag.AlignRight)
        lay = QVBoxLayout(self)
        lay.addWidget(about)
        lay.addSpacing(6)
        lay.addLayout(grid)
        lay.addSpacing(6)
        lay.addLayout(bottom)
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(COPIED_MS)
        self._copied.timeout.connect(self._uncopied)
        self.set_command(join_command, text_px)

    def set_text_px(self, px: int) -> None:
        """The dialog's text at the window's size (never under 12 px), the commands
        monospaced at the same size."""
        px = max(12, px)
        font = QFont(self.font())
        font.setPixelSize(px)
        self.setFont(font)
        for line in self.lines.values():
            line.setFont(_mono(px))

    def set_command(self, join_command: str, text_px: int | None = None) -> None:
        """Show the commands of a (new) run: ``join_command`` is the engine's; the
        password is hidden again (a new run has a new one, and the dialog opens hiding
        it). ``text_px``: the window's text size now (presentation mode is larger)."""
        if text_px is not None:
            self.set_text_px(text_px)
        self.commands = {role: command_for(join_command, role) for role in ROLES}
        self.show_password.setChecked(False)
        # wide enough for the full command on one line (so Show does not re-wrap it), up to
        # a projector's 1024 px; beyond that it wraps at its spaces
        line = self.lines[ROLES[0]]
        need = max(line.fontMetrics().horizontalAdvance(c) for c in self.commands.values())
        room = need + 2 * line.margin() + 2 * line.frameWidth() + 4
        for line in self.lines.values():
            line.setMinimumWidth(min(MAX_LINE_PX, room))
        self._refresh()
        self.adjustSize()

    def shown(self, role: str) -> str:
        """The command for ``role`` as the dialog shows it now."""
        return self.lines[role].text()

    def copy(self, role: str) -> None:
        """Put the full command for ``role`` (password included) on the clipboard."""
        QGuiApplication.clipboard().setText(self.commands[role])
        self._uncopied()
        self.copy_buttons[role].setText("Copied ✓")
        self._copied.start()

    def _refresh(self, *_args: object) -> None:
        reveal = self.show_password.isChecked()
        for role, line in self.lines.items():
            command = self.commands[role]
            line.setText(command if reveal else redact(command))

    def _uncopied(self) -> None:
        for button in self.copy_buttons.values():
            button.setText("Copy")
