"""Every bad input gets one line naming what is wrong, exit 2, before any work, and
never a traceback (issue 9's cases, then odd inputs of every kind)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.resources import check_writable


def pcsim(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


def one_line(out: subprocess.CompletedProcess[str], *words: str) -> str:
    """The single line of a usage error: exit 2, nothing on stdout, no traceback."""
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr[-2000:]
    assert out.stdout == ""  # no work was done, no report was printed
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_a_300_character_scenario_name():
    line = one_line(pcsim("run", "--scenario", "a" * 300), "too long", "255")
    assert len(line) < 200


def test_a_scenario_nested_500_deep(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("[config]\nproducers = " + "[" * 500 + "]" * 500 + "\n")
    one_line(pcsim("run", "--scenario", str(deep)), "deep.toml", "nested too deeply")
    tables = tmp_path / "tables.toml"
    tables.write_text("[config]\nx = " + "{a=" * 500 + "1" + "}" * 500 + "\n")
    one_line(pcsim("run", "--scenario", str(tables)), "tables.toml", "nested too deeply")


def test_bench_json_into_a_missing_folder_is_refused_before_the_bench():
    one_line(
        pcsim("bench", "startup", "--json", "/no/such/dir/x.json"),
        "--json",
        "/no/such/dir",
        "does not exist",
    )


def test_a_screenshot_into_a_missing_folder_is_refused_before_the_window():
    one_line(
        pcsim("gui", "--exit-after", "1", "--screenshot", "/no/such/dir/s.png"),
        "--screenshot",
        "/no/such/dir",
        "does not exist",
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_recording_into_proc_is_refused_before_recording():
    one_line(pcsim("record", "--out", "/proc/x.gif", "--seconds", "1"), "--out", "/proc/x.gif")


@pytest.mark.parametrize("command", ["run", "gui", "record"])
def test_an_empty_scenario_name_is_an_error_naming_the_flag(command, tmp_path):
    extra = ["--out", str(tmp_path / "x.gif")] if command == "record" else []
    one_line(pcsim(command, "--scenario", "", *extra), "--scenario", "''")


def test_a_scenario_file_with_a_byte_order_mark_loads(tmp_path):
    bom = tmp_path / "windows.toml"
    bom.write_bytes(b'\xef\xbb\xbftitle = "Saved by Notepad"\r\n[config]\r\nproducers = 2\r\n')
    out = pcsim("run", "--scenario", str(bom), "--duration", "0.2", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["producers"] == 2 and report["scenario"] == "windows"


def test_record_without_ffmpeg_exits_4(tmp_path):
    """A needed program missing is exit 4 (something outside the books failed), not 1."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "imageio_ffmpeg.py").write_text("raise ImportError('not installed here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), os.getcwd()])}
    out = pcsim("record", "--out", str(tmp_path / "x.gif"), "--seconds", "1", env=env)
    assert out.returncode == 4, out.stderr
    assert "imageio-ffmpeg" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "x.gif").exists()


def _files(tmp: Path) -> dict[str, Path]:
    (tmp / "folder.toml").mkdir()
    (tmp / "folder").mkdir()
    files = {
        "empty-name.toml": b"",
        "binary.toml": bytes(range(256)) * 4,
        "latin1.toml": 'title = "caf\xe9"\n'.encode("latin-1"),
        "nan.toml": b"[config]\nproducers = nan\n",
        "inf-sleep.toml": b"[config]\nproducer_sleep = [0, inf]\n",
        "huge-duration.toml": b"duration = 1e308\n",
        "negative-duration.toml": b"duration = -1\n",
        "huge-seed.toml": b"[config]\nseed = 99999999999999999999\n",
        "unknown-key.toml": b"[config]\nfoo = 1\n",
        "unknown-top.toml": b"bar = 1\n",
        "bool-count.toml": b"[config]\nproducers = true\n",
        "nan-at.toml": b"[[timeline]]\nat = nan\n",
        "timeline-number.toml": b"timeline = 3\n",
        "config-number.toml": b"config = 5\n",
        "deep-sleep.toml": b"[config]\nproducer_sleep = " + b"[" * 200 + b"1" + b"]" * 200,
        "one-sleep.toml": b"[config]\nproducer_sleep = [1]\n",
        "fraction.toml": b"[config]\nproducers = 1.5\n",
    }
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    return {p.name: p for p in tmp.iterdir()}


ODD_SCENARIOS = [
    ("folder.toml", "is a folder"),
    ("folder", "is a folder"),
    ("binary.toml", "not UTF-8"),
    ("latin1.toml", "not UTF-8"),
    ("nan.toml", "config.producers"),
    ("inf-sleep.toml", "config.producer_sleep"),
    ("huge-duration.toml", "duration"),
    ("negative-duration.toml", "duration"),
    ("huge-seed.toml", "config.seed"),
    ("unknown-key.toml", "config.foo"),
    ("unknown-top.toml", "bar: unknown key"),
    ("bool-count.toml", "config.producers"),
    ("nan-at.toml", "timeline[0].at"),
    ("timeline-number.toml", "timeline"),
    ("config-number.toml", "config"),
    ("deep-sleep.toml", "config.producer_sleep"),
    ("one-sleep.toml", "config.producer_sleep"),
    ("fraction.toml", "config.producers"),
]


@pytest.mark.parametrize(("name", "says"), ODD_SCENARIOS, ids=[n for n, _ in ODD_SCENARIOS])
def test_odd_scenario_files_get_one_line(tmp_path, name, says):
    path = _files(tmp_path)[name]
    line = one_line(pcsim("run", "--scenario", str(path), "--duration", "0.2"), says)
    assert len(line) < 300


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--scenario", "/dev/null"], "not a regular file"),
        (["run", "--duration", "nan"], "--duration"),
        (["run", "--duration", "inf"], "--duration"),
        (["run", "--duration", "-1"], "--duration"),
        (["run", "--items", "9" * 30], "--items"),
        (["run", "--time-scale", "nan"], "--time-scale"),
        (["run", "--producer-sleep", "inf", "inf"], "--producer-sleep"),
        (["record", "--size", "0x0", "--out", "x.gif"], "--size"),
        (["record", "--size", "9" * 30 + "x500", "--out", "x.gif"], "--size"),
        (["record", "--out", ""], "--out"),
        (["record", "--out", "x.txt"], "--out"),
        (["gui", "--screenshot", "s.png"], "needs --exit-after"),
        (["gui", "--exit-after", "1", "--screenshot", ""], "--screenshot"),
        (["gui", "--exit-after", "1", "--screenshot", "/"], "is a folder"),
        (["bench", "startup", "--json", "/"], "is a folder"),
        (["run", "--backend", "processes", "--buffer", "semaphore"], "--buffer must be queue"),
        (["run", "--bug", "no-lock"], "--buffer must be condition"),
        (["run", "--buffer", "semaphore", "--bug", "lost-wakeup"], "--buffer must be condition"),
    ],
)
def test_odd_flags_get_one_line(args, says, tmp_path):
    if args[1:2] == ["--scenario"] and not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    one_line(pcsim(*args, cwd=tmp_path), says)


def test_check_writable_leaves_no_file_behind(tmp_path):
    target = tmp_path / "out.json"
    assert check_writable(str(target)) == target
    assert not target.exists()
    target.write_text("kept")
    check_writable(str(target))
    assert target.read_text() == "kept"  # appending is never truncating
