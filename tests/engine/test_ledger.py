"""The ledger's checks (counts, latency, duplicates, losses), on hand-made event streams."""

from simulator.engine.events import Event, Kind, item_id
from simulator.engine.ledger import Ledger, SeqTracker


def ev(t, kind, worker, item=-1, size=-1):
    return Event(t, kind, worker, item, size, 0.0)


def test_seq_tracker_catches_repeats_in_bounded_memory():
    tr = SeqTracker()
    for s in [2, 1, 3, 5, 4]:
        assert tr.add(s)
    assert tr.watermark == 5 and not tr.pending
    assert not tr.add(3)
    assert tr.add(7) and not tr.add(7)


def one_item(ledger, item, t=0.0):
    return ledger.feed(
        [
            ev(t, Kind.PRODUCED, "P1", item),
            ev(t + 0.1, Kind.PUT, "P1", item, 1),
            ev(t + 0.3, Kind.GOT, "C1", item, 0),
            ev(t + 0.4, Kind.CONSUMED, "C1", item),
        ]
    )


def test_ledger_counts_and_latency():
    led = Ledger()
    lat = one_item(led, item_id(1, 1))
    assert led.produced == led.consumed == 1
    assert led.in_buffer == led.in_hand == 0
    assert abs(lat[0] - 0.2) < 1e-9
    led.close_books(remaining=0)
    assert led.ok and led.lost == 0


def test_ledger_flags_a_duplicate_consumption():
    led = Ledger()
    item = item_id(1, 1)
    one_item(led, item)
    led.feed([ev(1.0, Kind.CONSUMED, "C2", item)])
    assert led.duplicates == 1 and not led.ok
    assert "P1-1 consumed twice" in led.violations[0]


def test_ledger_flags_a_take_of_an_item_never_put():
    led = Ledger()
    led.feed([ev(0.0, Kind.GOT, "C1", item_id(1, 9), 0)])
    assert not led.ok and "never put" in led.violations[0]


def test_ledger_flags_a_size_the_queue_did_not_report():
    led = Ledger()
    led.feed([ev(0, Kind.PRODUCED, "P1", 5), ev(0, Kind.PUT, "P1", 5, 2)])
    assert not led.ok and "reported 2" in led.violations[0]


def test_close_books_finds_an_item_the_queue_lost():
    led = Ledger()
    led.feed([ev(0, Kind.PRODUCED, "P1", 5), ev(0, Kind.PUT, "P1", 5, 1)])
    led.close_books(remaining=0)  # the books say 1 in the buffer; the queue had none
    assert led.lost == 1 and not led.ok


def test_items_held_at_stop_are_not_lost():
    led = Ledger()
    led.feed([ev(0, Kind.PRODUCED, "P1", 5), ev(1, Kind.STOPPED, "P1", 5)])
    led.close_books(remaining=0)
    assert led.lost == 0 and led.ok and led.held_at_stop == 1
