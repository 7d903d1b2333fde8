"""``pcsim run``: a simulation without a window, its event stream and its report.

The command line (``simulator.cli``) reads the flags and the scenario; this module runs
what they describe with :func:`run_headless` and ends in one exit code
(:mod:`simulator.exitcodes`). Qt is never imported here.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, NotRequired, TextIO, TypedDict

from simulator import exitcodes
from simulator.engine.events import item_label

if TYPE_CHECKING:
    from simulator.engine.config import SimulationConfig
    from simulator.engine.simulation import Simulation, Snapshot
    from simulator.scenarios.scenario import Scenario


class LatencyMs(TypedDict):
    """Percentiles of the time items spent in the buffer, in ms."""

    p50: float
    p95: float
    p99: float


class TimelineEntry(TypedDict):
    """One scenario step as ``pcsim run`` applied it."""

    at: float  #: when the scenario asked for it (s after the start)
    applied_at: float  #: when it was applied
    set: dict[str, object]  #: the changes (ranges as lists, as JSON has them)
    caption: str | None
    #: with the step's ``end``: the books of the run it ended
    ended: NotRequired[dict[str, object]]


class Report(TypedDict):
    """What ``pcsim run`` prints at the end: the settings, the books, the timings.

    ``--json`` writes it as is, in this order; the table shows the same numbers."""

    backend: str
    buffer: str
    bug: str
    #: what a producer did on a full buffer (block, timeout, drop-newest, drop-oldest)
    full_policy: str
    put_timeout: float
    producers: int
    consumers: int
    capacity: int
    producer_sleep: list[float]
    consumer_sleep: list[float]
    seed: int | None
    items: int | None
    duration_s: float
    produced: int
    consumed: int
    in_buffer: int
    in_hand: int
    lost: int
    duplicates: int
    #: dropped by the full policy (not a broken book: still ``ok``), with the first ids
    rejected: int
    overwritten: int
    rejected_ids: list[str]
    overwritten_ids: list[str]
    ok: bool
    violations: list[str]  #: the first ones (at most 20)
    violation_count: int  #: all of them
    throughput_per_s: float
    max_occupancy: int
    mean_occupancy: float
    latency_ms: LatencyMs
    producer_blocked_fraction: float
    consumer_blocked_fraction: float
    waits_full: int
    waits_empty: int
    stop_latency_ms: float
    #: from the start until every worker was ready (the clock starts then); None if the
    #: run was stopped before
    startup_ms: float | None
    #: what went wrong without breaking the books (a worker that had to be terminated
    #: holding nothing, a run stopped while starting)
    warnings: list[str]
    #: what the ideal model says these settings should give (the same keys, or
    #: ``throughput_per_s: null`` and a ``reason``), and the closed-form ``bounds``;
    #: for the settings at the start when a timeline changed them
    predicted: dict[str, Any]
    #: the bottleneck in one sentence, from the prediction
    bottleneck: str
    #: with --scenario: its name and the steps applied
    scenario: NotRequired[str]
    timeline: NotRequired[list[TimelineEntry]]
    #: with --events: the lines written, and any event that could not be (0)
    events_written: NotRequired[int]
    events_unwritten: NotRequired[int]
    #: ended by a signal: its name (SIGINT, SIGTERM, SIGHUP)
    signal: NotRequired[str]
    #: the run ended at a deadlock (exit 3): every worker waited and nothing moved
    deadlock: bool
    #: what failed outside the books and ended the run (exit 4: the broker vanished)
    failure: NotRequired[str]
    #: redis: the workers that joined through ``pcsim worker``, each with where it ran
    #: and the items it put (a producer) or consumed (a consumer)
    joined: NotRequired[list[dict[str, Any]]]
    #: with ``deadlock``: [worker, what it waits on ("not_full", "not_empty", ...)]
    waits: list[list[str]]
    #: "sleep" or "cpu" (see engine/cpu.py), and with cpu the kernel's measured speed
    work: str
    calibration: dict[str, float] | None
    #: False only on a free-threaded interpreter
    gil_enabled: bool
    #: the workers' CPU seconds over the run's seconds, in % of one core (None: not
    #: measurable); on asyncio the loop thread's
    cpu_percent: float | None
    #: per role: {"cpu_share": share of its time on a CPU (None on asyncio: per task it
    #: cannot be measured), "meant_share": share it was meant to work}
    cpu: dict[str, dict[str, float | None]]
    #: how the run ended (drain, poison-pill, join, terminate), None: a plain stop
    shutdown: str | None
    #: a chosen terminate: the items it discarded (in the buffer or in a hand at its
    #: moment), every id; not lost, still ``ok`` (exit 0, with a warning)
    discarded: int
    discarded_ids: list[str]
    #: the buffer's unfinished_tasks by the books at the end (put, not task_done)
    unfinished_tasks: int
    #: a join() that could never return: the items never marked done (exit 3); None
    stuck_join: list[str] | None


def dropped_warning(snap: Snapshot) -> list[str]:
    """The warning of a run whose full policy dropped items (none if it dropped none)."""
    if not snap.rejected and not snap.overwritten:
        return []
    return [
        f"full policy {snap.config.full_policy} dropped {snap.rejected + snap.overwritten} "
        f"items (rejected {snap.rejected}, overwritten {snap.overwritten}): counted, "
        "not lost"
    ]


def _ended(snap: Snapshot) -> dict[str, object]:
    """The books of a run a timeline step ended (``end``), for its timeline entry."""
    return {
        "shutdown": snap.ending,
        "produced": snap.produced,
        "consumed": snap.consumed,
        "discarded": snap.discarded,
        "lost": snap.lost,
        "unfinished_tasks": snap.unfinished_tasks,
        "ok": snap.ok,
    }


def report_of(snap: Snapshot, stop_latency_s: float, duration_s: float) -> Report:
    """The report of a stopped run from its last snapshot."""
    cfg = snap.config
    p50, p95, p99 = snap.latency_ms
    return {
        "backend": cfg.backend,
        "buffer": cfg.buffer,
        "bug": cfg.bug,
        "full_policy": cfg.full_policy,
        "put_timeout": cfg.put_timeout,
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
        "rejected": snap.rejected,
        "overwritten": snap.overwritten,
        "rejected_ids": [item_label(i) for i in snap.rejected_ids],
        "overwritten_ids": [item_label(i) for i in snap.overwritten_ids],
        "ok": snap.ok,
        "violations": list(snap.violations),
        "violation_count": snap.violation_count,
        "throughput_per_s": round(snap.consumed / duration_s, 2) if duration_s > 0 else 0.0,
        "max_occupancy": snap.max_occupancy,
        "mean_occupancy": round(snap.mean_occupancy, 3),
        "latency_ms": {"p50": round(p50, 3), "p95": round(p95, 3), "p99": round(p99, 3)},
        "producer_blocked_fraction": round(snap.producer_blocked, 4),
        "consumer_blocked_fraction": round(snap.consumer_blocked, 4),
        "waits_full": snap.waits_full,
        "waits_empty": snap.waits_empty,
        "stop_latency_ms": round(stop_latency_s * 1000.0, 2),
        "startup_ms": None if snap.startup_ms is None else round(snap.startup_ms, 1),
        "warnings": list(snap.warnings) + dropped_warning(snap),
        "predicted": {},
        "bottleneck": "",
        "deadlock": snap.deadlock,
        "waits": [list(w) for w in snap.waits],
        "work": cfg.work,
        "calibration": snap.calibration,
        "gil_enabled": snap.gil_enabled,
        "cpu_percent": None if snap.cpu_percent is None else round(snap.cpu_percent, 1),
        "cpu": snap.role_cpu,
        "shutdown": snap.ending,
        "discarded": snap.discarded,
        "discarded_ids": [item_label(i) for i in snap.discarded_ids],
        "unfinished_tasks": snap.unfinished_tasks,
        "stuck_join": (
            None if snap.stuck_join is None else [item_label(i) for i in snap.stuck_join]
        ),
    }


def _ms_or_dash(ms: float | None) -> str:
    return "– (stopped while starting)" if ms is None else f"{ms:,.0f} ms"


def _predicted(report: Report, key: str, fmt: str, scale: float = 1.0) -> str:
    """``  (predicted …)`` after a measured figure, or nothing if the model cannot say."""
    value = report["predicted"].get(key)
    if value is None:
        return ""
    return f"  (predicted {fmt.format(value * scale)})"


def _predicted_occupancy(report: Report) -> str:
    """The predicted mean occupancy, with its ± when the model knows it only that well
    (see :func:`simulator.theory.prediction.occupancy_text`)."""
    from simulator.theory.prediction import SHOW_SPREAD

    mean, pm = (
        report["predicted"].get("mean_occupancy"),
        report["predicted"].get("mean_occupancy_pm"),
    )
    if mean is None:
        return ""
    if pm is not None and pm >= max(0.1, SHOW_SPREAD * report["capacity"]):
        return f"  (predicted {mean:.2f} ± {pm:.2f})"
    return f"  (predicted {mean:.2f})"


def _violated(report: Report) -> str:
    """The first violations, one per line, and how many more there were."""
    shown = report["violations"][:5]
    more = report["violation_count"] - len(shown)
    lines = ["VIOLATED: " + shown[0] if shown else "VIOLATED", *shown[1:]]
    if more > 0:
        lines.append(f"… and {more:,} more")
    return "\n  ".join(lines)


def _share(x: float | None) -> str:
    return "not measurable per task" if x is None else f"{100 * x:.0f} %"


def _work_lines(report: Report) -> tuple[str, str]:
    """What the working time was, and how much of each role's time was on a CPU."""
    cal = report.get("calibration")
    speed = f" ({cal['iterations_per_ms']:,.0f} iterations/ms on one core)" if cal else ""
    cpu = report.get("cpu_percent")
    use = "" if cpu is None else f"; CPU {cpu:.0f} % of one core"
    roles = report.get("cpu", {})
    shares = "; ".join(
        f"{role}s {_share(r.get('cpu_share'))} (meant to work {_share(r.get('meant_share'))})"
        for role, r in roles.items()
    )
    gil = "" if report.get("gil_enabled", True) else "; no GIL (free-threaded)"
    return f"{report.get('work', 'sleep')}{speed}{use}{gil}", shares


