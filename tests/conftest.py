"""Session-wide test setup.

Qt runs offscreen unless told otherwise, so the README's test command works on a machine
with no display. Every test is checked for leftovers: a test that leaves a pcsim thread or
a child process running fails, because closing or stopping must leave nothing behind.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QSettings writes under XDG_CONFIG_HOME: keep the tests away from the user's settings
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="pcsim-tests-")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


def _pcsim_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pcsim-") and t.is_alive()]


@pytest.fixture(autouse=True)
def no_leftovers():
    yield
    # a straggler (a joined thread's last instructions, a reaped child) may need a moment
    # on a loaded machine; a real leftover is still there after 10 s and fails the test
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and (_pcsim_threads() or multiprocessing.active_children()):
        time.sleep(0.02)
    threads = [t.name for t in _pcsim_threads()]
    children = [p.name for p in multiprocessing.active_children()]
    assert not threads, f"threads left running: {threads}"
    assert not children, f"processes left running: {children}"
