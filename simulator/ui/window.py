"""The main window: canvas on top, graph and log below, controls and numbers on the right.

One snapshot per frame for every view. The engine's frames arrive at ~60 Hz; the tokens
move on every one, but the *figures* (the canvas's header, slots, cards and counts, the
statistics, the books, the status bar) change only on "full" frames, at most every
:data:`FIGURES_S` and on every frame of a run that is not running. The window decides which
frames are full, and hands every view the same snapshot object until the next full frame
(:attr:`MainWindow.shown`): a view refreshes its figures when that object changes, so no
number on screen can be newer than another. ``--dump-view`` reads the widgets back on such
a frame (:meth:`MainWindow.dump_view`).

The prediction (what the settings should give, :mod:`simulator.theory`) travels with the
frame: on every full frame the window looks up the prediction for *that snapshot's*
settings (:class:`~simulator.ui.predictor.Predictor`, computed off the GUI thread) and
hands it to the views that show one (:attr:`MainWindow.prediction_views`) before the
snapshot; while the model works they show "…" rather than another configuration's
figures. With no run on show, the prediction is that of the settings shown.

Text size: one pixel size (:data:`theme.TEXT_PX` times the text scale, times
:data:`PRESENT_BOOST` in presentation mode) reaches every view: the window's font (controls,
statistics, status bar), the log's monospaced text, the graph's titles and ticks, and the
canvas's boost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QIcon,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

import simulator
from simulator.engine.config import ConfigError, SimulationConfig
from simulator.engine.events import Event, item_label
from simulator.engine.frame import Frame
from simulator.engine.simulation import (
    IDLE,
    PAUSED,
    RUNNING,
    STOPPED,
    RunState,
    Snapshot,
    steps_on,
)
from simulator.resources import asset
from simulator.scenarios.scenario import (
    Scenario,
    ScenarioError,
    TimelinePlayer,
    dumps,
    load,
    shipped,
)
from simulator.theory import Prediction
from simulator.ui import theme
from simulator.ui.bridge import EngineBridge
from simulator.ui.canvas import SimulationCanvas
from simulator.ui.controls import ENDINGS, ControlPanel
from simulator.ui.cpu_meter import CpuMeter
from simulator.ui.fit_label import FitLabel
from simulator.ui.guide import GUIDE_CAPTION, GuidePanel, worker_for_key
from simulator.ui.inside_view import InsideView
from simulator.ui.log import EventLog
from simulator.ui.plots import LivePlot
from simulator.ui.predictor import Key, Predictor
from simulator.ui.predictor import key as prediction_key
from simulator.ui.replay_bar import KEY_STEP_S, ReplayBar, Replayer
from simulator.ui.stats import StatsPanel, read_books

if TYPE_CHECKING:
    from simulator.ui.compare_dialog import CompareDialog
    from simulator.ui.invite_dialog import InviteDialog
    from simulator.ui.recorder import Recorder
    from simulator.ui.sweep_dialog import SweepDialog

TITLE = "pcsim — producer–consumer simulator"
#: the figures of every view refresh together, at most this often while running
FIGURES_S = 0.1
#: how long the picture of a run a timeline step ended stays before the next run starts
CONTINUE_AFTER_END_MS = 1500
#: presentation mode's extra text scale, on top of the user's
PRESENT_BOOST = 1.35
#: Invite workers…'s tooltip while it can be used
INVITE_TIP = (
    "Show the pcsim worker commands that let other terminals or machines join this run "
    "(password hidden; Copy copies it)"
)

#: Break it: bug -> (its shipped scenario, menu text, tooltip)
BREAK_IT: dict[str, tuple[str, str, str]] = {
    "no-lock": (
        "race-no-lock",
        "&No lock: a race on the indices",
        "The condition buffer updates its slots outside the lock: items lost and taken twice",
    ),
    "if-not-while": (
        "if-instead-of-while",
        "&if instead of while around wait()",
        "A woken consumer does not check again: it takes from an empty buffer and fails",
    ),
    "lost-wakeup": (
        "lost-wakeup-deadlock",
        "&Lost wake-up: notify() on one shared condition",
        "notify() wakes the wrong side: sooner or later every worker waits (DEADLOCK)",
    ),
}
#: the canvas's caption for each Break it scenario (by file name), in place of the file's
#: longer description: what is broken, what to watch, how the books catch it, short enough
#: for the canvas above the code at 1280x720
BROKEN: dict[str, str] = {
    "race-no-lock": "Broken (bug no-lock): the condition buffer updates its slots, indices "
    "and count outside the lock. Two producers write one slot; two consumers take one item. "
    "Watch the books: they name the items lost and taken twice.",
    "if-instead-of-while": "Broken (bug if-not-while): get() tests 'empty?' with if, not "
    "while, before wait(). Watch the consumer cards: a woken one may find its item taken by "
    "another and fails (IndexError, on its card); the books stay exact about every item.",
    "lost-wakeup-deadlock": "Broken (bug lost-wakeup): one condition for both sides and "
    "notify(), not notify_all(): a wake-up can reach the wrong side and is lost. Watch every "
    "card stop on wait() until nobody is left to notify: DEADLOCK, each waiter named.",
}
#: the canvas caption after Fix it, by the bug that was on
FIXED: dict[str, str] = {
    "no-lock": "Fixed: every slot, index and count update is back under the lock, so no two "
    "workers can read the same index. Watch the books: they stay ✓ balanced.",
    "if-not-while": "Fixed: while instead of if around wait(), so a woken consumer checks "
    "again and waits on if another took the item first. No consumer fails; the books stay ✓.",
    "lost-wakeup": "Fixed: two conditions (not_full for producers, not_empty for consumers), "
    "so every notify() wakes the side that can move. No DEADLOCK; the books stay ✓.",
}


class View(Protocol):
    """What the window asks of every view it feeds (:attr:`MainWindow.views`). A new view
    implements these three and is added to that tuple: one line, and it is cleared, shown
    each new configuration and fed each frame like the others."""

    def reset(self) -> None:
        """Forget the run drawn so far (a new run starts, or Reset)."""

    def show_config(self, cfg: SimulationConfig) -> None:
        """No run is going: show what the next start will create."""

    def on_frame(self, batch: list[Event], total: int, snap: Snapshot) -> None:
        """One frame: the newest events (``total`` happened in all) and a snapshot."""


class PredictionView(Protocol):
    """A view that shows the prediction (:attr:`MainWindow.prediction_views`)."""

    def show_prediction(self, p: Prediction | None) -> None:
        """The prediction for the settings on show (None: still predicting); the same
        object again is a no-op."""


class _CanvasView:
    """The canvas as a :class:`View` (its own methods split events and snapshots).

    A new snapshot object means a full frame: the canvas takes it and refreshes all its
    figures at once (header, slots or bar, cards and their counts). The same object again
    only moves the tokens, which the events drive."""

    def __init__(self, canvas: SimulationCanvas) -> None:
        self.canvas = canvas
        self.shown: Snapshot | None = None

    def reset(self) -> None:
        self.shown = None
        self.canvas.reset()

    def show_config(self, cfg: SimulationConfig) -> None:
        self.shown = None
        self.canvas.show_config(cfg)

    def on_frame(self, batch: list[Event], total: int, snap: Snapshot) -> None:
        if total:
            self.canvas.on_batch(batch, total)
        if snap is self.shown:
            self.canvas.refresh()  # the tokens move; every figure stays that of `shown`
            return
        self.shown = snap
        self.canvas.on_snapshot(snap, refresh=False)
        self.canvas.refresh(force=True)  # every figure of the canvas from this snapshot


#: called after the views with each frame, as ``frameReady`` carries it (the benchmark's)
FrameListener = Callable[[Frame], None]


class MainWindow(QMainWindow):
    def __init__(
        self,
        config: SimulationConfig | None = None,
        scenario: Scenario | None = None,
        restore_geometry: bool = True,
    ) -> None:
        """``restore_geometry=False`` keeps the default 1280x720 (screenshots, recordings)."""
        super().__init__()
        config = config or SimulationConfig()
        self.scenario = scenario
        #: the caption after Break it ▸ Fix it (no scenario): what the fix changed
        self.fixed_caption = ""
        self.timeline = TimelinePlayer(scenario)
        self._scenario_t0 = 0.0  # the scenario's clock: its first run's start
        self._continuing = False  # the next start goes on with the scenario's timeline
        self._continue_after_end = False  # a timeline step ended the run: start again
        self.recorder: Recorder | None = None
        self.sweep_dialog: SweepDialog | None = None  # Simulation ▸ Sweep…, made when asked
        self.compare_dialog: CompareDialog | None = None  # Compare backends…, when asked
        self.invite_dialog: InviteDialog | None = None  # Invite workers…, when asked
        self._presenting = False  # presentation mode (full screen, larger text)
        self.font_scale = 1.0
        self.frame_listeners: list[FrameListener] = []  # extra per-frame callbacks
        self.last_frame_s = 0.0  # GUI-thread time the last frame's views took
        #: the snapshot every view's figures show (changes only on full frames)
        self.shown: Snapshot | None = None
        self._figures_t = -1.0  # time.monotonic() of the last full frame
        self.setWindowTitle(TITLE)
        icon = asset("icons", "pcsim.svg")
        if icon.exists():
            self.setWindowIcon(QIcon(str(icon)))
        self.bridge = EngineBridge(config, self)
        self.predictor = Predictor(self)
        #: the prediction the prediction views show, for the settings of what is on show
        self.prediction: Prediction | None = None
        self._prediction_key: Key | None = None
        self._make_actions()
        self._build_views(config)
        self._build_layout()
        self._build_status_bar()
        self._connect()
        self._on_state(IDLE)
        self._show_prediction(config)
        self.resize(QSize(1280, 720))
        self._restore_settings(restore_geometry)
        self._inside_for(config)
        self.guide.load(scenario)  # a guided scenario starts paused: you step it
        self.bridge.start_paused = self.guide.active

    def _build_views(self, config: SimulationConfig) -> None:
        self.canvas = SimulationCanvas(config)
        self.plot = LivePlot()
        self.plot.set_capacity(config.capacity)
        self.log = EventLog()
        self.stats = StatsPanel()
        self.cpu_meter = CpuMeter()  # a core per row: the GIL made visible (work cpu)
        self.controls = ControlPanel(config, self.actions_by_name)
        #: View ▸ Inside: the code each worker runs and the buffer's primitives (a dock)
        self.inside_view = InsideView(config)
        #: every view the window clears, configures and feeds: a new view is one entry
        self.views: tuple[View, ...] = (
            _CanvasView(self.canvas),
            self.plot,
            self.log,
            self.stats,
            self.inside_view,
        )
        #: the views that show the prediction beside what they measure
        self.prediction_views: tuple[PredictionView, ...] = (self.plot, self.stats)
        #: Rewind: the time slider under the canvas, and REPLAY of what was painted
        self.replay_bar = ReplayBar()
        self.replay = Replayer(
            self.canvas,
            self.plot,
            self.stats,
            self.inside_view,
            self.replay_bar,
            lambda snap: self._show_prediction(snap.config, snap.capacity),
            self._show_lines,
            self.show_figures_now,
            self.log.set_replay,
        )
        #: a guided scenario's captions, one at a time (hidden without a guide)
        self.guide = GuidePanel()
        # the banner sits above the canvas, hidden until the engine process dies
        self.banner = QLabel()
        self.banner.setObjectName("engine_banner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Engine status")
        self.banner.hide()
        # presentation mode hides the side panel; this line keeps what a room asks about
        self.strip = QLabel()
        self.strip.setObjectName("figures_strip")
        self.strip.setWordWrap(True)
        self.strip.setContentsMargins(12, 4, 12, 4)
        self.strip.hide()

    def _build_layout(self) -> None:
        """Banner and canvas over graph and log, beside the scrolling side panel.

        The Inside view (View ▸ Inside) adds the primitives and the worker list in a row
        under the canvas (near the buffer) and the code as a tab, "Code", beside "Graph and
        log" under the picture: the code gets the picture's whole width (the put/get lines
        with the markers need ~90 columns), the canvas keeps its size."""
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.plot)
        bottom.addWidget(self.log)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        bottom.setCollapsible(0, False)
        self.log.worker.setMinimumWidth(70)  # the graph needs the room more at 1024 px
        self.graph_log = bottom
        tabs = QTabWidget()
        tabs.setObjectName("bottom_tabs")
        tabs.setDocumentMode(True)
        tabs.setTabBarAutoHide(True)  # the plain view: no tab bar, graph and log as ever
        tabs.addTab(bottom, "Graph and log")
        self.bottom_tabs = tabs
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.setSpacing(0)
        top_lay.addWidget(self.banner)
        top_lay.addWidget(self.guide)
        top_lay.addWidget(self.canvas, 1)
        top_lay.addWidget(self.replay_bar)
        top_lay.addWidget(self.inside_view.strip)
        top_lay.addWidget(self.strip)
        self.inside_view.strip.hide()
        self.inside_view.prims.under_canvas = True
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(top)
        left.addWidget(tabs)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        left.setCollapsible(1, False)
        self._left = left
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(6, 6, 6, 6)
        side_lay.addWidget(self.controls)
        side_lay.addWidget(self.stats)
        side_lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(320)
        scroll.setMaximumWidth(480)
        self._side = scroll  # in presentation mode it keeps only the statistics
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(scroll)
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 0)
        main.setCollapsible(0, False)
        self.setCentralWidget(main)
        main.setSizes([930, 350])
        left.setSizes([430, 260])
        bottom.setSizes([560, 380])

    def _build_status_bar(self) -> None:
        """Run state on the left; the recording mark and the event rate on the right."""
        self.rec_label = QLabel("● REC")
        self.rec_label.setStyleSheet(
            "color: white; background: #C0392B; font-weight: bold;"
            "padding: 1px 8px; border-radius: 3px"
        )
        self.rec_label.setToolTip("Recording the window (Ctrl+R to stop)")
        self.rec_label.hide()
        self.state_label = FitLabel()
        self.rate_label = QLabel()
        self.statusBar().addWidget(self.state_label, 1)
        self.statusBar().addPermanentWidget(self.rec_label)
        self.statusBar().addPermanentWidget(self.cpu_meter)
        self.statusBar().addPermanentWidget(self.rate_label)
        self._events_seen = 0
        self._rate_t = time.monotonic()
        self._rate_timer = QTimer(self)  # the rate still falls to 0 when frames stop
        self._rate_timer.setInterval(1000)
        self._rate_timer.timeout.connect(self._update_rate)
        self._rate_timer.start()

    def _connect(self) -> None:
        b = self.bridge
        b.frameReady.connect(self._on_frame)
        b.stateChanged.connect(self._on_state)
        b.runStarted.connect(self._prepare_run)
        b.engineFailed.connect(self._engine_failed)
        b.engineLost.connect(self._engine_lost)
        b.deferredChanged.connect(self.controls.show_pending)
        self.controls.configChanged.connect(self._on_config)
        self.controls.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.canvas.workerClicked.connect(self.inside_view.select)
        self.canvas.workerClicked.connect(self._card_clicked)
        self.predictor.predicted.connect(self._on_prediction)

    def _restore_settings(self, restore_geometry: bool) -> None:
        """Geometry (unless told not to), text size and theme of the last session."""
        self.settings = QSettings("pcsim", "pcsim")
        geometry = self.settings.value("geometry")
        if geometry is not None and restore_geometry:
            self.restoreGeometry(geometry)
        try:
            self.set_font_scale(float(str(self.settings.value("font_scale", 1.0))))
        except (TypeError, ValueError):
            self.set_font_scale(1.0)
        saved = str(self.settings.value("theme", "light"))
        self.set_theme(saved if saved in theme.THEMES else "light")
        self.set_inside_view(str(self.settings.value("inside_view", "false")).lower() == "true")

    # ---- actions ---------------------------------------------------------------------
    def _action(self, name: str, text: str, keys: str, tip: str, slot) -> QAction:
        a = QAction(text, self)
        if keys:
            a.setShortcut(QKeySequence(keys))
        a.setToolTip(tip)
        a.setStatusTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)
        self.actions_by_name[name] = a
        return a

    def _make_actions(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        self._action(
            "start",
            "&Start",
            "Space",
            "Start the simulation, or pause and resume it",
            self._toggle,
        )
        self._action(
            "step",
            "Ste&p",
            "Right",
            "While paused: one worker makes its next move (one event)",
            self._step,
        )
        self._action(
            "stop", "S&top", "Esc", "Stop every worker (the run's numbers stay)", self._stop
        )
        for ending, (text, tip) in ENDINGS.items():
            self._action(
                f"end_{ending}", text, "", tip, lambda _=False, e=ending: self._end_with(e)
            )
        self._action(
            "reset", "&Reset", "R", "Stop and clear the picture, graph and log", self._reset
        )
        self._action(
            "screenshot",
            "Save &screenshot…",
            "Ctrl+Shift+S",
            "Save a PNG of the window",
            self._save_screenshot,
        )
        self._action("quit", "&Quit", "Ctrl+Q", "Stop and quit", self.close)
        self._action(
            "present",
            "&Presentation mode",
            "F11",
            "Full screen, larger text, only the picture and the graph",
            self.toggle_presentation,
        )
        self.actions_by_name["present"].setCheckable(True)
        self._action(
            "open_scenario",
            "&Open scenario file…",
            "Ctrl+O",
            "Load a scenario (.toml) and run it",
            self._open_scenario,
        )
        self._action(
            "save_scenario",
            "&Save settings as scenario…",
            "Ctrl+S",
            "Write the current settings to a scenario file",
            self._save_scenario,
        )
        self._action(
            "record",
            "&Record video…",
            "Ctrl+R",
            "Record the window to an MP4 or a GIF; again to stop",
            self.toggle_recording,
        )
        self.actions_by_name["record"].setCheckable(True)
        self._action(
            "zoom_in",
            "&Larger text",
            "Ctrl++",
            "Make the canvas text larger",
            lambda: self.set_font_scale(self.font_scale + 0.1),
        )
        self._action(
            "zoom_out",
            "&Smaller text",
            "Ctrl+-",
            "Make the canvas text smaller",
            lambda: self.set_font_scale(self.font_scale - 0.1),
        )
        self._action(
            "zoom_reset",
            "&Normal text size",
            "Ctrl+0",
            "Text at its normal size",
            lambda: self.set_font_scale(1.0),
        )
        self._action(
            "sweep",
            "S&weep…",
            "",
            "Vary one setting: each value runs for real and in the model, charted",
            self.open_sweep,
        )
        self._action(
            "compare",
            "&Compare backends…",
            "",
            "The same settings on threads, processes and asyncio, one after another, charted"
            " (with work cpu: the GIL)",
            self.open_compare,
        )
        self._action(
            "inside",
            "&Inside (code, lock, conditions)",
            "Ctrl+I",
            "Show the code each worker runs, with its line, and the buffer's lock, conditions"
            " and semaphores (the engine records them from the next start)",
            lambda: self.set_inside_view(self.actions_by_name["inside"].isChecked()),
        )
        self.actions_by_name["inside"].setCheckable(True)
        self._action(
            "rewind_back",
            "Rewind &back 1 s",
            "Ctrl+Left",
            "REPLAY the moment 1 s before the one on show (the run goes on underneath)",
            lambda: self.replay.step(-KEY_STEP_S),
        )
        self._action(
            "rewind_forward",
            "Rewind &forward 1 s",
            "Ctrl+Right",
            "REPLAY the moment 1 s after the one on show; past the newest, live again",
            lambda: self.replay.step(KEY_STEP_S),
        )
        self._action(
            "live",
            "&Live",
            "Ctrl+L",
            "Leave REPLAY: the run as it is now",
            lambda: self.replay.live(),
        )
        self._action(
            "invite",
            "&Invite workers…",
            "",
            INVITE_TIP,
            self.open_invite,
        )
        self._action("about", "&About pcsim", "", "About pcsim", self._about)
        bar = self.menuBar()
        sim = bar.addMenu("&Simulation")
        sim.setToolTipsVisible(True)  # a greyed Invite workers… says why
        for key in ("start", "step", "stop", "reset"):
            sim.addAction(self.actions_by_name[key])
        stop_by = sim.addMenu("Stop &by")
        stop_by.setToolTipsVisible(True)
        for ending in ENDINGS:
            stop_by.addAction(self.actions_by_name[f"end_{ending}"])
        sim.addSeparator()
        sim.addAction(self.actions_by_name["sweep"])
        sim.addAction(self.actions_by_name["compare"])
        sim.addAction(self.actions_by_name["invite"])
        sim.addSeparator()
        sim.addAction(self.actions_by_name["quit"])
        scen = bar.addMenu("S&cenarios")
        for name in shipped():
            try:
                title = load(name).title
            except ScenarioError:
                continue
            act = scen.addAction(title)
            act.setToolTip(f"Load the '{name}' scenario and run it")
            act.triggered.connect(lambda _=False, n=name: self.run_scenario(n))
        scen.addSeparator()
        scen.addAction(self.actions_by_name["open_scenario"])
        scen.addAction(self.actions_by_name["save_scenario"])
        self._build_break_menu(bar.addMenu("&Break it"))
        view = bar.addMenu("&View")
        view.addAction(self.actions_by_name["inside"])
        view.addAction(self.actions_by_name["present"])
        themes = view.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        for name in theme.THEMES:
            act = themes.addAction(name.capitalize())
            act.setCheckable(True)
            act.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_actions[name] = act
        for key in ("zoom_in", "zoom_out", "zoom_reset"):
            view.addAction(self.actions_by_name[key])
        view.addSeparator()
        for key in ("rewind_back", "rewind_forward", "live"):
            view.addAction(self.actions_by_name[key])
        view.addSeparator()
        view.addAction(self.actions_by_name["screenshot"])
        view.addAction(self.actions_by_name["record"])
        bar.addMenu("&Help").addAction(self.actions_by_name["about"])
        # Invite workers… as a button too: a teacher inviting the room is presenting (the
        # menus hidden); shown only with the redis backend, the only one others can join
        invite = QToolBar("Invite workers", self)
        invite.setObjectName("invite_bar")
        invite.setMovable(False)
        invite.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        invite.addAction(self.actions_by_name["invite"])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, invite)
        self.invite_bar = invite

    def _build_break_menu(self, menu: QMenu) -> None:
        """Break it: each classic bug opens its shipped scenario (settings, caption that
        explains it, the Inside view on) and runs it; Fix it runs the same settings with
        bug none."""
        self.break_actions: dict[str, QAction] = {}
        for bug, (scenario, text, tip) in BREAK_IT.items():
            act = menu.addAction(text)
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.triggered.connect(lambda _=False, b=bug, n=scenario: self.break_it(b, n))
            self.break_actions[bug] = act
        menu.addSeparator()
        fix = menu.addAction("&Fix it (bug none)")
        fix.setToolTip("Run the same settings with the bug switched off: the books stay ✓")
        fix.setStatusTip(fix.toolTip())
        fix.triggered.connect(self.fix_it)
        self.break_actions["none"] = fix
        menu.setToolTipsVisible(True)

    def break_it(self, bug: str, scenario: str) -> bool:
        """Run the shipped scenario of ``bug`` (its caption on the canvas says what is
        broken, what to watch and how the books catch it); if that scenario cannot be
        loaded, switch the bug on in the current settings instead (at the next start)."""
        if self.run_scenario(scenario):
            self.statusBar().showMessage(f"Break it: bug {bug} on, running '{scenario}'", 10_000)
            return True
        cfg = self.controls.current()
        backend = cfg.backend if cfg.backend in ("threads", "asyncio") else "threads"
        self._use_config(cfg.replace(backend=backend, buffer="condition", bug=bug))
        self._inside_for(self.bridge.config)
        return False

    @Slot()
    def fix_it(self) -> None:
        """Bug none with every other setting kept, run again at once (a fresh run, so the
        books start from zero); the caption says what changed."""
        cfg = self.controls.current()
        if cfg.bug == "none":
            self.statusBar().showMessage("No bug is on: nothing to fix.", 10_000)
            return
        bug = cfg.bug
        self.bridge.stop()
        self.scenario = None
        self.guide.load(None)
        self.bridge.start_paused = False
        self.setWindowTitle(f"{TITLE} — fixed")
        self.fixed_caption = FIXED.get(bug, "")
        self._use_config(cfg.replace(bug="none"))
        self.canvas.set_caption(self._scenario_caption())
        self.bridge.start()
        self.statusBar().showMessage(f"Fixed: bug {bug} off, the run starts again", 10_000)

    @Slot()
    def _step(self, worker: str | None = None) -> None:
        """→ while paused: one worker moves (``worker``, or the next that can, round
        robin); the status bar says who and why at once, the canvas from the next frame
        (its banner reads the snapshot's ``last_step``: a worker that cannot move says
        why there, in one line)."""
        line = self.bridge.step(worker or None)
        if line:
            self.statusBar().showMessage(f"Last step: {line}", 10_000)

    @Slot(str)
    def step_worker(self, worker: str) -> bool:
        """You are the scheduler: step ``worker`` while paused (its card clicked, or its
        key). False, changing nothing, unless paused on a backend that steps."""
        if self.bridge.state != PAUSED:
            return False
        step = self.actions_by_name["step"]
        if not step.isEnabled():  # processes: say why, as the greyed Step button does
            self.statusBar().showMessage(step.toolTip(), 10_000)
            return False
        self._step(worker)
        return True

    @Slot(str)
    def _card_clicked(self, worker: str) -> None:
        """A card clicked: while paused it steps that worker (it is selected for the code
        panel as well); while running the click only selects it."""
        self.step_worker(worker)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """1–9 step the first producers, Shift+1–9 the first consumers, while paused
        (the digit row's keys whatever the layout: see :mod:`simulator.ui.guide`). Keys
        a focused field takes (a spin box's digits) never get here."""
        worker = worker_for_key(event) if self.bridge.state == PAUSED else None
        if worker is not None and self._run_has(worker):
            self.step_worker(worker)
            event.accept()
            return
        super().keyPressEvent(event)

    def _run_has(self, worker: str) -> bool:
        snap = self.bridge.last_snapshot
        names = {w.name for w in snap.workers} if snap is not None else set()
        if worker in names:
            return True
        self.statusBar().showMessage(f"Step: there is no {worker} in this run", 10_000)
        return False

    @Slot()
    def _toggle(self) -> None:
        self.controls.commit()  # a setting still debouncing applies before the start
        self.bridge.toggle()

    # ---- the three things every view takes: a clear, a config, a frame -----------------
    def _clear_views(self) -> None:
        """Every view forgets the run it has drawn."""
        self.shown = None
        for view in self.views:
            view.reset()

    def _use_config(self, cfg: SimulationConfig, *, from_controls: bool = False) -> None:
        """Take new settings, wherever they come from (the controls, a scenario, a timeline
        step): the controls show them (unless they sent them), the engine gets them, the
        status bar says so, and, when no run is going, every view shows what the next start
        will create (a run keeps the capacity and backend it started with)."""
        if not from_controls:
            self.controls.load(cfg)
        self.bridge.apply(cfg)
        self._on_state(self.bridge.state)
        if self.bridge.state not in (RUNNING, PAUSED):
            self.replay.live(repaint=False)  # the views show what the next start creates
            for view in self.views:
                view.show_config(cfg)
            if self.shown is None:  # no run's figures on show: the next run's prediction
                self._show_prediction(cfg)
        else:  # the run's next frames carry these settings: start on their prediction now
            last = self.bridge.last_snapshot
            self.predictor.request(cfg, None if last is None else last.capacity)

    def _use_scenario(self, scenario: Scenario) -> None:
        """Make ``scenario`` the window's: its title, its caption, its settings, and the
        one the next session makes ready."""
        self.scenario = scenario
        self.fixed_caption = ""
        self.setWindowTitle(f"{TITLE} — {scenario.title}")
        self.settings.setValue("last_scenario", str(scenario.path))
        self._use_config(scenario.config)
        self.canvas.set_caption(self._scenario_caption())
        self._inside_for(scenario.config)
        self.guide.load(scenario)  # a guided scenario starts paused: you step it
        self.bridge.start_paused = self.guide.active

    def _scenario_caption(self) -> str:
        if self.scenario is None:
            return self.fixed_caption
        if self.scenario.guide:  # the guide panel says the rest
            return GUIDE_CAPTION
        short = BROKEN.get(Path(str(self.scenario.path)).stem)
        if short is not None:
            return short
        return f"{self.scenario.title}: {self.scenario.description}"

    @Slot(float)
    def _prepare_run(self, t0: float) -> None:
        self.banner.hide()  # a fresh run (in a fresh engine, if the last one died)
        self.replay.clear()  # its history is the new run's
        self._clear_views()
        # the run's capacity (perhaps one deferred during the last run) before its first sample
        self.plot.set_capacity(self.bridge.config.capacity)
        self.log.set_origin(t0)
        if self._continuing:  # the same scenario after a step's ending: its clock goes on
            self._continuing = False
        else:
            self.timeline = TimelinePlayer(self.scenario)
            self._scenario_t0 = t0
            self.canvas.set_caption(self._scenario_caption())  # a timeline may change it
        self.guide.restart()
        if self.bridge.join_command:  # redis --listen: say where the command is (not it)
            self.statusBar().showMessage(
                "Others can join this run: Simulation ▸ Invite workers… shows the command",
                10_000,
            )

    @Slot()
    def _stop(self) -> None:
        """Stop (Esc, the button): by the configured ending (``shutdown``), or at once
        when none is chosen."""
        self.bridge.end()

    def _end_with(self, ending: str) -> None:
        """Make ``ending`` the configured one (the Stop button's label says which) and,
        while a run goes, end it so now."""
        try:
            cfg = self.bridge.config.replace(shutdown=ending)
        except ConfigError as err:  # not offered on this backend (redis: no join)
            self.statusBar().showMessage(err.describe("The ending"), 8000)
            return
        self._use_config(cfg)
        self.bridge.end(ending)

    def _enable_endings(self) -> None:
        """Grey out the endings the settings' backend does not offer, saying why."""
        for ending, (_text, tip) in ENDINGS.items():
            action = self.actions_by_name[f"end_{ending}"]
            try:
                self.bridge.config.replace(shutdown=ending)
            except ConfigError as err:
                action.setEnabled(False)
                action.setToolTip(err.describe("The ending"))
            else:
                action.setEnabled(True)
                action.setToolTip(tip)

    @Slot()
    def _reset(self) -> None:
        self.bridge.reset()
        self.replay.clear()
        self._clear_views()
        for view in self.views:
            view.show_config(self.bridge.config)
        self._show_prediction(self.bridge.config)

    @Slot(object)
    def _on_config(self, cfg: SimulationConfig) -> None:
        self._use_config(cfg, from_controls=True)

    @Slot(str)
    def _on_state(self, name: str) -> None:
        state = RunState(name)
        start = self.actions_by_name["start"]
        start.setText({RUNNING: "&Pause", PAUSED: "&Resume"}.get(state, "&Start"))
        start.setToolTip(
            {RUNNING: "Pause every worker at its next step", PAUSED: "Let the workers go on"}.get(
                state, "Start the simulation"
            )
        )
        self.actions_by_name["stop"].setEnabled(state in (RUNNING, PAUSED))
        if state == STOPPED and self.guide.active:  # nothing left to step: no "click a card"
            self.replay.set_live_caption("")
        if state == STOPPED and self._continue_after_end:
            self._continue_after_end = False
            QTimer.singleShot(CONTINUE_AFTER_END_MS, self._continue_scenario)
        shutdown = self.bridge.config.shutdown
        stop = self.actions_by_name["stop"]
        stop.setText(f"S&top: {shutdown}" if shutdown else "S&top")  # the menus' wording
        # the button names the ending on a line of its own: "Stop: terminate" on one line
        # widened the side panel past a 1024 px window (Reset and the figures cut off)
        stop.setIconText(f"Stop\n{shutdown}" if shutdown else "Stop")
        self._enable_step(state)
        self._enable_invite(state)
        self._show_status(state)
        if state == STOPPED and self.bridge.last_snapshot is not None:
            self.show_figures_now()

    def _enable_step(self, state: RunState) -> None:
        """Step: only while paused, and only on a backend that can step (the run's own,
        which a pending backend change does not alter)."""
        self._enable_endings()
        snap = self.bridge.last_snapshot
        running = state in (RUNNING, PAUSED) and snap is not None
        backend = snap.backend if running and snap is not None else self.bridge.config.backend
        step = self.actions_by_name["step"]
        if not steps_on(backend):
            step.setEnabled(False)
            step.setToolTip(
                f"Single-step is not available on {backend}: their workers are separate "
                "processes, which the step's grant does not reach; use threads or asyncio"
            )
            return
        step.setEnabled(state == PAUSED)
        step.setToolTip("While paused: one worker makes its next move (one event)")

    def _enable_invite(self, state: RunState) -> None:
        """Invite workers…: only while a run that others can join goes (redis with
        ``--listen``); greyed otherwise, its tooltip saying why. Its dialog closes when the
        run ends (the command would join nothing: the run's server is gone)."""
        from simulator.ui.invite_dialog import why_not

        running = state in (RUNNING, PAUSED)
        command = self.bridge.join_command if running else ""
        why = why_not(self.bridge.config, running, command)
        action = self.actions_by_name["invite"]
        action.setEnabled(not why)
        action.setToolTip(why or INVITE_TIP)
        cfg = self.bridge.config  # the bar only where others may join (no clutter else)
        listens = cfg.backend == "redis" and (cfg.listen or cfg.broker) is not None
        self.invite_bar.setVisible(bool(command) or listens)
        if self.invite_dialog is not None:
            if not command:
                self.invite_dialog.close()
            elif command not in self.invite_dialog.commands.values():
                self.invite_dialog.set_command(command)  # a new run, a new password

    @Slot()
    def open_invite(self) -> None:
        """Simulation ▸ Invite workers…: the commands that join the running run, the
        password hidden until asked for (see :mod:`simulator.ui.invite_dialog`)."""
        from simulator.ui.invite_dialog import InviteDialog

        command = self.bridge.join_command
        if not command:
            return
        if self.invite_dialog is None:
            self.invite_dialog = InviteDialog(command, self.text_px, self)
        else:
            self.invite_dialog.set_command(command, self.text_px)
        self.invite_dialog.show()
        self.invite_dialog.raise_()
        self.invite_dialog.activateWindow()

    def _show_lines(self) -> None:
        """The status bar and presentation mode's line, from the statistics on show
        (live, or the moment REPLAY paints)."""
        self._show_status()
        self._show_strip()

    def _show_strip(self) -> None:
        """Presentation mode's line: the statistics' throughput and books, as shown there
        (read from their labels, so the two can never disagree)."""
        if not self.strip.isVisible():
            return
        books = self.stats.values["invariant"]
        # the statistics' figures carry no unit (it is in their row's name): say it here
        rate = f"Throughput now / run avg: {self.stats.values['throughput'].text()} items/s"
        guess = f" (predicted {self.stats.predicted['throughput'].text()})"
        tail = f"     Books: {books.text()}"
        # the prediction only if the line still fits on one line (a projector's 1024 px)
        font = QFont(self.strip.font())  # as the books' style sheet draws it: bold
        font.setPixelSize(self.text_px)
        font.setBold(True)
        fm = QFontMetrics(font)
        m = self.strip.contentsMargins()
        room = self.strip.width() - m.left() - m.right() - 8
        fits = fm.horizontalAdvance(rate + guess + tail) <= room
        self.strip.setText(rate + (guess if fits else "") + tail)
        self.strip.setStyleSheet(books.styleSheet())

    def _show_status(self, state: RunState | None = None) -> None:
        """The status bar's run line, from the snapshot the other views show (the run's
        backend, workers and capacity) or, with no run, the settings."""
        cfg = self.bridge.config
        snap = self.shown if self.shown is not None else self.bridge.last_snapshot
        if self.replay.active:  # REPLAY: the status of the moment on show
            snap, state = self.replay.snapshot, None
        if state is None:  # a frame: the state its snapshot was taken in
            state = RunState(snap.state if snap is not None else self.bridge.state)
        # a run keeps the backend and capacity it started with; changes wait for the next
        run = snap if snap is not None and state != IDLE else None
        backend = run.backend if run else cfg.backend
        capacity = run.capacity if run else cfg.capacity
        if self.bridge.engine_lost:
            self.state_label.set_wordings(
                "Engine process ended unexpectedly · the run's books are unknown · "
                "Start begins a fresh engine",
                "Engine process ended unexpectedly · books unknown",
            )
            return
        words = {IDLE: "Ready", RUNNING: "Running", PAUSED: "Paused", STOPPED: "Stopped"}
        producers, consumers = cfg.producers, cfg.consumers
        clock = ""
        if run is not None:
            # the workers the snapshot has, as the canvas counts them ("Producers (0)"
            # once a poison pill's producers left); the settings' only before any is
            # listed (the canvas shows the settings' cards then too)
            if run.workers:
                producers = sum(1 for w in run.workers if w.role == "producer")
                consumers = sum(1 for w in run.workers if w.role == "consumer")
            clock = f" · {run.elapsed:.1f} s"
        said = short = str(words.get(state, state))
        if state == RUNNING and run is not None and getattr(run, "deadlock", False):
            said, short = "Deadlocked (every worker waits; nothing moves)", "Deadlocked"
        if self.replay.active:
            said, short = f"REPLAY (was: {said.lower()})", "REPLAY"
        workers = f"{_count(producers, 'producer')}, {_count(consumers, 'consumer')}"
        # narrower and narrower: the explanation goes first, the clock stays to the last
        self.state_label.set_wordings(
            f"{said} · {backend} · {workers}, capacity {capacity}{clock}",
            f"{short} · {backend} · {workers}, capacity {capacity}{clock}",
            f"{short} · {backend} · {producers} P, {consumers} C, cap. {capacity}{clock}",
            f"{short} · {producers} P, {consumers} C{clock}",
            f"{short}{clock}",
        )

    @Slot(object)
    def _on_frame(self, frame: Frame) -> None:
        """One frame: hand the events and the snapshot to every view, in plain Python.

        Full frames (:data:`FIGURES_S` apart while running; every frame otherwise) make
        the frame's snapshot the one every view shows; the frames between hand every view
        the previous one again, so the tokens move but no figure changes alone."""
        t0 = time.perf_counter()
        batch, total, snap = frame.events, frame.total, frame.snapshot
        self._events_seen += total
        if snap.state == RUNNING:  # on the scenario's clock (it goes on across endings)
            self._play_timeline(snap.started_at - self._scenario_t0 + snap.elapsed)
        now = time.monotonic()
        full = (
            self.shown is None
            or snap.state != RUNNING
            or self.shown.state != RUNNING
            or not 0 <= now - self._figures_t < FIGURES_S
        )
        if full:
            self.shown, self._figures_t = snap, now
            if not self.replay.active:
                self._show_prediction(snap.config, snap.capacity)
        # a frame is recorded at the time of the snapshot its figures show (not the
        # frame's own, up to FIGURES_S later): REPLAY's mark, the slider's label and the
        # status bar then say one time
        shown = self.shown or snap
        if self.replay.active:  # REPLAY: the run goes on off screen, and is recorded
            self.log.on_frame(batch, total, shown)
            self.replay.follow(shown.elapsed, shown, batch, total)
        else:
            for view in self.views:
                view.on_frame(batch, total, self.shown or snap)
            if full:
                self._show_status()
                self._show_strip()
                self.cpu_meter.show_workers(snap.cpu_percent, snap.backend)
            self.replay.record(shown.elapsed, shown)
        if self.guide.active and snap.state == PAUSED:
            self.guide.on_step(snap.last_step)  # the step it asked for moves it on
        self.last_frame_s = time.perf_counter() - t0
        for listener in self.frame_listeners:
            listener(frame)

    def show_figures_now(self) -> None:
        """A full frame at once from the newest snapshot (no new events): every view
        shows that snapshot's figures. For ``--dump-view``, screenshots, and a stop.
        In REPLAY, the moment on show is painted again instead."""
        if self.replay.active:
            self.replay.repaint()
            return
        snap = self.bridge.last_snapshot
        if snap is None:
            return
        self.shown, self._figures_t = snap, time.monotonic()
        self._show_prediction(snap.config, snap.capacity)
        for view in self.views:
            view.on_frame([], 0, snap)
        self._show_status()
        self._show_strip()
        self.replay.record(snap.elapsed, snap)

    def _show_prediction(self, cfg: SimulationConfig, capacity: int | None = None) -> None:
        """Hand the prediction views the prediction for ``cfg`` (with the run's
        ``capacity``), or None ("…") while it is computed; :meth:`_on_prediction` hands it
        over when it comes, if those are still the settings on show."""
        self._prediction_key = prediction_key(cfg, capacity)
        self.prediction = self.predictor.get(cfg, capacity)
        for view in self.prediction_views:
            view.show_prediction(self.prediction)

    @Slot(object)
    def _on_prediction(self, p: Prediction) -> None:
        if prediction_key(p.config) != self._prediction_key:
            return  # for settings no longer on show (it is kept for when they are)
        self.prediction = p
        for view in self.prediction_views:
            view.show_prediction(p)
        self._show_strip()

    def dump_view(self) -> dict[str, object]:
        """What each view shows, read back from its widgets (scene items, label texts),
        after a full frame (:meth:`show_figures_now`), plus the snapshot they were all
        given (``"snapshot"``) so a test can hold one to the other."""
        self.show_figures_now()
        out: dict[str, object] = {}
        out.update(self.canvas.dump())
        out["stats"] = self.stats.read()
        out["books"] = read_books(self.stats.books_text())
        out["throughput"] = self.stats.values["throughput"].text()
        out["graph_title"] = self.plot.title_text()
        out["graph_occupancy_title"] = self.plot.occ_title_text()
        # the prediction views: what they show, and the prediction they were handed
        out["predicted"] = self.stats.read_predicted() | {
            "graph_lines": self.plot.predicted_lines()
        }
        out["prediction"] = None if self.prediction is None else self.prediction.as_json()
        out["status"] = self.state_label.text()
        out["inside"] = self.inside_view.dump() | {"visible": self.inside_shown}
        # REPLAY: the recorded moment on show, and when it was (None while live)
        out["replay"] = self.replay.dump()
        out["guide"] = {
            "step": self.guide.index,
            "of": len(self.guide.steps),
            "text": self.guide.current(),
            "note": self.guide.note.text(),
        }
        snap = self.replay.snapshot or self.shown
        out["deadlock"] = bool(getattr(snap, "deadlock", False))
        if snap is not None:
            out["snapshot"] = {
                "state": str(snap.state),
                "elapsed": snap.elapsed,
                "produced": snap.produced,
                "consumed": snap.consumed,
                "in_buffer": snap.in_buffer,
                "in_hand": snap.in_hand,
                "rejected": snap.rejected,
                "overwritten": snap.overwritten,
                "capacity": snap.capacity,
                "ok": snap.ok,
                "mean_occupancy": snap.mean_occupancy,
                "mean_latency_ms": snap.mean_latency_ms,
                "buffer": [item_label(i) for i in snap.buffer],
                "workers": [
                    {
                        "name": w.name,
                        "role": str(w.role),
                        "state": w.state,
                        "item": item_label(w.item) if w.item >= 0 else None,
                        "done": w.done,
                    }
                    for w in snap.workers
                ],
            }
        out["consumed_items"] = _consumed_labels(self.log)
        return out

    @Slot()
    def _update_rate(self) -> None:
        now = time.monotonic()
        rate = self._events_seen / max(1e-6, now - self._rate_t)
        self._events_seen, self._rate_t = 0, now
        dropped = self.bridge.dropped
        # short: a long line here squeezed the run's line and the CPU meter at 1024 px
        extra = f" · {dropped:,} unlisted" if dropped else ""
        self.rate_label.setText(f"{rate:,.0f} events/s{extra}")
        self.rate_label.setToolTip(
            f"{dropped:,} events came too fast to list in the log (the books count every one)"
            if dropped
            else "Events the engine sent each second"
        )

    @Slot()
    def _save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "pcsim.png", "PNG (*.png)")
        if path and not self.grab().save(path, "PNG"):
            QMessageBox.warning(self, "pcsim", f"Could not write {path}.")

    # ---- scenarios -------------------------------------------------------------------
    def _play_timeline(self, elapsed: float) -> None:
        for cfg, step in self.timeline.play(elapsed, self.bridge.config):
            self._use_config(cfg)
            if step.caption:
                self.replay.set_live_caption(step.caption)
            if step.end is not None:  # end the run so; then a fresh one, if steps follow
                self._continue_after_end = not self.timeline.done
                self.bridge.end(step.end)
                return

    def _continue_scenario(self) -> None:
        """After a timeline step's ending: a fresh run, the timeline going on."""
        if self.bridge.state not in (RUNNING, PAUSED):
            self._continuing = True
            self.bridge.start()

    def run_scenario(self, name_or_path: str) -> bool:
        """Load a scenario and run it from the start; a bad file changes nothing."""
        try:
            scenario = load(name_or_path)
        except ScenarioError as err:
            QMessageBox.warning(self, "pcsim: scenario refused", str(err))
            return False
        self.bridge.stop()
        self._use_scenario(scenario)
        self.bridge.start()
        return True

    def restore_last_scenario(self) -> None:
        """Make the scenario of the last session ready (not running); quietly skip a file
        that has gone or gone bad."""
        last = self.settings.value("last_scenario")
        if not last:
            return
        try:
            scenario = load(str(last))
        except ScenarioError:
            return
        self._use_scenario(scenario)

    @Slot()
    def _open_scenario(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open scenario", "", "Scenarios (*.toml)")
        if path:
            self.run_scenario(path)

    @Slot()
    def _save_scenario(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save settings as scenario", "my-demo.toml", "Scenarios (*.toml)"
        )
        if not path:
            return
        title = Path(path).stem.replace("-", " ").capitalize()
        try:
            Path(path).write_text(dumps(self.controls.current(), title), encoding="utf-8")
        except OSError as err:
            QMessageBox.warning(self, "pcsim", f"Could not write {path}: {err}")

    @Slot()
    def toggle_recording(self, path: str | None = None) -> None:
        """Start recording the window to a file (asked for), or stop and save it."""
        from simulator.ui.recorder import Recorder

        if not isinstance(path, str):
            path = None  # triggered(bool) may pass its checked state
        act = self.actions_by_name["record"]
        if self.recorder is not None:
            rec, self.recorder = self.recorder, None
            self.rec_label.hide()
            act.setChecked(False)
            try:
                done = rec.stop()
            except RuntimeError as err:
                QMessageBox.warning(self, "pcsim", str(err))
                return
            self.statusBar().showMessage(
                f"Saved {done.path} ({done.frames} frames, {done.seconds:.1f} s)", 8000
            )
            return
        from simulator.ui.recorder import available

        problem = available()
        if problem:
            act.setChecked(False)
            QMessageBox.warning(self, "pcsim", problem[0].upper() + problem[1:] + ".")
            return
        if not path:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path, _ = QFileDialog.getSaveFileName(
                self,
                "Record to",
                str(Path.home() / f"pcsim-{stamp}.mp4"),
                "Video (*.mp4);;Animated GIF (*.gif)",
            )
        if not path:
            act.setChecked(False)
            return
        try:
            recorder = Recorder(self, path, fps=30)
        except ValueError as err:
            act.setChecked(False)
            QMessageBox.warning(self, "pcsim", str(err))
            return
        self.recorder = recorder
        recorder.start()
        self.rec_label.show()
        act.setChecked(True)

    def set_inside_view(self, on: bool) -> None:
        """The Inside view on or off (remembered): the code tab and the primitives show,
        the view is fed, and the engine records the inside events from the next start
        (they cost time per item, so only while someone looks)."""
        self.actions_by_name["inside"].setChecked(on)
        self.inside_view.active = on
        self._place_inside()
        self.bridge.set_inside(on)
        self.settings.setValue("inside_view", "true" if on else "false")
        if on:
            self.show_figures_now()

    def _place_inside(self) -> None:
        """Show the Inside view's parts while it is on (not in presentation mode, where
        the code would squeeze the picture on a projector): the "Code" tab first and
        chosen, the primitives' row under the canvas; off, the plain layout."""
        shown = self.inside_on and not self._presenting
        tabs = self.bottom_tabs
        at = tabs.indexOf(self.inside_view)
        if shown and at < 0:
            tabs.insertTab(0, self.inside_view, "Code (inside the buffer)")
            tabs.setCurrentIndex(0)
            # the code's lines need height as well as width: the picture gives a little
            self._split_left(1, 1)
        elif not shown and at >= 0:
            tabs.removeTab(at)
            self.inside_view.setParent(None)  # kept by self.inside_view, not shown
            self._split_left(3, 2)
        self.inside_view.strip.setVisible(shown)

    def _split_left(self, top: int, bottom: int) -> None:
        """Share the left column's height between the picture and the tabs under it, now
        and when the window is resized."""
        left = self._left
        left.setStretchFactor(0, top)
        left.setStretchFactor(1, bottom)
        total = max(1, sum(left.sizes()) or left.height())
        left.setSizes([total * top // (top + bottom), total * bottom // (top + bottom)])

    @property
    def inside_shown(self) -> bool:
        """The Inside view's code is on screen now (on, and not in presentation mode)."""
        return self.bottom_tabs.indexOf(self.inside_view) >= 0 and self.isVisible()

    def _inside_for(self, cfg: SimulationConfig) -> None:
        """Settings about the buffer's insides (a hand-written buffer, a bug: the
        scenarios race-no-lock, lost-wakeup-deadlock...) show the Inside view."""
        if getattr(cfg, "bug", "none") != "none" or getattr(cfg, "buffer", "queue") != "queue":
            self.set_inside_view(True)

    @property
    def inside_on(self) -> bool:
        return self.actions_by_name["inside"].isChecked()

    @Slot()
    def toggle_presentation(self) -> None:
        """Full screen, larger text, only the canvas and the graph: for a projector."""
        on = (
            not self._presenting
            if self.sender() is None
            else self.actions_by_name["present"].isChecked()
        )
        self.actions_by_name["present"].setChecked(on)
        # the side panel would squeeze the picture on a projector's 1024 px: throughput
        # and the books, what a room asks about, stay on one line under the canvas
        self._side.setVisible(not on)
        self.strip.setVisible(on)
        self.log.setVisible(not on)
        self.statusBar().setVisible(not on)
        self.menuBar().setVisible(not on)
        # the code would squeeze the picture on a projector: it hides, and comes back after
        self._presenting = on
        self._place_inside()
        self._apply_boost()
        self._show_strip()  # (in REPLAY too: the moment on show)
        if on:
            self.showFullScreen()
        else:
            self.showNormal()

    def set_font_scale(self, scale: float) -> None:
        """Every view's text from 80 % to 200 % (never below 12 px), remembered for the
        next session."""
        self.font_scale = round(min(2.0, max(0.8, scale)), 2)
        self.settings.setValue("font_scale", self.font_scale)
        self._apply_boost()

    @property
    def text_px(self) -> int:
        """The pixel size of the window's text now (scale and presentation mode)."""
        return max(12, round(theme.TEXT_PX * self.boost))

    @property
    def boost(self) -> float:
        return self.font_scale * (PRESENT_BOOST if self._presenting else 1.0)

    def _apply_boost(self) -> None:
        """One text size for every view: the window's font (controls, statistics,
        status bar and menus inherit it), the log's, the graph's and the canvas's."""
        px = self.text_px
        font = QFont(self.font())
        font.setPixelSize(px)
        self.setFont(font)
        mono = QFont(self.log.text.font())
        mono.setPixelSize(px)
        self.log.text.setFont(mono)
        self.plot.set_text_px(px)
        self.inside_view.set_text_px(px)
        self.canvas.set_boost(self.boost)
        self.guide.set_text_px(px)
        if self.stats.shown is not None:
            self.stats.on_snapshot(self.stats.shown, force=True)  # the books' style sheet
        # the side panel as wide as its widest row at this size (no clipped numbers)
        side = self._side.widget()
        if side is not None:
            side.adjustSize()
            need = (
                side.minimumSizeHint().width() + self._side.verticalScrollBar().sizeHint().width()
            )
            self._side.setMinimumWidth(max(320, need))
            self._side.setMaximumWidth(max(480, need))

    def set_theme(self, name: str) -> None:
        """Light or dark: the whole window, the canvas and the graph."""
        from PySide6.QtWidgets import QApplication

        theme.use(name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setPalette(theme.qt_palette(name))
        # a widget with a style sheet of its own (superqt's range sliders and their value
        # labels) keeps the palette it was polished in: dark handles and pale figures on
        # a light panel. Polished again, it takes the new one
        for w in self.findChildren(QWidget):
            if w.styleSheet():
                w.style().unpolish(w)
                w.style().polish(w)
        self.canvas.restyle()
        self.plot.restyle()
        self.inside_view.restyle()
        self.replay.restyle()
        self.guide.restyle()
        if self.stats.shown is not None:
            self.stats.on_snapshot(self.stats.shown, force=True)  # the books' colour
        self._style_banner()
        for n, act in self.theme_actions.items():
            act.setChecked(n == name)
        self.settings.setValue("theme", name)

    @Slot(str)
    def _engine_failed(self, message: str) -> None:
        self.state_label.set_wordings(message)
        QMessageBox.critical(self, "pcsim", message)

    @Slot(str)
    def _engine_lost(self, message: str) -> None:
        """The engine died under the run: say so once, above the canvas and in the status
        bar, and stop vouching for the books (the last numbers may be out of date)."""
        self.banner.setText(
            f"<b>{message}</b> The run is over and its numbers are unknown (grey). "
            "Press <b>Start</b> to begin a fresh engine."
        )
        self._style_banner()
        self.banner.show()
        self.stats.set_unknown("the engine process ended")
        self._on_state(self.bridge.state)

    def _style_banner(self) -> None:
        bg = theme.ALARM_COLOR if theme.NAME == "light" else theme.ALARM_COLOR.darker(140)
        self.banner.setStyleSheet(
            f"QLabel#engine_banner {{ color: white; background: {bg.name()}; font-size: 14px;"
            " padding: 8px 12px; }"
        )

    @Slot()
    def open_sweep(self) -> None:
        """Simulation ▸ Sweep…: the dialog, around the current settings (its sweep runs
        in a child process and stops the window's run when it starts)."""
        from simulator.ui.sweep_dialog import SweepDialog

        if self.sweep_dialog is None:
            self.sweep_dialog = SweepDialog(self.controls.current(), self.bridge.stop, self)
        elif not self.sweep_dialog.running:
            self.sweep_dialog.set_config(self.controls.current())
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()
        self.sweep_dialog.activateWindow()

    @Slot()
    def open_compare(self) -> None:
        """Simulation ▸ Compare backends…: the dialog, around the current settings (its
        runs are a child ``pcsim compare``, which stops the window's run when it starts)."""
        from simulator.ui.compare_dialog import CompareDialog

        if self.compare_dialog is None:
            self.compare_dialog = CompareDialog(self.controls.current(), self.bridge.stop, self)
        elif not self.compare_dialog.running:
            self.compare_dialog.set_config(self.controls.current())
        self.compare_dialog.show()
        self.compare_dialog.raise_()
        self.compare_dialog.activateWindow()

    @Slot()
    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About pcsim",
            f"<b>pcsim {simulator.__version__}</b><p>Real producers and consumers — threads, "
            "processes or asyncio tasks — sharing a real bounded buffer, drawn live.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops the engine, joins every worker (within a second) and ends the
        engine process."""
        if self.recorder is not None:
            self.toggle_recording()  # finish the file
        if self.sweep_dialog is not None:
            self.sweep_dialog.close()  # stops its child
        if self.compare_dialog is not None:
            self.compare_dialog.close()  # stops its child
        if self.invite_dialog is not None:
            self.invite_dialog.close()
        if not self.isFullScreen():
            self.settings.setValue("geometry", self.saveGeometry())
        self.bridge.stop()
        self.bridge.close()
        self.predictor.close()
        self._rate_timer.stop()
        event.accept()


def _consumed_labels(log: EventLog) -> list[str]:
    """Items the log says were consumed (its kept history), as labels."""
    from simulator.engine.events import Kind

    return [item_label(ev.item) for ev in log.history if ev.kind == Kind.CONSUMED]


def _count(n: int, noun: str) -> str:
    """``1 producer``, ``3 producers``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