def table(report: Report) -> str:
    """The report as the aligned table ``pcsim run`` prints without ``--json``: each
    figure the model predicts has its prediction beside it."""
    lat = report["latency_ms"]
    plat = report["predicted"].get("latency_ms")
    pred_lat = f"  (predicted p50 {plat['p50']:.1f}, p95 {plat['p95']:.1f})" if plat else ""
    reason = report["predicted"].get("reason")
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
        (
            "dropped by policy",
            f"{report['rejected']} rejected / {report['overwritten']} overwritten  "
            f"(full policy {report['full_policy']})",
        ),
        (
            "throughput",
            f"{report['throughput_per_s']:.1f} items/s"
            + _predicted(report, "throughput_per_s", "{:.1f}"),
        ),
        (
            "occupancy max / mean",
            f"{report['max_occupancy']} / {report['mean_occupancy']:.2f}"
            + _predicted_occupancy(report),
        ),
        (
            "time in buffer",
            f"p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms"
            + pred_lat,
        ),
        (
            "blocked (producers)",
            f"{100 * report['producer_blocked_fraction']:.1f} % of time"
            + _predicted(report, "producer_blocked_fraction", "{:.1f} %", 100),
        ),
        (
            "blocked (consumers)",
            f"{100 * report['consumer_blocked_fraction']:.1f} % of time"
            + _predicted(report, "consumer_blocked_fraction", "{:.1f} %", 100),
        ),
        ("bottleneck", report["bottleneck"]),
        ("work", _work_lines(report)[0]),
        ("on a CPU", _work_lines(report)[1]),
        ("workers ready after", _ms_or_dash(report["startup_ms"])),
        ("stop took", f"{report['stop_latency_ms']:.1f} ms"),
        ("invariant", "ok" if report["ok"] else _violated(report)),
    ]
    if report.get("shutdown"):
        ended = str(report["shutdown"])
        if report.get("discarded"):
            ids = report["discarded_ids"]
            ended += f": {report['discarded']} discarded ({', '.join(ids[:8])}"
            ended += " …)" if len(ids) > 8 else ")"
        if report.get("stuck_join") is not None:
            stuck = report["stuck_join"] or []
            ended += f": join() STUCK, never task_done: {', '.join(stuck[:8])}"
            ended += " …" if len(stuck) > 8 else ""
        rows.insert(-1, ("ended by", ended))
    if report.get("deadlock"):
        waits = ", ".join(f"{w} on {on}" for w, on in report.get("waits", []))
        rows.append(("deadlock", f"DEADLOCK: every worker waits ({waits})"))
    if reason:
        rows.insert(
            rows.index(("bottleneck", report["bottleneck"])) + 1, ("no prediction", reason)
        )
    if "events_written" in report:
        unwritten = report.get("events_unwritten", 0)
        missing = f" ({unwritten:,} not written)" if unwritten else " (all)"
        rows.insert(-1, ("events written", f"{report['events_written']:,}{missing}"))
    if "signal" in report:
        rows.insert(-1, ("stopped by", report["signal"]))
    for w in report.get("joined", []):  # redis: workers that joined via pcsim worker
        did = f"{w['put']} put" if "put" in w else f"{w['consumed']} consumed"
        rows.insert(-1, ("joined", f"{w['worker']} on {w['host']}: {did}"))
    if "failure" in report:
        rows.insert(-1, ("failed", report["failure"]))
    for warning in report["warnings"]:
        rows.insert(-1, ("warning", warning))
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k:<{width}}  {v}\n" for k, v in rows)


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

    def __init__(self, sim: Simulation, out: _Output, line: Callable[[Any], str]) -> None:
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


