"""Rapid pause and resume never leave a run stuck: after every resume the workers go on.

A pause that lands while a woken worker is on its way back (to a lock, to a condition's
re-check) must not lose that wake-up; the asyncio backend's hold is written with
futures and conditions where such a loss would be silent, so every buffer is tried, with
and without the Inside view's instrumented path."""

from __future__ import annotations

import time

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation
from tests.engine.waiting import wait_for

CYCLES = 40
PROGRESS_S = 10.0  # generous: a resumed run moves within milliseconds


@pytest.mark.parametrize("inside", [False, True], ids=["plain", "inside"])
@pytest.mark.parametrize("buffer", ["queue", "condition", "semaphore"])
@pytest.mark.parametrize("backend", ["threads", "asyncio"])
def test_rapid_pause_resume_never_stalls(backend, buffer, inside):
    sim = Simulation(
        SimulationConfig(
            backend=backend,
            buffer=buffer,
            producers=3,
            consumers=2,
            producer_sleep=(0.0, 0.0),
            consumer_sleep=(0.0, 0.0),
            seed=7,
        ),
        inside=inside,
    )
    sim.start()
    try:
        assert sim.ready.wait(30)
        for cycle in range(CYCLES):
            sim.pause()
            time.sleep(0.0005 * (cycle % 4))
            sim.resume()
            before = sim.snapshot().consumed
            moved = wait_for(lambda b=before: sim.snapshot().consumed > b, PROGRESS_S, 0.002)
            assert moved, f"cycle {cycle}: nothing consumed for {PROGRESS_S} s after resume"
        assert not sim.deadlocked.is_set()
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
