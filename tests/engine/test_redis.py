"""The redis backend on a real, private ``redis-server`` (no mocks): the books balance,
pause holds, stop drains, live sleeps act, the private server never outlives pcsim, and a
bad broker ends in the exit code DESIGN gives it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import psutil
import pytest

from simulator.engine.backends.redis_backend import RedisBackend, pid_alive
from simulator.engine.broker_url import redact
from simulator.engine.config import ConfigError, SimulationConfig
from simulator.engine.events import Event, Kind, is_pill
from simulator.engine.simulation import Simulation
from simulator.engine.workers import Role
from tests.engine.waiting import wait_for, wait_still

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (apt install redis-server); CI installs it",
)


def _config(**kw: object) -> SimulationConfig:
    base: dict[str, object] = dict(
        backend="redis",
        producers=3,
        consumers=2,
        capacity=5,
        producer_sleep=(0.0, 0.01),
        consumer_sleep=(0.0, 0.02),
    )
    base.update(kw)
    return SimulationConfig(**base)  # type: ignore[arg-type]


def _server_pid(sim: Simulation) -> int:
    backend = sim._backend
    assert isinstance(backend, RedisBackend) and backend.server is not None
    pid = backend.server.pid
    assert pid is not None
    return pid


def test_a_two_second_run_keeps_exact_books_and_ends_its_server():
    sim = Simulation(_config())
    sim.start()
    try:
        assert sim.ready.wait(30)
        pid = _server_pid(sim)
        assert pid_alive(pid)
        assert wait_for(lambda: sim.elapsed >= 2.0)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.consumed > 10
    assert snap.produced == snap.consumed + snap.in_buffer + snap.in_hand
    assert wait_for(lambda: not pid_alive(pid), timeout=30), "redis-server outlived the run"


def test_an_item_limit_is_exact():
    sim = Simulation(_config(items=300))
    sim.start()
    try:
        assert sim.finished.wait(60)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert (snap.produced, snap.consumed, snap.ok) == (300, 300, True), snap.violations


def test_pause_holds_and_resume_goes_on():
    sim = Simulation(_config(producer_sleep=(0.005, 0.01), consumer_sleep=(0.3, 0.5)))
    sim.start()
    try:
        assert sim.ready.wait(30)
        assert wait_for(lambda: sim.snapshot().consumed >= 2)
        sim.pause()
        # the steps under way when pause() returned are booked, however late they end
        wait_still(
            lambda: (sim.snapshot().produced, sim.snapshot().consumed, sim.snapshot().buffer)
        )
        before = sim.snapshot()
        time.sleep(1.0)
        after = sim.snapshot()
        assert (after.produced, after.consumed, after.buffer) == (
            before.produced,
            before.consumed,
            before.buffer,
        )
        sim.resume()
        assert wait_for(lambda: sim.snapshot().consumed >= before.consumed + 2)
    finally:
        sim.stop()
    assert sim.snapshot().ok


def test_stop_with_drain_empties_the_buffer():
    sim = Simulation(_config(producer_sleep=(0.0, 0.005), consumer_sleep=(0.0, 0.01)))
    sim.start()
    try:
        assert sim.ready.wait(30)
        assert wait_for(lambda: sim.snapshot().in_buffer >= 3)
    finally:
        sim.stop(drain=True)
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert (snap.in_buffer, snap.in_hand) == (0, 0)
    assert snap.produced == snap.consumed > 0


def test_a_live_sleep_change_reaches_the_workers():
    sim = Simulation(_config(consumer_sleep=(2.0, 2.0)))
    ch = sim.subscribe()
    sim.start()
    try:
        assert sim.ready.wait(30)
        assert wait_for(lambda: sim.snapshot().in_hand >= 2)
        t_change = time.monotonic()
        sim.apply(sim.config.replace(consumer_sleep=(0.0, 0.001)))
        assert wait_for(lambda: sim.snapshot().consumed >= 20, timeout=30)
    finally:
        sim.stop()
    redrawn = [e for e in ch.drain() if e.kind == Kind.SLEEP and e.t >= t_change]
    assert any(e.worker.startswith("C") and e.value <= 0.001 for e in redrawn)
    assert sim.snapshot().ok


def test_workers_join_and_retire_live():
    sim = Simulation(_config(producers=1, consumers=1))
    sim.start()
    try:
        assert sim.ready.wait(30)
        sim.apply(sim.config.replace(producers=2, consumers=3))
        assert wait_for(lambda: len(sim.snapshot().workers) == 5)
        sim.apply(sim.config.replace(consumers=1))
        assert wait_for(lambda: sum(w.role is Role.CONSUMER for w in sim.snapshot().workers) == 1)
    finally:
        sim.stop()
    assert sim.snapshot().ok


def test_step_is_not_offered():
    sim = Simulation(_config())
    sim.start(paused=True)
    try:
        assert sim.ready.wait(30)
        with pytest.raises(ValueError, match="not available on redis"):
            sim.step()
    finally:
        sim.stop()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"buffer": "condition"}, "buffer"),
        ({"buffer": "semaphore"}, "buffer"),
        ({"bug": "no-lock"}, "backend"),
        ({"full_policy": "drop-newest"}, "full_policy"),
        ({"full_policy": "timeout"}, "full_policy"),
        ({"broker": "http://host"}, "broker"),
        ({"broker": "redis://h:99999/0"}, "broker"),
        ({"backend": "threads", "broker": "redis://h:6379/0"}, "broker"),
        ({"listen": "0.0.0.0", "broker": "redis://h:6379/0"}, "listen"),
        ({"shutdown": "join"}, "shutdown"),
    ],
)
def test_what_does_not_combine_with_redis_is_refused(changes, field):
    with pytest.raises(ConfigError) as err:
        _config(**changes)
    assert err.value.field == field


def test_a_password_is_redacted():
    assert redact("redis://:s3cret@host:1/0 and redis://u:p@h:2") == (
        "redis://:***@host:1/0 and redis://u:***@h:2"
    )
    with pytest.raises(ConfigError) as err:
        _config(broker="redis://:s3cret@host:0/0")
    assert "s3cret" not in str(err.value)


def _pcsim(*args: str, timeout: float = 60.0, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_cli_run_is_exact_and_leaves_no_server():
    before = {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"}
    out = _pcsim(
        "run", "--backend", "redis", "--items", "300", "--producers", "3", "--consumers",
        "2", "--capacity", "5", "--producer-sleep", "0", "0.01", "--consumer-sleep", "0",
        "0.02", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert (report["produced"], report["consumed"], report["ok"]) == (300, 300, True)

    def ours() -> set[int]:
        names = {p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"}
        return names - before

    assert wait_for(lambda: not ours(), timeout=30)


def test_a_sigkilled_pcsim_leaves_no_redis_server():
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "--backend", "redis", "--duration", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def server() -> psutil.Process | None:
            with_children = psutil.Process(proc.pid).children(recursive=True)
            return next((c for c in with_children if c.name() == "redis-server"), None)

        assert wait_for(lambda: server() is not None, timeout=30)
        child = server()
        assert child is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert wait_for(lambda: not pid_alive(child.pid), timeout=30), "redis-server orphaned"
    finally:
        _kill(proc)


def test_without_redis_server_the_run_says_how_and_exits_4():
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))
    out = _pcsim("run", "--backend", "redis", "--duration", "1", env=env)
    assert out.returncode == 4, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt install redis-server" in lines[0] and "--broker" in lines[0]


def test_a_broker_that_does_not_answer_is_exit_4_and_redacted():
    out = _pcsim("run", "--backend", "redis", "--broker", "redis://:pw1@127.0.0.1:1/0")
    assert out.returncode == 4, out.stderr
    assert "pw1" not in out.stderr and "***" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_bad_broker_url_or_password_is_exit_2():
    out = _pcsim("run", "--backend", "redis", "--broker", "redis://h:0/0")
    assert out.returncode == 2 and "--broker must be" in out.stderr, out.stderr
    from simulator.engine.broker import PrivateServer

    server = PrivateServer()
    url = server.start()
    try:
        wrong = f"redis://:wrong@{url.host}:{url.port}/0"
        out = _pcsim("run", "--backend", "redis", "--broker", wrong, "--duration", "1")
        assert out.returncode == 2, out.stderr
        assert "refused the password" in out.stderr and "wrong" not in out.stderr
        out = _pcsim(
            "run", "--backend", "redis", "--broker", url.url(), "--items", "100", "--json"
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["consumed"] == 100
    finally:
        server.stop()
    assert not pid_alive(server.pid or 0)


def _join(sim: Simulation, *args: str) -> subprocess.Popen[str]:
    """``pcsim worker`` joining ``sim``'s run, in a process of its own."""
    backend = sim._backend
    assert isinstance(backend, RedisBackend) and backend.url is not None
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", "worker", "--broker", backend.url.url(),
         "--run", backend.run, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


