"""What a simulation is asked to do: one table of settings, one check, one dataclass.

:data:`SETTINGS` is the only list of what can be set, how far, under which name on the
command line (``pcsim run --producers``) and in a scenario file (``[config] producers``),
and whether a running simulation takes it at once. The CLI generates its flags from it,
the scenario loader its keys, the Setup panel its spin-box ranges, and
:class:`SimulationConfig` validates every field through :func:`check`. A bad value raises
:class:`ConfigError` naming the field and what is allowed, and each front end shows the
field under its own name, one line, never a traceback.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

BACKENDS: tuple[str, ...] = ("threads", "processes", "asyncio", "redis")
#: the bounded buffers to choose: the library's queue, or a hand-written one
BUFFERS: tuple[str, ...] = ("queue", "condition", "semaphore")
#: the classic bugs that can be switched on (each acts on the ``condition`` buffer)
BUGS: tuple[str, ...] = ("none", "no-lock", "if-not-while", "lost-wakeup", "missing-task-done")
#: the bugs that break the condition buffer itself (the others act on the worker loops)
BUFFER_BUGS: tuple[str, ...] = ("no-lock", "if-not-while", "lost-wakeup")
#: how a run ends at its stop (``--items`` N: once the Nth item is produced): producers
#: stop and consumers empty the buffer; one sentinel per consumer through the buffer;
#: the buffer's ``join()``; every worker stopped where it stands, its items discarded
SHUTDOWNS: tuple[str, ...] = ("drain", "poison-pill", "join", "terminate")
#: what a producer does when the buffer is full: wait (back-pressure), wait up to
#: ``put_timeout`` then drop its item, drop its item at once, or overwrite the oldest
FULL_POLICIES: tuple[str, ...] = ("block", "timeout", "drop-newest", "drop-oldest")
#: the full policies the processes backend offers, and why not the rest
PROCESS_POLICIES: tuple[str, ...] = ("block", "timeout", "drop-newest")
DROP_OLDEST_WHY = (
    "multiprocessing.JoinableQueue has no atomic remove-oldest-and-put; use threads or asyncio"
)
#: what a worker's drawn time is spent on: waiting (like I/O) or pure-Python computation
WORKS: tuple[str, ...] = ("sleep", "cpu")

Kind = Literal["int", "float", "range", "choice", "text"]

SLEEP_HELP = "a producer sleeps a random time in MIN–MAX before each item"
WORK_HELP = "a consumer works a random time in MIN–MAX on each item"
ITEMS_HELP = "produce exactly N items, let consumers finish them, then stop"
SLOW_HELP = "slow motion: 0.5 makes every sleep and animation twice as long"
BUFFER_HELP = "queue (the library's), condition or semaphore (hand-written); default: queue"
BUG_HELP = (
    "break it on purpose: no-lock, if-not-while, lost-wakeup (the condition buffer), "
    "missing-task-done (consumers skip task_done: any buffer); default: none"
)
SHUTDOWN_HELP = (
    "how the run ends at its stop (with --items N: once the Nth item is produced): drain, "
    "poison-pill, join or terminate; default: none chosen (--items drains, --duration "
    "stops at once)"
)
POLICY_HELP = (
    "when the buffer is full: block (wait), timeout (wait up to --put-timeout, then drop "
    "the item), drop-newest (drop it at once), drop-oldest (overwrite the oldest); "
    "default: block"
)
PUT_TIMEOUT_HELP = "with --full-policy timeout: how long a put waits before it drops its item"
WORK_KIND_HELP = "sleep (waiting, like I/O) or cpu (pure-Python computation); default: sleep"
BROKER_HELP = (
    "--backend redis: use this Redis, redis://[:PASSWORD@]HOST:PORT/DB (default: a private one)"
)
LISTEN_HELP = (
    "--backend redis: open the private server on ADDRESS[:PORT] (password-protected) "
    "to `pcsim worker`s"
)


class ConfigError(ValueError):
    """A setting is out of its range; ``field`` names it, ``allowed`` says what fits."""

    def __init__(self, field: str, allowed: str, got: object) -> None:
        self.field = field
        self.allowed = allowed
        self.got = got
        super().__init__(self.describe(field))

    def describe(self, name: str) -> str:
        """The message with the field shown as ``name`` (a CLI flag, a scenario key)."""
        return f"{name} must be {self.allowed} (got {self.got!r})"


class NotOffered(ConfigError):
    """A valid value that a backend does not offer: ``name value is not offered on
    backend (why)``."""

    def __init__(self, field: str, got: object, backend: str, why: str) -> None:
        self.backend, self.why = backend, why
        super().__init__(field, f"not {got!r} on {backend}", got)

    def describe(self, name: str) -> str:
        return f"{name} {self.got} is not offered on {self.backend} ({self.why})"


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the table: a value's name, kind and bounds, and where it is set.

    ``kind`` is ``int`` (a whole number in ``lo``–``hi``), ``float`` (a finite number in
    ``lo``–``hi``), ``range`` (two such numbers MIN <= MAX) or ``choice`` (one of
    ``choices``). ``optional`` lets the value be None (not set). ``flag`` is its
    command-line flag, ``key`` its scenario-file key (None: not in files); both follow
    the name unless given. ``live`` says whether a running simulation takes it at once
    (else at the next start), ``unit`` what the number counts (shown after the range),
    ``help`` a few words for ``--help``.
    """

    name: str
    kind: Kind
    lo: float = 0
    hi: float = 0
    choices: tuple[str, ...] = ()
    optional: bool = False
    flag: str = ""  #: "" for the name as a flag: producer_sleep -> --producer-sleep
    key: str | None = ""  #: "" for the name itself; None: not a scenario key
    live: bool = False
    unit: str = ""
    help: str = ""

    def __post_init__(self) -> None:
        if not self.flag:
            object.__setattr__(self, "flag", "--" + self.name.replace("_", "-"))
        if self.key == "":
            object.__setattr__(self, "key", self.name)

    @property
    def span(self) -> str:
        """The allowed bounds as people read them: ``1–64``, ``0.1–1``, ``0–10 s``."""
        if self.kind == "int":
            return f"{int(self.lo)}–{int(self.hi)}{self.unit}"
        return f"{self.lo:g}–{self.hi:g}{self.unit}"

    @property
    def allowed(self) -> str:
        """What fits, as the end of "``name`` must be …"."""
        if self.kind == "int":
            return f"an integer in {self.span}"
        if self.kind == "float":
            return f"a number in {self.span}"
        if self.kind == "text":
            return self.help
        if self.kind == "range":
            return f"two numbers MIN MAX in {self.span} with MIN <= MAX"
        return "one of " + ", ".join(self.choices)

    def bound(self) -> Setting:
        """For a ``range``: the setting of either end alone (a ``float`` in the same
        bounds), which a front end checks before it has both ends."""
        return dataclasses.replace(self, kind="float")


