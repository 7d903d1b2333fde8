"""Theory beside reality: what the settings should give, with no machine in the way.

Qt-free and engine-free apart from the config it reads: a discrete-event model of the
pattern (:mod:`.model`, on SimPy), the closed-form bounds (:mod:`.bounds`) and the
prediction every front end shows (:mod:`.prediction`).
"""

from simulator.theory.bounds import Bounds
from simulator.theory.model import ModelRun
from simulator.theory.prediction import Prediction, bottleneck_sentence, occupancy_text, predict

__all__ = ["Bounds", "ModelRun", "Prediction", "bottleneck_sentence", "occupancy_text", "predict"]
