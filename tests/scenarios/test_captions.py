"""Every shipped caption says only what its run shows.

Each scenario states its description's and captions' claims as ``expect`` figures per
phase (see :mod:`simulator.scenarios.expect`). Here every shipped scenario runs for
real, all at once, each in its own process (``python -m simulator.scenarios.check``),
played at :data:`SPEED` times its pace: every sleep range, step time and duration is
divided by it, so every ratio the claims rest on is kept (the shortest sleep, 20 ms in
a burst, becomes 10 ms: far above the queue's per-item cost). The longest scenario (40 s)
takes 20 s. Thresholds sit far from the measured values (see the README's Scenarios), so
a busy machine does not flip a verdict.

The loader's refusals of bad ``expect`` tables and :func:`measure` on a made-up stream
are checked too.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulator.engine.events import Kind
from simulator.scenarios.expect import FIGURES, measure
from simulator.scenarios.scenario import ScenarioError, load, shipped

SPEED = 2.0
SEED = 1  #: reproducible draws; the thresholds were checked with seeds 1-3 too
TIMEOUT_S = 120.0
CHECK = [sys.executable, "-m", "simulator.scenarios.check"]


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[int, str, str]]:
    """(exit code, stdout, stderr) of each shipped scenario's check, run side by side:
    they mostly sleep, so running them together costs the time of the longest."""
    procs = {
        name: subprocess.Popen(
            [*CHECK, name, "--json", f"--speed={SPEED}", f"--seed={SEED}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in shipped()
    }
    out = {}
    try:
        for name, p in procs.items():
            stdout, stderr = p.communicate(timeout=TIMEOUT_S)
            out[name] = (p.returncode, stdout, stderr)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    return out


@pytest.mark.parametrize("name", shipped())
def test_every_claim_of_a_shipped_scenario_holds_in_a_real_run(runs, name):
    code, stdout, stderr = runs[name]
    assert stdout, f"{name}: no report (exit {code}): {stderr[-2000:]}"
    phases = json.loads(stdout)
    failed = [
        f"{ph['phase']} {v['figure']} {v['expected']} (= {v['bound']:.3g}) "
        f"but measured {v['value']:.3g}  [caption: {ph['caption']}]"
        for ph in phases
        for v in ph["verdicts"]
        if not v["ok"]
    ]
    assert not failed, f"{name}: " + "; ".join(failed)
    assert code == 0, stderr[-2000:]


@pytest.mark.parametrize("name", shipped())
def test_every_shipped_caption_carries_a_claim_to_check(name):
    """A caption (or a description) without an expectation would go unchecked."""
    sc = load(name)
    assert sc.expect, f"{name}: the description's claims have no expect"
    for i, step in enumerate(sc.timeline):
        if step.caption:
            assert step.expect, f"{name}: timeline[{i}]'s caption has no expect"


def test_no_shipped_text_calls_a_worker_sleeping():
    """A producer's sleep is its producing time, a consumer's its consuming time."""
    for name in shipped():
        sc = load(name)
        texts = [sc.title, sc.description] + [s.caption or "" for s in sc.timeline]
        assert not any("sleep" in t.lower() for t in texts), name


BAD_EXPECT = [
    ("expect = { speed = '>1' }\n", "expect.speed", "unknown figure; allowed: produced"),
    ("expect = { max_occupancy = 'full' }\n", "expect.max_occupancy", "a comparison like"),
    ("expect = { max_occupancy = '=>3' }\n", "expect.max_occupancy", "'>0.5'"),
    ("expect = { max_occupancy = '==slots' }\n", "expect.max_occupancy", "names: capacity"),
    ("expect = { max_occupancy = 3 }\n", "expect.max_occupancy", "(got 3)"),
    ("expect = 3\n", "expect", "must be a table"),
    (
        "[[timeline]]\nat = 1\nexpect = { waits = '>0' }\n",
        "timeline[0].expect.waits",
        "unknown figure",
    ),
    ("[[timeline]]\nat = 1\nsettle = -1\n", "timeline[0].settle", "0–604800"),
    ("settle = 'soon'\n", "settle", "0–604800"),
]


@pytest.mark.parametrize(("text", "key", "says"), BAD_EXPECT)
def test_bad_expectations_are_refused_naming_the_key(tmp_path, text, key, says):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load(str(f))
    msg = str(info.value)
    assert msg.startswith(f"bad.toml: {key}: ") and says in msg and "\n" not in msg


def test_good_expectations_load_with_their_bounds(tmp_path):
    f = tmp_path / "good.toml"
    f.write_text(
        "expect = { max_occupancy = '==capacity', throughput_per_s = "
        "['>0.5*producer_bound', '<= 12'] }\n"
        "[config]\ncapacity = 8\nproducers = 2\nproducer_sleep = [0.1, 0.3]\n"
    )
    sc = load(str(f))
    assert [(e.figure, e.op, e.bound(sc.config)) for e in sc.expect] == [
        ("max_occupancy", "==", 8.0),
        ("throughput_per_s", ">", 5.0),
        ("throughput_per_s", "<=", 12.0),
    ]


def test_measure_reads_a_window_of_a_made_up_run():
    """P1 waits on a full buffer (capacity 1) from t=2 to t=4, C1 consumes throughout;
    the window 1–5 sees half of P1's time blocked and the buffer full but for the
    instant at 4 when C1 takes item 1 and P1 puts item 2."""
    ev = [
        (0.0, Kind.STARTED, "P1", -1, -1, 0.0),
        (0.0, Kind.STARTED, "C1", -1, -1, 0.0),
        (0.5, Kind.PRODUCED, "P1", 1, -1, 0.0),
        (0.5, Kind.PUT, "P1", 1, 1, 0.0),
        (2.0, Kind.PRODUCED, "P1", 2, -1, 0.0),
        (2.0, Kind.PUT_WAIT, "P1", 2, 1, 0.0),
        (4.0, Kind.GOT, "C1", 1, 0, 0.0),
        (4.0, Kind.PUT, "P1", 2, 1, 0.0),
        (4.5, Kind.CONSUMED, "C1", 1, -1, 0.0),
        (6.0, Kind.GOT, "C1", 2, 0, 0.0),
    ]
    f = measure(ev, 1.0, 5.0, speed=2.0)
    assert set(f) == set(FIGURES)
    assert f["producer_blocked_fraction"] == pytest.approx(0.5)
    assert f["consumer_blocked_fraction"] == 0.0
    assert (f["min_occupancy"], f["max_occupancy"], f["end_occupancy"]) == (0, 1, 1)
    assert f["mean_occupancy"] == pytest.approx(1.0)
    assert (f["produced"], f["consumed"], f["waits_full"]) == (1, 1, 1)
    assert f["throughput_per_s"] == pytest.approx(1 / (4.0 * 2.0))
