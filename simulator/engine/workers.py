"""Who the workers are: their roles, their names and the states they pass through.

Defined once here and imported everywhere else (engine, window, reports), so adding a
state or changing how workers are named is a change in this one file. The enums are
``StrEnum``s: their values are the words shown on screen and written in reports, and they
pickle and compare as those plain strings across the engine's process boundary.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a worker does with the buffer."""

    PRODUCER = "producer"
    CONSUMER = "consumer"

    @property
    def letter(self) -> str:
        """The first letter of every name of this role: ``P`` or ``C``."""
        return "P" if self is Role.PRODUCER else "C"


ROLES: tuple[Role, ...] = (Role.PRODUCER, Role.CONSUMER)


class WorkerState(StrEnum):
    """Where one worker is in its loop, as the books last saw it (see ``metrics.py``).

    The words match the code the simulator runs, the classic example's loops: a
    producer's sleep *is* its production time (``time.sleep(...)  # Simulating production
    time``) and a consumer's sleep is its consumption time, so no worker is ever idle:

    * producer: ``PRODUCING`` (its sleep) -> ``PUTTING`` (the instant between making the
      item and the put completing) -> ``WAITING_FULL`` if the buffer is full -> ...
    * consumer: ``WAITING_EMPTY`` if the buffer is empty -> ``CONSUMING`` (its sleep, the
      item in hand) -> ... (after ``CONSUMED`` it holds no item)
    """

    STARTING = "starting"
    PRODUCING = "producing"
    PUTTING = "putting"
    WAITING_FULL = "waiting: buffer full"
    WAITING_EMPTY = "waiting: buffer empty"
    CONSUMING = "consuming"
    STOPPED = "stopped"


def worker_name(role: Role | str, number: int) -> str:
    """``P3`` for the third producer, ``C1`` for the first consumer."""
    return f"{Role(role).letter}{number}"


def role_of(name: str) -> Role:
    """The role of the worker called ``name`` (``P3`` -> producer)."""
    if name[:1] == "P":
        return Role.PRODUCER
    if name[:1] == "C":
        return Role.CONSUMER
    raise ValueError(f"not a worker name: {name!r}")


def number_of(name: str) -> int:
    """The number in a worker's name (``C12`` -> 12)."""
    role_of(name)
    return int(name[1:])
