"""The hand-written buffers, their bugs, the inside events and deadlock detection, on real
threads and asyncio tasks."""

from __future__ import annotations

import time

import pytest

from simulator.engine.config import ConfigError, SimulationConfig
from simulator.engine.events import INSIDE_KINDS, Kind
from simulator.engine.simulation import Simulation
from tests.engine.waiting import wait_for

ASYNC_AND_THREADS = ["threads", "asyncio"]


def run_until(sim: Simulation, predicate, timeout: float = 30.0) -> None:
    sim.start()
    try:
        wait_for(predicate, timeout)
    finally:
        sim.stop()


# ---- settings -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"backend": "processes", "buffer": "condition"}, "buffer"),
        ({"backend": "processes", "buffer": "semaphore"}, "buffer"),
        ({"bug": "no-lock"}, "buffer"),  # the queue cannot be broken
        ({"bug": "lost-wakeup", "buffer": "semaphore"}, "buffer"),
        ({"bug": "if-not-while", "buffer": "condition", "backend": "processes"}, "buffer"),
    ],
)
def test_combinations_that_do_not_exist_name_the_field(changes, field):
    with pytest.raises(ConfigError) as err:
        SimulationConfig(**changes)
    assert err.value.field == field


# ---- the issue's exact runs, on every buffer ----------------------------------------
@pytest.mark.parametrize("backend", ASYNC_AND_THREADS)
@pytest.mark.parametrize("buffer", ["queue", "condition", "semaphore"])
def test_the_issue_run_is_exact_on_every_buffer(backend, buffer):
    cfg = SimulationConfig(
        backend=backend,
        buffer=buffer,
        items=500,
        producers=3,
        consumers=2,
        capacity=5,
        producer_sleep=(0, 0.01),
        consumer_sleep=(0, 0.02),
    )
    sim = Simulation(cfg)
    sim.start()
    try:
        assert sim.finished.wait(60), "the item limit was not reached"
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.produced == snap.consumed == 500
    assert snap.max_occupancy <= 5
    assert not snap.deadlock
    assert snap.buffer_kind == buffer


# ---- the bugs -----------------------------------------------------------------------
BUGGY = dict(
    buffer="condition",
    producers=4,
    consumers=4,
    capacity=5,
    producer_sleep=(0, 0.001),
    consumer_sleep=(0, 0.001),
)


@pytest.mark.parametrize("backend", ASYNC_AND_THREADS)
def test_no_lock_breaks_the_books(backend):
    sim = Simulation(SimulationConfig(backend=backend, bug="no-lock", **BUGGY))
    run_until(sim, lambda: not sim.snapshot().ok)
    snap = sim.snapshot()
    assert not snap.ok
    assert any("twice" in v or "never put" in v or "buffer reported" in v for v in snap.violations)


@pytest.mark.parametrize("backend", ASYNC_AND_THREADS)
def test_if_not_while_fails_a_get_on_an_empty_buffer(backend):
    cfg = SimulationConfig(backend=backend, bug="if-not-while", **BUGGY)
    # more consumers than producers: a woken consumer often finds its item taken
    cfg = cfg.replace(producers=2, consumers=6, capacity=2)
    sim = Simulation(cfg)
    run_until(sim, lambda: not sim.snapshot().ok, timeout=60)
    snap = sim.snapshot()
    assert any("IndexError" in v for v in snap.violations), snap.violations


@pytest.mark.parametrize("backend", ASYNC_AND_THREADS)
def test_lost_wakeup_at_capacity_one_deadlocks(backend):
    cfg = SimulationConfig(backend=backend, bug="lost-wakeup", **BUGGY).replace(
        producers=3, consumers=3, capacity=1
    )
    sim = Simulation(cfg)
    sim.start()
    try:
        assert sim.deadlocked.wait(30), "no deadlock within 30 s"
        snap = sim.snapshot()
    finally:
        sim.stop()
    assert snap.deadlock
    assert {w for w, _ in snap.waits} == {"P1", "P2", "P3", "C1", "C2", "C3"}
    assert {on for _, on in snap.waits} == {"changed"}
    assert snap.ok  # a deadlock loses nothing: the books stay exact
    assert sim.snapshot().deadlock  # the stop does not clear it


@pytest.mark.parametrize("backend", ASYNC_AND_THREADS)
@pytest.mark.parametrize("buffer", ["queue", "condition", "semaphore"])
def test_without_a_bug_no_violation_and_no_deadlock(backend, buffer):
    # slow consumers: producers wait on a full buffer most of the time, yet something
    # always moves, so it is never a deadlock
    cfg = SimulationConfig(
        backend=backend,
        buffer=buffer,
        producers=3,
        consumers=3,
        capacity=1,
        producer_sleep=(0, 0.001),
        consumer_sleep=(0, 0.001),
    )
    sim = Simulation(cfg)
    sim.start()
    try:
        assert wait_for(lambda: sim.snapshot().consumed >= 200)
        assert not sim.deadlocked.wait(1.5)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert not snap.deadlock and snap.waits == ()


def test_a_finished_items_run_is_not_a_deadlock():
    cfg = SimulationConfig(items=20, producer_sleep=(0, 0), consumer_sleep=(0, 0))
    sim = Simulation(cfg)
    sim.start()
    try:
        assert sim.finished.wait(30)
        time.sleep(1.5)  # every worker left waits on an empty buffer: not a deadlock
        assert not sim.snapshot().deadlock
    finally:
        sim.stop()