class _Seen:
    """Every event of a run so far (drained from its channel on each look)."""

    def __init__(self, sim: Simulation) -> None:
        self.ch = sim.subscribe()
        self.events: list = []

    def __call__(self) -> list:
        self.events += self.ch.drain()
        return self.events


def test_a_joined_worker_process_consumes_items_and_stops_with_the_run():
    sim, seen = _started(consumers=1, consumer_sleep=(0.05, 0.1))
    proc = None
    try:
        proc = _join(sim, "--role", "consumer", "--count", "2", "--name", "laptop")

        def joined_consumed() -> set[str]:
            return {e.worker for e in seen() if e.kind == Kind.CONSUMED and e.worker > "C1000"}

        assert wait_for(lambda: joined_consumed() == {"C1001", "C1002"}, timeout=60)
        hosts = {w.name: w.host for w in sim.snapshot().workers}
        assert hosts["C1001"] == hosts["C1002"] == "laptop" and hosts["C1"] == ""
    finally:
        sim.stop()
        if proc is not None:
            try:
                assert proc.wait(20) == 0, proc.stderr.read() if proc.stderr else ""
            finally:
                _kill(proc)
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    stopped = {e.worker for e in seen() if e.kind == Kind.STOPPED}
    assert {"C1001", "C1002"} <= stopped  # they stopped with the run, and said so
    joined = {name: (host, n) for name, host, n in snap.joined}
    assert set(joined) == {"C1001", "C1002"}
    for name, (host, n) in joined.items():
        mine = [e for e in seen() if e.kind == Kind.CONSUMED and e.worker == name]
        assert (host, n) == ("laptop", len(mine)) and n > 0


