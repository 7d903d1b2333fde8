"""The event channel's bound: a slow subscriber loses the oldest events, counted."""

from simulator.engine.channel import EventChannel
from simulator.engine.events import Event, Kind


def test_channel_drops_oldest_and_counts_them():
    ch = EventChannel(maxlen=10)
    ch.push([(float(i), Kind.PRODUCED, "P1", i, -1, 0.0) for i in range(25)])
    batch = ch.drain()
    assert len(batch) == 10 and ch.dropped == 15
    assert batch[0].item == 15
    assert all(isinstance(e, Event) for e in batch)  # raw tuples in, records out
    assert ch.drain() == []
