"""The prediction in the window (issue 12): computed off the GUI thread, handed to the
graph and the statistics with the frame, for that frame's settings, and read back by
``--dump-view``."""

from __future__ import annotations

import re
import threading
import time

import pytest

from simulator.engine.config import SimulationConfig
from simulator.engine.frame import Frame
from simulator.theory import Prediction, predict
from simulator.ui.predictor import Predictor, key
from simulator.ui.stats import LITTLE, PREDICTING, predicted_texts
from simulator.ui.window import MainWindow
from tests.ui.runs import FAST, running_snapshot

#: the textbook settings: consumers are the bottleneck, the buffer fills
CLASSIC = SimulationConfig(producers=1, consumers=1)
#: two consumers more: producers become the bottleneck
MORE = CLASSIC.replace(consumers=3)
#: sleeps of zero: the machine sets the pace, so no prediction
ZERO = SimulationConfig(producer_sleep=(0.0, 0.0), consumer_sleep=(0.0, 0.0))


@pytest.fixture
def window(qtbot):
    w = MainWindow(CLASSIC, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def show(window: MainWindow, cfg: SimulationConfig, **changes: object):
    """A full frame of a made-up running snapshot of ``cfg``."""
    values: dict[str, object] = {"config": cfg, "capacity": cfg.capacity, "elapsed": 10.0}
    snap = running_snapshot(**(values | changes))
    window._figures_t = -1.0  # the next frame is a full one
    window._on_frame(Frame([], 0, snap))
    return snap


def settled(qtbot, window: MainWindow, cfg: SimulationConfig) -> Prediction:
    """Wait until the window shows a prediction, and check it is ``cfg``'s."""
    qtbot.waitUntil(lambda: window.prediction is not None, timeout=30_000)
    p = window.prediction
    assert p is not None and key(p.config) == key(cfg)
    return p


def same(p: Prediction, cfg: SimulationConfig) -> Prediction:
    """Check ``p`` is ``predict(cfg)``: the same figures when neither model run was cut
    short by its wall budget (a busy machine), within a few % otherwise. Returns the
    fresh prediction."""
    want = predict(cfg)
    assert key(p.config) == key(cfg)
    if p.run is None or want.run is None or (p.run.complete and want.run.complete):
        assert p.as_json() == want.as_json()
    else:
        assert p.run.throughput_per_s == pytest.approx(want.run.throughput_per_s, rel=0.05)
    return want


def test_the_graph_draws_the_predicted_throughput_and_occupancy(window, qtbot):
    show(window, CLASSIC)
    p = settled(qtbot, window, CLASSIC)
    same(p, CLASSIC)
    want = p.run
    assert want is not None
    lines = window.plot.predicted_lines()
    assert lines["throughput"] == pytest.approx(want.throughput_per_s)
    assert lines["occupancy"] == pytest.approx(want.mean_occupancy)
    assert f"predicted {want.throughput_per_s:,.1f}" in window.plot.title_text()
    assert f"predicted mean {want.mean_occupancy:,.1f}" in window.plot.occ_title_text()
    # the rates' axis reaches the dashed line
    assert window.plot.rates.getViewBox().viewRange()[1][1] > want.throughput_per_s


def test_the_stats_column_is_predict_of_the_frames_config(window, qtbot):
    show(window, CLASSIC)
    want = settled(qtbot, window, CLASSIC)
    same(want, CLASSIC)
    dumped = window.dump_view()["predicted"]
    assert want.run is not None
    for row, text in predicted_texts(want).items():
        assert dumped[row] == text
    assert float(dumped["throughput"]) == pytest.approx(want.run.throughput_per_s, abs=0.051)
    blocked = [float(x) for x in re.findall(r"\d+", dumped["blocked"])]
    assert blocked == pytest.approx(
        [100 * want.run.producer_blocked_fraction, 100 * want.run.consumer_blocked_fraction],
        abs=0.51,
    )
    assert dumped["sentence"] == want.sentence()
    assert "Consumers can finish at most" in dumped["sentence"]


def test_a_settings_change_shows_predicting_then_the_new_prediction(window, qtbot):
    show(window, CLASSIC)
    settled(qtbot, window, CLASSIC)
    show(window, MORE)  # the run's live settings changed: the next frame carries them
    # never the old settings' figures beside the new frame: "…" until the model is done
    assert window.prediction is None
    assert window.stats.read_predicted()["throughput"] == PREDICTING
    assert window.plot.predicted_lines()["throughput"] is None
    p = settled(qtbot, window, MORE)
    assert window.stats.read_predicted()["throughput"] == predicted_texts(p)["throughput"]
    assert p.bounds.bottleneck == "producers"
    assert window.stats.read_predicted()["sentence"].startswith("Producers offer at most")
    # back to the first settings: kept, so shown at once
    show(window, CLASSIC)
    assert window.prediction is not None and key(window.prediction.config) == key(CLASSIC)


def test_the_settings_shown_before_a_run_are_predicted(window, qtbot):
    """No run yet: the prediction of the settings the next start will use, and a change
    in the controls updates it."""
    settled(qtbot, window, CLASSIC)
    window._use_config(MORE)
    settled(qtbot, window, MORE)


def test_zero_sleeps_show_a_dash_and_the_reason_once(window, qtbot):
    show(window, ZERO)
    p = settled(qtbot, window, ZERO)
    assert p.run is None and p.reason
    shown = window.stats.read_predicted()
    assert all(shown[row] == "–" for row in ("throughput", "occupancy", "blocked", "latency"))
    assert shown["sentence"].count(p.reason) == 1
    assert window.plot.predicted_lines() == {"throughput": None, "occupancy": None}
    assert "predicted –" in window.plot.title_text()


@pytest.mark.parametrize(
    ("changes", "sign"),
    [
        # a long run: the two sides agree
        (dict(consumed=220, elapsed=100.0, mean_occupancy=9.9, mean_latency_ms=4500.0), "="),
        # early in a run, the buffer filling: waits not yet over count in L only
        (dict(consumed=20, elapsed=10.0, mean_occupancy=6.0, mean_latency_ms=1500.0), "vs"),
    ],
)
def test_littles_line_is_l_lambda_and_w_of_the_snapshot(window, changes, sign):
    snap = show(window, CLASSIC, **changes)
    text = window.dump_view()["predicted"]["littles_law"]
    m = LITTLE.match(text)
    assert m is not None, text
    big_l, got_sign, lam, w, lw = m.groups()
    lam_f, w_f = float(lam.replace(",", "")), float(w)
    assert float(big_l) == pytest.approx(snap.mean_occupancy, abs=0.051)
    assert lam_f == pytest.approx(snap.consumed / snap.elapsed, abs=0.051)
    assert w_f == pytest.approx(snap.mean_latency_ms / 1000, rel=0.005)
    assert float(lw) == pytest.approx(snap.consumed / snap.elapsed * w_f, abs=0.051)
    assert got_sign == sign
    assert ("still in the buffer" in text) == (sign == "vs")


def test_a_real_run_shows_its_own_prediction_and_littles_sides(qtbot):
    w = MainWindow(FAST, restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    try:
        w.bridge.start()
        qtbot.waitUntil(
            lambda: w.bridge.last_snapshot is not None and w.bridge.last_snapshot.consumed > 50,
            timeout=15_000,
        )
        qtbot.waitUntil(lambda: w.prediction is not None, timeout=30_000)
        dump = w.dump_view()
        snap = w.shown
        assert snap is not None and snap.mean_latency_ms > 0
        want = w.prediction
        same(want, snap.config)
        assert dump["prediction"] == want.as_json()
        assert {k: dump["predicted"][k] for k in predicted_texts(want)} == predicted_texts(want)
        m = LITTLE.match(str(dump["predicted"]["littles_law"]))
        assert m is not None and float(m.group(1)) == pytest.approx(snap.mean_occupancy, abs=0.051)
    finally:
        w.close()


def test_the_predictor_keeps_the_latest_and_leaves_no_thread(qtbot):
    """Latest wins: while one prediction runs, requests pile up and only the last is
    computed; closing joins the worker."""
    started, release, computed = threading.Event(), threading.Event(), []

    def slow(cfg: SimulationConfig) -> Prediction:
        computed.append(cfg.consumers)
        started.set()
        release.wait(5)
        return predict(cfg)

    pred = Predictor(debounce_ms=10, compute=slow)
    got: list[Prediction] = []
    pred.predicted.connect(got.append)
    try:
        assert pred.get(CLASSIC) is None
        qtbot.waitUntil(started.is_set, timeout=30_000)
        for n in (2, 3, 4):  # asked while the first runs
            pred.request(CLASSIC.replace(consumers=n))
        time.sleep(0.05)
        release.set()
        qtbot.waitUntil(lambda: len(got) == 2, timeout=30_000)
        assert computed == [1, 4]  # 2 and 3 were never computed
        assert pred.get(CLASSIC) is got[0] and pred.get(CLASSIC.replace(consumers=4)) is got[1]
        assert not pred.is_pending()
    finally:
        release.set()
        pred.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("pcsim-predictor")]


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_a_null_predictions_reason_is_in_view_without_scrolling(qtbot, size):
    """At 1280x720 the rows' sentence sat below the fold of the side panel, so the
    predicted column looked merely blank: its reason now heads the column, in view
    with the side panel scrolled to the top; the rate's name (with its unit, which the
    figures no longer carry) takes two lines at most."""
    from PySide6.QtCore import QPoint, QRect

    w = MainWindow(FAST.replace(full_policy="drop-oldest"), restore_geometry=False)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    try:
        stats = w.stats
        qtbot.waitUntil(lambda: stats.reason.isVisible(), timeout=30_000)
        assert "drop-oldest" in stats.reason.text()
        w._side.verticalScrollBar().setValue(0)
        qtbot.wait(50)
        view = w._side.viewport()
        top_left = stats.reason.mapTo(view, QPoint(0, 0))
        box = QRect(top_left, stats.reason.size())
        assert view.rect().contains(box), (box, view.rect())
        name = stats.names["throughput"]  # "Rate now / avg" over "(items/s):" at most
        assert name.height() < 3 * name.fontMetrics().lineSpacing()
    finally:
        w.close()
