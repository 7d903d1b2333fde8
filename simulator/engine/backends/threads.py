"""Real ``threading.Thread`` workers around a :class:`~.thread_buffer.BoundedBuffer`."""

from __future__ import annotations

import itertools
import threading
import time

from simulator.engine.backends.base import Backend, run_consumer, run_producer, worker_rng
from simulator.engine.backends.thread_buffer import BoundedBuffer
from simulator.engine.workers import Role


class _ThreadWorker:
    """The :class:`~.base.WorkerRuntime` of one thread."""

    def __init__(self, backend: ThreadBackend, role: Role, name: str, number: int) -> None:
        self.b = backend
        self.role, self.name, self.number = role, name, number
        self.emit = backend.emit
        self.uniform = worker_rng(backend.config.seed, name).uniform
        self.wake = threading.Event()
        self.retiring = False
        target = run_producer if role == Role.PRODUCER else run_consumer
        self.thread = threading.Thread(target=target, args=(self,), name=f"pcsim-{name}")
        self.thread.daemon = True

    def attention(self) -> bool:
        return self.b.attention or self.retiring

    def paused(self) -> bool:
        return self.b.paused

    def hold(self) -> None:
        while self.b.paused and not self.exiting():
            self.b.gate.wait(0.1)

    def exiting(self) -> bool:
        return self.retiring or self.b.stopping

    def stopping(self) -> bool:
        return self.b.stopping

    def is_retiring(self) -> bool:
        return self.retiring

    def sleep_range(self) -> tuple[float, float]:
        return self.b.sleeps[self.role]

    def sleep(self, seconds: float) -> bool:
        return self.wake.wait(seconds)

    def ticket(self) -> bool:
        limit = self.b.config.items
        return limit is None or next(self.b.tickets) < limit

    def put(self, item: int) -> None:
        self.b.buffer.put_item(item, self.name)

    def get(self) -> int:
        return self.b.buffer.get_item(self.name, self.is_retiring)

    def task_done(self) -> None:
        self.b.buffer.task_done()

    def finish(self) -> None:
        pass


class ThreadBackend(Backend):
    exact_order = True

    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        self.buffer = BoundedBuffer(self.config.capacity, self.emit)
        self.tickets = itertools.count()
        self.paused = False
        self.stopping = False
        self.attention = False  # paused or stopping
        self.gate = threading.Event()
        self.gate.set()
        self.workers: dict[str, _ThreadWorker] = {}
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
        w.retiring = True
        w.wake.set()
        self.buffer.wake_getters()
        self._retired = [r for r in self._retired if r.thread.is_alive()] + [w]

    def pause(self) -> None:
        self.paused = self.attention = True
        self.gate.clear()

    def resume(self) -> None:
        self.paused = False
        self.attention = self.stopping
        self.gate.set()

    def stop(self, timeout: float = 1.0) -> int:
        self.stopping = self.attention = True
        self.gate.set()
        everyone = list(self.workers.values()) + self._retired
        for w in everyone:
            w.wake.set()
        self.buffer.close()
        deadline = time.monotonic() + timeout
        for w in everyone:
            w.thread.join(max(0.0, deadline - time.monotonic()))
        self._retired = [w for w in everyone if w.thread.is_alive()]
        return self.buffer.qsize()
