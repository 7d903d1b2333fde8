"""Single-step while paused: exactly one ordinary event per step, on real threads and
asyncio tasks; nothing moves between steps; the books stay exact."""

from __future__ import annotations

import time

import pytest

from simulator.engine.channel import EventChannel
from simulator.engine.config import SimulationConfig
from simulator.engine.events import Kind
from simulator.engine.simulation import STEP_KINDS, RunState, Simulation
from tests.engine.waiting import wait_for

READY_S = 60.0
#: how long a step may take to settle the pause and make its move (the default 2 s is
#: the window's; a loaded machine may need longer, and a step returns as soon as it moved)
STEP_S = 30.0
STEPPING = ["threads", "asyncio"]
#: the library queue and the hand-written buffers step the same way; "queue+inside" is
#: the queue with the Inside view on (on threads CPython's own Queue.put/get then run)
BUFFERS = ["queue", "queue+inside", "condition", "semaphore"]


def _config(backend: str, **kw) -> SimulationConfig:
    base = dict(
        backend=backend,
        producers=3,
        consumers=2,
        capacity=2,
        producer_sleep=(0.0, 0.005),
        consumer_sleep=(0.0, 0.005),
    )
    base.update(kw)
    return SimulationConfig(**base)


def _simulation(backend: str, **kw) -> Simulation:
    inside = kw.get("buffer") == "queue+inside"
    if inside:
        kw["buffer"] = "queue"
    return Simulation(_config(backend, **kw), inside=inside)


def _paused(backend: str, consumed: int = 20, **kw) -> tuple[Simulation, EventChannel]:
    sim = _simulation(backend, **kw)
    ch = sim.subscribe()
    sim.start()
    assert sim.ready.wait(READY_S)
    assert wait_for(lambda: sim.snapshot().consumed >= consumed)  # it really runs
    sim.pause()
    return sim, ch


def _balanced(sim: Simulation) -> None:
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.produced == snap.consumed + snap.in_buffer + snap.in_hand


@pytest.mark.parametrize("buffer", BUFFERS)
@pytest.mark.parametrize("backend", STEPPING)
def test_twenty_steps_make_exactly_one_event_each(backend, buffer):
    sim, ch = _paused(backend, buffer=buffer)
    try:
        first = sim.step(timeout=STEP_S)  # waits for the pause to settle, then moves one worker
        assert first is not None and first.event is not None
        ch.drain()  # whatever was under way when pause() returned
        workers = set()
        kinds = set()
        for i in range(20):
            assert ch.drain() == [], f"something moved before step {i}"
            before = sim.snapshot()
            step = sim.step(timeout=STEP_S)
            assert step is not None, "with sleeps only, someone can always move"
            assert step.event is not None
            events = [e for e in ch.drain() if e.kind in STEP_KINDS]
            assert len(events) == 1, (i, events)
            assert events[0] == step.event and events[0].worker == step.worker
            assert step.why and step.worker in step.why
            after = sim.snapshot()
            assert after.last_step == (step.worker, step.why)
            # the snapshot counts moved by at most that one event
            assert after.produced - before.produced == (step.event.kind == Kind.PRODUCED)
            assert after.consumed - before.consumed == (step.event.kind == Kind.CONSUMED)
            _balanced(sim)
            workers.add(step.worker)
            kinds.add(step.event.kind)
        assert len(workers) >= 3, workers  # round robin: not always the same worker
        assert Kind.PUT in kinds and Kind.GOT in kinds, kinds
        time.sleep(0.3)
        assert ch.drain() == [], "something moved after the last step"
        assert sim.state == RunState.PAUSED
        sim.resume()
        n = sim.snapshot().consumed
        assert wait_for(lambda: sim.snapshot().consumed > n + 10)  # it goes on
        assert sim.snapshot().last_step is None
    finally:
        sim.stop()
    _balanced(sim)


@pytest.mark.parametrize("buffer", BUFFERS)
@pytest.mark.parametrize("backend", STEPPING)
def test_a_named_worker_walks_its_loop_one_event_at_a_time(backend, buffer):
    # only P1 steps: it fills the buffer (capacity 2) and then cannot move; C1 makes room
    sim, ch = _paused(backend, producers=1, consumers=1, buffer=buffer)
    try:
        sim.step(timeout=STEP_S)
        ch.drain()
        seen = []
        for _ in range(12):
            step = sim.step("P1", timeout=STEP_S)
            if step is None:  # P1 waits on a full buffer: it cannot move
                assert sim.snapshot().in_buffer == 2
                step = sim.step("C1", timeout=STEP_S)
                assert step is not None
            assert step.event is not None
            seen.append((step.worker, Kind(step.event.kind).name))
            assert len([e for e in ch.drain() if e.kind in STEP_KINDS]) == 1
        p1 = [k for w, k in seen if w == "P1"]
        # the producer's loop, in order: sleep, made, put (or wait to put)
        assert "PRODUCED" in p1 and ("PUT" in p1 or "PUT_WAIT" in p1), seen
        _balanced(sim)
        with pytest.raises(ValueError, match="no worker"):
            sim.step("P9")
    finally:
        sim.stop()
    _balanced(sim)


@pytest.mark.parametrize("buffer", BUFFERS)
@pytest.mark.parametrize("backend", STEPPING)
def test_a_step_over_a_long_sleep_takes_the_sleep_then_the_next_event(backend, buffer):
    sim, ch = _paused(
        backend,
        2,
        producers=1,
        consumers=1,
        producer_sleep=(0.2, 0.25),
        consumer_sleep=(0, 0),
        buffer=buffer,
    )
    try:
        # walk P1 until it starts a sleep; its next step sleeps it out and makes the item
        for _ in range(6):
            step = sim.step("P1", timeout=STEP_S)
            if step is not None and step.event is not None and step.event.kind == Kind.SLEEP:
                break
        else:
            pytest.fail("P1 never began a sleep")
        ch.drain()
        step = sim.step("P1", timeout=STEP_S)
        assert step is not None and step.event is not None
        assert step.event.kind == Kind.PRODUCED
        assert len([e for e in ch.drain() if e.kind in STEP_KINDS]) == 1
    finally:
        sim.stop()
    _balanced(sim)