def test_paused_time_does_not_count_toward_a_deadlock():
    cfg = SimulationConfig(
        producers=1, consumers=1, capacity=1, producer_sleep=(0, 0), consumer_sleep=(0, 0)
    )
    sim = Simulation(cfg)
    sim.start()
    try:
        assert wait_for(lambda: sim.snapshot().consumed >= 5)
        sim.pause()
        assert not sim.deadlocked.wait(1.5)
        assert not sim.snapshot().deadlock
    finally:
        sim.stop()


# ---- the inside events ---------------------------------------------------------------
def _kinds(backend: str, buffer: str, inside: bool) -> set[int]:
    cfg = SimulationConfig(
        backend=backend,
        buffer=buffer,
        producers=2,
        consumers=2,
        capacity=1,
        producer_sleep=(0, 0.001),
        consumer_sleep=(0, 0.002),
        items=200,
    )
    sim = Simulation(cfg, inside=inside)
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.finished.wait(60)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.produced == snap.consumed == 200
    if inside:
        assert snap.inside is not None and snap.inside["unfinished_tasks"] == 0
        lock = snap.inside["lock"]  # None: asyncio.Queue has no lock
        assert (
            lock is None if (backend, buffer) == ("asyncio", "queue") else lock["holder"] is None
        )
    else:
        assert snap.inside is None
    return {ev.kind for ev in ch.drain()}


@pytest.mark.parametrize(
    ("backend", "buffer", "expected"),
    [
        ("threads", "queue", {"LOCK_HELD", "LOCK_FREE", "COND_WAIT", "COND_WOKE", "TASKS"}),
        ("threads", "condition", {"LOCK_HELD", "COND_WAIT", "COND_WOKE", "NOTIFY", "TASKS"}),
        ("threads", "semaphore", {"LOCK_HELD", "SEM_WAIT", "SEM_TAKE", "SEM_GIVE", "TASKS"}),
        ("asyncio", "condition", {"LOCK_HELD", "COND_WAIT", "COND_WOKE", "NOTIFY", "TASKS"}),
        ("asyncio", "semaphore", {"SEM_WAIT", "SEM_TAKE", "SEM_GIVE", "TASKS"}),
        # asyncio.Queue's own put/get: no lock; its waiter futures as not_full / not_empty
        ("asyncio", "queue", {"COND_WAIT", "COND_WOKE", "TASKS"}),
    ],
)
def test_inside_events_only_when_asked(backend, buffer, expected):
    on = {Kind(k).name for k in _kinds(backend, buffer, inside=True)}
    assert expected <= on, expected - on
    off = _kinds(backend, buffer, inside=False)
    assert not off & set(INSIDE_KINDS)


def test_snapshot_inside_shows_the_waiters_of_a_deadlock():
    cfg = SimulationConfig(bug="lost-wakeup", **BUGGY).replace(
        producers=3, consumers=3, capacity=1
    )
    sim = Simulation(cfg, inside=True)
    sim.start()
    try:
        assert sim.deadlocked.wait(30)
        inside = sim.snapshot().inside
    finally:
        sim.stop()
    assert inside is not None
    assert sorted(inside["conditions"]["changed"]) == ["C1", "C2", "C3", "P1", "P2", "P3"]
    assert inside["lock"]["holder"] is None


@pytest.mark.parametrize(
    ("backend", "buffer", "bug", "shows"),
    [
        ("threads", "condition", "none", "self.not_full.wait()"),
        ("threads", "condition", "if-not-while", "if self.count == 0"),
        ("threads", "condition", "lost-wakeup", "self.changed.wait()"),
        ("asyncio", "condition", "no-lock", "await asyncio.sleep(0)"),
        ("threads", "semaphore", "none", "self.full.release()"),
        ("threads", "queue", "none", "self.not_empty.notify()"),
        ("asyncio", "queue", "none", "await putter"),
    ],
)
def test_the_code_shown_is_the_code_that_runs(backend, buffer, bug, shows):
    import inspect

    from simulator.engine.backends import buffer_code

    code = buffer_code(backend, buffer, bug)
    assert set(code) == {"put", "get"}
    assert shows in inspect.getsource(code["put"]) + inspect.getsource(code["get"])


def test_asyncio_queue_inside_runs_the_librarys_own_put_and_get():
    """With the Inside view on, asyncio.Queue.put/get themselves run (on the hooks): the
    waiters are named by what they wait for, and none is left waiting at the end."""
    import asyncio

    from simulator.engine.backends import buffer_code

    code = buffer_code("asyncio", "queue")
    assert code == {"put": asyncio.Queue.put, "get": asyncio.Queue.get}
    cfg = SimulationConfig(
        backend="asyncio",
        producers=3,
        consumers=2,
        capacity=1,
        producer_sleep=(0, 0.001),
        consumer_sleep=(0, 0.002),
        items=200,
    )
    sim = Simulation(cfg, inside=True)
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.finished.wait(60)
    finally:
        sim.stop()
    events = ch.drain()
    waits = {(e.worker[0], e.value) for e in events if e.kind == Kind.COND_WAIT}
    assert waits <= {("P", "not_full"), ("C", "not_empty")}, waits
    assert ("P", "not_full") in waits
    # every PUT_WAIT / GET_WAIT comes with the worker's COND_WAIT on the right future
    for e in events:
        if e.kind in (Kind.PUT_WAIT, Kind.GET_WAIT):
            on = "not_full" if e.kind == Kind.PUT_WAIT else "not_empty"
            assert (e.worker[0], on) in waits
    snap = sim.snapshot()
    assert snap.ok and snap.produced == snap.consumed == 200
    assert snap.inside is not None
    assert all(not w for w in snap.inside["conditions"].values()), snap.inside
