"""Run a scenario for real and hold its words to what happened.

Each phase of a scenario (the start, then each timeline step) may carry an ``expect``
table (see :mod:`simulator.scenarios.expect`); :func:`check` plays the scenario on real
threads, records every event, and judges each expectation over its phase's window.

``speed`` plays the scenario faster for a short check: every sleep range *and* every
step time (and the duration) are divided by it, so each ratio the claims rest on (who is
faster, how long a burst lasts next to a sleep) stays the same; rates are reported in
the scenario's own seconds. It is sound while the per-item overhead of the queue (tens
of microseconds) stays small next to the shortest sleep: the shipped scenarios' shortest
is 20 ms, 10 ms at the tests' speed 2.

    python -m simulator.scenarios.check fast-producers [--speed 2] [--seed 1] [--json]

prints each phase's window, figures and verdicts (exit 0 if every expectation held, 1 if
one did not, 2 for a bad scenario).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from simulator import exitcodes
from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation
from simulator.scenarios.expect import Expectation, measure
from simulator.scenarios.scenario import (
    DEFAULT_DURATION_S,
    Scenario,
    ScenarioError,
    Step,
    TimelinePlayer,
    load,
)

READY_TIMEOUT_S = 60.0


def _faster(value: object, speed: float) -> object:
    if isinstance(value, tuple):
        return tuple(float(x) / speed for x in value)
    return value


def scaled(scenario: Scenario, speed: float) -> Scenario:
    """``scenario`` played ``speed`` times faster: sleeps, step times and duration."""
    if speed == 1.0:
        return scenario

    def sleeps(changes: dict[str, object]) -> dict[str, object]:
        return {k: _faster(v, speed) if k.endswith("_sleep") else v for k, v in changes.items()}

    cfg = scenario.config
    return dataclasses.replace(
        scenario,
        config=cfg.replace(
            **sleeps({"producer_sleep": cfg.producer_sleep, "consumer_sleep": cfg.consumer_sleep})
        ),
        timeline=tuple(
            dataclasses.replace(
                st, at=st.at / speed, changes=sleeps(st.changes), settle=st.settle / speed
            )
            for st in scenario.timeline
        ),
        duration=(scenario.duration or DEFAULT_DURATION_S) / speed,
        settle=scenario.settle / speed,
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    figure: str
    expected: str  #: as the file wrote it
    bound: float  #: the number it came to under the phase's settings
    value: float
    ok: bool


@dataclass(frozen=True, slots=True)
class Phase:
    """One window of the run and what its words claimed about it."""

    name: str  #: "start" or "timeline[i] at T s"
    caption: str | None
    window: tuple[float, float]  #: scenario seconds after the start
    config: SimulationConfig  #: the scenario's settings in effect (not scaled)
    figures: dict[str, float]
    verdicts: tuple[Verdict, ...]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


def _phases(sc: Scenario) -> list[tuple[str, str | None, float, float, tuple[Expectation, ...]]]:
    """(name, caption, start, settle, expectations) of each phase, in order."""
    out: list[tuple[str, str | None, float, float, tuple[Expectation, ...]]] = [
        ("start", sc.description, 0.0, sc.settle, sc.expect)
    ]
    for i, st in enumerate(sc.timeline):
        out.append((f"timeline[{i}] at {st.at:g} s", st.caption, st.at, st.settle, st.expect))
    return out


def _ending_figures(sim: Simulation) -> dict[str, float]:
    """The figures of :data:`~.expect.ENDING_FIGURES` from a run an ending closed."""
    snap = sim.snapshot()
    return {
        "discarded": float(snap.discarded),
        "lost": float(snap.lost),
        "unfinished": float(snap.unfinished_tasks),
    }


def check(scenario: Scenario, *, speed: float = 1.0, seed: int | None = None) -> list[Phase]:
    """Play ``scenario`` (``speed`` times faster) to its end on a real simulation and
    return every phase with its measured figures and verdicts. A step with ``end`` ends
    the run so and starts a fresh one (if more steps follow): its phase is judged on the
    ended run (its events up to the stop, and its closed books)."""
    if scenario.guide:
        return check_guide(scenario, seed=seed)
    fast = scaled(scenario, speed)
    config = fast.config if seed is None else fast.config.replace(seed=seed)
    duration = fast.duration or DEFAULT_DURATION_S
    sim = Simulation(config)
    channel = sim.subscribe(maxlen=5_000_000)
    runs: list[list[Any]] = [[]]  # each run's events (item ids start again in each)
    applied: list[float] = []  # monotonic time each step was applied
    run_of: list[int] = [0]  # the run each phase is judged in
    stopped_at: dict[int, float] = {}  # phase -> when the ending it asked for was done
    ended: dict[int, dict[str, float]] = {}  # phase -> the closed books' figures
    player = TimelinePlayer(fast)

    def start() -> None:
        sim.start()
        if not sim.ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"{scenario.name}: workers not ready after {READY_TIMEOUT_S} s")

    start()
    try:
        t0 = sim.started_at
        while (now := time.monotonic()) < t0 + duration:
            time.sleep(min(0.01, t0 + duration - now))
            for cfg, step in player.play(time.monotonic() - t0, sim.config):
                sim.apply(cfg)
                applied.append(time.monotonic())
                run_of.append(len(runs) - 1)
                if step.end is not None:
                    sim.stop(ending=step.end)
                    stopped_at[len(applied)] = time.monotonic()
                    ended[len(applied)] = _ending_figures(sim)
                    runs[-1].extend(channel.drain())
                    if not player.done:
                        runs.append([])
                        start()
            runs[-1].extend(channel.drain())
        t_end = time.monotonic()
    finally:
        last = len(applied)
        if sim.state in ("running", "paused"):
            sim.stop(ending=sim.config.shutdown)
            if sim.config.shutdown is not None:
                ended[last] = _ending_figures(sim)
    runs[-1].extend(channel.drain())
    sim.unsubscribe(channel)

    phases = []
    settings = scenario.config
    steps: list[Step] = list(scenario.timeline)
    names = [name for name, *_ in _phases(scenario)]  # the file's own step times
    for i, (_name, caption, _at, settle, expectations) in enumerate(_phases(fast)):
        name = names[i]
        begin = t0 if i == 0 else applied[i - 1]
        if i > 0:
            settings = settings.replace(**steps[i - 1].changes)
        end = applied[i] if i < len(applied) else t_end
        end = stopped_at.get(i, end)
        start_at = min(begin + settle, end)
        figures = measure(runs[run_of[i]], start_at, end, speed)
        figures.update(ended.get(i, {}))
        verdicts = tuple(
            Verdict(
                e.figure,
                e.text,
                e.bound(settings),
                figures[e.figure],
                e.holds(figures[e.figure], settings),
            )
            for e in expectations
        )
        window = ((start_at - t0) * speed, (end - t0) * speed)
        phases.append(Phase(name, caption, window, settings, figures, verdicts))
    return phases


def check_guide(scenario: Scenario, *, seed: int | None = None) -> list[Phase]:
    """A guided scenario (``[[guide]]``): start it paused, make the guide's steps in
    order on a real run, and hold each step's line to what its caption says it shows
    (phase ``guide[i]``, figure ``shows``: 1 if the line contains it); the description's
    ``expect`` is judged over the whole stepped run. Single steps make the order, not
    the machine's timing, so there is nothing to speed up."""
    config = scenario.config if seed is None else scenario.config.replace(seed=seed)
    sim = Simulation(config)
    channel = sim.subscribe(maxlen=100_000)
    lines: list[str] = []
    sim.start(paused=True)
    try:
        if not sim.ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"{scenario.name}: workers not ready after {READY_TIMEOUT_S} s")
        t0 = sim.started_at
        for g in scenario.guide:
            step = sim.step(g.worker, timeout=30.0)
            lines.append(step.why if step is not None else f"{g.worker} could not move")
        t_end = time.monotonic()
    finally:
        sim.stop()
    events = channel.drain()
    sim.unsubscribe(channel)
    figures = measure(events, t0, t_end)
    window = (0.0, t_end - t0)
    phases = [
        Phase(
            "start",
            scenario.description,
            window,
            config,
            figures,
            tuple(
                Verdict(
                    e.figure,
                    e.text,
                    e.bound(config),
                    figures[e.figure],
                    e.holds(figures[e.figure], config),
                )
                for e in scenario.expect
            ),
        )
    ]
    for i, (g, line) in enumerate(zip(scenario.guide, lines, strict=True)):
        ok = g.shows in line
        verdict = Verdict("shows", f"{g.shows!r} in {line!r}", 1.0, float(ok), ok)
        phases.append(
            Phase(f"guide[{i}] step {g.worker}", g.caption, window, config, {}, (verdict,))
        )
    return phases


