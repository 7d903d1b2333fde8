"""Real ``asyncio`` tasks around an ``asyncio.Queue``, on an event loop of their own thread.

The loop runs in a background thread so the caller (the GUI thread, the CLI) is never
blocked; every control call crosses into it with ``call_soon_threadsafe``. The worker
coroutines are the same loops as :func:`~.base.run_producer` and
:func:`~.base.run_consumer`, written with ``await``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from simulator.engine.backends.base import Backend, worker_rng
from simulator.engine.events import (
    ITEM_SHIFT,
    NO_ITEM,
    consumed_event,
    error_event,
    get_wait_event,
    got_event,
    produced_event,
    put_event,
    put_wait_event,
    sleep_event,
    started_event,
    stopped_event,
)
from simulator.engine.workers import Role


class _Task:
    __slots__ = ("interruptible", "name", "number", "retiring", "role", "task")

    def __init__(self, role: Role, name: str, number: int) -> None:
        self.role, self.name, self.number = role, name, number
        self.task: asyncio.Task[None] | None = None
        self.retiring = False
        self.interruptible = False  # holds nothing: may be cancelled when retired


class AsyncioBackend(Backend):
    exact_order = True

    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        self.loop = asyncio.new_event_loop()
        self.tasks: dict[str, _Task] = {}
        self._booted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pcsim-asyncio", daemon=True)
        self._thread.start()
        self._booted.wait()
        for w in workers:
            self.add(*w)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue: asyncio.Queue[int] = asyncio.Queue(self.config.capacity)
        self.gate = asyncio.Event()
        self.gate.set()
        self.tickets = 0
        self.loop.call_soon(self._booted.set)
        self.loop.run_forever()
        self.loop.close()

    def _spawn(self, role: Role, name: str, number: int) -> None:
        t = _Task(role, name, number)
        coro = self._producer(t) if role == Role.PRODUCER else self._consumer(t)
        t.task = self.loop.create_task(coro, name=f"pcsim-{name}")
        self.tasks[name] = t

    def add(self, role: Role, name: str, number: int) -> None:
        self.loop.call_soon_threadsafe(self._spawn, role, name, number)

    def _retire(self, name: str) -> None:
        t = self.tasks.pop(name, None)
        if t is None:
            return
        t.retiring = True
        if t.interruptible and t.task is not None:
            t.task.cancel()

    def retire(self, name: str) -> None:
        self.loop.call_soon_threadsafe(self._retire, name)

    def pause(self) -> None:
        self.loop.call_soon_threadsafe(self.gate.clear)

    def resume(self) -> None:
        self.loop.call_soon_threadsafe(self.gate.set)

    async def _shutdown(self) -> int:
        me = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not me]
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return self.queue.qsize()

    def stop(self, timeout: float = 1.0) -> int:
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
        remaining = fut.result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        return remaining

    def _ticket(self) -> bool:
        limit = self.config.items
        if limit is None:
            return True
        if self.tickets >= limit:
            return False
        self.tickets += 1
        return True

    async def _sleep(self, t: _Task, seconds: float, interruptible: bool) -> None:
        t.interruptible = interruptible
        try:
            await asyncio.sleep(seconds)
        finally:
            t.interruptible = False

    async def _producer(self, t: _Task) -> None:
        name, emit, q, gate = t.name, self.emit, self.queue, self.gate
        uniform = worker_rng(self.config.seed, name).uniform
        base, seq, held = t.number << ITEM_SHIFT, 0, -1
        emit(started_event(name))
        try:
            while True:
                if not gate.is_set():
                    t.interruptible = True
                    await gate.wait()
                    t.interruptible = False
                if t.retiring:
                    break
                lo, hi = self.sleeps[Role.PRODUCER]
                if hi > 0.0:
                    d = uniform(lo, hi)
                    emit(sleep_event(name, NO_ITEM, d))
                    await self._sleep(t, d, True)
                    if t.retiring:
                        break
                if not self._ticket():
                    break
                seq += 1
                held = base | seq
                emit(produced_event(name, held))
                try:
                    q.put_nowait(held)
                except asyncio.QueueFull:
                    emit(put_wait_event(name, held, q.maxsize))
                    await q.put(held)
                emit(put_event(name, held, q.qsize()))
                held = -1
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
        finally:
            emit(stopped_event(name, held))

    async def _consumer(self, t: _Task) -> None:
        name, emit, q, gate = t.name, self.emit, self.queue, self.gate
        uniform = worker_rng(self.config.seed, name).uniform
        held = -1
        emit(started_event(name))
        try:
            while True:
                if not gate.is_set():
                    t.interruptible = True
                    await gate.wait()
                    t.interruptible = False
                if t.retiring:
                    break
                try:
                    held = q.get_nowait()
                except asyncio.QueueEmpty:
                    emit(get_wait_event(name))
                    t.interruptible = True
                    held = await q.get()
                    t.interruptible = False
                emit(got_event(name, held, q.qsize()))
                lo, hi = self.sleeps[Role.CONSUMER]
                if hi > 0.0:
                    d = uniform(lo, hi)
                    emit(sleep_event(name, held, d))
                    await self._sleep(t, d, False)
                q.task_done()
                emit(consumed_event(name, held))
                held = -1
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            emit(error_event(name, held, f"{type(exc).__name__}: {exc}"))
        finally:
            emit(stopped_event(name, held))


__all__: list[Any] = ["AsyncioBackend"]
