"""The Qt-free core: configuration, events, the bounded buffer, backends, books.

Nothing under this package may import Qt (``tests/engine/test_no_qt.py`` checks), so that
``pcsim run`` and the spawned worker processes stay light and the engine can be tested
with plain pytest.
"""
