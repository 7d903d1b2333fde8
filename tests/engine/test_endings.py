"""The endings (issue 15, part 3): drain, poison-pill, join, terminate on every backend and
buffer, ``--bug missing-task-done`` on every buffer, and the books they keep.

Each ending is applied to a run with a full buffer and items in hand (fast producers,
slower consumers), so there is something to drain, to queue pills behind, to join on or
to discard; every one must stop (never hang) and balance produced = consumed + in buffer
+ in hand + discarded, with discarded 0 but for terminate.
"""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from simulator.engine.config import ConfigError, SimulationConfig
from simulator.engine.events import (
    K_CONSUMED,
    K_GOT,
    K_PUT,
    MAIN,
    NO_TASK_DONE,
    Kind,
    consumed_event,
    got_event,
    is_pill,
    item_label,
    pill_id,
    produced_event,
    put_event,
    stopped_event,
)
from simulator.engine.ledger import Ledger
from simulator.engine.simulation import STOPPED, Simulation
from tests.engine.waiting import BACKEND_BUFFERS, BACKENDS, wait_for

ENDINGS = ("drain", "poison-pill", "join", "terminate")
LOAD = {"producer_sleep": (0.0, 0.01), "consumer_sleep": (0.02, 0.04), "capacity": 6}


def _started(config: SimulationConfig) -> tuple[Simulation, object]:
    sim = Simulation(config)
    ch = sim.subscribe()
    sim.start()
    assert sim.ready.wait(60.0)
    assert wait_for(lambda: sim.snapshot().in_buffer >= 3, 30.0), "the buffer fills"
    return sim, ch


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize(("backend", "buffer"), BACKEND_BUFFERS)
def test_every_ending_stops_and_balances_the_books(backend, buffer, ending):
    if backend == "redis" and ending == "join":
        pytest.skip("redis offers no join() (see test_redis: it is refused, exit 2)")
    sim, ch = _started(SimulationConfig(backend=backend, buffer=buffer, **LOAD))
    t0 = time.monotonic()
    sim.stop(ending=ending)
    took = time.monotonic() - t0
    snap = sim.snapshot()
    events = ch.drain()
    assert snap.state == STOPPED and snap.ending == ending
    assert snap.ok, snap.violations
    assert took < 20.0  # never hangs (the endings wait at most 10 s, then stop)
    assert snap.produced == snap.consumed + snap.in_buffer + snap.in_hand + snap.discarded
    if ending == "terminate":
        assert snap.discarded > 0 and snap.in_buffer == snap.in_hand == 0
        assert len(set(snap.discarded_ids)) == snap.discarded
        consumed = {e.item for e in events if e.kind == K_CONSUMED}
        assert not consumed & set(snap.discarded_ids), "a discarded item was not consumed"
        assert any("terminate discarded" in w for w in snap.warnings)
    else:
        assert snap.discarded == 0
        assert snap.produced == snap.consumed, "nothing is lost or left behind"
        assert snap.unfinished_tasks == 0 and snap.stuck_join is None
    pills = [e for e in events if is_pill(e.item)]
    if ending == "poison-pill":
        puts = [e for e in pills if e.kind == K_PUT]
        gots = [e for e in pills if e.kind == K_GOT]
        assert {e.worker for e in puts} == {MAIN} and len(puts) == 2  # one per consumer
        assert sorted(e.worker for e in gots) == ["C1", "C2"]
    else:
        assert not pills


@pytest.mark.parametrize(("backend", "buffer"), [b for b in BACKEND_BUFFERS if b[0] != "redis"])
def test_missing_task_done_makes_join_stuck_on_every_buffer(backend, buffer):
    cfg = SimulationConfig(backend=backend, buffer=buffer, bug="missing-task-done", **LOAD)
    sim, ch = _started(cfg)
    t0 = time.monotonic()
    sim.stop(ending="join")
    took = time.monotonic() - t0
    snap = sim.snapshot()
    assert snap.stuck_join, "join() can never return: the items are named"
    assert len(snap.stuck_join) == snap.unfinished_tasks >= snap.consumed > 0
    assert snap.ok  # nothing lost: only never marked done
    assert took < 20.0
    undone = [e for e in ch.drain() if e.kind == K_CONSUMED]
    assert undone and all(e.value == NO_TASK_DONE for e in undone)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "redis"])  # (no bug there)