def _is_number(x: object) -> TypeGuard[int | float]:
    return isinstance(x, int | float) and not isinstance(x, bool)


def check(setting: Setting | str, value: object) -> Any:
    """``value`` if it fits ``setting`` (a row, or the name of one in :data:`SETTINGS`),
    in its canonical type: an int, a float, a tuple of two floats, a string. Else
    :class:`ConfigError` naming the setting and what is allowed. The one validator of
    every setting and every number a front end takes."""
    s = SETTINGS[setting] if isinstance(setting, str) else setting
    if value is None and s.optional:
        return None
    if s.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not s.lo <= value <= s.hi:
            raise ConfigError(s.name, s.allowed, value)
        return value
    if s.kind == "float":
        if not _is_number(value) or not math.isfinite(value) or not s.lo <= value <= s.hi:
            raise ConfigError(s.name, s.allowed, value)
        return float(value)
    if s.kind == "range":
        if not isinstance(value, tuple | list) or len(value) != 2:
            raise ConfigError(s.name, s.allowed, value)
        a, b = value
        if not all(_is_number(x) and math.isfinite(x) for x in (a, b)):
            raise ConfigError(s.name, s.allowed, value)
        if not s.lo <= a <= b <= s.hi:
            raise ConfigError(s.name, s.allowed, tuple(value))
        return (float(a), float(b))
    if s.kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(s.name, "a non-empty text", value)
        return value.strip()
    if value not in s.choices:
        raise ConfigError(s.name, s.allowed, value)
    return value


