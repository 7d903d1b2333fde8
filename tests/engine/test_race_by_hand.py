"""You are the scheduler: with ``--bug no-lock`` a chosen order of single steps makes the
race happen on purpose, the same way every time, and the books catch it; the same order
on the correct buffer reports nothing. Threads and asyncio."""

from __future__ import annotations

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Kind
from simulator.engine.simulation import Simulation, Snapshot

STEPPING = ["threads", "asyncio"]
REPEATS = 10

#: P1 reads tail, P2 reads the same tail, P1 writes slot 0, P2 overwrites it; C1 then
#: takes what slot 0 holds (P2-1) and finishes it
LOST_ORDER = ["P1", "P1", "P2", "P2", "P1", "P2", "C1", "C1", "C1"]
#: P1 puts two items; two consumers read the same head, both take P1-1, both finish it
DUPLICATE_ORDER = ["P1"] * 6 + ["C1", "C2", "C1", "C2", "C1", "C2"]


def _paused_from_the_start(backend: str, bug: str, producers: int, consumers: int) -> Simulation:
    """A run held before its first event (started paused)."""
    cfg = SimulationConfig(
        backend=backend,
        buffer="condition",
        bug=bug,
        producers=producers,
        consumers=consumers,
        capacity=4,
        producer_sleep=(0.0, 0.0),
        consumer_sleep=(0.0, 0.0),
    )
    sim = Simulation(cfg)
    sim.start(paused=True)
    assert sim.state == "paused"
    assert sim.ready.wait(60.0)
    return sim


def _play(sim: Simulation, order: list[str]) -> list[str]:
    """Step the workers in ``order``; each step must move exactly the worker named."""
    lines = []
    for worker in order:
        step = sim.step(worker, timeout=30.0)
        assert step is not None and step.event is not None, (worker, lines)
        assert step.worker == worker
        lines.append(step.why)
    return lines


def _race(backend: str, bug: str, order: list[str], consumers: int) -> tuple[Snapshot, list[str]]:
    sim = _paused_from_the_start(backend, bug, producers=2, consumers=consumers)
    try:
        lines = _play(sim, order)
    finally:
        sim.stop()
    return sim.snapshot(), lines


@pytest.mark.parametrize("backend", STEPPING)
def test_two_puts_into_one_slot_by_hand_lose_an_item_every_time(backend):
    for _ in range(REPEATS):
        snap, lines = _race(backend, "no-lock", LOST_ORDER, consumers=1)
        # the inside events say where each worker is: both read the same tail
        assert lines[1] == "P1 read tail = 0 without the lock: it will write P1-1 into slot 0"
        assert lines[3] == "P2 read tail = 0 without the lock: it will write P2-1 into slot 0"
        assert lines[7] == "C1 got P2-1 (1 in buffer)"  # P1-1 was overwritten
        assert snap.lost == 1, snap.violations
        assert not snap.ok
        assert any("1 item(s) lost" in v for v in snap.violations), snap.violations


@pytest.mark.parametrize("backend", STEPPING)
def test_the_same_order_on_the_correct_buffer_reports_nothing(backend):
    for _ in range(REPEATS):
        snap, lines = _race(backend, "none", LOST_ORDER, consumers=1)
        assert not any("without the lock" in line for line in lines)
        assert snap.ok, snap.violations
        assert snap.lost == 0 and snap.duplicates == 0


@pytest.mark.parametrize("backend", STEPPING)
def test_two_gets_of_one_slot_by_hand_take_an_item_twice(backend):
    for _ in range(REPEATS):
        snap, lines = _race(backend, "no-lock", DUPLICATE_ORDER, consumers=2)
        assert lines[6] == "C1 read head = 0 without the lock: it will take slot 0"
        assert lines[7] == "C2 read head = 0 without the lock: it will take slot 0"
        assert lines[8] == "C1 got P1-1 (1 in buffer)"
        assert lines[9] == "C2 got P1-1 (0 in buffer)"
        assert snap.duplicates == 1, snap.violations
        assert any("P1-1 consumed twice" in v for v in snap.violations), snap.violations


@pytest.mark.parametrize("backend", STEPPING)
def test_a_worker_in_the_race_window_can_always_move_and_stop_never_hangs(backend):
    """C1 has read head while the books say the buffer is empty (C2 took the item): it
    still moves, and a stop with workers held in the window ends them."""
    sim = _paused_from_the_start(backend, "no-lock", producers=1, consumers=2)
    try:
        _play(sim, ["P1", "P1", "P1", "C1", "C2", "C2"])
        assert sim.snapshot().in_buffer == 0
        step = sim.step("C1", timeout=30.0)
        assert step is not None and step.event is not None
        assert step.event.kind == Kind.GOT
        sim.step("P1", timeout=30.0)  # P1 made P1-2
        sim.step("P1", timeout=30.0)  # P1 read tail: it holds in the window
    finally:
        sim.stop()
    assert sim.snapshot().state == "stopped"


@pytest.mark.parametrize("backend", STEPPING)
def test_the_picture_shows_the_real_slots_and_the_figures_add_up_after_the_stop(backend):
    """After the overwrite, the books' buffer lists P1-1 and P2-1 while the real slots
    hold P2-1 and nothing: the snapshot's ``slots`` (what the canvas draws) are the real
    ones. After the stop, the books' buffer is the real one: produced = consumed + in
    buffer + lost (it said 1 in buffer beside 1 lost)."""
    from simulator.engine.events import item_id

    sim = _paused_from_the_start(backend, "no-lock", producers=2, consumers=1)
    try:
        _play(sim, LOST_ORDER[:6])
        snap = sim.snapshot()
        assert set(snap.buffer) == {item_id(1, 1), item_id(2, 1)}  # what the PUTs say
        assert snap.slots == (item_id(2, 1), -1)  # what the buffer holds: one, one slot
        _play(sim, LOST_ORDER[6:])
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.lost == 1 and snap.in_buffer == 0 and snap.buffer == ()
    assert snap.produced == snap.consumed + snap.in_buffer + snap.in_hand + snap.lost
    assert snap.slots is not None and not [i for i in snap.slots if i >= 0]


def test_a_correct_buffer_has_no_slots_of_its_own():
    sim = _paused_from_the_start("threads", "none", producers=1, consumers=1)
    try:
        _play(sim, ["P1", "P1"])
        assert sim.snapshot().slots is None  # the books' buffer is the truth
    finally:
        sim.stop()
