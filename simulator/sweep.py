"""``pcsim sweep``: one setting varied over a few values, each point run for real and in
the model, side by side.

A learner sees what a single run cannot show: how throughput and waiting change as one
knob turns ("adding consumers stops helping once the producers are the bottleneck"),
and that the ideal model (:mod:`simulator.theory`) agrees with the real threads,
processes or tasks. The points run one after another, never at once: two runs at the
same time would compete for the cores and each would measure the other.

Qt-free: the table and the JSON need no Qt; only ``--out`` draws the chart, through the
one chart module the window shares (:mod:`simulator.ui.chart`), imported at the end.
Every value is checked before the first point starts (:func:`point_configs`), so a typo
in the last value costs nothing.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator import exitcodes
from simulator.engine.config import SETTINGS, ConfigError, SimulationConfig, check

if TYPE_CHECKING:
    from simulator.headless import StopSignals


@dataclass(frozen=True, slots=True)
class Knob:
    """What ``--vary NAME`` changes: a config field, or one end (0 MIN, 1 MAX) of a
    sleep range, which keeps the other end."""

    name: str  #: as the user types it, the flag's words: ``consumer-sleep-max``
    field: str  #: the config field: ``consumer_sleep``
    end: int | None = None  #: for a range: 0 the MIN end, 1 the MAX end
    words: str = ""  #: for an axis title: "consumer sleep MAX (s)"


#: Everything ``--vary`` takes, in the order ``--help`` and the dialog list them.
KNOBS: dict[str, Knob] = {
    k.name: k
    for k in (
        Knob("consumers", "consumers", words="consumers"),
        Knob("producers", "producers", words="producers"),
        Knob("capacity", "capacity", words="buffer capacity (slots)"),
        Knob("consumer-sleep-max", "consumer_sleep", 1, "consumer sleep MAX (s)"),
        Knob("consumer-sleep-min", "consumer_sleep", 0, "consumer sleep MIN (s)"),
        Knob("producer-sleep-max", "producer_sleep", 1, "producer sleep MAX (s)"),
        Knob("producer-sleep-min", "producer_sleep", 0, "producer sleep MIN (s)"),
    )
}
#: at most this many points: a sweep is a handful of runs one after another
MAX_POINTS = 50
#: ``pcsim sweep --out``: the chart formats
CHART_FORMATS = (".png", ".svg")
#: set to the parent's pid, makes ``pcsim`` a child that dies with that parent
#: (:func:`simulator.engine.lifeline.become_child`); the window's Sweep dialog sets it
CHILD_ENV = "PCSIM_CHILD_OF"


def knob_value(cfg: SimulationConfig, knob: Knob) -> int | float:
    """The value ``knob`` has in ``cfg``."""
    value = getattr(cfg, knob.field)
    return value if knob.end is None else value[knob.end]


def point_configs(
    base: SimulationConfig, name: str, values: Sequence[str]
) -> tuple[Knob, list[int | float], list[SimulationConfig]]:
    """``(knob, values, configs)``: each value of ``--vary NAME`` as a number and as the
    whole config of its point. ValueError with the one line to show (naming ``--vary``,
    the value and what is allowed) if the name or any value is bad, before any work."""
    knob = KNOBS.get(name)
    if knob is None:
        raise ValueError(f"--vary: NAME must be one of {', '.join(KNOBS)} (got {name!r})")
    if not values:
        raise ValueError(f"--vary {name}: give at least one value after the name")
    if len(values) > MAX_POINTS:
        raise ValueError(f"--vary {name}: at most {MAX_POINTS} values (got {len(values)})")
    setting = SETTINGS[knob.field]
    if setting.kind == "range":
        setting = setting.bound()
    numbers: list[int | float] = []
    configs: list[SimulationConfig] = []
    for text in values:
        try:
            number: object = int(text) if setting.kind == "int" else float(text)
        except ValueError:
            number = text  # not a number: check() refuses it, naming the range
        try:
            value = check(setting, number)
        except ConfigError as err:
            raise ValueError(f"--vary {name}: must be {err.allowed} (got {text!r})") from None
        if knob.end is None:
            cfg = base.replace(**{knob.field: value})
        else:
            ends = list(getattr(base, knob.field))
            ends[knob.end] = value
            lo, hi = ends
            if lo > hi:
                other = "MAX" if knob.end == 0 else "MIN"
                raise ValueError(
                    f"--vary {name}: {text} would put the {knob.field.replace('_', ' ')}'s "
                    f"MIN above its MAX (its {other} is {ends[1 - knob.end]:g})"
                )
            cfg = base.replace(**{knob.field: (lo, hi)})
        numbers.append(value)
        configs.append(cfg)
    return knob, numbers, configs


def default_values(cfg: SimulationConfig, name: str) -> list[int | float]:
    """A sweep worth running from ``cfg``'s settings (what the window's dialog offers):
    counts 1 2 4 8 (plus the current one), capacities 1 to 100, a sleep end from a fifth
    to twice its current value, each within what the other end and the table allow."""
    knob = KNOBS[name]
    now = knob_value(cfg, knob)
    if knob.field in ("producers", "consumers"):
        return sorted({1, 2, 4, 8, int(now)})
    if knob.field == "capacity":
        return sorted({1, 2, 5, 10, 50, int(now)})
    lo, hi = getattr(cfg, knob.field)
    base = now or 0.1
    out = sorted({round(base * f, 3) for f in (0.2, 0.5, 1.0, 1.5, 2.0)})
    if knob.end == 0:
        out = [v for v in out if v <= hi]
    else:
        out = [v for v in out if lo <= v <= SETTINGS[knob.field].hi]
    return out or [now]


def config_args(cfg: SimulationConfig) -> list[str]:
    """The command-line flags that give ``cfg`` (every setting a sweep takes), for a
    child ``pcsim sweep``: ``["--producers", "3", ..., "--producer-sleep", "0.1", ...]``."""
    out: list[str] = []
    for name, setting in SETTINGS.items():
        value = getattr(cfg, name)
        if name == "items" or value is None:
            continue
        out.append(setting.flag)
        if isinstance(value, tuple):
            out += [repr(float(v)) for v in value]
        else:
            out.append(repr(value) if isinstance(value, float) else str(value))
    return out


def check_chart_output(path: str) -> Path:
    """``path`` if a chart can be written there (.png or .svg in a folder that takes new
    files); else ValueError saying why."""
    from simulator.resources import check_writable

    p = Path(path)
    if p.suffix.lower() not in CHART_FORMATS:
        raise ValueError(f"the chart must end in .png or .svg (got {p.name!r})")
    return check_writable(path)


def settings_json(cfg: SimulationConfig) -> dict[str, Any]:
    """The base settings as the sweep's JSON has them (ranges as lists)."""
    out: dict[str, Any] = {}
    for name in SETTINGS:
        value = getattr(cfg, name)
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def run_point(
    cfg: SimulationConfig, seconds: float, signals: StopSignals, model: bool = True
) -> tuple[dict[str, Any], bool]:
    """Run ``cfg`` for real for ``seconds`` of its clock (which starts when every worker
    is ready), then ask the model what a run that long from an empty buffer shows.
    Returns ``(point, complete)``: ``point`` holds ``measured`` (the keys of
    :func:`simulator.headless.report_of`), ``predicted``, ``bottleneck`` and ``ok``;
    ``complete`` is False if a signal cut the run short (its figures then cover less).
    Without ``model`` (``pcsim compare``) the model is not asked: ``predicted`` is {}."""
    from simulator.engine.simulation import Simulation
    from simulator.headless import report_of
    from simulator.theory import predict

    sim = Simulation(cfg)
    sim.start()
    try:
        while not (sim.ready.wait(0.05) or signals.signum):
            pass
        deadline = sim.started_at + seconds
        while not signals.signum:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(0.05, left))
        elapsed = sim.elapsed
    finally:
        stop_latency = sim.stop()
    measured: dict[str, Any] = dict(report_of(sim.snapshot(), stop_latency, elapsed))
    measured.pop("predicted")
    measured.pop("bottleneck")
    complete = signals.signum is None
    if not complete or not model:  # cut short: its figures are dropped, only its books count
        return {
            "measured": measured,
            "predicted": {},
            "bottleneck": "",
            "ok": measured["ok"],
        }, complete
    # after the stop, so the model's quarter second takes nothing from the run
    predicted = predict(cfg, duration_s=elapsed) if elapsed > 0 else predict(cfg)
    point = {
        "measured": measured,
        "predicted": predicted.as_json(),
        "bottleneck": predict(cfg).sentence(),  # the steady state's, as in pcsim run
        "ok": bool(measured["ok"]),
    }
    return point, complete


