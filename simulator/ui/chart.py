"""The sweep's and the comparison's charts, one drawing for the command line and the
window.

``pcsim compare`` (a dict with ``runs``) draws bars instead (:class:`_BarPainter`):
throughput and CPU use per backend.

``pcsim sweep --out`` and the window's Sweep dialog draw the same picture from the same
dict (the sweep's JSON, :func:`simulator.sweep.run_sweep`) through :func:`paint`: a
QPainter onto a QImage for PNG, onto a QSvgGenerator for SVG, onto the widget
:class:`SweepChart` in the dialog. A plain painter, not pyqtgraph's exporters, because
it draws the same offscreen, in a file and on screen, with no scene to lay out first.

Top panel: throughput, measured (solid, dots) beside the model's prediction (dashed)
and the simple bound min(offered, consumer capacity) (dotted). Bottom panel: the share
of time producers and consumers were blocked, measured and predicted. The x axis is the
varied values, evenly spaced (1 2 4 8 reads as doubling). Colours are Okabe–Ito from
:mod:`simulator.ui.theme`, and the legend says in words what each line is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from simulator.sweep import KNOBS, check_chart_output
from simulator.ui import theme

#: a file's size in pixels, unless asked otherwise
FILE_SIZE = (1200, 780)
TITLE_PX = 17
TEXT_PX = 14  #: every other text (axis labels, legend): above the 12 px floor
SMALL_PX = 13

THROUGHPUT = theme.OKABE_ITO["blue"]
BOUND = theme.OKABE_ITO["grey"]
PRODUCERS = theme.OKABE_ITO["vermillion"]  # the colour of "waiting: buffer full"
CONSUMERS = theme.OKABE_ITO["purple"]  # the colour of "waiting: buffer empty"

_app: QGuiApplication | None = None


def _count(n: object, noun: str) -> str:
    """``1 producer``, ``2 producers``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def ensure_app() -> None:
    """A Qt application for painting, if none exists yet (``pcsim sweep --out``). The
    caller chooses the platform first (offscreen when there is no screen)."""
    global _app
    if QGuiApplication.instance() is None:
        _app = QGuiApplication([])


@dataclass(frozen=True)
class _Series:
    """One line of a panel: its words, colour, style and values (None: a gap)."""

    label: str
    color: str
    style: Qt.PenStyle
    values: list[float | None]
    dots: bool = False


