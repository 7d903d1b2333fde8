"""Scenario files: a complete configuration, a title, an explanation and a timeline.

A scenario is a TOML file (read with the standard ``tomllib``)::

    title = "Consumers catch up"
    description = "One paragraph shown when the scenario starts."
    duration = 30                      # seconds; optional

    [config]                           # any SimulationConfig field but items
    producers = 3
    consumer_sleep = [0.4, 0.8]

    [[timeline]]                       # optional, any number, in any order
    at = 10                            # seconds after the start
    set = { consumer_sleep = [0.05, 0.1] }   # live settings only
    end = "poison-pill"                # optional: end the run so (see below)
    caption = "Consumers speed up: the buffer drains"
    settle = 1                         # optional: judge the claim from 1 s after the step
    expect = { end_occupancy = "<=1" } # optional: what the caption claims, in figures

    [[guide]]                          # optional: a guided race by hand (see below)
    step = "P1"                        # the worker the learner is asked to step
    caption = "Step P1: it reads tail"
    shows = "P1 read tail = 0"         # the step's line must contain this (checked)

A step with ``end`` (one of the endings: drain, poison-pill, join, terminate) ends the
run that way, then starts a fresh one with the same settings if more steps follow (the
scenario's clock goes on); its ``expect`` may judge the ended run's books (the figures
``discarded``, ``lost``, ``unfinished``), and a scenario whose ``[config]`` sets
``shutdown`` ends so at its end.

A scenario with a ``guide`` starts paused: the learner is the scheduler, and the guide
panel shows one caption at a time, advancing when the step it asks for has been made
(``shows`` is what that step's line says; :mod:`~simulator.scenarios.check` plays the
guide's steps on a real run and holds each line to it).

``expect`` (also allowed at the top, for the phase before the first step, with its own
``settle``) states a caption's claim as figures a real run is held to; see
:mod:`simulator.scenarios.expect`. ``tests/scenarios/test_captions.py`` runs every
shipped scenario and checks each one.

A bad file is refused as a whole with a :class:`ScenarioError` that names the file, the
key and what is allowed (and the line, for a syntax error), so the current settings are
never half-changed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.engine.config import (
    SETTINGS,
    SHUTDOWNS,
    ConfigError,
    Setting,
    SimulationConfig,
    check,
)
from simulator.resources import asset
from simulator.scenarios.expect import Expectation, ExpectationError, parse_all

#: the keys of ``[config]`` (and of a timeline step's ``set``, if live): the config
#: table's, which names each setting's key, or None for one files do not set
CONFIG_KEYS = tuple(s.key for s in SETTINGS.values() if s.key)
LIVE_KEYS = tuple(s.key for s in SETTINGS.values() if s.key and s.live)
_FIELD_OF = {s.key: s.name for s in SETTINGS.values() if s.key}
_KEY_OF = {name: key for key, name in _FIELD_OF.items()}
TOP_KEYS = (
    "title",
    "description",
    "duration",
    "config",
    "timeline",
    "settle",
    "expect",
    "guide",
)
STEP_KEYS = ("at", "set", "caption", "settle", "expect", "end")
GUIDE_KEYS = ("step", "caption", "shows")
#: the longest run, of a scenario file or of ``--duration`` (one limit for both)
MAX_DURATION_S = 7 * 24 * 3600.0
#: how long a run lasts without ``--duration``, ``--items`` or a scenario's duration
DEFAULT_DURATION_S = 10.0


class ScenarioError(ValueError):
    def __init__(self, path: Path | str, key: str, message: str) -> None:
        self.path = Path(path)
        self.key = key
        super().__init__(
            f"{self.path.name}: {key}: {message}" if key else f"{self.path.name}: {message}"
        )


@dataclass(frozen=True, slots=True)
class Step:
    at: float
    changes: dict[str, object]
    caption: str | None
    #: what the caption claims, judged from ``at + settle`` until the next step (or the end)
    expect: tuple[Expectation, ...] = ()
    settle: float = 0.0
    #: end the run by this ending (see :data:`~simulator.engine.config.SHUTDOWNS`),
    #: then start a fresh one if more steps follow; None: the run goes on
    end: str | None = None


@dataclass(frozen=True, slots=True)
class GuideStep:
    """One caption of a guided scenario: what to step next, and what that step shows."""

    worker: str  #: "P1", "C1": the worker the learner is asked to step
    caption: str
    shows: str  #: the step's line (:attr:`Snapshot.last_step`) contains this


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    description: str
    config: SimulationConfig
    timeline: tuple[Step, ...]
    duration: float | None
    path: Path
    #: what the description claims before the first step, judged from ``settle``
    expect: tuple[Expectation, ...] = ()
    settle: float = 0.0
    #: a guided race by hand: the run starts paused and these captions lead the steps
    guide: tuple[GuideStep, ...] = ()


def scenarios_dir() -> Path:
    return asset("scenarios")


def shipped() -> list[str]:
    """Names of the scenarios that come with pcsim."""
    return sorted(p.stem for p in scenarios_dir().glob("*.toml"))


MAX_NAME = 255  # the longest file name most file systems take
MAX_FILE_BYTES = 1_000_000  # a scenario is a page of settings, not a data file


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is(test: Callable[[Path], bool], p: Path) -> bool:
    """``p.exists()`` or ``p.is_file()``, False where the OS refuses to look (a name too
    long, a NUL byte, a folder it may not enter) instead of raising."""
    try:
        return test(p)
    except (OSError, ValueError):
        return False


def resolve(name_or_path: str) -> Path:
    """A scenario's file from a shipped name (``fast-producers``) or a path."""
    if not name_or_path.strip():
        raise ScenarioError("--scenario", "", "must be a shipped name or a .toml file (got '')")
    p = Path(name_or_path)
    if len(p.name) > MAX_NAME:
        raise ScenarioError(
            _short(p.name),
            "",
            f"the name is too long ({len(p.name)} characters; at most {MAX_NAME})",
        )
    if p.suffix == ".toml" or _is(Path.exists, p):
        if _is(Path.is_dir, p):
            raise ScenarioError(p, "", "is a folder, not a scenario file")
        if not _is(Path.is_file, p):
            what = "is not a regular file" if _is(Path.exists, p) else "no such file"
            raise ScenarioError(p, "", what)
        return p
    candidate = scenarios_dir() / f"{name_or_path}.toml"
    if "/" not in name_or_path and _is(Path.is_file, candidate):
        return candidate
    raise ScenarioError(
        Path(f"{name_or_path}.toml"), "", "no such scenario; shipped ones: " + ", ".join(shipped())
    )


