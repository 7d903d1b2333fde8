"""One command-line front: ``pcsim [gui] | run | ...``.

Only the subcommand that runs is imported: ``pcsim run`` never loads Qt, and the GUI's
modules are imported inside :func:`_gui`. Every flag is validated through
:class:`~simulator.engine.config.SimulationConfig`, and a bad value ends in one line
that names the flag and its allowed range, with exit code 2 (never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from simulator import exitcodes
from simulator.engine.config import SETTINGS, ConfigError, Setting, SimulationConfig, check

MAX_DURATION_S = 7 * 24 * 3600.0

#: the numbers only the command line takes (not settings of a simulation), checked by
#: the same :func:`~simulator.engine.config.check` as every setting
CLI_NUMBERS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("duration", "float", 0.001, MAX_DURATION_S, flag="--duration", unit=" s",
                help="stop after this long (without draining)"),
        Setting("minutes", "float", 0.1, 1440.0, flag="--minutes", unit=" min",
                help="how long `bench soak` runs"),
        Setting("seconds", "float", 0.5, 3600.0, flag="--seconds", unit=" s",
                help="how long to record"),
        Setting("fps", "int", 1, 60, flag="--fps", help="frames per second"),
        Setting("exit_after", "float", 0.1, MAX_DURATION_S, flag="--exit-after", unit=" s",
                help="start at once and quit after this long (for demos, tests and CI)"),
    )
}  # fmt: skip
#: settings only ``pcsim run`` takes: a window run has no item budget
RUN_ONLY = frozenset({"items"})


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(exitcodes.USAGE, f"{self.prog}: error: {message}\n")


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
    if setting.kind == "choice":
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pcsim",
        description="Watch real producers and consumers share a bounded buffer.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    common = _config_flags()

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

    bench = sub.add_parser(
        "bench",
        help="measure the engine and the window",
        description="Measure pcsim against bare Python queues and the window under load.",
    )
    bench.add_argument("what", nargs="?", default="all",
                       choices=["engine", "gui", "scale", "startup", "all", "soak"])  # fmt: skip
    bench.add_argument("--quick", action="store_true", help="shorter runs (about a minute)")
    bench.add_argument("--json", metavar="PATH", help="also write every figure to PATH")
    _add(bench, CLI_NUMBERS["minutes"], default=10.0, metavar="MINUTES")

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

    gui = sub.add_parser(
        "gui",
        parents=[common],
        help="open the window (the default)",
        description="Open the window.",
    )
    _add(gui, CLI_NUMBERS["exit_after"], metavar="SECONDS")
    gui.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window on exit")
    return parser


def load_scenario(args: argparse.Namespace):
    """The scenario named by ``--scenario``, or None; raises ScenarioError."""
    if getattr(args, "scenario", None) is None:
        return None  # '' is not "no scenario": resolve() refuses it by name
    from simulator.scenarios.scenario import load

    return load(args.scenario)


def config_from_args(args: argparse.Namespace, base: SimulationConfig | None = None):
    """A validated config from the flags given; raises ConfigError naming the field."""
    base = base or SimulationConfig()
    changes: dict[str, object] = {}
    for field in SETTINGS:
        value = getattr(args, field, None)
        if value is not None:
            changes[field] = tuple(value) if isinstance(value, list) else value
    return base.replace(**changes)


def _usage_error(parser: argparse.ArgumentParser, err: ConfigError) -> int:
    name = SETTINGS[err.field].flag if err.field in SETTINGS else err.field
    print(f"{parser.prog}: error: {err.describe(name)}", file=sys.stderr)
    return exitcodes.USAGE


def _report(snap, stop_latency_s: float, duration_s: float) -> dict[str, object]:
    cfg = snap.config
    p50, p95, p99 = snap.latency_ms
    return {
        "backend": cfg.backend,
        "producers": cfg.producers,
        "consumers": cfg.consumers,
        "capacity": cfg.capacity,
        "producer_sleep": list(cfg.producer_sleep),
        "consumer_sleep": list(cfg.consumer_sleep),
        "seed": cfg.seed,
        "items": cfg.items,
        "duration_s": round(duration_s, 4),
        "produced": snap.produced,
        "consumed": snap.consumed,
        "in_buffer": snap.in_buffer,
        "in_hand": snap.in_hand,
        "lost": snap.lost,
        "duplicates": snap.duplicates,
        "ok": snap.ok,
        "violations": list(snap.violations),
        "throughput_per_s": round(snap.consumed / duration_s, 2) if duration_s > 0 else 0.0,
        "max_occupancy": snap.max_occupancy,
        "mean_occupancy": round(snap.mean_occupancy, 3),
        "latency_ms": {"p50": round(p50, 3), "p95": round(p95, 3), "p99": round(p99, 3)},
        "producer_blocked_fraction": round(snap.producer_blocked, 4),
        "consumer_blocked_fraction": round(snap.consumer_blocked, 4),
        "waits_full": snap.waits_full,
        "waits_empty": snap.waits_empty,
        "stop_latency_ms": round(stop_latency_s * 1000.0, 2),
    }


def _table(report: dict[str, object]) -> str:
    """The report as the aligned table ``pcsim run`` prints without ``--json``."""
    lat = report["latency_ms"]
    rows = [
        (
            "backend",
            f"{report['backend']}  ({report['producers']} producers, "
            f"{report['consumers']} consumers, capacity {report['capacity']})",
        ),
        ("duration", f"{report['duration_s']:.2f} s"),
        ("produced / consumed", f"{report['produced']} / {report['consumed']}"),
        ("in buffer / in hand", f"{report['in_buffer']} / {report['in_hand']}"),
        ("lost / duplicates", f"{report['lost']} / {report['duplicates']}"),
        ("throughput", f"{report['throughput_per_s']:.1f} items/s"),
        ("occupancy max / mean", f"{report['max_occupancy']} / {report['mean_occupancy']:.2f}"),
        (
            "time in buffer",
            f"p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms",
        ),  # type: ignore[index]
        ("blocked (producers)", f"{100 * report['producer_blocked_fraction']:.1f} % of time"),
        ("blocked (consumers)", f"{100 * report['consumer_blocked_fraction']:.1f} % of time"),
        ("stop took", f"{report['stop_latency_ms']:.1f} ms"),
        ("invariant", "ok" if report["ok"] else "VIOLATED: " + "; ".join(report["violations"])),
    ]
    if "events_written" in report:
        unwritten = report["events_unwritten"]
        missing = f" ({unwritten:,} not written)" if unwritten else " (all)"
        rows.insert(-1, ("events written", f"{report['events_written']:,}{missing}"))
    if "signal" in report:
        rows.insert(-1, ("stopped by", str(report["signal"])))
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k:<{width}}  {v}\n" for k, v in rows)


def _settings(args: argparse.Namespace, parser: argparse.ArgumentParser):
    """``(scenario or None, config)`` from --scenario and the flags, or, if either is bad,
    the exit code after one line that says what and where."""
    from simulator.scenarios.scenario import ScenarioError

    try:
        scenario = load_scenario(args)
        return scenario, config_from_args(args, scenario.config if scenario else None)
    except ConfigError as err:
        return _usage_error(parser, err)
    except ScenarioError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return exitcodes.USAGE


class _Output:
    """Standard output, shared by the event writer, the captions and the report.

    A reader that goes away (``pcsim run --events | head -5``) is not an error of the
    run: the first ``BrokenPipeError`` sets :attr:`closed` and points file descriptor 1
    at ``os.devnull``, as the Python docs recommend, so that neither a later write nor
    the interpreter's flush at exit raises again. Everything after that is dropped.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.closed = threading.Event()
        self._lock = threading.Lock()  # one writer at a time: events, captions, report

    def write(self, text: str, flush: bool = True) -> bool:
        """Write ``text`` (and flush); False if the reader has gone (nothing written)."""
        with self._lock:
            if self.closed.is_set():
                return False
            try:
                self.stream.write(text)
                if flush:
                    self.stream.flush()
                return True
            except BrokenPipeError:
                self._close()
                return False

    def _close(self) -> None:
        self.closed.set()
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # not a real file (a test's StringIO): nothing to do
            pass


