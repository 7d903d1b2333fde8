"""One command-line front: ``pcsim [gui] | run | sweep | compare | record | bench | worker``.

Only the subcommand that runs is imported: ``pcsim run`` never loads Qt, and the GUI's
modules are imported inside :func:`_gui`. Every flag is generated from, and checked by,
the config's table of settings (:data:`~simulator.engine.config.SETTINGS`), and any bad
input ends in one line that names the flag and its allowed range, with exit code 2
(never a traceback): each check raises :class:`UsageError`, which :func:`main` prints.
The headless run itself lives in :mod:`simulator.headless`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from simulator import exitcodes
from simulator.engine.config import SETTINGS, ConfigError, Setting, SimulationConfig, check
from simulator.scenarios.scenario import DEFAULT_DURATION_S, MAX_DURATION_S

if TYPE_CHECKING:
    from simulator.scenarios.scenario import Scenario
    from simulator.sweep import Outputs

PROG = "pcsim"
DURATION_HELP = "stop after this long (without draining)"
EXIT_AFTER_HELP = "start at once and quit after this long (for demos, tests and CI)"

#: the numbers only the command line takes (not settings of a simulation), checked by
#: the same :func:`~simulator.engine.config.check` as every setting
CLI_NUMBERS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("duration", "float", 0.001, MAX_DURATION_S, unit=" s", help=DURATION_HELP),
        Setting("minutes", "float", 0.1, 1440, unit=" min", help="how long `bench soak` runs"),
        Setting("seconds", "float", 0.5, 3600, unit=" s", help="how long to record"),
        Setting("fps", "int", 1, 60, help="frames per second"),
        Setting("exit_after", "float", 0.1, MAX_DURATION_S, unit=" s", help=EXIT_AFTER_HELP),
    )
}
#: ``pcsim sweep --seconds``: each point's run (its own row, as ``--seconds`` of record
#: means something else)
SWEEP_SECONDS = Setting("seconds", "float", 0.5, 3600, unit=" s", help="each point's run")
#: settings only ``pcsim run`` takes: a window run has no item budget
RUN_ONLY = frozenset({"items"})


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(exitcodes.USAGE, f"{self.prog}: error: {message}\n")


class UsageError(Exception):
    """Bad input: :func:`main` prints ``pcsim CMD: error: <message>`` as one line and
    exits 2. Raised before any work starts, by whatever finds the problem."""


def _checked(setting: Setting) -> Callable[[str], Any]:
    """An argparse ``type``: the text as a number, checked against ``setting``'s range by
    :func:`~simulator.engine.config.check`, so the flag and the config agree."""
    convert: Callable[[str], object] = int if setting.kind == "int" else float

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = text  # not a number at all: check() refuses it, naming the range
        try:
            return check(setting, value)
        except ConfigError as err:
            raise argparse.ArgumentTypeError(f"must be {err.allowed} (got {text!r})") from None

    parse.__name__ = setting.name  # argparse names the type in some messages
    return parse


def _add(group: Any, setting: Setting, **extra: Any) -> None:
    """The flag of ``setting``, generated from its row of the table; ``extra`` overrides
    (a default, a metavar)."""
    default = ", default %(default)s" if "default" in extra else ""
    help = f"{setting.help}, {setting.span}{default}"
    kwargs: dict[str, Any] = {"dest": setting.name, "help": help}
    if setting.kind == "text":  # checked with the whole config (see config.check)
        kwargs.update(type=str, metavar=setting.name.upper(), help=setting.help)
    elif setting.kind == "choice":
        kwargs.update(choices=setting.choices, default=None, help=setting.help)
    elif setting.kind == "range":
        kwargs.update(nargs=2, type=_checked(setting.bound()), metavar=("MIN", "MAX"))
    else:
        kwargs.update(type=_checked(setting), metavar="N" if setting.kind == "int" else "X")
    kwargs.update(extra)
    group.add_argument(setting.flag, **kwargs)


def _config_flags() -> argparse.ArgumentParser:
    """The flags that describe a simulation, shared by ``run``, ``gui`` and ``record``."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("simulation")
    for setting in SETTINGS.values():
        if setting.name not in RUN_ONLY:
            _add(g, setting)
    g.add_argument(
        "--scenario",
        metavar="NAME|PATH",
        help="start from a scenario (a shipped name or a .toml file); flags override it",
    )
    return p