def _num(x: object) -> float | None:
    if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def _by_value(data: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The points in the order of ``values`` (None where none has finished yet)."""
    points = list(data.get("points", []))
    out: list[dict[str, Any] | None] = [None] * len(data.get("values", []))
    for i, p in enumerate(points[: len(out)]):
        out[i] = p
    return out


def _series(data: dict[str, Any]) -> tuple[list[_Series], list[_Series]]:
    """(throughput lines, blocked lines) from the sweep's dict."""
    pts = _by_value(data)

    def pick(side: str, key: str, scale: float = 1.0) -> list[float | None]:
        out: list[float | None] = []
        for p in pts:
            v = None if p is None else _num(p.get(side, {}).get(key))
            out.append(None if v is None else v * scale)
        return out

    bound: list[float | None] = []
    for p in pts:
        b = {} if p is None else p.get("predicted", {}).get("bounds", {})
        ends = [_num(b.get("offered_per_s")), _num(b.get("consumer_capacity_per_s"))]
        known = [e for e in ends if e is not None]
        bound.append(min(known) if known else None)
    solid, dash, dot = Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine
    top = [
        _Series("measured", THROUGHPUT, solid, pick("measured", "throughput_per_s"), True),
        _Series("predicted (model)", THROUGHPUT, dash, pick("predicted", "throughput_per_s")),
        _Series("bound: min(offered, consumers' capacity)", BOUND, dot, bound),
    ]
    pb, cb = "producer_blocked_fraction", "consumer_blocked_fraction"
    bottom = [
        _Series("producers measured", PRODUCERS, solid, pick("measured", pb, 100), True),
        _Series("producers predicted", PRODUCERS, dash, pick("predicted", pb, 100)),
        _Series("consumers measured", CONSUMERS, solid, pick("measured", cb, 100), True),
        _Series("consumers predicted", CONSUMERS, dash, pick("predicted", cb, 100)),
    ]
    return top, bottom


def _nice_step(top: float, ticks: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about ``ticks`` ticks to ``top``."""
    raw = max(top, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power


def _ticks(ymax: float, count: int = 5) -> list[float]:
    """The y axis's ticks from 0 to the first nice value at or above ``ymax``, about
    ``count`` steps (fewer where a panel is too low for five labels apart)."""
    step = _nice_step(ymax, max(1, count))
    ytop = step * math.ceil(ymax / step)
    return [i * step for i in range(round(ytop / step) + 1)]


def tick_count(plot_h: float, label_h: float) -> int:
    """How many steps a y axis ``plot_h`` high can label, each label ``label_h`` high
    with a fifth of a label's room between two (at most 5: 0/20/…/100; at least 1: 0
    and the top). A low panel (the dialog's at 720 px) gets 0/50/100 instead of six
    labels printed over each other."""
    return max(1, min(5, int(plot_h // (label_h * 1.2))))


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 or x == int(x) else f"{x:g}"


def title_lines(data: dict[str, Any]) -> tuple[str, str]:
    """The chart's title and the settings line under it (the varied setting left out)."""
    name = data.get("vary", "")
    knob = KNOBS.get(name)
    values = ", ".join(f"{v:g}" for v in data.get("values", []))
    title = f"Throughput and waiting for {knob.words if knob else name} = {values}"
    cfg = data.get("config", {})
    varied = knob.field if knob else ""
    parts: list[str] = []

    def add(field: str, text: str) -> None:
        if field != varied or (knob is not None and knob.end is not None):
            parts.append(text)

    if cfg:
        add("producers", _count(cfg.get("producers"), "producer"))
        add("consumers", _count(cfg.get("consumers"), "consumer"))
        add("capacity", f"capacity {cfg.get('capacity')}")
        for role in ("producer", "consumer"):
            lo, hi = cfg.get(f"{role}_sleep", [0, 0])
            field = f"{role}_sleep"
            if knob is not None and knob.field == field and knob.end is not None:
                fixed = f"MIN {lo:g}" if knob.end == 1 else f"MAX {hi:g}"
                parts.append(f"{role} sleep {fixed} s")
            else:
                add(field, f"{role} sleep {lo:g}–{hi:g} s")
        if cfg.get("time_scale", 1.0) != 1.0:
            parts.append(f"time scale {cfg['time_scale']:g}")
    parts.append(f"{data.get('backend', '?')} backend")
    parts.append(f"{data.get('seconds', 0):g} s per point")
    note = "predicted: the ideal model of a run as long, from an empty buffer"
    return title, " · ".join(parts) + "\n" + note


def _font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f


class _Painter:
    """Draws the whole chart into ``rect`` with ``p`` (one drawing, many devices)."""

    def __init__(self, p: QPainter, rect: QRectF, data: dict[str, Any]) -> None:
        self.p = p
        self.rect = rect
        self.data = data
        self.ink = theme.color("ink")
        self.muted = theme.color("muted")
        self.grid = QColor(theme.color("frame"))
        self.bg = theme.color("plot_bg")
        self.labels = [f"{v:g}" for v in data.get("values", [])]
        self.left_w = 40.0

    def draw(self) -> None:
        p, r = self.p, self.rect
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(r, self.bg)
        pad = 14.0
        inner = r.adjusted(pad, pad, -pad, -pad)
        title, settings = title_lines(self.data)
        y = inner.top()
        y = self._text_block(title, _font(TITLE_PX, True), self.ink, inner, y)
        y = self._text_block(settings, _font(SMALL_PX), self.muted, inner, y + 2)
        top, bottom = _series(self.data)
        knob = KNOBS.get(self.data.get("vary", ""))
        axis = knob.words if knob else str(self.data.get("vary", ""))
        rest = QRectF(inner.left(), y + 8, inner.width(), inner.bottom() - y - 8)
        # each panel's words (title, legend, x labels, axis title) first, then the plots
        # share what is left, 55 % above: a fixed share left the lower plot no room at all
        # in a chart 320 px high (the dialog's on a 720 px screen)
        fm = QFontMetricsF(_font(TEXT_PX))
        words = [
            self._panel_words(s, rest.width(), axis_title)
            for s, axis_title in ((top, None), (bottom, axis))
        ]
        free = max(0.0, rest.height() - 10 - sum(words))
        split = rest.top() + words[0] + free * 0.55
        ymax = max([v for s in top for v in s.values if v is not None] or [1.0])
        # one left margin for both panels, so a value's x is the same in each
        labels = [_fmt(t) for t in _ticks(ymax * 1.12)] + ["100"]
        self.left_w = max(fm.horizontalAdvance(t) for t in labels) + 12
        self._panel(
            QRectF(rest.left(), rest.top(), rest.width(), split - rest.top()),
            "Throughput (items/s)",
            top,
            ymax * 1.12,
            None,
        )
        self._panel(
            QRectF(rest.left(), split + 10, rest.width(), rest.bottom() - split - 10),
            "Time blocked (% of the run)",
            bottom,
            100.0,
            axis,
        )
        if not self.data.get("points"):
            p.setFont(_font(TEXT_PX))
            p.setPen(self.muted)
            p.drawText(rest, Qt.AlignmentFlag.AlignCenter, "waiting for the first point…")
        p.restore()

    def _text_block(self, text: str, font: QFont, color: QColor, area: QRectF, y: float) -> float:
        """``text`` wrapped across ``area``'s width from ``y``; returns the y below it."""
        self.p.setFont(font)
        self.p.setPen(color)
        flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
        box = QRectF(area.left(), y, area.width(), 1000)
        used = QFontMetricsF(font).boundingRect(box, flags, text)
        self.p.drawText(box, flags, text)
        return y + used.height()

    def _panel_words(self, series: Sequence[_Series], width: float, axis: str | None) -> float:
        """The height a panel of ``width`` spends on anything but its plot (what
        :meth:`_panel` draws around it)."""
        fm = QFontMetricsF(_font(TEXT_PX))
        legend = self._legend(series, QRectF(0, 0, width, 0), 0.0, draw=False)
        return fm.height() + 4 + legend + 6 + fm.height() + 6 + (fm.height() + 4 if axis else 0)

    def _legend(
        self, series: Sequence[_Series], area: QRectF, y: float, draw: bool = True
    ) -> float:
        """The legend, entries flowing left to right and wrapping; returns the y below
        (``draw`` False: only that, nothing drawn)."""
        p = self.p
        font = _font(TEXT_PX)
        fm = QFontMetricsF(font)
        p.setFont(font)
        x, line_h, sample = area.left(), fm.height() + 4, 34.0
        for s in series:
            w = sample + 6 + fm.horizontalAdvance(s.label) + 18
            if x + w > area.right() and x > area.left():
                x, y = area.left(), y + line_h
            if not draw:
                x += w
                continue
            mid = y + line_h / 2
            self._pen(s)
            p.drawLine(QPointF(x, mid), QPointF(x + sample, mid))
            if s.dots:
                self._dot(QPointF(x + sample / 2, mid), s.color)
            p.setPen(self.ink)
            p.drawText(
                QRectF(x + sample + 6, y, w, line_h),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                s.label,
            )
            x += w
        return y + line_h

    def _pen(self, s: _Series) -> None:
        pen = QPen(QColor(s.color), 2.6 if s.style == Qt.PenStyle.SolidLine else 2.2)
        pen.setStyle(s.style)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        self.p.setPen(pen)

    def _dot(self, at: QPointF, color: str) -> None:
        self.p.setPen(QPen(self.bg, 1.5))
        self.p.setBrush(QColor(color))
        self.p.drawEllipse(at, 4.5, 4.5)
        self.p.setBrush(Qt.BrushStyle.NoBrush)

    def _panel(
        self,
        area: QRectF,
        title: str,
        series: Sequence[_Series],
        ymax: float,
        axis_title: str | None,
    ) -> None:
        p = self.p
        fm = QFontMetricsF(_font(TEXT_PX))
        p.setFont(_font(TEXT_PX, True))
        p.setPen(self.ink)
        p.drawText(QPointF(area.left(), area.top() + fm.ascent()), title)
        y = self._legend(series, area, area.top() + fm.height() + 4)
        left_w = self.left_w
        bottom_h = fm.height() + 6 + (fm.height() + 4 if axis_title else 0)
        plot_h = area.bottom() - y - 6 - bottom_h
        ticks = _ticks(ymax, tick_count(plot_h, fm.height()))
        ytop = ticks[-1]
        plot = QRectF(area.left() + left_w, y + 6, area.width() - left_w - 8, plot_h)
        if plot.height() < 20 or plot.width() < 20:
            return  # too small to say anything
        p.setFont(_font(TEXT_PX))

        def ypos(v: float) -> float:
            return plot.bottom() - plot.height() * v / ytop

        n = max(1, len(self.labels))

        def xpos(i: int) -> float:
            return plot.left() + plot.width() * (i + 0.5) / n

        grid = QPen(self.grid, 1)
        for t in ticks:
            yy = ypos(t)
            p.setPen(grid)
            p.drawLine(QPointF(plot.left(), yy), QPointF(plot.right(), yy))
            p.setPen(self.muted)
            p.drawText(
                QRectF(area.left(), yy - fm.height() / 2, left_w - 8, fm.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                _fmt(t),
            )
        p.setPen(QPen(self.muted, 1.2))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        for i, label in enumerate(self.labels):
            x = xpos(i)
            p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            p.drawText(
                QRectF(x - 60, plot.bottom() + 5, 120, fm.height()),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                label,
            )
        if axis_title:
            p.drawText(
                QRectF(plot.left(), plot.bottom() + fm.height() + 8, plot.width(), fm.height()),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                axis_title,
            )
        p.setClipRect(plot.adjusted(-6, -6, 6, 6))
        for s in series:
            self._pen(s)
            prev: QPointF | None = None
            for i, v in enumerate(s.values):
                if v is None:
                    prev = None
                    continue
                pt = QPointF(xpos(i), ypos(v))
                if prev is not None:
                    p.drawLine(prev, pt)
                elif s.style != Qt.PenStyle.SolidLine and _alone(s.values, i):
                    p.drawLine(pt - QPointF(12, 0), pt + QPointF(12, 0))  # a lone prediction
                prev = pt
            if s.dots:
                for i, v in enumerate(s.values):
                    if v is not None:
                        self._dot(QPointF(xpos(i), ypos(v)), s.color)
        p.setClipping(False)


def _alone(values: Sequence[float | None], i: int) -> bool:
    """True if ``values[i]`` has no known neighbour to draw a line to."""
    before = i > 0 and values[i - 1] is not None
    after = i + 1 < len(values) and values[i + 1] is not None
    return not (before or after)


def compare_title_lines(data: dict[str, Any]) -> tuple[str, str]:
    """The comparison chart's title and settings line."""
    names = ", ".join(data.get("compare", []))
    title = f"The same settings on {names}: work {data.get('work', 'sleep')}"
    cfg = data.get("config", {})
    parts: list[str] = []
    if cfg:
        who = (_count(cfg.get("producers"), "producer"), _count(cfg.get("consumers"), "consumer"))
        parts.append(", ".join(who))
        parts.append(f"capacity {cfg.get('capacity')}")
        for role in ("producer", "consumer"):
            lo, hi = cfg.get(f"{role}_sleep", [0, 0])
            parts.append(f"{role} sleep {lo:g}–{hi:g} s")
    parts.append(f"{data.get('seconds', 0):g} s per backend, one after another")
    runs = data.get("runs", [])
    cal = next((r.get("calibration") for r in runs if r.get("calibration")), None)
    note = "CPU: the workers' CPU time over the run's time; 100 % = one core busy"
    if cal:
        note += f" · cpu work calibrated at {cal['iterations_per_ms']:,.0f} iterations/ms"
    if runs and not runs[0].get("gil_enabled", True):
        note += " · free-threaded Python (no GIL)"
    return title, " · ".join(parts) + "\n" + note


class _BarPainter(_Painter):
    """``pcsim compare``'s chart: one bar per backend in two panels, throughput and CPU
    use, each bar labelled with its number (words beside colours)."""

    def draw(self) -> None:
        p, r = self.p, self.rect
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(r, self.bg)
        pad = 14.0
        inner = r.adjusted(pad, pad, -pad, -pad)
        title, settings = compare_title_lines(self.data)
        y = self._text_block(title, _font(TITLE_PX, True), self.ink, inner, inner.top())
        y = self._text_block(settings, _font(SMALL_PX), self.muted, inner, y + 2)
        names = list(self.data.get("compare", []))
        runs = {r["backend"]: r for r in self.data.get("runs", [])}
        rest = QRectF(inner.left(), y + 8, inner.width(), inner.bottom() - y - 8)
        split = rest.top() + rest.height() * 0.5
        tput = [_num(runs[n]["throughput_per_s"]) if n in runs else None for n in names]
        cpu = [_num(runs[n]["cpu_percent"]) if n in runs else None for n in names]
        fm = QFontMetricsF(_font(TEXT_PX))
        tmax = max([v for v in tput if v is not None] or [1.0]) * 1.15
        cmax = max([v for v in cpu if v is not None] + [100.0]) * 1.15
        labels = [_fmt(t) for t in _ticks(tmax) + _ticks(cmax)]
        self.left_w = max(fm.horizontalAdvance(t) for t in labels) + 12
        self._bars(
            QRectF(rest.left(), rest.top(), rest.width(), split - rest.top()),
            "Throughput (items/s)",
            names,
            tput,
            tmax,
            THROUGHPUT,
            "{:,.1f}/s",
        )
        self._bars(
            QRectF(rest.left(), split + 10, rest.width(), rest.bottom() - split - 10),
            "CPU use (% of one core)",
            names,
            cpu,
            cmax,
            CONSUMERS,
            "{:.0f} %",
        )
        if not runs:
            p.setFont(_font(TEXT_PX))
            p.setPen(self.muted)
            p.drawText(rest, Qt.AlignmentFlag.AlignCenter, "waiting for the first run…")
        p.restore()

    def _bars(
        self,
        area: QRectF,
        title: str,
        names: Sequence[str],
        values: Sequence[float | None],
        ymax: float,
        color: str,
        fmt: str,
    ) -> None:
        p = self.p
        fm = QFontMetricsF(_font(TEXT_PX))
        p.setFont(_font(TEXT_PX, True))
        p.setPen(self.ink)
        p.drawText(QPointF(area.left(), area.top() + fm.ascent()), title)
        ticks = _ticks(ymax)
        ytop = ticks[-1]
        top = area.top() + fm.height() + 8
        plot = QRectF(
            area.left() + self.left_w,
            top,
            area.width() - self.left_w - 8,
            area.bottom() - top - fm.height() - 8,
        )
        if plot.height() < 20 or plot.width() < 20:
            return
        p.setFont(_font(TEXT_PX))
        for t in ticks:
            yy = plot.bottom() - plot.height() * t / ytop
            p.setPen(QPen(self.grid, 1))
            p.drawLine(QPointF(plot.left(), yy), QPointF(plot.right(), yy))
            p.setPen(self.muted)
            p.drawText(
                QRectF(area.left(), yy - fm.height() / 2, self.left_w - 8, fm.height()),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                _fmt(t),
            )
        n = max(1, len(names))
        slot = plot.width() / n
        for i, (name, v) in enumerate(zip(names, values, strict=True)):
            x = plot.left() + slot * i
            p.setPen(self.ink)
            p.drawText(
                QRectF(x, plot.bottom() + 4, slot, fm.height()),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                name,
            )
            if v is None:
                continue
            h = plot.height() * v / ytop
            bar = QRectF(x + slot * 0.25, plot.bottom() - h, slot * 0.5, h)
            p.fillRect(bar, QColor(color))
            p.setPen(self.ink)
            p.drawText(
                QRectF(x, bar.top() - fm.height() - 2, slot, fm.height()),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                fmt.format(v),
            )
        p.setPen(QPen(self.muted, 1.2))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())


def paint(painter: QPainter, rect: QRectF, data: dict[str, Any]) -> None:
    """Draw ``data`` into ``rect`` in the current theme's colours: a sweep's dict (the
    JSON's, perhaps with fewer points than values: a sweep still running) as lines, or a
    comparison's (``pcsim compare``'s, with ``runs``) as bars."""
    if "runs" in data:
        _BarPainter(painter, rect, data).draw()
    else:
        _Painter(painter, rect, data).draw()


def render(data: dict[str, Any], size: tuple[int, int] = FILE_SIZE) -> QImage:
    """The chart as an image of ``size`` pixels."""
    w, h = size
    img = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(theme.color("plot_bg"))
    p = QPainter(img)
    try:
        paint(p, QRectF(0, 0, w, h), data)
    finally:
        p.end()
    return img


def save_chart(data: dict[str, Any], path: str | Path, size: tuple[int, int] = FILE_SIZE) -> Path:
    """Write the chart to ``path`` (.png or .svg, by its suffix). ValueError if the path
    will not do, OSError if the file could not be written. Needs a Qt application
    (:func:`ensure_app`)."""
    out = check_chart_output(str(path))
    w, h = size
    if out.suffix.lower() == ".svg":
        from PySide6.QtSvg import QSvgGenerator

        title, settings = (compare_title_lines if "runs" in data else title_lines)(data)
        gen = QSvgGenerator()
        gen.setFileName(str(out))
        gen.setSize(QSize(w, h))
        gen.setResolution(96)  # CSS pixels: a browser shows it w x h, as the PNG
        gen.setViewBox(QRect(0, 0, w, h))
        gen.setTitle(title)
        gen.setDescription(settings)
        p = QPainter()
        if not p.begin(gen):
            raise OSError(f"cannot write {str(out)!r}")
        try:
            paint(p, QRectF(0, 0, w, h), data)
        finally:
            p.end()
        if not out.exists() or out.stat().st_size == 0:
            raise OSError(f"cannot write {str(out)!r}")
        return out
    if not render(data, size).save(str(out)):  # PNG: the suffix says so (checked)
        raise OSError(f"cannot write {str(out)!r}")
    return out


class SweepChart(QWidget):
    """The chart on screen: the Sweep dialog's, redrawn as each point arrives."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: dict[str, Any] = {}
        # low enough for the dialog to fit a 720 px screen: the chart takes the rest
        self.setMinimumSize(560, 320)

    def set_data(self, data: dict[str, Any]) -> None:
        """Show ``data`` (the sweep's dict so far)."""
        self.data = data
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(860, 560)

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        try:
            paint(p, QRectF(self.rect()), self.data)
        finally:
            p.end()
