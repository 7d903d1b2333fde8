"""PySide6-Essentials 6.12.0 on Python 3.11 decremented ``True``'s reference count on
every ``Signal.emit()`` and aborted after a few hundred emits (``bool_dealloc``). The
dependency pin keeps 3.11 installs off 6.12; this test fails if a bad build slips in."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_ten_thousand_emits_leave_true_alone(qapp):
    em = _Emitter()
    seen = []
    em.fired.connect(seen.append)
    before = sys.getrefcount(True)
    for _ in range(10_000):
        em.fired.emit(True)
    seen.clear()
    assert abs(sys.getrefcount(True) - before) < 100
