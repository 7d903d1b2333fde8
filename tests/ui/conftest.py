"""The window the UI tests drive: fast sleeps so a few seconds show many items."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from simulator.ui.window import MainWindow
from tests.ui.runs import FAST


@pytest.fixture
def window(qtbot):
    # the window remembers View ▸ Inside (QSettings): each test starts with the plain view
    QSettings("pcsim", "pcsim").remove("inside_view")
    w = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
