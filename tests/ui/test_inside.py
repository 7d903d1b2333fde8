"""The Inside view: the code shown is the code that runs, every marker pattern is in it,
the markers follow the events, the primitives say what a snapshot holds, and a deadlock
is shown as one."""

from __future__ import annotations

import dataclasses
import inspect
import queue
import textwrap
from typing import Any

import pytest
from PySide6.QtCore import Qt

from simulator.engine import backends
from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event, Kind
from simulator.engine.frame import Frame
from simulator.engine.simulation import Snapshot
from simulator.engine.workers import WorkerState
from simulator.ui import code_panel as cp
from simulator.ui.canvas_scene import banner_text, deadlock_text
from simulator.ui.code_panel import CodePanel, MarkerTracker, run_functions
from simulator.ui.inside_view import InsideView, primitives, primitives_lines
from tests.ui.runs import FAST, snapshot_of


@dataclasses.dataclass(frozen=True)
class _Snap(Snapshot):
    """A snapshot with the Inside fields, whether or not this engine has them yet."""

    buffer_kind: str = "queue"
    deadlock: bool = False
    waits: tuple[tuple[str, str], ...] = ()
    inside: dict[str, Any] | None = None


def inside_snapshot(snap: Snapshot, **extra: Any) -> _Snap:
    base = {f.name: getattr(snap, f.name) for f in dataclasses.fields(Snapshot)}
    return _Snap(**(base | extra))


def _combinations() -> list[tuple[str, str, str]]:
    """Every (backend, buffer, bug) the engine runs; only the queue without the
    engine's buffer registry."""
    out = [(b, "queue", "none") for b in ("threads", "asyncio", "processes")]
    if hasattr(backends, "buffer_code"):
        for b in ("threads", "asyncio"):
            out += [(b, "condition", "none"), (b, "semaphore", "none")]
            out += [(b, "condition", bug) for bug in ("no-lock", "if-not-while", "lost-wakeup")]
    return out


COMBOS = _combinations()
PRODUCER_KINDS = (Kind.STARTED, Kind.SLEEP, Kind.PRODUCED, Kind.PUT_WAIT, Kind.PUT, Kind.ERROR)
CONSUMER_KINDS = (Kind.STARTED, Kind.GET_WAIT, Kind.GOT, Kind.SLEEP, Kind.CONSUMED, Kind.ERROR)


def _tracker(backend: str, buffer: str, bug: str) -> MarkerTracker:
    funcs = run_functions(backend, buffer, bug)
    sections = {n: cp.Section(n, f, cp.source_of(f), 0) for n, f in funcs.items()}
    return MarkerTracker(sections)


@pytest.mark.parametrize(("backend", "buffer", "bug"), COMBOS)
def test_the_code_shown_is_inspect_getsource_of_the_functions_that_run(
    qtbot, backend, buffer, bug
):
    panel = CodePanel()
    qtbot.addWidget(panel)
    panel.show_run(backend, buffer, bug)
    text = panel.toPlainText()
    funcs = run_functions(backend, buffer, bug)
    assert set(funcs) == set(cp.SECTIONS)
    for name, fn in funcs.items():
        src = textwrap.dedent(inspect.getsource(fn)).rstrip("\n")
        assert src in text, name
        # the section starts where the panel says, line for line
        sec = panel.sections[name]
        lines = text.splitlines()
        assert lines[sec.first : sec.first + len(sec.lines)] == src.splitlines()
    if buffer == "queue" and backend == "threads":  # CPython's own (they run, inside on)
        assert funcs["put"] is queue.Queue.put and funcs["get"] is queue.Queue.get
    if hasattr(backends, "buffer_code"):
        real = backends.buffer_code(backend, buffer, bug)
        assert funcs["put"] is real["put"] and funcs["get"] is real["get"]


