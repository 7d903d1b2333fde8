"""The redis backend's broker: a private ``redis-server`` pcsim starts and stops, or an
existing one named by ``--broker``.

A private server listens on 127.0.0.1 (or the ``--listen`` address, to let ``pcsim
worker`` join from other machines) on a free port, with a random password, without
persistence (``--save "" --appendonly no``) in a temporary directory that is removed
afterwards. It never outlives pcsim: it is started by a keeper thread that asks the
kernel for a parent-death SIGKILL (:func:`~.lifeline.set_parent_death_signal`, which
follows the *thread* that started the child: so the keeper lives until the server is
stopped), and :meth:`PrivateServer.stop` terminates it.

:func:`connect` is where every problem with a broker becomes a :class:`BrokerError`
carrying its exit code (DESIGN "Exit codes"): a missing ``redis-server`` or a broker that
does not answer is 4 (outside the books), a wrong password is 2 (bad input).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

from simulator import exitcodes
from simulator.engine.broker_url import BrokerUrl, parse_broker_url, redact
from simulator.engine.lifeline import set_parent_death_signal

START_TIMEOUT_S = 10.0  #: how long a private server may take to answer
CONNECT_TIMEOUT_S = 3.0  #: how long a broker may take to answer a connection
#: how long a broker may take to answer a command (the longest blocking one waits 0.1 s):
#: a broker cut off by the network ends the run after this, never a hang
COMMAND_TIMEOUT_S = 5.0
MISSING = (
    "redis-server is not installed: install it (apt install redis-server) "
    "or pass --broker redis://HOST:PORT to use a running one"
)


PORT_TRIES = 3  #: free ports tried for a private server (another program may take one)


class _EndedAtOnce(Exception):
    """The server exited while starting (most likely: its port was taken meanwhile)."""


class BrokerError(Exception):
    """The broker cannot be used; ``code`` is the exit code that says why (2 or 4)."""

    def __init__(self, message: str, code: int = exitcodes.OUTSIDE) -> None:
        super().__init__(redact(message))
        self.code = code


def server_program() -> str | None:
    """The path of ``redis-server``, or None if it is not installed."""
    return shutil.which("redis-server")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def client(url: BrokerUrl, timeout: float = COMMAND_TIMEOUT_S, **kwargs: Any) -> Any:
    """A new ``redis.Redis`` connection to ``url`` (each worker has its own); a command
    that gets no answer for ``timeout`` seconds fails."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        host=url.host,
        port=url.port,
        db=url.db,
        username=url.username,
        password=url.password,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # a broker gone is gone: say so at once
        **kwargs,
    )


def connect(url: BrokerUrl, what: str = "broker", timeout: float = COMMAND_TIMEOUT_S) -> Any:
    """A connection to ``url`` that answered PING; :class:`BrokerError` otherwise (exit 2
    for a refused password, 4 for a broker that does not answer)."""
    try:
        import redis
    except ImportError:
        raise BrokerError("the Python package redis is missing: pip install redis") from None
    conn = client(url, timeout)
    try:
        conn.ping()
    except redis.AuthenticationError:
        conn.close()
        why = "refused the password" if url.password is not None else "wants a password"
        raise BrokerError(f"{what} {url.redacted()} {why}", exitcodes.USAGE) from None
    except redis.ResponseError as err:
        conn.close()
        if "NOAUTH" in str(err) or "WRONGPASS" in str(err):
            raise BrokerError(
                f"{what} {url.redacted()} wants a password: redis://:PASSWORD@HOST:PORT",
                exitcodes.USAGE,
            ) from None
        raise BrokerError(f"{what} {url.redacted()}: {err}") from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as err:
        conn.close()
        raise BrokerError(f"{what} {url.redacted()} does not answer: {err}") from None
    return conn


def check_broker(text: str) -> None:
    """Exit-code-carrying check of a ``--broker`` URL before a run: it answers PING."""
    connect(parse_broker_url(text)).close()


def check_private() -> None:
    """:class:`BrokerError` (exit 4) unless a private server can be started."""
    if server_program() is None:
        raise BrokerError(MISSING)
    try:
        import redis  # noqa: F401
    except ImportError:
        raise BrokerError("the Python package redis is missing: pip install redis") from None


