"""The event record's helpers: item ids and the classic one-line description."""

from simulator.engine.events import Event, Kind, describe, item_id, item_label, to_json


def test_item_ids_carry_their_producer():
    assert item_label(item_id(3, 42)) == "P3-42"
    assert item_label(-1) == "-"


def test_describe_and_json_use_the_item_label():
    e = Event(1.5, Kind.PRODUCED, "P2", item_id(2, 7))
    assert describe(e) == "Produced: P2-7 by P2"
    assert to_json(e) == {"t": 1.5, "kind": "produced", "worker": "P2", "item": "P2-7"}
    assert describe(Event(0.0, Kind.STOPPED, "C1", item_id(1, 3))) == "C1 stopped holding P1-3"
