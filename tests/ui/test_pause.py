"""Pause freezes the moment, in every view (issue 11): a producer blocked on a full buffer
stays "waiting: buffer full" with its item, and nothing is produced, consumed or logged."""

from __future__ import annotations

from simulator.engine.simulation import PAUSED
from simulator.engine.workers import Role, WorkerState
from simulator.scenarios.scenario import load
from simulator.ui.window import MainWindow
from tests.ui.runs import wait_still


def _frozen_part(dump: dict) -> tuple:
    """What a pause must keep still in the window's dump."""
    return tuple(repr(dump[k]) for k in ("cards", "stats", "books", "buffer"))


def test_pausing_fast_producers_on_a_full_buffer_freezes_every_view(qtbot):
    scenario = load("fast-producers")
    window = MainWindow(scenario.config, scenario, restore_geometry=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.bridge.start()

        def full_and_blocked() -> bool:
            snap = window.bridge.last_snapshot
            return (
                snap is not None
                and snap.in_buffer == snap.capacity
                and all(
                    w.state == WorkerState.WAITING_FULL
                    for w in snap.workers
                    if w.role == Role.PRODUCER
                )
            )

        # The pause lands a moment after the frame that showed every producer blocked; in
        # between a consumer may take an item and free one producer. Pause until the
        # frozen moment is the one this test is about (a resume and a retry otherwise).
        for _attempt in range(10):
            qtbot.waitUntil(full_and_blocked, timeout=20_000)
            window.actions_by_name["start"].trigger()  # Space: pause
            assert window.bridge.state == PAUSED
            # the last frames of what happened before the pause arrive, however late
            wait_still(qtbot, lambda: _frozen_part(window.dump_view()))
            before = window.dump_view()
            if before["stats"]["in_buffer"] == scenario.config.capacity and all(
                c["state"] == "waiting: buffer full"
                for c in before["cards"]
                if c["name"].startswith("P")
            ):
                break
            window.actions_by_name["start"].trigger()  # resume, and wait for the moment again
        last_logged = window.log.history[-1]
        qtbot.wait(1000)
        after = window.dump_view()

        assert after["cards"] == before["cards"]  # nothing moved while paused
        producers = [c for c in after["cards"] if c["name"].startswith("P")]
        assert producers and all(c["state"] == "waiting: buffer full" for c in producers)
        assert after["stats"] == before["stats"]
        assert after["books"] == before["books"] and after["books"]["ok"]
        assert after["buffer"] == before["buffer"]
        assert after["header"]["count"] == after["stats"]["in_buffer"] == scenario.config.capacity
        assert window.log.history[-1] is last_logged  # no event in between
        items = window.canvas._items
        assert items is not None and "PAUSED" in (items.banner.text or "")  # said in words

        window.actions_by_name["start"].trigger()  # Space again: resume, and it goes on
        qtbot.waitUntil(
            lambda: window.bridge.last_snapshot.consumed > before["books"]["consumed"],
            timeout=30_000,
        )
    finally:
        window.close()


def test_step_button_moves_one_worker_and_says_who_and_why(window, qtbot):
    step = window.actions_by_name["step"]
    assert not step.isEnabled()  # not before a run
    window.bridge.start()
    qtbot.waitUntil(
        lambda: (
            window.bridge.last_snapshot is not None and window.bridge.last_snapshot.consumed >= 10
        ),
        timeout=20_000,
    )
    assert not step.isEnabled()  # not while running
    window.actions_by_name["start"].trigger()  # pause
    assert window.bridge.state == PAUSED and step.isEnabled()
    assert window.controls.buttons["step"].isEnabled()
    step.trigger()  # →
    snap = window.bridge.last_snapshot
    assert snap is not None and snap.last_step is not None
    who, why = snap.last_step
    assert who and why.startswith(who)
    assert window.statusBar().currentMessage() == f"Last step: {why}"
    window.show_figures_now()
    items = window.canvas._items
    assert items is not None and f"Last step: {why}" in (items.banner.text or "")
    window.actions_by_name["start"].trigger()  # resume: Step greys out again
    assert not step.isEnabled()


def test_step_is_greyed_out_on_processes_with_a_reason(qtbot):
    from tests.ui.runs import FAST

    window = MainWindow(
        FAST.replace(backend="processes", producers=1, consumers=1), restore_geometry=False
    )
    qtbot.addWidget(window)
    try:
        window.bridge.start()
        window.actions_by_name["start"].trigger()  # pause
        step = window.actions_by_name["step"]
        assert not step.isEnabled()
        assert "not available on processes" in step.toolTip()
        assert "not available" in window.controls.buttons["step"].toolTip()
    finally:
        window.close()
