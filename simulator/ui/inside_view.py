"""The Inside view: the code panel (:mod:`.code_panel`) beside the buffer's primitives in
words — who holds the lock and who waits for it, each condition's waiters, the semaphore
counts, ``unfinished_tasks`` — and a worker list to pick whose line is highlighted.

The primitives come from :attr:`Snapshot.inside` (kept by the engine from the inside
events, when the run was started with them). Without it the condition waiters are derived
from the workers' states (a producer waiting on a full buffer waits on ``not_full``...) and
the panel says what is not traced, rather than inventing it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.simulation import Snapshot
from simulator.engine.workers import WorkerState
from simulator.ui import theme
from simulator.ui.canvas_scene import deadlock_text
from simulator.ui.code_panel import CodePanel

NOBODY = "–"


def wait_names(buffer: str, bug: str) -> dict[str, str]:
    """What a producer waiting on a full buffer, and a consumer on an empty one, wait
    on, in the words of the buffer's code (the engine's own table when it has one)."""
    if bug == "lost-wakeup":
        return {WorkerState.WAITING_FULL: "changed", WorkerState.WAITING_EMPTY: "changed"}
    if buffer == "semaphore":
        return {WorkerState.WAITING_FULL: "empty", WorkerState.WAITING_EMPTY: "full"}
    return {WorkerState.WAITING_FULL: "not_full", WorkerState.WAITING_EMPTY: "not_empty"}


def _names(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(names) if names else NOBODY


def primitives(snap: Snapshot | None) -> dict[str, Any]:
    """What the primitives panel shows, as data: ``{"traced": bool, "lock": {...} |
    None, "conditions": {name: [workers]}, "semaphores": {name: count},
    "unfinished_tasks": int | None, "deadlock": bool, "waits": [[worker, on], ...]}``."""
    if snap is None:
        return {
            "traced": False,
            "lock": None,
            "conditions": {},
            "semaphores": {},
            "unfinished_tasks": None,
            "deadlock": False,
            "waits": [],
        }
    inside = getattr(snap, "inside", None)
    deadlock = bool(getattr(snap, "deadlock", False))
    waits = [list(w) for w in getattr(snap, "waits", ()) or ()]
    if isinstance(inside, dict):
        lock = inside.get("lock")
        return {
            "traced": True,
            # None from the engine: the buffer has no lock (asyncio.Queue)
            "lock": None
            if lock is None
            else {
                "name": str(lock.get("name", "mutex")),
                "holder": lock.get("holder"),
                "waiting": list(lock.get("waiting", [])),
            },
            "conditions": {k: list(v) for k, v in (inside.get("conditions") or {}).items()},
            "semaphores": dict(inside.get("semaphores") or {}),
            "unfinished_tasks": inside.get("unfinished_tasks"),
            "deadlock": deadlock,
            "waits": waits,
        }
    cfg = snap.config
    buffer = str(getattr(snap, "buffer_kind", getattr(cfg, "buffer", "queue")))
    names = wait_names(buffer, str(getattr(cfg, "bug", "none")))
    conditions: dict[str, list[str]] = {n: [] for n in names.values()}
    for w in snap.workers:
        on = names.get(w.state)
        if on is not None:
            conditions[on].append(w.name)
    return {
        "traced": False,
        "lock": None,
        "conditions": conditions,
        "semaphores": {},
        "unfinished_tasks": None,
        "deadlock": deadlock,
        "waits": waits,
    }


def primitives_lines(p: dict[str, Any], semaphore_buffer: bool = False) -> list[str]:
    """The primitives in words, one line each (what the panel shows)."""
    out: list[str] = []
    if p["deadlock"]:  # the canvas banner's words: who waits on what
        out.append(deadlock_text(p["waits"]))
    lock = p["lock"]
    if lock is None and p["traced"]:
        out.append("lock: none (asyncio.Queue runs on one thread; its waiters are futures)")
    elif lock is None:
        out.append("lock: not traced (View ▸ Inside on, then Start)")
    else:
        holder = lock["holder"] or "nobody (free)"
        waiting = _names(lock["waiting"])
        out.append(f"lock {lock['name']}: held by {holder} · waiting for it: {waiting}")
    kind = "semaphore" if semaphore_buffer or p["semaphores"] else "condition"
    for name, waiters in p["conditions"].items():
        label = "blocked on" if kind == "semaphore" and not p["traced"] else "waiting on"
        out.append(f"{label} {name}: {_names(waiters)}")
    meaning = {"empty": "free slots", "full": "items to take"}
    for name, count in p["semaphores"].items():
        extra = f" ({meaning[name]})" if name in meaning else ""
        out.append(f"semaphore {name} = {count}{extra}")
    tasks = p["unfinished_tasks"]
    if tasks is None:
        out.append("unfinished_tasks: not traced")
    else:
        out.append(f"unfinished_tasks = {tasks} (join() waits until 0)")
    return out


class PrimitivesView(QLabel):
    """The primitives, one line each, words beside colours (the deadlock line in the
    error colour)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("primitives")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setContentsMargins(6, 4, 6, 4)
        self.setAccessibleName("Lock, conditions, semaphores and unfinished tasks")
        self.shown: dict[str, Any] = primitives(None)
        self.lines: list[str] = []
        #: shown under the canvas (its banner says DEADLOCK): the window sets it
        self.under_canvas = False
        self.show_snapshot(None)

    def show_snapshot(self, snap: Snapshot | None, semaphore_buffer: bool = False) -> None:
        p = primitives(snap)
        lines = primitives_lines(p, semaphore_buffer)
        if lines == self.lines and p == self.shown:
            return
        self.shown, self.lines = p, lines
        # under the canvas, whose banner already says DEADLOCK and who waits on what, the
        # panel shows the primitives (in the error colour) without repeating that line
        shown = lines[1:] if p["deadlock"] and self.under_canvas else lines
        self.setText("\n".join(shown))
        self.restyle()

    def restyle(self) -> None:
        color = theme.hex_color("error" if self.shown["deadlock"] else "ink")
        weight = "bold" if self.shown["deadlock"] else "normal"
        self.setStyleSheet(f"QLabel#primitives {{ color: {color}; font-weight: {weight}; }}")


