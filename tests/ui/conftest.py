"""The window the UI tests drive: fast sleeps so a few seconds show many items."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from simulator.ui.window import MainWindow
from tests.ui.runs import FAST


@pytest.fixture(autouse=True)
def plain_view():
    """The window remembers View ▸ Inside (QSettings): every UI test's window starts with
    the plain view, whatever the test before it left on."""
    QSettings("pcsim", "pcsim").remove("inside_view")
    yield


@pytest.fixture
def window(qtbot):
    w = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
