"""Real runs on all three backends: nothing lost, nothing duplicated, stop never hangs."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation
from tests.engine.waiting import BACKEND_BUFFERS, wait_for, wait_still


def started(**settings) -> Simulation:
    """A running simulation with these settings."""
    sim = Simulation(SimulationConfig(**settings))
    sim.start()
    return sim


def run_items(cfg: SimulationConfig, timeout: float = 60.0):
    sim = Simulation(cfg)
    sim.start()
    try:
        assert sim.finished.wait(timeout), "the item limit was not reached"
    finally:
        sim.stop()
    return sim.snapshot()


sleeps = st.tuples(st.floats(0, 0.004), st.floats(0, 0.004)).map(lambda t: tuple(sorted(t)))
configs = st.builds(
    SimulationConfig,
    producers=st.integers(1, 5),
    consumers=st.integers(1, 5),
    capacity=st.integers(1, 12),
    producer_sleep=sleeps,
    consumer_sleep=sleeps,
    seed=st.integers(0, 1000),
    items=st.integers(1, 150),
)
EXAMPLES = {"threads": 20, "asyncio": 20, "processes": 4, "redis": 6}


@pytest.mark.parametrize(("backend", "buffer"), BACKEND_BUFFERS)
def test_invariant_over_random_configurations(backend, buffer):
    @settings(
        max_examples=EXAMPLES[backend] if buffer == "queue" else 10,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(cfg=configs)
    def check(cfg):
        snap = run_items(cfg.replace(backend=backend, buffer=buffer))
        assert snap.ok, snap.violations
        assert snap.produced == snap.consumed == cfg.items
        assert snap.duplicates == 0 and snap.lost == 0
        assert snap.in_buffer == 0 and snap.in_hand == 0
        assert snap.max_occupancy <= cfg.capacity

    check()


@pytest.mark.parametrize(("backend", "buffer"), BACKEND_BUFFERS)
def test_stop_with_long_sleeps_returns_within_a_second(backend, buffer):
    sim = started(
        backend=backend, buffer=buffer, producer_sleep=(9, 10), consumer_sleep=(9, 10), producers=3
    )
    # wait until every worker really is asleep or waiting
    assert wait_for(lambda: len(sim.snapshot().workers) == 5)
    t0 = time.monotonic()
    latency = sim.stop()
    assert time.monotonic() - t0 < 1.5
    assert latency < 1.0
    assert sim.snapshot().ok


@pytest.mark.parametrize(("backend", "buffer"), BACKEND_BUFFERS)
def test_stop_while_blocked_on_a_full_buffer_keeps_every_item(backend, buffer):
    sim = started(
        backend=backend,
        buffer=buffer,
        producers=4,
        consumers=1,
        capacity=2,
        producer_sleep=(0, 0),
        consumer_sleep=(5, 5),
    )
    assert wait_for(lambda: sim.snapshot().waits_full >= 3)
    assert sim.stop() < 1.0
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.lost == 0 and snap.consumed == 0
    # what was made is in the buffer or in a worker's hand
    assert snap.produced == snap.in_buffer + snap.in_hand > 0


@pytest.mark.parametrize(("backend", "buffer"), BACKEND_BUFFERS)
def test_pause_holds_and_resume_loses_nothing(backend, buffer):
    sim = started(
        backend=backend,
        buffer=buffer,
        producers=2,
        consumers=2,
        capacity=4,
        producer_sleep=(0.001, 0.005),
        consumer_sleep=(0.001, 0.005),
        items=400,
    )
    assert wait_for(lambda: sim.snapshot().consumed >= 20)
    sim.pause()
    # what was under way when pause() returned is booked, however late a busy machine lets it
    wait_still(lambda: (sim.snapshot().produced, sim.snapshot().consumed))
    held = sim.snapshot()
    time.sleep(0.4)
    still = sim.snapshot()
    assert (still.produced, still.consumed) == (held.produced, held.consumed)
    assert still.consumed < 400
    sim.resume()
    assert sim.finished.wait(30)
    sim.stop()
    snap = sim.snapshot()
    assert snap.ok and snap.produced == snap.consumed == 400


@pytest.mark.parametrize(("backend", "buffer"), BACKEND_BUFFERS)
def test_live_count_and_sleep_changes_lose_nothing(backend, buffer):
    sim = started(
        backend=backend,
        buffer=buffer,
        producers=2,
        consumers=2,
        capacity=5,
        producer_sleep=(0.001, 0.003),
        consumer_sleep=(0.001, 0.003),
    )
    assert wait_for(lambda: sim.snapshot().consumed >= 10)
    deferred = sim.apply(sim.config.replace(producers=5, consumers=4, capacity=9))
    assert deferred == {"capacity"}
    assert wait_for(lambda: len(sim.snapshot().workers) == 9)
    sim.apply(sim.config.replace(producers=1, consumers=1, consumer_sleep=(0, 0.001)))
    assert wait_for(lambda: len(sim.snapshot().workers) == 2)
    assert sim.snapshot().config.consumer_sleep == (0, 0.001)
    before = sim.snapshot().consumed
    assert wait_for(lambda: sim.snapshot().consumed > before + 10)
    sim.stop(drain=True)
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.produced == snap.consumed and snap.in_buffer == snap.in_hand == 0


def test_a_restart_uses_the_deferred_capacity():
    """Fast producers and slow consumers fill the buffer to whatever capacity the run
    really has: 3 before the restart, 7 after it (more than the old capacity allows)."""
    sim = started(capacity=3, producer_sleep=(0, 0), consumer_sleep=(0.5, 1.0))
    try:
        assert wait_for(lambda: sim.snapshot().max_occupancy == 3)
        assert sim.apply(sim.config.replace(capacity=7)) == {"capacity"}
        assert sim.snapshot().capacity == 3  # deferred: this run keeps its buffer
        sim.stop()
        sim.start()
        assert sim.snapshot().capacity == 7
        assert wait_for(lambda: sim.snapshot().max_occupancy == 7)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.max_occupancy == 7 and snap.capacity == 7


def test_event_stream_is_complete_for_every_item():
    sim = Simulation(SimulationConfig(items=50, producer_sleep=(0, 0.001), consumer_sleep=(0, 0)))
    ch = sim.subscribe()
    sim.start()
    assert sim.finished.wait(20)
    sim.stop()
    events = ch.drain()
    kinds = {}
    for e in events:
        kinds.setdefault(e.kind, set()).add(e.item)
    from simulator.engine.events import Kind

    assert len(kinds[Kind.PRODUCED]) == len(kinds[Kind.PUT]) == len(kinds[Kind.GOT]) == 50
    assert kinds[Kind.CONSUMED] == kinds[Kind.PRODUCED]
    assert all(a.t <= b.t for a, b in itertools.pairwise(events))
