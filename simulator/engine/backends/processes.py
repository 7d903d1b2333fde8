"""Real ``multiprocessing`` workers around a ``multiprocessing.JoinableQueue``.

Uses the ``spawn`` start method on every platform: it is the only one a frozen executable
and macOS/Windows support, and it avoids forking a parent that runs threads. Each child
batches its events and sends them to the parent through one queue, flushing before every
wait so the picture never shows a stale state (before a plain sleep under 50 ms only once
its events are :data:`FLUSH_AGE_S` old: a message per short sleep cost a third of the
rate); a listener thread in the parent hands them
to the engine. This module is what a spawned child imports: keep it light (no numpy).

Children are tied to their parent (:mod:`~simulator.engine.lifeline`): they ignore SIGINT
and end by themselves when the parent dies. The kernel's parent-death signal follows the
thread that started a child, so one spawner thread starts them all and lives until every
child has been joined.

A child holds (pause, the start gate: see :mod:`~.base`) by reading one shared byte per
step; holding, it waits on its own semaphore, which the parent releases when the hold
ends (and when a sleeper must suspend or redraw its sleep), with a short poll as a
fallback. A blocked put or get polls and so re-checks the byte every ``POLL_S``.

A child first marks itself running under a shared lock; :meth:`ProcessBackend.stop`
marks every child still booting as cancelled under that same lock and terminates it at
once: such a child has not run a line of the worker loop, so it holds nothing, and stop
never waits for interpreters that are still starting. A running child that does not
stop in time is terminated and reported in :attr:`~.base.Backend.terminated`: the engine
decides from its books whether it held an item (lost) or not (a warning).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from simulator.engine.backends.base import Backend, Closed, run_consumer, run_producer, worker_rng
from simulator.engine.cpu import process_cpu
from simulator.engine.events import (
    K_STOPPED,
    MAIN,
    NO_ITEM,
    RawEvent,
    error_event,
    get_wait_event,
    got_event,
    pill_id,
    put_event,
    put_wait_event,
    rejected_event,
)
from simulator.engine.lifeline import become_child, quiet_resource_tracker, sigint_blocked
from simulator.engine.workers import Role, role_of

_now = time.monotonic
FLUSH_EVERY = 256  # events per message at full speed
#: a short plain sleep (see base.work) sends the pending events first only if it is this
#: long, or the oldest of them is this old: the picture lags by at most about twice this,
#: where a message per sleep cost the pattern a third of its rate at sleeps under 1 ms
FLUSH_AGE_S = 0.005
POLL_S = 0.05  # how often a blocked put/get looks at the stop flag
TICKET_BLOCK = 32  # item-limit tickets taken at once: one shared lock per 32 items
HELD, STOPPING = 0, 1  # the indexes of the shared flags
#: the full policies as the shared number children read (see :attr:`_Shared.policy`)
POLICY_CODES = {"block": 0, "timeout": 1, "drop-newest": 2}
BLOCK, TIMEOUT, DROP_NEWEST = 0, 1, 2
BOOTING, RUNNING, CANCELLED = 0, 1, 2  # a child's boot state
STOP_JOIN_S = 2.0  # how long stop waits for running children before terminating them
HOLD_POLL_S = 0.05  # how often a holding child looks whether it may go on, unwoken
WATCH_S = 0.25  # how often the idle spawner looks for children that died unexpectedly


def _sleep_offset(role: Role) -> int:
    """Where ``role``'s (lo, hi) sleep starts in :attr:`_Shared.sleeps`."""
    return 0 if role == Role.PRODUCER else 2


@dataclass
class _Shared:
    """What every child gets: the queues, flags and live settings.

    The parent never signals a child through a ``multiprocessing.Event`` or
    ``Condition``: their ``set()`` waits until every sleeper has woken, so one frozen or
    starved child would hang the parent's stop. A child sleeps on its own semaphore
    (``release()`` never waits) and polls the shared flags while paused.
    """

    buffer: Any
    events: Any
    sleeps: Any  # shared doubles: producer lo, hi, consumer lo, hi
    #: shared counters, producer and consumer: bumped when that role's sleeps change
    sleep_gen: Any
    tickets: Any
    flags: Any  # shared bytes read without a lock: [held, stopping]
    capacity: int  #: the buffer's (a full buffer's length, for PUT_WAIT events)
    limit: int | None
    seed: int | None
    boot_lock: Any  # guards every child's boot state (BOOTING -> RUNNING or CANCELLED)
    #: shared double: iterations per second of CPU work, 0.0 to sleep (live: set_work)
    cpu_rate: Any
    parent_pid: int
    #: shared doubles: the full policy's code (:data:`POLICY_CODES`), the put timeout (s);
    #: live: each put reads them
    policy: Any = None
    #: ``--bug missing-task-done``: consumers never call ``task_done()``
    skip_task_done: bool = False


