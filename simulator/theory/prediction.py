"""What the settings should give: the model's figures, the bounds, and when the model
cannot say.

:func:`predict` is what every front end asks: ``pcsim run --json`` (``predicted``), the
window's dashed lines and "predicted" column, ``pcsim sweep``. Its keys are the measured
ones (:class:`~simulator.headless.Report`), so a reader compares like with like.

The model ignores what the machine costs per item. That is right while the sleeps
dominate and wrong when they are about zero: then the interpreter, the GIL and the
scheduler set the pace, and a figure would be a guess. So the prediction is ``None``
with a ``reason`` when the pace-setting side's mean time is under
:data:`MIN_MEAN_S`, or when the bound exceeds :data:`MAX_RATE_PER_S`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.engine.config import SimulationConfig
from simulator.engine.metrics import rate_text
from simulator.engine.workers import Role
from simulator.theory.bounds import Bounds, mean_time
from simulator.theory.model import ModelRun, simulate

#: below this mean working time (on the side that sets the pace) the machine, not the
#: sleep, is what an item costs: `time.sleep` alone overshoots by ~80 µs here
MIN_MEAN_S = 0.002
#: above this many items/s, the per-item cost of Python threads (~20–50 µs of GIL time
#: each, measured in pcsim bench) is a visible share of every second
MAX_RATE_PER_S = 2000.0


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's figures for one configuration (``run`` None when it cannot say:
    ``reason`` says why), and the closed-form bounds (always)."""

    config: SimulationConfig
    bounds: Bounds
    run: ModelRun | None
    reason: str | None

    @property
    def throughput_per_s(self) -> float | None:
        return None if self.run is None else self.run.throughput_per_s

    def as_json(self) -> dict[str, object]:
        """The measured report's keys with predicted values, or ``None`` and a reason;
        ``bounds`` either way."""
        out: dict[str, object] = {}
        r = self.run
        if r is None:
            out["throughput_per_s"] = None
            out["reason"] = self.reason
        else:
            out.update(
                throughput_per_s=round(r.throughput_per_s, 3),
                mean_occupancy=round(r.mean_occupancy, 3),
                mean_occupancy_pm=round(r.occupancy_half_width, 3),
                latency_ms={
                    k: round(v, 3)
                    for k, v in zip(("p50", "p95", "p99"), r.latency_ms, strict=True)
                },
                producer_blocked_fraction=round(r.producer_blocked_fraction, 4),
                consumer_blocked_fraction=round(r.consumer_blocked_fraction, 4),
                mean_latency_ms=round(r.mean_latency_ms, 3),
                model_span_s=round(r.span_s, 1),
                model_runs=r.runs,
            )
            out["for"] = (
                "the steady state"
                if r.duration_s is None
                else f"a {round(r.duration_s, 1):g} s run from an empty buffer"
            )
        out["bounds"] = self.bounds.as_json()
        return out

    def sentence(self) -> str:
        """The bottleneck in one sentence, as a teacher would say it."""
        return bottleneck_sentence(self)


#: a predicted mean occupancy gets its ± once its 95 % half-width is this share of the
#: capacity (a nearly balanced pattern: ``balanced`` predicts 6.0 ± 1.0 of 10)
SHOW_SPREAD = 0.05


def occupancy_text(p: Prediction) -> str:
    """The predicted mean occupancy as every view writes it: "9.9", or "6.0 ± 1.0" when
    the model knows it only that well; "–" when it cannot say."""
    r = p.run
    if r is None:
        return "–"
    if r.occupancy_half_width >= max(0.1, SHOW_SPREAD * p.config.capacity):
        return f"{r.mean_occupancy:.1f} ± {r.occupancy_half_width:.1f}"
    return f"{r.mean_occupancy:.1f}"


def _rate(x: float) -> str:
    """A bound as the sentence says it, in the figures every rate on screen has."""
    return "without limit" if math.isinf(x) else f"{rate_text(x)}/s"


def bottleneck_sentence(p: Prediction) -> str:
    """E.g. "Consumers can finish at most 4.44 items/s, producers offer 10.0/s: in the long
    run the buffer fills and producers wait 56 % of the time." The shares are the steady
    state's when ``p`` is one (a prediction for a short run would understate them)."""
    b = p.bounds
    offer, cap = _rate(b.offered_per_s), _rate(b.consumer_capacity_per_s)
    r = p.run
    if b.bottleneck == "consumers":
        most = cap.replace("/s", " items/s")
        head = f"Consumers can finish at most {most}, producers offer {offer}"
        tail = "in the long run the buffer fills and producers wait"
        share = None if r is None else r.producer_blocked_fraction
    elif b.bottleneck == "producers":
        most = offer.replace("/s", " items/s")
        head = f"Producers offer at most {most}, consumers could take {cap}"
        tail = "in the long run the buffer stays low and consumers wait"
        share = None if r is None else r.consumer_blocked_fraction
    else:
        head = f"Producers offer {offer}, consumers can take {cap}: balanced"
        if r is None:
            return head + "."
        return (
            f"{head}; both wait now and then (producers {r.producer_blocked_fraction:.0%}, "
            f"consumers {r.consumer_blocked_fraction:.0%} of the time)."
        ).replace("%", " %")
    if share is None:
        return f"{head}: {tail}."
    return f"{head}: {tail} {share:.0%} of the time.".replace("%", " %")


def _unmodelled(config: SimulationConfig) -> str | None:
    """Why the ideal model cannot stand for ``config`` (a setting it does not model), or
    None. A prediction it cannot make is said, not drawn wrong."""
    if config.full_policy != "block":
        return f"the model knows only the full policy block (not {config.full_policy})"
    if config.work == "cpu" and config.backend != "processes":
        who = {"threads": "threads", "asyncio": "coroutines"}.get(
            config.backend, f"{config.backend} workers"
        )
        return (
            f"the model knows no GIL: {who} that compute share one core "
            "(use processes, or compare with pcsim compare)"
        )
    return None


def predict(
    config: SimulationConfig, *, duration_s: float | None = None, seed: int = 0
) -> Prediction:
    """The ideal pattern's figures for ``config`` (time scale applied; ``items`` and the
    backend ignored: the model is the pattern, not a machine): its steady state, or with
    ``duration_s`` what a run of that length from an empty buffer should show. Its work is
    capped (under 0.2 s here); the same arguments give the same prediction."""
    bounds = Bounds.of(config)
    pace = Role.CONSUMER if bounds.bottleneck == "consumers" else Role.PRODUCER
    if bounds.bottleneck == "neither":
        pace_mean = min(mean_time(config, Role.PRODUCER), mean_time(config, Role.CONSUMER))
    else:
        pace_mean = mean_time(config, pace)
    reason = _unmodelled(config)
    if reason is not None:
        return Prediction(config, bounds, None, reason)
    if pace_mean < MIN_MEAN_S:
        reason = (
            f"mean sleeps under {MIN_MEAN_S * 1000:g} ms: the machine, not the settings, "
            "sets the pace"
        )
        return Prediction(config, bounds, None, reason)
    if bounds.limit_per_s > MAX_RATE_PER_S:
        reason = f"over {MAX_RATE_PER_S:,.0f} items/s the machine, not the settings, sets the pace"
        return Prediction(config, bounds, None, reason)
    return Prediction(config, bounds, simulate(config, duration_s=duration_s, seed=seed), None)
