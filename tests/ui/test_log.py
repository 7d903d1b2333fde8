"""The event log: its kind and worker filters, and Follow (scroll with the newest line
or hold still while reading)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QFontMetricsF

from simulator.engine.events import Event, Kind, describe, item_id
from simulator.ui.log import EventLog


@pytest.fixture
def log(qtbot):
    w = EventLog()
    w.resize(500, 200)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def lines(log: EventLog) -> list[str]:
    return log.text.toPlainText().splitlines()


def texts(log: EventLog) -> list[str]:
    """The lines without their time column."""
    return [s.strip().split(None, 1)[1] for s in lines(log)]


def send(log: EventLog, batch: list[Event]) -> None:
    """Hand the log a batch and let it write now (it writes at most 10 times a second;
    tests do not wait on the clock)."""
    log._last_write = 0.0
    log.on_batch(batch)


def traffic(n: int = 3) -> list[Event]:
    """Every kind of event from producers P1, P2 and consumers C1, C2."""
    out = []
    for i in range(1, n + 1):
        t = float(i)
        for p, c in (("P1", "C1"), ("P2", "C2")):
            item = item_id(int(p[1]), i)
            out += [
                Event(t, Kind.PRODUCED, p, item),
                Event(t, Kind.PUT, p, item, 1),
                Event(t, Kind.PUT_WAIT, p, item, 10),
                Event(t, Kind.GET_WAIT, c),
                Event(t, Kind.GOT, c, item, 0),
                Event(t, Kind.CONSUMED, c, item),
                Event(t, Kind.SLEEP, c, item, value=0.25),
            ]
    return out


def test_default_filter_lists_only_productions_and_consumptions(log):
    send(log, traffic())
    shown = lines(log)
    assert len(shown) == 12
    assert all(("Produced:" in s) != ("Consumed:" in s) for s in shown)


def test_kind_filter_refilters_what_is_already_there(log):
    send(log, traffic())
    log.kind.setCurrentText("Waits")
    shown = lines(log)
    assert len(shown) == 12
    assert all("waiting: buffer" in s for s in shown)
    log.kind.setCurrentText("Producing, consuming times")
    assert len(lines(log)) == 6
    assert all(re.search(r"C\d consuming P\d-\d+ for 0\.250 s$", s) for s in lines(log))
    log.kind.setCurrentText("All events")
    assert len(lines(log)) == len(traffic())


def test_worker_filter_takes_a_comma_separated_list_in_any_case(log):
    events = traffic()
    send(log, events)
    log.kind.setCurrentText("All events")
    log.worker.setText("p1, c2")
    assert texts(log) == [describe(e) for e in events if e.worker in ("P1", "C2")]
    log.worker.setText(" C1 ")
    assert texts(log) == [describe(e) for e in events if e.worker == "C1"]
    # both filters at once, and new events obey them too
    log.kind.setCurrentText("Produced, consumed")
    log.worker.setText("P2")
    send(log, traffic(1))
    assert texts(log) == [f"Produced: P2-{i} by P2" for i in (1, 2, 3, 1)]
    log.worker.clear()
    assert any(s.endswith("by C1") for s in texts(log))


def test_follow_scrolls_to_the_newest_and_unticking_holds_still(log):
    log.kind.setCurrentText("All events")
    send(log, traffic(5))
    bar = log.text.verticalScrollBar()
    assert bar.maximum() > 0  # more lines than fit
    assert bar.value() == bar.maximum()
    log.follow.setChecked(False)
    bar.setValue(3)
    send(log, traffic(2))
    assert bar.value() == 3 and bar.maximum() > 3  # still reading where we were
    log.follow.setChecked(True)
    send(log, traffic(2))
    assert bar.value() == bar.maximum()


def test_a_narrow_log_wraps_a_line_under_its_words_and_cuts_none(qtbot):
    """At 1024 px the log is narrow: a line cut at the edge ("… by P4|2") named the
    wrong worker. It wraps, the rest indented under the event's words, never sideways."""
    w = EventLog()
    w.resize(240, 200)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.kind.setCurrentText("All events")
    send(w, [Event(1.0, Kind.RECOVERED, "C1001", item_id(42, 14), 3, 0.0)])
    assert lines(w) == [  # one line, wrapped or not
        "  1.000  C1001 died holding P42-14: recovered, back in the buffer (3)"
    ]
    assert not w.text.horizontalScrollBar().isVisible()
    block = w.text.document().firstBlock()
    wide = w.text.fontMetrics().horizontalAdvance(lines(w)[0])
    assert wide > w.text.viewport().width(), "the log is not narrow enough for this test"
    qtbot.waitUntil(lambda: block.layout().lineCount() >= 2)  # wrapped, not cut
    fmt = block.blockFormat()
    space = QFontMetricsF(w.text.font()).horizontalAdvance(" ")
    assert fmt.leftMargin() == pytest.approx(9 * space)  # "  1.000  ": under the words
    assert fmt.textIndent() == -fmt.leftMargin()
    # past 1000 s the time is a character wider, and so is the indent
    send(w, [Event(1234.5, Kind.RECOVERED, "C1001", item_id(42, 15), 3, 0.0)])
    assert w.text.document().lastBlock().blockFormat().leftMargin() == pytest.approx(10 * space)
