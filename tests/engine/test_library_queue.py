"""Buffer ``queue`` on threads with the Inside view on: CPython's own ``queue.Queue.put`` /
``get`` are what runs (so what the code panel shows), and the simulator's needs (events,
hold, step, close, retire) work through the class's hooks; without the Inside view the
fast path runs, as before."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest

from simulator.engine.backends import buffer_code
from simulator.engine.backends.base import Closed
from simulator.engine.backends.thread_buffer import BoundedBuffer
from simulator.engine.backends.thread_queue import LibraryQueue
from simulator.engine.config import SimulationConfig
from simulator.engine.events import K_COND_WAIT, K_GET_WAIT, K_GOT, K_PUT, K_PUT_WAIT, Kind
from simulator.engine.simulation import Simulation
from tests.engine.waiting import wait_for

STEPS = (K_PUT_WAIT, K_PUT, K_GET_WAIT, K_GOT)


def _codes_run(inside: bool) -> set[Any]:
    """The code objects the run's threads called (a real run, profiled)."""
    seen: set[Any] = set()

    def profile(frame: Any, event: str, _arg: object) -> None:
        if event == "call":
            seen.add(frame.f_code)

    cfg = SimulationConfig(
        backend="threads",
        buffer="queue",
        producers=2,
        consumers=2,
        capacity=2,
        items=100,
        producer_sleep=(0, 0.001),
        consumer_sleep=(0, 0.002),
    )
    sim = Simulation(cfg, inside=inside)
    threading.setprofile(profile)
    try:
        sim.start()
        assert sim.finished.wait(60), "the item limit was not reached"
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.produced == snap.consumed == 100
    return seen


def test_with_the_inside_view_the_library_put_and_get_run_and_are_shown():
    code = buffer_code("threads", "queue", "none")
    assert code == {"put": queue.Queue.put, "get": queue.Queue.get}
    assert "put" not in vars(LibraryQueue) and "get" not in vars(LibraryQueue)
    ran = _codes_run(inside=True)
    assert queue.Queue.put.__code__ in ran and queue.Queue.get.__code__ in ran
    assert LibraryQueue._put.__code__ in ran and LibraryQueue._get.__code__ in ran
    assert BoundedBuffer._wait_for_room.__code__ not in ran


def test_without_it_the_fast_path_runs():
    ran = _codes_run(inside=False)
    assert BoundedBuffer.put_item.__code__ in ran and BoundedBuffer.get_item.__code__ in ran
    assert queue.Queue.put.__code__ not in ran and queue.Queue.get.__code__ not in ran


# ---- the hooks, on a buffer alone (worker threads named as the backend names them) ----
class _Worker:
    """``fn`` on a thread named ``pcsim-<name>`` (what the inside events report); keeps
    its result or exception."""

    def __init__(self, name: str, fn: Callable[[], object]) -> None:
        self.out: list[object] = []
        self.thread = threading.Thread(target=self._run, args=(fn,), name=f"pcsim-{name}")
        self.thread.daemon = True
        self.thread.start()

    def _run(self, fn: Callable[[], object]) -> None:
        try:
            self.out.append(fn())
        except Exception as e:  # the test looks at it
            self.out.append(e)

    def join(self) -> object:
        self.thread.join(30)
        assert not self.thread.is_alive()
        return self.out[0]


def _waiting(b: LibraryQueue, worker: str) -> bool:
    with b.mutex:
        return worker in b.waiting


def _steps(events: list[tuple]) -> list[tuple[int, str, int, int]]:
    return [(k, w, item, size) for _t, k, w, item, size, _v in events if k in STEPS]


def test_a_hold_stops_the_library_put_even_with_room_and_its_end_lets_it_go():
    events: list[tuple] = []
    b = LibraryQueue(2, events.append, held=True)
    p1 = _Worker("P1", lambda: b.put_item(7, "P1"))
    assert wait_for(lambda: _waiting(b, "P1"))
    # it waits in queue.Queue.put's own not_full.wait(), with room: nothing is put
    assert (K_COND_WAIT, "P1", "not_full") in [(e[1], e[2], e[5]) for e in events]
    assert b.qsize() == 0 and _steps(events) == []
    b.hold(False)
    assert p1.join() is None
    assert _steps(events) == [(K_PUT, "P1", 7, 1)]
    assert b.unfinished_tasks == 1 and not b.waiting


def test_a_granted_step_makes_one_event_then_holds_again():
    events: list[tuple] = []
    b = LibraryQueue(1, events.append, held=True)
    b.granted.add("P1")
    assert _Worker("P1", lambda: b.put_item(1, "P1")).join() is None
    assert _steps(events) == [(K_PUT, "P1", 1, 1)] and not b.granted
    # full now: the next step's one event is the wait, then it stays put
    b.granted.add("P1")
    p1 = _Worker("P1", lambda: b.put_item(2, "P1"))
    assert wait_for(lambda: not b.granted and _waiting(b, "P1"))
    assert _steps(events)[1:] == [(K_PUT_WAIT, "P1", 2, 1)]
    b.granted.add("C1")  # the consumer takes one: the producer stays held
    b.wake_all()
    assert _Worker("C1", lambda: b.get_item("C1")).join() == 1
    assert _steps(events)[2:] == [(K_GOT, "C1", 1, 0)]
    assert wait_for(lambda: _waiting(b, "P1")) and b.qsize() == 0
    b.hold(False)
    assert p1.join() is None
    assert _steps(events)[3:] == [(K_PUT, "P1", 2, 1)]


def test_close_and_retire_end_the_library_waits():
    events: list[tuple] = []
    b = LibraryQueue(1, events.append, held=False)
    b.put_item(1, "P1")  # full
    p2 = _Worker("P2", lambda: b.put_item(2, "P2"))
    retired = threading.Event()
    b2 = LibraryQueue(1, events.append, held=False)
    c1 = _Worker("C1", lambda: b2.get_item("C1", retired.is_set))
    assert wait_for(lambda: _waiting(b, "P2") and _waiting(b2, "C1"))
    assert (K_PUT_WAIT, "P2", 2, 1) in _steps(events)
    assert (K_GET_WAIT, "C1") in [(k, w) for k, w, _i, _s in _steps(events)]
    retired.set()
    b2.wake_getters()
    assert isinstance(c1.join(), Closed)
    b.close()
    assert isinstance(p2.join(), Closed)
    assert b.snapshot() == [1] and not b.waiting and not b2.waiting
    assert b.qsize() == 1  # the control thread's qsize() is the plain one


@pytest.mark.parametrize("run", range(3))
def test_events_run_exact_at_zero_sleeps(run):
    # what `pcsim run --events` runs: the Inside view's events, the library's put/get
    cfg = SimulationConfig(
        backend="threads",
        buffer="queue",
        producers=3,
        consumers=2,
        capacity=5,
        items=500,
        producer_sleep=(0, 0),
        consumer_sleep=(0, 0),
    )
    sim = Simulation(cfg, inside=True)
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.finished.wait(60)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.produced == snap.consumed == 500 and snap.in_buffer == 0
    kinds = [e.kind for e in ch.drain()]
    assert kinds.count(Kind.PUT) == kinds.count(Kind.GOT) == 500
    assert snap.inside is not None and snap.inside["unfinished_tasks"] == 0
