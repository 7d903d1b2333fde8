"""The statistics panel: balanced books in green, broken books as a red alarm."""

from __future__ import annotations

import pytest

from simulator.ui import theme
from simulator.ui.stats import StatsPanel
from tests.ui.runs import running_snapshot as snapshot


@pytest.fixture
def panel(qtbot):
    p = StatsPanel()
    qtbot.addWidget(p)
    return p


def test_balanced_books_are_shown_as_the_equation(panel):
    panel.on_snapshot(snapshot(), force=True)
    inv = panel.values["invariant"]
    assert inv.text() == "✓ balanced: 12 = 9 + 2 + 1"
    assert theme.ALARM_COLOR.name() not in inv.styleSheet()
    assert panel.values["in_buffer"].text() == "2 of 10"


def test_broken_books_raise_a_red_alarm_naming_the_violation(panel):
    violations = ("P1-4 consumed twice (by C1 and C2)", "1 item lost")
    panel.on_snapshot(snapshot(ok=False, duplicates=1, violations=violations), force=True)
    inv = panel.values["invariant"]
    assert inv.text() == "✗ P1-4 consumed twice (by C1 and C2)"
    assert f"background: {theme.ALARM_COLOR.name()}" in inv.styleSheet()
    assert inv.toolTip().splitlines() == list(violations)
    # and when the next run's books balance, the alarm goes away
    panel.on_snapshot(snapshot(), force=True)
    assert inv.text().startswith("✓") and theme.ALARM_COLOR.name() not in inv.styleSheet()


def test_broken_books_without_a_message_still_alarm(panel):
    panel.on_snapshot(snapshot(ok=False, violations=()), force=True)
    inv = panel.values["invariant"]
    assert inv.text() == "✗ mismatch" and theme.ALARM_COLOR.name() in inv.styleSheet()
