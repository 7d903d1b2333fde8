"""``pcsim run --full-policy``: issue 14's Done-when command on every backend that offers
the policy (shortened to 1.5 s), and its bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def pcsim(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, timeout=timeout
    )


DONE_WHEN = ("--producer-sleep", "0", "0.01", "--consumer-sleep", "0.02", "0.04")
OFFERED = [
    (backend, policy)
    for backend in ("threads", "asyncio", "processes")
    for policy in ("block", "timeout", "drop-newest", "drop-oldest")
    if not (backend == "processes" and policy == "drop-oldest")
]


@pytest.mark.parametrize(("backend", "policy"), OFFERED)
def test_the_done_when_command_balances_the_extended_books(backend, policy):
    out = pcsim(
        "run",
        "--backend",
        backend,
        "--full-policy",
        policy,
        "--put-timeout",
        "0.05",
        *DONE_WHEN,
        "--duration",
        "1.5",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["ok"] is True and r["violations"] == []
    assert (r["full_policy"], r["put_timeout"]) == (policy, 0.05)
    assert r["produced"] == (
        r["consumed"] + r["in_buffer"] + r["in_hand"] + r["rejected"] + r["overwritten"]
    )
    dropped = r["rejected"] + r["overwritten"]
    if policy == "block":
        assert dropped == 0 and "warning" not in out.stderr
        return
    assert dropped > 0
    assert r["deadlock"] is False
    # the ids of the first drops, and a visible warning (the run is still ok: exit 0)
    ids = r["rejected_ids"] if r["rejected"] else r["overwritten_ids"]
    assert 0 < len(ids) <= 20 and all(i.startswith("P") for i in ids)
    assert any("dropped" in w for w in r["warnings"])
    assert "warning: full policy" in out.stderr


def test_the_table_shows_the_drops():
    out = pcsim("run", "--full-policy", "drop-newest", *DONE_WHEN, "--duration", "1")
    assert out.returncode == 0, out.stderr
    assert "dropped by policy" in out.stdout and " rejected / 0 overwritten" in out.stdout
    assert "warning" in out.stdout and "counted, not lost" in out.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--backend", "processes", "--full-policy", "drop-oldest"),
            "--full-policy drop-oldest is not offered on processes (",
        ),
        (("--put-timeout", "0"), "--put-timeout: must be a number in 0.001–10 s"),
        (("--put-timeout", "11"), "--put-timeout: must be a number in 0.001–10 s"),
        (("--put-timeout", "soon"), "--put-timeout: must be a number in 0.001–10 s"),
        (
            ("--buffer", "condition", "--bug", "no-lock", "--full-policy", "drop-newest"),
            "--full-policy must be block when a bug is chosen",
        ),
    ],
)
def test_bad_policy_input_is_one_line_and_exit_2(args, says):
    out = pcsim("run", *args, "--duration", "0.5")
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], out.stderr