def _pct(x: object) -> str:
    return "–" if x is None else f"{100 * float(x):.0f} %"  # type: ignore[arg-type]


def _rate(x: object) -> str:
    return "–" if x is None else f"{float(x):.1f}"  # type: ignore[arg-type]


#: the table's columns: (header, width)
COLUMNS = (
    ("value", 8),
    ("measured/s", 11),
    ("predicted/s", 12),
    ("producers blocked", 18),
    ("consumers blocked", 18),
    ("books", 8),
)


def table_header(name: str) -> str:
    """The table's two header lines; the columns of blocked time are measured / predicted."""
    heads = [name if h == "value" else h for h, _ in COLUMNS]
    widths = [max(w, len(h)) for h, (_, w) in zip(heads, COLUMNS, strict=True)]
    line = "  ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
    subs = ("", "", "", "meas / pred", "meas / pred", "")
    sub = "  ".join(f"{s:>{w}}" for s, w in zip(subs, widths, strict=True))
    return line + "\n" + sub.rstrip() + "\n"


def table_row(name: str, value: int | float, point: dict[str, Any]) -> str:
    """One point's line of the table."""
    m, p = point["measured"], point["predicted"]
    cells = (
        f"{value:g}",
        _rate(m["throughput_per_s"]),
        _rate(p.get("throughput_per_s")),
        f"{_pct(m['producer_blocked_fraction'])} / {_pct(p.get('producer_blocked_fraction'))}",
        f"{_pct(m['consumer_blocked_fraction'])} / {_pct(p.get('consumer_blocked_fraction'))}",
        "balanced" if point["ok"] else "BROKE",
    )
    widths = [max(w, len(name) if h == "value" else len(h)) for h, w in COLUMNS]
    return "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)) + "\n"


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where ``pcsim sweep`` and ``pcsim compare`` put what they find, and what stops
    them: the options both take, and :func:`run_series` and :func:`finish` read."""

    #: looked at between runs: a signal ends the series after the run it is in (that
    #: run's figures are dropped, its books still count), with 128 + N
    signals: StopSignals
    #: also write the whole result there as JSON (the runs done, after a signal too)
    json_path: str | None = None
    #: write the chart there (``.png`` or ``.svg``); 4 if it cannot be written
    out_path: str | None = None
    #: one JSON object per line instead of the table, for the window's dialog:
    #: ``{"event": "start", …}``, per run ``{"event": "<run>_started", "index": i, …}``
    #: and ``{"event": "<run>", "index": i, "<run>": {…}}``, then ``{"event": "done",
    #: "<runs>": n}`` (``<run>``: ``point`` or ``run``)
    progress: bool = False
    #: where the text goes instead of standard output (a test's list); None: standard
    #: output, which a reader may close (exit 141, see :class:`_Output`)
    write: Callable[[str], None] | None = None


def run_sweep(
    base: SimulationConfig, name: str, values: Sequence[str], seconds: float, to: Outputs
) -> int:
    """Run the sweep (each value's point for real then in the model, one after another),
    print the table as points finish and each point's bottleneck sentence at the end,
    or the progress stream (``point_started`` with the ``value``, ``point``), and write
    ``to``'s JSON and chart. The values must have passed :func:`point_configs` (the
    caller reports its ValueError as bad input). Returns :func:`finish`'s exit code.
    """
    _, numbers, configs = point_configs(base, name, values)
    result: dict[str, Any] = {
        "vary": name,
        "values": numbers,
        "seconds": seconds,
        "backend": base.backend,
        "config": settings_json(base),
        "points": [],
    }

    def summary() -> list[str]:
        return [
            f"\n(predicted: the ideal model of a {seconds:g} s run from an empty buffer, as "
            "measured; the sentences: the long run)\n\n",
            *(f"{name} {point['value']:g}: {point['bottleneck']}\n" for point in result["points"]),
        ]

    return run_series(
        "sweep",
        result,
        "points",
        [({"value": value}, cfg) for value, cfg in zip(numbers, configs, strict=True)],
        seconds,
        to,
        model=True,
        header=table_header(name),
        entry=lambda fields, point: {**fields, **point},
        row=lambda point: table_row(name, point["value"], point),
        summary=summary,
    )


def run_series(
    command: str,
    result: dict[str, Any],
    key: str,
    runs: Sequence[tuple[dict[str, Any], SimulationConfig]],
    seconds: float,
    to: Outputs,
    *,
    model: bool,
    header: str,
    entry: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
    row: Callable[[dict[str, Any]], str],
    summary: Callable[[], list[str]],
) -> int:
    """The loop ``pcsim sweep`` and ``pcsim compare`` share: each of ``runs`` (what its
    ``<run>_started`` event tells, and its config) run by :func:`run_point` for
    ``seconds`` of its clock, one after another, its entry (``entry(fields, point)``)
    appended to ``result[key]`` and reported as ``to`` asks: the table (``header``, a
    ``row`` a run, then the pieces of ``summary()``) or the progress stream. ``summary``
    is called after the last run either way (it may add to ``result``). A signal or a closed
    output ends the series after the run it is in. Returns :func:`finish`'s exit code.
    """
    item = key[:-1]  # "points" -> "point": one run's word in the progress stream
    out = _Output() if to.write is None else None
    say = to.write or out.write  # type: ignore[union-attr]
    if to.progress:
        say(json.dumps({"event": "start", **result}) + "\n")
    else:
        say(header)
    books_broke = False
    for i, (fields, cfg) in enumerate(runs):
        if to.signals.signum or (out is not None and out.closed):
            break
        if to.progress:
            say(json.dumps({"event": f"{item}_started", "index": i, **fields}) + "\n")
        point, complete = run_point(cfg, seconds, to.signals, model=model)
        books_broke |= not point["ok"]
        if not complete:
            break  # cut short by a signal: its figures would not be an S-second run's
        done = entry(fields, point)
        result[key].append(done)
        if to.progress:
            say(json.dumps({"event": item, "index": i, item: done}) + "\n")
        else:
            say(row(done))
    tail = summary()
    if not to.progress:
        for text in tail:
            say(text)
    return finish(
        command,
        result,
        key,
        len(runs),
        to,
        say=say if to.progress else None,
        books_broke=books_broke,
        closed=out is not None and out.closed,
    )


def finish(
    command: str,
    result: dict[str, Any],
    key: str,
    total: int,
    to: Outputs,
    *,
    say: Callable[[str], None] | None,
    books_broke: bool,
    closed: bool,
) -> int:
    """The end that ``pcsim sweep`` and ``pcsim compare`` share: say a signal's stop,
    write the JSON and the chart, the progress stream's ``done`` (``say``, if given),
    and the exit code: 1 if any run's books broke (that outranks the rest), 141 quietly
    if the reader went away, 128 + N after signal N, 4 if the chart could not be
    written, else 0. ``key`` names ``result``'s list of runs ("points", "runs")."""
    done = len(result[key])
    if to.signals.signum is not None:
        result["signal"] = signal.Signals(to.signals.signum).name
        print(f"pcsim {command}: stopped after {done} of {total} {key}", file=sys.stderr)
    if to.json_path is not None:
        Path(to.json_path).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    code = exitcodes.OK
    if to.out_path is not None and done:
        problem = write_chart(result, to.out_path)
        if problem:
            print(f"pcsim {command}: --out: {problem}", file=sys.stderr)
            code = exitcodes.OUTSIDE
    if say is not None:
        say(json.dumps({"event": "done", key: done}) + "\n")
    if books_broke:
        return exitcodes.BOOKS
    if closed:
        return exitcodes.PIPE  # quietly: whoever read the table has what they wanted
    return to.signals.exit_code or code


def write_chart(result: dict[str, Any], path: str) -> str | None:
    """Draw the chart of ``result`` (a sweep's or a comparison's dict, see
    :func:`simulator.ui.chart.paint`) into ``path`` with Qt (offscreen if there is no
    screen); None, or why it could not be written."""
    import os

    if "QT_QPA_PLATFORM" not in os.environ and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a chart needs no screen
    try:
        from simulator.ui.chart import ensure_app, save_chart

        ensure_app()
        save_chart(result, path)
    except (OSError, ValueError, ImportError, RuntimeError) as err:
        return str(err)
    return None


class _Output:
    """Standard output that a reader may close (``pcsim sweep … | head -3``): the first
    BrokenPipeError sets :attr:`closed` and points file descriptor 1 at ``os.devnull``
    (as the Python docs advise), so nothing later raises; the sweep then ends after the
    point it is in, with exit code 141 and what it had written in the JSON."""

    def __init__(self) -> None:
        self.closed = False

    def write(self, text: str) -> None:
        if self.closed:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            import os

            self.closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