@pytest.mark.parametrize(("backend", "buffer", "bug"), COMBOS)
def test_every_marker_pattern_is_found_in_the_real_source(backend, buffer, bug):
    t = _tracker(backend, buffer, bug)
    for kind in PRODUCER_KINDS:
        assert t.locate("P1", kind) is not None, (kind, "P1")
    for kind in CONSUMER_KINDS:
        assert t.locate("C1", kind) is not None, (kind, "C1")
    put_wait = t.locate("P1", Kind.PUT_WAIT)
    get_wait = t.locate("C1", Kind.GET_WAIT)
    assert put_wait is not None and get_wait is not None
    if buffer == "condition":  # the wait is the condition's own wait() line
        assert put_wait.code.endswith(".wait()") and get_wait.code.endswith(".wait()")
        full, empty = ("changed", "changed") if bug == "lost-wakeup" else ("not_full", "not_empty")
        for kind in (cp.LOCK_WAIT, cp.LOCK_HELD):
            assert "self.mutex" in t.locate("P1", kind).code
        assert t.locate("P1", cp.COND_WAIT, full).code.endswith(f"{full}.wait()")
        assert t.locate("C1", cp.COND_WOKE, empty).code.endswith(f"{empty}.wait()")
        assert ".notify" in t.locate("P1", cp.NOTIFY, empty).code
    if buffer == "queue" and backend == "threads":  # the lines of Lib/queue.py
        assert put_wait.code == "self.not_full.wait()"
        assert get_wait.code == "self.not_empty.wait()"
        assert t.locate("P1", Kind.PUT).code == "self._put(item)"
        assert t.locate("C1", Kind.GOT).code == "item = self._get()"
        assert t.locate("P1", cp.LOCK_WAIT, "mutex").code == "with self.not_full:"
        assert t.locate("C1", cp.LOCK_HELD, "mutex").code == "with self.not_empty:"
        assert t.locate("P1", cp.COND_WAIT, "not_full").code == "self.not_full.wait()"
        assert t.locate("C1", cp.NOTIFY, "not_full").code == "self.not_full.notify()"
    if buffer == "semaphore":
        assert "empty" in t.locate("P1", cp.SEM_WAIT, "empty").code
        assert "full" in t.locate("C1", cp.SEM_TAKE, "full").code
        assert t.locate("P1", cp.SEM_GIVE, "full").code.startswith("self.full.release()")
        assert t.locate("C1", cp.SEM_GIVE, "empty").code.startswith("self.empty.release()")


def test_markers_follow_the_events(qtbot):
    panel = CodePanel()
    qtbot.addWidget(panel)
    panel.show_run("threads")
    panel.on_events(
        [
            Event(0.0, Kind.STARTED, "P1"),
            Event(0.0, Kind.PRODUCED, "P1", 1),
            Event(0.0, Kind.PUT_WAIT, "P1", 1, 10),
            Event(0.0, Kind.GOT, "C1", 2, 3),
            Event(0.0, Kind.SLEEP, "C1", 2, value=0.1),
            Event(0.0, Kind.SLEEP, "P2", value=0.2),
            Event(0.0, Kind.STARTED, "C2"),
        ]
    )
    marks = panel.markers()
    assert marks["P1"] == "self.not_full.wait()"  # in queue.Queue.put: its wait
    assert "work(rt, held)" in marks["C1"]
    assert "work(rt, NO_ITEM)" in marks["P2"]
    assert marks["C2"] == "emit(started_event(name))"
    # P1's line is a line of queue.Queue.put, C1's of run_consumer
    lines = panel.toPlainText().splitlines()
    put = panel.sections["put"]  # queue.Queue.put
    where = panel.tracker.marks["P1"].line
    assert put.first <= where < put.first + len(put.lines)
    assert lines[where].strip() == marks["P1"]
    # the next events move them; a stopped worker has no marker
    panel.on_events([Event(0.0, Kind.PUT, "P1", 1, 10), Event(0.0, Kind.STOPPED, "C2")])
    assert panel.markers()["P1"] == "self._put(item)"
    assert "C2" not in panel.markers()
    # the selected worker's line is highlighted; two workers on one line share the gutter
    panel.select("P1")
    assert len(panel.extraSelections()) == len(panel.marker_lines())
    panel.on_events([Event(0.0, Kind.SLEEP, "P1", value=0.1)])
    assert panel.marker_lines()[panel.tracker.marks["P1"].line] == ["P1", "P2"]


