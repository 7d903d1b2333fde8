"""Simulation ▸ Sweep…: the dialog runs a sweep in a child process, grows its chart point
by point, saves it, and leaves no child behind (closing the dialog stops the sweep)."""

from __future__ import annotations

import psutil
from PySide6.QtCore import QProcess
from PySide6.QtGui import QImage

from simulator.engine.config import SimulationConfig
from simulator.ui.sweep_dialog import SweepDialog

TINY = SimulationConfig(
    producers=2, consumers=1, producer_sleep=(0.01, 0.03), consumer_sleep=(0.01, 0.03)
)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_dialog_runs_a_tiny_sweep_and_shows_its_chart(qtbot, tmp_path):
    stopped = []
    dialog = SweepDialog(TINY, stop_run=lambda: stopped.append(True))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.values.text() == "1 2 4 8"  # prefilled around the current settings
    dialog.values.setText("1 2")
    dialog.seconds.setValue(0.5)
    assert dialog.start()
    assert stopped == [True]  # the window's run stops so they do not compete
    assert dialog.running and not dialog.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.exit_code == 0, dialog.status.text()
    points = dialog.chart.data["points"]
    assert [p["value"] for p in points] == [1, 2]
    for p in points:
        assert p["measured"]["throughput_per_s"] > 0
        assert p["predicted"]["throughput_per_s"] > 0
        assert p["ok"] is True
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.save_button.isEnabled()
    shown = dialog.chart.grab().toImage()
    assert len({shown.pixel(x, y) for x in range(0, shown.width(), 7) for y in (100, 300)}) > 2
    out = dialog.save_chart_to(str(tmp_path / "c.png"))
    img = QImage(str(out))
    assert not img.isNull() and img.width() > 500


def test_a_bad_value_is_refused_in_the_dialog_without_starting(qtbot):
    dialog = SweepDialog(TINY)
    qtbot.addWidget(dialog)
    dialog.values.setText("1 0")
    assert not dialog.start()
    assert dialog.proc is None
    assert "--vary consumers" in dialog.status.text() and "1–64" in dialog.status.text()


def test_closing_the_dialog_stops_its_sweep(qtbot):
    dialog = SweepDialog(TINY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.values.setText("1 2 4")
    dialog.seconds.setValue(30)
    assert dialog.start()
    proc = dialog.proc
    assert proc is not None
    qtbot.waitUntil(lambda: dialog.data.get("values") == [1, 2, 4], timeout=30_000)
    pid = proc.processId()
    dialog.close()
    assert proc.state() == QProcess.ProcessState.NotRunning
    assert _gone(pid)
    assert dialog.exit_code == 143  # SIGTERM: it stopped the point it was in and left
    assert dialog.chart.data.get("points") == []


def test_the_window_opens_the_sweep_dialog_from_its_menu(window, qtbot):
    names = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "S&weep…" in names
    window.open_sweep()
    dialog = window.sweep_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.config == window.controls.current()


def _point(value: float, consumed: int, ok: bool = True) -> dict:
    return {
        "value": value,
        "measured": {
            "consumed": consumed,
            "throughput_per_s": 4.2,
            "producer_blocked_fraction": 0.5,
            "consumer_blocked_fraction": 0.0,
        },
        "predicted": {
            "throughput_per_s": 4.4,
            "producer_blocked_fraction": 0.56,
            "consumer_blocked_fraction": 0.01,
        },
        "bottleneck": "",
        "ok": ok,
    }


def test_the_table_names_its_books_column_and_flags_points_on_too_few_items(qtbot):
    from simulator.ui.sweep_dialog import MIN_TRUSTED_ITEMS

    dialog = SweepDialog(TINY)
    qtbot.addWidget(dialog)
    dialog.data = {
        "vary": "consumers",
        "values": [1, 2, 4],
        "points": [
            _point(1, MIN_TRUSTED_ITEMS - 1),
            _point(2, MIN_TRUSTED_ITEMS),
            _point(4, 5000, ok=False),
        ],
    }
    dialog.show_table()
    t = dialog.table
    heads = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
    assert heads[0] == "consumers" and "books" in heads and "ok" not in heads
    books = heads.index("books")
    rows = [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]
    assert rows[0][0] == "1" and rows[0][1] == "4.2 ⚠"
    assert rows[0][-1] == "⚠ 199 items: too few to trust"
    assert f"fewer than {MIN_TRUSTED_ITEMS}" in t.item(0, 1).toolTip()
    assert "⚠" not in " ".join(rows[1]) and not t.item(1, 1).toolTip()  # 200 is enough
    assert rows[1][3] == "50 % / 56 %" and rows[1][books] == "✓ balanced"
    assert rows[2][books] == "✗ BROKE"


def test_the_blocked_columns_say_which_figure_is_measured_and_which_predicted(qtbot):
    dialog = SweepDialog(TINY)
    qtbot.addWidget(dialog)
    dialog.data = {"vary": "consumers", "values": [2], "points": [_point(2, 500)]}
    dialog.show_table()
    t = dialog.table
    heads = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
    for side in ("producers", "consumers"):
        head = next(h for h in heads if h.startswith(f"{side} blocked"))
        assert "measured / pred." in head  # the cells' order: "50 % / 56 %"


def test_the_dialog_fits_a_720_px_screen_with_its_frame(qtbot):
    """A projector of 1280x720: the dialog opens no taller than 720 px less a title bar
    and a panel, and its contents allow it (the chart stretches, down to its minimum)."""
    dialog = SweepDialog(TINY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= 660 and dialog.width() <= 1280
    assert dialog.minimumSizeHint().height() <= 660


def test_a_low_blocked_panel_labels_fewer_ticks_apart():
    """Six labels 0-100 in ~50 px printed over each other: a panel that low gets
    0 / 50 / 100, each label at least a label's height from the next."""
    from simulator.ui.chart import _ticks, tick_count

    label_h = 15.0
    for plot_h in (30.0, 50.0, 80.0, 150.0, 400.0):
        ticks = _ticks(100.0, tick_count(plot_h, label_h))
        assert ticks[0] == 0 and ticks[-1] == 100
        apart = plot_h / (len(ticks) - 1)
        assert apart >= label_h or len(ticks) == 2
    assert _ticks(100.0, tick_count(40.0, label_h)) == [0, 50, 100]
    assert len(_ticks(100.0, tick_count(400.0, label_h))) == 6  # tall: 0, 20, … 100
