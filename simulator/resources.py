"""Where the files under ``assets/`` are, installed, editable, frozen or from a checkout."""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # .../simulator


def _candidates() -> list[Path]:
    """Where ``assets`` may be, most specific first.

    * frozen (PyInstaller): the spec bundles it as ``assets/`` under ``sys._MEIPASS``;
    * a wheel or ``pip install .``: pyproject maps ``assets/`` to the package
      ``simulator.assets``, so it sits inside the installed ``simulator/`` folder;
    * a checkout or an editable install: ``simulator/`` is the checkout's own folder and
      ``assets/`` is its sibling.
    """
    out = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        out.append(Path(frozen) / "assets")
    out += [_PACKAGE / "assets", _PACKAGE.parent / "assets"]
    return out


def assets_dir() -> Path:
    """The ``assets`` folder: the first candidate that holds the icons (every install
    ships them). If none does, the checkout's path, so that a message naming a missing
    file points where a developer would look."""
    candidates = _candidates()
    for c in candidates:
        if (c / "icons").is_dir():
            return c
    return candidates[-1]


def asset(*parts: str) -> Path:
    """A file or folder under ``assets/``, e.g. ``asset("icons", "pcsim.svg")``."""
    return assets_dir().joinpath(*parts)


def check_writable(path: str) -> Path:
    """``path`` as a Path if a file can be written there; else ValueError saying why.

    Output paths (``--json`` of bench, ``--screenshot``, ``--out``) are checked before
    any work starts, so a typo costs nothing. Permission bits cannot tell (root may write
    where the bits say no, ``/proc`` refuses new files whatever they say), so the check
    opens the file for appending, which never truncates, and removes it again if it had
    not existed.
    """
    if not path:
        raise ValueError("must name a file (got '')")
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{path!r} is a folder; name a file in it")
    parent = p.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise ValueError(f"the folder {str(parent)!r} {what}")
    existed = p.exists()
    try:
        with open(p, "ab"):
            pass
        if not existed:
            p.unlink()
    except OSError as err:
        raise ValueError(f"cannot write {path!r}: {err.strerror or err}") from None
    return p