def test_missing_task_done_with_the_other_endings_still_stops(backend):
    cfg = SimulationConfig(backend=backend, bug="missing-task-done", **LOAD)
    for ending in ("drain", "poison-pill"):
        sim, _ = _started(cfg)
        sim.stop(ending=ending)
        snap = sim.snapshot()
        assert snap.ok and snap.produced == snap.consumed and snap.stuck_join is None
        assert snap.unfinished_tasks == snap.consumed  # every one left unfinished


def test_join_shows_what_it_waits_for_while_it_waits():
    cfg = SimulationConfig(producer_sleep=(0.0, 0.01), consumer_sleep=(0.3, 0.4), capacity=6)
    sim, _ = _started(cfg)
    seen: list[tuple[int, tuple[int, ...]]] = []
    ender = threading.Thread(target=sim.stop, kwargs={"ending": "join"})
    ender.start()
    try:
        assert wait_for(lambda: sim.snapshot().join_waits_for)
        while ender.is_alive():
            snap = sim.snapshot()
            if snap.join_waits_for:
                seen.append((snap.unfinished_tasks, snap.join_waits_for))
            time.sleep(0.05)
    finally:
        ender.join(30.0)
    counts = [n for n, _ in seen]
    assert counts[0] > counts[-1] >= 0, "the counter counts down"
    assert all(a >= b for a, b in itertools.pairwise(counts))
    assert sim.snapshot().stuck_join is None


def test_items_end_at_the_nth_produced_when_an_ending_is_chosen():
    cfg = SimulationConfig(items=40, shutdown="terminate", **LOAD)
    sim = Simulation(cfg)
    sim.start()
    assert sim.finished.wait(60.0)
    sim.stop(ending="terminate")
    snap = sim.snapshot()
    assert snap.produced == 40 and snap.consumed < 40 and snap.ok
    assert snap.consumed + snap.discarded == 40


def test_shutdown_and_the_bug_are_checked_settings():
    with pytest.raises(ConfigError, match="shutdown"):
        SimulationConfig(shutdown="explode")
    # missing-task-done is the consumers' bug: any buffer, any backend
    SimulationConfig(bug="missing-task-done", backend="processes")
    SimulationConfig(bug="missing-task-done", buffer="semaphore", full_policy="drop-oldest")


def test_the_ledger_books_pills_apart_and_discards_by_id():
    led = Ledger()
    a, b = 1 << 32 | 1, 1 << 32 | 2
    led.feed(
        [
            produced_event("P1", a),
            put_event("P1", a, 1),
            produced_event("P1", b),
            put_event("P1", b, 2),
            put_event(MAIN, pill_id(1), 3),
            got_event("C1", a, 2),
            consumed_event("C1", a, done=False),
        ]
    )
    assert (led.put, led.pills_put, led.in_buffer, len(led.in_buffer_ids)) == (2, 1, 1, 2)
    # a consumed without task_done (it never will be), b and the pill still in the buffer
    assert led.unfinished_tasks == 3 and led.join_waits_for() == [a, b, pill_id(1)]
    assert item_label(pill_id(1)) == "pill-1"
    led.feed([got_event("C1", b, 1), got_event("C2", pill_id(1), 0)])
    assert led.pills_got == 1 and "C2" not in led.held
    led.freeze()
    led.feed_after([consumed_event("C1", b), stopped_event("C1", -1)])
    led.discard()
    assert led.after_moment == 1 and led.discarded_ids == [b] and led.ok
    assert (led.in_buffer, led.in_hand, led.lost) == (0, 0, 0)