def _started(**kw: object) -> tuple[Simulation, _Seen]:
    """A run of ``_config(**kw)``, started, every worker ready, and what it records."""
    sim = Simulation(_config(**kw))
    seen = _Seen(sim)
    sim.start()
    if not sim.ready.wait(30):
        sim.stop()
        raise AssertionError("the workers were not ready in 30 s")
    return sim, seen


def _slow_run() -> tuple[Simulation, _Seen]:
    """A started run with one consumer of its own that takes a second an item."""
    return _started(
        producers=1, consumers=1, producer_sleep=(0.05, 0.1), consumer_sleep=(1.0, 1.0)
    )


def _joined_consumer_holding(sim: Simulation, seen: _Seen) -> tuple[subprocess.Popen[str], int]:
    """A ``pcsim worker`` consumer (C1001) joined to ``sim``, once it holds an item: its
    process and the item."""
    proc = _join(sim, "--role", "consumer")
    taken = lambda: [e.item for e in seen() if e.worker == "C1001" and e.kind == Kind.GOT]  # noqa: E731
    if not wait_for(lambda: bool(taken()), timeout=60):
        _kill(proc)
        raise AssertionError("the joined consumer took no item")
    return proc, taken()[0]


def _kill(proc: subprocess.Popen[str] | None) -> None:
    """``proc`` gone, whatever it was doing (SIGKILL ends a stopped process too)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(10)


def _end(sim: Simulation, proc: subprocess.Popen[str] | None) -> None:
    """A test's cleanup: ``sim`` stopped and its joined worker's process gone."""
    sim.stop()
    _kill(proc)


def _recovered(seen: _Seen, item: int) -> Callable[[], bool]:
    """Whether ``item`` came back to the buffer from a dead worker's hand."""
    return lambda: any(e.kind == Kind.RECOVERED and e.item == item for e in seen())


def _consumptions(seen: _Seen, item: int) -> Callable[[], list[Event]]:
    """``item``'s CONSUMED events so far: exactly one once it is taken, whoever took it."""
    return lambda: [e for e in seen() if e.kind == Kind.CONSUMED and e.item == item]


