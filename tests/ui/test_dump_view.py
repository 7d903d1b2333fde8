"""``pcsim gui --dump-view``: every view shows the same snapshot's figures (issue 11).

The dump is read back from the widgets (label texts, scene items), so these tests hold
what is on screen to the books, not the snapshot to itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.metrics import rate_text
from simulator.scenarios.scenario import load
from simulator.theory import predict

RUNS = {
    "classic": ["--scenario", "classic"],
    "64x64": ["--producers", "64", "--consumers", "64", "--capacity", "1000"],
}


def _gui(args: list[str], tmp_path, seconds: float = 4.0) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "simulator", "gui", *args, "--exit-after", str(seconds)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


@pytest.fixture(scope="module", params=list(RUNS))
def dump(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    path = tmp / "view.json"
    out = _gui([*RUNS[request.param], "--dump-view", str(path)], tmp)
    assert out.returncode == 0, out.stderr
    return json.loads(path.read_text(encoding="utf-8"))


def test_stats_books_header_and_status_show_one_snapshot(dump):
    snap, stats, books = dump["snapshot"], dump["stats"], dump["books"]
    assert snap["state"] == "running" and snap["produced"] > 0
    assert books["ok"] is True, books["text"]
    for key in ("produced", "consumed", "in_buffer", "in_hand"):
        assert stats[key] == books[key] == snap[key], key
    assert books["produced"] == books["consumed"] + books["in_buffer"] + books["in_hand"]
    assert dump["header"]["count"] == stats["in_buffer"]
    # the status bar speaks of the same run at the same moment
    assert f"capacity {snap['capacity']}" in dump["status"]
    assert f"{snap['elapsed']:.1f} s" in dump["status"]
    # throughput: the rolling rate and the run's average, the same average in the graph
    _now, avg = re.match(r"([\d,.–]+)\s/\s([\d,.]+)$", dump["throughput"]).groups()
    assert avg == rate_text(snap["consumed"] / snap["elapsed"])
    assert f"run avg {avg}" in dump["graph_title"]


#: the settings of each run above, for the prediction its views must show
SETTINGS = {
    "classic": lambda: load("classic").config,
    "64x64": lambda: SimulationConfig(producers=64, consumers=64, capacity=1000),
}


def test_the_prediction_views_show_predict_of_the_runs_settings(dump, request):
    """The predicted column, the dashed lines and the sentence are the prediction the
    window handed its views, and that is ``predict`` of the run's settings."""
    shown = dump["prediction"]
    assert shown is not None, "still predicting after seconds of a run"
    want = predict(SETTINGS[request.node.callspec.id]()).as_json()
    assert shown["bounds"] == want["bounds"]
    assert shown["throughput_per_s"] == pytest.approx(want["throughput_per_s"], rel=0.05)
    predicted = dump["predicted"]
    assert predicted["throughput"] == rate_text(shown["throughput_per_s"])
    assert predicted["occupancy"] == f"{shown['mean_occupancy']:.1f}"
    lines = predicted["graph_lines"]
    assert lines["throughput"] == pytest.approx(shown["throughput_per_s"], abs=0.001)
    assert lines["occupancy"] == pytest.approx(shown["mean_occupancy"], abs=0.001)
    assert f"predicted {rate_text(shown['throughput_per_s'])}" in dump["graph_title"]
    assert predicted["sentence"].endswith("of the time.")
    assert predicted["littles_law"].startswith("Little's law: L ")


def test_the_buffer_drawn_is_the_buffer_counted(dump):
    buffer = dump["buffer"]
    assert buffer["count"] == dump["header"]["count"] == dump["stats"]["in_buffer"]
    if buffer["mode"] != "bar":
        assert buffer["items"] == dump["snapshot"]["buffer"]


def test_slots_are_in_fifo_order(dump):
    """Exit first: each producer's sequence numbers increase towards the entrance."""
    last: dict[str, int] = {}
    for label in dump["buffer"]["items"]:
        producer, seq = label.split("-")
        assert int(seq) > last.get(producer, -1), dump["buffer"]["items"]
        last[producer] = int(seq)


def test_no_consumer_card_shows_a_consumed_item(dump):
    held = {w["name"]: w["item"] for w in dump["snapshot"]["workers"]}
    consumed = set(dump["consumed_items"])
    for card in dump["cards"]:
        if card["name"].startswith("C") and card["item"] is not None:
            assert card["item"] not in consumed, card
            assert card["item"] == held[card["name"]], card


def test_no_card_shows_an_item_its_worker_does_not_hold(dump):
    """What holds even while items in flight are hidden: a card's item is its worker's."""
    held = {w["name"]: w["item"] for w in dump["snapshot"]["workers"]}
    consumed = set(dump["consumed_items"])
    for card in dump["cards"]:
        if card["item"] is not None:
            assert card["item"] == held[card["name"]], card
            assert card["item"] not in consumed, card


def test_dump_view_needs_exit_after_and_a_writable_path(tmp_path):
    out = _gui(["--dump-view", str(tmp_path / "x.json")], tmp_path, 1)
    assert out.returncode == 0  # with --exit-after it is fine
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for args, words in (
        (["--dump-view", str(tmp_path / "y.json")], "--exit-after"),
        (["--exit-after", "1", "--dump-view", str(tmp_path / "no" / "y.json")], "--dump-view"),
    ):
        bad = subprocess.run(
            [sys.executable, "-m", "simulator", "gui", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert bad.returncode == 2, bad.stderr
        assert words in bad.stderr and "Traceback" not in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
