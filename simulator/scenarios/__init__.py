"""Scenario files: settings, a title, an explanation and a timeline (Qt-free, so
``pcsim run`` plays them too)."""
