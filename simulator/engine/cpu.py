"""CPU work (``work = "cpu"``): the kernel, its calibration, and who used how much CPU.

With ``work = "cpu"`` a worker's drawn working time ``d`` is not slept but computed: it
runs :func:`spin` for ``d × rate`` iterations, where ``rate`` is what one core managed
alone (:func:`calibrate`, measured once per run by the engine before the clock starts).
On an idle core an item then takes ``d``; on threads the workers take turns holding the
GIL, so two of them take about ``2 d`` each; processes run in parallel up to the number
of cores; on asyncio the computation blocks the event loop. Nothing here models that:
it is what the interpreter does.

The work is done in chunks of :data:`CHUNK_S` (about a millisecond) so that a pause, a
stop or a new sleep range takes effect within a chunk, as for a sleep.

CPU accounting is read from outside the workers: a thread's own CPU clock
(``time.pthread_getcpuclockid``, the clock ``time.thread_time`` reads inside the
thread), a process's CPU times (``psutil``). Per asyncio task it cannot be measured:
every task runs on the one loop thread, whose CPU is reported as the backend's total.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable

#: how much work one chunk is (seconds on an idle core): the hold/stop check period
CHUNK_S = 0.001
#: how long one calibration sample computes
_SAMPLE_S = 0.002
_SAMPLES = 20


def spin(n: int) -> int:
    """The fixed pure-Python kernel: ``n`` iterations of integer arithmetic. Holds the
    GIL throughout (no call into C that releases it), as CPU-bound Python code does."""
    x = 0
    for i in range(n):
        x = (x + i * i) & 0xFFFF
    return x


def calibrate() -> float:
    """Iterations of :func:`spin` per second on one core, the best of a few short
    samples (the best is the least disturbed by other programs on a shared machine)."""
    n = 1000
    while True:  # grow until one sample takes long enough to time well
        t0 = time.perf_counter()
        spin(n)
        dt = time.perf_counter() - t0
        if dt >= _SAMPLE_S / 4:
            break
        n *= 4
    n = max(1, int(n * _SAMPLE_S / dt))
    best = 0.0
    for _ in range(_SAMPLES):
        t0 = time.perf_counter()
        spin(n)
        dt = time.perf_counter() - t0
        best = max(best, n / dt if dt > 0 else 0.0)
    return best


def gil_enabled() -> bool:
    """Whether this interpreter has a GIL (a free-threaded 3.13+ build can say no)."""
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe is not None else True


def thread_cpu(ident: int | None) -> float | None:
    """CPU seconds used so far by the thread ``ident`` (``Thread.ident``), or None where
    a thread's clock cannot be read from outside (not Unix). The thread must be alive
    for certain while this runs (an ended thread's clock id is freed memory: reading it
    can crash the interpreter): use :class:`ThreadClock`."""
    getclock = getattr(time, "pthread_getcpuclockid", None)
    if ident is None or getclock is None:
        return None
    try:
        return time.clock_gettime(getclock(ident))
    except (OSError, OverflowError, ValueError):
        return None


class ThreadClock:
    """One thread's CPU clock, safe to read from any thread at any time.

    The thread calls :meth:`begin` first and :meth:`end` last (in a ``finally``); while
    it runs between the two, :meth:`read` reads its clock from outside under a lock,
    which :meth:`end` takes too, so the clock is never read once the thread may be gone.
    After :meth:`end`, :meth:`read` gives its last reading."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ident: int | None = None
        self._last: float | None = None

    def begin(self) -> None:
        """Called by the thread itself when it starts."""
        with self._lock:
            self._ident = threading.get_ident()

    def end(self) -> None:
        """Called by the thread itself as its last act."""
        with self._lock:
            self._last = time.thread_time()
            self._ident = None

    def read(self) -> float | None:
        """CPU seconds the thread used so far (its last reading once it ended), or None
        (not started, or not measurable here)."""
        with self._lock:
            if self._ident is not None:
                return thread_cpu(self._ident)
            return self._last


def process_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) used so far by process ``pid``, or None (gone, or
    psutil missing)."""
    if pid is None:
        return None
    try:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)
    except Exception:  # gone, a zombie, no psutil: not measurable
        return None


def read_clocks(
    clocks: Iterable[tuple[str, ThreadClock]],
) -> tuple[dict[str, float], float | None]:
    """Each named thread's CPU seconds (those measurable) and their sum, or None if none
    is: what :meth:`~.backends.base.Backend.cpu_seconds` returns for worker threads."""
    per = {}
    for name, clock in clocks:
        cpu = clock.read()
        if cpu is not None:
            per[name] = cpu
    return per, sum(per.values()) if per else None
