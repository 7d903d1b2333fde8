"""The window the UI tests drive: fast sleeps so a few seconds show many items."""

from __future__ import annotations

import pytest

from simulator.ui.window import MainWindow
from tests.ui.runs import FAST


@pytest.fixture
def window(qtbot):
    w = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
