"""The backend contract, and the worker loops that threads and processes share.

A backend runs real workers around a real bounded queue and reports every step as an
:class:`~simulator.engine.events.Event` through ``emit``. The producer and consumer loops
below are written once against :class:`WorkerRuntime`, the few primitives that differ
between a thread and a process (how to wait, how to put and get, how to flush events);
the asyncio backend has the same loops as coroutines.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Protocol

from simulator.engine.config import SimulationConfig
from simulator.engine.events import (
    ITEM_SHIFT,
    NO_ITEM,
    RawEvent,
    consumed_event,
    error_event,
    produced_event,
    sleep_event,
    started_event,
    stopped_event,
)
from simulator.engine.workers import ROLES, Role

Emit = Callable[[RawEvent], None]  # takes a raw event (see events.py)


class Closed(Exception):
    """Raised by a worker's put or get when the buffer was closed (the run stops), or
    the waiting worker was retired, while it waited: the loops below end quietly on it."""


def worker_rng(seed: int | None, name: str) -> random.Random:
    """Each worker draws its sleeps from its own stream: reproducible with a seed."""
    return random.Random(f"{seed}:{name}") if seed is not None else random.Random()


class Backend(ABC):
    """Runs the workers. The :class:`~simulator.engine.simulation.Simulation` names them.

    ``exact_order`` says whether events arrive in exactly the order the queue saw them
    (true for threads and asyncio, whose put/got events are written under the queue's
    own serialisation; false for processes, whose events travel through pipes).
    """

    exact_order = True

    def __init__(self, config: SimulationConfig, emit: Emit) -> None:
        self.config = config
        self.emit = emit
        self.sleeps: dict[Role, tuple[float, float]] = {
            role: config.effective_sleep(role) for role in ROLES
        }
        #: workers :meth:`stop` had to end by force (they did not stop in time); the
        #: engine's books tell whether each held an item (lost) or not (a warning)
        self.terminated: list[str] = []

    @abstractmethod
    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        """Start ``(role, name, number)`` workers around a new, empty buffer."""

    @abstractmethod
    def add(self, role: Role, name: str, number: int) -> None: ...

    @abstractmethod
    def retire(self, name: str) -> None:
        """Ask a worker to leave after its current item (it loses nothing)."""

    def set_sleep(self, role: Role, lo: float, hi: float) -> None:
        self.sleeps[role] = (lo, hi)

    @abstractmethod
    def pause(self) -> None: ...

    @abstractmethod
    def resume(self) -> None: ...

    @abstractmethod
    def stop(self, timeout: float = 1.0) -> int:
        """Interrupt every wait and sleep, join every worker; return how many items the
        real queue still held."""


class WorkerRuntime(Protocol):
    name: str
    number: int
    role: Role

    def emit(self, ev: RawEvent, /) -> None:
        """Report ``ev`` (a thread appends it to the engine's inbox, a child batches it)."""
        ...

    def uniform(self, lo: float, hi: float, /) -> float:
        """A sleep drawn from this worker's own random stream."""
        ...

    def attention(self) -> bool:
        """True if paused, stopping or retiring: any reason to look closer."""
        ...

    def paused(self) -> bool: ...
    def hold(self) -> None: ...
    def exiting(self) -> bool: ...
    def stopping(self) -> bool: ...
    def sleep_range(self) -> tuple[float, float]: ...
    def sleep(self, seconds: float) -> bool: ...
    def ticket(self) -> bool: ...
    def put(self, item: int) -> None: ...
    def get(self) -> int: ...
    def task_done(self) -> None: ...
    def finish(self) -> None: ...


def run_producer(rt: WorkerRuntime) -> None:
    """Sleep, make an item, put it (waiting while the buffer is full); until told to go."""
    name, emit, uniform = rt.name, rt.emit, rt.uniform
    base = rt.number << ITEM_SHIFT
    seq = 0
    held = -1
    emit(started_event(name))
    try:
        while True:
            if rt.attention():  # one cheap check per item; the rest only when set
                if rt.paused():
                    rt.hold()
                if rt.exiting():
                    break
            lo, hi = rt.sleep_range()
            if hi > 0.0:
                d = uniform(lo, hi)
                emit(sleep_event(name, NO_ITEM, d))
                if rt.sleep(d):
                    continue  # woken early: stop, retire or pause decides
            if not rt.ticket():
                break  # the item limit is reached
            seq += 1
            held = base | seq
            emit(produced_event(name, held))
            rt.put(held)
            held = -1
    except Closed:
        pass
    except Exception as exc:  # report, never vanish silently
        emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
    finally:
        emit(stopped_event(name, held))
        rt.finish()


def run_consumer(rt: WorkerRuntime) -> None:
    """Take an item (waiting while the buffer is empty), work on it for a sleep, finish it."""
    name, emit, uniform = rt.name, rt.emit, rt.uniform
    held = -1
    emit(started_event(name))
    try:
        while True:
            if rt.attention():  # one cheap check per item; the rest only when set
                if rt.paused():
                    rt.hold()
                if rt.exiting():
                    break
            held = rt.get()
            lo, hi = rt.sleep_range()
            if hi > 0.0:
                d = uniform(lo, hi)
                emit(sleep_event(name, held, d))
                if rt.sleep(d) and rt.stopping():
                    break  # stopped mid-item: it is reported as held
            rt.task_done()
            emit(consumed_event(name, held))
            held = -1
    except Closed:
        pass
    except Exception as exc:
        emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
    finally:
        emit(stopped_event(name, held))
        rt.finish()
