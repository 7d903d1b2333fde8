"""A broker's address, ``redis://[:password@]host:port/db``: parsed and redacted.

Kept apart from :mod:`~.broker` (which starts servers) so the config's check imports
nothing heavy. The password is shown only in the join command printed to whoever started
the run; every other output goes through :func:`redact`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DEFAULT_PORT = 6379


class BrokerUrlError(ValueError):
    """The text is not a broker URL; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    host: str
    port: int
    db: int = 0
    password: str | None = None
    username: str | None = None

    def url(self) -> str:
        """The full URL, password included: for the join command and the client only."""
        auth = ""
        if self.password is not None:
            user = quote(self.username or "", safe="")
            auth = f"{user}:{quote(self.password, safe='')}@"
        return f"redis://{auth}{self.host}:{self.port}/{self.db}"

    def redacted(self) -> str:
        return redact(self.url())


ALLOWED = "redis://[:PASSWORD@]HOST:PORT/DB"


def parse_broker_url(text: str) -> BrokerUrl:
    """``text`` as a :class:`BrokerUrl`; :class:`BrokerUrlError` if it is not of the form
    :data:`ALLOWED` (port 1-65535, db 0-15)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise BrokerUrlError(f"of the form {ALLOWED}") from None
    if parts.scheme != "redis" or not parts.hostname:
        raise BrokerUrlError(f"of the form {ALLOWED}")
    if port is None:
        port = DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise BrokerUrlError(f"of the form {ALLOWED} with PORT in 1–65535")
    path = parts.path.strip("/")
    if path and (not path.isdigit() or not 0 <= int(path) <= 15):
        raise BrokerUrlError(f"of the form {ALLOWED} with DB in 0–15")
    password = unquote(parts.password) if parts.password is not None else None
    username = unquote(parts.username) if parts.username else None
    return BrokerUrl(parts.hostname, port, int(path or 0), password, username)


_SECRET = re.compile(r"(redis://[^:/@\s]*:)([^@\s]*)(@)")


def redact(text: str) -> str:
    """Every ``redis://user:password@`` in ``text`` with the password as ``***``."""
    return _SECRET.sub(r"\1***\3", text)
