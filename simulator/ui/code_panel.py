"""The code panel: the source of the functions a run really executes, with a marker per
worker on the line it is at now.

The text is ``inspect.getsource`` of the live functions (:func:`run_functions`): the
producer and consumer loops of the backend and the buffer's ``put`` and ``get`` for the
run's ``buffer`` and ``bug`` — never a copied text, so what is shown is what runs.

Markers come from events only (:class:`MarkerTracker`): each worker's last event names
where it is (a PUT_WAIT: on the buffer's wait line; a SLEEP: on the loop's sleep line;
with the inside events, LOCK_WAIT on ``with self.mutex``, COND_WAIT on ``.wait()``...).
A kind is mapped to a line by searching the function's source for a few patterns
(:data:`WHERE`), first found wins; a test holds every pattern to the real sources, so a
change of the engine's code cannot silently move a marker to a wrong line.
"""

from __future__ import annotations

import inspect
import keyword
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from simulator.engine.events import MAIN, Event, Kind, is_inside
from simulator.ui import theme

# ---- which functions run -------------------------------------------------------------
#: the order the sections are shown in: the buffer's put and get first (the Inside view is
#: about them: the lock, the conditions, the wait() lines), then the loops that call them
SECTIONS = ("put", "get", "producer", "consumer")

#: inside event kinds (``Kind`` 10..19 on the engine's side; plain ints here so the panel
#: also works with an engine that has not got them)
LOCK_WAIT, LOCK_HELD, LOCK_FREE, COND_WAIT, COND_WOKE = 10, 11, 12, 13, 14
NOTIFY, SEM_WAIT, SEM_TAKE, SEM_GIVE, TASKS = 15, 16, 17, 18, 19


def _queue_functions(backend: str) -> dict[str, Callable[..., Any]]:
    """The library queue's put and get as a run of ``backend`` executes them."""
    if backend == "asyncio":
        import asyncio

        return {"put": asyncio.Queue.put, "get": asyncio.Queue.get}
    if backend == "processes":
        from multiprocessing.queues import JoinableQueue

        return {"put": JoinableQueue.put, "get": JoinableQueue.get}
    import queue  # threads: CPython's own (they run when the code is shown)

    return {"put": queue.Queue.put, "get": queue.Queue.get}


def buffer_functions(backend: str, buffer: str = "queue", bug: str = "none") -> dict[str, Any]:
    """The buffer's ``put`` and ``get`` a run of these settings executes: the engine's own
    registry (``backends.buffer_code``) when it has one, else the library queue's (the
    only buffer an engine without it has)."""
    try:
        from simulator.engine import backends

        code = getattr(backends, "buffer_code", None)
        if code is not None:
            found = code(backend, buffer, bug)
            if {"put", "get"} <= set(found):
                return {"put": found["put"], "get": found["get"]}
    except (ImportError, KeyError, ValueError, TypeError):
        pass
    return _queue_functions(backend)


def loop_functions(backend: str) -> dict[str, Any]:
    """The producer and consumer loops of ``backend``: asyncio's coroutines, else the
    loops every thread and process runs."""
    if backend == "asyncio":
        from simulator.engine.backends.aio import AsyncioBackend

        return {"producer": AsyncioBackend._producer, "consumer": AsyncioBackend._consumer}
    from simulator.engine.backends.base import run_consumer, run_producer

    return {"producer": run_producer, "consumer": run_consumer}


def run_functions(backend: str, buffer: str = "queue", bug: str = "none") -> dict[str, Any]:
    """Every function the panel shows, by section (:data:`SECTIONS`)."""
    return loop_functions(backend) | buffer_functions(backend, buffer, bug)


def source_of(fn: Any) -> str:
    """``inspect.getsource`` of ``fn``, dedented (a method's text starts at column 0).

    A build without the ``.py`` files (a frozen app packed without them) gets a comment
    saying so instead of a window that cannot open; the packaged app ships them
    (assets/packaging/pcsim.spec)."""
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return f"# the source of {qualified(fn)} is not in this build\n"


