"""Does pcsim slow the pattern it shows? pcsim beside a bare program with the same sleeps.

For each backend and sleep range, a *bare* program — the textbook pattern with plain
``time.sleep(random.uniform(lo, hi))`` (``asyncio.sleep`` for asyncio) around a plain
``queue.Queue`` / ``asyncio.Queue`` / ``multiprocessing.JoinableQueue``, and no
instrumentation beyond one counter per consumer — runs interleaved with pcsim's real
:class:`~simulator.engine.simulation.Simulation` of the same settings (4 producers,
4 consumers, capacity 10, the same range on both sides). Each run lasts a fixed wall
time and counts the items consumed from the moment every worker is ready: pcsim's
clock (:attr:`Simulation.elapsed`) and, for the bare program, a barrier that every
worker passes before its first step. The figure is the median items/s of each side and
their ratio (pcsim / bare): 1.0 means pcsim costs the pattern nothing.

Why sleeps and not zero sleeps: at zero sleeps the machine sets the pace and every
event record shows (``pcsim bench engine`` measures that); at the sleeps a demo uses the
workers should spend their time sleeping, as the bare program's do.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation

PRODUCERS = CONSUMERS = 4
CAPACITY = 10
SLEEP_MAX_MS = (1.0, 0.2)  #: each run's range is 0 .. this, on both sides
BACKENDS = ("threads", "asyncio", "processes")
#: pcsim / bare at least (None: reported only), by (backend, sleep_max_ms)
TARGETS: dict[tuple[str, float], float | None] = {
    ("threads", 1.0): 0.97,
    ("threads", 0.2): 0.90,
    ("asyncio", 1.0): 0.97,
    ("asyncio", 0.2): 0.90,
    ("processes", 1.0): 0.90,
    ("processes", 0.2): None,
}
READY_TIMEOUT_S = 60.0  # spawning 8 interpreters on a busy 2-core machine takes seconds


# ---- the bare programs: the textbook loops, one counter per consumer ----------------
def bare_threads(
    hi: float, seconds: float, lo: float = 0.0, consumer_hi: float | None = None
) -> float:
    """Items/s of 4 producer and 4 consumer threads around a ``queue.Queue(10)``, sleeps
    uniform in ``lo .. hi`` (consumers ``lo .. consumer_hi`` if given)."""
    c_hi = hi if consumer_hi is None else consumer_hi
    q: queue.Queue[int | None] = queue.Queue(CAPACITY)
    counts = [0] * CONSUMERS
    stop = False
    gate = threading.Barrier(PRODUCERS + CONSUMERS + 1)

    def produce() -> None:
        uniform, sleep, put = random.uniform, time.sleep, q.put
        gate.wait()
        i = 0
        while not stop:
            sleep(uniform(lo, hi))  # production time
            i += 1
            put(i)

    def consume(k: int) -> None:
        uniform, sleep, get, done = random.uniform, time.sleep, q.get, q.task_done
        gate.wait()
        while True:
            item = get()
            if item is None:
                return
            sleep(uniform(lo, c_hi))  # consumption time
            done()
            counts[k] += 1

    producers = [threading.Thread(target=produce) for _ in range(PRODUCERS)]
    consumers = [threading.Thread(target=consume, args=(k,)) for k in range(CONSUMERS)]
    for t in producers + consumers:
        t.start()
    gate.wait()  # every worker is about to take its first step
    t0, c0 = time.perf_counter(), sum(counts)
    time.sleep(seconds)
    t1, c1 = time.perf_counter(), sum(counts)
    stop = True
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()
    return (c1 - c0) / (t1 - t0)


def bare_asyncio(hi: float, seconds: float) -> float:
    """Items/s of 4 producer and 4 consumer tasks around an ``asyncio.Queue(10)``."""

    async def main() -> float:
        q: asyncio.Queue[int] = asyncio.Queue(CAPACITY)
        counts = [0] * CONSUMERS
        uniform, sleep = random.uniform, asyncio.sleep

        async def produce() -> None:
            i = 0
            while True:
                await sleep(uniform(0.0, hi))
                i += 1
                await q.put(i)

        async def consume(k: int) -> None:
            while True:
                await q.get()
                await sleep(uniform(0.0, hi))
                q.task_done()
                counts[k] += 1

        tasks = [asyncio.create_task(produce()) for _ in range(PRODUCERS)]
        tasks += [asyncio.create_task(consume(k)) for k in range(CONSUMERS)]
        await asyncio.sleep(0)  # every task has started: it is at its first await
        t0, c0 = time.perf_counter(), sum(counts)
        await asyncio.sleep(seconds)
        t1, c1 = time.perf_counter(), sum(counts)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return (c1 - c0) / (t1 - t0)

    return asyncio.run(main())


def _mp_produce(q: Any, hi: float, stop: Any, gate: Any) -> None:
    uniform, sleep, put = random.uniform, time.sleep, q.put
    gate.wait()
    i = 0
    while not stop.value:
        sleep(uniform(0.0, hi))
        i += 1
        put(i)


def _mp_consume(q: Any, hi: float, counts: Any, k: int, gate: Any) -> None:
    uniform, sleep, get, done = random.uniform, time.sleep, q.get, q.task_done
    gate.wait()
    n = 0
    while True:
        item = get()
        if item is None:
            done()
            return
        sleep(uniform(0.0, hi))
        done()
        n += 1
        counts[k] = n  # one shared-memory write: the bare program's only instrument


def bare_processes(hi: float, seconds: float) -> float:
    """Items/s of 4 producer and 4 consumer processes (spawn) around a
    ``multiprocessing.JoinableQueue(10)``."""
    ctx = mp.get_context("spawn")
    q = ctx.JoinableQueue(CAPACITY)
    counts = ctx.RawArray("q", CONSUMERS)
    stop = ctx.RawValue("b", 0)
    gate = ctx.Barrier(PRODUCERS + CONSUMERS + 1)
    procs = [ctx.Process(target=_mp_produce, args=(q, hi, stop, gate)) for _ in range(PRODUCERS)]
    procs += [
        ctx.Process(target=_mp_consume, args=(q, hi, counts, k, gate)) for k in range(CONSUMERS)
    ]
    for p in procs:
        p.start()
    try:
        gate.wait(READY_TIMEOUT_S)
        t0, c0 = time.perf_counter(), sum(counts)
        time.sleep(seconds)
        t1, c1 = time.perf_counter(), sum(counts)
        stop.value = 1
        for p in procs[:PRODUCERS]:
            p.join(10)
        for _ in range(CONSUMERS):
            q.put(None)
        for p in procs[PRODUCERS:]:
            p.join(10)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(1)
        q.close()
        q.join_thread()
    return (c1 - c0) / (t1 - t0)


BARE: dict[str, Callable[[float, float], float]] = {
    "threads": bare_threads,
    "asyncio": bare_asyncio,
    "processes": bare_processes,
}


# ---- the model beside the bare program ----------------------------------------------
#: (lo, producers' hi, consumers' hi) in ms: sleeps of 10 ms and more, where the machine
#: is not the bottleneck and the ideal model should match the bare program
MODEL_SLEEPS_MS = ((10.0, 30.0, 30.0), (10.0, 30.0, 50.0))
MODEL_TOLERANCE = 0.10


def model_check(
    quick: bool = False, repeats: int | None = None, seconds: float | None = None
) -> dict[str, Any]:
    """The ideal model (:func:`simulator.theory.predict`, for a run of the same length
    from an empty buffer) against the bare threads program at sleeps >= 10 ms, same
    4P/4C and capacity 10: ``{"points": [{"sleep_ms", "bare_items_per_s",
    "predicted_items_per_s", "ratio", "pass"}, ...]}``, or ``{"points": [], "reason"}``
    when this build has no model."""
    try:
        from simulator.theory import predict
    except ImportError:
        return {"points": [], "reason": "simulator.theory is not in this build"}
    repeats = repeats if repeats is not None else (1 if quick else 3)
    seconds = seconds if seconds is not None else (3.0 if quick else 5.0)
    points: list[dict[str, Any]] = []
    for lo_ms, p_ms, c_ms in MODEL_SLEEPS_MS:
        lo, hi, c_hi = lo_ms / 1000.0, p_ms / 1000.0, c_ms / 1000.0
        bare = statistics.median(
            bare_threads(hi, seconds, lo=lo, consumer_hi=c_hi) for _ in range(repeats)
        )
        cfg = pcsim_config("threads", hi).replace(
            producer_sleep=(lo, hi), consumer_sleep=(lo, c_hi)
        )
        predicted = predict(cfg, duration_s=seconds).throughput_per_s
        ratio = bare / predicted if predicted else None
        points.append(
            {
                "producer_sleep_ms": [lo_ms, p_ms],
                "consumer_sleep_ms": [lo_ms, c_ms],
                "bare_items_per_s": round(bare, 1),
                "predicted_items_per_s": None if predicted is None else round(predicted, 1),
                "ratio": None if ratio is None else round(ratio, 3),
                "pass": None if ratio is None else abs(ratio - 1.0) <= MODEL_TOLERANCE,
            }
        )
    return {"points": points, "tolerance": MODEL_TOLERANCE, "seconds": seconds}


# ---- pcsim ---------------------------------------------------------------------------
def pcsim_config(backend: str, hi: float) -> SimulationConfig:
    """The settings of the pcsim side: the bare program's, on ``backend``."""
    return SimulationConfig(
        backend=backend,
        producers=PRODUCERS,
        consumers=CONSUMERS,
        capacity=CAPACITY,
        producer_sleep=(0.0, hi),
        consumer_sleep=(0.0, hi),
    )


