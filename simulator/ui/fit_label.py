"""A one-line label that gives way: the longest of its wordings that fits, the whole
line in its tooltip (the status bar's run line)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy


class FitLabel(QLabel):
    """A one-line label given its wordings, longest first: it shows the first that fits
    its width (the last, elided at its end, if none does), and the first in its tooltip
    when it shows less. It never asks for more width than the shortest needs: the status
    bar's run line gave way to nothing else and was cut at 1024 px ("· threads · 3 p")."""

    def __init__(self) -> None:
        super().__init__()
        self._wordings: tuple[str, ...] = ("",)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_wordings(self, *wordings: str) -> None:
        """Show the first of ``wordings`` that fits (each a whole line)."""
        if wordings != self._wordings:
            self._wordings = wordings or ("",)
            self._fit()

    def full_text(self) -> str:
        """The longest wording: what the line says in full (its tooltip when cut)."""
        return self._wordings[0]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        fm, room = self.fontMetrics(), self.contentsRect().width()
        if not self.isVisible():  # not laid out yet: the whole line (a resize fits it)
            room = fm.horizontalAdvance(self._wordings[0])
        shown = next((w for w in self._wordings if fm.horizontalAdvance(w) <= room), None)
        if shown is None:
            shown = fm.elidedText(self._wordings[-1], Qt.TextElideMode.ElideRight, room)
        if shown != self.text():
            self.setText(shown)
        tip = "" if shown == self._wordings[0] else self._wordings[0]
        if tip != self.toolTip():
            self.setToolTip(tip)
