"""Real ``threading.Thread`` workers around a :class:`~.thread_buffer.BoundedBuffer` (with
the Inside view on, a :class:`~.thread_queue.LibraryQueue`: ``queue.Queue``'s own put and
get), or a hand-written buffer (:mod:`.thread_buffers`)."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from simulator.engine.backends.base import (
    Backend,
    Closed,
    Emit,
    ThreadWorkerFlags,
    run_consumer,
    run_producer,
    wake_role,
    worker_rng,
)
from simulator.engine.backends.thread_buffer import BoundedBuffer
from simulator.engine.backends.thread_buffers import buffer_class
from simulator.engine.backends.thread_queue import LibraryQueue
from simulator.engine.config import SimulationConfig
from simulator.engine.cpu import ThreadClock, read_clocks
from simulator.engine.events import MAIN, pill_id
from simulator.engine.workers import ROLES, Role


class _ThreadWorker(ThreadWorkerFlags):
    """The :class:`~.base.WorkerRuntime` of one thread."""

    def __init__(self, backend: ThreadBackend, role: Role, name: str, number: int) -> None:
        self.b = self.owner = backend
        self.role, self.name, self.number = role, name, number
        self.emit = backend.emit
        assert backend.buffer is not None  # started
        self.buffer = backend.buffer
        self.uniform = worker_rng(backend.config.seed, name).uniform
        #: set to cut a sleep short: stop, retire, hold, a new sleep range
        self.wake = threading.Event()
        #: set to end a hold: resume, stop, retire, a step granted to this worker
        self.go = threading.Event()
        self.parked = False  #: waiting at a hold point (see :meth:`ThreadBackend.settled`)
        self.is_retiring = False
        self.limit = backend.config.items  # the item limit (fixed for a run)
        self.skip_task_done = backend.config.bug == "missing-task-done"
        self.target = run_producer if role == Role.PRODUCER else run_consumer
        self.clock = ThreadClock()  # its CPU time, read by the engine (see engine/cpu.py)
        self.thread = threading.Thread(target=self._run, name=f"pcsim-{name}")
        self.thread.daemon = True

    def _run(self) -> None:
        self.clock.begin()
        try:
            self.target(self)
        finally:
            self.clock.end()

    def held(self) -> bool:
        return self.b.holding and self.name not in self.b.granted

    def hold(self, holding: bool = False, spend: bool = False) -> None:
        b, name, go = self.b, self.name, self.go
        granted = b.granted
        try:
            while b.holding and not b.stopping and (holding or not self.is_retiring):
                if name in granted:  # a step: pass (and use it up if an event is next)
                    if spend:
                        granted.discard(name)
                    return
                self.parked = True
                go.wait(0.1)
                go.clear()  # the loop re-checks every flag, so a set is never lost
        finally:
            self.parked = False

    def sleep(self, seconds: float) -> bool:
        if self.wake.wait(seconds):
            # whoever set it changed a flag first: the caller re-checks them after this
            self.wake.clear()
            return True
        return False

    nap = staticmethod(time.sleep)  # a short sleep is a plain one (see base.work)

    def flush(self) -> None:
        pass  # a thread's events are in the engine's inbox already

    def ticket(self) -> bool:
        limit = self.limit
        return limit is None or next(self.b.tickets) < limit

    def put(self, item: int) -> None:
        b = self.b
        if b.full_policy == "block":  # the usual case: the plain put
            self.buffer.put_item(item, self.name)
        else:
            self.buffer.offer(item, self.name, b.full_policy, b.put_timeout)

    def get(self) -> int:
        return self.buffer.get_item(self.name, self.retiring)

    def task_done(self) -> None:
        self.buffer.task_done()

    def finish(self) -> None:
        pass


class ThreadBackend(Backend):
    exact_order = True

    def __init__(self, config: SimulationConfig, emit: Emit) -> None:
        super().__init__(config, emit)
        self.stopping = False
        self.holding = self.held  # what the workers read (one attribute, no property)
        self.attention = self.holding  # held or stopping: the per-step test
        #: workers granted a single step while held (see :mod:`~.base`); the buffer
        #: shares this set
        self.granted: set[str] = set()
        self.sleep_gen: dict[Role, int] = {role: 0 for role in ROLES}
        self.workers: dict[str, _ThreadWorker] = {}
        self.buffer: BoundedBuffer | Any = None  # or a hand-written one (config.buffer)

    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        with self._hold_lock:
            cls = buffer_class(self.config.buffer, self.config.bug) or (
                # the Inside view shows queue.Queue's own put/get: then they run
                LibraryQueue if self.inside else BoundedBuffer
            )
            self.buffer = cls(self.config.capacity, self.emit, self.holding, self.inside)
            self.buffer.granted = self.granted
        self.tickets = itertools.count()
        self._retired: list[_ThreadWorker] = []  # leaving, still to be joined
        for role, name, number in workers:
            self.add(role, name, number)

    def add(self, role: Role, name: str, number: int) -> None:
        w = _ThreadWorker(self, role, name, number)
        self.workers[name] = w
        w.thread.start()

    def retire(self, name: str) -> None:
        w = self.workers.pop(name, None)
        if w is None:
            return
        w.retire()
        assert self.buffer is not None
        self.buffer.wake_getters()
        self._retired = [r for r in self._retired if r.thread.is_alive()] + [w]

    def cpu_seconds(self) -> tuple[dict[str, float], float | None]:
        return read_clocks((name, w.clock) for name, w in list(self.workers.items()))

    def _sleep_changed(self, role: Role) -> None:
        self.sleep_gen[role] += 1
        wake_role(self.workers.values(), role)

    def _set_hold(self, held: bool) -> None:
        self.holding = held
        self.attention = held or self.stopping
        self.granted.clear()  # a step never outlives the pause it was granted in
        if self.buffer is not None:
            self.buffer.hold(held)
        for w in list(self.workers.values()):
            if held:
                w.wake.set()  # a sleeper suspends its sleep
            else:
                w.go.set()

    def step(self, name: str) -> bool:
        w = self.workers.get(name)
        if w is None or not w.thread.is_alive():
            return False
        self.granted.add(name)
        w.go.set()
        assert self.buffer is not None
        self.buffer.wake_all()  # if it waits in a put or get, it re-checks
        return True

    def can_move(self, name: str) -> bool:
        check = getattr(self.buffer, "can_move", None)
        return check is None or check(name)

    def mid_move(self, name: str) -> bool:
        return name in getattr(self.buffer, "racing", ())

    def settled(self) -> bool:
        buffer = self.buffer
        if buffer is None:
            return True
        with buffer.mutex:
            waiting = set(buffer.waiting)
        return all(
            w.parked or w.name in waiting or not w.thread.is_alive()
            for w in list(self.workers.values())
        )

    def put_pills(self, count: int) -> None:
        for k in range(1, count + 1):
            try:
                self.buffer.put_item(pill_id(k), MAIN)
            except Closed:
                return

    def start_join(self) -> threading.Event:
        done = threading.Event()
        buffer = self.buffer

        def join() -> None:
            buffer.join()  # queue.Queue.join, or the hand-written buffer's own
            done.set()

        self._joiner = threading.Thread(target=join, name="pcsim-join", daemon=True)
        self._joiner.start()
        return done

    def release_join(self) -> None:
        joiner = getattr(self, "_joiner", None)
        if joiner is None or not joiner.is_alive():
            return
        buffer = self.buffer
        with buffer.all_tasks_done:  # what task_done() would say after the last item
            buffer.unfinished_tasks = 0
            buffer.all_tasks_done.notify_all()
        joiner.join(1.0)

    def stop(self, timeout: float = 1.0) -> int:
        self.stopping = self.attention = True
        everyone = list(self.workers.values()) + self._retired
        for w in everyone:
            w.wake.set()
            w.go.set()
        assert self.buffer is not None
        self.buffer.close()
        deadline = time.monotonic() + timeout
        for w in everyone:
            w.thread.join(max(0.0, deadline - time.monotonic()))
        self._retired = [w for w in everyone if w.thread.is_alive()]
        return self.buffer.qsize()
