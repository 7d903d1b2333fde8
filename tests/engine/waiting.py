"""Waiting on a real run without depending on the machine's speed: poll an outcome with a
generous deadline, never sleep a fixed time and hope."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable

#: every backend, for tests that must hold on all of them (redis where redis-server is
#: installed: CI installs it; tests/engine/test_redis.py says so when it is not)
BACKENDS = ["threads", "asyncio", "processes"] + (
    ["redis"] if shutil.which("redis-server") else []
)
#: every (backend, buffer) pair a config accepts: processes share the library's queue only
BACKEND_BUFFERS = [
    ("threads", "queue"),
    ("threads", "condition"),
    ("threads", "semaphore"),
    ("asyncio", "queue"),
    ("asyncio", "condition"),
    ("asyncio", "semaphore"),
    ("processes", "queue"),
] + ([("redis", "queue")] if "redis" in BACKENDS else [])


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, step: float = 0.01) -> bool:
    """True as soon as ``predicate()`` is true; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
