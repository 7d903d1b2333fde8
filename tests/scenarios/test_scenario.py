"""Scenario files: every shipped one loads and runs; every kind of bad file is refused
with a message naming the file and the key; timelines act on time."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as strat

from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import Simulation
from simulator.scenarios.scenario import ScenarioError, TimelinePlayer, dumps, load, shipped


def test_the_issue_s_scenarios_are_shipped():
    assert {
        "balanced",
        "fast-producers",
        "slow-producers",
        "hand-off",
        "many-consumers",
        "bursty-producers",
        "classic",
    } <= set(shipped())
    classic = load("classic").config
    assert (classic.producers, classic.consumers, classic.capacity) == (1, 1, 10)
    assert classic.producer_sleep == (0.1, 0.5) and classic.consumer_sleep == (0.2, 0.7)


@pytest.mark.parametrize("name", shipped())
def test_every_shipped_scenario_runs_to_its_end(name):
    """Each timeline is played at 20x speed, so the test is short; the run is real."""
    sc = load(name)
    assert sc.title and sc.description
    sim = Simulation(sc.config)
    player = TimelinePlayer(sc)
    sim.start()
    t0 = time.monotonic()
    end = (sc.timeline[-1].at if sc.timeline else 0) / 20 + 0.3
    # until the timeline is played out, not a fixed wall time: on a busy machine one pass
    # of the loop may outlast the 0.3 s margin, and the last play then comes too early
    deadline = t0 + end + 60
    while not player.done or time.monotonic() - t0 < end:
        assert time.monotonic() < deadline, "the timeline was not played out"
        for cfg, _ in player.play((time.monotonic() - t0) * 20, sim.config):
            sim.apply(cfg)
        time.sleep(0.01)
    assert player.done
    sim.stop()
    snap = sim.snapshot()
    if sc.config.bug == "none":  # a scenario that breaks the buffer on purpose may fail
        assert snap.ok, snap.violations
    last = sc.config
    for st in sc.timeline:
        last = last.replace(**st.changes)
    assert snap.config == last


def test_a_timeline_applies_its_changes_on_time(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(
        "[config]\nconsumers = 1\nproducer_sleep = [0, 0.01]\n"
        '[[timeline]]\nat = 1.0\nset = { consumers = 3 }\ncaption = "more"\n'
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "run",
            "--scenario",
            str(f),
            "--duration",
            "1.6",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    (step,) = report["timeline"]
    assert step["caption"] == "more" and abs(step["applied_at"] - 1.0) < 0.5
    assert report["consumers"] == 3


BAD = [
    ("title = 3\n", "title", "text"),
    ("colour = 'red'\n", "colour", "unknown key"),
    ("[config]\ncapacity = 0\n", "config.capacity", "1–1000"),
    ("[config]\ncapacity = 'ten'\n", "config.capacity", "1–1000"),
    ("[config]\nproducer_sleep = [2, 1]\n", "config.producer_sleep", "MIN <= MAX"),
    ("[config]\nbackend = 'fibers'\n", "config.backend", "threads, processes, asyncio"),
    ("[config]\nspeed = 2\n", "config.speed", "allowed: producers"),
    ("duration = -1\n", "duration", "0.1–604800"),
    ("[[timeline]]\nset = { consumers = 2 }\n", "timeline[0].at", "missing"),
    (
        "[[timeline]]\nat = 1\nset = { capacity = 3 }\n",
        "timeline[0].set.capacity",
        "allowed: producers, consumers, producer_sleep, consumer_sleep",
    ),
    ("[[timeline]]\nat = 1\nset = { consumers = 99 }\n", "timeline[0].set.consumers", "1–64"),
    ("[[timeline]]\nat = 1\nwhen = 2\n", "timeline[0].when", "allowed: at, set, caption"),
]


@pytest.mark.parametrize(("text", "key", "allowed"), BAD)
def test_bad_files_name_the_file_the_key_and_what_is_allowed(tmp_path, text, key, allowed):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load(str(f))
    msg = str(info.value)
    assert msg.startswith("bad.toml: ") and f" {key}: " in msg and allowed in msg


def test_syntax_errors_give_the_line(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("title = 'x'\n[config\n")
    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML: .*line 2"):
        load(str(f))


def test_cli_refuses_a_bad_scenario_with_exit_2(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[config]\ncapacity = 0\n")
    for cmd in ("run", "gui"):
        out = subprocess.run(
            [sys.executable, "-m", "simulator", cmd, "--scenario", str(f)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 2
        assert "bad.toml: config.capacity" in out.stderr and "Traceback" not in out.stderr


def test_saved_settings_load_back(tmp_path):
    cfg = load("fast-producers").config.replace(seed=7)
    f = tmp_path / "mine.toml"
    f.write_text(dumps(cfg, "Mine", "my demo"))
    back = load(str(f))
    assert back.config == cfg and back.title == "Mine"


NASTY = [
    'Say "hi"',
    "C:\\pcsim\\demo",
    'a \\" b',
    "two\nlines\r\nand a\ttab",
    "bell \x07, escape \x1b, delete \x7f, nul \x00",
    "ünïcödé — 生産者と消費者 🧵",
    "'single' and '''triple''' quotes",
    '""" three double quotes',
    "trailing backslash \\",
]


