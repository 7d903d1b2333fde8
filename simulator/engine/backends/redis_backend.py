"""Workers around a bounded buffer on a Redis broker (:mod:`.redis_buffer`).

**Threads, each with its own connection.** The run's own workers are threads of the
engine's process: every step of theirs is a round trip to the broker, during which the
client waits on a socket with the GIL released, so threads cost little next to the
network, start at once (no interpreter per worker) and share the hold and stop flags
without a poll. Each thread has its own connection, as a worker on another machine
would. Workers in *other* processes, or machines, join through ``pcsim worker``
(:mod:`simulator.worker_cli`), which runs the same :class:`WorkerPool` and follows the
run's ``ctl`` hash (held, stopping, sleeps) instead of the backend's calls.

The engine reads the event stream (``XREAD``) on one reader thread and trims what it
has read; the events arrive in the broker's order (``exact_order``), so the ledger's
strict checks hold. Without ``--broker`` the backend starts a private ``redis-server``
(:class:`~simulator.engine.broker.PrivateServer`) and stops it at the end; with one, it
deletes the run's keys at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import sys
import threading
import time
from typing import Any

from simulator.engine.backends.base import (
    Backend,
    Closed,
    Emit,
    ThreadWorkerFlags,
    run_consumer,
    run_producer,
    wake_role,
    worker_rng,
)
from simulator.engine.backends.redis_buffer import (
    BEAT_EVERY_S,
    BEAT_TTL_MS,
    DONE,
    FENCED,
    FLUSH,
    GET,
    PUT,
    RECOVER,
    Keys,
    line,
    parse,
)
from simulator.engine.broker import BrokerError, PrivateServer, client, connect
from simulator.engine.broker_url import BrokerUrl, parse_broker_url
from simulator.engine.config import SimulationConfig
from simulator.engine.cpu import ThreadClock, read_clocks
from simulator.engine.events import (
    K_CONSUMED,
    K_GET_WAIT,
    K_GOT,
    K_PUT,
    K_PUT_WAIT,
    K_RECOVERED,
    K_STARTED,
    K_STOPPED,
    MAIN,
    NO_ITEM,
    RawEvent,
    error_event,
    is_pill,
    pill_id,
    stopped_event,
)
from simulator.engine.workers import ROLES, Role

_now = time.monotonic
POLL_S = 0.05  #: how long a blocked put or get waits on the broker before it re-checks
FLUSH_EVERY = 256  #: events a worker keeps at most before it writes them
FLUSH_AGE_S = 0.005  #: a short plain sleep writes the waiting events once they are this old
TICKET_BLOCK = 32  #: item-limit tickets taken at once (one round trip per 32 items)
READ_BLOCK_MS = 50  #: how long the engine's reader waits for new events
READ_COUNT = 2000  #: stream entries read at once
STOP_JOIN_S = 3.0  #: how long stop waits for the workers
JOINED_STOP_S = 2.0  #: how long stop waits for joined workers to say STOPPED
CTL_POLL_S = 0.1  #: how often a joined worker process reads the run's ctl hash
#: the kinds the reader notes of joined workers
_COUNTED = frozenset({K_CONSUMED, K_PUT, K_STARTED, K_STOPPED})


class _Scripts:
    """The Lua scripts, registered once per pool (each worker calls them on its own
    connection: ``EVALSHA``, loading them again if the broker forgot them)."""

    def __init__(self, conn: Any) -> None:
        self.put = conn.register_script(PUT)
        self.get = conn.register_script(GET)
        self.done = conn.register_script(DONE)
        self.flush = conn.register_script(FLUSH)
        self.recover = conn.register_script(RECOVER)


class _RedisWorker(ThreadWorkerFlags):
    """The :class:`~.base.WorkerRuntime` of one worker thread, on its own connection."""

    def __init__(self, pool: WorkerPool, role: Role, name: str, number: int) -> None:
        self.pool = self.owner = pool
        self.role, self.name, self.number = role, name, number
        self.conn = client(pool.url, single_connection_client=True)
        self.keys = pool.keys
        self.uniform = worker_rng(pool.seed, name).uniform
        self.wake = threading.Event()  #: cuts a sleep short (stop, retire, hold, new range)
        self.go = threading.Event()  #: ends a hold (resume, stop, retire)
        self.parked = False
        self.is_retiring = False
        #: the broker's workers always mark their items done (no bug is offered on redis)
        self.skip_task_done = False
        self.tickets_left = 0
        self._out: list[str] = []  # event lines not yet written (see redis_buffer)
        self._oldest = 0.0  # when the oldest of them happened
        self._offset = pool.offset
        self._waited = False  # this get already wrote its GET_WAIT
        self._last = NO_ITEM  # the item this consumer took last (a pill is done apart)
        #: the run declared this worker dead (its heartbeat expired while it was stalled)
        #: and gave back what it held: it changes nothing more and leaves in silence
        self.fenced = False
        self.clock = ThreadClock()  # its CPU time, read by the engine (see engine/cpu.py)
        target = run_producer if role == Role.PRODUCER else run_consumer
        self.thread = threading.Thread(target=self._run, args=(target,), name=f"pcsim-{name}")
        self.thread.daemon = True
        k = self.keys
        self._put_keys = [k.items, k.free, k.events, k.wake, k.members, k.token(name)]
        self._get_keys = [k.items, k.hand(name), k.events, k.members]
        self._done_keys = [k.hand(name), k.free, k.events, k.members]

    def _run(self, target: Any) -> None:
        k, name = self.keys, self.name
        self.clock.begin()
        try:
            pipe = self.conn.pipeline(transaction=False)
            pipe.set(k.beat(name), "1", px=BEAT_TTL_MS)
            pipe.sadd(k.members, name)
            pipe.execute()
            target(self)
        except Exception as exc:  # the broker went away mid-step: say so where one can
            self.pool.failed(self.name, exc)
        finally:
            with contextlib.suppress(Exception):
                pipe = self.conn.pipeline(transaction=False)
                pipe.srem(k.members, name)
                pipe.delete(k.beat(name))
                pipe.execute()
            with contextlib.suppress(Exception):
                self.conn.close()
            self.clock.end()

    # ---- events ---------------------------------------------------------------------
    def _pre(self) -> str:
        out = self._out
        if not out:
            return ""
        self._out = []
        return "\n".join(out)

    def emit(self, ev: RawEvent) -> None:
        if self.fenced:  # declared dead: the run already wrote its STOPPED
            return
        if ev[1] == K_CONSUMED:  # the finish of an item: one script with its event
            self._done(ev)
            return
        if not self._out:
            self._oldest = ev[0]
        self._out.append(line(ev, self._offset))
        # STARTED ("I am ready") and STOPPED (its last word) go at once
        if len(self._out) >= FLUSH_EVERY or ev[1] in (K_STARTED, K_STOPPED):
            self.flush()

    def flush(self) -> None:
        if self._out and not self.fenced:
            args = [self._pre(), self.name]
            keys = [self.keys.events, self.keys.members]
            if self.pool.scripts.flush(keys=keys, args=args, client=self.conn) == FENCED:
                self._fence(leave=False)

    def _done(self, ev: RawEvent) -> None:
        self._finish(ev[3], line(ev, self._offset))

    def _finish(self, item: int, event: str) -> None:
        """The DONE script: ``item`` leaves this consumer's hand, its slot's token goes
        back; :class:`Closed` if the run fenced this worker off."""
        args = [str(item), self._pre(), event, self.name]
        if self.pool.scripts.done(keys=self._done_keys, args=args, client=self.conn) == FENCED:
            self._fence()

    def _fence(self, leave: bool = True) -> None:
        """A script said the run declared this worker dead: from now on it says nothing
        (the run wrote its STOPPED); ``leave``: :class:`Closed`, out of its loop."""
        if not self.fenced:
            self.fenced = True
            self._out = []
            self.pool.fenced.append(self.name)
        if leave:
            raise Closed

    # ---- holding, sleeping -------------------------------------------------------
    def held(self) -> bool:
        return self.pool.holding

    def hold(self, holding: bool = False, spend: bool = False) -> None:
        self.flush()  # the picture shows where it holds
        pool, go = self.pool, self.go
        try:
            while pool.holding and not pool.stopping and (holding or not self.is_retiring):
                self.parked = True
                go.wait(0.1)
                go.clear()
        finally:
            self.parked = False

    def sleep(self, seconds: float) -> bool:
        self.flush()
        if self.wake.wait(seconds):
            self.wake.clear()
            return True
        return False

    def nap(self, seconds: float) -> None:
        if self._out and (seconds >= FLUSH_AGE_S or _now() - self._oldest >= FLUSH_AGE_S):
            self.flush()
        time.sleep(seconds)

    def ticket(self) -> bool:
        limit = self.pool.limit
        if limit is None:
            return True
        if not self.tickets_left:
            taken = int(self.conn.incrby(self.keys.tickets, TICKET_BLOCK))
            take = min(TICKET_BLOCK, limit - (taken - TICKET_BLOCK))
            if take <= 0:
                return False
            self.tickets_left = take
        self.tickets_left -= 1
        return True

    # ---- the buffer ------------------------------------------------------------------
    def _stamp(self, kind: int, item: int = NO_ITEM) -> str:
        """The first fields of an event line that a script completes."""
        if item == NO_ITEM:
            return f"{_now() + self._offset!r}|{kind}|{self.name}|"
        return f"{_now() + self._offset!r}|{kind}|{self.name}|{item}|"

    def put(self, item: int) -> None:
        """Put ``item``, waiting (on the ``free`` tokens) while the buffer is full or
        held; :class:`Closed` on stop."""
        pool, conn, put = self.pool, self.conn, self.pool.scripts.put
        while pool.holding:  # held since the last hold point: the put waits too
            self.hold(True)
            if pool.stopping:
                raise Closed
        wait = f"{self._stamp(K_PUT_WAIT, item)}{pool.capacity}|0.0"
        args = [str(item), self._pre(), self._stamp(K_PUT, item), "0", wait, self.name]
        n = int(put(keys=self._put_keys, args=args, client=conn))
        if n == FENCED:
            self._fence()
        if n >= 0:
            return
        free, token = self.keys.free, self.keys.token(self.name)
        while True:
            if pool.stopping:
                raise Closed
            if pool.holding:
                self.hold(True)
                continue
            # the token waits on the broker, not here: a producer that dies now gives
            # it back through RECOVER
            if conn.blmove(free, token, POLL_S, "LEFT", "RIGHT") is None:
                continue
            if pool.holding:  # a free slot, but the put must not complete while held
                self.hold(True)
            if pool.stopping:
                conn.lmove(token, free, "LEFT", "RIGHT")  # give the slot back
                raise Closed
            args = [str(item), self._pre(), self._stamp(K_PUT, item), "1", "", self.name]
            if int(put(keys=self._put_keys, args=args, client=conn)) == FENCED:
                self._fence()
            return

    def get(self) -> int:
        """Move the oldest item into this worker's in-hand list, waiting (on the wake-up
        list) while the buffer is empty or held; :class:`Closed` on stop or retire."""
        pool, conn, get = self.pool, self.conn, self.pool.scripts.get
        name = self.name
        while pool.holding:  # held since the last hold point: the get waits too
            self.hold()
            if self.exiting():
                raise Closed
        wait = f"{_now() + self._offset!r}|{K_GET_WAIT}|{name}|{NO_ITEM}|0|0.0"
        got = self._stamp(K_GOT)
        item = get(keys=self._get_keys, args=[self._pre(), got, wait, name], client=conn)
        if item is not None:
            return self._took(item)
        wake = self.keys.wake
        while True:
            if self.exiting():
                raise Closed
            if pool.holding:
                self.hold()
                continue
            self.flush()
            conn.blpop([wake], timeout=POLL_S)
            if self.exiting():
                raise Closed
            if pool.holding:
                continue
            args = [self._pre(), self._stamp(K_GOT), "", name]
            item = get(keys=self._get_keys, args=args, client=conn)
            if item is not None:
                return self._took(item)

    def _took(self, reply: Any) -> int:
        """The GET script's reply: the item (bytes), or FENCED (a number)."""
        if isinstance(reply, int) and reply == FENCED:
            self._fence()
        self._last = int(reply)
        return self._last

    def task_done(self) -> None:
        """An item's finish is the CONSUMED event's script (see :meth:`emit`); a poison
        pill's, which the books do not count, is the same script without an event: the
        pill leaves the hand and its slot's token goes back."""
        if is_pill(self._last):
            with contextlib.suppress(Closed):  # fenced off: RECOVER gave the pill back
                self._finish(self._last, "")

    def finish(self) -> None:
        if self.tickets_left:  # give back what this worker will not make
            with contextlib.suppress(Exception):
                self.conn.decrby(self.keys.tickets, self.tickets_left)
            self.tickets_left = 0
        self.flush()


