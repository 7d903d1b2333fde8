"""The rate graph's axis: it steps through 1, 2, 5 x 10^k so it does not jitter."""

from __future__ import annotations

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
