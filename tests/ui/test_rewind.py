"""Rewind (issue 14): the bounded history of what the window painted, and REPLAY.

A real 20 s run is rewound to t = 5 s: what the window shows (``dump_view``, read back from
the widgets) is the frame recorded at 5 s, not the live one, while the run goes on; after
a stop, replaying the newest frame shows exactly what the live window showed. The
history's bound is checked on ten minutes of 64 / 64 frames at 60 Hz built from a real
snapshot, on run time only (never the machine's speed).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
import time

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.events import item_label
from simulator.engine.metrics import rate_text
from simulator.engine.simulation import RUNNING, STOPPED, Simulation, Snapshot
from simulator.ui import history as hist
from simulator.ui import plots, theme
from simulator.ui.history import FrameState, History
from simulator.ui.plots import run_average
from simulator.ui.window import FIGURES_S, MainWindow
from tests.ui.runs import FAST

# ---- the history's bound -------------------------------------------------------------


def _real_64x64() -> Snapshot:
    """A snapshot of a real 64 / 64 run with the inside events on (the largest frame)."""
    cfg = SimulationConfig(
        producers=64,
        consumers=64,
        capacity=1000,
        producer_sleep=(0.0, 0.002),
        consumer_sleep=(0.002, 0.01),
    )
    sim = Simulation(cfg, inside=True)
    sim.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            snap = sim.snapshot()
            if snap.in_buffer > 100 and snap.consumed > 100:
                break
            time.sleep(0.05)
    finally:
        sim.stop()
    assert snap.state == RUNNING and snap.inside is not None and len(snap.workers) == 128
    return snap


@pytest.fixture(scope="module")
def real_snapshot() -> Snapshot:
    return _real_64x64()


def _varied(base: Snapshot, k: int, t: float) -> Snapshot:
    """``base`` at run time ``t``, varied as a run varies: the counts grow, the buffer
    moves on by ``k`` items, the workers change state and hold other items."""
    states = ("producing", "putting", "waiting: buffer full", "consuming", "getting")
    workers = tuple(
        dataclasses.replace(
            w,
            state=states[(i + k) % len(states)],
            item=(w.item + k) if w.item >= 0 else -1,
            done=w.done + k,
        )
        for i, w in enumerate(base.workers)
    )
    return dataclasses.replace(
        base,
        state=RUNNING,
        elapsed=t,
        produced=base.produced + 40 * k,
        consumed=base.consumed + 39 * k,
        buffer=tuple(i + 40 * k for i in base.buffer),
        workers=workers,
        produced_rate=100.0 + k % 17,
        consumed_rate=99.0 + k % 13,
    )


def _markers(snap: Snapshot, k: int) -> dict[str, hist.Marker]:
    return {w.name: ((i + k) % 40, f"line {(i + k) % 40}", 2) for i, w in enumerate(snap.workers)}


def test_ten_minutes_of_64x64_frames_at_60_hz_stay_under_the_bound(real_snapshot):
    """60 frames a second for 10 minutes of run time, a new snapshot on every 6th (the
    window's full frames are 0.1 s apart): the history holds the
    last 5 minutes at >= 10 frames a second, in at most 50 MB."""
    h = History()
    assert (h.seconds, h.max_bytes) == (300.0, 50_000_000)
    snap, markers, peak = real_snapshot, _markers(real_snapshot, 0), 0
    frames = 600 * 60
    for n in range(frames):
        t = n / 60
        if n % 6 == 0:
            snap = _varied(real_snapshot, n // 6, t)
            markers = _markers(real_snapshot, n // 30)  # markers move less often
        h.append(FrameState(t, snap, markers, False, "caption"))
        h.add_sample(snap.elapsed, 1.0, 1.0, 1.0, RUNNING)
        peak = max(peak, h.nbytes)
    t0, t1 = h.span()
    assert t1 == pytest.approx((frames - 1) / 60)
    assert t1 - t0 >= 300.0 - 0.1  # the last 5 minutes
    assert len(h) >= 10 * 300  # at >= 10 frames a second
    assert peak <= 50_000_000
    assert h.dropped > 0  # the oldest went
    # the replayed state is the one recorded (a frame at 7 min 30 s)
    st = h.at(450.0)
    assert st.t <= 450.0 < st.t + 2 * hist.INTERVAL
    assert (
        st.snapshot.workers
        == _varied(
            real_snapshot, int(st.snapshot.elapsed * 10 + 1e-6), st.snapshot.elapsed
        ).workers
    )
    print(f"64/64 inside on: {h.nbytes / len(h):,.0f} bytes per frame, peak {peak:,} bytes")


def test_every_frame_a_new_64x64_snapshot_is_cut_by_bytes(real_snapshot):
    """The worst case (a new snapshot every frame) is bounded by bytes too: the oldest
    frames go, the count of bytes is the count of what is kept."""
    h = History(max_bytes=2_000_000)
    for n in range(1500):
        t = n / 20
        h.append(FrameState(t, _varied(real_snapshot, n, t), _markers(real_snapshot, n)))
        assert h.nbytes <= 2_000_000
    assert h.dropped > 0 and len(h) < 1500
    # the running count equals a recount of the distinct parts kept
    entries = list(h._entries)
    recount = 0
    for i, e in enumerate(entries):
        recount += hist._ENTRY_BYTES
        for k, part in enumerate(e.parts):
            if i == 0 or entries[i - 1].parts[k] is not part:
                recount += sys.getsizeof(part)
    recount += hist._SAMPLE_BYTES * len(h._samples)
    assert h.nbytes == recount


def test_the_newest_is_always_the_latest_frame_and_kept_frames_are_spaced():
    h = History(interval=0.05)
    snap = dataclasses.replace(Simulation().snapshot(), state=RUNNING)
    for n in range(100):
        h.append(FrameState(n / 60, snap, {"P1": (n, "x", 1)}))
        assert h.newest().markers == {"P1": (n, "x", 1)}
    times = list(h._times)
    assert all(b - a >= 0.05 - 1e-9 for a, b in itertools.pairwise(times[:-1]))
    assert h.at(-1.0).t == 0.0 and h.at(0.5).t <= 0.5
    h.clear()
    assert len(h) == 0 and h.nbytes == 0 and h.span() is None


def test_the_graph_sample_rule_is_the_graphs():
    """The history keeps the graph's samples by LivePlot.on_snapshot's own rule."""
    assert hist.SAMPLE_S == plots.SAMPLE_S
    h = History()
    kept = [h.add_sample(t, 1, 1, 1, RUNNING) for t in (0.0, 0.05, 0.1, 0.15, 0.21)]
    assert kept == [True, False, True, False, True]
    assert not h.add_sample(5.0, 1, 1, 1, "paused")  # a paused run's picture stays
    assert [s[0] for s in h.samples(0.1)] == [0.0, 0.1]


def test_replay_s_graph_ends_where_live_s_did_after_a_stop(qtbot):
    """Samples every 0.1 s of a full buffer of 8, then a terminate at 3.95 s: the stopped
    run's frame (still 8), then its books (0) at the same moment. Live added the stopped
    sample 0.05 s after the last and overwrote its count; the history dropped both, and
    REPLAY's line ended at (3.9, 8). Both now end at (3.95, 0)."""
    from simulator.ui.replay_bar import load_plot
    from tests.ui.runs import running_snapshot

    snaps = [running_snapshot(elapsed=k * 0.1, occupancy=8, capacity=8) for k in range(1, 40)]
    snaps += [
        running_snapshot(state=STOPPED, elapsed=3.95, occupancy=8, capacity=8),
        running_snapshot(state=STOPPED, elapsed=3.95, occupancy=0, capacity=8),
    ]
    live = plots.LivePlot()
    qtbot.addWidget(live)
    h = History()
    for snap in snaps:
        live.on_snapshot(snap)
        h.add_sample(
            snap.elapsed,
            snap.produced_rate,
            snap.consumed_rate,
            snap.occupancy,
            snap.state,
            snap.dropped_rate,
        )
    replayed = plots.LivePlot()
    qtbot.addWidget(replayed)
    load_plot(replayed, h.samples(math.inf), snaps[-1])
    for plot in (live, replayed):
        xs, ys = plot.occupancy_curve.getData()
        assert (round(float(xs[-1]), 6), float(ys[-1])) == (3.95, 0.0)
    assert list(live.occupancy_curve.getData()[0]) == list(replayed.occupancy_curve.getData()[0])


# ---- REPLAY in the window ----------------------------------------------------------


def _wait_elapsed(window: MainWindow, qtbot, t: float) -> None:
    qtbot.waitUntil(
        lambda: (
            window.bridge.last_snapshot is not None and window.bridge.last_snapshot.elapsed >= t
        ),
        timeout=int((t + 60) * 1000),
    )


def _assert_shows(dump: dict, st: FrameState) -> None:
    """``dump`` (read back from the widgets) shows the recorded state ``st``."""
    snap = st.snapshot
    assert dump["snapshot"]["elapsed"] == snap.elapsed
    assert dump["header"]["count"] == snap.in_buffer
    for key in ("produced", "consumed", "in_buffer", "in_hand"):
        assert dump["stats"][key] == dump["books"][key] == getattr(snap, key), key
    if dump["buffer"]["mode"] != "bar":
        assert dump["buffer"]["items"] == [item_label(i) for i in snap.buffer]
    cards = {c["name"]: c for c in dump["cards"]}
    assert set(cards) == {w.name for w in snap.workers}
    # a recorded moment draws no token mid-flight: every item in a hand is in the hand
    assert dump["tokens"] == []
    for w in snap.workers:
        assert cards[w.name]["state"] == theme.display_state(snap.state, w.state), w.name
        held = w.item if w.item >= 0 else None
        assert cards[w.name]["item"] == (None if held is None else item_label(held)), w.name
    assert dump["inside"]["markers"] == {w: m[1] for w, m in st.markers.items()}
    avg = run_average(snap.consumed, snap.elapsed)
    assert f"run avg {rate_text(avg)}" in dump["graph_title"]
    assert f"{snap.elapsed:.1f} s" in dump["status"] and dump["status"].startswith("REPLAY")


def test_a_20_s_run_rewound_to_5_s_shows_the_frame_recorded_at_5_s(qtbot):
    window = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.set_inside_view(True)  # the code panel's markers are replayed too
        window.bridge.start()
        _wait_elapsed(window, qtbot, 20.0)
        history = window.replay.history
        # from (near) the start to the snapshot on show (up to FIGURES_S behind the run)
        assert history.span()[0] < 1.0 and history.span()[1] >= 20.0 - 10 * FIGURES_S

        # drag the slider to 5.0 s (its steps are tenths of a second)
        window.replay_bar.slider.setValue(50)
        assert window.replay.active
        recorded = history.at(5.0)
        # one entry per snapshot on show: they change FIGURES_S apart (a busy machine's
        # frames may come later)
        assert 5.0 - 10 * FIGURES_S < recorded.t <= 5.0
        # a frame is recorded at the time of the snapshot it painted
        assert recorded.t == recorded.snapshot.elapsed
        dump = window.dump_view()
        assert dump["replay"]["t"] == recorded.t
        # the words on the canvas name the recorded moment, as the status bar and the
        # slider's label do: one time
        clock = f"t = {recorded.snapshot.elapsed:.1f} s of "
        assert dump["replay"]["mark"].startswith(f"REPLAY  {clock}")
        assert dump["replay"]["label"].startswith(clock)
        assert f"· {recorded.snapshot.elapsed:.1f} s" in dump["status"]
        assert window.replay.mark.isVisible()
        # the event log stays live, and says so
        assert window.log.title.isVisibleTo(window.log) and "live" in window.log.title.text()
        _assert_shows(dump, recorded)
        live = window.bridge.last_snapshot
        assert live.elapsed > 15 and live.produced > recorded.snapshot.produced
        assert dump["stats"]["produced"] != live.produced

        # the run goes on underneath and is recorded; what is shown stays the 5 s frame
        end = history.span()[1]
        _wait_elapsed(window, qtbot, end + 1.0)
        assert history.span()[1] > end
        again = window.dump_view()
        _assert_shows(again, recorded)
        assert again["cards"] == dump["cards"] and again["stats"] == dump["stats"]

        # Ctrl+Left: one second earlier
        window.actions_by_name["rewind_back"].trigger()
        assert window.replay.state.t == history.at(recorded.t - 1.0).t
        # Live: the run as it is now
        window.replay_bar.live_button.click()
        assert not window.replay.active and not window.replay.mark.isVisible()
        assert not window.log.title.isVisibleTo(window.log)
        # a live frame newer than the replayed span arrives (however late)
        qtbot.waitUntil(lambda: window.dump_view()["snapshot"]["elapsed"] > end, timeout=30_000)
        now = window.dump_view()
        assert now["replay"] is None and now["snapshot"]["elapsed"] > end
        assert not now["status"].startswith("REPLAY")
        # the graph got the samples recorded meanwhile, and takes them as it did before
        samples = history.samples(math.inf)
        assert window.plot.n == min(plots.N, len(samples)) > 100
        assert window.plot.t[-1] == samples[-1][0]
    finally:
        window.close()


def test_after_a_stop_replaying_the_newest_frame_shows_what_live_showed(window, qtbot):
    window.set_inside_view(True)
    window.bridge.start()
    _wait_elapsed(window, qtbot, 3.0)
    window.bridge.stop()
    qtbot.waitUntil(lambda: window.bridge.last_snapshot.state == STOPPED, timeout=30_000)
    qtbot.wait(300)
    window.dump_view()  # the canvas drops the tokens that landed since the last frame
    live = window.dump_view()
    newest = window.replay.history.newest()
    assert newest.snapshot.state == STOPPED
    window.actions_by_name["rewind_back"].trigger()  # Ctrl+Left works after a stop
    assert window.replay.active
    window.replay.show(newest.t)
    shown = window.dump_view()
    ignore = {"status", "replay"}
    assert {k: v for k, v in shown.items() if k not in ignore} == {
        k: v for k, v in live.items() if k not in ignore
    }
    window.actions_by_name["live"].trigger()
    assert window.dump_view()["replay"] is None


def test_a_new_run_forgets_the_history_and_leaves_replay(window, qtbot):
    window.bridge.start()
    _wait_elapsed(window, qtbot, 1.5)
    assert window.replay.show(0.5)
    window.bridge.stop()
    window.bridge.start()
    history = window.replay.history
    # the new run's frames only (a frame of the old run that arrives late is replaced:
    # it is not before the new run's first)
    qtbot.waitUntil(
        lambda: (history.span() or (9, 0))[0] < 0.5 <= history.span()[1], timeout=30_000
    )
    assert not window.replay.active


def test_replay_redraws_the_dropped_line_of_a_dropping_run(qtbot):
    """A drop-newest run's dropped/s line is in the graph's replay too (the samples keep
    the dropped rate), and a block run's replay has no such line."""
    from simulator.ui.replay_bar import load_plot

    sim = Simulation(
        SimulationConfig(
            full_policy="drop-newest",
            producer_sleep=(0.0, 0.002),
            consumer_sleep=(0.01, 0.02),
            capacity=2,
        )
    )
    sim.start()
    try:
        assert sim.ready.wait(30)
        deadline = time.monotonic() + 30
        while sim.snapshot().rejected == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        snap = sim.snapshot()
    finally:
        sim.stop()
    assert snap.rejected > 0
    plot = plots.LivePlot()
    qtbot.addWidget(plot)
    samples = [(0.1 * k, 5.0, 4.0, 2.0, 7.0 + k) for k in range(1, 11)]
    load_plot(plot, samples, snap)
    _xs, ys = plot.dropped_curve.getData()
    assert list(ys) == [7.0 + k for k in range(1, 11)]
    assert "dropped" in plot.title_text() or plot.drops
    blocked = dataclasses.replace(
        snap, config=snap.config.replace(full_policy="block"), rejected=0, overwritten=0
    )
    load_plot(plot, samples, blocked)
    assert plot.drops is False


def test_presentation_mode_s_line_says_the_replayed_moment(window, qtbot):
    """The line under the picture in presentation mode reads the statistics on show: in
    REPLAY, those of the moment replayed (it stayed at the live ones), and so when
    presentation mode is turned on during REPLAY (it was blank)."""
    window.bridge.start()
    _wait_elapsed(window, qtbot, 2.5)
    assert window.replay.show(0.8)
    window.toggle_presentation()  # on, in REPLAY
    try:
        books = window.stats.values["invariant"].text()
        assert books and books in window.strip.text()
        qtbot.wait(600)  # the run goes on underneath: live frames do not change the line
        assert books in window.strip.text()
        window.replay.show(1.6)
        later = window.stats.values["invariant"].text()
        assert later != books and later in window.strip.text()
    finally:
        window.toggle_presentation()
        window.bridge.stop()


def test_replay_draws_the_rate_axis_it_had_live(window, qtbot):
    """REPLAY at 64/64 jumped from 0-200 to 0-500 items/s: the recorded top went through
    the headroom a second time. The axis is a function of the samples on show, so the
    newest moment replayed has the axis the live graph had."""
    window.bridge.start()
    _wait_elapsed(window, qtbot, 2.0)
    window.bridge.pause()  # nothing moves while the two are compared
    qtbot.wait(300)
    window.show_figures_now()
    live = window.plot.rates.getViewBox().viewRange()[1][1]
    assert window.replay.show(window.shown.elapsed)
    try:
        assert window.plot.rates.getViewBox().viewRange()[1][1] == live
    finally:
        window.replay.live()


def test_a_recorded_moment_keeps_no_tokens_and_its_model_has_none():
    """REPLAY draws no token mid-flight, so the history records none (it pickled a tuple
    of them every live frame) and the frozen model hands the canvas none."""
    from simulator.ui.replay_bar import FrozenModel
    from tests.ui.runs import running_snapshot

    fields = {f.name for f in dataclasses.fields(FrameState)}
    assert fields == {"t", "snapshot", "markers", "fast", "caption"}
    h = History()
    h.append(FrameState(1.0, running_snapshot(elapsed=1.0), {}, True, "caption"))
    st = h.at(1.0)
    assert (st.fast, st.caption) == (True, "caption")
    assert FrozenModel(st).live_tokens(time.monotonic()) == []
