"""The distribution ships every package and the assets the app loads."""

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set(find_packages(str(ROOT), include=["simulator*"]))
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"


def test_assets_are_found():
    from simulator.resources import asset

    assert asset("icons", "pcsim.svg").is_file()
    assert asset("icons", "pcsim.png").is_file()
