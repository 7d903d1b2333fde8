"""Colours, one place. Worker states use the Okabe–Ito palette, which stays distinct for
the common kinds of colour blindness; every state is also written out in words, so colour
is never the only cue."""

from __future__ import annotations

from PySide6.QtGui import QColor

from simulator.engine.simulation import STOPPED as RUN_STOPPED
from simulator.engine.workers import WorkerState

#: every view's text, in pixels, at text scale 1 (the window scales it; 12 px is the floor)
TEXT_PX = 13

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
        "muted": "#59616A",
        "surface": "#FFFFFF",
        "slot_empty": "#CDD1D6",
        "frame": "#B8BCC2",
        "caption": "#FFF6D6",
        "caption_edge": "#E6B800",
        "plot_bg": "#FFFFFF",
        "window": "#EFEFEF",
        "ok": "#007A5A",
        "full_text": "#B34F00",
        "empty_text": "#A8507F",
        "note": "#9A4400",  # the Setup panel's "takes effect at the next start"
        "error": "#B3261E",
        # the banner over the canvas (paused, endings): a box of the other lightness
        # than the canvas, so it reads as a box in either theme, not as text on it
        "banner": "#1F2328",
        "banner_ink": "#FFFFFF",
        "banner_alarm": "#B3261E",  # deadlock, stuck join, terminated: red
        "banner_alarm_ink": "#FFFFFF",
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
        "window": "#2A2F36",
        "ok": "#3DDC97",
        "full_text": "#F08A4B",
        "empty_text": "#E08FC0",
        "note": "#F2A65E",
        "error": "#FF8A80",
        # the light theme's dark box vanished on the dark canvas (#1F2328 on #1E2227)
        "banner": "#E6E8EB",
        "banner_ink": "#1F2328",
        "banner_alarm": "#FF8A80",
        "banner_alarm_ink": "#1F2328",
        "grid_alpha": 0.18,
    },
}
NAME = "light"
CANVAS_BG = QColor(THEMES["light"]["canvas"])
INK = QColor(THEMES["light"]["ink"])
MUTED = QColor(THEMES["light"]["muted"])
SURFACE = QColor(THEMES["light"]["surface"])
#: the books' "balanced" mark: green text that keeps 4.5:1 on the theme's window colour
OK_COLOR = QColor(THEMES["light"]["ok"])

#: Every (text, background) pair of theme keys the views draw, checked for WCAG AA
#: contrast (at least 4.5:1) in every theme by the tests.
TEXT_PAIRS = [
    ("ink", "canvas"),
    ("ink", "surface"),
    ("ink", "caption"),
    ("ink", "window"),
    ("muted", "canvas"),
    ("muted", "surface"),
    ("muted", "window"),
    ("ok", "window"),
    ("ok", "surface"),
    ("full_text", "canvas"),
    ("empty_text", "canvas"),
    ("note", "window"),
    ("error", "window"),
    ("banner_ink", "banner"),
    ("banner_alarm_ink", "banner_alarm"),
]
#: (box, background) pairs of theme keys whose box must stand out (WCAG non-text
#: contrast, at least 3:1): the banner on the canvas
BOX_PAIRS = [("banner", "canvas"), ("banner_alarm", "canvas")]
#: text drawn in the same colours in every theme: (text, background)
FIXED_TEXT_PAIRS = [
    ("#FFFFFF", "#B34F00"),  # white on ALARM_COLOR (the books broke)
]
TOKEN_INK = "#1F2328"  #: item labels: tokens are pastel in every theme


def color(key: str) -> QColor:
    """A colour of the current theme."""
    return QColor(THEMES[NAME][key])


def hex_color(key: str) -> str:
    return str(THEMES[NAME][key])


def use(name: str) -> None:
    """Switch the module's colours; views rebuild their styles afterwards."""
    global NAME, CANVAS_BG, INK, MUTED, SURFACE, OK_COLOR
    if name not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)} (got {name!r})")
    NAME = name
    CANVAS_BG, INK, MUTED, SURFACE, OK_COLOR = (
        color(k) for k in ("canvas", "ink", "muted", "surface", "ok")
    )


def luminance(c: QColor) -> float:
    """WCAG 2 relative luminance of ``c`` (0 black .. 1 white)."""

    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def contrast(fg: QColor, bg: QColor) -> float:
    """WCAG 2 contrast ratio of two colours, 1 .. 21 (AA asks 4.5 for text)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def blend(under: QColor, over: QColor, alpha: float) -> QColor:
    """``over`` at ``alpha`` on ``under`` (how a card's tint is made)."""
    return QColor.fromRgbF(
        under.redF() + (over.redF() - under.redF()) * alpha,
        under.greenF() + (over.greenF() - under.greenF()) * alpha,
        under.blueF() + (over.blueF() - under.blueF()) * alpha,
    )


#: Short words for states, for cards too small for the whole word (keyed by the states'
#: string values, so renamed or added states only need a line here; see :func:`short_state`).
SHORT_STATES = {
    "waiting: buffer full": "full",
    "waiting: buffer empty": "empty",
    "producing": "prod",
    "putting": "put",
    "consuming": "cons",
    "starting": "start",
    "stopped": "stop",
    "paused": "paused",
    "ready": "ready",
}


def state_word(state: str) -> str:
    """A state in words for counts beside a column (``46 producing · 18 waiting: full``):
    the legend's word (``waiting: full``), else the state's own (``stopped``)."""
    for key, word in LEGEND:
        if str(key) == str(state):
            return word
    return str(state)


def short_state(state: str) -> str:
    """A card's state in at most six letters (``waiting: buffer full`` -> ``full``)."""
    word = SHORT_STATES.get(str(state))
    if word is not None:
        return word
    return str(state).split()[-1][:6] if str(state).strip() else "?"


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
#: the books broke: a background under white text (darker than vermillion for 4.5:1)
ALARM_COLOR = QColor("#B34F00")


def state_color(state: str) -> QColor:
    return STATE_COLORS.get(state, STATE_COLORS[READY])


def token_color(producer_number: int) -> QColor:
    return QColor(TOKEN_HUES[(producer_number - 1) % len(TOKEN_HUES)])
