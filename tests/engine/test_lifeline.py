"""Processes never outlive their parent, ignore Ctrl+C, and the clock starts when ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation

from .test_backends import wait_for

READY_TIMEOUT = 60.0  # spawning interpreters on a busy machine can take seconds

DRIVERS = {
    "simulation": """
        from simulator.engine.config import SimulationConfig
        from simulator.engine.simulation import Simulation
        sim = Simulation(SimulationConfig(backend="processes", producers=2, consumers=2,
                         producer_sleep=(0, 0), consumer_sleep=(0, 0)))
        sim.start()
        assert sim.ready.wait(60)
    """,
    "engine": """
        from simulator.engine.config import SimulationConfig
        from simulator.engine.remote import RemoteSimulation
        sim = RemoteSimulation(SimulationConfig(backend="processes", producers=2,
                               consumers=2, producer_sleep=(0, 0), consumer_sleep=(0, 0)))
        sim.start()
        while (f := sim.poll()) is None or f.snapshot.startup_ms is None:
            time.sleep(0.02)
    """,
}


def _driver(body: str) -> str:
    main = textwrap.indent(textwrap.dedent(body), "    ")
    return (
        "import sys, time\n"
        "def main():\n"
        f"{main}\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(120)\n"
        "if __name__ == '__main__':\n"
        "    main()\n"
    )


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_a_killed_parent_leaves_no_process_behind(kind, tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(_driver(DRIVERS[kind]))
    parent = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        family = psutil.Process(parent.pid).children(recursive=True)
        # workers (4, and in the engine case the engine) and the resource tracker
        assert len(family) >= 5, family
    finally:
        parent.kill()
        parent.wait()
    _, alive = psutil.wait_procs(family, timeout=30.0)
    assert not alive, f"left behind: {[p.cmdline() for p in alive]}"


def _worker_pids(sim: Simulation) -> dict[str, int]:
    return {name: entry[0].pid for name, entry in sim._backend.procs.items()}


def test_workers_ignore_sigint_and_lose_nothing():
    sim = Simulation(
        SimulationConfig(
            backend="processes",
            producers=2,
            consumers=2,
            producer_sleep=(0.001, 0.002),
            consumer_sleep=(0.001, 0.002),
        )
    )
    sim.start()
    try:
        assert sim.ready.wait(READY_TIMEOUT)
        for pid in _worker_pids(sim).values():
            os.kill(pid, signal.SIGINT)
        before = sim.snapshot().consumed
        assert wait_for(lambda: sim.snapshot().consumed > before + 20)
        assert all(psutil.pid_exists(pid) for pid in _worker_pids(sim).values())
    finally:
        sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.lost == 0 and snap.warnings == ()


@pytest.mark.parametrize("backend", ["threads", "asyncio", "processes"])
def test_the_clock_starts_when_every_worker_is_ready(backend):
    sim = Simulation(SimulationConfig(backend=backend, producers=3, consumers=2))
    before = time.monotonic()
    sim.start()
    after_start = time.monotonic()
    try:
        if backend == "processes":  # no interpreter starts within microseconds
            snap = sim.snapshot()
            assert not sim.ready.is_set()
            assert snap.startup_ms is None and snap.elapsed == 0.0
            assert snap.starting[1] == 5 and snap.starting[0] < 5
        assert sim.ready.wait(READY_TIMEOUT)
        snap = sim.snapshot()
        assert snap.starting == (5, 5)
        assert snap.startup_ms is not None and snap.startup_ms >= 0.0
        assert sim.started_at == snap.started_at >= before
        # the start-up is counted from a moment within start() (not within 50 ms of the
        # call: building the backend may take longer than that on a loaded machine)
        t_start = sim.started_at - snap.startup_ms / 1000.0
        assert before - 1e-6 <= t_start <= after_start + 1e-6, (before, t_start, after_start)
        assert 0.0 <= snap.elapsed <= time.monotonic() - sim.started_at
    finally:
        sim.stop()
    assert sim.snapshot().ok


def test_stop_while_workers_are_starting_leaves_nothing_and_says_so():
    sim = Simulation(SimulationConfig(backend="processes", producers=6, consumers=6))
    sim.start()
    took = sim.stop()
    snap = sim.snapshot()
    assert took < 5.0
    assert snap.ok, snap.violations
    if not sim.ready.is_set():  # on a very fast machine they may all be up already
        assert snap.startup_ms is None
        assert any("stopped while starting" in w for w in snap.warnings)


def _stopped_worker_run(producer_sleep, consumer_sleep, who):
    """Freeze ``who`` (SIGSTOP) in a running simulation, stop it, return the snapshot."""
    sim = Simulation(
        SimulationConfig(
            backend="processes",
            producers=1,
            consumers=1,
            capacity=2,
            producer_sleep=producer_sleep,
            consumer_sleep=consumer_sleep,
        )
    )
    sim.start()
    try:
        assert sim.ready.wait(READY_TIMEOUT)
        if who == "C1":  # let it take an item and go to work on it
            assert wait_for(lambda: sim.ledger.held.get("C1") is not None)
        else:  # let it make its item (its sleep: holding nothing)
            assert wait_for(lambda: any(w.state == "producing" for w in sim.snapshot().workers))
        os.kill(_worker_pids(sim)[who], signal.SIGSTOP)
    finally:
        sim.stop()
    return sim.snapshot()


def test_a_terminated_idle_worker_is_a_warning_not_a_violation():
    snap = _stopped_worker_run((9, 10), (9, 10), "P1")
    assert snap.ok, snap.violations
    assert snap.lost == 0
    assert any("P1" in w and "terminated" in w for w in snap.warnings), snap.warnings


def test_a_terminated_worker_holding_an_item_loses_it():
    snap = _stopped_worker_run((0, 0), (9, 10), "C1")
    assert not snap.ok
    assert snap.lost >= 1
    assert any("C1 was terminated holding" in v for v in snap.violations), snap.violations
