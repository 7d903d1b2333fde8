"""The Qt side. It subscribes to the engine and never the other way round: worker threads
never touch a widget; a 60 Hz timer on the GUI thread drains the engine's event channel
and hands one batch and one snapshot to every view per frame (see :mod:`.bridge`)."""