def pcsim_run(backend: str, hi: float, seconds: float) -> tuple[float, bool]:
    """Items/s of the real :class:`Simulation` over ``seconds`` of its clock, and whether
    its books balanced at the stop (a bench that loses items measures nothing)."""
    sim = Simulation(pcsim_config(backend, hi))
    sim.start()
    try:
        if not sim.ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"{backend}: the workers were not ready in {READY_TIMEOUT_S} s")
        # Count from the clock's start, as the bare side counts from its barrier: the
        # booking thread books CONSUMED a few ms late at both ends alike.
        first = sim.snapshot()
        time.sleep(seconds)
        last = sim.snapshot()
    finally:
        sim.stop()
    final = sim.snapshot()
    rate = (last.consumed - first.consumed) / max(1e-9, last.elapsed - first.elapsed)
    return rate, final.ok and final.lost == 0 and final.duplicates == 0


def run_fidelity_bench(
    quick: bool = False,
    repeats: int | None = None,
    seconds: float | None = None,
    backends: tuple[str, ...] = BACKENDS,
    sleeps_ms: tuple[float, ...] = SLEEP_MAX_MS,
    with_model: bool = True,
) -> dict[str, Any]:
    """Run every (backend, sleep range) pair, bare and pcsim interleaved, and return
    ``{"runs": [{"backend", "sleep_max_ms", "bare_items_per_s", "pcsim_items_per_s",
    "ratio", "repeats", "seconds", "target", "pass", "books_ok"}, ...], "model": ...}``
    (``model``: :func:`model_check`, or None without ``with_model``)."""
    repeats = repeats if repeats is not None else (3 if quick else 5)
    seconds = seconds if seconds is not None else (1.0 if quick else 2.0)
    runs: list[dict[str, Any]] = []
    for backend in backends:
        for ms in sleeps_ms:
            hi = ms / 1000.0
            bare, ours, books = [], [], True
            for _ in range(repeats):
                bare.append(BARE[backend](hi, seconds))
                rate, ok = pcsim_run(backend, hi, seconds)
                ours.append(rate)
                books = books and ok
            b, o = statistics.median(bare), statistics.median(ours)
            ratio = o / b if b > 0 else 0.0
            target = TARGETS.get((backend, ms))
            runs.append(
                {
                    "backend": backend,
                    "sleep_max_ms": ms,
                    "bare_items_per_s": round(b, 1),
                    "pcsim_items_per_s": round(o, 1),
                    "ratio": round(ratio, 3),
                    "repeats": repeats,
                    "seconds": seconds,
                    "target": target,
                    "pass": None if target is None else ratio >= target,
                    "books_ok": books,
                }
            )
    return {"runs": runs, "model": model_check(quick) if with_model else None}
