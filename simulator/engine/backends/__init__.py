"""Four real runtimes behind one contract (:class:`~.base.Backend`).

Backends are imported lazily so that a spawned worker process loads only what it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.engine.backends.base import Backend


def backend_class(name: str) -> type[Backend]:
    if name == "threads":
        from simulator.engine.backends.threads import ThreadBackend

        return ThreadBackend
    if name == "processes":
        from simulator.engine.backends.processes import ProcessBackend

        return ProcessBackend
    if name == "asyncio":
        from simulator.engine.backends.aio import AsyncioBackend

        return AsyncioBackend
    if name == "redis":
        from simulator.engine.backends.redis_backend import RedisBackend

        return RedisBackend
    raise ValueError(f"unknown backend {name!r}")


def buffer_code(backend: str, buffer: str, bug: str = "none") -> dict[str, Callable[..., Any]]:
    """The real ``put`` and ``get`` a run of these settings executes, for the code panel
    (``inspect.getsource`` of each): the hand-written buffer's (the buggy subclass's with
    a bug). For ``queue``: on threads CPython's own ``queue.Queue.put``/``get`` (they run
    when the code is shown, with ``inside=True``: :class:`~.thread_queue.LibraryQueue`
    calls them and rides on their ``_qsize``/``_put``/``_get`` hooks), on asyncio
    ``asyncio.Queue``'s own ``put``/``get`` (likewise: aio ``_LibraryQueue``), on processes
    ``multiprocessing``'s ``JoinableQueue.put``/``get``; on redis the worker's put and
    get around the broker's Lua scripts."""
    if backend == "redis":  # the worker's side of the Lua scripts (redis_buffer.py)
        from simulator.engine.backends.redis_backend import _RedisWorker

        return {"put": _RedisWorker.put, "get": _RedisWorker.get}
    if buffer == "queue":
        if backend == "asyncio":  # the library's own, run when the Inside view is on
            import asyncio

            return {"put": asyncio.Queue.put, "get": asyncio.Queue.get}
        if backend == "processes":
            from multiprocessing.queues import JoinableQueue

            return {"put": JoinableQueue.put, "get": JoinableQueue.get}
        import queue  # threads, inside on: LibraryQueue runs the library's own

        return {"put": queue.Queue.put, "get": queue.Queue.get}
    if backend == "asyncio":
        from simulator.engine.backends.aio_buffers import buffer_class as aio_class

        cls: Any = aio_class(buffer, bug)
    else:
        from simulator.engine.backends.thread_buffers import buffer_class as thread_class

        cls = thread_class(buffer, bug)
    return {"put": cls.put, "get": cls.get}
