"""The engine and the headless CLI must never load Qt (it is slow, and absent in CI's
headless jobs); checked in a fresh interpreter so other tests' imports do not mask it."""

import subprocess
import sys

CODE = """
import sys, simulator.cli
from simulator.engine import simulation, ledger, metrics, channel, events, frame, api
from simulator.engine.backends import threads, thread_buffer, processes, aio
simulator.cli.main(["run", "--items", "20", "--producer-sleep", "0", "0",
                    "--consumer-sleep", "0", "0", "--json"])
bad = sorted(m for m in sys.modules if m.split(".")[0] in
             ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "superqt", "shiboken6"))
assert not bad, bad
print("clean")
"""


def test_engine_and_run_import_no_qt():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("clean")
