"""Three real runtimes behind one contract (:class:`~.base.Backend`).

Backends are imported lazily so that a spawned worker process loads only what it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    raise ValueError(f"unknown backend {name!r}")
