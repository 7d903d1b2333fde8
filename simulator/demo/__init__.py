"""Demos: scenario files with scripted timelines (Qt-free, so ``pcsim run`` uses them too)."""
