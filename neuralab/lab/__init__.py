"""`neuralab lab`: the local web face of the playgrounds.

The face never computes. It validates HTTP, holds one session per open page, runs that
page's playground (``neuralab.playground``) in a worker thread, streams each
``frame()`` to the page as server-sent events and turns ``PlaygroundError`` into HTTP 400
JSON errors that the page shows.

* ``security.py``: the start-up token, Host/Origin checks (DNS rebinding), body limits.
* ``sessions.py``: ``LabSession`` (a playground + its worker thread + its message feed)
  and ``SessionStore``.
* ``api.py``: the JSON routes under ``/api`` (create, play, pause, step, reset, update,
  weight, upload, export, events, close).
* ``app.py``: ``create_app()`` assembles routes, pages, static files and error handlers.
* ``server.py``: ``LabServer``, one uvicorn server on a bound socket, in the foreground
  (the CLI) or a background thread (the tests).
* ``static/``: the hand-written pages (HTML, JS, canvas); nothing comes from a CDN.
"""

from neuralab.extras import require

# The lab is the `lab` extra: without FastAPI or uvicorn any import of neuralab.lab says so in one line.
require("fastapi", "lab", "the lab (`neuralab lab`)")
require("uvicorn", "lab", "the lab (`neuralab lab`)")

from neuralab.lab.app import create_app  # noqa: E402 - after the extra's check
from neuralab.lab.server import LabServer  # noqa: E402

__all__ = ["create_app", "LabServer"]
