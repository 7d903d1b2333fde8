"""The numbers: counts, rates, occupancy, waiting shares, latency and the invariant.

The panel keeps no clock of its own: it shows whatever snapshot the window hands it, and
the window hands every view the same snapshot, changing it only on the frames it refreshes
the figures of all of them (see ``MainWindow._on_frame``). So the numbers here always
agree with the canvas's header, slots and cards and with the status bar. Handed the same
snapshot again, it does nothing.

:meth:`StatsPanel.read` and :func:`read_books` parse the labels back: ``--dump-view``
reports what the panel *shows*, not what it was told.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QWidget

from simulator.engine.config import SimulationConfig
from simulator.engine.events import Event
from simulator.engine.metrics import rate_text
from simulator.engine.simulation import STOPPED, Snapshot
from simulator.theory import Prediction, occupancy_text
from simulator.ui import theme
from simulator.ui.plots import run_average

#: the books line when they balance: produced = consumed + in buffer + in hand
BOOKS = re.compile(
    r"^✓ balanced: ([\d,]+) = ([\d,]+) \+ ([\d,]+) \+ ([\d,]+)"
    r"(?: \+ ([\d,]+) rejected \+ ([\d,]+) overwritten)?(?: \+ ([\d,]+) discarded)?$"
)
#: the longest first line of a wrapped row name (see StatsPanel._fit_names)
NAME_LINES = ("Rate now / avg", "Occupancy now /", "Time in buffer", "Time blocked")
#: " / " between the figures of one value, with no-break spaces: a value is never broken
#: (the figures' labels do not wrap at all, see StatsPanel.__init__)
SLASH = "\u00a0/\u00a0"
#: the rows of what left the books other than by a take, and the run that shows each
#: (see :func:`row_names`): a row that cannot count anything in this run is hidden, so
#: the figures and the prediction sit higher in the side panel (720 px screens)
DROP_ROWS = ("rejected", "overwritten", "discarded", "lost")
#: "Overwritten" means two things: an item a drop-oldest buffer let go (counted, allowed,
#: the books balance) and an item the no-lock race wrote over (lost: the books break)
OVERWRITTEN_DROPPED = "Overwritten (dropped)"
OVERWRITTEN_LOST = "Overwritten (lost:\u00a0race)"  # wraps before "(", never inside
#: the rows that have a "predicted" figure beside the measured one
PREDICTED_ROWS = ("throughput", "occupancy", "blocked", "latency")
#: what the predicted column shows while the model works on the frame's settings
PREDICTING = "…"
#: (not yet shown) a prediction no frame has handed over since the last reset
_UNSET = object()


def predicted_texts(p: Prediction | None) -> dict[str, str]:
    """What the "predicted" column shows for ``p`` (None: still predicting), row by row,
    in the measured figures' own formats: the run average, the mean occupancy, the
    blocked shares, the time in buffer p50 / p95 (the units are in the rows' names)."""
    if p is None:
        return dict.fromkeys(PREDICTED_ROWS, PREDICTING)
    r = p.run
    if r is None:
        return dict.fromkeys(PREDICTED_ROWS, "–")
    return {
        "throughput": rate_text(r.throughput_per_s),
        "occupancy": occupancy_text(p),
        "blocked": f"{100 * r.producer_blocked_fraction:.0f}{SLASH}"
        f"{100 * r.consumer_blocked_fraction:.0f}",
        "latency": f"{_ms(r.latency_ms[0])}{SLASH}{_ms(r.latency_ms[1])}",
    }


def prediction_reason(p: Prediction | None) -> str:
    """The predicted column's own line for a null prediction ("" otherwise): why each of
    its figures is "–", at the column's top, where a 720 px screen still shows it."""
    if p is None or p.run is not None:
        return ""
    return f"Predicted –: {p.reason}."


def row_names(snap: Snapshot | None, cfg: SimulationConfig) -> dict[str, str | None]:
    """The names of the rows of :data:`DROP_ROWS` for a run of ``cfg`` that shows ``snap``
    (None: no run yet); None hides a row, as nothing can be counted in it. A count above
    zero always shows its row."""
    n = {key: (getattr(snap, key, 0) or 0) if snap is not None else 0 for key in DROP_ROWS}
    race = cfg.bug == "no-lock"
    return {
        "rejected": "Rejected"
        if n["rejected"] or cfg.full_policy in ("timeout", "drop-newest")
        else None,
        "overwritten": OVERWRITTEN_DROPPED
        if n["overwritten"] or cfg.full_policy == "drop-oldest"
        else None,
        "discarded": "Discarded" if n["discarded"] or cfg.shutdown == "terminate" else None,
        "lost": (OVERWRITTEN_LOST if race else "Lost") if n["lost"] or race else None,
    }


def prediction_words(p: Prediction | None) -> str:
    """The bottleneck in one sentence; for a null prediction the reason, once, in words."""
    if p is None:
        return "Predicting what these settings should give…"
    if p.run is None:
        return f"No prediction (–): {p.reason}."
    return p.sentence()


def littles_law(snap: Snapshot) -> str:
    """Little's law measured both sides: the buffer's mean occupancy L against the run's
    throughput λ times the mean time in buffer W of the items taken.

    The law holds for any run; measured over a finite one the two sides differ by the
    items still in the buffer, whose wait so far counts in L but not yet in W (a
    filling buffer early in a run). The line says so while the sides differ by more
    than :data:`LITTLE_WITHIN`, and writes "=" once they agree."""
    lam = run_average(snap.consumed, snap.elapsed)
    if snap.elapsed <= 0 or snap.consumed == 0:
        return littles_law_idle()
    if snap.overwritten:  # they sat in the buffer (in L) but left untaken (not in λ, W)
        return (
            f"Little's law: L {snap.mean_occupancy:.1f}; λ × W is not measured under "
            "drop-oldest (the overwritten items waited in the buffer but were never taken)"
        )
    w = snap.mean_latency_ms / 1000.0
    big_l, lw = snap.mean_occupancy, lam * w
    agree = abs(big_l - lw) <= max(LITTLE_WITHIN * max(big_l, lw), 0.05)
    sign = "=" if agree else "vs"
    line = f"Little's law: L {big_l:.1f} {sign} λ {rate_text(lam)}/s × W {w:.3g} s = {lw:.1f}"
    if agree:
        return line
    return (
        line
        + " (items still in the buffer count in L, not yet in W: the two meet as the run goes on)"
    )


#: the share by which Little's two measured sides may differ and still be written "="
LITTLE_WITHIN = 0.05
#: parses :func:`littles_law`'s line back: L, "=" or "vs", λ, W, λ × W
LITTLE = re.compile(r"^Little's law: L ([\d.]+) (=|vs) λ ([\d,.]+)/s × W ([\d.e+-]+) s = ([\d.]+)")


class StatsPanel(QGroupBox):
    ROWS = (
        ("produced", "Produced"),
        ("consumed", "Consumed"),
        ("in_buffer", "In buffer"),
        ("in_hand", "In hand"),
        # the full policy's drops (issue 14): counted by id, not lost
        ("rejected", "Rejected"),
        ("overwritten", OVERWRITTEN_DROPPED),
        # a chosen terminate (issue 15): what was in the buffer or in hand, by id
        ("discarded", "Discarded"),
        # a bug's lost items (the books break): no-lock's race overwrites one in its slot
        ("lost", "Lost"),
        # the units in the names, not the figures: "4.50 / 4.10 items/s" broke inside
        # "items/" "s" in a narrow column. No-break spaces keep "(P / C)" and
        # "p50 / p95" whole when a name wraps (to two lines at most, see _fit_names)
        ("throughput", "Rate now / avg (items/s)"),
        ("occupancy", "Occupancy now / max\u00a0/\u00a0mean"),
        ("blocked", "Time blocked (P\u00a0/\u00a0C, %)"),
        ("latency", "Time in buffer p50\u00a0/\u00a0p95 (ms)"),
        ("invariant", "Books"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Statistics", parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 6, 10, 8)
        grid.setVerticalSpacing(3)
        grid.setHorizontalSpacing(8)
        # measured and predicted side by side: a reader compares like with like
        self.heading = QLabel("predicted")
        self.heading.setObjectName("stat_predicted_heading")
        self.heading.setToolTip(
            "What the settings should give in the long run: an ideal model of the same "
            "pattern in virtual time, with no machine in the way"
        )
        grid.addWidget(self.heading, 0, 2)
        measured = QLabel("measured")
        measured.setToolTip("What this run did, from its own events")
        grid.addWidget(measured, 0, 1)
        # a null prediction's reason at the column's top: below the fold at 720 px, the
        # sentence under the rows left the column looking merely blank
        self.reason = QLabel()
        self.reason.setObjectName("predicted_reason")
        self.reason.setWordWrap(True)
        self.reason.hide()
        grid.addWidget(self.reason, 1, 0, 1, 3)
        self.values: dict[str, QLabel] = {}
        self.predicted: dict[str, QLabel] = {}
        self._names: list[QLabel] = []
        self.names: dict[str, QLabel] = {}  #: each row's name, by key
        top = Qt.AlignmentFlag.AlignTop
        for row, (key, text) in enumerate(self.ROWS, start=2):
            name = QLabel(text + ":")
            name.setWordWrap(True)  # in two lines at most: see _fit_names
            self._names.append(name)
            self.names[key] = name
            grid.addWidget(name, row, 0, top)
            value = QLabel("–")
            value.setObjectName(f"stat_{key}")
            # a figure is never broken ("55 % /" over "0 %", "items/" over "s"): the
            # figures' labels do not wrap and their columns take the width they need;
            # the names wrap instead, and the units live in the names, so a figure stays
            # short ("2037 / 2653"). Only the books' sentence wraps
            value.setWordWrap(key == "invariant")
            self.values[key] = value
            if key in PREDICTED_ROWS:
                grid.addWidget(value, row, 1, top)
                guess = QLabel(PREDICTING)
                guess.setObjectName(f"predicted_{key}")
                self.predicted[key] = guess
                grid.addWidget(guess, row, 2, top)
            else:  # nothing to predict: the figure may use the predicted column's room
                grid.addWidget(value, row, 1, 1, 2, top)
        row = len(self.ROWS) + 2
        self.sentence = QLabel(prediction_words(None))
        self.sentence.setObjectName("predicted_sentence")
        self.sentence.setWordWrap(True)  # a long sentence wraps, never clipped
        grid.addWidget(self.sentence, row, 0, 1, 3)
        self.little = QLabel(littles_law_idle())
        self.little.setObjectName("littles_law")
        self.little.setWordWrap(True)
        self.little.setToolTip(
            "Little's law: the mean number of items in the buffer (L) equals the rate they "
            "pass through it (λ, the run's average throughput) times the mean time each "
            "spends there (W), whatever the sleeps: both sides measured in this run"
        )
        grid.addWidget(self.little, row + 1, 0, 1, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        self.prediction: object = _UNSET  #: the prediction on show (None: predicting)
        self.values["blocked"].setToolTip(
            "Share of the workers' time spent waiting on a full (producers) or empty "
            "(consumers) buffer"
        )
        self.values["latency"].setToolTip("How long items sat in the buffer (recent items)")
        self.values["throughput"].setToolTip(
            "Throughput: items consumed per second, over the last 2 seconds (now) and over "
            "the whole run (consumed / elapsed)"
        )
        self.names["throughput"].setToolTip(self.values["throughput"].toolTip())
        self.names["overwritten"].setToolTip(
            "Full buffer drop-oldest: a put into a full buffer drops the oldest item to "
            "make room. Counted by id and allowed: the books still balance."
        )
        self.shown: Snapshot | None = None  #: the snapshot whose figures are on show
        self._unknown = False
        self._config = SimulationConfig()  #: the settings the rows are named for
        self._row_names: dict[str, str | None] = {}
        self._fit_names()
        self._name_rows(None)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange and hasattr(self, "_names"):
            self._fit_names()
        super().changeEvent(event)

    def _fit_names(self) -> None:
        """Three columns share a narrow side panel (it must not widen past its scroll
        area, which would clip every row on the right). The names wrap, but never to
        more than two lines ("Occupancy now /" over "max / mean:"), so their column is
        as wide as the widest first line at the current text size. The figures do not
        wrap: their columns are as wide as their text ("2037 / 2653", units in the
        names)."""
        fm = QFontMetrics(self.font())
        width = max(fm.horizontalAdvance(w) for w in NAME_LINES) + 6
        for name in self._names:
            name.setMinimumWidth(width)
        narrow = fm.horizontalAdvance("predicted") + 4  # the column's heading
        for label in (*self.values.values(), *self.predicted.values()):
            label.setMinimumWidth(narrow)

    def reset(self) -> None:
        """Every number back to "–" (a new run, or Reset); the prediction waits for the
        next frame's (the window hands it over with every full frame)."""
        for v in self.values.values():
            v.setText("–")
            v.setStyleSheet("")
        self.little.setText(littles_law_idle())
        self.shown = None
        self._unknown = False
        self._name_rows(None)

    def show_prediction(self, p: Prediction | None) -> None:
        """The predicted column and the bottleneck sentence for ``p``, the prediction for
        the settings of the snapshot on show (None: the model is still at work, "…").
        A null prediction's reason stands at the column's top (the sentence under the
        rows would only repeat it). The same prediction again is a no-op."""
        if p is self.prediction:
            return
        self.prediction = p
        for key, text in predicted_texts(p).items():
            self.predicted[key].setText(text)
        self.sentence.setText(prediction_words(p))
        reason = prediction_reason(p)
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))
        self.sentence.setVisible(not reason)
        self.heading.setText("predicted: –" if reason else "predicted")

    def _name_rows(self, snap: Snapshot | None) -> None:
        """Name (or hide) the rows of :data:`DROP_ROWS` for the run on show (``snap``'s
        settings) or, with none, the settings shown (:func:`row_names`)."""
        cfg = snap.config if snap is not None else self._config
        names = row_names(snap, cfg)
        if names == self._row_names:
            return
        self._row_names = names
        for key, text in names.items():
            for label in (self.names[key], self.values[key]):
                label.setVisible(text is not None)
            if text is not None:
                self.names[key].setText(text + ":")
        lost = self.names["lost"]
        lost.setToolTip(
            "Items lost to the no-lock bug's race: two producers wrote the same slot, the "
            "second over the first. Not allowed: the books break."
            if names["lost"] == OVERWRITTEN_LOST
            else "Items lost to the bug: the books break."
        )

    def set_unknown(self, why: str) -> None:
        """Every number greyed out as "unknown": the engine that kept them is gone, so the
        last ones shown may be stale and the books can no longer be vouched for."""
        grey = f"color: {theme.MUTED.name()}"
        for key, v in self.values.items():
            v.setText("unknown" if key != "invariant" else f"unknown — {why}")
            v.setStyleSheet(grey)
        self.little.setText("Little's law: unknown")
        self.values["invariant"].setToolTip(
            "Nobody can check the books of a run whose engine process has ended"
        )
        self._unknown = True

    def show_config(self, cfg: SimulationConfig) -> None:
        """The numbers are a run's: a new configuration shows none until it runs, but the
        rows it can count are named for it."""
        self._config = cfg
        if self.shown is None:
            self._name_rows(None)

    def on_frame(self, _batch: list[Event], _total: int, snap: Snapshot) -> None:
        """The window's frame: the numbers come from the snapshot alone."""
        self.on_snapshot(snap)

    @Slot(object)
    def on_snapshot(self, snap: Snapshot, force: bool = False) -> None:
        """Show ``snap``'s figures, all of them; the same snapshot again is a no-op
        (unless ``force``)."""
        if self._unknown or (snap is self.shown and not force):
            return  # unknown stays unknown until reset(): its engine is gone
        self.shown = snap
        v = self.values
        v["produced"].setText(f"{snap.produced:,}")
        v["consumed"].setText(f"{snap.consumed:,}")
        # the header's count: pills take slots but are not items of the books. The
        # words go in the tooltip: "936 of 1,000 + 64 STOP (pills)" was clipped at 1024 px
        pills = snap.pills_in_buffer
        v["in_buffer"].setText(
            f"{snap.in_buffer:,} of {snap.capacity:,}" + (f" + {pills:,} STOP" if pills else "")
        )
        v["in_buffer"].setToolTip(
            f"+ {pills:,} STOP: the poison pill{'' if pills == 1 else 's'} in the buffer "
            "(one per consumer), taking slots but not items of the books"
            if pills
            else ""
        )
        v["in_hand"].setText(f"{snap.in_hand:,}")
        v["rejected"].setText(f"{snap.rejected:,}")
        v["overwritten"].setText(f"{snap.overwritten:,}")
        v["lost"].setText(f"{snap.lost:,}")
        self._name_rows(snap)
        discarded = getattr(snap, "discarded", 0)
        v["discarded"].setText(f"{discarded:,}" + (" (terminate)" if discarded else ""))
        average = run_average(snap.consumed, snap.elapsed)
        # "now" is the last 2 s of a run going on: a stopped run has no rate now (its
        # last value would read as if something still moved)
        now = "–" if snap.state == STOPPED else rate_text(snap.consumed_rate)
        v["throughput"].setText(f"{now}{SLASH}{rate_text(average)}")
        v["occupancy"].setText(
            f"{snap.occupancy}{SLASH}{snap.max_occupancy}{SLASH}{snap.mean_occupancy:.1f}"
        )
        v["blocked"].setText(
            f"{100 * snap.producer_blocked:.0f}{SLASH}{100 * snap.consumer_blocked:.0f}"
        )
        p50, p95, _ = snap.latency_ms
        v["latency"].setText(f"{_ms(p50)}{SLASH}{_ms(p95)}")
        self.little.setText(littles_law(snap))
        inv = v["invariant"]
        if snap.ok:
            dropped = (
                f" + {snap.rejected:,} rejected + {snap.overwritten:,} overwritten"
                if snap.rejected or snap.overwritten
                else ""
            )
            if discarded:
                dropped += f" + {discarded:,} discarded"
            inv.setText(
                f"✓ balanced: {snap.produced:,} = {snap.consumed:,} + {snap.in_buffer:,} + "
                f"{snap.in_hand:,}{dropped}"
            )
            tip = (
                "produced = consumed + in buffer + in hand + rejected + overwritten "
                "(+ discarded by a terminate); no item taken twice"
            )
            style = f"color: {theme.hex_color('ok')}; font-weight: bold; {self._size()}"
        else:
            inv.setText("✗ " + (snap.violations[0] if snap.violations else "mismatch"))
            tip = "\n".join(snap.violations)
            style = (
                f"color: white; background: {theme.ALARM_COLOR.name()}; font-weight: bold;"
                f"padding: 2px; {self._size()}"
            )
        # Qt repolishes a label on every setStyleSheet, even an unchanged one: only on change
        if inv.toolTip() != tip:
            inv.setToolTip(tip)
        if inv.styleSheet() != style:
            inv.setStyleSheet(style)

    def _size(self) -> str:
        """A style sheet cuts a label off the font it inherits: name the size again."""
        px = self.font().pixelSize()
        return f"font-size: {px}px;" if px > 0 else ""

    def read(self) -> dict[str, int | None]:
        """The counts as the labels show them (None where a label shows no number)."""
        out: dict[str, int | None] = {}
        keys = ("in_buffer", "produced", "consumed", "in_hand", "rejected", "overwritten")
        for key in (*keys, "discarded"):
            text = self.values[key].text().split(" ")[0].replace(",", "")
            out[key] = int(text) if text.isdigit() else None
        return out

    def read_predicted(self) -> dict[str, str]:
        """What the prediction views of the panel show, as text: the predicted column
        (keyed like :data:`PREDICTED_ROWS`), the sentence and Little's law line."""
        out = {key: label.text() for key, label in self.predicted.items()}
        out["sentence"] = self.sentence.text()
        out["littles_law"] = self.little.text()
        return out

    def books_text(self) -> str:
        return self.values["invariant"].text()


def read_books(text: str) -> dict[str, object]:
    """The books line read back: its four figures and whether it says they balance."""
    m = BOOKS.match(text)
    if m is None:
        return {
            "produced": None,
            "consumed": None,
            "in_buffer": None,
            "in_hand": None,
            "rejected": None,
            "overwritten": None,
            "discarded": None,
            "ok": False,
            "text": text,
        }
    produced, consumed, in_buffer, in_hand, rejected, overwritten, discarded = (
        int(g.replace(",", "")) if g else 0 for g in m.groups()
    )
    return {
        "produced": produced,
        "consumed": consumed,
        "in_buffer": in_buffer,
        "in_hand": in_hand,
        "rejected": rejected,
        "overwritten": overwritten,
        "discarded": discarded,
        "ok": True,
        "text": text,
    }


def littles_law_idle() -> str:
    return "Little's law: L = λ × W (measured once a run goes)"


def _ms(x: float) -> str:
    """Milliseconds, without the unit (the row's name says "(ms)")."""
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"
