"""``pcsim worker``: join a running redis-backend simulation from another terminal or
machine.

``pcsim worker --broker URL --run NAME --role producer|consumer [--count N] [--name
PREFIX]`` starts N worker threads in this process on the run's broker: the same loops
and the same Lua scripts as the run's own workers (:class:`~.redis_backend.WorkerPool`).
They are named from 1001 on (``C1001``, ...), so never like the run's own, and the run's
window shows them (their host in the run's ``hosts`` hash). This process follows the
run's ``ctl`` hash every :data:`~.redis_backend.CTL_POLL_S`: pause, live sleeps, and the
stop, after which it exits 0. Ctrl+C (or SIGTERM) lets its workers finish the item in
hand and leave (while the run is paused, once it resumes); a second Ctrl+C leaves at
once and gives the items in hand back to the buffer (shown as recovered). A kill -9
leaves an item in a consumer's hand, which the engine recovers once the heartbeat
expires; a process stalled that long (suspended) finds its workers declared dead, fenced
off (they change nothing more: the item is never consumed twice), and leaves.

Exit codes: 2 for a bad URL, a refused password or an unknown run (one line); 4 if the
broker does not answer or vanishes, or the run declared this process's workers dead;
130/143 after Ctrl+C/SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import threading
import time
from typing import Any

from simulator import exitcodes
from simulator.engine.workers import Role

COUNT_MAX = 64


def add_parser(sub: Any, func: Any) -> None:
    """``pcsim worker``'s flags (called by :func:`simulator.cli.build_parser`; ``func``
    runs it)."""
    p = sub.add_parser(
        "worker",
        help="join a running redis-backend run from another terminal or machine",
        description="Start workers in this process that join a running simulation on a "
        "Redis broker (pcsim run/gui --backend redis --listen ADDRESS prints this command).",
    )
    p.add_argument(
        "--broker", required=True, metavar="URL", help="redis://[:PASSWORD@]HOST:PORT/DB"
    )
    p.add_argument("--run", required=True, metavar="NAME", help="the run's name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--count", type=int, default=1, metavar="N", help=f"how many, 1–{COUNT_MAX}")
    p.add_argument(
        "--name", metavar="PREFIX", help="where these workers run, shown on their cards"
    )
    p.set_defaults(func=func)


class _Stop:
    """SIGINT/SIGTERM: leave after the item in hand; a second one: leave now, giving the
    item in hand back to the buffer."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.event = threading.Event()
        self.now = threading.Event()

    def __call__(self, signum: int, _frame: object) -> None:
        if self.event.is_set():
            self.now.set()
        self.signum = signum
        self.event.set()


def run(args: argparse.Namespace) -> int:
    """Join the run; return the exit code (see the module's notes)."""
    from simulator.engine.backends.redis_backend import WorkerPool, _broker_time
    from simulator.engine.backends.redis_buffer import Keys
    from simulator.engine.broker import BrokerError, connect
    from simulator.engine.broker_url import BrokerUrlError, parse_broker_url, redact

    prog = "pcsim worker"
    if not 1 <= args.count <= COUNT_MAX:
        print(
            f"{prog}: error: --count must be an integer in 1–{COUNT_MAX} (got {args.count})",
            file=sys.stderr,
        )
        return exitcodes.USAGE
    try:
        url = parse_broker_url(args.broker)
    except BrokerUrlError as err:
        print(
            f"{prog}: error: --broker must be {err} (got {redact(args.broker)!r})", file=sys.stderr
        )
        return exitcodes.USAGE
    try:
        conn = connect(url)
    except BrokerError as err:
        print(f"{prog}: {'error: ' if err.code == exitcodes.USAGE else ''}{err}", file=sys.stderr)
        return err.code
    keys = Keys(args.run)
    try:
        ctl = _decode(conn.hgetall(keys.ctl))
        if not ctl or ctl.get("stopping") == "1":
            print(
                f"{prog}: error: no run {args.run!r} is running on {url.redacted()}",
                file=sys.stderr,
            )
            return exitcodes.USAGE
        role = Role(args.role)
        # the engine's clock: its monotonic time at clock_at on the broker's clock
        offset = float(ctl["clock"]) + (_broker_time(conn) - float(ctl["clock_at"]))
        offset -= time.monotonic()
        limit = int(ctl.get("limit", "0")) or None
        seed = int(ctl.get("seed", "-1"))
        pool = WorkerPool(
            url,
            keys,
            capacity=int(ctl["capacity"]),
            limit=limit,
            seed=None if seed < 0 else seed,
            sleeps={r: _sleep(ctl, r) for r in Role},
            offset=offset,
        )
        gens = {r: ctl.get(f"{r}_gen", "0") for r in Role}
        _follow_work(pool, ctl)
        pool.set_hold(ctl.get("held") == "1")
        where = args.name or socket.gethostname()
        names = []
        for _ in range(args.count):
            number = int(conn.incr(keys.numbers(role)))
            name = f"{role.letter}{number}"
            names.append(name)
            pipe = conn.pipeline(transaction=False)
            pipe.sadd(keys.joined, name)
            pipe.hset(keys.hosts, name, where)
            pipe.execute()
            pool.add(role, name, number)
    except Exception as exc:
        print(f"{prog}: the broker failed: {redact(str(exc))}", file=sys.stderr)
        return exitcodes.OUTSIDE
    print(f"{prog}: {', '.join(names)} joined run {args.run} on {url.redacted()}", file=sys.stderr)
    stop = _Stop()
    old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    code = exitcodes.OK
    try:
        code = _follow(conn, keys, pool, gens, stop)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        with contextlib.suppress(Exception):
            pipe = conn.pipeline(transaction=False)
            pipe.srem(keys.joined, *names)
            pipe.execute()
        conn.close()
    if pool.failure is not None and code == exitcodes.OK:
        print(f"{prog}: the broker failed: {redact(pool.failure)}", file=sys.stderr)
        code = exitcodes.OUTSIDE
    if stop.signum is not None:
        return exitcodes.for_signal(stop.signum)
    return code


