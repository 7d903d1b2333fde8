"""``work = "cpu"``: the kernel's calibration is sane, CPU work really uses a CPU (and
sleep work does not), a pause or a stop acts promptly in the middle of a long item on
every backend, and the report says it all. Nothing here depends on the machine's speed:
no assertion on a duration or a speed-up (README: the speed-up is measured by hand)."""

from __future__ import annotations

import time

import pytest

from simulator.engine.config import ConfigError, SimulationConfig
from simulator.engine.cpu import calibrate, gil_enabled, spin, thread_cpu
from simulator.engine.simulation import Simulation
from simulator.headless import report_of
from tests.engine.waiting import wait_for

READY_S = 60.0  # spawning interpreters on a busy machine can take long


def _run(cfg: SimulationConfig, seconds: float) -> Simulation:
    sim = Simulation(cfg)
    sim.start()
    assert sim.ready.wait(READY_S)
    time.sleep(seconds)
    return sim


def test_the_calibration_is_a_positive_finite_rate_and_the_kernel_computes():
    rate = calibrate()
    assert 1e4 < rate < 1e11  # iterations per second: some, and finitely many
    assert spin(1000) == spin(1000)  # deterministic pure computation
    assert isinstance(gil_enabled(), bool)


def test_work_is_a_live_setting_with_two_choices():
    assert SimulationConfig(work="cpu").work == "cpu"
    with pytest.raises(ConfigError, match="work must be one of sleep, cpu"):
        SimulationConfig(work="spin")


def test_a_thread_clock_can_be_read_from_outside():
    import threading

    assert thread_cpu(threading.get_ident()) is not None  # Linux: pthread_getcpuclockid


def _consumer_share(work: str) -> float:
    cfg = SimulationConfig(
        producers=1,
        consumers=1,
        producer_sleep=(0.0, 0.0),
        consumer_sleep=(0.05, 0.05),
        work=work,
        backend="threads",
    )
    sim = _run(cfg, 1.5)
    try:
        snap = sim.snapshot()
    finally:
        sim.stop()
    (c1,) = [w for w in snap.workers if w.name == "C1"]
    assert c1.cpu_share is not None
    return c1.cpu_share


def test_cpu_work_on_a_lone_thread_is_spent_on_a_cpu_and_sleep_work_is_not():
    sleeping = _consumer_share("sleep")
    computing = _consumer_share("cpu")
    assert sleeping < 0.2  # a sleeping thread uses next to no CPU
    # a lone computing thread: most of its time on a CPU (generous: a busy machine)
    assert computing > 0.3 and computing > 3 * sleeping


@pytest.mark.parametrize("backend", ["threads", "processes", "asyncio"])
def test_a_stop_in_the_middle_of_a_long_cpu_item_loses_nothing(backend):
    """Each item is 10 s of computation: a stop must end it (within the backends' join
    timeouts) rather than wait, or a worker would be terminated holding its item."""
    cfg = SimulationConfig(
        producers=1,
        consumers=1,
        producer_sleep=(0.0, 0.0),
        consumer_sleep=(10.0, 10.0),
        work="cpu",
        backend=backend,
    )
    sim = _run(cfg, 0.5)
    sim.stop()
    snap = sim.snapshot()
    assert snap.ok, snap.violations
    assert snap.warnings == ()  # nobody had to be terminated
    assert snap.lost == 0 and snap.produced >= 1


def test_a_pause_suspends_cpu_work_on_threads():
    cfg = SimulationConfig(
        producers=1,
        consumers=1,
        producer_sleep=(0.0, 0.0),
        consumer_sleep=(10.0, 10.0),
        work="cpu",
        backend="threads",
    )
    sim = _run(cfg, 0.3)
    try:
        sim.pause()
        backend = sim._backend
        assert backend is not None

        def cpu() -> float:
            return backend.cpu_seconds()[0]["C1"]

        def holding() -> bool:
            start = cpu()
            time.sleep(0.2)
            return cpu() - start < 0.005

        # the chunk in progress ends, then the worker holds (a busy machine may take long)
        assert wait_for(holding)
        before = cpu()
        time.sleep(0.5)
        after = cpu()
        assert after - before < 0.1  # held: no computing while paused
        sim.resume()
        assert wait_for(lambda: cpu() - after > 0.01)  # it goes on
    finally:
        sim.stop()


def test_the_report_says_the_work_its_calibration_and_the_cpu_shares():
    cfg = SimulationConfig(
        producers=1,
        consumers=2,
        producer_sleep=(0.0, 0.002),
        consumer_sleep=(0.01, 0.02),
        work="cpu",
        backend="asyncio",
    )
    sim = _run(cfg, 1.0)
    elapsed = sim.elapsed
    latency = sim.stop()
    report = report_of(sim.snapshot(), latency, elapsed)
    assert report["work"] == "cpu"
    assert report["calibration"] is not None and report["calibration"]["iterations_per_ms"] > 0
    assert report["gil_enabled"] is gil_enabled()
    assert report["cpu_percent"] is not None and report["cpu_percent"] > 0
    # asyncio: every task runs on the loop's one thread, per task it is not measurable
    assert report["cpu"]["consumer"]["cpu_share"] is None
    assert 0 < report["cpu"]["consumer"]["meant_share"] <= 1


def test_switching_work_live_takes_effect():
    cfg = SimulationConfig(
        producers=1, consumers=1, producer_sleep=(0.0, 0.0), consumer_sleep=(0.02, 0.02)
    )
    sim = _run(cfg, 0.2)
    try:
        assert sim.snapshot().calibration is None
        sim.apply(cfg.replace(work="cpu"))
        assert wait_for(lambda: sim.snapshot().calibration is not None)
        snap = sim.snapshot()
        assert snap.calibration is not None and snap.config.work == "cpu"
    finally:
        sim.stop()
