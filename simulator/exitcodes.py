"""What pcsim's exit code means: one meaning each, the same for every command.

README "Exit codes" and /work/shared/DESIGN.md state the contract; this module is its
only spelling in code, so ``pcsim run``, ``pcsim record``, the window and the benches
cannot drift apart.
"""

from __future__ import annotations

#: the run (or command) did what was asked
OK = 0
#: the books broke: an item lost or consumed twice (outranks how the run ended)
BOOKS = 1
#: bad input (a flag, a scenario, an output path): one line naming it, before any work
USAGE = 2
#: the run got stuck: a deadlock, or a ``join()`` that can never return
STUCK = 3
#: something outside the books failed: a needed program is missing, the engine died
OUTSIDE = 4
#: ended by signal N: the exit code is SIGNAL_BASE + N (130 Ctrl+C, 143 SIGTERM)
SIGNAL_BASE = 128
#: SIGPIPE: the reader of our output went away; pcsim ends quietly with this code
PIPE = SIGNAL_BASE + 13


def for_signal(signum: int) -> int:
    """The exit code of a command ended by signal ``signum``."""
    return SIGNAL_BASE + signum
