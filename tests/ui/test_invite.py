"""Simulation ▸ Invite workers…: the join command of a redis ``--listen`` run reaches the
window once and only its dialog shows it, the password hidden until asked for; Copy puts
the whole command on the clipboard, and a worker started with it appears on the canvas
with its host. The window's title, status bar and ``--dump-view`` never carry the password.
On a real private ``redis-server`` (no mocks), as tests/engine/test_redis.py."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys

import pytest
from PySide6.QtGui import QGuiApplication

from simulator.engine.broker_url import parse_broker_url
from simulator.engine.config import SimulationConfig
from simulator.engine.simulation import STOPPED
from simulator.ui.invite_dialog import ROLES, InviteDialog, command_for, why_not
from simulator.ui.window import MainWindow

needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (apt install redis-server); CI installs it",
)

JOIN = "pcsim worker --broker redis://:s3cret@10.0.0.5:4000/0 --run ab12cd --role consumer"


def _listening(**kw: object) -> SimulationConfig:
    base: dict[str, object] = dict(
        backend="redis",
        listen="127.0.0.1",
        producers=2,
        consumers=1,
        capacity=5,
        producer_sleep=(0.05, 0.1),
        consumer_sleep=(0.05, 0.1),
    )
    return SimulationConfig(**(base | kw))  # type: ignore[arg-type]


def _password(command: str) -> str:
    url = parse_broker_url(shlex.split(command)[shlex.split(command).index("--broker") + 1])
    assert url.password, command
    return url.password


def test_the_producers_command_differs_only_by_its_role():
    assert command_for(JOIN, "consumer") == JOIN
    assert command_for(JOIN, "producer") == JOIN.replace("--role consumer", "--role producer")
    with pytest.raises(ValueError, match="role must be one of consumer, producer"):
        command_for(JOIN, "broker")


def test_why_invite_is_greyed_names_what_is_missing():
    assert why_not(_listening(), True, JOIN) == ""
    assert "--backend redis --listen" in why_not(SimulationConfig(), True, "")
    assert "127.0.0.1 only" in why_not(_listening(listen=None), True, "")
    assert "Start the run first" in why_not(_listening(), False, "")


def test_the_dialog_alone_masks_and_keeps_its_text_readable(qtbot):
    d = InviteDialog(JOIN, text_px=8)  # asked for less: never under 12 px
    qtbot.addWidget(d)
    assert d.shown("consumer") == JOIN.replace(":s3cret@", ":***@")
    assert d.shown("producer").endswith("--role producer") and "s3cret" not in d.shown("producer")
    assert d.font().pixelSize() >= 12
    assert all(line.font().pixelSize() >= 12 for line in d.lines.values())
    d.show_password.setChecked(True)
    assert d.shown("consumer") == JOIN
    d.set_command(JOIN.replace("s3cret", "n3w"), text_px=18)  # a new run: hidden again
    assert not d.show_password.isChecked() and "n3w" not in d.shown("consumer")
    assert d.lines["consumer"].font().pixelSize() == 18


def test_invite_is_greyed_and_hidden_on_threads(window):
    invite = window.actions_by_name["invite"]
    window.bridge.start()
    assert window.bridge.join_command == ""
    assert not invite.isEnabled()
    assert "--listen" in invite.toolTip()
    assert not window.invite_bar.isVisible()
    assert invite in window.menuBar().actions()[0].menu().actions()


@needs_redis
def test_the_dialog_hides_the_password_and_copy_gives_the_whole_command(qtbot):
    w = MainWindow(_listening(), restore_geometry=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    proc: subprocess.Popen[str] | None = None
    try:
        invite = w.actions_by_name["invite"]
        assert w.invite_bar.isVisible() and not invite.isEnabled()
        assert "Start the run first" in invite.toolTip()
        w.bridge.start()
        command = w.bridge.join_command
        assert command.startswith("pcsim worker --broker redis://:") and "--run " in command
        secret = _password(command)
        assert invite.isEnabled()
        invite.trigger()
        d = w.invite_dialog
        assert d is not None and d.isVisible()
        # hidden by default, both roles
        for role in ROLES:
            shown = d.shown(role)
            assert secret not in shown and "redis://:***@" in shown
            assert shown.endswith(f"--role {role}")
        # Show reveals it; unticked, it hides again
        d.show_password.setChecked(True)
        assert d.shown("consumer") == command
        assert secret in d.shown("producer")
        d.show_password.setChecked(False)
        assert secret not in d.shown("consumer")
        # Copy: the full command, password included, though the dialog hides it
        d.copy_buttons["producer"].click()
        assert QGuiApplication.clipboard().text() == command_for(command, "producer")
        assert d.copy_buttons["producer"].text() == "Copied ✓"
        d.copy_buttons["consumer"].click()
        copied = QGuiApplication.clipboard().text()
        assert copied == command and secret in copied

        # the copied command joins: its worker's card carries its host
        argv = shlex.split(copied)
        assert argv[:2] == ["pcsim", "worker"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulator", *argv[1:]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        host = socket.gethostname()

        def joined_card() -> bool:
            return any(c["name"] == f"C1001 · {host}" for c in w.dump_view()["cards"])

        qtbot.waitUntil(joined_card, timeout=60_000)

        # the password is nowhere else: title, status bar, the dumped view
        assert "Invite workers" in w.statusBar().currentMessage()  # said at the start
        for text in (
            w.windowTitle(),
            w.state_label.text(),
            w.statusBar().currentMessage(),
            json.dumps(w.dump_view(), default=str),
            invite.toolTip(),
        ):
            assert secret not in text

        # the run over: the command joins nothing, the dialog closes, the action greys
        w.bridge.stop()
        assert w.bridge.state == STOPPED
        assert w.bridge.join_command == ""
        assert not invite.isEnabled() and not d.isVisible()
        _, err = proc.communicate(timeout=30)  # a joined worker stops with the run
        assert proc.returncode == 0, err
        assert secret not in err
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        w.close()


@needs_redis
def test_gui_dump_view_never_carries_the_password(tmp_path):
    dump = tmp_path / "view.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "gui", "--backend", "redis", "--listen",
         "127.0.0.1", "--exit-after", "3", "--dump-view", str(dump)],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    joins = [line.strip() for line in out.stderr.splitlines() if "pcsim worker" in line]
    assert joins, out.stderr  # the terminal of whoever started the run has it
    secret = _password(joins[0])
    text = dump.read_text()
    view = json.loads(text)
    assert "redis" in view["status"] and view["snapshot"]["consumed"] > 0  # a real run
    assert secret not in text and secret not in out.stdout
