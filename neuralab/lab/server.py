"""``LabServer``: one uvicorn server on a socket bound up front.

Binding first turns "port in use" into one clear error before anything starts, and lets
``port=0`` pick a free port (the tests). ``serve_forever()`` runs in the foreground until
Ctrl-C; ``start()``/``stop()`` run it in a background thread. Either way the shutdown sets
``app.state.closing`` (open SSE streams end) and joins every session's worker.
"""

from __future__ import annotations

import socket
import threading

import uvicorn

from neuralab.lab.app import create_app
from neuralab.lab.security import new_token

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK


class _Server(uvicorn.Server):
    """uvicorn's server, telling the app it is closing as soon as an exit is asked for,
    so open SSE streams end instead of holding the graceful shutdown."""

    def __init__(self, config, app):
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig, frame):
        self._app.state.closing.set()
        super().handle_exit(sig, frame)


class LabServer:
    """The lab app bound to ``host:port`` (``port=0``: any free port) with a fresh token."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, *, runs_dir: str | None = None,
                 token: str | None = None, quiet: bool = False, jobs: int = 1, lessons_dir: str = "lessons-out"):
        self.token = token or new_token()
        self.host = host
        self.app = create_app(self.token, host=host, runs_dir=runs_dir, jobs=jobs, lessons_dir=lessons_dir)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: without it a response's body waits behind its headers
        # for the client's delayed ACK (Nagle), about 40 ms per request (a digit: 52 ms -> 5.6 ms)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.socket.bind((host, port))
        except OSError as error:
            self.socket.close()
            raise ValueError(f"cannot listen on {host}:{port} ({error.strerror}): "
                             "pick another port with --port, or --port 0 for any free one") from None
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning" if quiet else "info", access_log=False,
                                timeout_graceful_shutdown=2, lifespan="on")
        self._server = _Server(config, self.app)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}"

    @property
    def url(self) -> str:
        """The URL to open: it carries the token, as Jupyter's does."""
        return f"{self.base_url}/?token={self.token}"

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (uvicorn handles the signal); workers stop on the way out."""
        try:
            self._server.run(sockets=[self.socket])
        except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it has already handled
            pass
        finally:
            self.app.state.closing.set()
            self.app.state.sessions.close_all()
            self.app.state.jobs.close()
            self.socket.close()

    def start(self, timeout: float = 20.0) -> "LabServer":
        """Serve in a background thread; returns once the server accepts requests."""
        self._thread = threading.Thread(target=self.serve_forever, name="lab-server", daemon=True)
        self._thread.start()
        waited = threading.Event()
        for _ in range(int(timeout / 0.05)):
            if self._server.started or not self._thread.is_alive():
                break
            waited.wait(0.05)
        if not self._server.started:
            raise RuntimeError(f"the lab server did not start within {timeout} s")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.app.state.closing.set()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