def _report(scenario: Scenario, phases: list[Phase]) -> str:
    lines = [f"{scenario.name}: {scenario.title}"]
    for ph in phases:
        lines.append(f"  {ph.name} [{ph.window[0]:.1f}–{ph.window[1]:.1f} s]: {ph.caption or ''}")
        figs = ", ".join(f"{k} {v:.3g}" for k, v in ph.figures.items())
        lines.append(f"    {figs}")
        for v in ph.verdicts:
            mark = "ok  " if v.ok else "FAIL"
            lines.append(f"    {mark} {v.figure} {v.expected} (= {v.bound:.3g}): {v.value:.3g}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.scenarios.check",
        description="Run a scenario for real and check its captions' expectations.",
    )
    parser.add_argument("scenario", help="a shipped name or a .toml file")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="play it this many times faster (1–10)"
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the phases as JSON")
    args = parser.parse_args(argv)
    if not 1.0 <= args.speed <= 10.0:
        print(f"--speed: must be 1–10 (got {args.speed:g})", file=sys.stderr)
        return exitcodes.USAGE
    try:
        scenario = load(args.scenario)
    except ScenarioError as err:
        print(f"pcsim: {err}", file=sys.stderr)
        return exitcodes.USAGE
    phases = check(scenario, speed=args.speed, seed=args.seed)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "phase": ph.name,
                        "caption": ph.caption,
                        "window": [round(x, 3) for x in ph.window],
                        "figures": {k: round(v, 4) for k, v in ph.figures.items()},
                        "verdicts": [dataclasses.asdict(v) for v in ph.verdicts],
                        "ok": ph.ok,
                    }
                    for ph in phases
                ]
            )
        )
    else:
        sys.stdout.write(_report(scenario, phases))
    # a developer's check, not a pcsim command: 1 says a claim is false (like a test)
    return exitcodes.OK if all(ph.ok for ph in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