def qualified(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


# ---- where each event puts a worker --------------------------------------------------
#: (section, patterns): the first pattern found in that section's source names the line;
#: "own" is the worker's loop (producer or consumer), "buf" the worker's side of the
#: buffer (put for a producer, get for a consumer). ``{v}`` is the event's value (the
#: primitive's name). Several (section, patterns) are tried in order.
Where = tuple[tuple[str, tuple[str, ...]], ...]
#: asyncio.Queue's wait: its putter / getter future (it has no condition)
_AWAIT = "await "
WHERE: dict[int, Where] = {
    Kind.STARTED: (("own", ("emit(started_event(",)),),
    Kind.STOPPED: (("own", ("stopped_event(",)),),
    Kind.ERROR: (("own", ("error_event(",)),),
    Kind.SLEEP: (
        ("producer", ("work(rt, NO_ITEM)", "self._work(t, NO_ITEM)")),
        ("consumer", ("work(rt, held)", "self._work(t, held)")),
    ),
    Kind.PRODUCED: (("producer", ("emit(produced_event(",)),),
    Kind.PUT_WAIT: (
        ("put", (".wait()", "_wait_for_room(", "_sim_down(", "await putter", "acquire(")),
    ),
    Kind.PUT: (
        ("put", ("self._sim_put(", "put_event(", "self._put(item)", "self.put_nowait(item)")),
        ("producer", ("emit(put_event(", "rt.put(held)")),
    ),
    Kind.GET_WAIT: (
        ("get", (".wait()", "_wait_for_item(", "_sim_down(", "await getter", "acquire(")),
    ),
    Kind.GOT: (
        ("get", ("self._sim_got(", "got_event(", "item = self._get()", "self.get_nowait()")),
        ("consumer", ("emit(got_event(", "rt.get()")),
    ),
    Kind.CONSUMED: (("consumer", ("task_done()",)),),
    LOCK_WAIT: (("buf", ("with self.mutex", "with self.not_full:", "with self.not_empty:")),),
    LOCK_HELD: (("buf", ("with self.mutex", "with self.not_full:", "with self.not_empty:")),),
    COND_WAIT: (("buf", ("{v}.wait()", ".wait()", "_wait_for_room(", "_wait_for_item(", _AWAIT)),),
    COND_WOKE: (("buf", ("{v}.wait()", ".wait()", "_wait_for_room(", "_wait_for_item(", _AWAIT)),),
    NOTIFY: (("buf", ("{v}.notify", ".notify")),),
    SEM_WAIT: (("buf", ("{v}.acquire", "_sim_down(self.{v}", "acquire(")),),
    SEM_TAKE: (("buf", ("{v}.acquire", "_sim_down(self.{v}", "acquire(")),),
    SEM_GIVE: (("buf", ("self.{v}.release()", ".release()")),),
    # the no-lock bug's race window: the worker read ``tail`` (put) or ``head`` (get)
    Kind.UNLOCKED_READ: (("buf", ("{v} = self.{v}",)),),
}
#: kinds that do not move the marker (it stays where the worker's last event put it)
STAY = frozenset({LOCK_FREE, TASKS})


def find_line(lines: list[str], pattern: str) -> int | None:
    """The index of the first line of ``lines`` that contains ``pattern`` outside a
    comment, or None."""
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0]
        if pattern in code:
            return i
    return None


@dataclass(frozen=True)
class Section:
    name: str  #: "producer", "consumer", "put", "get"
    fn: Any  #: the live function
    source: str  #: ``source_of(fn)``
    first: int  #: the panel's line number (0-based) of the source's first line

    @property
    def lines(self) -> list[str]:
        return self.source.splitlines()


@dataclass
class Mark:
    """Where one worker is: the panel line (0-based) and the line's code."""

    line: int
    code: str
    kind: int


def _role_section(worker: str, where: str) -> str:
    producer = worker.startswith("P")
    if where == "own":
        return "producer" if producer else "consumer"
    if where == "buf":
        return "put" if producer else "get"
    return where


