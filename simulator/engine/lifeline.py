"""No pcsim process outlives its parent, and only the parent decides when to stop.

Every process pcsim starts (the processes backend's workers, the window's engine) calls
:func:`become_child` first thing. It does three things:

* ignores SIGINT: a Ctrl+C in a terminal reaches the whole process group, but only the
  parent decides what it means (stop, book, report), so a worker never dies mid-item
  with a ``KeyboardInterrupt`` traceback. SIGTERM keeps its default, so a deliberate
  ``Process.terminate()`` still ends a worker where it stands;
* on Linux, asks the kernel for a parent-death signal (``prctl(PR_SET_PDEATHSIG)``):
  the child is killed the moment its parent dies, however it dies. The kernel means the
  parent *thread* that started the child, so the caller must start children from a
  thread that lives as long as they do (the processes backend's spawner does; the
  engine asks for it only when started from the main thread);
* everywhere, starts a watchdog thread that checks every :data:`WATCH_PERIOD_S` whether
  the parent is still the process that started it (``os.getppid()`` changes when an
  orphan is re-parented), and if not, runs an optional last action for at most
  ``grace_s`` and leaves with ``os._exit``.

Qt-free and light: a spawned worker imports it before anything else it runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

from simulator import exitcodes

WATCH_PERIOD_S = 0.5  #: how often the watchdog looks at the parent
ORPHAN_EXIT_CODE = exitcodes.for_signal(signal.SIGHUP)  #: an orphan's exit (nobody reads it)
_PR_SET_PDEATHSIG = 1
_TRACKER_QUIET = "ignore:resource_tracker:UserWarning"


def ignore_sigint() -> None:
    """Ignore Ctrl+C in this process (only possible from the main thread), then let it
    through the signal mask again: a Ctrl+C that came while the child was starting
    (blocked by :func:`sigint_blocked` in its parent) is discarded, never delivered."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def quiet_resource_tracker() -> None:
    """Keep multiprocessing's resource tracker from warning about a killed process.

    When a worker or the engine is killed, the tracker frees the semaphores it left (as
    it should) and then warns about each "leak" on the shared stderr, under pcsim's own
    one-line message. The tracker starts with this process's ``-W`` options, so call this
    before the first child or semaphore is made.
    """
    if getattr(sys, "frozen", False):
        # PyInstaller's multiprocessing hook recognises the tracker's command line only
        # when its flags equal the frozen parent's own: an added -W would reach pcsim's
        # argument parser instead. The frozen app keeps the warning.
        return
    if _TRACKER_QUIET not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_QUIET)


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in the calling thread while children are started from it.

    A child inherits its starting thread's signal mask through fork and exec, so it is
    born deaf to Ctrl+C, before its interpreter could run :func:`ignore_sigint`; a
    worker still booting never dies of a Ctrl+C with a traceback. Only this thread is
    affected: the parent's main thread still gets its Ctrl+C.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` when the parent thread dies; False if the OS
    offers no such thing (anything but Linux) or refused."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _leave(on_orphan: Callable[[], None] | None, grace_s: float) -> None:
    """The parent is gone: run the last action for at most ``grace_s``, then exit."""
    if on_orphan is not None:
        last = threading.Thread(target=on_orphan, name="pcsim-orphan", daemon=True)
        last.start()
        last.join(grace_s)
    os._exit(ORPHAN_EXIT_CODE)


def watch_parent(
    parent_pid: int,
    on_orphan: Callable[[], None] | None = None,
    grace_s: float = 1.0,
    period_s: float = WATCH_PERIOD_S,
) -> threading.Thread:
    """Start the watchdog: once this process's parent is no longer ``parent_pid``, run
    ``on_orphan`` (bounded by ``grace_s``) and exit. Returns the daemon thread."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(period_s)
        _leave(on_orphan, grace_s)

    t = threading.Thread(target=watch, name="pcsim-lifeline", daemon=True)
    t.start()
    return t


def become_child(
    parent_pid: int,
    *,
    death_signal: bool = True,
    on_orphan: Callable[[], None] | None = None,
    grace_s: float = 1.0,
) -> None:
    """Make this process a well-behaved child of ``parent_pid`` (see the module's notes).

    Call it first thing in the child's entry point. ``death_signal`` asks for the
    kernel's parent-death SIGKILL (only right if the parent thread that started this
    process lives as long as the parent wants it to); the watchdog runs regardless.
    If the parent is already gone, this returns only after ``on_orphan`` ran: it exits.
    """
    ignore_sigint()
    if death_signal:
        set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # died before we could ask to be told
        _leave(on_orphan, grace_s)
    watch_parent(parent_pid, on_orphan, grace_s)
