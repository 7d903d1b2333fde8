"""The full-buffer policies (issue 14, part 3): block, timeout, drop-newest, drop-oldest.

Every policy on every buffer and backend that offers it runs fast producers into slow
consumers (the buffer is full most of the time) and must balance the extended books
exactly: produced = consumed + in buffer + in hand + rejected + overwritten; a dropping
policy must really drop, and the run stays ``ok``. The Inside view's path (the library's
own ``queue.Queue.put(timeout=…)`` / ``put_nowait``) is run too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from simulator.engine.config import ConfigError, NotOffered, SimulationConfig
from simulator.engine.events import (
    K_OVERWRITTEN,
    K_PUT,
    K_REJECTED,
    got_event,
    is_inside,
    overwritten_event,
    produced_event,
    put_event,
    rejected_event,
)
from simulator.engine.ledger import Ledger
from simulator.engine.simulation import STEP_KINDS, Simulation, Snapshot
from tests.engine.waiting import wait_for, wait_still

POLICIES = ("block", "timeout", "drop-newest", "drop-oldest")
DROPPING = {"timeout": "rejected", "drop-newest": "rejected", "drop-oldest": "overwritten"}


def _run(
    config: SimulationConfig,
    seconds: float = 1.2,
    inside: bool = False,
    until: Callable[[Snapshot], bool] | None = None,
):
    """Run ``config`` for ``seconds``, and on until ``until(snapshot)`` holds (a loaded
    machine may need longer than ``seconds`` for what the test is about to happen)."""
    sim = Simulation(config, inside=inside)
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(60.0)
        time.sleep(seconds)
        if until is not None:
            assert wait_for(lambda: until(sim.snapshot()), timeout=60.0), sim.snapshot()
    finally:
        sim.stop()
    return sim.snapshot(), ch.drain()


def _config(backend: str, buffer: str, policy: str) -> SimulationConfig:
    return SimulationConfig(
        backend=backend,
        buffer=buffer,
        full_policy=policy,
        put_timeout=0.05,
        producers=3,
        consumers=2,
        capacity=5,
        producer_sleep=(0.0, 0.01),
        consumer_sleep=(0.02, 0.04),
        seed=3,
    )


def _books(snap: Snapshot) -> tuple[int, ...]:
    """The counts a paused run must keep still."""
    return (snap.produced, snap.consumed, snap.in_buffer, snap.rejected, snap.overwritten)


def _balances(snap) -> None:
    assert snap.ok, snap.violations
    assert snap.produced == (
        snap.consumed + snap.in_buffer + snap.in_hand + snap.rejected + snap.overwritten
    )
    assert snap.lost == 0 and snap.duplicates == 0


CASES = [
    (backend, buffer, policy, inside)
    for backend in ("threads", "asyncio")
    for buffer in ("queue", "condition", "semaphore")
    for policy in POLICIES
    for inside in (False, True)
] + [("processes", "queue", policy, False) for policy in ("block", "timeout", "drop-newest")]


@pytest.mark.parametrize(("backend", "buffer", "policy", "inside"), CASES)
def test_each_policy_balances_the_books_and_drops_what_it_says(backend, buffer, policy, inside):
    word = DROPPING.get(policy)
    until = None if word is None else (lambda snap: getattr(snap, word) > 0)
    snap, events = _run(_config(backend, buffer, policy), inside=inside, until=until)
    _balances(snap)
    kinds = {ev.kind for ev in events}
    if word is None:
        assert snap.rejected == snap.overwritten == 0
        assert not kinds & {K_REJECTED, K_OVERWRITTEN}
        return
    assert getattr(snap, word) > 0, (word, snap)
    other = "overwritten" if word == "rejected" else "rejected"
    assert getattr(snap, other) == 0
    ids = snap.rejected_ids if word == "rejected" else snap.overwritten_ids
    assert ids and len(ids) <= 20
    # a dropped item is never seen taken: every GOT is of an item that was put and not
    # overwritten before it (the books would say so: ok above), and no rejected item put
    rejected = {ev.item for ev in events if ev.kind == K_REJECTED}
    put = {ev.item for ev in events if ev.kind == K_PUT}
    assert not rejected & put
    assert snap.dropped_rate >= 0.0


def test_a_policy_change_is_live():
    """The next put follows the new policy: block, then drop-newest, then block."""
    cfg = _config("threads", "queue", "block")
    sim = Simulation(cfg)
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(30.0)
        time.sleep(0.4)
        assert sim.snapshot().rejected == 0
        sim.apply(cfg.replace(full_policy="drop-newest"))
        assert wait_for(lambda: sim.snapshot().rejected > 0)
        sim.apply(cfg)
        t_block = time.monotonic()
        # A put under way when apply() returned may still end by the old policy, however
        # late a loaded machine lets it end; every put a producer starts after its first
        # outcome since then follows block. Wait until each producer made three more.
        events: list = []

        def outcomes() -> dict[str, list[int]]:
            events.extend(ch.drain())
            done: dict[str, list[int]] = {f"P{i}": [] for i in range(1, cfg.producers + 1)}
            for ev in events:
                if ev.t > t_block and ev.kind in (K_PUT, K_REJECTED):
                    done[ev.worker].append(ev.kind)
            return done

        assert wait_for(lambda: all(len(k) >= 4 for k in outcomes().values())), outcomes()
    finally:
        sim.stop()
    for name, kinds in outcomes().items():
        assert K_REJECTED not in kinds[1:], (name, kinds)
    _balances(sim.snapshot())


def test_a_dropping_run_is_never_a_deadlock():
    """Consumers that never take: with block it is no deadlock either (they sleep), but
    with timeout every producer waits and times out over and over: never stuck."""
    cfg = _config("threads", "queue", "timeout").replace(
        consumer_sleep=(5.0, 5.0), put_timeout=1.5, producers=2, consumers=1
    )
    snap, _ = _run(cfg, seconds=2.5)
    assert not snap.deadlock
    _balances(snap)


def test_a_pause_drops_nothing():
    """While paused no put completes, and none is dropped either."""
    sim = Simulation(_config("threads", "condition", "drop-newest"))
    sim.start()
    try:
        assert sim.ready.wait(30.0)
        time.sleep(0.3)
        sim.pause()
        wait_still(lambda: _books(sim.snapshot()))  # what was under way is booked
        before = sim.snapshot()
        time.sleep(0.5)
        after = sim.snapshot()
        assert (after.rejected, after.produced) == (before.rejected, before.produced)
        sim.resume()
        time.sleep(0.3)
    finally:
        sim.stop()
    _balances(sim.snapshot())


def test_the_ledger_books_drops_by_id():
    led = Ledger(strict=True)
    p1 = 1 << 32
    led.feed(
        [
            produced_event("P1", p1 | 1),
            put_event("P1", p1 | 1, 1),
            produced_event("P1", p1 | 2),
            rejected_event("P1", p1 | 2, 1),
            produced_event("P1", p1 | 3),
            overwritten_event("P1", p1 | 1, 0),
            put_event("P1", p1 | 3, 1),
        ]
    )
    assert (led.produced, led.rejected, led.overwritten, led.in_buffer, led.in_hand) == (
        3,
        1,
        1,
        1,
        0,
    )
    assert led.rejected_ids == [p1 | 2] and led.overwritten_ids == [p1 | 1]
    assert led.ok
    # an overwritten item taken later: a violation (it is no longer in the buffer)
    led.feed([got_event("C1", p1 | 1, 0)])
    assert not led.ok and "P1-1" in led.violations[0]


def test_the_overwritten_item_counts_as_done_for_join():
    """drop-oldest: the buffer's unfinished tasks equal the items in it, so join()
    returns once the consumers finish what is left."""
    from simulator.engine.backends.thread_buffer import BoundedBuffer
    from simulator.engine.backends.thread_buffers import ConditionBuffer, SemaphoreBuffer

    for cls in (BoundedBuffer, ConditionBuffer, SemaphoreBuffer):
        events: list = []
        buf = cls(2, events.append, False)
        for i in range(5):
            buf.offer(i, "P1", "drop-oldest", 0.1)
        assert buf.snapshot() == [3, 4]
        assert buf.unfinished_tasks == 2
        assert [ev[3] for ev in events if ev[1] == K_OVERWRITTEN] == [0, 1, 2]
        for _ in range(2):
            buf.get_item("C1", lambda: False)
            buf.task_done()
        buf.join()  # returns: every item is done (consumed or overwritten)


@pytest.mark.parametrize(
    ("policy", "left", "paused", "choice"),
    [
        ("timeout", 0.5, False, "wait"),
        ("timeout", 0.0, False, "reject"),
        ("drop-newest", 0.5, False, "reject"),
        ("drop-oldest", 0.0, False, "overwrite"),
        ("drop-oldest", 0.0, True, "wait"),
        ("drop-newest", 0.0, True, "wait"),
    ],
)
def test_the_hand_written_buffers_decide_a_full_buffer_alike(policy, left, paused, choice):
    """The one decision the thread and asyncio monitors share: never drop while paused."""
    from simulator.engine.backends.slot_books import on_full

    assert on_full(policy, left, paused) == choice


def test_processes_refuse_drop_oldest_and_bugs_need_block():
    with pytest.raises(NotOffered) as err:
        SimulationConfig(backend="processes", full_policy="drop-oldest")
    assert err.value.describe("--full-policy").startswith(
        "--full-policy drop-oldest is not offered on processes ("
    )
    with pytest.raises(ConfigError, match="block when a bug is chosen"):
        SimulationConfig(buffer="condition", bug="no-lock", full_policy="timeout")
    with pytest.raises(ConfigError, match=r"0.001–10 s"):
        SimulationConfig(put_timeout=0)


STEP_BUFFERS = ["queue", "queue+inside", "condition", "semaphore"]


@pytest.mark.parametrize("buffer", STEP_BUFFERS)
@pytest.mark.parametrize("backend", ["threads", "asyncio"])
@pytest.mark.parametrize("policy", ["drop-newest", "drop-oldest"])
def test_a_step_on_a_full_buffer_drops_exactly_as_the_policy_says(backend, buffer, policy):
    """Paused with the buffer full: stepping the producer makes it drop (REJECTED) or
    overwrite and put (OVERWRITTEN, then PUT); each step is one ordinary event."""
    inside = buffer == "queue+inside"
    cfg = _config(backend, "queue" if inside else buffer, policy).replace(
        producers=1, consumers=1, capacity=2, producer_sleep=(0.0, 0.0), consumer_sleep=(5, 5)
    )
    sim = Simulation(cfg, inside=inside)
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(60.0)
        deadline = time.monotonic() + 30.0

        # C1 working on its item (5 s) and P1 dropping: only P1 moves, on a full buffer
        def c1_busy() -> bool:
            snap = sim.snapshot()
            c1 = [w for w in snap.workers if w.name == "C1"]
            return bool(c1 and c1[0].item >= 0 and snap.rejected + snap.overwritten > 0)

        while not c1_busy():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.1)
        sim.pause()
        wait_still(lambda: _books(sim.snapshot()))  # what was under way is booked
        ch.drain()
        # (a pause may find P1 between an overwrite and its put, which are two steps of
        # the library's queue and the semaphore buffer: its first step is then that PUT)
        want = K_REJECTED if policy == "drop-newest" else K_OVERWRITTEN
        seen: list[int] = []
        for _ in range(6):  # PRODUCED, then the drop (or the overwrite and its PUT), ...
            step = sim.step("P1", timeout=10.0)
            assert step is not None and step.event is not None, step
            assert step.event.kind in STEP_KINDS  # one ordinary event a step
            seen += [ev.kind for ev in ch.drain() if ev.worker == "P1" and not is_inside(ev.kind)]
            if want in seen:
                break
        assert want in seen, seen
        if policy == "drop-oldest":  # the overwrite rides along with the step's PUT
            assert seen[seen.index(K_OVERWRITTEN) + 1] == K_PUT
        before = sim.snapshot()
        time.sleep(0.3)  # nothing moves between steps
        assert sim.snapshot().produced == before.produced
    finally:
        sim.stop()
    _balances(sim.snapshot())
