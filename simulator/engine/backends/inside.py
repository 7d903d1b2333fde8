"""Instrumented twins of ``threading.Lock``, ``Condition`` and ``Semaphore`` for the
"inside" events (see :class:`~simulator.engine.events.Kind`, ``LOCK_WAIT`` .. ``TASKS``).

A buffer started with ``inside=True`` builds its primitives from these classes instead
of the plain ones, so its ``put``/``get`` stay exactly the code learners read (``with
self.mutex:``, ``self.not_full.wait()``) and a run without the Inside view pays nothing:
the plain primitives are used, no flag is tested per item.

Each event is written by the thread that does the operation, while it holds the lock
where there is one (LOCK_HELD after acquiring, LOCK_FREE before releasing), so the
events keep the order the primitives went through. Only the workers' own threads
(``pcsim-P1``, ``pcsim-C2``) report; the control thread's calls (a hold, a close) do not.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from simulator.engine.events import (
    K_COND_WAIT,
    K_COND_WOKE,
    K_LOCK_FREE,
    K_LOCK_HELD,
    K_LOCK_WAIT,
    K_NOTIFY,
    K_SEM_GIVE,
    K_SEM_TAKE,
    K_SEM_WAIT,
    RawEvent,
    inside_event,
    tasks_event,
)

Emit = Callable[[RawEvent], None]
_PREFIX = "pcsim-"


def current_worker() -> str | None:
    """The name of the worker whose thread runs this (``"P1"``), or None for any other
    thread (the control thread, the books)."""
    name = threading.current_thread().name
    if name.startswith(_PREFIX) and name[6:7] in ("P", "C"):
        return name[6:]
    return None


class InsideLock:
    """A ``threading.Lock`` that reports LOCK_WAIT (only when it must wait), LOCK_HELD and
    LOCK_FREE. Usable under a ``threading.Condition`` (it tells the condition who owns it)."""

    def __init__(self, emit: Emit, name: str = "mutex") -> None:
        self._lock = threading.Lock()
        self._emit = emit
        self.name = name
        self._owner: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        who = current_worker()
        if self._lock.acquire(False):
            got = True
        else:
            if not blocking:
                return False
            if who is not None:
                self._emit(inside_event(K_LOCK_WAIT, who, self.name))
            got = self._lock.acquire(True, timeout)
        if got:
            self._owner = threading.get_ident()
            if who is not None:
                self._emit(inside_event(K_LOCK_HELD, who, self.name))
        return got

    def release(self) -> None:
        who = current_worker()
        if who is not None:
            self._emit(inside_event(K_LOCK_FREE, who, self.name))
        self._owner = None
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def _is_owned(self) -> bool:  # what threading.Condition asks
        return self._owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class InsideCondition(threading.Condition):
    """A ``threading.Condition`` that reports COND_WAIT before it waits, COND_WOKE when
    ``wait()`` returns (the lock held again) and NOTIFY with how many it may wake."""

    def __init__(self, lock: InsideLock, emit: Emit, name: str) -> None:
        super().__init__(lock)  # type: ignore[arg-type]
        self._emit = emit
        self.name = name

    def wait(self, timeout: float | None = None) -> bool:
        who = current_worker()
        if who is not None:
            self._emit(inside_event(K_COND_WAIT, who, self.name))
        try:
            return super().wait(timeout)
        finally:
            if who is not None:
                self._emit(inside_event(K_COND_WOKE, who, self.name))

    def notify(self, n: int = 1) -> None:
        who = current_worker()
        if who is not None:
            self._emit(inside_event(K_NOTIFY, who, self.name, n))
        super().notify(n)

    def notify_all(self) -> None:
        # notify_all() is notify(len(waiters)): reported once, by notify
        self.notify(len(self._waiters))  # type: ignore[attr-defined]


class InsideSemaphore(threading.Semaphore):
    """A ``threading.Semaphore`` that reports SEM_WAIT (with the count seen, once per
    blocked acquire however often a timed acquire is retried), SEM_TAKE and SEM_GIVE
    (with the count after; read just after, so another thread may already have moved it).
    """

    def __init__(self, value: int, emit: Emit, name: str) -> None:
        super().__init__(value)
        self._emit = emit
        self.name = name
        self._blocked: set[str] = set()  # workers whose SEM_WAIT is reported

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        who = current_worker()
        if who is None:
            return super().acquire(blocking, timeout)
        if super().acquire(False):
            got = True
        else:
            if not blocking:
                return False
            if who not in self._blocked:
                self._blocked.add(who)
                self._emit(inside_event(K_SEM_WAIT, who, self.name, self.count))
            got = super().acquire(True, timeout)
        if got:
            self._blocked.discard(who)
            self._emit(inside_event(K_SEM_TAKE, who, self.name, self.count))
        return got

    __enter__ = acquire

    def release(self, n: int = 1) -> None:
        super().release(n)
        who = current_worker()
        if who is not None:
            self._emit(inside_event(K_SEM_GIVE, who, self.name, self.count))

    @property
    def count(self) -> int:
        """The semaphore's counter (CPython keeps it in ``_value``)."""
        return self._value  # type: ignore[attr-defined,no-any-return]


class _TasksReporter:
    """Reports TASKS after each change of a queue's ``unfinished_tasks`` made by a
    worker: a data descriptor on an instrumented queue's own subclass."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: object, owner: type | None = None) -> int:
        return obj.__dict__.get(self.slot, 0)  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: int) -> None:
        obj.__dict__[self.slot] = value
        who = current_worker()
        emit = obj.__dict__.get("_inside_emit")
        if who is not None and emit is not None:
            emit(tasks_event(who, value))


def instrument_queue(q: queue.Queue, emit: Emit) -> None:  # type: ignore[type-arg]
    """Put ``q`` (a fresh, unused ``queue.Queue``) on instrumented primitives: its mutex,
    its three conditions, and ``unfinished_tasks`` reported as TASKS. CPython's own
    ``put``/``get``/``task_done`` then run unchanged and report what they do."""
    mutex = InsideLock(emit, "mutex")
    q.mutex = mutex  # type: ignore[assignment]
    q.not_empty = InsideCondition(mutex, emit, "not_empty")
    q.not_full = InsideCondition(mutex, emit, "not_full")
    q.all_tasks_done = InsideCondition(mutex, emit, "all_tasks_done")
    unfinished = q.__dict__.pop("unfinished_tasks")
    q.__class__ = type(
        "Inside" + type(q).__name__, (type(q),), {"unfinished_tasks": _TasksReporter()}
    )
    q.__dict__["_inside_emit"] = emit
    q.unfinished_tasks = unfinished