@pytest.mark.parametrize("text", NASTY)
def test_saved_titles_and_descriptions_load_back_exactly(tmp_path, text):
    f = tmp_path / "nasty.toml"
    f.write_text(dumps(SimulationConfig(), text, text + " (description)"), encoding="utf-8")
    back = load(str(f))
    assert back.title == text and back.description == text + " (description)"


sleeps = strat.tuples(strat.floats(0, 10), strat.floats(0, 10)).map(lambda r: tuple(sorted(r)))


@settings(max_examples=200, deadline=None)
@given(title=strat.text(), description=strat.text(), producer_sleep=sleeps)
def test_dumps_round_trips_any_text_and_any_sleep(title, description, producer_sleep):
    cfg = SimulationConfig(producer_sleep=producer_sleep, seed=3)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "any.toml"
        f.write_text(dumps(cfg, title, description), encoding="utf-8")
        back = load(str(f))
    assert (back.title, back.description) == (title, description)
    assert back.config == cfg


def test_a_byte_order_mark_is_not_content(tmp_path):
    """The window's Open dialog and the CLI share load(): a BOM must not refuse a file."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbftitle = "BOM"\n[config]\ncapacity = 3\n')
    sc = load(str(path))
    assert sc.title == "BOM" and sc.config.capacity == 3


@pytest.mark.parametrize(
    ("name", "says"),
    [("", "--scenario"), ("x" * 300, "too long"), ("   ", "--scenario")],
)
def test_names_the_os_cannot_take_are_refused_in_words(name, says):
    with pytest.raises(ScenarioError, match=r"too long|must be a shipped name") as err:
        load(name)
    assert says in str(err.value)


def test_deep_nesting_is_refused_in_words(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("[config]\nproducers = " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(ScenarioError, match="nested too deeply"):
        load(str(path))


def test_play_hands_out_due_steps_once_each_with_the_config_it_makes(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(
        "[config]\nproducers = 1\n"
        "[[timeline]]\nat = 1\nset = { producers = 2 }\n"
        "[[timeline]]\nat = 2\nset = { consumers = 5 }\n"
        "[[timeline]]\nat = 3\nset = { producers = 4 }\n"
    )
    sc = load(str(f))
    player = TimelinePlayer(sc)
    assert player.play(0.5, sc.config) == []
    played = player.play(2.0, sc.config)  # two steps at once: the second builds on the first
    assert [step.at for _, step in played] == [1, 2]
    assert [(c.producers, c.consumers) for c, _ in played] == [(2, 2), (2, 5)]
    assert player.play(2.5, played[-1][0]) == [] and not player.done
    ((last, _),) = player.play(99, played[-1][0])
    assert (last.producers, last.consumers) == (4, 5) and player.done
