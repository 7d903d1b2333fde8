"""The distribution ships every package and the assets the app loads, and a wheel
installed the README's way (``pip install .``, not editable) finds them."""

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import numpy
from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_is_listed_in_pyproject():
    listed = set(SETUPTOOLS["packages"])
    found = set(find_packages(str(ROOT), include=["simulator*"]))
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"


def test_every_assets_folder_is_a_listed_package_with_its_files():
    """A folder under assets/ missing from the list would install with a setuptools
    warning at best, and without its files at worst."""
    folders = {
        "simulator.assets." + ".".join(p.relative_to(ROOT / "assets").parts)
        for p in (ROOT / "assets").rglob("*")
        if p.is_dir() and p.name != "__pycache__"
    }
    assert folders <= set(SETUPTOOLS["packages"]), sorted(folders - set(SETUPTOOLS["packages"]))
    assert folders <= set(SETUPTOOLS["package-data"]), "give each folder its package-data"


def test_assets_are_found():
    from simulator.resources import asset

    assert asset("icons", "pcsim.svg").is_file()
    assert asset("icons", "pcsim.png").is_file()


def test_a_frozen_app_finds_the_bundled_assets(tmp_path, monkeypatch):
    from simulator import resources

    (tmp_path / "assets" / "icons").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.assets_dir() == tmp_path / "assets"


def _run(*cmd, cwd: Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_wheel_in_a_fresh_venv_runs_the_shipped_scenarios(tmp_path):
    """The README's first command installs a wheel, not the editable finder the tests
    run from: build one, install it into a fresh venv, and run from outside the checkout.
    ``pcsim run`` needs no Qt, only numpy, which a .pth borrows from this environment."""
    wheels = tmp_path / "wheels"
    built = _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        ROOT,
        "-w",
        wheels,
        cwd=tmp_path,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("pcsim-*.whl")
    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    bindir = "Scripts" if os.name == "nt" else "bin"
    python = venv / bindir / ("python.exe" if os.name == "nt" else "python")
    installed = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=tmp_path,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).stdout.strip()
    numpy_home = Path(numpy.__file__).resolve().parent.parent
    assert numpy_home != Path(sysconfig.get_paths()["purelib"]) / "simulator"
    (Path(purelib) / "pcsim_test_deps.pth").write_text(f"{numpy_home}\n")

    out = _run(
        venv / bindir / "pcsim",
        "run",
        "--scenario",
        "classic",
        "--duration",
        "1",
        "--json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["scenario"] == "classic"

    probe = _run(
        python,
        "-c",
        "import json, simulator; from simulator.scenarios.scenario import "
        "shipped; from simulator.resources import asset; print(json.dumps("
        "[simulator.__file__, shipped(), asset('icons', 'pcsim.svg').is_file()]))",
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    where, names, icon = json.loads(probe.stdout)
    assert Path(where).resolve().is_relative_to(venv.resolve()), where  # not the checkout
    assert {"classic", "balanced", "fast-producers"} <= set(names)
    assert icon