class _ProcessWorker:
    """The :class:`~.base.WorkerRuntime` inside a child process."""

    def __init__(self, sh: _Shared, role: Role, name: str, number: int, wake: Any, retire: Any):
        self.sh, self.role, self.name, self.number = sh, role, name, number
        self.wake = wake
        self.flags = sh.flags  # the per-item checks read shared bytes, not semaphores
        self.retired = retire  # a worker's own shared retire byte
        self.tickets_left = 0
        self.uniform = worker_rng(sh.seed, name).uniform
        self._out: list[RawEvent] = []
        self._flush_at = 1  # the first event (STARTED) goes at once: "I am ready"
        self._offset = _sleep_offset(role)
        self._gen = 0 if role == Role.PRODUCER else 1
        self.skip_task_done = sh.skip_task_done

    def emit(self, ev: RawEvent) -> None:
        self._out.append(ev)
        if len(self._out) >= self._flush_at:
            self.flush()

    def flush(self) -> None:
        if self._out:
            self.sh.events.put(self._out)
            self._out = []
            self._flush_at = FLUSH_EVERY

    def attention(self) -> bool:
        return bool(self.flags[HELD] or self.flags[STOPPING] or self.retired.value)

    def held(self) -> bool:
        return bool(self.flags[HELD])

    def hold(self, holding: bool = False, spend: bool = False) -> None:
        # ``spend`` concerns single-step, which processes do not offer (can_step)
        self.flush()  # the picture shows where it holds
        flags, retired, wake = self.flags, self.retired, self.wake
        while flags[HELD] and not flags[STOPPING] and (holding or not retired.value):
            wake.acquire(True, HOLD_POLL_S)

    def exiting(self) -> bool:
        return bool(self.flags[STOPPING] or self.retired.value)

    def stopping(self) -> bool:
        return bool(self.flags[STOPPING])

    def retiring(self) -> bool:
        return bool(self.retired.value)

    def sleep_range(self) -> tuple[float, float]:
        s = self.sh.sleeps
        return s[self._offset], s[self._offset + 1]

    def sleep_generation(self) -> int:
        return int(self.sh.sleep_gen[self._gen])

    def sleep(self, seconds: float) -> bool:
        self.flush()
        return self.wake.acquire(True, max(0.0, seconds))

    def nap(self, seconds: float) -> None:
        out = self._out
        if out and (seconds >= FLUSH_AGE_S or _now() - out[0][0] >= FLUSH_AGE_S):
            self.flush()
        time.sleep(seconds)

    def cpu_rate(self) -> float:
        return float(self.sh.cpu_rate.value)

    def ticket(self) -> bool:
        if self.sh.limit is None:
            return True
        if not self.tickets_left:
            with self.sh.tickets.get_lock():
                take = min(TICKET_BLOCK, self.sh.limit - self.sh.tickets.value)
                if take <= 0:
                    return False
                self.sh.tickets.value += take
                self.tickets_left = take
        self.tickets_left -= 1
        return True

    def put(self, item: int) -> None:
        policy = int(self.sh.policy[0])
        if policy != BLOCK:
            self._offer(item, policy, self.sh.policy[1])
            return
        buf = self.sh.buffer
        try:
            buf.put_nowait(item)
        except queue.Full:
            self._wait_to_put(item)
        self.emit(put_event(self.name, item, buf.qsize()))

    def _offer(self, item: int, policy: int, timeout: float) -> None:
        """Put ``item`` by ``timeout`` (``JoinableQueue.put(timeout=…)``, in slices of
        :data:`POLL_S` that also look at the flags; held time does not count) or
        ``drop-newest`` (``put_nowait``); ``queue.Full`` at the end drops the item
        (REJECTED). Never decides while held; :class:`Closed` on stop."""
        buf, flags = self.sh.buffer, self.flags
        if flags[HELD]:
            self.hold(True)
        if flags[STOPPING]:
            raise Closed
        try:
            buf.put_nowait(item)
        except queue.Full:
            if policy == DROP_NEWEST or not self._wait_to_put_until(item, timeout):
                self.emit(rejected_event(self.name, item, buf.qsize()))
                return
        self.emit(put_event(self.name, item, buf.qsize()))

    def _wait_to_put_until(self, item: int, timeout: float) -> bool:
        """The buffer was full: PUT_WAIT, then ``put(timeout=…)`` for at most
        ``timeout`` seconds of unheld time; True if the item is in."""
        buf, flags = self.sh.buffer, self.flags
        self.emit(put_wait_event(self.name, item, self.sh.capacity))
        self.flush()
        left = timeout
        while True:
            if flags[STOPPING]:
                raise Closed
            if flags[HELD]:
                self.hold(True)
                continue
            if left <= 0.0:
                return False
            t0 = _now()
            try:
                buf.put(item, timeout=min(POLL_S, left))
                return True
            except queue.Full:
                left -= _now() - t0

    def _wait_to_put(self, item: int) -> None:
        """The buffer was full: wait (recording it once) until the item is in, holding
        while held; :class:`Closed` on stop."""
        buf, flags = self.sh.buffer, self.flags
        self.emit(put_wait_event(self.name, item, self.sh.capacity))
        self.flush()
        while True:
            if flags[STOPPING]:
                raise Closed
            if flags[HELD]:
                self.hold(True)
                continue
            try:
                buf.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def get(self) -> int:
        buf = self.sh.buffer
        try:
            item = buf.get_nowait()
        except queue.Empty:
            item = self._wait_to_get()
        self.emit(got_event(self.name, item, buf.qsize()))
        return item

    def _wait_to_get(self) -> int:
        """The buffer was empty: wait (recording it once) for an item, holding while
        held; :class:`Closed` on stop or retire (a waiting consumer holds nothing)."""
        buf, flags = self.sh.buffer, self.flags
        self.emit(get_wait_event(self.name))
        self.flush()
        while True:
            if self.exiting():
                raise Closed
            if flags[HELD]:
                self.hold()
                continue
            try:
                return buf.get(timeout=POLL_S)
            except queue.Empty:
                continue

    def task_done(self) -> None:
        self.sh.buffer.task_done()

    def finish(self) -> None:
        if self.tickets_left:  # give back what this worker will not make
            with self.sh.tickets.get_lock():
                self.sh.tickets.value -= self.tickets_left
            self.tickets_left = 0
        self.flush()