class _EventWriter:
    """``--events``: every event of the run, written by a thread of its own.

    Lossless by back-pressure: the channel is drained as fast as the output takes it, and
    whenever more than :attr:`HIGH` events wait, the simulation is paused until they are
    written. So a fast run slows down to the speed of its output (the user asked for
    every event) and memory stays bounded; the main thread meanwhile keeps the clock,
    the timeline and the signals. Should the channel ever overflow anyway, the events
    it dropped are counted in :attr:`unwritten` and reported, never hidden.
    """

    HIGH = 20_000  #: waiting events that pause the run until they are written
    CHANNEL_MAX = 2_000_000  #: a backstop far above HIGH (the pause keeps well below)

    def __init__(self, sim, out: _Output, line: Callable[[object], str]) -> None:
        self.sim = sim
        self.out = out
        self.line = line
        self.channel = sim.subscribe(maxlen=self.CHANNEL_MAX)
        self.written = 0
        self.pauses = 0
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pcsim-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Write whatever is still waiting (the run has stopped), then end the thread."""
        self._closing.set()
        self._thread.join()
        self.sim.unsubscribe(self.channel)

    @property
    def unwritten(self) -> int:
        return self.channel.dropped + len(self.channel)

    def _loop(self) -> None:
        while not self.out.closed.is_set():
            last = self._closing.is_set()  # read before draining: nothing arrives after
            self._write_waiting()
            if last:
                return
            self._closing.wait(0.02)

    def _write_waiting(self) -> None:
        while len(self.channel) and not self.out.closed.is_set():
            paused = False
            if len(self.channel) >= self.HIGH and self.sim.state == "running":
                self.sim.pause()  # a no-op once the run has stopped
                paused = True
                self.pauses += 1
            try:
                batch = self.channel.drain()
                if self.out.write("".join(map(self.line, batch))):
                    self.written += len(batch)
            finally:
                if paused:
                    self.sim.resume()  # likewise


class _StopSignals:
    """SIGINT, SIGTERM and SIGHUP all end ``pcsim run`` the way Ctrl+C should.

    The first one only records itself: the main loop sees it within one step, stops the
    run, prints the report and exits with 128 + the signal. Later ones are absorbed:
    "stopping…" once on stderr (written with ``os.write``, which is safe in a handler),
    never a ``KeyboardInterrupt`` in the middle of the stop. Installed only from the
    main thread (Python's rule for handlers); the previous handlers come back on exit.
    """

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.signum: int | None = None
        self._told = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for name in self.NAMES:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
        elif not self._told:
            self._told = True
            with contextlib.suppress(OSError):
                os.write(2, "stopping…\n".encode())

    @property
    def exit_code(self) -> int | None:
        return None if self.signum is None else exitcodes.for_signal(self.signum)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    with _StopSignals() as signals:
        return _run_until_stopped(args, parser, signals)


def _run_until_stopped(args: argparse.Namespace, parser: argparse.ArgumentParser,
                       signals: _StopSignals) -> int:  # fmt: skip
    from simulator.engine.events import describe, to_json
    from simulator.engine.simulation import Simulation
    from simulator.scenarios.scenario import TimelinePlayer

    settings = _settings(args, parser)
    if isinstance(settings, int):
        return settings
    scenario, cfg = settings
    try:
        cfg = cfg.replace(items=args.items)
    except ConfigError as err:
        return _usage_error(parser, err)
    if args.duration is None and args.items is None:
        args.duration = scenario.duration if scenario and scenario.duration else 10.0
    timeline = TimelinePlayer(scenario)
    applied: list[dict[str, object]] = []
    out = _Output(sys.stdout)
    sim = Simulation(cfg)
    line = (lambda ev: json.dumps(to_json(ev)) + "\n") if args.json else (
        lambda ev: describe(ev) + "\n")  # fmt: skip
    writer = _EventWriter(sim, out, line) if args.events else None

    if signals.signum is None:  # a signal during the imports: nothing to start
        t0 = time.monotonic()
        sim.start()
        if writer is not None:
            writer.start()
        deadline = t0 + args.duration if args.duration is not None else None
        while not (sim.finished.is_set() or signals.signum or out.closed.is_set()):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            step = 0.05 if deadline is None else max(0.0, min(0.05, deadline - now))
            sim.finished.wait(step)
            for cfg, st in timeline.play(time.monotonic() - t0, sim.config):
                sim.apply(cfg)
                applied.append({"at": st.at, "applied_at": round(time.monotonic() - t0, 3),
                                "set": {k: list(v) if isinstance(v, tuple) else v
                                        for k, v in st.changes.items()},
                                "caption": st.caption})  # fmt: skip
                if st.caption and not args.json:
                    out.write(f"[{st.at:6.1f} s] {st.caption}\n")
        duration = time.monotonic() - t0
    else:
        duration = 0.0
    # The stop: signals only set a flag now, so nothing below can be interrupted halfway.
    stop_latency = sim.stop()
    if writer is not None:
        writer.close()
    if out.closed.is_set():
        return exitcodes.PIPE  # quietly: whoever read our output has what they wanted
    report = _report(sim.snapshot(), stop_latency, duration)
    if scenario is not None:
        report["scenario"] = scenario.name
        report["timeline"] = applied
    if writer is not None:
        report["events_written"] = writer.written
        report["events_unwritten"] = writer.unwritten
        if writer.unwritten:
            print(f"pcsim: {writer.unwritten:,} events could not be written "
                  f"({writer.written:,} were)", file=sys.stderr)  # fmt: skip
    if signals.signum is not None:
        report["signal"] = signal.Signals(signals.signum).name
    if args.json:
        out.write(json.dumps(report) + "\n")
    else:
        out.write(_table(report))
    if out.closed.is_set():
        return exitcodes.PIPE
    if not report["ok"]:
        return exitcodes.BOOKS  # the books broke: that outranks how the run ended
    return signals.exit_code or exitcodes.OK


def _gui(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.screenshot is not None and args.exit_after is None:
        print(f"{parser.prog}: error: --screenshot: needs --exit-after SECONDS (the "
              "picture is taken just before the window closes)", file=sys.stderr)  # fmt: skip
        return exitcodes.USAGE
    if not _output_path(parser, "--screenshot", args.screenshot):
        return exitcodes.USAGE
    settings = _settings(args, parser)
    if isinstance(settings, int):
        return settings
    scenario, cfg = settings
    from simulator.ui.app import run_app

    return run_app(cfg, exit_after=args.exit_after, screenshot=args.screenshot,
                   scenario=scenario)  # fmt: skip


def _output_path(parser: argparse.ArgumentParser, flag: str, path: str | None) -> bool:
    """True if ``path`` (an output file named by ``flag``) can be written, or is not
    given; else one line naming the flag and why. Called before any work starts."""
    if path is None:
        return True
    from simulator.resources import check_writable

    try:
        check_writable(path)
    except ValueError as err:
        print(f"{parser.prog}: error: {flag}: {err}", file=sys.stderr)
        return False
    return True


def _parse_size(text: str) -> tuple[int, int] | None:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        return None
    return (w, h) if 320 <= w <= 3840 and 240 <= h <= 2160 else None


def _record(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    size = _parse_size(args.size)
    if size is None:
        print(f"{parser.prog}: error: --size must be WxH with W in 320–3840 and H in "
              f"240–2160 (got {args.size!r})", file=sys.stderr)  # fmt: skip
        return exitcodes.USAGE
    from simulator.ui.recorder import available, check_output

    try:
        check_output(args.out)
    except ValueError as err:
        print(f"{parser.prog}: error: --out: {err}", file=sys.stderr)
        return exitcodes.USAGE
    settings = _settings(args, parser)
    if isinstance(settings, int):
        return settings
    scenario, cfg = settings
    problem = available()  # the input is good; what is missing is outside pcsim
    if problem:
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return exitcodes.OUTSIDE
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # recording needs no screen
    from simulator.ui.app import run_app

    return run_app(cfg, scenario=scenario,
                   record=(args.out, args.seconds, args.fps, size, args.view))  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, "gui")  # plain `pcsim` opens the window
    args = parser.parse_args(argv)
    sub = parser._subparsers._group_actions[0].choices[args.command]  # type: ignore[union-attr]
    try:
        if args.command == "run":
            return _run(args, sub)
        if args.command == "record":
            return _record(args, sub)
        if args.command == "bench":
            if not _output_path(sub, "--json", args.json):
                return exitcodes.USAGE
            from simulator.bench.report import run as bench

            return bench(args.what, args.quick, args.json, minutes=args.minutes)
        return _gui(args, sub)
    except KeyboardInterrupt:  # Ctrl+C outside a run's own handling (imports, bench)
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return exitcodes.for_signal(signal.SIGINT)
