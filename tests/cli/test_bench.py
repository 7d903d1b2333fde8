"""``pcsim bench engine --quick`` writes every figure (the values are the machine's)."""

import json
import subprocess
import sys


def test_bench_engine_writes_every_key(tmp_path):
    out_path = tmp_path / "b.json"
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "bench", "engine", "--quick", "--json", str(out_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out_path.read_text())
    keys = {
        "backend",
        "producers",
        "consumers",
        "items",
        "runs",
        "bare_items_per_s",
        "pcsim_items_per_s",
        "ratio",
    }
    pairs = {f"{b}_{n}p{n}c" for b in ("threads", "asyncio", "processes") for n in (1, 4)}
    assert set(data["engine"]) == pairs
    for row in data["engine"].values():
        assert keys <= set(row)
        assert row["bare_items_per_s"] > 0 and row["pcsim_items_per_s"] > 0
    assert "ratio" in out.stdout
