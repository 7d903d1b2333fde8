"""The window's predictions: :func:`simulator.theory.predict` off the GUI thread.

The model takes up to a quarter of a second of CPU; the GUI thread paints 60 frames a
second, so it never runs there. One worker thread (a ``ThreadPoolExecutor`` of one,
named ``pcsim-predictor`` so the tests see it if it outlives the window) computes the
steady state of the settings asked for last; requests are debounced (a slider dragged
across ten values asks for one prediction, not ten), and a request that is no longer the
latest when its turn comes is skipped: latest wins. Results come back to the GUI thread
through a queued signal and are kept by their settings, so going back to earlier settings
shows their prediction at once.

A prediction depends only on what the model reads (counts, capacity, the sleeps with the
time scale applied); :func:`key` is that, so two configurations that differ only in the
backend, items or seed share one. :func:`predict` is deterministic, so the figures kept
for a key are those ``predict`` gives for any configuration with that key.

:meth:`Predictor.get` never blocks: it returns the prediction in hand for the settings,
or ``None`` ("predicting…") and asks for it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal, Slot
from superqt.utils import qdebounced

from simulator.engine.config import SimulationConfig
from simulator.engine.workers import Role
from simulator.theory import Prediction, predict
from simulator.theory.bounds import Bounds

#: requests settle this long before the model runs (a dragged slider asks once)
DEBOUNCE_MS = 150
#: predictions kept, the oldest forgotten first
KEEP = 64

Key = tuple[int, int, int, tuple[float, float], tuple[float, float], str, str]


def key(cfg: SimulationConfig, capacity: int | None = None) -> Key:
    """What the model reads of ``cfg`` (with ``capacity`` instead of its own, if given: a
    run keeps the capacity it started with while a new one waits for the next start)."""
    return (
        cfg.producers,
        cfg.consumers,
        cfg.capacity if capacity is None else capacity,
        cfg.effective_sleep(Role.PRODUCER),
        cfg.effective_sleep(Role.CONSUMER),
        cfg.full_policy,  # the model stands for block only (see prediction._unmodelled)
        cfg.work if cfg.backend != "processes" else "",
    )


def _safe_predict(cfg: SimulationConfig) -> Prediction:
    """``predict``, or a null prediction saying what went wrong: the window must not lose
    its predictor to one bad model run."""
    try:
        return predict(cfg)
    except Exception as err:  # shown on screen as the reason, in words
        return Prediction(cfg, Bounds.of(cfg), None, f"the model failed ({err})")


class Predictor(QObject):
    """Steady-state predictions for the window, computed on one worker thread.

    ``predicted`` carries each new :class:`~simulator.theory.Prediction`, on the GUI
    thread. :meth:`close` cancels what is waiting and joins the worker (at most one model
    run, about a quarter of a second)."""

    predicted = Signal(object)
    _done = Signal(object)  # (key, Prediction | None), emitted on the worker thread

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
        compute: Callable[[SimulationConfig], Prediction] = _safe_predict,
    ) -> None:
        super().__init__(parent)
        self._compute = compute
        self._pool: ThreadPoolExecutor | None = None
        self._kept: OrderedDict[Key, Prediction] = OrderedDict()
        self._wanted: tuple[Key, SimulationConfig] | None = None
        self._running: Key | None = None  # the key the worker has (one at a time)
        self._closed = False
        self._done.connect(self._on_done)  # receiver on the GUI thread: queued
        self._kick = qdebounced(self._submit, timeout=debounce_ms, parent=self)

    def get(self, cfg: SimulationConfig, capacity: int | None = None) -> Prediction | None:
        """The prediction in hand for ``cfg`` (with ``capacity``, see :func:`key`), or
        None after asking for it. Cheap: a dictionary look-up when it is in hand."""
        k = key(cfg, capacity)
        p = self._kept.get(k)
        if p is None:
            self.request(cfg, capacity)
        return p

    def request(self, cfg: SimulationConfig, capacity: int | None = None) -> None:
        """Ask for ``cfg``'s prediction, which becomes the latest wanted; ``predicted``
        carries it when ready (at once if in hand: nothing is emitted then)."""
        k = key(cfg, capacity)
        if self._closed or k in self._kept:
            return
        if self._wanted is not None and self._wanted[0] == k:
            return  # already asked for (and debouncing or running)
        if capacity is not None and capacity != cfg.capacity:
            cfg = cfg.replace(capacity=capacity)
        self._wanted = (k, cfg)
        self._kick()

    def is_pending(self) -> bool:
        """Whether a prediction is asked for and not yet delivered (for tests)."""
        return self._wanted is not None or self._running is not None

    def _submit(self) -> None:
        """Give the worker the latest wanted settings, unless it is busy (it takes them
        when it is done) or they are in hand."""
        if self._closed or self._wanted is None or self._running is not None:
            return
        k, cfg = self._wanted
        self._wanted = None
        if k in self._kept:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="pcsim-predictor")
        self._running = k
        self._pool.submit(self._job, k, cfg)

    def _job(self, k: Key, cfg: SimulationConfig) -> None:
        """On the worker thread."""
        self._done.emit((k, self._compute(cfg)))

    @Slot(object)
    def _on_done(self, result: tuple[Key, Prediction]) -> None:
        k, p = result
        self._running = None
        if self._closed:
            return
        self._kept[k] = p
        self._kept.move_to_end(k)
        while len(self._kept) > KEEP:
            self._kept.popitem(last=False)
        self.predicted.emit(p)
        self._submit()  # what was asked for meanwhile (latest wins; the rest skipped)

    def close(self) -> None:
        """Stop: cancel what waits, join the worker. Nothing runs afterwards."""
        self._closed = True
        self._wanted = None
        self._kick.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
