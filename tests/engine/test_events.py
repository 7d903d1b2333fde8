"""The event record's helpers: item ids and the classic one-line description."""

from simulator.engine.events import (
    BROKER_KINDS,
    DROP_KINDS,
    INSIDE_KINDS,
    Event,
    Kind,
    describe,
    item_id,
    item_label,
    to_json,
)


def test_item_ids_carry_their_producer():
    assert item_label(item_id(3, 42)) == "P3-42"
    assert item_label(-1) == "-"


def test_describe_and_json_use_the_item_label():
    e = Event(1.5, Kind.PRODUCED, "P2", item_id(2, 7))
    assert describe(e) == "Produced: P2-7 by P2"
    assert to_json(e) == {"t": 1.5, "kind": "produced", "worker": "P2", "item": "P2-7"}
    assert describe(Event(0.0, Kind.STOPPED, "C1", item_id(1, 3))) == "C1 stopped holding P1-3"


def test_a_sleep_is_described_as_the_work_it_stands_for():
    """A producer's sleep is its production time, a consumer's its consumption time."""
    assert describe(Event(0.0, Kind.SLEEP, "P1", value=0.3)) == "P1 producing for 0.300 s"
    consuming = Event(0.0, Kind.SLEEP, "C2", item_id(1, 42), value=0.4123)
    assert describe(consuming) == "C2 consuming P1-42 for 0.412 s"


def _shape(ev: Event) -> tuple[object, ...]:
    """Which fields an event sets, and their types. ``size`` is set when >= 0; ``item``
    too, except where it is whatever the worker held (STOPPED, SLEEP), which varies."""
    held_varies = ev.kind in (Kind.STOPPED, Kind.SLEEP)
    return (
        *(type(f).__name__ for f in ev),
        "item?" if held_varies else ev.item >= 0,
        ev.size >= 0,
    )


#: what running workers write (STOPPED comes with the stop, ERROR is not provoked)
#: (the drops of a full policy other than block: tests/engine/test_full_policy.py; a
#: broker's recovery: tests/engine/test_redis.py)
_RUNNING_KINDS = {
    k
    for k in Kind
    if k not in INSIDE_KINDS | DROP_KINDS | BROKER_KINDS and k not in (Kind.ERROR, Kind.STOPPED)
}


def _kinds_and_shapes(backend: str) -> dict[int, set[tuple[object, ...]]]:
    """Run ``backend`` until it has shown every kind but ERROR: fast producers and slow
    consumers (the buffer fills), then the reverse (it empties)."""
    import time

    from simulator.engine.config import SimulationConfig
    from simulator.engine.simulation import Simulation

    cfg = SimulationConfig(
        backend=backend,
        producers=2,
        consumers=2,
        capacity=1,
        producer_sleep=(0.0, 0.001),
        consumer_sleep=(0.005, 0.01),
        seed=1,
    )
    sim = Simulation(cfg)
    ch = sim.subscribe()
    shapes: dict[int, set[tuple[object, ...]]] = {}
    sim.start()
    try:
        for phase in ("full", "empty"):
            if phase == "empty":
                sim.apply(cfg.replace(producer_sleep=(0.005, 0.01), consumer_sleep=(0.0, 0.001)))
            # the phase's wait kind, and by the end every kind a running worker writes (a
            # process's events come in batches: a CONSUMED may still be on its way)
            wanted = {Kind.PUT_WAIT} if phase == "full" else _RUNNING_KINDS
            deadline = time.monotonic() + 60.0  # generous: the machine may be busy
            while not wanted <= shapes.keys() and time.monotonic() < deadline:
                time.sleep(0.02)
                for ev in ch.drain():
                    shapes.setdefault(ev.kind, set()).add(_shape(ev))
    finally:
        sim.stop()
    for ev in ch.drain():
        shapes.setdefault(ev.kind, set()).add(_shape(ev))
    return shapes


def test_every_backend_writes_every_kind_in_the_same_shape():
    import shutil

    backends = ["threads", "asyncio", "processes"]
    if shutil.which("redis-server"):  # the redis backend's events, from its Lua scripts too
        backends.append("redis")
    seen = {b: _kinds_and_shapes(b) for b in backends}
    # an error is not provoked here; the inside kinds are recorded only when asked (and
    # tests/engine/test_buffers.py checks them)
    every = {
        k for k in Kind if k != Kind.ERROR and k not in INSIDE_KINDS | DROP_KINDS | BROKER_KINDS
    }
    for backend, shapes in seen.items():
        missing = {Kind(k).name for k in every - set(shapes)}
        assert not missing, f"{backend} never wrote {missing}"
    for kind in every:
        by_backend = {b: seen[b][kind] for b in seen}
        assert len({frozenset(s) for s in by_backend.values()}) == 1, (kind.name, by_backend)
    # the shapes the constructors promise, e.g. a PUT_WAIT holds an item and a size
    assert seen["threads"][Kind.PUT_WAIT] == {
        ("float", "int", "str", "int", "int", "float", True, True)
    }