def test_a_killed_consumer_s_item_is_recovered_and_consumed_once():
    sim, seen = _slow_run()
    proc = None
    try:
        proc, item = _joined_consumer_holding(sim, seen)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert wait_for(_recovered(seen, item), timeout=15), "the item was not recovered"
        done = _consumptions(seen, item)
        assert wait_for(lambda: done(), timeout=30)
    finally:
        _end(sim, proc)
    assert [e.worker for e in done()] == ["C1"]
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.duplicates == 0
    assert "C1001" not in {w.name for w in snap.workers}  # its card is gone


def test_pcsim_worker_refuses_an_unknown_run_and_a_bad_broker():
    out = _pcsim("worker", "--broker", "redis://h:0/0", "--run", "x", "--role", "consumer")
    assert out.returncode == 2 and "--broker must be" in out.stderr
    out = _pcsim(
        "worker", "--broker", "redis://:pw@127.0.0.1:1/0", "--run", "x", "--role", "producer"
    )
    assert out.returncode == 4 and "pw@" not in out.stderr
    from simulator.engine.broker import PrivateServer

    server = PrivateServer()
    url = server.start()
    try:
        out = _pcsim("worker", "--broker", url.url(), "--run", "nope", "--role", "consumer")
        assert out.returncode == 2 and "no run 'nope'" in out.stderr, out.stderr
    finally:
        server.stop()


def test_listen_prints_the_join_command():
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "--backend", "redis", "--listen",
         "127.0.0.1", "--duration", "3", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    command = [line.strip() for line in err.splitlines() if "pcsim worker" in line]
    assert command and "--broker redis://:" in command[0] and "--run " in command[0]
    assert ":***@" not in command[0]  # the one place the password is shown
    assert "redis://:" not in out  # never in the report


def test_a_broker_that_vanishes_ends_the_run_with_its_books_and_exit_4():
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "--backend", "redis", "--duration", "60",
         "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:

        def server() -> psutil.Process | None:
            kids = psutil.Process(proc.pid).children(recursive=True)
            return next((c for c in kids if c.name() == "redis-server"), None)

        assert wait_for(lambda: server() is not None, timeout=30)
        child = server()
        assert child is not None
        time.sleep(1.0)  # some items made and consumed
        child.kill()
        out, err = proc.communicate(timeout=30)  # ends by itself: never a hang
    finally:
        _kill(proc)
    assert proc.returncode == 4, (proc.returncode, err, out[-800:])
    assert "vanished" in err and len(err.strip().splitlines()) == 1
    report = json.loads(out)
    assert report["ok"] and "vanished" in report["failure"]
    assert report["produced"] == report["consumed"] + report["in_buffer"] + report["in_hand"]


