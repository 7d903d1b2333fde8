"""The window the UI tests drive: fast sleeps so a few seconds show many items."""

from __future__ import annotations

import pytest

from simulator.engine.config import SimulationConfig
from simulator.ui.window import MainWindow

FAST = SimulationConfig(producer_sleep=(0.005, 0.02), consumer_sleep=(0.01, 0.03))


@pytest.fixture
def window(qtbot):
    w = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
