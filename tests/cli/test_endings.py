"""``pcsim run --shutdown``: issue 15's Done-when commands for the endings on every
backend, terminate's discarded items checked by id against the event record, and the
join that can never return (``--bug missing-task-done``, exit 3)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.engine.waiting import BACKENDS as EVERY_BACKEND

BACKENDS = ("threads", "asyncio", "processes")
SHUTDOWNS = ("drain", "poison-pill", "join", "terminate")
#: every backend with every ending it offers (redis: no join; where redis-server is)
CASES = [(b, s) for b in EVERY_BACKEND for s in SHUTDOWNS if (b, s) != ("redis", "join")]
DONE_WHEN = (
    "--items",
    "300",
    "--producer-sleep",
    "0",
    "0.005",
    "--consumer-sleep",
    "0.01",
    "0.02",
    "--json",
)


def pcsim(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, timeout=timeout
    )


def at_the_moment(events: list[dict], n: int) -> set[str]:
    """Replay the event record in time order up to the ``n``-th PRODUCED: the ids then in
    the buffer or in any hand (pills are not items)."""
    buffer: set[str] = set()
    hands: dict[str, str] = {}
    produced = 0
    for ev in sorted(events, key=lambda e: e["t"]):
        kind, who, item = ev["kind"], ev["worker"], ev.get("item")
        if item is not None and item.startswith("pill-"):
            continue
        if kind == "produced":
            hands[who] = item
            produced += 1
            if produced == n:
                break
        elif kind == "put":
            buffer.add(item)
            hands.pop(who, None)
        elif kind in ("got",):
            buffer.discard(item)
            hands[who] = item
        elif kind in ("consumed", "rejected"):
            hands.pop(who, None)
        elif kind == "overwritten":
            buffer.discard(item)
    assert produced == n
    return buffer | set(hands.values())


@pytest.mark.parametrize(("backend", "shutdown"), CASES)
def test_every_ending_balances_its_books(backend, shutdown):
    out = pcsim("run", "--backend", backend, "--shutdown", shutdown, *DONE_WHEN)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["ok"] is True and r["violations"] == [] and r["shutdown"] == shutdown
    assert r["produced"] == 300
    assert r["produced"] == r["consumed"] + r["discarded"] + r["rejected"] + r["overwritten"]
    assert r["in_buffer"] == r["in_hand"] == 0
    assert len(r["discarded_ids"]) == r["discarded"]
    if shutdown == "terminate":
        assert r["discarded"] > 0
        assert any(w.startswith("terminate discarded") for w in r["warnings"])
        assert "terminate discarded" in out.stderr  # visible, though the exit is 0
    else:
        assert r["discarded"] == 0 and r["consumed"] == 300 and r["unfinished_tasks"] == 0
    assert r["stuck_join"] is None


@pytest.mark.parametrize("backend", EVERY_BACKEND)
def test_terminate_discards_exactly_what_was_in_buffer_or_hand_at_the_nth_item(backend):
    out = pcsim("run", "--backend", backend, "--shutdown", "terminate", "--events", *DONE_WHEN)
    assert out.returncode == 0, out.stderr
    *lines, last = out.stdout.strip().splitlines()
    r = json.loads(last)
    events = [json.loads(line) for line in lines]
    expected = at_the_moment(events, 300)
    assert expected, "something was in the buffer or in a hand"
    assert sorted(r["discarded_ids"]) == sorted(expected)
    assert len(set(r["discarded_ids"])) == r["discarded"] == 300 - r["consumed"]


def test_poison_pills_travel_through_the_buffer_one_per_consumer():
    out = pcsim("run", "--shutdown", "poison-pill", "--consumers", "3", "--events", *DONE_WHEN)
    assert out.returncode == 0, out.stderr
    *lines, last = out.stdout.strip().splitlines()
    events = [json.loads(line) for line in lines]
    puts = [e for e in events if e["kind"] == "put" and e["item"].startswith("pill-")]
    gots = [e for e in events if e["kind"] == "got" and e.get("item", "").startswith("pill-")]
    assert sorted(e["item"] for e in puts) == ["pill-1", "pill-2", "pill-3"]
    assert {e["worker"] for e in puts} == {"main"}
    assert sorted(e["worker"] for e in gots) == ["C1", "C2", "C3"]  # one each, then it ends
    r = json.loads(last)
    assert r["produced"] == r["consumed"] == 300 and r["ok"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_join_that_can_never_return_is_stuck_exit_3(backend):
    t0 = time.monotonic()
    out = pcsim(
        "run",
        "--backend",
        backend,
        "--shutdown",
        "join",
        "--bug",
        "missing-task-done",
        "--duration",
        "3",
        "--json",
        timeout=60,
    )
    took = time.monotonic() - t0
    assert out.returncode == 3, out.stderr
    r = json.loads(out.stdout)
    assert r["stuck_join"], "it names the items never marked done"
    # every item put and never marked done: consumed without task_done, or still in a
    # consumer's hand or in the buffer when pcsim gave up on the join
    assert len(r["stuck_join"]) == r["unfinished_tasks"] >= r["consumed"] > 0
    assert r["ok"] is True  # nothing lost: the books balance, join() just cannot return
    assert "join() can never return" in out.stderr
    assert took < 30  # the Done-when says 10 s; generous here for a loaded machine


def test_missing_task_done_needs_no_hand_written_buffer():
    out = pcsim("run", "--bug", "missing-task-done", "--items", "20", "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["consumed"] == 20 and r["unfinished_tasks"] == 20 and r["shutdown"] is None


def test_a_bad_shutdown_is_one_line_exit_2():
    out = pcsim("run", "--shutdown", "explode")
    assert out.returncode == 2
    assert "--shutdown" in out.stderr and "Traceback" not in out.stderr
