"""``pcsim bench fidelity``: its code path, tiny (one repeat, 0.3 s, one backend).

Checks the JSON layout and that pcsim's books balanced; never the speed (the machine's).
"""

import json
import subprocess
import sys

from simulator import exitcodes
from simulator.bench import fidelity
from simulator.bench.fidelity import run_fidelity_bench
from simulator.bench.report import fidelity_lines
from simulator.bench.report import run as bench

ROW_KEYS = {"backend", "sleep_max_ms", "bare_items_per_s", "pcsim_items_per_s", "ratio"}


def test_fidelity_bench_layout_and_books():
    result = run_fidelity_bench(
        repeats=1, seconds=0.3, backends=("threads",), sleeps_ms=(1.0,), with_model=False
    )
    assert set(result) == {"runs", "model"} and result["model"] is None
    (row,) = result["runs"]
    assert set(row) >= ROW_KEYS
    assert row["backend"] == "threads" and row["sleep_max_ms"] == 1.0
    assert row["bare_items_per_s"] > 0 and row["pcsim_items_per_s"] > 0
    assert abs(row["ratio"] - row["pcsim_items_per_s"] / row["bare_items_per_s"]) < 0.01
    assert row["books_ok"] is True
    assert row["target"] == 0.97 and row["pass"] in (True, False)
    table = "\n".join(fidelity_lines(result))
    assert "threads" in table and "0-1 ms" in table


def test_fidelity_is_a_bench_choice(tmp_path):
    """The CLI knows the word (a bad one is exit 2, so this one parsed if not 2)."""
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "bench", "fidelity", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "fidelity" in out.stdout


def test_pcsim_bench_fidelity_writes_runs_at_the_top(tmp_path, monkeypatch, capsys):
    """What `pcsim bench fidelity --json PATH` writes: {"runs": [...], ...} (made tiny)."""
    real = fidelity.run_fidelity_bench

    def tiny(quick: bool = False) -> dict:
        return real(
            repeats=1, seconds=0.3, backends=("asyncio",), sleeps_ms=(0.2,), with_model=False
        )

    monkeypatch.setattr(fidelity, "run_fidelity_bench", tiny)
    path = tmp_path / "f.json"
    assert bench("fidelity", True, str(path)) == exitcodes.OK
    data = json.loads(path.read_text())
    (row,) = data["runs"]
    assert set(row) >= ROW_KEYS and row["backend"] == "asyncio" and row["sleep_max_ms"] == 0.2
    assert row["books_ok"] is True
    assert "asyncio" in capsys.readouterr().out
