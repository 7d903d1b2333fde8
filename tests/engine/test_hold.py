"""Pause freezes the moment, the start gate holds workers until the clock starts, and a
live sleep change acts on sleeps in progress: on every backend, with real workers."""

from __future__ import annotations

import time

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Kind
from simulator.engine.simulation import Simulation
from simulator.engine.workers import Role, WorkerState
from tests.engine.waiting import BACKENDS, wait_for, wait_still

READY_S = 60.0  # spawning interpreters on a busy machine can be slow


def _blocked_and_busy(sim: Simulation, producers: int, consumers: int) -> bool:
    """Every producer waits on the full buffer and every consumer consumes an item."""
    workers = sim.snapshot().workers
    full = [w for w in workers if w.state == WorkerState.WAITING_FULL and w.item >= 0]
    busy = [w for w in workers if w.state == WorkerState.CONSUMING and w.item >= 0]
    return len(full) == producers and len(busy) == consumers


def _picture(sim: Simulation):
    snap = sim.snapshot()
    cards = sorted((w.name, w.state, w.item) for w in snap.workers)
    return snap.produced, snap.consumed, snap.buffer, cards


@pytest.mark.parametrize("backend", BACKENDS)
def test_pause_freezes_a_full_buffer_and_resume_goes_on(backend):
    sim = Simulation(
        SimulationConfig(
            backend=backend,
            producers=3,
            consumers=2,
            capacity=4,
            producer_sleep=(0.005, 0.01),
            consumer_sleep=(0.6, 0.9),
        )
    )
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        # The pause lands a moment after the look that saw every producer blocked and every
        # consumer busy; in between a consumer may finish its item and free a producer.
        # Pause until the frozen moment is the one this test is about (else resume, retry).
        for _attempt in range(10):
            assert wait_for(lambda: _blocked_and_busy(sim, 3, 2)), sim.snapshot().workers
            sim.pause()
            before = wait_still(lambda: _picture(sim))
            t_still = time.monotonic()
            if _blocked_and_busy(sim, 3, 2):
                break
            sim.resume()
        else:
            pytest.fail(f"never paused on a full buffer with busy consumers: {before[3]}")
        time.sleep(1.0)
        after = _picture(sim)
        t_resume = time.monotonic()
        # nothing happened: the same counts, buffer and cards (the real states)
        assert after == before
        held_by = {name: item for name, state, item in after[3] if name[0] == "C"}
        states = {state for _, state, _ in after[3]}
        assert states <= {WorkerState.WAITING_FULL, WorkerState.CONSUMING}, after[3]
        assert all(item >= 0 for item in held_by.values())
        sim.resume()
        assert wait_for(lambda: sim.snapshot().consumed >= before[1] + 4)
        # pause again and stop while paused: stop never waits for the pause
        sim.pause()
        t0 = time.monotonic()
        sim.stop()
        assert time.monotonic() - t0 < 3.0
    finally:
        sim.stop()
    events = ch.drain()
    frozen = [e for e in events if t_still < e.t < t_resume]
    assert not frozen, frozen[:5]
    # each consumer goes on with the very item it held: it finishes that one first
    for name, item in held_by.items():
        after_resume = [e for e in events if e.worker == name and e.t >= t_resume]
        consumed = [e.item for e in after_resume if e.kind == Kind.CONSUMED]
        assert consumed[:1] == [item], (name, after_resume[:4])
    snap = sim.snapshot()
    assert snap.ok, snap.violations


@pytest.mark.parametrize(
    ("backend", "n"),
    [("threads", 4), ("asyncio", 4), ("processes", 8)] + [("redis", 8)] * ("redis" in BACKENDS),
)
def test_no_item_is_made_before_the_clock_starts(backend, n):
    """The start gate: workers ready early hold until every initial worker is ready."""
    sim = Simulation(
        SimulationConfig(
            backend=backend,
            producers=n,
            consumers=n,
            capacity=50,
            producer_sleep=(0, 0),
            consumer_sleep=(0, 0),
        )
    )
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        assert wait_for(lambda: sim.snapshot().consumed >= 100)
    finally:
        sim.stop()
    events = ch.drain()
    started_at = sim.snapshot().started_at
    made = [e for e in events if e.kind == Kind.PRODUCED]
    assert made and min(e.t for e in made) >= started_at
    # before the clock started the workers only said they were ready
    early = {Kind(e.kind).name for e in events if e.t < started_at}
    assert early <= {"STARTED"}, early


