"""You are the scheduler: the keys that step a chosen worker, and the guide panel of a
guided scenario (``[[guide]]``, see :mod:`simulator.scenarios.scenario`).

**Keys.** While paused, ``1``–``9`` step the first nine producers and ``Shift+1``–``9``
the first nine consumers. ``Shift+1`` is ``!`` on a US keyboard, ``"`` … on others, and
``1`` itself on AZERTY, so :func:`worker_for_key` does not trust the character alone: a
digit key is taken as it is (Shift then means a consumer); otherwise the physical key
is read from the platform (X11 key codes 10–18 are the digit row on every layout,
Windows virtual keys 0x31–0x39 likewise, macOS key codes too), and only then the US
shifted digits (``!@#$%^&*(``) as a last resort (the offscreen platform of the tests
reports no native codes).

**Guide.** A guided scenario starts paused; :class:`GuidePanel` shows one caption at a
time and moves on when the step it asks for is made: it reads the snapshot's
``last_step`` (who moved and the line that says what it did) and compares it with the
guide's ``step`` and ``shows`` (what that step's line contains, held to a real run by
the scenario check). Another step is not an error: the panel says what was asked.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from simulator.scenarios.scenario import GuideStep, Scenario
from simulator.ui import theme

#: the US layout's Shift+digit characters, as Qt keys: the last resort (see the module)
_US_SHIFTED = {
    Qt.Key.Key_Exclam: 1,
    Qt.Key.Key_At: 2,
    Qt.Key.Key_NumberSign: 3,
    Qt.Key.Key_Dollar: 4,
    Qt.Key.Key_Percent: 5,
    Qt.Key.Key_AsciiCircum: 6,
    Qt.Key.Key_Ampersand: 7,
    Qt.Key.Key_Asterisk: 8,
    Qt.Key.Key_ParenLeft: 9,
}
#: macOS's virtual key codes of the digit row 1-9 (kVK_ANSI_1 ...)
_MAC_DIGITS = {0x12: 1, 0x13: 2, 0x14: 3, 0x15: 4, 0x17: 5, 0x16: 6, 0x1A: 7, 0x1C: 8, 0x19: 9}


def _native_digit(event: QKeyEvent) -> int | None:
    """The digit row key 1-9 from the platform's own codes, whatever the layout."""
    if sys.platform.startswith("win"):
        vk = event.nativeVirtualKey()
        return vk - 0x30 if 0x31 <= vk <= 0x39 else None
    if sys.platform == "darwin":
        return _MAC_DIGITS.get(event.nativeVirtualKey())
    code = event.nativeScanCode()  # X11 / Wayland (xkb): evdev code + 8
    return code - 9 if 10 <= code <= 18 else None


def key_digit(event: QKeyEvent) -> tuple[int, bool] | None:
    """``(n, shift)`` for a press of the digit key ``n`` (1-9), with Shift or not, or None
    for any other key or with Ctrl / Alt / Meta held (those are other shortcuts)."""
    mods = event.modifiers()
    other = (
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.MetaModifier
    )
    if mods & other:
        return None
    shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
    key = event.key()
    if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
        return key - Qt.Key.Key_0, shift
    n = _native_digit(event)  # the digit row by position (AZERTY's unshifted & is 1)
    if n is None and shift:
        n = _US_SHIFTED.get(key)  # type: ignore[call-overload]
    return (n, shift) if n is not None else None


def worker_for_key(event: QKeyEvent) -> str | None:
    """``"P3"`` for the key 3, ``"C3"`` for Shift+3 (see the module); None otherwise."""
    found = key_digit(event)
    if found is None:
        return None
    n, shift = found
    return f"{'C' if shift else 'P'}{n}"