@pytest.mark.parametrize("ending", [None, "terminate"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_after_a_stop_every_card_keeps_its_worker_s_count(backend, ending):
    """The cards after a stop say how much each worker did (they used to read "0 done"
    once the workers' STOPPED events had removed them from the live views)."""
    sim, _ch = _started(SimulationConfig(backend=backend, producers=2, consumers=3, **LOAD))
    assert wait_for(lambda: sim.snapshot().consumed >= 10, 30.0)
    sim.stop(ending=ending)
    snap = sim.snapshot()
    cards = {w.name: w for w in snap.workers}
    assert set(cards) == {"P1", "P2", "C1", "C2", "C3"}
    assert {w.state for w in cards.values()} == {"stopped"}
    assert sum(w.done for w in cards.values() if w.role == "consumer") == snap.consumed
    assert 0 < sum(w.done for w in cards.values() if w.role == "producer") <= snap.produced
    # and what each held at its stop: the cards' items are the books' "in hand"
    assert sum(1 for w in cards.values() if w.item >= 0) == snap.in_hand


def test_a_recovered_pill_is_a_pill_again_not_an_item():
    """redis: a consumer that dies holding a poison pill has it recovered to the buffer;
    the books count it as a pill there, not as an item (nothing in hand, one in buffer)."""
    led = Ledger()
    pill = pill_id(1)
    led.feed(
        [
            put_event(MAIN, pill, 1),
            got_event("C1001", pill, 0),
            (1.0, Kind.RECOVERED, "C1001", pill, 1, 0.0),
            stopped_event("C1001", -1),
            got_event("C1", pill, 0),
        ]
    )
    assert (led.put, led.got, led.in_buffer, led.in_hand) == (0, 0, 0, 0)
    assert (led.pills_put, led.pills_got) == (1, 1)
    led.close_books(0)
    assert not led.violations


@pytest.mark.parametrize("ending", ["drain", "poison-pill", "join"])
def test_a_second_stop_cuts_an_ending_short(ending):
    """Slow consumers make each ending take seconds; a Stop during it ends the run at
    once (the window's Stop pressed twice), says so, and keeps the books."""
    sim, _ch = _started(
        SimulationConfig(producer_sleep=(0.0, 0.01), consumer_sleep=(1.0, 1.0), capacity=8)
    )
    ender = threading.Thread(target=sim.stop, kwargs={"ending": ending, "drain_timeout": 30})
    ender.start()
    assert wait_for(lambda: sim.snapshot().ending == ending)
    time.sleep(0.3)
    t0 = time.monotonic()
    sim.stop()
    ender.join(30)
    assert not ender.is_alive() and time.monotonic() - t0 < 5.0  # not the 30 s drain
    snap = sim.snapshot()
    assert snap.state == STOPPED and snap.ok, snap.violations
    assert any("second Stop cut the" in w for w in snap.warnings)
    assert snap.produced == snap.consumed + snap.in_buffer + snap.in_hand


def _held_to_the_buffer(snap) -> None:
    """Occupancy now is what the buffer holds by the books, pills included: the count
    the header and the slots show, and the mean stops integrating at the stop."""
    pills = sum(1 for i in snap.buffer if is_pill(i))
    assert snap.occupancy == snap.in_buffer + pills == len(snap.buffer)
    assert snap.occupancy <= snap.max_occupancy


def test_terminate_empties_the_occupancy_with_the_buffer():
    """After a terminate the books say "0 in buffer"; occupancy used to stay at the
    last PUT's count (8 of 8) and the mean kept integrating it."""
    sim, _ch = _started(SimulationConfig(producer_sleep=(0.0, 0.01), consumer_sleep=(1.0, 1.0)))
    assert wait_for(lambda: sim.snapshot().occupancy >= 3, 30.0)
    sim.stop(ending="terminate")
    snap = sim.snapshot()
    assert snap.discarded > 0 and snap.in_buffer == 0
    _held_to_the_buffer(snap)
    assert snap.occupancy == 0
    mean = snap.mean_occupancy
    time.sleep(0.3)
    assert sim.snapshot().mean_occupancy == mean  # a stopped run's clock stands still


@pytest.mark.parametrize("ending", ["poison-pill", "drain"])
def test_an_ending_cut_short_keeps_occupancy_to_the_books(ending):
    """A poison pill cut short leaves pills in the buffer: they count in occupancy as
    they count in the header ("0 / 6 + 2 STOP"), not in occupancy alone."""
    sim, _ch = _started(
        SimulationConfig(producer_sleep=(0.0, 0.01), consumer_sleep=(1.0, 1.0), capacity=8)
    )
    ender = threading.Thread(target=sim.stop, kwargs={"ending": ending, "drain_timeout": 30})
    ender.start()
    assert wait_for(lambda: sim.snapshot().ending == ending, 10.0)
    time.sleep(0.5)
    _held_to_the_buffer(sim.snapshot())
    sim.stop()
    ender.join(30)
    snap = sim.snapshot()
    assert snap.state == STOPPED and snap.ok, snap.violations
    _held_to_the_buffer(snap)