class WorkerPool:
    """Worker threads on one broker, and the flags they read: the backend's own workers,
    or a ``pcsim worker`` process's (which sets the flags from the run's ctl hash)."""

    def __init__(
        self,
        url: BrokerUrl,
        keys: Keys,
        *,
        capacity: int,
        limit: int | None,
        seed: int | None,
        sleeps: dict[Role, tuple[float, float]],
        offset: float = 0.0,
        on_failure: Any = None,
    ) -> None:
        self.url, self.keys = url, keys
        self.capacity, self.limit, self.seed = capacity, limit, seed
        self.sleeps = dict(sleeps)
        self.sleep_gen: dict[Role, int] = {role: 0 for role in ROLES}
        self.offset = offset
        self.holding = False
        self.stopping = False
        self.attention = False
        #: spin iterations per second of ``work = "cpu"``, 0.0 to sleep (see ``cpu.py``)
        self.cpu_rate = 0.0
        self.workers: dict[str, _RedisWorker] = {}
        self._leaving: list[_RedisWorker] = []
        #: workers the run declared dead while they were only stalled (see FENCED)
        self.fenced: list[str] = []
        self._conn = client(url)
        self.scripts = _Scripts(self._conn)
        self._on_failure = on_failure
        self.failure: str | None = None
        self._beating = threading.Event()
        self._beater = threading.Thread(target=self._beat, name="pcsim-heartbeat", daemon=True)
        self._beater.start()

    def _beat(self) -> None:
        """Refresh every live worker's heartbeat (see :mod:`.redis_buffer`)."""
        conn = client(self.url)
        try:
            while not self._beating.wait(BEAT_EVERY_S):
                names = self.alive()
                if not names:
                    continue
                pipe = conn.pipeline(transaction=False)
                for name in names:
                    pipe.set(self.keys.beat(name), "1", px=BEAT_TTL_MS)
                with contextlib.suppress(Exception):
                    pipe.execute()
        finally:
            conn.close()

    def recover(self, name: str, conn: Any, leaving: bool = False) -> int:
        """The RECOVER script for worker ``name`` (see :mod:`.redis_buffer`): if its
        heartbeat expired, or it is ``leaving`` at once, what it held goes back; 0 (alive),
        1 (gone, empty handed) or 2 (gone, its item back in the buffer)."""
        k, t = self.keys, _now() + self.offset
        stopped = line(stopped_event(name, NO_ITEM), self.offset)
        args = [f"{t!r}|{K_RECOVERED}|{name}|", stopped, name, "1" if leaving else "0"]
        keys = [k.hand(name), k.items, k.events, k.beat(name), k.members, k.wake]
        keys += [k.token(name), k.free]
        return int(self.scripts.recover(keys=keys, args=args, client=conn))

    def leave_now(self) -> list[str]:
        """Every worker of this pool leaves at once, mid-item (``pcsim worker``'s second
        Ctrl+C): RECOVER first, for each one still a member (one that left already wrote
        its own STOPPED), gives back what it holds, says so and writes its STOPPED, which
        fences it off; then the threads are stopped. The names that gave an item back."""
        conn = client(self.url)
        try:
            everyone = list(self.workers.values()) + self._leaving
            back = [w.name for w in everyone if self.recover(w.name, conn, leaving=True) == 2]
        finally:
            conn.close()
        self.stop(STOP_JOIN_S)
        self.fenced.clear()  # they left as asked: nobody declared them dead
        return back

    def failed(self, name: str, exc: BaseException) -> None:
        if self.stopping and self.failure is None:
            return
        if self.failure is None:
            self.failure = f"{name}: {type(exc).__name__}: {exc}"
        if self._on_failure is not None:
            self._on_failure(name, exc)

    def alive(self) -> set[str]:
        """The workers of this pool whose thread runs (retired ones finishing too)."""
        everyone = list(self.workers.values()) + list(self._leaving)
        return {w.name for w in everyone if w.thread.is_alive()}

    def add(self, role: Role, name: str, number: int) -> None:
        w = _RedisWorker(self, role, name, number)
        self.workers[name] = w
        if self.stopping:
            return
        w.thread.start()

    def retire(self, name: str) -> None:
        w = self.workers.pop(name, None)
        if w is None:
            return
        w.retire()
        self._leaving = [r for r in self._leaving if r.thread.is_alive()] + [w]

    def set_sleep(self, role: Role, lo: float, hi: float) -> None:
        self.sleeps[role] = (lo, hi)
        self.sleep_gen[role] += 1
        wake_role(self.workers.values(), role)

    def set_hold(self, held: bool) -> None:
        self.holding = held
        self.attention = held or self.stopping
        for w in list(self.workers.values()):
            if held:
                w.wake.set()
            else:
                w.go.set()

    def settled(self) -> bool:
        return all(w.parked or not w.thread.is_alive() for w in list(self.workers.values()))

    def stop(self, timeout: float) -> list[str]:
        """Stop and join every worker; the names of those that did not end in time."""
        self.stopping = self.attention = True
        everyone = list(self.workers.values()) + self._leaving
        for w in everyone:
            w.wake.set()
            w.go.set()
        deadline = _now() + timeout
        for w in everyone:
            if w.thread.ident is not None:
                w.thread.join(max(0.0, deadline - _now()))
        self._beating.set()
        self._beater.join(2.0)
        self._conn.close()
        return [w.name for w in everyone if w.thread.is_alive()]


