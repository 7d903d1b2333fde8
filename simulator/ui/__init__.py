"""The Qt side. It subscribes to the engine and never the other way round: the engine
runs in a process of its own and its workers never touch a widget; a 60 Hz timer on the
GUI thread polls the engine's pipe and hands one batch and one snapshot to every view per
frame (see :mod:`.bridge`)."""
