"""Runs the UI tests show: the fast settings, and snapshots made by hand for view tests
that must show a chosen moment exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from simulator.engine.config import SimulationConfig
from simulator.engine.events import is_pill
from simulator.engine.metrics import WorkerView
from simulator.engine.simulation import RUNNING, Simulation, Snapshot
from simulator.engine.workers import Role, WorkerState, worker_name
from simulator.ui.canvas import SimulationCanvas
from tests.engine import waiting

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot


def shown_canvas(
    qtbot: QtBot, cfg: SimulationConfig, size: tuple[int, int] = (936, 421)
) -> SimulationCanvas:
    """A canvas of ``size`` (the default: its size in a 1280x720 window) showing
    ``cfg``'s workers and buffer, closed with the test."""
    canvas = SimulationCanvas(cfg)
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    canvas.show()
    canvas.show_config(cfg)
    return canvas


T = TypeVar("T")

#: sleeps short enough that a few seconds show many items
FAST = SimulationConfig(producer_sleep=(0.005, 0.02), consumer_sleep=(0.01, 0.03))


def running_snapshot(**changes: object) -> Snapshot:
    """A snapshot of a run with made-up numbers (an idle simulation's, changed), and
    ``changes`` on top."""
    values: dict[str, object] = dict(
        state="running", produced=12, consumed=9, in_buffer=2, in_hand=1
    )
    return dataclasses.replace(Simulation().snapshot(), **(values | changes))  # type: ignore[arg-type]


def snapshot_of(
    cfg: SimulationConfig,
    buffer: tuple[int, ...] = (),
    *,
    run_state: str = RUNNING,
    states: dict[str, tuple[str, int]] | None = None,
    consumers: str = WorkerState.WAITING_EMPTY,
) -> Snapshot:
    """A snapshot of ``cfg``'s run with ``buffer`` (oldest first). ``states`` gives some
    workers' (state, item in hand); the other producers are producing, the other
    consumers in state ``consumers``; worker number ``i`` has ``i`` items done."""
    states = states or {}
    counts = {Role.PRODUCER: cfg.producers, Role.CONSUMER: cfg.consumers}
    default = {Role.PRODUCER: WorkerState.PRODUCING, Role.CONSUMER: consumers}
    workers = []
    for role, n in counts.items():
        for i in range(1, n + 1):
            name = worker_name(role, i)
            state, item = states.get(name, (default[role], -1))
            workers.append(WorkerView(name, role, state, item, i, 0.0, (0.0, 0.0)))
    return Snapshot(
        state=run_state,
        config=cfg,
        capacity=cfg.capacity,
        backend=cfg.backend,
        elapsed=1.0,
        produced=len(buffer),
        consumed=0,
        in_buffer=len(buffer),
        in_hand=0,
        lost=0,
        duplicates=0,
        ok=True,
        violations=(),
        produced_rate=0.0,
        consumed_rate=0.0,
        occupancy=len(buffer),
        max_occupancy=len(buffer),
        mean_occupancy=0.0,
        latency_ms=(0.0, 0.0, 0.0),
        producer_blocked=0.0,
        consumer_blocked=0.0,
        waits_full=0,
        waits_empty=0,
        workers=tuple(workers),
        buffer=buffer,
        pills_in_buffer=sum(1 for i in buffer if is_pill(i)),
    )


def wait_still(qtbot, look: Callable[[], T], quiet_ms: int = 500, timeout_ms: int = 30_000) -> T:
    """What ``look()`` shows once it has not changed for ``quiet_ms``, Qt's events going on
    meanwhile (the frames arrive through them): :func:`tests.engine.waiting.wait_still`.

    After a pause the frames of what was under way when it landed still arrive: a fixed
    ``qtbot.wait`` hopes they have all arrived by then, which a loaded machine can belie.
    This waits for the outcome (the view stops moving) and fails only if it never does.
    """
    return waiting.wait_still(
        look, quiet_ms / 1000, timeout_ms / 1000, nap=lambda s: qtbot.wait(round(s * 1000))
    )