#: Every setting of a simulation, in the order of :class:`SimulationConfig`'s fields.
SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("producers", "int", 1, 64, live=True, help="how many producers"),
        Setting("consumers", "int", 1, 64, live=True, help="how many consumers"),
        Setting("capacity", "int", 1, 1000, help="buffer slots"),
        Setting("producer_sleep", "range", 0, 10, live=True, unit=" s", help=SLEEP_HELP),
        Setting("consumer_sleep", "range", 0, 10, live=True, unit=" s", help=WORK_HELP),
        Setting("backend", "choice", choices=BACKENDS, help="default: threads"),
        # 2**31 - 1 fits a Qt spin box, so every front accepts the same seeds
        Setting("seed", "int", 0, 2**31 - 1, optional=True, help="reproducible sleep draws"),
        # a headless run's budget, so not a key of scenario files
        Setting("items", "int", 1, 10**9, optional=True, key=None, help=ITEMS_HELP),
        Setting("time_scale", "float", 0.1, 1, live=True, help=SLOW_HELP),
        Setting("buffer", "choice", choices=BUFFERS, help=BUFFER_HELP),
        Setting("bug", "choice", choices=BUGS, help=BUG_HELP),
        Setting("full_policy", "choice", choices=FULL_POLICIES, live=True, help=POLICY_HELP),
        Setting("put_timeout", "float", 0.001, 10, live=True, unit=" s", help=PUT_TIMEOUT_HELP),
        Setting("work", "choice", choices=WORKS, live=True, help=WORK_KIND_HELP),
        # where the redis backend's broker is: never a scenario key (it may hold a password)
        Setting("broker", "text", optional=True, key=None, help=BROKER_HELP),
        Setting("listen", "text", optional=True, key=None, help=LISTEN_HELP),
        Setting(
            "shutdown", "choice", choices=SHUTDOWNS, optional=True, live=True, help=SHUTDOWN_HELP
        ),
    )
}

