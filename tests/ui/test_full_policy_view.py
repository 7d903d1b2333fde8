"""The full-buffer policy in the window (issue 14, part 3): the Setup panel's combo and
spin, the canvas's dropped items with their word, and ``--dump-view`` of a dropping run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QAction

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Kind, make, overwritten_event, rejected_event
from simulator.ui.canvas_model import DROP_S, MAX_DROPS, CanvasModel
from simulator.ui.controls import ControlPanel


@pytest.fixture
def panel(qtbot):
    actions = {key: QAction(key.title()) for key in ("start", "step", "stop", "reset")}
    panel = ControlPanel(SimulationConfig(), actions)
    panel._test_actions = actions
    qtbot.addWidget(panel)
    return panel


def test_the_setup_panel_shows_and_sends_the_policy(panel):
    cfg = SimulationConfig(full_policy="timeout", put_timeout=0.25)
    panel.load(cfg)
    assert panel.full_policy.currentText() == "timeout"
    assert panel.current() == cfg
    panel.full_policy.setCurrentText("drop-newest")
    assert panel.current().full_policy == "drop-newest"


def test_refused_policies_are_greyed_with_why(panel):
    panel.load(SimulationConfig(backend="processes"))
    greyed = panel.greyed("full_policy")
    assert set(greyed) == {"drop-oldest"} and "not offered on processes" in greyed["drop-oldest"]
    panel.load(SimulationConfig(full_policy="drop-oldest"))
    assert "processes" in panel.greyed("backend")
    # a bug needs producers that wait: choosing one sets the policy back to block
    panel.load(SimulationConfig(full_policy="drop-newest"))
    panel.bug.setCurrentText("no-lock")
    assert panel.full_policy.currentText() == "block"
    assert set(panel.greyed("full_policy")) == {"timeout", "drop-newest", "drop-oldest"}
    assert panel.current().bug == "no-lock"


def test_the_canvas_model_lets_drops_leave_with_their_word():
    model = CanvasModel()
    p1 = 1 << 32
    model.feed(
        [make(rejected_event("P1", p1 | 1, 5)), make(overwritten_event("P2", p1 | 2, 4))], 0.0
    )
    live = model.live_drops(0.1)
    assert [(d.item, d.word, d.worker) for d in live] == [
        (p1 | 1, "rejected", "P1"),
        (p1 | 2, "overwritten", "P2"),
    ]
    assert model.live_drops(DROP_S + 0.01) == []  # gone once they left
    many = [make(rejected_event("P1", p1 | i, 5)) for i in range(3 * MAX_DROPS)]
    model.feed(many[:10], 1.0)  # (a burst under the fast-mode limit)
    assert len(model.live_drops(1.0)) == MAX_DROPS
    assert Kind.REJECTED in {Kind(e.kind) for e in many}


def test_dump_view_of_a_drop_oldest_run_shows_the_drops(tmp_path):
    path = tmp_path / "view.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    args = [
        "--full-policy",
        "drop-oldest",
        "--capacity",
        "5",
        "--producer-sleep",
        "0.05",
        "0.3",
        "--consumer-sleep",
        "0.3",
        "0.6",
        "--dump-view",
        str(path),
        "--exit-after",
        "4",
    ]
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "gui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    dump = json.loads(path.read_text(encoding="utf-8"))
    snap, stats, books = dump["snapshot"], dump["stats"], dump["books"]
    assert books["ok"] is True, books["text"]
    assert snap["overwritten"] > 0 and snap["rejected"] == 0
    for key in ("produced", "consumed", "in_buffer", "in_hand", "rejected", "overwritten"):
        assert stats[key] == books[key] == snap[key], key
    assert books["produced"] == (
        books["consumed"] + books["in_buffer"] + books["in_hand"] + books["overwritten"]
    )
    assert "dropped" in dump["graph_title"]
    assert all(d["word"] == "overwritten" for d in dump["drops"])


def test_the_put_timeout_spin_is_editable_only_under_timeout_and_says_why(panel):
    panel.load(SimulationConfig(full_policy="block"))
    assert not panel.put_timeout.isEnabled()
    assert "only with Full buffer timeout" in panel.put_timeout.toolTip()
    assert "block" in panel.put_timeout.toolTip()
    panel.full_policy.setCurrentText("timeout")
    assert panel.put_timeout.isEnabled()
    assert panel.put_timeout.toolTip().startswith("With Full buffer timeout")
    for policy in ("drop-newest", "drop-oldest"):
        panel.full_policy.setCurrentText(policy)
        assert not panel.put_timeout.isEnabled() and policy in panel.put_timeout.toolTip()
    panel.load(SimulationConfig(full_policy="timeout", put_timeout=0.25))
    assert panel.put_timeout.isEnabled() and panel.current().put_timeout == 0.25