def _listen_address(listen: str | None) -> tuple[str, int | None]:
    """``(bind address, port or None)`` from ``--listen ADDRESS[:PORT]``."""
    if not listen:
        return "127.0.0.1", None
    host, sep, port = listen.rpartition(":")
    if sep and port.isdigit() and host:
        return host, int(port)
    return listen, None


def join_host(bind: str) -> str:
    """The host others use to reach a server bound to ``bind``."""
    if bind in ("0.0.0.0", "::", ""):
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only the route is chosen
            return str(s.getsockname()[0])
        return socket.gethostname()
    return bind


class PrivateServer:
    """A ``redis-server`` of one run (see the module's notes). :meth:`start` returns its
    URL; :meth:`stop` ends it and removes its directory. Idempotent stop."""

    def __init__(self, listen: str | None = None) -> None:
        self.bind, self.port = _listen_address(listen)
        self.password = secrets.token_urlsafe(18)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url: BrokerUrl | None = None
        self._dir: str | None = None
        self._started = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._keeper: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self, timeout: float = START_TIMEOUT_S) -> BrokerUrl:
        """Start the server and wait until it answers; :class:`BrokerError` (exit 4) if
        it is not installed or does not come up. A free port chosen here can be taken
        by another program before the server binds it: then it tries another (up to
        :data:`PORT_TRIES` times; not for a port given with ``--listen``)."""
        program = server_program()
        if program is None:
            raise BrokerError(MISSING)
        tries = 1 if self.port else PORT_TRIES
        for attempt in range(1, tries + 1):
            try:
                return self._start_once(program, timeout)
            except _EndedAtOnce as err:
                self.stop()
                if attempt == tries:
                    raise BrokerError(str(err)) from None
                self.port, self._stop, self._started = None, threading.Event(), threading.Event()
        raise AssertionError("unreachable")

    def _start_once(self, program: str, timeout: float) -> BrokerUrl:
        self._dir = tempfile.mkdtemp(prefix="pcsim-redis-")
        self._keeper = threading.Thread(
            target=self._keep, args=(program,), name="pcsim-broker", daemon=True
        )
        self._keeper.start()
        self._started.wait()
        if self._error is not None or self.proc is None:
            self.stop()
            raise BrokerError(f"could not start redis-server: {self._error}")
        url = BrokerUrl(_reach(self.bind), self.port or 0, 0, self.password)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise _EndedAtOnce(
                    f"redis-server ended at once (exit code {self.proc.returncode}) "
                    f"on {self.bind}:{self.port}"
                )
            with contextlib.suppress(BrokerError):
                connect(url, timeout=0.5).close()  # not someone else's on that port
                break
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerError(f"redis-server did not answer within {timeout:g} s")
            time.sleep(0.02)
        self.url = url
        return url

    def _keep(self, program: str) -> None:
        """The keeper thread: start the server (it dies with this thread), wait for
        :meth:`stop`, end it."""
        try:
            port = self.port or _free_port(self.bind)
            self.port = port
            args = [
                program,
                "--bind", self.bind,
                "--port", str(port),
                "--requirepass", self.password,
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir or ".",
                "--daemonize", "no",
                "--protected-mode", "no",
                "--loglevel", "warning",
            ]  # fmt: skip
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_child_setup,  # only prctl and setpgid
                close_fds=True,
            )
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._stop.wait()
        proc = self.proc
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(3.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(3.0)

    def stop(self) -> None:
        """End the server (if it runs) and remove its directory."""
        self._stop.set()
        if self._keeper is not None and self._keeper is not threading.current_thread():
            self._keeper.join(10.0)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _reach(bind: str) -> str:
    """Where this machine reaches a server bound to ``bind``."""
    return "127.0.0.1" if bind in ("0.0.0.0", "", "localhost") else bind


def _child_setup() -> None:
    """In the forked ``redis-server`` before exec: die with the keeper thread, and leave
    the terminal's process group, so a Ctrl+C reaches pcsim only (it decides when its
    broker ends)."""
    set_parent_death_signal(signal.SIGKILL)
    os.setpgid(0, 0)
