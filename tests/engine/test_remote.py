"""The engine in its own process, as the window uses it."""

import time

from simulator.engine.config import SimulationConfig
from simulator.engine.remote import RemoteSimulation


def test_remote_run_streams_frames_and_stops_cleanly():
    sim = RemoteSimulation(SimulationConfig(producer_sleep=(0, 0.002), consumer_sleep=(0, 0.002)))
    try:
        sim.start()
        deadline = time.monotonic() + 60  # spawning the engine on a busy machine is slow
        seen, snap = 0, None
        while time.monotonic() < deadline and (snap is None or snap.consumed < 50):
            frame = sim.poll()
            if frame is not None:
                seen += frame.total
                assert len(frame.events) <= frame.total
                snap = frame.snapshot
            time.sleep(0.02)
        assert snap is not None and snap.consumed >= 50 and seen > 0
        deferred = sim.apply(sim.config.replace(consumers=4, capacity=3))
        assert deferred == {"capacity"}
        assert sim.stop() < 1.0
        final = sim.snapshot()
        assert final.state == "stopped" and final.ok
        assert final.produced == final.consumed + final.in_buffer + final.in_hand
    finally:
        sim.close()
    assert not sim._proc.is_alive() and sim._proc.exitcode == 0


def test_engine_process_ends_when_closed_mid_run():
    sim = RemoteSimulation(SimulationConfig(backend="processes", producer_sleep=(5, 5)))
    sim.start()
    # mid-run: the engine's workers are going (not a fixed sleep: spawning can be slow)
    deadline = time.monotonic() + 60
    frame = None
    while time.monotonic() < deadline and not (frame and frame.snapshot.started_at > 0):
        frame = sim.poll() or frame
        time.sleep(0.02)
    assert frame is not None and frame.snapshot.started_at > 0
    t0 = time.monotonic()
    sim.close()
    # not the producers' 5 s sleeps (close's own bound is its 3 s join, then terminate)
    assert time.monotonic() - t0 < 4.5
    assert not sim._proc.is_alive()


def test_a_killed_engine_is_noticed_and_winding_down_does_not_raise():
    import os
    import signal

    import pytest

    from simulator.engine.remote import EngineDied

    sim = RemoteSimulation(SimulationConfig(producer_sleep=(0, 0.002), consumer_sleep=(0, 0.002)))
    try:
        sim.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sim.poll() is None:
            time.sleep(0.02)
        os.kill(sim._proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not sim.ended:
            sim.poll()  # never raises
            time.sleep(0.02)
        assert sim.ended and "signal 9" in sim.ended_reason
        assert sim.state == "stopped"
        last = sim.poll()  # what had arrived is kept; no new events come
        assert last is not None and last.events == []
        assert sim.stop() == 0.0
        sim.pause()
        sim.forget()
        assert sim.apply(sim.config.replace(consumers=4)) == frozenset()
        assert sim.config.consumers == 4  # kept for whoever starts the next engine
        with pytest.raises(EngineDied, match="ended unexpectedly"):
            sim.start()
    finally:
        sim.close()
        sim.close()  # twice is fine
    assert not sim._proc.is_alive()