class MarkerTracker:
    """Each worker's line, from the events (never from a guess): :meth:`feed` the events
    as they come, :attr:`marks` holds where each worker is now. Pure Python (no widget),
    so the mapping is testable on its own."""

    def __init__(self, sections: dict[str, Section]) -> None:
        self.sections = sections
        self.marks: dict[str, Mark] = {}
        self._ordinary: dict[str, int] = {}  # each worker's last ordinary kind (< 10)
        #: where each worker's last step-ending event (an ordinary one, or the no-lock
        #: race window's UNLOCKED_READ) put it: the line a single step moved past (the
        #: inside events that ride along after it move :attr:`marks` on, not this)
        self.step_marks: dict[str, Mark] = {}
        #: (is producer, kind, value, past its get) -> Mark: one dict look-up per event
        self._cache: dict[tuple[bool, int, str, bool], Mark | None] = {}

    def reset(self) -> None:
        """Forget the markers (a new run, or new sources: the cached lines too)."""
        self.marks.clear()
        self._ordinary.clear()
        self.step_marks.clear()
        self._cache.clear()

    def locate(self, worker: str, kind: int, value: object = "") -> Mark | None:
        """The line an event of ``kind`` by ``worker`` puts it on, or None when none of
        the kind's patterns is in the sources shown."""
        table = WHERE.get(int(kind))
        if table is None:
            return None
        v = str(value)
        for where, patterns in table:
            name = _role_section(worker, where)
            lockish = is_inside(kind) and int(kind) != Kind.UNLOCKED_READ
            if name == "get" and lockish and self._ordinary.get(worker) in (Kind.GOT, Kind.SLEEP):
                name = "consumer"  # a consumer past its get: the lock is task_done's
            if name.startswith("producer") != worker.startswith("P") and name in (
                "producer",
                "consumer",
            ):
                continue  # the other role's loop
            sec = self.sections.get(name)
            if sec is None:
                continue
            lines = sec.lines
            pats = [p.format(v=v) for p in patterns]
            if name == "consumer" and lockish:
                pats = ["task_done()"]
            for pattern in pats:
                i = find_line(lines, pattern)
                if i is not None:
                    return Mark(sec.first + i, lines[i].strip(), int(kind))
        return None

    def sync(self, where: dict[str, tuple[int, int, str]] | None) -> None:
        """Put every worker's marker where the frame's snapshot says it is
        (:attr:`~simulator.engine.simulation.Snapshot.where`, booked from every event):
        a frame carries only the newest events, so a worker whose last event was cut
        from it would keep an old line beside a snapshot that has it waiting. None (a
        run without the inside events): the events alone."""
        if where is None:
            return
        marks, ordinary, cache, locate = self.marks, self._ordinary, self._cache, self.locate
        for worker in [w for w in marks if w not in where]:
            del marks[worker]
        for worker, (last_ordinary, kind, value) in where.items():
            ordinary[worker] = last_ordinary
            if is_inside(kind):
                key = (worker[0] == "P", kind, value, last_ordinary in _PAST_GET)
            else:
                key = (worker[0] == "P", kind, "", False)
            try:
                mark = cache[key]
            except KeyError:
                mark = cache[key] = locate(worker, kind, value)
            if mark is not None:
                marks[worker] = mark

    def feed(self, events: Iterable[Event]) -> None:
        """Move the markers to where these events (in order) leave each worker (one
        dict look-up per event once each kind's line is known: it runs on every frame)."""
        marks, ordinary, cache, locate = self.marks, self._ordinary, self._cache, self.locate
        stopped, past_get, read = _K_STOPPED, _PAST_GET, _K_UNLOCKED_READ
        step_marks = self.step_marks
        for _t, kind, worker, _item, _size, value in events:
            if worker == MAIN:  # the main thread's poison pills: it runs no worker loop
                continue
            if kind == stopped:
                marks.pop(worker, None)  # gone: no marker
                ordinary.pop(worker, None)
                step_marks.pop(worker, None)
                continue
            if not is_inside(kind):  # where it is depends on the kind alone
                ordinary[worker] = kind
                key = (worker[0] == "P", kind, "", False)
            elif kind in STAY:
                continue
            else:  # on the lock: in get, or past it (task_done's)
                key = (worker[0] == "P", kind, str(value), ordinary.get(worker) in past_get)
            try:
                mark = cache[key]
            except KeyError:
                mark = cache[key] = locate(worker, kind, value)
            if mark is not None:
                marks[worker] = mark
                if not is_inside(kind) or kind == read:
                    step_marks[worker] = mark


