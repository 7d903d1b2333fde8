"""Colours, one place. Worker states use the Okabe–Ito palette, which stays distinct for
the common kinds of colour blindness; every state is also written out in words, so colour
is never the only cue."""

from __future__ import annotations

from PySide6.QtGui import QColor

from simulator.engine import metrics as m

OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#8C8C8C",
}

READY = "ready"
PAUSED = "paused"

STATE_COLORS: dict[str, QColor] = {
    READY: QColor("#A0A0A0"),
    m.STARTING: QColor("#A0A0A0"),
    m.SLEEPING: QColor(OKABE_ITO["sky"]),
    m.PRODUCING: QColor(OKABE_ITO["green"]),
    m.CONSUMING: QColor(OKABE_ITO["blue"]),
    m.WAITING_FULL: QColor(OKABE_ITO["vermillion"]),
    m.WAITING_EMPTY: QColor(OKABE_ITO["purple"]),
    PAUSED: QColor(OKABE_ITO["yellow"]).darker(115),
    m.STOPPED: QColor("#6E6E6E"),
}

#: Legend order and short words for the compact cards.
LEGEND = [
    (m.PRODUCING, "producing"),
    (m.SLEEPING, "sleeping"),
    (m.WAITING_FULL, "waiting: full"),
    (m.WAITING_EMPTY, "waiting: empty"),
    (m.CONSUMING, "consuming"),
    (PAUSED, "paused"),
]

#: Item tokens are tinted by their producer so an item can be followed by eye.
TOKEN_HUES = [
    "#F4D58D", "#B8E0D2", "#F2B5A7", "#C9C5F0", "#F7C8E0", "#CDE7B0", "#FFE0A3", "#BFD7EA",
]  # fmt: skip

CANVAS_BG = QColor("#FBFBFA")
INK = QColor("#1F2328")
MUTED = QColor("#6A737D")
PRODUCED_PEN = OKABE_ITO["green"]
CONSUMED_PEN = OKABE_ITO["blue"]
OCCUPANCY_PEN = OKABE_ITO["orange"]
OK_COLOR = QColor(OKABE_ITO["green"])
ALARM_COLOR = QColor(OKABE_ITO["vermillion"])


def state_color(state: str) -> QColor:
    return STATE_COLORS.get(state, STATE_COLORS[READY])


def token_color(producer_number: int) -> QColor:
    return QColor(TOKEN_HUES[(producer_number - 1) % len(TOKEN_HUES)])
