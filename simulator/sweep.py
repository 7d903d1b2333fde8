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
    ("ok", 4),
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
        "ok" if point["ok"] else "BROKE",
    )
    widths = [max(w, len(name) if h == "value" else len(h)) for h, w in COLUMNS]
    return "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)) + "\n"


def run_sweep(
    base: SimulationConfig,
    name: str,
    values: Sequence[str],
    seconds: float,
    *,
    signals: StopSignals,
    json_path: str | None = None,
    out_path: str | None = None,
    progress: bool = False,
    write: Callable[[str], None] | None = None,
) -> int:
    """Run the sweep (each value's point for real then in the model, one after another),
    print the table as points finish and each point's bottleneck sentence at the end,
    write ``json_path`` and the chart ``out_path`` if given. The values must have passed
    :func:`point_configs` (the caller reports its ValueError as bad input).

    ``progress``: one JSON object per line on standard output instead of the table
    (``{"event": "start", ...}``, ``{"event": "point_started", "index": i}``,
    ``{"event": "point", "index": i, "point": {...}}``, ``{"event": "done", ...}``), for
    the window's dialog. Returns the exit code: 1 if any point's books broke (that
    outranks the rest), 128 + N after signal N (the points done are still printed and
    written), 4 if the chart could not be written, else 0.
    """
    _, numbers, configs = point_configs(base, name, values)
    out = _Output() if write is None else None
    say = write or out.write  # type: ignore[union-attr]
    result: dict[str, Any] = {
        "vary": name,
        "values": numbers,
        "seconds": seconds,
        "backend": base.backend,
        "config": settings_json(base),
        "points": [],
    }
    books_broke = False
    if progress:
        say(json.dumps({"event": "start", **result}) + "\n")
    else:
        say(table_header(name))
    for i, (value, cfg) in enumerate(zip(numbers, configs, strict=True)):
        if signals.signum or (out is not None and out.closed):
            break
        if progress:
            say(json.dumps({"event": "point_started", "index": i, "value": value}) + "\n")
        point, complete = run_point(cfg, seconds, signals)
        books_broke |= not point["ok"]
        if not complete:
            break  # cut short by a signal: its figures would not be an S-second run's
        point = {"value": value, **point}
        result["points"].append(point)
        if progress:
            say(json.dumps({"event": "point", "index": i, "point": point}) + "\n")
        else:
            say(table_row(name, value, point))
    if not progress:
        say(
            f"\n(predicted: the ideal model of a {seconds:g} s run from an empty buffer, as "
            "measured; the sentences: the long run)\n\n"
        )
        for point in result["points"]:
            say(f"{name} {point['value']:g}: {point['bottleneck']}\n")
    return finish(
        "sweep",
        result,
        "points",
        len(numbers),
        signals=signals,
        json_path=json_path,
        out_path=out_path,
        say=say if progress else None,
        books_broke=books_broke,
        closed=out is not None and out.closed,
    )


def finish(
    command: str,
    result: dict[str, Any],
    key: str,
    total: int,
    *,
    signals: StopSignals,
    json_path: str | None,
    out_path: str | None,
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
    if signals.signum is not None:
        result["signal"] = signal.Signals(signals.signum).name
        print(f"pcsim {command}: stopped after {done} of {total} {key}", file=sys.stderr)
    if json_path is not None:
        Path(json_path).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    code = exitcodes.OK
    if out_path is not None and done:
        problem = write_chart(result, out_path)
        if problem:
            print(f"pcsim {command}: --out: {problem}", file=sys.stderr)
            code = exitcodes.OUTSIDE
    if say is not None:
        say(json.dumps({"event": "done", key: done}) + "\n")
    if books_broke:
        return exitcodes.BOOKS
    if closed:
        return exitcodes.PIPE  # quietly: whoever read the table has what they wanted
    return signals.exit_code or code


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
