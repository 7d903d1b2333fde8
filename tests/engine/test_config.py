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
