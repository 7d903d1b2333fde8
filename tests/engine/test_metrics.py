"""Metrics from hand-made raw event streams: the ring of rate bins, the latency ring,
occupancy's time-weighted mean and the blocked shares.

Times are chosen in the middle of 0.1 s bins so float rounding never moves an event
across a bin edge; nothing here sleeps or reads the clock.
"""

import pytest

from simulator.engine.events import Event, Kind
from simulator.engine.metrics import BIN_S, LATENCY_SAMPLES, N_BINS, RATE_WINDOW_S, Metrics

T0 = 50.0  # any origin: the engine uses time.monotonic()


def ev(t, kind, worker, item=-1, size=-1):
    return Event(t, kind, worker, item, size, 0.0)


def at(b: int) -> float:
    """The middle of the ``b``-th bin after ``T0``."""
    return T0 + (b + 0.5) * BIN_S


def feed_bins(m: Metrics, bins, produced: int, consumed: int = 0) -> None:
    """``produced`` and ``consumed`` raw events in each of ``bins``, in time order."""
    for b in bins:
        t = at(b)
        batch = [(t, Kind.PRODUCED, "P1", i, -1, 0.0) for i in range(produced)]
        batch += [(t, Kind.CONSUMED, "C1", i, -1, 0.0) for i in range(consumed)]
        m.feed(batch, [])


def test_rates_are_the_counts_of_the_last_complete_bins_over_the_window():
    m = Metrics(capacity=4, t0=T0)
    feed_bins(m, range(30), produced=10, consumed=5)  # 3 s at 100/s and 50/s
    assert m.rates(at(30)) == pytest.approx((100.0, 50.0))


def test_rates_forget_what_is_older_than_the_window_and_skip_the_current_bin():
    window_bins = round(RATE_WINDOW_S / BIN_S)
    m = Metrics(capacity=4, t0=T0)
    feed_bins(m, range(10), produced=50)  # a burst, long gone by the time we ask
    feed_bins(m, range(10, 10 + window_bins), produced=1)
    now_bin = 10 + window_bins
    feed_bins(m, [now_bin], produced=100)  # the bin still filling is not counted
    assert m.rates(at(now_bin)) == pytest.approx((1 / BIN_S, 0.0))


def test_rates_early_in_a_run_divide_by_the_time_elapsed_not_the_window():
    m = Metrics(capacity=4, t0=T0)
    feed_bins(m, range(5), produced=10)
    # 0.54 s in: five complete bins, 50 items -> 100/s (not 50 / 2 s = 25/s)
    assert m.rates(T0 + 0.54) == pytest.approx((100.0, 0.0))


def test_rates_stay_right_after_the_ring_wraps_around():
    m = Metrics(capacity=4, t0=T0)
    total = 2 * N_BINS + 50  # the ring of N_BINS is reused more than twice
    feed_bins(m, range(total), produced=3)
    assert m.rates(at(total)) == pytest.approx((30.0, 0.0))
    # the rate changes: the new value fills the window once the old one has left it
    feed_bins(m, range(total, total + 30), produced=7)
    assert m.rates(at(total + 30)) == pytest.approx((70.0, 0.0))


def test_rates_after_a_gap_count_no_stale_bins():
    m = Metrics(capacity=4, t0=T0)
    feed_bins(m, range(N_BINS), produced=10, consumed=10)  # the whole ring is full
    assert m.rates(at(N_BINS + 5)) == pytest.approx((75.0, 75.0))  # 15 of 20 bins
    assert m.rates(at(N_BINS + 30)) == (0.0, 0.0)  # silence for longer than the window
    # a gap longer than the ring, then a little traffic: only that is counted
    later = 10 * N_BINS + 37
    feed_bins(m, [later], produced=4, consumed=2)
    assert m.rates(at(later + 1)) == pytest.approx((4 / RATE_WINDOW_S, 2 / RATE_WINDOW_S))
    # a gap shorter than the ring, with no rates() call in between to advance it
    feed_bins(m, [later + 40], produced=6)
    assert m.rates(at(later + 41)) == pytest.approx((6 / RATE_WINDOW_S, 0.0))