def test_inside_events_put_a_worker_on_the_lock_and_wait_lines():
    if not hasattr(backends, "buffer_code"):
        pytest.skip("the engine has no hand-written buffers yet")
    t = _tracker("threads", "condition", "none")
    t.feed([Event(0.0, Kind.PRODUCED, "P1", 1), Event(0.0, cp.LOCK_WAIT, "P1", value="mutex")])
    assert t.marks["P1"].code == "with self.mutex:"
    t.feed([Event(0.0, cp.COND_WAIT, "P1", value="not_full")])
    assert t.marks["P1"].code == "self.not_full.wait()"
    t.feed([Event(0.0, cp.LOCK_FREE, "P1", value="mutex")])  # does not move it
    assert t.marks["P1"].code == "self.not_full.wait()"
    # a consumer past its get: a lock event is task_done's, in the consumer loop
    t.feed([Event(0.0, Kind.GOT, "C1", 1, 0), Event(0.0, cp.LOCK_HELD, "C1", value="mutex")])
    assert t.marks["C1"].code == "rt.task_done()"


def test_primitives_from_the_snapshots_inside():
    cfg = SimulationConfig(producers=3, consumers=2)
    snap = inside_snapshot(
        snapshot_of(cfg),
        inside={
            "lock": {"name": "mutex", "holder": "P1", "waiting": ["C2"]},
            "conditions": {"not_full": ["P2", "P3"], "not_empty": []},
            "semaphores": {},
            "unfinished_tasks": 12,
        },
    )
    lines = primitives_lines(primitives(snap))
    assert lines == [
        "lock mutex: held by P1 · waiting for it: C2",
        "waiting on not_full: P2, P3",
        "waiting on not_empty: –",
        "unfinished_tasks = 12 (join() waits until 0)",
    ]
    sem = inside_snapshot(
        snapshot_of(cfg),
        inside={
            "lock": {"name": "mutex", "holder": None, "waiting": []},
            "conditions": {},
            "semaphores": {"empty": 0, "full": 10},
            "unfinished_tasks": 10,
        },
    )
    lines = primitives_lines(primitives(sem))
    assert "lock mutex: held by nobody (free) · waiting for it: –" in lines
    assert "semaphore empty = 0 (free slots)" in lines
    assert "semaphore full = 10 (items to take)" in lines


def test_without_inside_events_the_waiters_come_from_the_states_and_the_lock_is_not_traced():
    cfg = SimulationConfig(producers=2, consumers=2)
    snap = snapshot_of(
        cfg,
        states={"P2": (WorkerState.WAITING_FULL, 5)},
        consumers=WorkerState.WAITING_EMPTY,
    )
    lines = primitives_lines(primitives(snap))
    assert lines[0].startswith("lock: not traced")
    assert "waiting on not_full: P2" in lines
    assert "waiting on not_empty: C1, C2" in lines
    assert "unfinished_tasks: not traced" in lines


def test_deadlock_banner_and_waits():
    cfg = SimulationConfig(producers=2, consumers=1, capacity=1)
    waits = (("P1", "changed"), ("P2", "changed"), ("C1", "changed"))
    snap = inside_snapshot(snapshot_of(cfg), deadlock=True, waits=waits)
    assert banner_text("running", snap) == "DEADLOCK — P1, P2, C1 wait on changed"
    assert deadlock_text((("P1", "not_full"), ("C1", "not_empty"))) == (
        "DEADLOCK — P1 waits on not_full · C1 waits on not_empty"
    )
    assert banner_text("running", inside_snapshot(snapshot_of(cfg))) is None
    lines = primitives_lines(primitives(snap))
    assert lines[0] == "DEADLOCK — P1, P2, C1 wait on changed"


