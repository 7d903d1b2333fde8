"""The rate graph's axis: it steps through 1, 2, 5 x 10^k so it does not jitter."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.ui.plots import _nice_ceiling


@pytest.mark.parametrize(
    ("x", "nice"),
    [
        (1, 1),
        (1.1, 2),
        (2, 2),
        (2.01, 5),
        (5, 5),
        (5.5, 10),
        (10, 10),
        (11, 20),
        (0.3, 0.5),
        (0.07, 0.1),
        (999, 1000),
        (1234, 2000),
        (45_000, 50_000),
    ],
)
def test_nice_ceiling_of_known_values(x, nice):
    assert _nice_ceiling(x) == pytest.approx(nice)


@given(st.floats(min_value=1e-3, max_value=1e9))
def test_nice_ceiling_is_the_smallest_1_2_5_step_at_or_above(x):
    top = _nice_ceiling(x)
    assert top >= x
    k = 10 ** math.floor(math.log10(top) + 1e-9)
    mantissa = top / k
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9
    below = {1: 0.5, 2: 1, 5: 2}[round(mantissa)] * k  # the step before it
    assert below < x * (1 + 1e-12)


def _plot(qtbot):
    from simulator.ui import plots

    plot = plots.LivePlot()
    qtbot.addWidget(plot)
    return plot


def _top(plot) -> float:
    return plot.rates.getViewBox().viewRange()[1][1]


def test_a_start_up_burst_does_not_flatten_a_slow_run(qtbot):
    """A slow consumer's run: 40 items/s for a second, then 1 item/s. Once the burst is
    older than SCALE_S the axis follows the run (it stayed at 0-50 and the 1 item/s lines
    lay on the baseline); the lines always fit below the top, with headroom."""
    from simulator.ui.plots import SCALE_S

    plot = _plot(qtbot)
    for i in range(1, 201):  # 20 s
        t = i * 0.1
        rate = 40.0 if t <= 1.0 else 1.0
        plot.add_sample(t, rate, rate / 2, 3.0)
        if t < SCALE_S:
            assert _top(plot) >= 40.0
    assert 1.0 * 1.1 <= _top(plot) <= 5.0


def test_replay_draws_a_moment_with_the_axis_it_had_live(qtbot):
    """REPLAY at 64/64 jumped from 0-200 to 0-500: the recorded top went through the
    headroom a second time. The axis is a function of the samples, live and replayed."""
    from simulator.ui.replay_bar import load_plot
    from tests.ui.runs import running_snapshot

    live = _plot(qtbot)
    samples = [(0.1 * k, 150.0 + (k % 7), 140.0, 10.0, 0.0) for k in range(1, 86)]
    for s in samples:
        live.add_sample(*s)
    replayed = _plot(qtbot)
    load_plot(replayed, samples, running_snapshot(elapsed=8.5, consumed=1125))
    live.average = replayed.average
    live._set_rate_range()
    assert _top(replayed) == _top(live) == 200.0


def test_a_steady_noisy_run_does_not_flip_the_axis(qtbot):
    """17 ± 1.5 items/s for 60 s: the top went 20 -> 50 -> 20 every few seconds (the last
    SCALE_S's peak crossed 20 / HEADROOM with the noise). With hysteresis it changes at
    most once after the start-up, and REPLAY at the end draws the same top."""
    import random

    from simulator.ui.replay_bar import load_plot
    from tests.ui.runs import running_snapshot

    rng = random.Random(7)
    live = _plot(qtbot)
    samples = []
    tops = []
    for k in range(1, 601):
        s = (0.1 * k, 17.0 + rng.uniform(-1.5, 1.5), 17.0 + rng.uniform(-1.5, 1.5), 4.0, 0.0)
        samples.append(s)
        live.add_sample(*s)
        if s[0] > 2.0:  # after the start-up
            tops.append(_top(live))
    changes = sum(a != b for a, b in itertools.pairwise(tops))
    assert changes <= 1, tops
    replayed = _plot(qtbot)
    load_plot(replayed, samples, running_snapshot(elapsed=60.0, consumed=0))
    live.average = replayed.average
    live._set_rate_range()
    assert _top(replayed) == _top(live)


def test_a_full_buffer_s_line_is_drawn_above_the_capacity_line(qtbot):
    plot = _plot(qtbot)
    assert plot.occupancy_curve.zValue() > plot.capacity_line.zValue()


def test_the_graph_ends_where_the_run_stopped_with_its_final_occupancy(qtbot):
    """After a terminate the buffer is empty (the books discarded it) and the frames may
    stop seconds before the run does (a second Stop): the last sample is the stopped
    run's, at its time, with what the buffer holds then."""
    from tests.ui.runs import running_snapshot

    plot = _plot(qtbot)
    for i in range(1, 128):  # frames until 12.7 s, buffer full
        plot.on_snapshot(running_snapshot(elapsed=i * 0.1, occupancy=8, capacity=8))
    plot.on_snapshot(running_snapshot(state="stopped", elapsed=16.5, occupancy=0))
    xs, ys = plot.occupancy_curve.getData()
    assert xs[-1] == pytest.approx(16.5) and ys[-1] == 0
    # the same stopped moment again, with its final count: no second sample, the count
    plot.on_snapshot(running_snapshot(state="stopped", elapsed=16.5, occupancy=2))
    xs2, ys2 = plot.occupancy_curve.getData()
    assert len(xs2) == len(xs) and ys2[-1] == 2
