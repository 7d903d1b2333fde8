import pytest

from simulator.engine.config import ConfigError, SimulationConfig


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("producers", 0, "1–64"),
        ("producers", 65, "1–64"),
        ("consumers", 0, "1–64"),
        ("capacity", 0, "1–1000"),
        ("capacity", 1001, "1–1000"),
        ("capacity", 2.5, "1–1000"),
        ("producer_sleep", (0.5, 0.1), "0–10"),
        ("consumer_sleep", (0, 11), "0–10"),
        ("consumer_sleep", (-1, 0), "0–10"),
        ("producer_sleep", (0, float("nan")), "0–10"),
        ("backend", "fibers", "threads, processes, asyncio"),
        ("seed", -1, "0–2147483647"),
        ("items", 0, "1–1000000000"),
    ],
)
def test_bad_values_name_the_field_and_range(field, value, allowed):
    with pytest.raises(ConfigError) as info:
        SimulationConfig(**{field: value})
    assert info.value.field == field
    assert allowed in str(info.value)
    assert info.value.describe("--x").startswith("--x must be")


def test_defaults_are_the_classic_sleeps():
    cfg = SimulationConfig()
    assert cfg.producer_sleep == (0.1, 0.5)
    assert cfg.consumer_sleep == (0.2, 0.7)


def test_replace_validates_and_reports_changes():
    cfg = SimulationConfig()
    new = cfg.replace(capacity=3, consumer_sleep=[0, 0.1])
    assert new.consumer_sleep == (0.0, 0.1)
    assert new.changed_fields(cfg) == {"capacity", "consumer_sleep"}
    with pytest.raises(ConfigError):
        cfg.replace(capacity=0)


def test_time_scale_stretches_the_sleeps_and_is_live():
    from simulator.engine.config import LIVE_FIELDS

    cfg = SimulationConfig(producer_sleep=(0.1, 0.2), time_scale=0.5)
    assert cfg.effective_sleep("producer") == (0.2, 0.4)
    assert "time_scale" in LIVE_FIELDS
    with pytest.raises(ConfigError, match=r"0\.1–1"):
        SimulationConfig(time_scale=0)


def test_the_table_has_one_row_per_field_in_field_order():
    import dataclasses

    from simulator.engine.config import SETTINGS

    assert list(SETTINGS) == [f.name for f in dataclasses.fields(SimulationConfig)]
    for s in SETTINGS.values():
        assert s.flag.startswith("--") and s.help
        assert s.kind in ("int", "float", "range", "choice", "text")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("producers", 64, 64),
        ("time_scale", 1, 1.0),
        ("producer_sleep", [0, 10], (0.0, 10.0)),
        ("backend", "asyncio", "asyncio"),
        ("seed", None, None),
    ],
)
def test_check_returns_the_canonical_value(name, value, expected):
    from simulator.engine.config import check

    got = check(name, value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("producers", True, "an integer in 1–64"),
        ("time_scale", float("nan"), "a number in 0.1–1"),
        ("time_scale", "0.5", "a number in 0.1–1"),
        ("consumer_sleep", (1, 0.5), "two numbers MIN MAX in 0–10 s with MIN <= MAX"),
        ("consumer_sleep", (1,), "two numbers MIN MAX in 0–10 s with MIN <= MAX"),
        ("backend", "fibers", "one of threads, processes, asyncio, redis"),
        ("items", None, None),  # optional: None is "not set"
    ],
)
def test_check_names_the_field_and_what_is_allowed(name, value, allowed):
    from simulator.engine.config import check

    if allowed is None:
        assert check(name, value) is None
        return
    with pytest.raises(ConfigError) as info:
        check(name, value)
    assert info.value.field == name and info.value.allowed == allowed