def new_run_name() -> str:
    """A fresh run name: short enough to type in a join command."""
    return secrets.token_hex(3)


class RedisBackend(Backend):
    """The redis backend (see the module's notes)."""

    exact_order = True
    can_step = False  # a step would need a grant shared across machines: not offered

    def __init__(self, config: SimulationConfig, emit: Emit) -> None:
        super().__init__(config, emit)
        self.run = new_run_name()
        self.keys = Keys(self.run)
        self.server: PrivateServer | None = None
        self.url: BrokerUrl | None = None
        self.pool: WorkerPool | None = None
        #: the command that joins this run from another terminal (password included)
        self.join_command = ""
        self._reader: threading.Thread | None = None
        self._reading = True
        self._last_id = "0-0"
        self._recover_failed = ""  #: why the last look for dead workers failed
        #: joined worker -> where it runs (its ``pcsim worker --name``, or its host)
        self.hosts: dict[str, str] = {}
        #: joined worker -> items it put (a producer) or consumed (a consumer)
        self.joined: dict[str, int] = {}
        #: every worker of the run's own, leaving ones too (and the main thread's pills)
        self._local: set[str] = {MAIN}
        self._joined_stopped: set[str] = set()  # joined workers whose STOPPED came
        #: what failed outside the books (the broker vanished): the run cannot go on;
        #: the simulation ends it and keeps its books as they were (exit 4)
        self.failure: str | None = None

    # ---- start -----------------------------------------------------------------------
    def _open_broker(self) -> BrokerUrl:
        if self.config.broker is not None:  # others join on the same broker, by the
            url = parse_broker_url(self.config.broker)  # run's name, which only this says
            connect(url).close()
            self._announce(url)
            return url
        self.server = PrivateServer(self.config.listen)
        url = self.server.start()
        if self.config.listen is not None:
            from simulator.engine.broker import join_host

            self._announce(BrokerUrl(join_host(self.server.bind), url.port, 0, url.password))
        return url

    def _announce(self, url: BrokerUrl) -> None:
        """Print the command that joins this run on ``url`` (password included: only
        whoever started the run sees this terminal) and keep it for the window's
        Invite workers…."""
        self.join_command = f"pcsim worker --broker {url.url()} --run {self.run} --role consumer"
        print(f"pcsim: others join this run with:\n  {self.join_command}", file=sys.stderr)

    def _init_keys(self, conn: Any) -> None:
        k, cap = self.keys, self.config.capacity
        p, c = self.sleeps[Role.PRODUCER], self.sleeps[Role.CONSUMER]
        pipe = conn.pipeline(transaction=True)
        pipe.delete(k.items, k.free, k.wake, k.events, k.tickets, k.members, k.ctl)
        pipe.delete(k.joined, k.hosts)
        pipe.rpush(k.free, *(["1"] * cap))
        pipe.hset(
            k.ctl,
            mapping={
                "held": int(self.held),
                "stopping": 0,
                "producer_lo": p[0],
                "producer_hi": p[1],
                "consumer_lo": c[0],
                "consumer_hi": c[1],
                "producer_gen": 0,
                "consumer_gen": 0,
                "capacity": cap,
                "limit": self.config.items or 0,
                "seed": -1 if self.config.seed is None else self.config.seed,
                "work": "cpu" if self.cpu_rate > 0.0 else "sleep",
                "clock": repr(_now()),
                "clock_at": repr(_broker_time(conn)),
            },
        )
        # joined workers number themselves from 1001 on: never a name the run gives
        for role in ROLES:
            pipe.set(k.numbers(role), 1000)
        pipe.xadd(k.events, {"e": ""}, id="0-1")  # the stream exists before anyone reads
        pipe.execute()

    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        try:
            self.url = self._open_broker()
            self._conn = client(self.url)
            self._init_keys(self._conn)
            self._last_id = "0-1"
            self.pool = WorkerPool(
                self.url,
                self.keys,
                capacity=self.config.capacity,
                limit=self.config.items,
                seed=self.config.seed,
                sleeps=self.sleeps,
                on_failure=self._worker_failed,
            )
        except BrokerError:
            self._close_broker()
            raise
        self.pool.cpu_rate = self.cpu_rate
        with self._hold_lock:
            self.pool.set_hold(self.held)
        self._reader = threading.Thread(target=self._read_loop, name="pcsim-events", daemon=True)
        self._reader.start()
        for w in workers:
            self.add(*w)

    def _worker_failed(self, name: str, exc: BaseException) -> None:
        if _lost_broker(exc) or self.failure is not None or not self._broker_answers():
            self._broker_lost(exc)
        else:  # a failure of the worker itself: the books show it
            self.emit(error_event(name, NO_ITEM, f"{type(exc).__name__}: {exc}"))

    def _broker_answers(self) -> bool:
        """Whether the broker still answers a PING on a new connection."""
        if self.url is None:
            return False
        try:
            conn = client(self.url)
            try:
                return bool(conn.ping())
            finally:
                conn.close()
        except Exception:
            return False

    def _broker_lost(self, exc: BaseException) -> None:
        if self.failure is None:
            where = self.url.redacted() if self.url is not None else "the broker"
            self.failure = f"the broker {where} vanished: {type(exc).__name__}: {exc}"

    # ---- the event stream ------------------------------------------------------------
    def _read(self, block: int | None) -> int:
        """Read (at most :data:`READ_COUNT` entries) after the last one, hand their events
        to the engine, trim what was read; how many entries."""
        conn, key = self._conn, self.keys.events
        got = conn.xread({key: self._last_id}, count=READ_COUNT, block=block)
        if not got:
            return 0
        entries = got[0][1]
        emit, local, joined = self.emit, self._local, self.joined
        for _id, fields in entries:
            e = fields.get(b"e", b"")
            if e:
                for ev in parse(e.decode()):
                    k = ev[1]
                    if k in _COUNTED and ev[2] not in local:
                        if k == K_STARTED:  # a joined worker: where it runs, before its card
                            self._learn_host(ev[2])
                            joined.setdefault(ev[2], 0)
                        elif k == K_STOPPED:
                            self._joined_stopped.add(ev[2])
                        else:
                            joined[ev[2]] = joined.get(ev[2], 0) + 1
                    emit(ev)
        last = entries[-1][0]
        self._last_id = last.decode() if isinstance(last, bytes) else last
        conn.xtrim(key, minid=self._last_id, approximate=False)
        return len(entries)

    def _learn_host(self, name: str) -> None:
        """Where the joined worker ``name`` runs (``pcsim worker`` wrote it before it
        started the worker), for its card: :attr:`hosts`."""
        host = self._conn.hget(self.keys.hosts, name)
        if host:
            self.hosts[name] = host.decode()

    def _read_loop(self) -> None:
        next_check = _now() + BEAT_EVERY_S
        while self._reading:
            try:
                self._read(READ_BLOCK_MS)
            except Exception as exc:
                if self._reading:
                    self._worker_failed("broker", exc)
                return
            if _now() >= next_check:
                next_check = _now() + BEAT_EVERY_S
                try:
                    self.recover_dead()
                except Exception as exc:  # the next read says whether the broker is gone
                    self._recover_failed = f"{type(exc).__name__}: {exc}"

    def recover_dead(self) -> list[str]:
        """Find workers whose heartbeat expired (not this process's own threads, which
        are alive while they run) and recover their items (see :mod:`.redis_buffer`);
        the names of the dead."""
        pool, k, conn = self.pool, self.keys, self._conn
        if pool is None or pool.stopping:
            return []
        mine = pool.alive() | {MAIN}  # (the main thread's pills: see put_pills)
        dead = []
        for raw in conn.smembers(k.members):
            name = raw.decode()
            if name in mine:
                continue
            if pool.recover(name, conn):
                dead.append(name)
                with contextlib.suppress(Exception):
                    conn.srem(k.joined, name)
        return dead

    # ---- the contract ----------------------------------------------------------------
    def add(self, role: Role, name: str, number: int) -> None:
        assert self.pool is not None
        self._local.add(name)
        self.pool.add(role, name, number)

    def retire(self, name: str) -> None:
        """Retire worker ``name``. Once no producer of the run's own is left (a run keeps
        one at least, so only a draining stop gets there), joined producers are told to
        leave too (``ctl`` ``producers_leave``): the buffer can then drain."""
        pool = self.pool
        assert pool is not None
        pool.retire(name)
        if name[:1] == "P" and not any(n[:1] == "P" for n in pool.workers):
            self._write_ctl({"producers_leave": 1})

    def set_work(self, rate: float) -> None:
        """As on every backend; joined workers learn it from ``ctl`` ``work`` and
        calibrate the CPU kernel on their own machine."""
        super().set_work(rate)
        if self.pool is not None:
            self.pool.cpu_rate = rate
        self._write_ctl({"work": "cpu" if rate > 0.0 else "sleep"})

    def _write_ctl(self, mapping: dict[str, Any]) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.hset(self.keys.ctl, mapping=mapping)

    def _sleep_changed(self, role: Role) -> None:
        lo, hi = self.sleeps[role]
        if self.pool is not None:
            self.pool.set_sleep(role, lo, hi)
        self._write_ctl({f"{role}_lo": lo, f"{role}_hi": hi})
        conn = getattr(self, "_conn", None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.hincrby(self.keys.ctl, f"{role}_gen", 1)

    def _set_hold(self, held: bool) -> None:
        if self.pool is not None:
            self.pool.set_hold(held)
            self._write_ctl({"held": int(held)})

    def settled(self) -> bool:
        return self.pool is None or self.pool.settled()

    def cpu_seconds(self) -> tuple[dict[str, float], float | None]:
        """The run's own worker threads' CPU time; joined workers run elsewhere, so they
        are not in it (their cards show no CPU figure)."""
        pool = self.pool
        if pool is None:
            return {}, None
        return read_clocks((name, w.clock) for name, w in list(pool.workers.items()))

    # ---- the endings (see Backend.put_pills, terminate) -------------------------------
    def put_pills(self, count: int) -> None:
        """The main thread's poison pills: each a real put through the PUT script, on a
        connection of its own, waiting on the free-slot tokens like any producer's. A
        consumer that takes one (a joined one too) marks it done and leaves."""
        pool = self.pool
        assert pool is not None
        main = _RedisWorker(pool, Role.PRODUCER, MAIN, 0)
        try:
            main.conn.sadd(self.keys.members, MAIN)  # the scripts' fence lets it put
            for k in range(1, count + 1):
                main.put(pill_id(k))
        except Closed:
            pass
        except Exception as exc:  # the broker went away: the run ends by exit 4
            pool.failed(MAIN, exc)
        finally:
            with contextlib.suppress(Exception):
                main.conn.srem(self.keys.members, MAIN)
            with contextlib.suppress(Exception):
                main.conn.close()

    def stop(self, timeout: float = 1.0) -> int:
        """Stop the workers (and tell joined ones), read the last events, count what the
        buffer still holds, then end the private server (or delete the run's keys)."""
        pool = self.pool
        assert pool is not None
        self._write_ctl({"stopping": 1, "held": 0})
        self.terminated.extend(pool.stop(max(timeout, STOP_JOIN_S)))
        self._wait_for_joined()
        self._reading = False
        if self._reader is not None:
            self._reader.join(2.0)
        remaining = 0
        if self.failure is None:
            try:
                while self._read(None):
                    pass
                remaining = int(self._conn.llen(self.keys.items))
            except Exception as exc:
                self._worker_failed("broker", exc)
        for name in self.joined:  # gone silent (killed, cut off): what it held, it holds
            if name not in self._joined_stopped:
                self.emit(stopped_event(name, NO_ITEM))
        self._close_broker()
        return remaining

    def _wait_for_joined(self) -> None:
        """Give workers that joined from elsewhere a moment to write STOPPED."""
        if self.failure is not None:
            return
        # Joined workers follow the ctl hash every CTL_POLL_S; their STOPPED events
        # arrive through the stream, which the reader is still reading.
        deadline = _now() + JOINED_STOP_S
        while _now() < deadline and self.joined_alive():
            time.sleep(0.02)

    def joined_alive(self) -> bool:
        """Whether a worker that joined through ``pcsim worker`` still runs."""
        with contextlib.suppress(Exception):
            return bool(self._conn.scard(self.keys.joined))
        return False

    def _close_broker(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            if self.server is None:  # an external broker: leave it as we found it
                with contextlib.suppress(Exception):
                    keys = list(itertools.islice(conn.scan_iter(self.keys.pattern()), 100_000))
                    if keys:
                        conn.delete(*keys)
            with contextlib.suppress(Exception):
                conn.close()
        if self.server is not None:
            self.server.stop()


def _lost_broker(exc: BaseException) -> bool:
    """Whether ``exc`` says the broker is out of reach (not a fault of the worker)."""
    import redis

    return isinstance(exc, redis.ConnectionError | redis.TimeoutError | OSError)


def _broker_time(conn: Any) -> float:
    """The broker's clock (``TIME``) in seconds: the one clock every worker can read."""
    sec, usec = conn.time()
    return float(sec) + float(usec) / 1e6


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (for tests and the join command's checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
