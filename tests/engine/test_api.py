"""Both engines satisfy the API front ends are written against."""

from __future__ import annotations

from simulator.engine.api import RemoteAPI, SimulationAPI
from simulator.engine.remote import RemoteSimulation
from simulator.engine.simulation import Simulation


def _typed(sim: Simulation, remote: RemoteSimulation) -> list[SimulationAPI]:
    """Type-checked by mypy (never called): each assignment fails if a class drifts."""
    local: SimulationAPI = sim
    other: SimulationAPI = remote
    owned: RemoteAPI = remote
    return [local, other, owned]


def test_both_engines_satisfy_the_simulation_api():
    sim = Simulation()
    assert isinstance(sim, SimulationAPI)
    remote = RemoteSimulation()
    try:
        assert isinstance(remote, SimulationAPI) and isinstance(remote, RemoteAPI)
        assert not isinstance(sim, RemoteAPI)  # no frames, no process
    finally:
        remote.close()


def test_the_api_check_is_real():
    class Partial:
        config = None
        state = "idle"
        started_at = 0.0

        def start(self) -> None: ...

    assert not isinstance(Partial(), SimulationAPI)
