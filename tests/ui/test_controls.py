"""The control panel: loading a configuration sends nothing back, quick changes are
debounced into one configuration, and ``commit`` sends a change still waiting at once."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction

from simulator.engine.config import SimulationConfig
from simulator.ui.controls import DEBOUNCE_MS, ControlPanel


@pytest.fixture
def panel(qtbot):
    actions = {key: QAction(key.title()) for key in ("start", "step", "stop", "reset")}
    panel = ControlPanel(SimulationConfig(), actions)
    panel._test_actions = actions  # keep the actions alive as long as the panel
    qtbot.addWidget(panel)
    sent: list[SimulationConfig] = []
    panel.configChanged.connect(sent.append)
    panel.sent = sent
    return panel


def test_load_shows_a_config_without_sending_it_back(panel, qtbot):
    changes: list[int] = []
    panel.producers.valueChanged.connect(changes.append)
    cfg = SimulationConfig(
        producers=7,
        consumers=3,
        capacity=42,
        backend="asyncio",
        seed=5,
        producer_sleep=(0.2, 3.5),
        consumer_sleep=(0.0, 0.4),
        time_scale=0.5,
    )
    panel.load(cfg)
    assert changes == []  # the widgets' signals were blocked while loading
    assert panel.current() == cfg  # ... and every widget shows the config
    qtbot.wait(3 * DEBOUNCE_MS)
    assert panel.sent == []
    assert not any(w.signalsBlocked() for w in panel._inputs())
    panel.producers.setValue(8)  # afterwards, changes are sent again
    qtbot.waitUntil(lambda: len(panel.sent) == 1, timeout=30_000)
    assert changes == [8] and panel.sent[0] == cfg.replace(producers=8)


def test_quick_changes_are_sent_as_one_config(panel, qtbot):
    for hi in (0.6, 0.7, 0.8, 0.9, 1.0):  # no event loop between them: one burst
        panel.producer_sleep.setValue((0.1, hi))
    assert panel.sent == []  # nothing before the debounce interval has passed
    qtbot.waitUntil(lambda: len(panel.sent) == 1, timeout=30_000)
    qtbot.wait(3 * DEBOUNCE_MS)
    assert len(panel.sent) == 1
    assert panel.sent[0].producer_sleep == (0.1, 1.0)


def test_commit_sends_a_pending_change_now_and_only_once(panel, qtbot):
    panel.capacity.setValue(20)
    panel.commit()  # as the window does before a start
    assert [c.capacity for c in panel.sent] == [20]
    qtbot.wait(3 * DEBOUNCE_MS)
    assert len(panel.sent) == 1  # the debounced call was not sent again later
    panel.commit()  # nothing new: nothing sent
    assert len(panel.sent) == 1


def test_pending_settings_are_named_in_the_note(panel):
    panel.show_pending(frozenset({"capacity", "backend", "producers"}))
    assert panel.note.text() == "Changed backend, capacity: takes effect at the next start."
    panel.show_pending(frozenset({"producers"}))
    assert panel.note.isHidden()
