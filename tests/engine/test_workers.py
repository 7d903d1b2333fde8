"""Worker roles, names and states: one definition, round trips that hold."""

from __future__ import annotations

import pickle

import pytest

from simulator.engine.workers import Role, WorkerState, number_of, role_of, worker_name


@pytest.mark.parametrize(
    ("role", "n", "name"), [(Role.PRODUCER, 1, "P1"), ("consumer", 64, "C64")]
)
def test_names_round_trip(role: str, n: int, name: str) -> None:
    assert worker_name(role, n) == name
    assert role_of(name) == Role(role)
    assert number_of(name) == n


@pytest.mark.parametrize("bad", ["", "X1", "1", "pcsim-P1"])
def test_a_name_that_is_not_a_worker_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        role_of(bad)


def test_states_are_the_words_on_screen_and_survive_pickling() -> None:
    assert WorkerState.WAITING_FULL == "waiting: buffer full"
    for state in WorkerState:
        assert pickle.loads(pickle.dumps(state)) is state