def _run_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser(
        "run",
        parents=[common],
        help="run headless and report",
        description="Run a simulation without a window and report what happened.",
    )
    _add(run, CLI_NUMBERS["duration"], metavar="SECONDS")
    for name in sorted(RUN_ONLY):
        _add(run, SETTINGS[name])
    run.add_argument("--json", action="store_true", help="print one JSON object at the end")
    run.add_argument("--events", action="store_true", help="print every event as it happens")
    run.set_defaults(func=_run)


def _sweep_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    from simulator.sweep import KNOBS

    sweep = sub.add_parser(
        "sweep",
        parents=[common],
        help="vary one setting: each value run for real and in the model",
        description="Run one point per value of a setting, for real and in the ideal "
        "model, one after another; print a table, write JSON and a chart.",
    )
    sweep.add_argument(
        "--vary",
        nargs="+",
        required=True,
        metavar=("NAME", "VALUE"),
        help=f"the setting to vary, then its values; NAME is one of {', '.join(KNOBS)}",
    )
    _series_flags(sweep, "point")
    sweep.set_defaults(func=_sweep)


def _series_flags(parser: argparse.ArgumentParser, each: str) -> None:
    """The flags ``sweep`` and ``compare`` share (both run a series of runs one after
    another through :func:`simulator.sweep.run_series`): how long each of them runs,
    and where the table, the JSON and the chart go. ``each`` names one run ("point")."""
    _add(parser, SWEEP_SECONDS, default=5.0, metavar="SECONDS")
    parser.add_argument("--json", metavar="PATH", help=f"also write every {each} to PATH")
    parser.add_argument("--out", metavar="PATH", help="write the chart: chart.png or .svg")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="one JSON object per line instead of the table (for the window's dialog)",
    )


def _compare_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    from simulator.engine.config import BACKENDS

    # the ones on this machine alone (redis needs a redis-server: asked for by name)
    local = [b for b in BACKENDS if b != "redis"]

    compare = sub.add_parser(
        "compare",
        parents=[common],
        help="the same settings on each backend in turn, side by side",
        description="Run the same settings on each backend, one after another (a fresh "
        "engine each); print a table, write JSON and a bar chart. With --work cpu it "
        "shows the GIL: threads take turns, processes use the cores.",
    )
    compare.add_argument(
        "--backends",
        nargs="+",
        default=list(local),
        metavar="BACKEND",
        help=f"which backends, in order (default: {' '.join(local)}; also redis)",
    )
    _series_flags(compare, "run")
    compare.set_defaults(func=_compare)


def _bench_parser(sub: Any) -> None:
    bench = sub.add_parser(
        "bench",
        help="measure the engine and the window",
        description="Measure pcsim against bare Python queues and the window under load.",
    )
    bench.add_argument(
        "what",
        nargs="?",
        default="all",
        choices=["engine", "fidelity", "model", "gui", "scale", "startup", "all", "soak"],
    )
    bench.add_argument("--quick", action="store_true", help="shorter runs (about a minute)")
    bench.add_argument("--json", metavar="PATH", help="also write every figure to PATH")
    _add(bench, CLI_NUMBERS["minutes"], default=10.0, metavar="MINUTES")
    bench.set_defaults(func=_bench)


def _record_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    record = sub.add_parser(
        "record",
        parents=[common],
        help="record a demo to a GIF or MP4 (headless)",
        description="Run the window offscreen and record it to an animated GIF or an MP4.",
    )
    _add(record, CLI_NUMBERS["seconds"], default=5.0, metavar="SECONDS")
    record.add_argument("--out", required=True, metavar="PATH", help="demo.gif or demo.mp4")
    _add(record, CLI_NUMBERS["fps"], default=30)
    record.add_argument(
        "--size",
        default="1280x720",
        metavar="WxH",
        help="window size (320x240 to 3840x2160, default 1280x720)",
    )
    record.add_argument(
        "--view",
        choices=["window", "canvas"],
        default="window",
        help="record the whole window (default) or only the animated canvas",
    )
    record.set_defaults(func=_record)