#: Settings a running simulation takes at once; the others wait for the next start.
LIVE_FIELDS: frozenset[str] = frozenset(s.name for s in SETTINGS.values() if s.live)


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One complete, valid set of settings. Construct it and it is checked."""

    producers: int = 3
    consumers: int = 2
    capacity: int = 10
    producer_sleep: tuple[float, float] = (0.1, 0.5)
    consumer_sleep: tuple[float, float] = (0.2, 0.7)
    backend: str = "threads"
    seed: int | None = None
    items: int | None = None
    #: slow motion for demos: 0.5 makes every sleep (and animation) twice as long
    time_scale: float = 1.0
    #: which bounded buffer the workers share (see :data:`BUFFERS`)
    buffer: str = "queue"
    #: a classic bug switched on in the ``condition`` buffer (see :data:`BUGS`)
    bug: str = "none"
    #: what a producer does when the buffer is full (see :data:`FULL_POLICIES`); live:
    #: the next put follows the new policy
    full_policy: str = "block"
    #: seconds a put waits under ``full_policy = "timeout"`` before it drops its item
    put_timeout: float = 0.1
    #: what each drawn working time is: a sleep, or that long of computation on an idle
    #: core (see :mod:`~simulator.engine.cpu`)
    work: str = "sleep"
    #: the redis backend's broker URL (None: a private ``redis-server``)
    broker: str | None = None
    #: the redis backend's private server listens on this address (None: 127.0.0.1 only)
    listen: str | None = None
    #: how the run ends (see :data:`SHUTDOWNS`); None: not chosen, today's stop (an item
    #: limit drains, a stop halts at once). Read at the stop, so it is "live"
    shutdown: str | None = None

    def __post_init__(self) -> None:
        # field by field in the table's order, so the first bad one is the one named
        for name, setting in SETTINGS.items():
            object.__setattr__(self, name, check(setting, getattr(self, name)))
        # then the rules across fields: what combines with what
        if self.backend == "processes" and self.buffer != "queue":
            raise ConfigError("buffer", "queue with the processes backend", self.buffer)
        if self.backend == "redis" or self.broker is not None or self.listen is not None:
            _check_redis(self)
        if self.bug in BUFFER_BUGS:
            if self.buffer != "condition":
                raise ConfigError("buffer", "condition when a bug is chosen", self.buffer)
            if self.backend not in ("threads", "asyncio"):
                raise ConfigError(
                    "backend", "threads or asyncio when a bug is chosen", self.backend
                )
            # a bug shows what goes wrong while producers wait on a full buffer: every
            # other policy changes that wait, so the bugs need the one that waits
            if self.full_policy != "block":
                raise ConfigError("full_policy", "block when a bug is chosen", self.full_policy)
        if self.backend == "processes" and self.full_policy not in PROCESS_POLICIES:
            raise NotOffered("full_policy", self.full_policy, "processes", DROP_OLDEST_WHY)

    def replace(self, **changes: object) -> SimulationConfig:
        """A copy with ``changes`` applied and validated."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def changed_fields(self, other: SimulationConfig) -> set[str]:
        """Names of the fields whose values differ from ``other``."""
        return {
            f.name
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        }

    def sleep_for(self, role: str) -> tuple[float, float]:
        return self.producer_sleep if role == "producer" else self.consumer_sleep

    def effective_sleep(self, role: str) -> tuple[float, float]:
        """The sleep range the workers really use: the setting stretched by the time scale."""
        lo, hi = self.sleep_for(role)
        return lo / self.time_scale, hi / self.time_scale


#: why the redis backend offers only the full policy block
REDIS_POLICY_WHY = (
    "a producer waits on the broker's free-slot tokens; the other policies are not written "
    "as Lua scripts yet"
)


#: why the redis backend offers no ending ``join`` (DESIGN: drain, poison-pill, terminate)
REDIS_SHUTDOWN_WHY = (
    "a join() across machines would need every worker's task_done counted on the broker; "
    "end by drain, poison-pill or terminate, or use threads, asyncio or processes"
)


def _check_redis(cfg: SimulationConfig) -> None:
    """What combines with the redis backend (DESIGN: buffer queue, no bug, full policy
    block, a well-formed broker URL; --broker and --listen only with it, and not
    together)."""
    if cfg.backend != "redis":
        field = "broker" if cfg.broker is not None else "listen"
        raise ConfigError(field, "given only with the redis backend", cfg.backend)
    if cfg.buffer != "queue":
        raise ConfigError("buffer", "queue with the redis backend", cfg.buffer)
    if cfg.bug != "none":
        raise ConfigError("backend", "threads or asyncio when a bug is chosen", cfg.backend)
    if cfg.full_policy != "block":  # a producer waits on the broker's free-slot tokens
        raise NotOffered("full_policy", cfg.full_policy, "redis", REDIS_POLICY_WHY)
    if cfg.shutdown == "join":
        raise NotOffered("shutdown", cfg.shutdown, "redis", REDIS_SHUTDOWN_WHY)
    if cfg.broker is not None:
        if cfg.listen is not None:
            allowed = "left out with --broker (it opens the private server)"
            raise ConfigError("listen", allowed, cfg.listen)
        from simulator.engine.broker_url import BrokerUrlError, parse_broker_url

        try:
            parse_broker_url(cfg.broker)
        except BrokerUrlError as err:
            raise ConfigError("broker", str(err), redact_url(cfg.broker)) from None


def redact_url(url: str) -> str:
    """``url`` with any password shown as ``***`` (what every output shows)."""
    from simulator.engine.broker_url import redact

    return redact(url)