@pytest.mark.parametrize("backend", ["threads", "asyncio"] + ["redis"] * ("redis" in BACKENDS))
def test_a_run_paused_while_starting_stays_held_until_resumed(backend):
    sim = Simulation(
        SimulationConfig(backend=backend, producer_sleep=(0, 0), consumer_sleep=(0, 0))
    )
    sim.start()
    try:
        sim.pause()
        assert sim.ready.wait(READY_S)
        time.sleep(0.5)
        snap = sim.snapshot()
        assert snap.produced == 0
        assert {w.state for w in snap.workers} == {WorkerState.STARTING}
        sim.resume()
        assert wait_for(lambda: sim.snapshot().consumed > 0)
    finally:
        sim.stop()
    assert sim.snapshot().ok


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_sleep_range_acts_on_sleeps_in_progress(backend):
    """Producers in the middle of a 5 s sleep redraw it from the new range at once."""
    sim = Simulation(
        SimulationConfig(
            backend=backend,
            producers=2,
            consumers=1,
            producer_sleep=(5, 5),
            consumer_sleep=(0, 0),
        )
    )
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        time.sleep(0.5)
        assert sim.snapshot().produced == 0
        t_change = time.monotonic()
        sim.apply(sim.config.replace(producer_sleep=(0, 0.01)))
        assert wait_for(lambda: all(w.done for w in sim.snapshot().workers))
    finally:
        sim.stop()
    events = ch.drain()
    first = min(e.t for e in events if e.kind == Kind.PRODUCED)
    assert first - t_change < 4.0  # less than what remained of the 5 s sleeps
    # each producer said so: a new SLEEP of its new total, drawn from the new range
    for name in ("P1", "P2"):
        sleeps = [e.value for e in events if e.worker == name and e.kind == Kind.SLEEP]
        assert len(sleeps) >= 2, [e for e in events if e.worker == name][:6]
        assert sleeps[0] == 5.0 and 0 <= sleeps[1] <= 0.01, sleeps[:3]
    assert sim.snapshot().ok


def test_a_pause_suspends_a_sleep_and_resume_keeps_what_remains():
    """A consumer paused in the middle of a 1 s sleep finishes it only after the pause:
    the time paused does not count as consumed."""
    sim = Simulation(
        SimulationConfig(producers=1, consumers=1, producer_sleep=(0, 0), consumer_sleep=(1, 1))
    )
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        assert wait_for(
            lambda: any(w.role is Role.CONSUMER and w.item >= 0 for w in sim.snapshot().workers)
        )
        sim.pause()
        time.sleep(1.5)  # longer than the whole sleep
        assert sim.snapshot().consumed == 0
        t_resume = time.monotonic()
        sim.resume()
        assert wait_for(lambda: sim.snapshot().consumed >= 1)
    finally:
        sim.stop()
    done = [e for e in ch.drain() if e.kind == Kind.CONSUMED]
    assert done[0].t > t_resume


@pytest.mark.parametrize("backend", BACKENDS)
def test_short_plain_sleeps_still_pause_at_the_next_step_and_stop_fast(backend):
    """Sleeps under 50 ms are plain (base.PLAIN_SLEEP_S): a pause then holds at the step
    after the sleep, with nothing booked while held, and a stop still returns at once."""
    sim = Simulation(
        SimulationConfig(
            backend=backend,
            producers=2,
            consumers=2,
            capacity=5,
            producer_sleep=(0.0, 0.002),
            consumer_sleep=(0.0, 0.002),
        )
    )
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        assert wait_for(lambda: sim.snapshot().consumed >= 50)
        sim.pause()
        before = wait_still(lambda: _picture(sim))  # what was under way is booked
        time.sleep(0.5)
        assert _picture(sim) == before  # held: nothing produced, put, taken or consumed
        sim.resume()
        assert wait_for(lambda: sim.snapshot().consumed > before[1] + 20)
    finally:
        took = sim.stop()
    assert took < 1.0
    snap = sim.snapshot()
    assert snap.ok and snap.lost == 0 and snap.duplicates == 0, snap.violations
