"""The ending poison-pill with a full buffer: the main thread waits to put its pills, and
:attr:`Snapshot.pills_waiting` says how many it has still to put, on every backend.

The count comes from the books (the pills due less the pills booked into the buffer), so
it must rise above 0 while the buffer is full, fall to 0 once every pill is in, and be 0
after the stop; the books balance throughout."""

from __future__ import annotations

import threading

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.events import is_pill
from simulator.engine.simulation import RUNNING, STOPPED, Simulation
from simulator.engine.workers import WorkerState
from tests.engine.waiting import BACKENDS, wait_for

#: fast producers, slow consumers, a small buffer: full when the ending starts, and it
#: stays full for several of the consumers' sleeps, so the main thread must wait
LOAD = {
    "producer_sleep": (0.0, 0.01),
    "consumer_sleep": (0.3, 0.5),
    "capacity": 4,
    "producers": 2,
    "consumers": 2,
}


def _full(sim: Simulation) -> bool:
    """A producer waits on a full buffer (redis's slots count the items in hand too, so
    the buffer's own count can stay under the capacity)."""
    return any(w.state == WorkerState.WAITING_FULL for w in sim.snapshot().workers)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pills_waiting_rises_while_the_buffer_is_full_then_falls_to_zero(backend):
    sim = Simulation(SimulationConfig(backend=backend, **LOAD))
    sim.start()
    ender: threading.Thread | None = None
    try:
        assert sim.ready.wait(60.0)
        assert wait_for(lambda: _full(sim), 30.0), "the buffer fills"
        assert sim.snapshot().pills_waiting == 0, "no ending yet: no pill is due"
        ender = threading.Thread(
            target=sim.stop, kwargs={"ending": "poison-pill", "drain_timeout": 60.0}
        )
        ender.start()
        seen: list[tuple[int, int]] = []  # (pills waiting, pills in the buffer)

        def waiting() -> bool:
            snap = sim.snapshot()
            in_buffer = sum(1 for i in snap.buffer if is_pill(i))
            seen.append((snap.pills_waiting, in_buffer))
            # never more than one pill per consumer, counted once: waiting or put
            assert snap.pills_waiting + in_buffer <= LOAD["consumers"]
            return snap.pills_waiting > 0

        assert wait_for(waiting, 30.0), f"the main thread waits to put: {seen[-3:]}"

        # every pill goes in, and the count says so while the run still runs: the
        # consumers take the items before the pills, a sleep of 0.3 s or more each
        def all_put() -> bool:
            s = sim.snapshot()
            pills = sum(1 for i in s.buffer if is_pill(i))
            return s.state == RUNNING and s.pills_waiting == 0 and pills > 0

        assert wait_for(all_put, 60.0), f"the count fell to 0 while running: {seen[-3:]}"
        ender.join(90.0)
        assert not ender.is_alive()
        snap = sim.snapshot()
        assert snap.state == STOPPED and snap.ending == "poison-pill"
        assert snap.pills_waiting == 0
        assert snap.ok, snap.violations
        assert snap.produced == snap.consumed + snap.in_buffer + snap.in_hand
        assert snap.produced == snap.consumed, "every item taken before its pill"
    finally:
        if ender is not None:
            ender.join(90.0)
        sim.stop()


def test_pills_waiting_is_zero_for_the_other_endings():
    """A drain puts no pill: the count stays 0 all through the ending, not only after."""
    sim = Simulation(SimulationConfig(**LOAD))
    sim.start()
    ender: threading.Thread | None = None
    try:
        assert sim.ready.wait(60.0)
        assert wait_for(lambda: _full(sim), 30.0)
        ender = threading.Thread(
            target=sim.stop, kwargs={"ending": "drain", "drain_timeout": 60.0}
        )
        ender.start()
        during = []
        while ender.is_alive():
            snap = sim.snapshot()
            if snap.state == RUNNING:
                during.append(snap.pills_waiting)
            ender.join(0.02)
        assert len(during) >= 5, "the drain was watched while it ran"
        assert set(during) == {0}
        assert sim.snapshot().pills_waiting == 0
    finally:
        if ender is not None:
            ender.join(90.0)
        sim.stop()