def test_a_run_stopped_before_a_killed_worker_is_recovered_still_balances():
    sim, seen = _started(producers=1, consumers=1, consumer_sleep=(2.0, 2.0))
    proc = None
    try:
        proc = _join(sim, "--role", "consumer")
        assert wait_for(
            lambda: any(e.worker == "C1001" and e.kind == Kind.GOT for e in seen()), timeout=60
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        _end(sim, proc)  # at once: its heartbeat has not expired yet
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.lost == 0


def test_a_retired_consumer_finishing_a_long_item_keeps_its_heartbeat():
    """Retired mid-item, it finishes the item for longer than a heartbeat lives: it must
    not be taken for dead (its item recovered and consumed twice)."""
    sim, seen = _started(producers=1, consumers=2, consumer_sleep=(4.5, 4.5))
    try:
        assert wait_for(
            lambda: any(e.worker == "C2" and e.kind == Kind.GOT for e in seen()), timeout=30
        )
        sim.apply(sim.config.replace(consumers=1))  # C2 leaves after its item
        assert wait_for(
            lambda: any(e.worker == "C2" and e.kind == Kind.STOPPED for e in seen()), timeout=30
        )
    finally:
        sim.stop()
    assert not [e for e in seen() if e.kind == Kind.RECOVERED]
    assert sim.snapshot().ok, sim.snapshot().violations


def test_a_draining_stop_sends_joined_producers_away_too():
    # fast producers: the buffer is full and the joined ones wait to put when it begins
    sim, seen = _started(producers=1, consumers=2, producer_sleep=(0.0, 0.002))
    proc = None
    try:
        proc = _join(sim, "--role", "producer", "--count", "2")
        assert wait_for(
            lambda: any(e.worker == "P1001" and e.kind == Kind.PUT for e in seen()), timeout=60
        )
        t0 = time.monotonic()
        sim.stop(drain=True, drain_timeout=30)
        assert time.monotonic() - t0 < 20  # the drain ended: no producer kept on
        assert proc.wait(20) == 0
    finally:
        _end(sim, proc)
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert (snap.in_buffer, snap.in_hand) == (0, 0) and snap.produced == snap.consumed


def test_a_private_server_whose_port_was_taken_tries_another(monkeypatch):
    import socket

    from simulator.engine import broker

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports = [taken.getsockname()[1]]
    real = broker._free_port
    monkeypatch.setattr(broker, "_free_port", lambda host: ports.pop() if ports else real(host))
    server = broker.PrivateServer()
    try:
        url = server.start()
        assert url.port != taken.getsockname()[1]
        broker.connect(url).close()
    finally:
        server.stop()
        taken.close()
    with (
        pytest.raises(broker.BrokerError, match="ended at once") as err,  # given: no retry
        socket.socket() as s,
    ):
        s.bind(("127.0.0.1", 0))
        s.listen()
        broker.PrivateServer(f"127.0.0.1:{s.getsockname()[1]}").start()
    assert err.value.code == 4


def test_cpu_work_runs_on_redis_with_exact_books():
    sim = Simulation(
        _config(items=60, work="cpu", producer_sleep=(0.001, 0.003), consumer_sleep=(0.002, 0.005))
    )
    sim.start()
    try:
        assert sim.finished.wait(60)
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert (snap.produced, snap.consumed, snap.ok) == (60, 60, True), snap.violations
    assert snap.calibration is not None
    assert snap.cpu_percent is not None and snap.cpu_percent > 0.0  # its threads, measured


def _stderr(proc: subprocess.Popen[str]) -> str:
    return proc.stderr.read() if proc.stderr else ""


def test_a_stalled_consumer_is_fenced_off_and_its_item_consumed_once():
    """SIGSTOP a joined consumer holding an item for longer than a heartbeat lives: the
    run takes it for dead and gives its item back; once it runs again (SIGCONT), its
    finish is fenced off (no second CONSUMED), and it leaves with exit 4."""
    sim, seen = _slow_run()
    proc = None
    try:
        proc, item = _joined_consumer_holding(sim, seen)
        os.kill(proc.pid, signal.SIGSTOP)
        assert wait_for(_recovered(seen, item), timeout=15), (
            "the stalled consumer's item was not recovered"
        )
        os.kill(proc.pid, signal.SIGCONT)
        assert proc.wait(30) == 4, _stderr(proc)
        assert "declared C1001 dead" in _stderr(proc)
        done = _consumptions(seen, item)
        assert wait_for(lambda: done(), timeout=30)
        time.sleep(0.5)  # a late, unfenced finish of C1001 would arrive by now
    finally:
        _end(sim, proc)
    assert [e.worker for e in done()] == ["C1"]
    after = [e for e in seen() if e.worker == "C1001"]
    assert after[-1].kind == Kind.STOPPED  # nothing from it after the run's STOPPED for it
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.duplicates == 0


def test_a_dead_producer_s_slot_token_goes_back():
    """A producer that took a free-slot token while it waited and died before its put
    does not take a slot of the buffer with it: RECOVER returns the token."""
    sim = Simulation(_config(producers=1, consumers=1, capacity=3, consumer_sleep=(0.5, 0.5)))
    sim.start()
    try:
        assert sim.ready.wait(30)
        backend = sim._backend
        assert isinstance(backend, RedisBackend) and backend.pool is not None
        conn, k = backend._conn, backend.keys
        sim.pause()
        assert wait_for(backend.settled, timeout=30)
        free = conn.llen(k.free)
        conn.rpush(k.token("P9"), "1")  # P9 took a token while it waited, then died
        conn.sadd(k.members, "P9")  # (no heartbeat: it expired)
        assert backend.recover_dead() == ["P9"]
        assert (conn.llen(k.token("P9")), conn.llen(k.free)) == (0, free + 1)
        sim.resume()
    finally:
        sim.stop()
    assert sim.snapshot().ok, sim.snapshot().violations


def test_poison_pills_end_joined_consumers_too():
    sim, seen = _started(producers=1, consumers=1, consumer_sleep=(0.02, 0.05))
    proc = None
    try:
        proc = _join(sim, "--role", "consumer", "--count", "2")
        assert wait_for(
            lambda: {e.worker for e in seen() if e.kind == Kind.CONSUMED} >= {"C1001", "C1002"},
            timeout=60,
        )
        sim.stop(ending="poison-pill", drain_timeout=30)
        assert proc.wait(20) == 0, _stderr(proc)
    finally:
        _end(sim, proc)
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    pills = {e.worker for e in seen() if e.kind == Kind.GOT and is_pill(e.item)}
    assert pills == {"C1", "C1001", "C1002"}  # one pill each, the joined ones too
    assert {name for name, _host, _n in snap.joined} == {"C1001", "C1002"}  # not "main"
    assert snap.produced == snap.consumed and (snap.in_buffer, snap.in_hand) == (0, 0)


def test_ctrl_c_while_paused_waits_for_the_resume_and_twice_gives_the_item_back():
    sim, seen = _started(producers=1, consumers=1, consumer_sleep=(3.0, 3.0))
    proc = None
    try:
        proc = _join(sim, "--role", "consumer")
        assert wait_for(
            lambda: any(e.worker == "C1001" and e.kind == Kind.GOT for e in seen()), timeout=60
        )
        item = next(e.item for e in seen() if e.worker == "C1001" and e.kind == Kind.GOT)
        sim.pause()
        # the joined process sees the pause (it reads the run's ctl every 0.1 s: 1.5 s is
        # margin for a loaded machine, and still well inside its 3 s item)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        time.sleep(4.0)  # longer than its item: held, it does not finish it
        assert proc.poll() is None
        assert not [e for e in seen() if e.worker == "C1001" and e.kind == Kind.CONSUMED]
        proc.send_signal(signal.SIGINT)  # leave now: the item goes back
        assert proc.wait(20) == 130, _stderr(proc)
        assert wait_for(_recovered(seen, item), timeout=30)
        sim.resume()
        done = _consumptions(seen, item)
        assert wait_for(lambda: done(), timeout=30)
    finally:
        _end(sim, proc)
    assert [e.worker for e in done()] == ["C1"]
    snap = sim.snapshot()
    assert snap.ok, snap.violations


def test_the_scripts_fence_a_worker_that_is_no_longer_a_member():
    """A stalled worker the run declared dead (out of ``members``) changes nothing: its
    put gives back the token it took while it waited (the buffer keeps K slots), its
    events are not written, and it is not recovered twice (no second STOPPED)."""
    from simulator.engine.backends.redis_buffer import FENCED

    sim = Simulation(_config(producers=1, consumers=1, capacity=3))
    sim.start()
    try:
        assert sim.ready.wait(30)
        backend = sim._backend
        assert isinstance(backend, RedisBackend) and backend.pool is not None
        pool, conn, k = backend.pool, backend._conn, backend.keys
        sim.pause()
        assert wait_for(backend.settled, timeout=30)
        free, length = conn.llen(k.free), conn.xlen(k.events)
        conn.lmove(k.free, k.token("P9"), "LEFT", "RIGHT")  # P9 waited, got a token...
        put = pool.scripts.put(
            keys=[k.items, k.free, k.events, k.wake, k.members, k.token("P9")],
            args=["99", "", "0.0|3|P9|99|", "1", "", "P9"],  # ...and puts, fenced
            client=conn,
        )
        flush = pool.scripts.flush(
            keys=[k.events, k.members], args=["0.0|6|P9|-1|0|0.0", "P9"], client=conn
        )
        assert (put, flush) == (FENCED, FENCED)
        assert conn.llen(k.free) == free and conn.llen(k.token("P9")) == 0
        assert pool.recover("P9", conn) == pool.recover("P9", conn, leaving=True) == 0
        assert conn.xlen(k.events) == length  # nothing written for it
        sim.resume()
    finally:
        sim.stop()
    assert sim.snapshot().ok, sim.snapshot().violations


def test_a_run_on_a_given_broker_says_how_to_join_it():
    """The run's name is random: without the printed command, nobody could join a run
    on a broker given by --broker."""
    from simulator.engine.broker import PrivateServer

    server = PrivateServer()
    url = server.start()
    try:
        out = _pcsim("run", "--backend", "redis", "--broker", url.url(), "--items", "20", "--json")
        assert out.returncode == 0, out.stderr
        assert f"pcsim worker --broker {url.url()} --run " in out.stderr
    finally:
        server.stop()