class InsideView(QWidget):
    """The Inside view as the window's :class:`~simulator.ui.window.View`: the code
    panel, the primitives and the workers to choose from."""

    workerSelected = Signal(str)

    def __init__(self, config: SimulationConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inside_view")
        self.code = CodePanel()
        self.prims = PrimitivesView()
        self.workers = QListWidget()
        self.workers.setObjectName("inside_workers")
        self.workers.setAccessibleName("Workers: pick one to highlight its line")
        self.workers.setToolTip("Pick a worker: its line in the code is highlighted")
        self.workers.setFlow(QListWidget.Flow.LeftToRight)  # a row of names, wrapping
        self.workers.setWrapping(True)
        self.workers.currentItemChanged.connect(self._picked)
        # the primitives and the worker list: a row the window puts under the canvas, near
        # the buffer they belong to; the code gets a wide tab of its own (see MainWindow)
        strip = QWidget()
        strip.setObjectName("inside_strip")
        strip_lay = QHBoxLayout(strip)
        strip_lay.setContentsMargins(4, 0, 4, 2)
        strip_lay.addWidget(self.prims, 1)
        strip_lay.addWidget(self.workers, 0, Qt.AlignmentFlag.AlignTop)
        self.strip = strip
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.code, 1)
        self._names: tuple[str, ...] = ()
        self.snapshot: Snapshot | None = None
        #: fed only while on (the window's View ▸ Inside): the markers cost per event
        self.active = False
        self.show_config(config)

    # ---- View ------------------------------------------------------------------------
    def reset(self) -> None:
        self.code.reset()
        self.snapshot = None
        self.prims.show_snapshot(None)

    def show_config(self, cfg: SimulationConfig) -> None:
        self.code.show_run(cfg.backend, _buffer(cfg), str(getattr(cfg, "bug", "none")))
        names = tuple(f"P{i}" for i in range(1, cfg.producers + 1)) + tuple(
            f"C{i}" for i in range(1, cfg.consumers + 1)
        )
        self._set_workers(names)

    def on_frame(self, batch: list[Event], total: int, snap: Snapshot) -> None:
        cfg = snap.config
        if not self.active:  # hidden: only the markers follow (cheap), nothing is drawn
            self.code.show_run(
                snap.backend,
                str(getattr(snap, "buffer_kind", _buffer(cfg))),
                str(getattr(cfg, "bug", "none")),
                draw=False,
            )
            if batch:
                self.code.tracker.feed(batch)
            self.code.tracker.sync(getattr(snap, "where", None))
            return
        self.code.show_run(
            snap.backend,
            str(getattr(snap, "buffer_kind", _buffer(cfg))),
            str(getattr(cfg, "bug", "none")),
        )
        self.code.on_events(batch, getattr(snap, "where", None))
        # a single step: the stepped worker's marker is the line it moved past
        last = snap.last_step if snap.state == "paused" else None
        moved = last is not None and last[0] and not last[1].startswith(f"{last[0]} cannot")
        self.code.show_step(last[0] if moved and last is not None else None)
        if snap is not self.snapshot:
            self.snapshot = snap
            if snap.workers:  # none yet while the run starts: keep the list
                self._set_workers(tuple(w.name for w in snap.workers))
            buffer = str(getattr(snap, "buffer_kind", _buffer(cfg)))
            self.prims.show_snapshot(snap, semaphore_buffer=buffer == "semaphore")

    # ---- selection -------------------------------------------------------------------
    def select(self, worker: str | None) -> None:
        """Highlight ``worker``'s line (from the list, or a click on its card)."""
        if worker is not None and worker in self._names:
            row = self._names.index(worker)
            if self.workers.currentRow() != row:
                self.workers.setCurrentRow(row)  # _picked does the rest
                return
        self.code.select(worker)

    def _picked(self, current: QListWidgetItem | None, _previous: object) -> None:
        name = current.text().split()[0] if current is not None else None
        self.code.select(name)
        if name:
            self.workerSelected.emit(name)

    def _set_workers(self, names: tuple[str, ...]) -> None:
        if names == self._names:
            return
        keep = self.code.selected
        self._names = names
        self.workers.blockSignals(True)
        self.workers.clear()
        for n in names:
            self.workers.addItem(QListWidgetItem(n))
        if keep in names:
            self.workers.setCurrentRow(names.index(keep))
        self.workers.blockSignals(False)
        # one or two rows of names beside the primitives: the canvas keeps the height
        fm = self.workers.fontMetrics()
        self.workers.setFixedHeight(fm.height() * 2 + 16)
        self.workers.setFixedWidth(fm.horizontalAdvance("C10 ") * 6 + 24)

    def restyle(self) -> None:
        self.code.restyle()
        self.prims.restyle()

    def set_text_px(self, px: int) -> None:
        self.code.set_text_px(px)
        names, self._names = self._names, ()
        self._set_workers(names)  # the list's size follows the text

    def dump(self) -> dict[str, Any]:
        """What the view shows: the markers ({worker: code line}), the primitives as
        shown, and the lines of text."""
        return {
            "markers": self.code.markers(),
            "stepped": {"worker": self.code.stepped, "line": self.code.stepped_line()},
            "primitives": self.prims.shown,
            "primitives_text": list(self.prims.lines),
            "functions": {name: s.fn.__qualname__ for name, s in self.code.sections.items()},
        }


def _buffer(cfg: SimulationConfig) -> str:
    return str(getattr(cfg, "buffer", "queue"))
