"""pcsim's engine beside the bare pattern it instruments, measured in the same run.

Each pair runs interleaved (bare, pcsim, bare, pcsim, ...) with the same item count,
capacity 10 and zero sleeps, and reports the median items/s of each and their ratio.
Times are wall clock from start to the last item consumed, start-up included, for both
sides alike (for processes that includes spawning them).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import statistics
import threading
import time

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation

CAPACITY = 10


def _shares(total: int, n: int) -> list[int]:
    base = [total // n] * n
    base[0] += total - sum(base)
    return base


def bare_threads(items: int, p: int, c: int) -> float:
    q: queue.Queue[int] = queue.Queue(CAPACITY)

    def produce(n: int) -> None:
        for i in range(n):
            q.put(i)

    def consume(n: int) -> None:
        for _ in range(n):
            q.get()
            q.task_done()

    threads = [threading.Thread(target=produce, args=(n,)) for n in _shares(items, p)]
    threads += [threading.Thread(target=consume, args=(n,)) for n in _shares(items, c)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return items / (time.perf_counter() - t0)


def bare_asyncio(items: int, p: int, c: int) -> float:
    async def main() -> float:
        q: asyncio.Queue[int] = asyncio.Queue(CAPACITY)

        async def produce(n: int) -> None:
            for i in range(n):
                await q.put(i)

        async def consume(n: int) -> None:
            for _ in range(n):
                await q.get()
                q.task_done()

        t0 = time.perf_counter()
        await asyncio.gather(
            *(produce(n) for n in _shares(items, p)), *(consume(n) for n in _shares(items, c))
        )
        return items / (time.perf_counter() - t0)

    return asyncio.run(main())


def _mp_produce(q, n: int) -> None:
    for i in range(n):
        q.put(i)


def _mp_consume(q, n: int) -> None:
    for _ in range(n):
        q.get()
        q.task_done()


def bare_processes(items: int, p: int, c: int) -> float:
    ctx = mp.get_context("spawn")
    q = ctx.JoinableQueue(CAPACITY)
    procs = [ctx.Process(target=_mp_produce, args=(q, n)) for n in _shares(items, p)]
    procs += [ctx.Process(target=_mp_consume, args=(q, n)) for n in _shares(items, c)]
    t0 = time.perf_counter()
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join()
    rate = items / (time.perf_counter() - t0)
    q.close()
    return rate


BARE = {"threads": bare_threads, "asyncio": bare_asyncio, "processes": bare_processes}


def pcsim_run(backend: str, items: int, p: int, c: int) -> float:
    cfg = SimulationConfig(
        backend=backend,
        producers=p,
        consumers=c,
        capacity=CAPACITY,
        producer_sleep=(0, 0),
        consumer_sleep=(0, 0),
        items=items,
    )
    sim = Simulation(cfg)
    t0 = time.perf_counter()
    sim.start()
    if not sim.finished.wait(600):
        sim.stop()
        raise RuntimeError(f"{backend}: the items were not all consumed")
    rate = items / (time.perf_counter() - t0)
    sim.stop()
    snap = sim.snapshot()
    if not snap.ok or snap.consumed != items:
        raise RuntimeError(f"{backend}: the books did not balance: {snap.violations}")
    return rate


def run_engine_bench(quick: bool = False, repeats: int = 5) -> dict[str, dict[str, object]]:
    items = {
        "threads": 20_000 if quick else 100_000,
        "asyncio": 50_000 if quick else 200_000,
        "processes": 10_000 if quick else 50_000,
    }
    out: dict[str, dict[str, object]] = {}
    for backend in ("threads", "asyncio", "processes"):
        for p, c in ((1, 1), (4, 4)):
            bare, ours = [], []
            for _ in range(repeats):
                bare.append(BARE[backend](items[backend], p, c))
                ours.append(pcsim_run(backend, items[backend], p, c))
            b, o = statistics.median(bare), statistics.median(ours)
            out[f"{backend}_{p}p{c}c"] = {
                "backend": backend,
                "producers": p,
                "consumers": c,
                "items": items[backend],
                "runs": repeats,
                "bare_items_per_s": round(b),
                "pcsim_items_per_s": round(o),
                "ratio": round(o / b, 3),
            }
    return out
