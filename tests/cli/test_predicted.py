"""``pcsim run`` reports what the ideal model predicts beside what it measured."""

from __future__ import annotations

import json

from simulator.engine.config import SimulationConfig
from simulator.theory import predict
from tests.cli.test_run import pcsim

MEASURED_KEYS = (
    "throughput_per_s",
    "mean_occupancy",
    "latency_ms",
    "producer_blocked_fraction",
    "consumer_blocked_fraction",
)


def test_the_json_report_has_the_prediction_with_the_measured_keys():
    out = pcsim(
        "run", "--duration", "1", "--json", "--producer-sleep", "0.01", "0.03", "--seed", "3"
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    predicted = report["predicted"]
    for key in MEASURED_KEYS:
        assert key in report and key in predicted, key
    assert set(predicted["latency_ms"]) == set(report["latency_ms"])
    # the figures are the model's for a run as long as this one, from an empty buffer
    cfg = SimulationConfig(producer_sleep=(0.01, 0.03), seed=3)
    assert predicted["for"].startswith("a 1 s run")
    expected = predict(cfg, duration_s=report["duration_s"]).as_json()
    assert predicted["throughput_per_s"] == expected["throughput_per_s"]
    assert predicted["bounds"] == {
        "offered_per_s": 150.0,
        "consumer_capacity_per_s": 4.444,
        "bottleneck": "consumers",
    }
    assert report["bottleneck"] == predict(cfg).sentence()


def test_the_table_shows_both_and_the_bottleneck():
    out = pcsim("run", "--duration", "1", "--producer-sleep", "0.01", "0.03")
    assert out.returncode == 0, out.stderr
    assert "(predicted " in out.stdout
    assert "bottleneck            Consumers can finish at most 4.44 items/s" in out.stdout


def test_at_zero_sleeps_the_prediction_is_null_with_its_reason():
    out = pcsim(
        "run",
        "--items",
        "200",
        "--json",
        "--producer-sleep",
        "0",
        "0",
        "--consumer-sleep",
        "0",
        "0",
    )
    assert out.returncode == 0, out.stderr
    predicted = json.loads(out.stdout)["predicted"]
    assert predicted["throughput_per_s"] is None
    assert "machine" in predicted["reason"]
    table = pcsim(
        "run", "--items", "50", "--producer-sleep", "0", "0", "--consumer-sleep", "0", "0"
    ).stdout
    assert "no prediction" in table and "machine" in table