def test_window_inside_view_toggle_dump_and_deadlock(window, qtbot):
    assert not window.inside_shown
    window.actions_by_name["inside"].trigger()
    assert window.inside_on and window.inside_shown
    assert window.bridge.inside is True
    if hasattr(window.bridge.sim, "set_inside"):
        assert window.bridge.sim.inside is True
    assert str(window.settings.value("inside_view")) == "true"
    cfg = SimulationConfig(producers=2, consumers=1, capacity=1)
    waits = (("P1", "not_full"), ("P2", "not_full"), ("C1", "not_empty"))
    snap = inside_snapshot(
        snapshot_of(cfg, states={"P1": (WorkerState.WAITING_FULL, 1)}),
        deadlock=True,
        waits=waits,
    )
    events = [
        Event(0.0, Kind.PUT_WAIT, "P1", 1, 1),
        Event(0.0, Kind.PUT_WAIT, "P2", 2, 1),
        Event(0.0, Kind.GET_WAIT, "C1"),
    ]
    window.bridge.last_snapshot = snap
    window._on_frame(Frame(events, len(events), snap))
    dump = window.dump_view()
    assert dump["deadlock"] is True
    assert dump["inside"]["visible"] is True
    assert dump["inside"]["markers"] == {  # on the wait() lines of queue.Queue.put / get
        "P1": "self.not_full.wait()",
        "P2": "self.not_full.wait()",
        "C1": "self.not_empty.wait()",
    }
    assert dump["inside"]["primitives"]["deadlock"] is True
    assert window.canvas._items is not None
    banner = window.canvas._items.banner.text
    assert banner == "DEADLOCK — P1, P2 wait on not_full · C1 waits on not_empty"
    # presentation mode hides the code, and it comes back after
    window.toggle_presentation()
    assert not window.inside_shown
    window.toggle_presentation()
    assert window.inside_shown
    window.actions_by_name["inside"].trigger()
    assert not window.inside_shown and window.bridge.inside is False


def test_a_real_run_puts_markers_on_lines_of_the_real_source(window, qtbot):
    window.set_inside_view(True)
    window._use_config(FAST)
    window.bridge.start()
    view: InsideView = window.inside_view
    qtbot.waitUntil(lambda: {"P1", "C1"} <= set(view.code.markers()), timeout=15_000)
    # every worker started (on a busy machine the last may start after the first markers)
    qtbot.waitUntil(lambda: view.workers.count() == 5, timeout=15_000)
    window.bridge.stop()
    lines = view.code.toPlainText().splitlines()
    for worker, mark in view.code.tracker.marks.items():
        assert lines[mark.line].strip() == mark.code, worker
    names = [view.workers.item(i).text() for i in range(view.workers.count())]
    assert names == ["P1", "P2", "P3", "C1", "C2"]
    view.select("C1")
    assert view.code.selected == "C1"


def test_clicking_a_card_selects_its_worker_in_the_inside_view(window, qtbot):
    from PySide6.QtCore import QPoint

    window.set_inside_view(True)
    window._use_config(FAST)
    window.bridge.start()
    qtbot.waitUntil(lambda: window.canvas._items is not None, timeout=15_000)
    qtbot.waitUntil(lambda: "C2" in window.canvas._items.cards, timeout=15_000)
    card = window.canvas._items.cards["C2"]
    at = window.canvas.mapFromScene(card.rect.center())
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(at))
    window.bridge.stop()
    assert window.inside_view.code.selected == "C2"
    assert window.inside_view.workers.currentItem().text() == "C2"


def test_a_buffer_without_a_lock_says_so_rather_than_not_traced():
    """asyncio.Queue has no lock (one thread runs it; its waiters are futures): the
    engine's inside state has lock None, and the panel says there is none."""
    from simulator.engine.simulation import _new_inside
    from simulator.ui.inside_view import primitives_lines

    state = _new_inside(SimulationConfig(backend="asyncio"))
    assert state["lock"] is None
    p = {
        "traced": True,
        "lock": state["lock"],
        "conditions": state["conditions"],
        "semaphores": {},
        "unfinished_tasks": 0,
        "deadlock": False,
        "waits": [],
    }
    lines = primitives_lines(p)
    assert lines[0].startswith("lock: none (asyncio.Queue")
    assert _new_inside(SimulationConfig(backend="threads"))["lock"]["name"] == "mutex"