class StopSignals:
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
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for name in self.NAMES:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
        elif not self._told:
            self._told = True
            with contextlib.suppress(OSError):
                os.write(2, "stopping…\n".encode())

    @property
    def exit_code(self) -> int | None:
        """128 + the first signal, or None if none came."""
        return None if self.signum is None else exitcodes.for_signal(self.signum)


def _jsonable(changes: dict[str, object]) -> dict[str, object]:
    """A step's changes as JSON has them: a sleep range as a list."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}


def run_headless(
    config: SimulationConfig,
    scenario: Scenario | None,
    *,
    duration: float | None,
    as_json: bool,
    events: bool,
    signals: StopSignals,
) -> int:
    """Run ``config`` (playing ``scenario``'s timeline) until ``duration`` seconds have
    passed, or with ``config.items`` set until every item is consumed, or until a signal
    that ``signals`` (already installed) caught; print every event if ``events``, then the
    report (JSON or a table). Returns the exit code: 0, 1 if the books broke (that
    outranks how the run ended), 3 if it ended at a deadlock (it stops there), 128 + N
    after signal N, 141 if the reader went away."""
    from simulator.engine.events import describe, to_json
    from simulator.engine.simulation import Simulation
    from simulator.scenarios.scenario import TimelinePlayer
    from simulator.theory import predict

    timeline = TimelinePlayer(scenario)
    applied: list[TimelineEntry] = []
    out = _Output(sys.stdout)
    sim = Simulation(config, inside=events)  # --events prints the inside events too

    def json_line(ev: Any) -> str:
        return json.dumps(to_json(ev)) + "\n"

    def text_line(ev: Any) -> str:
        return describe(ev) + "\n"

    writer = _EventWriter(sim, out, json_line if as_json else text_line) if events else None

    if signals.signum is None:  # a signal during the imports: nothing to start
        sim.start()
        if writer is not None:
            writer.start()
        # The run's clock, its --duration and its timeline start when every worker is
        # ready (spawning 64 interpreters can take seconds); a signal still stops it.
        while not (sim.ready.wait(0.05) or signals.signum or out.closed.is_set()):
            pass
        t0 = sim.started_at
        deadline = t0 + duration if duration is not None else None
        while not (
            sim.finished.is_set()
            or sim.deadlocked.is_set()
            or sim.broken.is_set()
            or signals.signum
            or out.closed.is_set()
        ):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            step = 0.05 if deadline is None else max(0.0, min(0.05, deadline - now))
            sim.finished.wait(step)
            for cfg, st in timeline.play(time.monotonic() - t0, sim.config):
                sim.apply(cfg)
                entry: TimelineEntry = {
                    "at": st.at,
                    "applied_at": round(time.monotonic() - t0, 3),
                    "set": _jsonable(st.changes),
                    "caption": st.caption,
                }
                applied.append(entry)
                if st.caption and not as_json:
                    out.write(f"[{st.at:6.1f} s] {st.caption}\n")
                if st.end is not None:  # end this run so; a fresh one if more steps follow
                    sim.stop(ending=st.end)
                    entry["ended"] = _ended(sim.snapshot())
                    if not as_json:
                        out.write(f"         ended by {st.end}: {entry['ended']}\n")
                    if not timeline.done:
                        sim.start()
                        while not (sim.ready.wait(0.05) or signals.signum):
                            pass
        elapsed = sim.elapsed
    else:
        elapsed = 0.0
    # The stop: signals only set a flag now, so nothing below can be interrupted halfway.
    # The chosen ending (at the Nth item produced, or at the end of --duration); a
    # signal or a closed output stops at once.
    ending = None if signals.signum or out.closed.is_set() else config.shutdown
    stop_latency = sim.stop(ending=ending)
    if writer is not None:
        writer.close()
    if out.closed.is_set():
        return exitcodes.PIPE  # quietly: whoever read our output has what they wanted
    report = report_of(sim.snapshot(), stop_latency, elapsed)
    # After the stop, so the model's quarter second takes nothing from the run.
    # Figures for a run as long as this one (from an empty buffer, as it started); the
    # sentence from the steady state, which is what "the bottleneck" means.
    steady = predict(config)
    report["predicted"] = (
        predict(config, duration_s=report["duration_s"])
        if duration is not None and report["duration_s"] > 0
        else steady
    ).as_json()
    report["bottleneck"] = steady.sentence()
    if applied:
        report["predicted"]["settings"] = "at the start (the timeline changed them later)"
    if scenario is not None:
        report["scenario"] = scenario.name
        report["timeline"] = applied
    if writer is not None:
        report["events_written"] = writer.written
        report["events_unwritten"] = writer.unwritten
        if writer.unwritten:
            print(
                f"pcsim: {writer.unwritten:,} events could not be written "
                f"({writer.written:,} were)",
                file=sys.stderr,
            )
    if signals.signum is not None:
        report["signal"] = signal.Signals(signals.signum).name
    if as_json and (report["rejected"] or report["overwritten"]):
        print(f"pcsim: warning: {dropped_warning(sim.snapshot())[0]}", file=sys.stderr)
    last = sim.snapshot()
    if last.failure is not None:
        report["failure"] = last.failure
    if last.joined:
        report["joined"] = [
            {"worker": name, "host": host, "put" if name[:1] == "P" else "consumed": n}
            for name, host, n in last.joined
        ]
    if as_json and (report["discarded"] or report["stuck_join"] is not None):
        for w in report["warnings"]:
            if w.startswith(("terminate discarded", "join() can never")):
                print(f"pcsim: warning: {w}", file=sys.stderr)
    out.write(json.dumps(report) + "\n" if as_json else table(report))
    if out.closed.is_set():
        return exitcodes.PIPE
    if not report["ok"]:
        return exitcodes.BOOKS  # the books broke: that outranks how the run ended
    if report["deadlock"] or report["stuck_join"] is not None:
        return exitcodes.STUCK
    if "failure" in report:
        print(
            f"pcsim: {report['failure']} (the books above are those up to then)", file=sys.stderr
        )
        return exitcodes.OUTSIDE
    return signals.exit_code or exitcodes.OK