def _child_main(
    sh: _Shared, role: Role, name: str, number: int, wake: Any, retire: Any, boot: Any
) -> None:
    """Entry point of a spawned worker process (top level, so it pickles by name)."""
    become_child(sh.parent_pid)  # ignore SIGINT; never outlive the parent
    with sh.boot_lock:
        if boot.value == CANCELLED:  # stopped while this interpreter was starting
            return
        boot.value = RUNNING
    w = _ProcessWorker(sh, role, name, number, wake, retire)
    (run_producer if role == Role.PRODUCER else run_consumer)(w)
    # Hand over what is still in this process's queue buffers, then leave without the
    # interpreter's teardown: 128 children tearing down at once on two cores take
    # seconds, and stop() waits for them.
    for q in (sh.buffer, sh.events):
        q.close()
        q.join_thread()
    os._exit(0)


class ProcessBackend(Backend):
    exact_order = False
    can_step = False  # a step would need a grant shared across processes: not offered

    def start(self, workers: list[tuple[Role, str, int]]) -> None:
        quiet_resource_tracker()
        ctx = mp.get_context("spawn")
        self._ctx = ctx
        p, c = self.sleeps[Role.PRODUCER], self.sleeps[Role.CONSUMER]
        #: name -> (process, wake, retire, boot state)
        self.procs: dict[str, tuple[Any, Any, Any, Any]] = {}
        self._lock = threading.Lock()
        shared = _Shared(
            buffer=ctx.JoinableQueue(self.config.capacity),
            events=ctx.Queue(),
            sleeps=ctx.Array("d", [p[0], p[1], c[0], c[1]], lock=False),
            sleep_gen=ctx.RawArray("q", 2),
            tickets=ctx.Value("q", 0),
            flags=ctx.RawArray("b", 2),
            capacity=self.config.capacity,
            limit=self.config.items,
            seed=self.config.seed,
            boot_lock=ctx.Lock(),
            cpu_rate=ctx.RawValue("d", self.cpu_rate),
            parent_pid=os.getpid(),
            policy=ctx.RawArray("d", [POLICY_CODES[self.full_policy], self.put_timeout]),
            skip_task_done=self.config.bug == "missing-task-done",
        )
        with self._hold_lock:  # the children hold from their first step while held
            shared.flags[HELD] = 1 if self.held else 0
            self.shared = shared
        self._boots: dict[str, Any] = {}  # every child's boot state, leaving ones too
        self._dead_reported: set[str] = set()
        self._said_stopped: set[str] = set()  # children whose STOPPED event arrived
        self._leaving: list[tuple[str, Any]] = []  # (name, process) of retired children
        self._unwanted: set[str] = set()
        self._spawn_requests: queue.SimpleQueue = queue.SimpleQueue()
        self._listener = threading.Thread(target=self._listen, name="pcsim-events", daemon=True)
        self._listener.start()
        # Spawning a process takes tens of milliseconds: do it off the caller's thread so
        # a GUI that starts 64 workers stays responsive. This thread is every child's
        # parent thread (see the module's notes): it ends only after stop joined them.
        self._spawner = threading.Thread(target=self._spawn_loop, name="pcsim-spawn", daemon=True)
        self._spawner.start()
        for w in workers:
            self._spawn_requests.put(w)

    def _listen(self) -> None:
        events, emit = self.shared.events, self.emit
        while True:
            batch = events.get()
            if batch is None:
                return
            for ev in batch:  # plain tuples, as the other backends' events
                emit(ev)
            if batch[-1][1] == K_STOPPED:  # a child's last word is its last batch's end
                self._said_stopped.add(batch[-1][2])

    def _spawn_loop(self) -> None:
        with sigint_blocked():  # children are born ignoring Ctrl+C (see lifeline)
            self._spawn_forever()

    def _spawn_forever(self) -> None:
        while True:
            try:
                req = self._spawn_requests.get(timeout=WATCH_S)
            except queue.Empty:
                self._report_dead()
                continue
            if req is None:
                return
            if self.shared.flags[STOPPING]:
                continue  # stopping: spawn nobody, but stay alive until stop is done
            role, name, number = req
            wake, retire = self._ctx.Semaphore(0), self._ctx.RawValue("b", 0)
            boot = self._ctx.RawValue("b", BOOTING)
            proc = self._ctx.Process(
                target=_child_main,
                args=(self.shared, role, name, number, wake, retire, boot),
                name=f"pcsim-{name}",
                daemon=True,
            )
            with self._lock:
                if self.shared.flags[STOPPING]:
                    continue
                if name in self._unwanted:
                    self._unwanted.discard(name)
                    continue
                try:
                    proc.start()
                except Exception as exc:  # e.g. a main module without the __main__ guard
                    msg = f"could not start a process: {type(exc).__name__}: {exc}"
                    self.emit(error_event(name, NO_ITEM, msg.strip()))
                    continue
                self.procs[name] = (proc, wake, retire, boot)
                self._boots[name] = boot

    def _report_dead(self) -> None:
        """A child that ended by itself with a failure (killed from outside, crashed
        while booting) is an error the books must show, once."""
        with self._lock:
            if self.shared.flags[STOPPING] or getattr(self, "_chosen_terminate", False):
                return
            dead = [
                (name, entry[0].exitcode)
                for name, entry in self.procs.items()
                if name not in self._dead_reported and entry[0].exitcode not in (None, 0)
            ]
            for name, _ in dead:
                self._dead_reported.add(name)
        for name, code in dead:
            msg = f"the process ended unexpectedly (exit code {code})"
            self.emit(error_event(name, NO_ITEM, msg))

    def add(self, role: Role, name: str, number: int) -> None:
        self._spawn_requests.put((role, name, number))

    def retire(self, name: str) -> None:
        with self._lock:
            entry = self.procs.pop(name, None)
            self._leaving = [(n, p) for n, p in self._leaving if p.is_alive()]
            if entry is None:  # still waiting to be spawned: never spawn it
                self._unwanted.add(name)
                return
            proc, wake, retire, _ = entry
            retire.value = 1
            wake.release()
            self._leaving.append((name, proc))

    def set_work(self, rate: float) -> None:
        super().set_work(rate)
        shared = getattr(self, "shared", None)
        if shared is not None:
            shared.cpu_rate.value = rate

    def cpu_seconds(self) -> tuple[dict[str, float], float | None]:
        with self._lock:
            procs = [(name, entry[0].pid) for name, entry in self.procs.items()]
        per = {}
        for name, pid in procs:
            cpu = process_cpu(pid)
            if cpu is not None:
                per[name] = cpu
        return per, sum(per.values()) if per else None

    def _sleep_changed(self, role: Role) -> None:
        lo, hi = self.sleeps[role]
        off = _sleep_offset(role)
        self.shared.sleeps[off] = lo
        self.shared.sleeps[off + 1] = hi
        self.shared.sleep_gen[0 if role == Role.PRODUCER else 1] += 1  # after the range
        self._wake_all(role)

    def _policy_changed(self) -> None:
        shared = getattr(self, "shared", None)
        if shared is not None:  # (not started: start() reads it)
            shared.policy[1] = self.put_timeout  # the timeout first: the code says "use"
            shared.policy[0] = POLICY_CODES[self.full_policy]

    def _wake_all(self, role: Role | None = None) -> None:
        """Release the semaphore of every child (of ``role``): a sleeper or a holder
        re-checks the flags. ``release()`` never waits; an extra release only makes a
        child's next sleep look again once."""
        with self._lock:
            procs = self.procs.items()
            wakes = [w for n, (_, w, _, _) in procs if role is None or role_of(n) is role]
        for wake in wakes:
            wake.release()

    def _set_hold(self, held: bool) -> None:
        shared = getattr(self, "shared", None)
        if shared is None:
            return  # not started: start() reads self.held
        shared.flags[HELD] = 1 if held else 0
        self._wake_all()  # sleepers suspend, holders go on

    # ---- the endings (see Backend.put_pills, start_join, terminate) -------------------
    def put_pills(self, count: int) -> None:
        buf, flags = self.shared.buffer, self.shared.flags
        for k in range(1, count + 1):
            item = pill_id(k)
            while True:  # the main process's put: waits for room, as any put
                if flags[STOPPING]:
                    return
                try:
                    buf.put(item, timeout=POLL_S)
                    break
                except queue.Full:
                    continue
            self.emit(put_event(MAIN, item, buf.qsize()))

    def start_join(self) -> threading.Event:
        done = threading.Event()
        buf = self.shared.buffer

        def join() -> None:
            buf.join()  # JoinableQueue.join: until every put is task_done, in any process
            done.set()

        self._joiner = threading.Thread(target=join, name="pcsim-join", daemon=True)
        self._joiner.start()
        return done

    def release_join(self) -> None:
        joiner = getattr(self, "_joiner", None)
        if joiner is None or not joiner.is_alive():
            return
        buf = self.shared.buffer
        # JoinableQueue.join waits on its condition until the unfinished-tasks semaphore
        # is zero: take it down to zero and wake it, as the last task_done() would
        with buf._cond:
            while buf._unfinished_tasks.acquire(False):
                pass
            buf._cond.notify_all()
        joiner.join(1.0)

    def terminate(self) -> int:
        """``Process.terminate()`` every child at once (SIGTERM, its default action: the
        child dies where it stands), then clean up as :meth:`stop`. Called while held:
        the children have flushed their events and wait, so none dies half-way through
        writing to a queue."""
        with self._lock:  # from now on a child's death is the one asked for
            self._chosen_terminate = True
            named = [(name, entry[0]) for name, entry in self.procs.items()]
            named += self._leaving
        for _, p in named:
            if p.is_alive():
                p.terminate()
        for _, p in named:
            p.join(1.0)
        return self.stop(0.0)

    def stop(self, timeout: float = 1.0) -> int:
        """Stop and join every child. Children still booting are cancelled and
        terminated at once (they hold nothing); running ones get ``max(timeout,
        STOP_JOIN_S)`` to finish their step, then are terminated and named in
        :attr:`terminated`."""
        sh = self.shared
        deadline = _now() + max(timeout, STOP_JOIN_S)
        with self._lock:  # after this, the spawner starts nobody
            sh.flags[STOPPING] = 1
            sh.flags[HELD] = 0
            wakes = [wake for _, wake, _, _ in self.procs.values()]
            named = [(name, entry[0]) for name, entry in self.procs.items()]
            named += self._leaving
            boots = dict(self._boots)
        cancelled: set[str] = set()
        with sh.boot_lock:
            for name, boot in boots.items():
                if boot.value == BOOTING:
                    boot.value = CANCELLED
                    cancelled.add(name)
        for name, p in named:
            if name in cancelled:
                p.terminate()
        for wake in wakes:
            wake.release()
        for _, p in named:
            p.join(max(0.0, deadline - _now()))
        for name, p in named:
            if p.is_alive():  # never leave a process behind
                p.terminate()
                p.join(1.0)
                chosen = getattr(self, "_chosen_terminate", False)
                if name not in self._said_stopped and name not in cancelled and not chosen:
                    self.terminated.append(name)  # ended by force in the middle of its work
        self._spawn_requests.put(None)  # every child is joined: the spawner may end
        self._spawner.join(2.0)
        remaining = 0
        with contextlib.suppress(queue.Empty):
            while True:
                sh.buffer.get(timeout=0.05)
                remaining += 1
        sh.events.put(None)
        self._listener.join(2.0)
        for q in (sh.buffer, sh.events):
            q.close()
            q.join_thread()
        return remaining
