"""Who may talk to the lab: the start-up token, Host/Origin checks and body limits.

A local server is reachable by every web page the user opens, so three checks stand
between a page and the playgrounds:

* **token**: a random secret printed at start in the URL (``/?token=...``, as Jupyter
  does). Every ``/api`` request must carry it, in the ``X-Neuralab-Token`` header or in the
  ``neuralab_token`` cookie that a page GET with ``?token=`` sets.
* **Host**: DNS rebinding points a foreign name at 127.0.0.1; the Host header still names
  the foreign host, so only ``localhost``, IP literals and the ``--host`` name pass.
* **Origin**: a browser names the page that sent a request; a cross-origin one is refused.
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

TOKEN_HEADER = "x-neuralab-token"
TOKEN_COOKIE = "neuralab_token"
MAX_JSON_BYTES = 2_000_000  # a control request; drawn points fit with room to spare


def new_token() -> str:
    """A fresh URL-safe secret (32 random bytes)."""
    return secrets.token_urlsafe(32)


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison, so timing does not leak the token."""
    return bool(given) and secrets.compare_digest(expected.encode(), given.encode())


def host_name(host_header: str) -> str:
    """``"127.0.0.1:8765"`` -> ``"127.0.0.1"``; ``"[::1]:80"`` -> ``"::1"``."""
    return (urlsplit("//" + host_header).hostname or "").lower()


def host_allowed(host_header: str | None, bound_host: str) -> bool:
    """True when the Host header names this machine, not a name someone rebound to it."""
    if not host_header:
        return False
    name = host_name(host_header)
    if name in ("localhost", bound_host.lower()):
        return True
    try:
        ipaddress.ip_address(name)  # an IP literal cannot be rebound
        return True
    except ValueError:
        return False


def origin_allowed(origin: str | None, host_header: str | None) -> bool:
    """No Origin (curl, a same-origin GET) passes; otherwise it must be this very server."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host_header) and parts.netloc.lower() == host_header.lower()