class GuidePanel(QFrame):
    """The captions of a guided scenario, one at a time, above the canvas."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guide_panel")
        self.title = QLabel()
        self.title.setObjectName("guide_title")
        self.text = QLabel()
        self.text.setObjectName("guide_text")
        self.text.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("guide_note")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 6)
        lay.setSpacing(2)
        for label in (self.title, self.text, self.note):
            lay.addWidget(label)
        self.steps: tuple[GuideStep, ...] = ()
        self.name = ""
        self.index = 0  #: the guide step asked for now (== len(steps): done)
        self._seen: tuple[str, str] | None = None  # the last step already judged
        self.text_px = theme.TEXT_PX  #: the window's text size (presentation, Ctrl++)
        self.restyle()
        self.hide()

    @property
    def active(self) -> bool:
        return bool(self.steps)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._hold_height()

    def _hold_height(self) -> None:
        """Ask for the height the wrapped text needs at this width as a minimum: a layout
        counts a wrapping label at one line, so the window gave the canvas below the
        room of the lines it did not count and the canvas spilt under the Rewind bar."""
        need = self.heightForWidth(self.width()) if self.width() > 0 else -1
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)

    @property
    def done(self) -> bool:
        return self.active and self.index >= len(self.steps)

    def load(self, scenario: Scenario | None) -> None:
        """Show ``scenario``'s guide from its first step (hidden if it has none)."""
        self.steps = scenario.guide if scenario is not None else ()
        self.name = scenario.title if scenario is not None else ""
        self.restart()

    def restart(self) -> None:
        """From the first step again (a new run of the scenario)."""
        self.index = 0
        self._seen = None
        self.note.setText("")
        self.setVisible(self.active)
        self._show()

    def on_step(self, last_step: tuple[str, str] | None) -> None:
        """Judge the snapshot's ``last_step`` (once per step): the asked one moves the
        guide on; another says what was asked; a worker that could not move says so."""
        if not self.active or last_step is None or last_step == self._seen:
            return
        self._seen = last_step
        worker, line = last_step
        if self.done:
            return
        want = self.steps[self.index]
        if worker == want.worker and want.shows in line:
            self.index += 1
            self.note.setText(f"✓ {line}")
        else:
            self.note.setText(
                f"That was: {line}. The guide asked for {want.worker}; "
                "Reset (R) and run the scenario again to start over."
            )
        self._show()

    def current(self) -> str:
        """The caption on show (what ``--dump-view`` reports)."""
        if not self.active:
            return ""
        if self.done:
            return DONE_TEXT
        return self.steps[self.index].caption

    def _show(self) -> None:
        n = len(self.steps)
        if self.done:
            self.title.setText(f"{self.name} — done ({n} of {n} steps)")
        else:
            self.title.setText(f"{self.name} — step {self.index + 1} of {n}")
        self.text.setText(self.current())
        self._hold_height()

    def set_text_px(self, px: int) -> None:
        """The window's text size (``MainWindow.text_px``: presentation mode, Ctrl++): the
        style sheet names every label's size, so none is left at the default."""
        if px != self.text_px:
            self.text_px = px
            self.restyle()

    def restyle(self) -> None:
        """The theme's caption colours. Every label in ink (the muted grey is not held
        to contrast on the caption's yellow) and at a size named from :attr:`text_px`:
        a style sheet cuts a label off the font it would inherit, so a size left out
        would stay put while presentation mode enlarges the rest."""
        px = max(12, self.text_px)
        big = max(12, round(px * 15 / theme.TEXT_PX))  # the caption itself, a little larger
        ink = theme.hex_color("ink")
        self.setStyleSheet(
            f"QFrame#guide_panel {{ background: {theme.hex_color('caption')};"
            f" border-bottom: 2px solid {theme.hex_color('caption_edge')}; }}"
            f"QLabel#guide_title {{ color: {ink}; font-weight: bold; font-size: {px}px; }}"
            f"QLabel#guide_text {{ color: {ink}; font-size: {big}px; }}"
            f"QLabel#guide_note {{ color: {ink}; font-size: {px}px; }}"
        )


#: the canvas's caption while a guided run is paused for you to step it (the guide panel
#: says the rest: who to move, and why). Two lines between the cards at 1024 px: a longer
#: one covered the legend under it; it is hidden once the run stopped (nothing to step).
GUIDE_CAPTION = "Click a card, or press 1–9 (Shift+1–9 for a consumer): it moves one step."

#: the guide's last words, once every step was made
DONE_TEXT = (
    "You made the race happen. Stop (Esc): the books compare with what the slots really "
    "hold and count the overwritten item lost. Space resumes the run at full speed; "
    "Break it ▸ Fix it runs the same settings with the lock, where no order loses an item."
)