def test_latency_percentiles_of_known_latencies():
    m = Metrics(capacity=4, t0=T0)
    assert m.latency_ms() == (0.0, 0.0, 0.0)
    m.feed([], [i / 1000 for i in range(1, 101)])  # 1 ms .. 100 ms
    assert m.latency_ms() == pytest.approx((50.5, 95.05, 99.01))  # linear interpolation
    m.feed([], [1.0] * 100)  # new samples count (the cache is keyed on the count):
    # 200 sorted samples, the median halfway between 100 ms and 1000 ms
    p50, p95, p99 = m.latency_ms()
    assert p50 == pytest.approx(550.0) and p95 == p99 == pytest.approx(1000.0)


def test_mean_latency_covers_every_item_not_only_the_ring():
    """Little's law's W: the mean over the whole run, though the percentiles' ring
    forgets the oldest."""
    m = Metrics(capacity=4, t0=T0)
    assert m.mean_latency_ms() == 0.0
    m.feed([], [0.5] * LATENCY_SAMPLES)
    m.feed([], [0.1] * LATENCY_SAMPLES)  # the ring now holds only these
    assert m.latency_ms()[0] == pytest.approx(100.0)
    assert m.mean_latency_ms() == pytest.approx(300.0)
    m.restart(T0 + 1)  # a count, like the samples: kept by the clock's start
    assert m.mean_latency_ms() == pytest.approx(300.0)


def test_latency_keeps_only_the_most_recent_samples():
    m = Metrics(capacity=4, t0=T0)
    m.feed([], [0.5] * (LATENCY_SAMPLES - 7))  # old and slow
    for _ in range(LATENCY_SAMPLES // 100 + 1):  # in small batches, wrapping the ring
        m.feed([], [0.002] * 100)
    assert m.latency_ms() == pytest.approx((2.0, 2.0, 2.0))
    m.feed([], [0.003] * (2 * LATENCY_SAMPLES))  # one batch larger than the ring
    assert m.latency_ms() == pytest.approx((3.0, 3.0, 3.0))


def test_metrics_occupancy_mean_is_time_weighted_and_shares_add_up():
    m = Metrics(capacity=4, t0=0.0)
    m.feed([ev(0.0, Kind.STARTED, "P1"), ev(1.0, Kind.PUT, "P1", 1, 4)], [])
    assert m.max_occupancy == 4
    assert abs(m.mean_occupancy(2.0) - 2.0) < 1e-9  # 0 for 1 s, then 4 for 1 s
    m.feed([ev(2.0, Kind.PUT_WAIT, "P1", 2, 4)], [])
    # starting (0-1 s) counts in neither share: working 1-2 s, blocked 2-4 s
    assert abs(m.blocked_fraction("producer", 4.0) - 2 / 3) < 1e-9
    (p1,) = m.worker_views(4.0)
    assert p1.shares == pytest.approx((1 / 3, 2 / 3))


def test_worker_states_follow_the_code_they_describe():
    """A producer's sleep is "producing", then "putting" until the put completes (or
    "waiting: buffer full"); a consumer holds its item while "consuming" and none after
    CONSUMED."""
    m = Metrics(capacity=1, t0=0.0)

    def state(name):
        (w,) = [w for w in m.worker_views(9.0) if w.name == name]
        return w.state, w.item

    steps = [
        (ev(0.0, Kind.STARTED, "P1"), "P1", ("starting", -1)),
        (Event(0.1, Kind.SLEEP, "P1", -1, -1, 0.3), "P1", ("producing", -1)),
        (ev(0.4, Kind.PRODUCED, "P1", 7), "P1", ("putting", 7)),
        (ev(0.4, Kind.PUT, "P1", 7, 1), "P1", ("producing", -1)),
        (ev(0.5, Kind.PRODUCED, "P1", 8), "P1", ("putting", 8)),
        (ev(0.5, Kind.PUT_WAIT, "P1", 8, 1), "P1", ("waiting: buffer full", 8)),
        (ev(0.6, Kind.STARTED, "C1"), "C1", ("starting", -1)),
        (ev(0.6, Kind.GOT, "C1", 7, 0), "C1", ("consuming", 7)),
        (Event(0.6, Kind.SLEEP, "C1", 7, -1, 0.2), "C1", ("consuming", 7)),
        (ev(0.8, Kind.CONSUMED, "C1", 7), "C1", ("consuming", -1)),
        (ev(0.8, Kind.GET_WAIT, "C1"), "C1", ("waiting: buffer empty", -1)),
    ]
    for event, who, shown in steps:
        m.feed([event], [])
        assert state(who) == shown, event