def _decode(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}


def _sleep(ctl: dict[str, str], role: Role) -> tuple[float, float]:
    return float(ctl.get(f"{role}_lo", "0")), float(ctl.get(f"{role}_hi", "0"))


_calibrated: list[float] = []  # this machine's CPU kernel speed, measured once


def _follow_work(pool: Any, ctl: dict[str, str]) -> None:
    """``work = "cpu"``: compute at this machine's own calibrated speed (``cpu.py``);
    else sleep."""
    if ctl.get("work") == "cpu":
        if not _calibrated:
            from simulator.engine.cpu import calibrate

            _calibrated.append(calibrate())
        pool.cpu_rate = _calibrated[0]
    else:
        pool.cpu_rate = 0.0


def _follow(conn: Any, keys: Any, pool: Any, gens: dict[Role, str], stop: _Stop) -> int:
    """Mirror the run's ctl hash into the pool until the run stops (or this process is
    asked to leave); the exit code."""
    from simulator.engine.backends.redis_backend import CTL_POLL_S, STOP_JOIN_S
    from simulator.engine.backends.redis_buffer import BEAT_TTL_MS

    code = exitcodes.OK
    told = False
    while True:
        if stop.now.wait(CTL_POLL_S):  # leave at once: what each holds goes back
            back = pool.leave_now()
            if back:
                print(f"pcsim worker: {', '.join(back)} gave its item back", file=sys.stderr)
            return code
        if stop.event.is_set() and not told:  # leave: each finishes its item first
            told = True
            for name in list(pool.workers):
                pool.retire(name)  # (one holding an item stays held while the run is)
            if pool.holding:
                print(
                    "pcsim worker: leaving once the run resumes and the items in hand are "
                    "done; Ctrl+C again leaves now and gives them back",
                    file=sys.stderr,
                )
        try:
            ctl = _decode(conn.hgetall(keys.ctl))
        except Exception:
            code = exitcodes.OUTSIDE  # the broker vanished
            break
        if not ctl or ctl.get("stopping") == "1":
            break  # the run ended
        for role in Role:
            gen = ctl.get(f"{role}_gen", "0")
            if gen != gens[role]:
                gens[role] = gen
                pool.set_sleep(role, *_sleep(ctl, role))
        if ctl.get("producers_leave") == "1":  # a draining stop: producers go first
            for name in [n for n in pool.workers if n[:1] == "P"]:
                pool.retire(name)
        _follow_work(pool, ctl)
        held = ctl.get("held") == "1"
        if held != pool.holding:
            pool.set_hold(held)
        if not pool.alive():
            break  # they all finished: an item limit, a poison pill, leaving, or fenced
    pool.stop(STOP_JOIN_S)
    if pool.fenced:
        print(
            f"pcsim worker: the run declared {', '.join(pool.fenced)} dead (no heartbeat for "
            f"{BEAT_TTL_MS / 1000:g} s: was this process suspended?) and gave back what "
            "it held; it left the run",
            file=sys.stderr,
        )
        code = exitcodes.OUTSIDE
    return code