def _gui_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    gui = sub.add_parser(
        "gui",
        parents=[common],
        help="open the window (the default)",
        description="Open the window.",
    )
    _add(gui, CLI_NUMBERS["exit_after"], metavar="SECONDS")
    gui.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window on exit")
    gui.add_argument(
        "--dump-view",
        metavar="PATH",
        help="on exit, write what every view shows (read from the widgets) as JSON",
    )
    gui.set_defaults(func=_gui)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand; each sets ``func``, the function that runs it."""
    parser = _Parser(
        prog=PROG,
        description="Watch real producers and consumers share a bounded buffer.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    common = _config_flags()
    _run_parser(sub, common)
    _sweep_parser(sub, common)
    _compare_parser(sub, common)
    _bench_parser(sub)
    _record_parser(sub, common)
    _gui_parser(sub, common)
    from simulator.worker_cli import add_parser as worker_parser  # light: no engine

    worker_parser(sub, _worker)
    return parser


def load_scenario(args: argparse.Namespace) -> Scenario | None:
    """The scenario named by ``--scenario``, or None; raises ScenarioError."""
    if getattr(args, "scenario", None) is None:
        return None  # '' is not "no scenario": resolve() refuses it by name
    from simulator.scenarios.scenario import load

    return load(args.scenario)


def config_from_args(
    args: argparse.Namespace, base: SimulationConfig | None = None
) -> SimulationConfig:
    """A validated config from the flags given; raises ConfigError naming the field."""
    base = base or SimulationConfig()
    changes: dict[str, object] = {}
    for field in SETTINGS:
        value = getattr(args, field, None)
        if value is not None:
            changes[field] = tuple(value) if isinstance(value, list) else value
    return base.replace(**changes)


def _settings(args: argparse.Namespace) -> tuple[Scenario | None, SimulationConfig]:
    """``(scenario or None, config)`` from --scenario and the flags; UsageError saying
    what is wrong and where if either is bad."""
    from simulator.scenarios.scenario import ScenarioError

    try:
        scenario = load_scenario(args)
        return scenario, config_from_args(args, scenario.config if scenario else None)
    except ConfigError as err:
        flag = SETTINGS[err.field].flag if err.field in SETTINGS else err.field
        raise UsageError(err.describe(flag)) from None
    except ScenarioError as err:
        raise UsageError(str(err)) from None


def _output_path(flag: str, path: str | None) -> None:
    """UsageError naming ``flag`` and why, unless ``path`` (an output file) can be
    written or is not given. Called before any work starts."""
    if path is None:
        return
    from simulator.resources import check_writable

    try:
        check_writable(path)
    except ValueError as err:
        raise UsageError(f"{flag}: {err}") from None


def _parse_size(text: str) -> tuple[int, int]:
    """``WxH`` as (w, h) within the sizes a recording takes; UsageError otherwise."""
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if 320 <= w <= 3840 and 240 <= h <= 2160:
        return w, h
    raise UsageError(f"--size must be WxH with W in 320–3840 and H in 240–2160 (got {text!r})")


def _run(args: argparse.Namespace) -> int:
    from simulator.headless import StopSignals, run_headless

    # first, so that a signal from here on still ends in a report and 128 + N
    with StopSignals() as signals:
        scenario, cfg = _settings(args)
        duration = args.duration
        if duration is None and args.items is None:
            duration = scenario.duration if scenario and scenario.duration else DEFAULT_DURATION_S
        code = _broker_ready(cfg)
        if code is not None:
            return code
        return run_headless(
            cfg,
            scenario,
            duration=duration,
            as_json=args.json,
            events=args.events,
            signals=signals,
        )


def _broker_ready(cfg: SimulationConfig) -> int | None:
    """For the redis backend, before any work: None if its broker can be used (a
    private ``redis-server`` can start, or ``--broker`` answers); else the exit code
    after one line (4: redis-server missing or the broker silent). A refused password is
    bad input (UsageError, exit 2)."""
    if cfg.backend != "redis":
        return None
    from simulator.engine.broker import BrokerError, check_broker, check_private

    try:
        if cfg.broker is not None:
            check_broker(cfg.broker)
        else:
            check_private()
    except BrokerError as err:
        if err.code == exitcodes.USAGE:
            raise UsageError(f"--broker: {err}") from None
        print(f"{PROG}: {err}", file=sys.stderr)
        return err.code
    return None


@contextlib.contextmanager
def _series_start(args: argparse.Namespace) -> Iterator[Outputs]:
    """How ``sweep`` and ``compare`` start: the stop signals caught first (so that a
    signal from here on still ends in what is done and 128 + N), Ctrl+C ignored in the
    window's child (a terminal's reaches the whole group; the parent decides), and
    ``--json`` and ``--out`` checked before any work. Yields where the results go."""
    from simulator.headless import StopSignals
    from simulator.sweep import Outputs, check_chart_output

    with StopSignals() as signals:
        if _IS_CHILD:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        _output_path("--json", args.json)
        if args.out is not None:
            try:
                check_chart_output(args.out)
            except ValueError as err:
                raise UsageError(f"--out: {err}") from None
        yield Outputs(signals, args.json, args.out, args.progress)


def _sweep(args: argparse.Namespace) -> int:
    from simulator.sweep import point_configs, run_sweep

    with _series_start(args) as to:
        _, cfg = _settings(args)  # a scenario's starting settings; its timeline plays no part
        name, *values = args.vary
        try:
            point_configs(cfg, name, values)  # every value, before the first point runs
        except ValueError as err:
            raise UsageError(str(err)) from None
        return run_sweep(cfg, name, values, args.seconds, to)


def _compare(args: argparse.Namespace) -> int:
    from simulator.compare import backend_configs, run_compare

    with _series_start(args) as to:
        if args.backend is not None:
            raise UsageError("--backend: compare runs every one of --backends; leave it out")
        _, cfg = _settings(args)
        try:
            backend_configs(cfg, args.backends)  # every backend, before the first run
        except ValueError as err:
            raise UsageError(str(err)) from None
        return run_compare(cfg, args.backends, args.seconds, to)


def _gui(args: argparse.Namespace) -> int:
    if args.screenshot is not None and args.exit_after is None:
        raise UsageError(
            "--screenshot: needs --exit-after SECONDS (the picture is taken just before "
            "the window closes)"
        )
    if args.dump_view is not None and args.exit_after is None:
        raise UsageError(
            "--dump-view: needs --exit-after SECONDS (the views are read just before the "
            "window closes)"
        )
    _output_path("--screenshot", args.screenshot)
    _output_path("--dump-view", args.dump_view)
    scenario, cfg = _settings(args)
    code = _broker_ready(cfg)
    if code is not None:
        return code
    from simulator.ui.app import run_app

    return run_app(
        cfg,
        exit_after=args.exit_after,
        screenshot=args.screenshot,
        scenario=scenario,
        dump_view=args.dump_view,
    )


def _record(args: argparse.Namespace) -> int:
    size = _parse_size(args.size)
    from simulator.ui.recorder import available, check_output

    try:
        check_output(args.out)
    except ValueError as err:
        raise UsageError(f"--out: {err}") from None
    scenario, cfg = _settings(args)
    problem = available()  # the input is good; what is missing is outside pcsim
    if problem:
        print(f"{PROG} record: {problem}", file=sys.stderr)
        return exitcodes.OUTSIDE
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # recording needs no screen
    from simulator.ui.app import RecordRequest, run_app

    request = RecordRequest(args.out, args.seconds, args.fps, size, args.view)
    return run_app(cfg, scenario=scenario, record=request)


def _worker(args: argparse.Namespace) -> int:
    from simulator.worker_cli import run

    return run(args)


def _bench(args: argparse.Namespace) -> int:
    _output_path("--json", args.json)
    from simulator.bench.report import run as bench

    return bench(args.what, args.quick, args.json, minutes=args.minutes)


def _become_child_if_asked() -> None:
    """A pcsim started by another (the window's Sweep dialog) with ``PCSIM_CHILD_OF=<pid>``
    dies with that parent, however it dies (:func:`~simulator.engine.lifeline.become_child`).
    The variable is taken out, so what this process starts does not inherit it."""
    from simulator.sweep import CHILD_ENV

    parent = os.environ.pop(CHILD_ENV, None)
    if parent and parent.isdigit():
        from simulator.engine import lifeline

        lifeline.become_child(int(parent))
        global _IS_CHILD
        _IS_CHILD = True


#: set by :func:`_become_child_if_asked`: Ctrl+C is the parent's to handle, not ours
_IS_CHILD = False


def main(argv: Sequence[str] | None = None) -> int:
    """``pcsim``: parse, run the subcommand, and turn bad input into one line, exit 2."""
    _become_child_if_asked()
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "gui")  # plain `pcsim` opens the window
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return exitcodes.USAGE
    except KeyboardInterrupt:  # Ctrl+C outside a run's own handling (imports, bench)
        print(f"{PROG}: interrupted", file=sys.stderr)
        return exitcodes.for_signal(signal.SIGINT)
