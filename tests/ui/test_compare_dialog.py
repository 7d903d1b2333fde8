"""Simulation ▸ Compare backends…: the dialog runs ``pcsim compare`` in a child process,
shows a bar per backend as each run ends, refuses a choice that will not run, and
leaves no child behind (closing the dialog stops it)."""

from __future__ import annotations

from PySide6.QtCore import QProcess

from simulator.engine.config import SimulationConfig
from simulator.ui.compare_dialog import CompareDialog
from tests.ui.test_sweep_dialog import _gone

TINY = SimulationConfig(
    producers=1, consumers=2, producer_sleep=(0.0, 0.002), consumer_sleep=(0.01, 0.02)
)


def test_the_dialog_compares_two_backends_and_shows_their_bars(qtbot, tmp_path):
    stopped = []
    dialog = CompareDialog(TINY, stop_run=lambda: stopped.append(True))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.backends["processes"].setChecked(False)
    dialog.work.setCurrentText("cpu")
    dialog.seconds.setValue(0.5)
    assert dialog.start()
    assert stopped == [True]  # the window's run stops so they do not compete
    assert dialog.running and not dialog.work.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.exit_code == 0, dialog.status.text()
    runs = dialog.chart.data["runs"]
    assert [r["backend"] for r in runs] == ["threads", "asyncio"]
    assert all(r["work"] == "cpu" and r["ok"] and r["throughput_per_s"] > 0 for r in runs)
    assert "Against threads: asyncio" in dialog.status.text()
    assert dialog.save_button.isEnabled()
    out = dialog.save_chart_to(str(tmp_path / "c.svg"))
    assert out.stat().st_size > 0


def test_a_choice_that_cannot_run_is_refused_without_starting(qtbot):
    dialog = CompareDialog(TINY.replace(buffer="condition"))
    qtbot.addWidget(dialog)
    assert not dialog.start()  # processes take buffer queue only
    assert dialog.proc is None
    assert "--backends processes" in dialog.status.text()
    for box in dialog.backends.values():
        box.setChecked(False)
    assert not dialog.start()
    assert "at least one" in dialog.status.text()


def test_closing_the_dialog_stops_its_comparison(qtbot):
    dialog = CompareDialog(TINY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.seconds.setValue(30)
    assert dialog.start()
    proc = dialog.proc
    assert proc is not None
    qtbot.waitUntil(lambda: dialog.data.get("compare") is not None, timeout=30_000)
    pid = proc.processId()
    dialog.close()
    assert proc.state() == QProcess.ProcessState.NotRunning
    assert _gone(pid)
    assert dialog.exit_code == 143  # SIGTERM: it stopped the run it was in and left


def test_the_window_opens_the_compare_dialog_from_its_menu(window, qtbot):
    names = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Compare backends…" in names
    window.open_compare()
    dialog = window.compare_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.config == window.controls.current()
