"""The model against reality: each shipped scenario's starting settings (its timeline
off) run for real, beside what :func:`simulator.theory.predict` says a run of the same
length should show.

The runs are independent and their sleeps are long (tens of ms and more), so they run
side by side, each a :class:`~simulator.engine.simulation.Simulation` of its own: a
30 s bench takes 30 s per repeat, not 30 s per scenario. At these rates the machine is
idle (well under 1,000 items/s in all), so running them together does not slow them.
The figure compared is the throughput; each point's ratio is measured / predicted, and
the median over the repeats is reported (a 30 s run of ~70 items varies by ±4 %).
"""

from __future__ import annotations

import statistics
import threading
import time

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation
from simulator.scenarios.scenario import load, shipped
from simulator.theory import predict

#: 1 producer / 1 consumer, one slot, both 5–55 ms: the simple bound says 33.3/s, real
#: runs measured 28.5–29.8/s (issue #12); the model must see the difference
HAND_OFF_1_1 = SimulationConfig(
    producers=1,
    consumers=1,
    capacity=1,
    producer_sleep=(0.005, 0.055),
    consumer_sleep=(0.005, 0.055),
)
TOLERANCE = 0.10  #: the issue's target for the scenarios: within 10 %
TOLERANCE_HAND_OFF = 0.08  #: and within 8 % for the one-slot pair


def cases() -> dict[str, SimulationConfig]:
    """Every shipped scenario's starting settings on threads that the model stands for
    (no bug: those break the books on purpose; nothing it declines to predict), and the
    one-slot pair."""
    configs = {name: load(name).config.replace(backend="threads") for name in shipped()}
    out = {
        name: cfg
        for name, cfg in configs.items()
        if cfg.bug == "none" and predict(cfg).reason is None
    }
    out["1p1c-capacity-1"] = HAND_OFF_1_1
    return out


def _measure(config: SimulationConfig, seconds: float, into: list[float]) -> None:
    sim = Simulation(config)
    sim.start()
    try:
        if not sim.ready.wait(30):
            raise RuntimeError("the workers did not start")
        time.sleep(seconds)
        snap = sim.snapshot()
        if not snap.ok:
            raise RuntimeError(f"the books broke: {snap.violations}")
        into.append(snap.consumed / sim.elapsed)
    finally:
        sim.stop()


def run_model_bench(quick: bool = False, repeats: int = 3) -> dict[str, object]:
    """Measured vs predicted throughput for :func:`cases`, 30 s runs (10 s quick)."""
    seconds = 10.0 if quick else 30.0
    measured: dict[str, list[float]] = {name: [] for name in cases()}
    for _ in range(1 if quick else repeats):
        threads = [
            threading.Thread(target=_measure, args=(cfg, seconds, measured[name]))
            for name, cfg in cases().items()
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    rows = []
    for name, cfg in cases().items():
        got = statistics.median(measured[name]) if measured[name] else 0.0
        pred = predict(cfg, duration_s=seconds)
        expected = pred.throughput_per_s or 0.0
        tol = TOLERANCE_HAND_OFF if name == "1p1c-capacity-1" else TOLERANCE
        ratio = got / expected if expected else None
        rows.append(
            {
                "case": name,
                "seconds": seconds,
                "runs": len(measured[name]),
                "measured_items_per_s": round(got, 3),
                "predicted_items_per_s": round(expected, 3),
                "bound_items_per_s": round(pred.bounds.limit_per_s, 3),
                "ratio": None if ratio is None else round(ratio, 3),
                "tolerance": tol,
                "pass": ratio is not None and abs(ratio - 1) <= tol,
            }
        )
    return {"runs": rows}
