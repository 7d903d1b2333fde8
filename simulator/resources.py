"""Where the files under ``assets/`` are, installed, editable, frozen or from a checkout."""

from __future__ import annotations

import sys
from pathlib import Path


def assets_dir() -> Path:
    """The ``assets`` folder: installed as ``simulator/assets`` by pip (see pyproject's
    package-dir mapping), bundled beside the executable by PyInstaller, or the checkout's."""
    here = Path(__file__).resolve().parent.parent  # .../simulator
    candidates = [here / "assets", here.parent / "assets"]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.insert(0, Path(frozen) / "assets")
    for c in candidates:
        if (c / "icons").is_dir():
            return c
    return candidates[-1]


def asset(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)
