"""Colours, one place. Worker states use the Okabe–Ito palette, which stays distinct for
the common kinds of colour blindness; every state is also written out in words, so colour
is never the only cue."""

from __future__ import annotations

from PySide6.QtGui import QColor

from simulator.engine.simulation import STOPPED as RUN_STOPPED
from simulator.engine.workers import WorkerState

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

#: What a card shows besides a :class:`WorkerState`: a worker the next start will create.
READY = "ready"
#: The mark of a paused run (its banner); a paused run's cards keep their real states,
#: which a pause freezes.
PAUSED = "paused"

STATE_COLORS: dict[str, QColor] = {
    READY: QColor("#A0A0A0"),
    WorkerState.STARTING: QColor("#A0A0A0"),
    WorkerState.PRODUCING: QColor(OKABE_ITO["green"]),
    # a brief step between making an item and the put completing: a light tint
    WorkerState.PUTTING: QColor(OKABE_ITO["sky"]),
    WorkerState.CONSUMING: QColor(OKABE_ITO["blue"]),
    WorkerState.WAITING_FULL: QColor(OKABE_ITO["vermillion"]),
    WorkerState.WAITING_EMPTY: QColor(OKABE_ITO["purple"]),
    PAUSED: QColor(OKABE_ITO["yellow"]).darker(115),
    WorkerState.STOPPED: QColor("#6E6E6E"),
}

#: Legend order and the words it uses (shorter than the states' own).
LEGEND = [
    (WorkerState.PRODUCING, "producing"),
    (WorkerState.PUTTING, "putting"),
    (WorkerState.WAITING_FULL, "waiting: full"),
    (WorkerState.WAITING_EMPTY, "waiting: empty"),
    (WorkerState.CONSUMING, "consuming"),
    (WorkerState.STARTING, "starting"),
]


def display_state(run_state: str, worker_state: str) -> str:
    """What a worker's card shows (its words and colour) while the run is in ``run_state``.

    A stopped run shows every card stopped, whatever the books last saw; otherwise the card
    shows the worker's own state, in a paused run too: a pause holds every worker where it
    is (a producer blocked on a full buffer stays "waiting: buffer full"), and the run's
    PAUSED mark says the rest.
    """
    if run_state == RUN_STOPPED:
        return WorkerState.STOPPED
    return worker_state


#: Item tokens are tinted by their producer so an item can be followed by eye.
TOKEN_HUES = [
    "#F4D58D",
    "#B8E0D2",
    "#F2B5A7",
    "#C9C5F0",
    "#F7C8E0",
    "#CDE7B0",
    "#FFE0A3",
    "#BFD7EA",
]

THEMES = {
    "light": {
        "canvas": "#FBFBFA",
        "ink": "#1F2328",
        "muted": "#6A737D",
        "surface": "#FFFFFF",
        "slot_empty": "#CDD1D6",
        "frame": "#B8BCC2",
        "caption": "#FFF6D6",
        "caption_edge": "#E6B800",
        "plot_bg": "#FFFFFF",
        "grid_alpha": 0.25,
    },
    "dark": {
        "canvas": "#1E2227",
        "ink": "#E6E8EB",
        "muted": "#9AA4AF",
        "surface": "#2A2F36",
        "slot_empty": "#4A525C",
        "frame": "#5A636E",
        "caption": "#3D3522",
        "caption_edge": "#C9A227",
        "plot_bg": "#1E2227",
        "grid_alpha": 0.18,
    },
}
NAME = "light"
CANVAS_BG = QColor(THEMES["light"]["canvas"])
INK = QColor(THEMES["light"]["ink"])
MUTED = QColor(THEMES["light"]["muted"])
SURFACE = QColor(THEMES["light"]["surface"])


def color(key: str) -> QColor:
    """A colour of the current theme."""
    return QColor(THEMES[NAME][key])


def hex_color(key: str) -> str:
    return str(THEMES[NAME][key])


def use(name: str) -> None:
    """Switch the module's colours; views rebuild their styles afterwards."""
    global NAME, CANVAS_BG, INK, MUTED, SURFACE
    if name not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)} (got {name!r})")
    NAME = name
    CANVAS_BG, INK, MUTED, SURFACE = (color(k) for k in ("canvas", "ink", "muted", "surface"))


def qt_palette(name: str):
    """The application palette for ``name`` (Fusion style colours)."""
    from PySide6.QtGui import QPalette

    pal = QPalette()
    if name == "dark":
        r = QPalette.ColorRole
        roles = {
            r.Window: "#2A2F36",
            r.WindowText: "#E6E8EB",
            r.Base: "#1E2227",
            r.AlternateBase: "#2A2F36",
            r.Text: "#E6E8EB",
            r.Button: "#343A42",
            r.ButtonText: "#E6E8EB",
            r.Highlight: "#0072B2",
            r.HighlightedText: "#FFFFFF",
            r.ToolTipBase: "#343A42",
            r.ToolTipText: "#E6E8EB",
            r.PlaceholderText: "#8A939D",
        }
        for role, c in roles.items():
            pal.setColor(role, QColor(c))
        pal.setColor(
            QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6B737D")
        )
        pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6B737D"))
    return pal


PRODUCED_PEN = OKABE_ITO["green"]
CONSUMED_PEN = OKABE_ITO["blue"]
OCCUPANCY_PEN = OKABE_ITO["orange"]
OK_COLOR = QColor(OKABE_ITO["green"])
ALARM_COLOR = QColor(OKABE_ITO["vermillion"])


def state_color(state: str) -> QColor:
    return STATE_COLORS.get(state, STATE_COLORS[READY])


def token_color(producer_number: int) -> QColor:
    return QColor(TOKEN_HUES[(producer_number - 1) % len(TOKEN_HUES)])