_K_STOPPED = int(Kind.STOPPED)
_K_UNLOCKED_READ = int(Kind.UNLOCKED_READ)
_PAST_GET = (int(Kind.GOT), int(Kind.SLEEP))  # a consumer's kinds between get and done


# ---- the widget ----------------------------------------------------------------------
_KEYWORDS = [*keyword.kwlist, "self"]


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, strings, comments and the section headers: enough to read by, in the
    theme's colours (no dependency)."""

    def __init__(self, doc: QTextDocument) -> None:
        super().__init__(doc)
        self._kw = re.compile(r"\b(" + "|".join(_KEYWORDS) + r")\b")
        self._str = re.compile(r"(\"\"\"|'''|\"[^\"\n]*\"|'[^'\n]*')")
        self._comment = re.compile(r"#.*$")

    def _fmt(self, color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
        f = QTextCharFormat()
        f.setForeground(QColor(color))
        if bold:
            f.setFontWeight(QFont.Weight.Bold)
        f.setFontItalic(italic)
        return f

    def highlightBlock(self, text: str) -> None:
        dark = theme.NAME == "dark"
        kw = self._fmt("#C792EA" if dark else "#7A1FA2", bold=True)
        st = self._fmt("#C3E88D" if dark else "#1F6F2B")
        cm = self._fmt(theme.hex_color("muted"), italic=True)
        doc = self._fmt(theme.hex_color("muted"))
        # docstrings span lines: state 1 while inside one
        in_doc = self.previousBlockState() == 1
        start = 0
        if in_doc:
            end = text.find('"""')
            if end < 0:
                self.setFormat(0, len(text), doc)
                self.setCurrentBlockState(1)
                return
            self.setFormat(0, end + 3, doc)
            start = end + 3
        self.setCurrentBlockState(0)
        if text.startswith("# ──"):
            self.setFormat(0, len(text), self._fmt(theme.hex_color("ink"), bold=True))
            return
        for m in self._kw.finditer(text, start):
            self.setFormat(m.start(), m.end() - m.start(), kw)
        for m in self._str.finditer(text, start):
            if m.group(0) in ('"""', "'''"):
                rest = text.find(m.group(0), m.end())
                if rest < 0:
                    self.setFormat(m.start(), len(text) - m.start(), doc)
                    self.setCurrentBlockState(1)
                    return
                self.setFormat(m.start(), rest + 3 - m.start(), doc)
            else:
                self.setFormat(m.start(), m.end() - m.start(), st)
        c = self._comment.search(text, start)
        if c is not None and '"' not in text[: c.start()] and "'" not in text[: c.start()]:
            self.setFormat(c.start(), c.end() - c.start(), cm)


class _Gutter(QWidget):
    """The margin beside the code: the names of the workers on each line (like
    breakpoints), the selected worker's in bold on its colour."""

    def __init__(self, editor: CodePanel) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(self, event)


class CodePanel(QPlainTextEdit):
    """Read-only, monospaced source of the run's functions with the workers' markers in
    a gutter; the selected worker's line is highlighted. :meth:`show_run` picks the
    functions, :meth:`on_events` moves the markers."""

    workerClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setObjectName("code_panel")
        self.setAccessibleName("Code the workers run, with each worker's line")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPixelSize(max(12, theme.TEXT_PX))
        self.setFont(font)
        self.highlighter = PythonHighlighter(self.document())
        self.sections: dict[str, Section] = {}
        self.tracker = MarkerTracker(self.sections)
        self.selected: str | None = None
        #: the worker of the last single step: its marker is the line it just moved past
        #: (the line of the step's own event), drawn with an arrow (:meth:`show_step`)
        self.stepped: str | None = None
        self._key: tuple[str, str, str] | None = None
        self._text = ""
        self._stale = False  # the text of show_run(draw=False) not put in yet
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _n: self._update_margin())
        self.updateRequest.connect(self._on_update_request)
        self._update_margin()

    # ---- what is shown ---------------------------------------------------------------
    def show_run(
        self, backend: str, buffer: str = "queue", bug: str = "none", draw: bool = True
    ) -> None:
        """Show the functions a run of these settings executes (a no-op if shown;
        ``draw=False`` only when the panel is hidden: the text waits for the next show)."""
        key = (backend, buffer, bug)
        if key == self._key:
            if draw and self._stale:
                self._stale = False
                self.setPlainText(self._text)
                self._refresh_marks()
                self.follow()
            return
        self._key = key
        funcs = run_functions(backend, buffer, bug)
        parts: list[str] = []
        sections: dict[str, Section] = {}
        line = 0
        titles = {
            "producer": "producer loop",
            "consumer": "consumer loop",
            "put": "buffer put",
            "get": "buffer get",
        }
        for name in SECTIONS:
            fn = funcs[name]
            src = source_of(fn)
            header = f"# ── {titles[name]}: {qualified(fn)}"
            parts.append(header)
            line += 1
            sections[name] = Section(name, fn, src, line)
            parts.append(src.rstrip("\n"))
            line += len(src.rstrip("\n").splitlines())
            parts.append("")
            line += 1
        self.sections.clear()
        self.sections.update(sections)
        self.tracker.reset()
        self._text = "\n".join(parts)
        self._stale = not draw
        if draw:
            self.setPlainText(self._text)
            self._refresh_marks()

    def reset(self) -> None:
        self.tracker.reset()
        self._refresh_marks()

    def on_events(
        self, events: Iterable[Event], where: dict[str, tuple[int, int, str]] | None = None
    ) -> None:
        """Move the markers by ``events``, then to where the snapshot's ``where`` says
        (see :meth:`MarkerTracker.sync`); repaint only if one moved."""
        before = {w: m.line for w, m in self.tracker.marks.items()}
        self.tracker.feed(events)
        self.tracker.sync(where)
        after = {w: m.line for w, m in self.tracker.marks.items()}
        if before != after:
            self._refresh_marks()
            self.follow()

    def follow(self) -> None:
        """Keep the markers on the buffer's lines (put, get: where the waits are) in view
        while nobody is selected: scroll only when one is out of view, and only if all of
        them fit (a deadlock: every worker on a wait() line, all on screen)."""
        if self.selected is not None:
            return
        lines = sorted(
            m.line
            for m in self.tracker.marks.values()
            if any(
                s.first <= m.line < s.first + len(s.lines)
                for n, s in self.sections.items()
                if n in ("put", "get")
            )
        )
        if not lines:
            return
        first = self.firstVisibleBlock().blockNumber()
        line_h = max(1.0, self.blockBoundingRect(self.firstVisibleBlock()).height())
        rows = int(self.viewport().height() // line_h)  # whole lines in view
        if rows <= 0 or (first <= lines[0] and lines[-1] < first + rows):
            return  # all in view already
        if lines[-1] - lines[0] >= rows:
            return  # they do not fit: leave the scrolling to the reader
        top = max(0, lines[0] - (rows - (lines[-1] - lines[0] + 1)) // 2)
        self.verticalScrollBar().setValue(top)

    def show_step(self, worker: str | None) -> None:
        """Mark ``worker``'s line as the one its last single step moved past (None: no
        step on show, e.g. running)."""
        if worker != self.stepped:
            self.stepped = worker
            self._refresh_marks()

    def stepped_line(self) -> str | None:
        """The code of the line the stepped worker moved past (``--dump-view``)."""
        mark = self.tracker.step_marks.get(self.stepped or "")
        return None if mark is None else mark.code

    def _step_line_no(self) -> int | None:
        mark = self.tracker.step_marks.get(self.stepped or "")
        return None if mark is None else mark.line

    def gutter_text(self, line: int, workers: list[str]) -> str:
        """The gutter's words for one line: its workers (``P1,P3``), and ``▶ P2`` on the
        line the stepped worker moved past (its marker may be further on: the inside
        events after its step's event, such as the notify after a put, ride along).

        The stepped worker stands alone after the ▶, the others after a ``·``
        (``▶ P1 · P2``): "▶P1–2" would read as the item P1-2."""
        text = compact(workers) if workers else ""
        if line != self._step_line_no() or self.stepped is None:
            return text
        others = compact([w for w in workers if w != self.stepped])
        return f"▶ {self.stepped}" + (f" · {others}" if others else "")

    def _gutter_lines(self) -> dict[int, list[str]]:
        """:meth:`marker_lines` and the stepped worker's moved-past line."""
        lines = self.marker_lines()
        step = self._step_line_no()
        if step is not None:
            lines.setdefault(step, [])
        return lines

    def select(self, worker: str | None) -> None:
        """Highlight ``worker``'s line (None: nobody's) and scroll it into view."""
        self.selected = worker
        self._refresh_marks(scroll=True)

    def markers(self) -> dict[str, str]:
        """{worker: the code of its line}, what the gutter shows (``--dump-view``)."""
        return {w: m.code for w, m in sorted(self.tracker.marks.items(), key=_order)}

    def marker_lines(self) -> dict[int, list[str]]:
        """{panel line (0-based): [workers on it]}."""
        out: dict[int, list[str]] = {}
        for w, m in sorted(self.tracker.marks.items(), key=_order):
            out.setdefault(m.line, []).append(w)
        return out

    def restyle(self) -> None:
        self.highlighter.rehighlight()
        self._refresh_marks()

    def set_text_px(self, px: int) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(12, px))
        self.setFont(font)
        self._update_margin()

    # ---- drawing ---------------------------------------------------------------------
    def _refresh_marks(self, scroll: bool = False) -> None:
        extra: list[QTextEdit.ExtraSelection] = []
        lines = self._gutter_lines()
        step = self._step_line_no()
        for line, workers in lines.items():
            sel = QTextEdit.ExtraSelection()
            chosen = self.selected in workers
            color = QColor(theme.hex_color("caption_edge" if chosen else "caption"))
            color.setAlpha(120 if chosen else 150)  # the code stays readable on it
            if line == step:  # the line the last step moved past
                color = QColor(theme.hex_color("ok"))
                color.setAlpha(70)
            sel.format.setBackground(color)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cur = QTextCursor(self.document().findBlockByNumber(line))
            sel.cursor = cur
            extra.append(sel)
        self.setExtraSelections(extra)
        if scroll and self.selected in self.tracker.marks:
            block = self.document().findBlockByNumber(self.tracker.marks[self.selected].line)
            self.setTextCursor(QTextCursor(block))
            self.centerCursor()
        self._update_margin()
        self._gutter.update()

    def gutter_width(self) -> int:
        lines = self._gutter_lines()
        most = max((self.gutter_text(n, ws) for n, ws in lines.items()), key=len, default="C10")
        fm = self.fontMetrics()
        return max(fm.horizontalAdvance("C10"), fm.horizontalAdvance(most)) + 14

    def _update_margin(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_margin()

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        p = QPainter(gutter)
        p.fillRect(event.rect(), theme.color("window"))
        lines = self._gutter_lines()
        step = self._step_line_no()
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        while block.isValid() and top <= event.rect().bottom():
            height = round(self.blockBoundingRect(block).height())
            workers = lines.get(block.blockNumber())
            if workers is not None:
                text = self.gutter_text(block.blockNumber(), workers)
                chosen = self.selected in workers
                stepped = block.blockNumber() == step
                p.setPen(theme.color("error" if chosen else "ok" if stepped else "ink"))
                p.drawText(
                    QRect(2, top, gutter.width() - 6, height),
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                    text,
                )
            block = block.next()
            top += height
        p.end()


def _order(item: tuple[str, Any]) -> tuple[int, int]:
    """P1, P2, ..., C1, C2, ... (producers first, by number)."""
    name = item[0]
    digits = "".join(c for c in name if c.isdigit())
    return (0 if name.startswith("P") else 1, int(digits or 0))


def compact(workers: list[str]) -> str:
    """The gutter's label for the workers on one line, runs of numbers as ranges so it
    stays narrow: ``["P1", "P2", "P3", "C1", "C3"]`` -> ``"P1–3 C1,3"``."""
    groups: dict[str, list[int]] = {}
    for w in workers:
        digits = "".join(c for c in w if c.isdigit())
        groups.setdefault(w.rstrip("0123456789"), []).append(int(digits or 0))
    out: list[str] = []
    for prefix, nums in groups.items():
        nums.sort()
        runs: list[str] = []
        start = prev = nums[0]
        for n in [*nums[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            runs.append(str(start) if start == prev else f"{start}–{prev}")
            if n is not None:
                start = prev = n
        out.append(prefix + ",".join(runs))
    return " ".join(out)
