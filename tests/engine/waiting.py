"""Waiting on a real run without depending on the machine's speed: poll an outcome with a
generous deadline, never sleep a fixed time and hope."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

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


def wait_still(
    look: Callable[[], T],
    quiet: float = 0.5,
    timeout: float = 30.0,
    nap: Callable[[float], None] = time.sleep,
) -> T:
    """What ``look()`` shows once it has not changed for ``quiet`` seconds (looking
    again after each ``nap`` of 20 ms: a Qt test naps in ``qtbot.wait``, so the frames
    keep arriving).

    After a pause, the steps under way when ``pause()`` returned are still being booked:
    a fixed sleep hopes they are booked by then, which a loaded machine can belie. This
    waits for the outcome instead (the picture stops moving) and fails only if it never
    does within ``timeout``, which for a paused run is the bug the tests look for.
    """
    deadline = time.monotonic() + timeout
    seen = look()
    since = time.monotonic()
    while time.monotonic() < deadline:
        nap(0.02)
        now = look()
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return seen
    raise AssertionError(f"still moving after {timeout} s: {seen!r}")