@pytest.mark.parametrize("buffer", BUFFERS)
@pytest.mark.parametrize("backend", STEPPING)
def test_step_only_while_paused_and_stop_never_hangs(backend, buffer):
    sim = _simulation(backend, buffer=buffer)
    with pytest.raises(ValueError, match="paused"):
        sim.step(timeout=STEP_S)  # idle
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        with pytest.raises(ValueError, match="paused"):
            sim.step(timeout=STEP_S)  # running
        sim.pause()
        for _ in range(5):
            sim.step(timeout=STEP_S)
    finally:
        t0 = time.monotonic()
        sim.stop()
        assert time.monotonic() - t0 < 10.0
    _balanced(sim)
    with pytest.raises(ValueError, match="paused"):
        sim.step(timeout=STEP_S)  # stopped


def _step_until(sim: Simulation, worker: str, kind: Kind) -> None:
    """Step ``worker`` until it writes ``kind`` or cannot move (it waits)."""
    for _ in range(30):
        step = sim.step(worker, timeout=STEP_S)
        if step is None or (step.event is not None and step.event.kind == kind):
            return
    pytest.fail(f"{worker} never wrote {kind.name}")


@pytest.mark.parametrize("buffer", BUFFERS)
@pytest.mark.parametrize("backend", STEPPING)
def test_no_deadlock_while_paused_even_if_everyone_waits(backend, buffer):
    # stepped into a state where every worker's books say "waiting" (C1 on an empty
    # buffer, then P1 on a full one): paused time is not quiet running time
    sim, _ch = _paused(
        backend,
        producers=1,
        consumers=1,
        producer_sleep=(0, 0),
        consumer_sleep=(0, 0),
        buffer=buffer,
    )
    try:
        _step_until(sim, "C1", Kind.GET_WAIT)
        _step_until(sim, "P1", Kind.PUT_WAIT)
        states = {w.name: w.state for w in sim.snapshot().workers}
        assert states == {"P1": "waiting: buffer full", "C1": "waiting: buffer empty"}, states
        assert not sim.deadlocked.wait(2.5)  # > DEADLOCK_AFTER_S, all of it paused
        assert not sim.snapshot().deadlock
        sim.resume()
        n = sim.snapshot().consumed
        assert wait_for(lambda: sim.snapshot().consumed > n + 10)  # it goes on
        assert not sim.snapshot().deadlock
    finally:
        sim.stop()
    _balanced(sim)


def test_everyone_blocked_means_nobody_can_move():
    # the producer stops at the item limit: the consumers then wait on an empty buffer
    sim = Simulation(_config("threads", producers=1, consumers=2, items=5))
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        assert sim.finished.wait(30)
        assert wait_for(
            lambda: all(
                w.state in ("stopped", "waiting: buffer empty") for w in sim.snapshot().workers
            )
        )
        sim.pause()
        assert sim.step(timeout=STEP_S) is None
        assert sim.snapshot().last_step is not None
        assert "nobody" in sim.snapshot().last_step[1]
        assert sim.step("C1", timeout=STEP_S) is None
    finally:
        sim.stop()


def test_processes_say_step_is_not_available():
    sim = Simulation(_config("processes", producers=1, consumers=1))
    sim.start()
    try:
        assert sim.ready.wait(READY_S)
        sim.pause()
        with pytest.raises(ValueError, match="not available on processes"):
            sim.step(timeout=STEP_S)
    finally:
        sim.stop()


def test_remote_steps_and_says_why_on_processes():
    from simulator.engine.remote import RemoteSimulation

    sim = RemoteSimulation(_config("asyncio"))
    try:
        sim.start()
        assert wait_for(lambda: sim.snapshot().consumed >= 10)
        sim.pause()
        steps = [sim.step() for _ in range(3)]
        assert all(s is not None and s.event is not None for s in steps)
        last = steps[-1]
        assert last is not None
        assert sim.snapshot().last_step == (last.worker, last.why)
        sim.stop()
        sim.forget()
        sim.apply(_config("processes", producers=1, consumers=1))
        sim.start()
        assert wait_for(lambda: sim.snapshot().started_at > 0 and sim.snapshot().consumed >= 1)
        sim.pause()
        with pytest.raises(RuntimeError, match="not available on processes"):
            sim.step()
    finally:
        sim.close()


@pytest.mark.parametrize("backend", STEPPING)
def test_stop_during_a_long_step_does_not_wait_for_it(backend):
    import threading

    sim, _ = _paused(
        backend, 0, producers=1, consumers=1, producer_sleep=(10, 10), consumer_sleep=(0, 0)
    )
    try:
        out: list[object] = []
        # P1 is in a 10 s sleep (or starts one): a step that must finish it waits long
        t = threading.Thread(target=lambda: out.append(sim.step("P1", 60.0)))
        t.start()
        # the step is under way, or done if it only began the sleep (not a fixed sleep: a
        # stop before step() began would make it refuse, not the stop this test is about)
        assert wait_for(lambda: bool(out) or sim._pending is not None)
    finally:
        t0 = time.monotonic()
        sim.stop()
        took = time.monotonic() - t0
    t.join(10)
    assert not t.is_alive() and out
    assert took < 5.0
    step = out[0]
    assert step is not None and step.worker == "P1"
    _balanced(sim)