def _seconds(path: Path, key: str, value: object, lo: float, hi: float) -> float:
    """``value`` if it is a number of seconds in ``lo``–``hi``, checked by the config's
    :func:`~simulator.engine.config.check` like every setting."""
    try:
        return float(check(Setting(key, "float", lo, hi, unit=" s"), value))
    except ConfigError as err:
        got = _short(repr(value))
        raise ScenarioError(path, key, f"must be {err.allowed} (got {got})") from None


def _text(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ScenarioError(path, key, f"must be text (got {_short(repr(value))})")
    return value


def _apply(
    path: Path, base: SimulationConfig, table: object, where: str, allowed: tuple[str, ...]
) -> tuple[SimulationConfig, dict[str, object]]:
    if not isinstance(table, dict):
        got = _short(repr(table))
        raise ScenarioError(path, where, f"must be a table of settings (got {got})")
    changes: dict[str, object] = {}
    for key, value in table.items():
        if key not in allowed:
            allowed_text = "unknown or not allowed here; allowed: " + ", ".join(allowed)
            raise ScenarioError(path, f"{where}.{key}", allowed_text)
        changes[_FIELD_OF[key]] = tuple(value) if isinstance(value, list) else value
    try:
        return base.replace(**changes), changes
    except ConfigError as err:
        key = _KEY_OF.get(err.field, err.field)
        raise ScenarioError(
            path, f"{where}.{key}", f"must be {err.allowed} (got {_short(repr(err.got))})"
        ) from None


def _expectations(path: Path, where: str, table: object) -> tuple[Expectation, ...]:
    try:
        return parse_all(table)
    except ExpectationError as err:
        key = f"{where}.{err.key}" if err.key else where
        raise ScenarioError(path, key, str(err)) from None


def load(name_or_path: str) -> Scenario:
    """Read and check a scenario; raises :class:`ScenarioError` naming what is wrong."""
    path = resolve(name_or_path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ScenarioError(path, "", f"is larger than {MAX_FILE_BYTES:,} bytes")
        # utf-8-sig: a byte-order mark (as some Windows editors write) is not content
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as err:  # the message carries "(at line N, column M)"
        raise ScenarioError(path, "", f"not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(path, "", f"is not UTF-8 text (byte {err.start + 1})") from None
    except OSError as err:
        raise ScenarioError(path, "", f"cannot be read: {err.strerror or err}") from None
    except RecursionError:
        raise ScenarioError(path, "", "is nested too deeply to be a scenario") from None
    for key in data:
        if key not in TOP_KEYS:
            raise ScenarioError(path, key, "unknown key; allowed: " + ", ".join(TOP_KEYS))
    title = _text(path, "title", data.get("title", path.stem.replace("-", " ").capitalize()))
    description = _text(path, "description", data.get("description", ""))
    duration = data.get("duration")
    if duration is not None:
        duration = _seconds(path, "duration", duration, 0.1, MAX_DURATION_S)
    config, _ = _apply(path, SimulationConfig(), data.get("config", {}), "config", CONFIG_KEYS)
    steps = []
    timeline = data.get("timeline", [])
    if not isinstance(timeline, list):
        raise ScenarioError(path, "timeline", "must be a list of [[timeline]] entries")
    state = config
    for i, entry in enumerate(timeline):
        where = f"timeline[{i}]"
        if not isinstance(entry, dict):
            raise ScenarioError(path, where, "must be a table with at, set and caption")
        for key in entry:
            if key not in STEP_KEYS:
                raise ScenarioError(
                    path, f"{where}.{key}", "unknown key; allowed: " + ", ".join(STEP_KEYS)
                )
        if "at" not in entry:
            raise ScenarioError(path, f"{where}.at", "is missing (seconds after the start)")
        at = _seconds(path, f"{where}.at", entry["at"], 0.0, duration or MAX_DURATION_S)
        state, changes = _apply(path, state, entry.get("set", {}), f"{where}.set", LIVE_KEYS)
        caption = entry.get("caption")
        if caption is not None:
            caption = _text(path, f"{where}.caption", caption)
        expect = _expectations(path, f"{where}.expect", entry.get("expect", {}))
        settle = _seconds(path, f"{where}.settle", entry.get("settle", 0.0), 0.0, MAX_DURATION_S)
        end = entry.get("end")
        if end is not None and end not in SHUTDOWNS:
            raise ScenarioError(path, f"{where}.end", "must be one of " + ", ".join(SHUTDOWNS))
        steps.append(Step(at, changes, caption, expect, settle, end))
    steps.sort(key=lambda s: s.at)
    expect = _expectations(path, "expect", data.get("expect", {}))
    settle = _seconds(path, "settle", data.get("settle", 0.0), 0.0, MAX_DURATION_S)
    guide = _guide(path, data.get("guide", []), config)
    return Scenario(
        path.stem, title, description, config, tuple(steps), duration, path, expect, settle, guide
    )


def _guide(path: Path, entries: object, config: SimulationConfig) -> tuple[GuideStep, ...]:
    """The ``[[guide]]`` entries, each naming a worker the run has."""
    if not isinstance(entries, list):
        raise ScenarioError(path, "guide", "must be a list of [[guide]] entries")
    workers = [f"P{i}" for i in range(1, config.producers + 1)]
    workers += [f"C{i}" for i in range(1, config.consumers + 1)]
    out = []
    for i, entry in enumerate(entries):
        where = f"guide[{i}]"
        if not isinstance(entry, dict):
            raise ScenarioError(path, where, "must be a table with step, caption and shows")
        for key in entry:
            if key not in GUIDE_KEYS:
                raise ScenarioError(
                    path, f"{where}.{key}", "unknown key; allowed: " + ", ".join(GUIDE_KEYS)
                )
        worker = entry.get("step")
        if worker not in workers:
            raise ScenarioError(
                path, f"{where}.step", f"must name a worker of the run: {', '.join(workers)}"
            )
        caption = _text(path, f"{where}.caption", entry.get("caption", ""))
        shows = _text(path, f"{where}.shows", entry.get("shows", ""))
        out.append(GuideStep(str(worker), caption, shows))
    return tuple(out)


_TOML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string: a quote, a backslash or a control character
    written as is would end the string early or make the file unreadable."""
    out = []
    for ch in text:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def dumps(config: SimulationConfig, title: str, description: str = "") -> str:
    """A scenario file for ``config`` ("Save settings as scenario…")."""

    def value(v: object) -> str:
        if isinstance(v, tuple):  # repr: the shortest text that reads back the same float
            return "[" + ", ".join(repr(float(x)) for x in v) + "]"
        if isinstance(v, str):
            return _toml_string(v)
        return str(v)

    lines = [f"title = {value(title)}", f"description = {value(description)}", "", "[config]"]
    for key in CONFIG_KEYS:
        v = getattr(config, _FIELD_OF[key])
        if v is not None:
            lines.append(f"{key} = {value(v)}")
    return "\n".join(lines) + "\n"


class TimelinePlayer:
    """Hands out the steps whose time has come, each once, in order.

    The one replay loop of a timeline: the window, ``pcsim run`` and the tests call
    :meth:`play` on every tick and apply the configs it returns.
    """

    def __init__(self, scenario: Scenario | None) -> None:
        self.steps = scenario.timeline if scenario else ()
        self.next = 0

    def due(self, elapsed: float) -> list[Step]:
        """The steps at or before ``elapsed`` seconds not handed out yet."""
        out = []
        while self.next < len(self.steps) and self.steps[self.next].at <= elapsed:
            out.append(self.steps[self.next])
            self.next += 1
        return out

    def play(
        self, elapsed: float, config: SimulationConfig
    ) -> list[tuple[SimulationConfig, Step]]:
        """The steps due by ``elapsed``, each with the config it makes: ``config`` (the
        one running now) with this step's changes and every earlier due step's. Apply
        each config in order (and show its step's caption); the player will not hand
        these steps out again."""
        played = []
        for step in self.due(elapsed):
            config = config.replace(**step.changes)
            played.append((config, step))
        return played

    @property
    def done(self) -> bool:
        """Every step has been handed out."""
        return self.next >= len(self.steps)
