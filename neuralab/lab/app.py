"""``create_app()``: the lab's FastAPI application (routes, pages, static files, checks).

Requests pass the checks of ``security.py`` in this order: Host (DNS rebinding), Origin
(cross-site pages), body size, then the token for everything under ``/api``. Pages and
static files need no token (they are the same for everyone), but a page GET that carries
``?token=`` stores it in a cookie, so the page's own requests and its SSE stream carry it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import traceback
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from neuralab.jobs import JobQueue
from neuralab.lab import security
from neuralab.lab.api import LabHTTPError, router
from neuralab.lab.models_api import router as models_router
from neuralab.lab.runs_api import router as runs_router
from neuralab.lab.sessions import FPS, SessionStore
from neuralab.playground import PlaygroundError

STATIC = Path(__file__).parent / "static"
PAGES = {"/": "index.html", "/network": "network.html", "/gan": "gan.html", "/diffusion": "diffusion.html",
         "/runs": "runs.html", "/run": "run.html", "/compare": "compare.html", "/lessons": "lessons.html",
         "/digits": "digits.html", "/generate": "generate.html", "/text": "text.html", "/translate": "translate.html",
         "/forecast": "forecast.html"}
NO_TOKEN = ("missing or wrong token: open the URL that `neuralab lab` printed at start "
            "(it ends in ?token=...)")


def create_app(token: str, *, host: str = "127.0.0.1", runs_dir: str | None = None, fps: int = FPS,
               jobs: int = 1, lessons_dir: str = "lessons-out") -> FastAPI:
    """The app for one server. ``host`` is the bound address (its name passes the Host check);
    ``runs_dir`` (default ``runs``) is the runs dashboard's root, where ``jobs`` trainings at a time
    write; ``lessons_dir`` holds ``neuralab verify``'s ``verdicts.json``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.closing.set()
        app.state.sessions.close_all()
        app.state.jobs.close()

    app = FastAPI(title="neuralab lab", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.token = token
    app.state.host = host
    app.state.runs_dir = runs_dir or "runs"
    app.state.lessons_dir = lessons_dir
    app.state.jobs = JobQueue(app.state.runs_dir, jobs)
    app.state.fps = fps
    app.state.sessions = SessionStore()
    app.state.closing = threading.Event()

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host_header = request.headers.get("host")
        if not security.host_allowed(host_header, host):
            return _error(403, f"Host {host_header!r} is not this lab: open it as http://127.0.0.1:PORT/ "
                               "(names other than localhost are refused against DNS rebinding)")
        origin = request.headers.get("origin")
        if not security.origin_allowed(origin, host_header):
            return _error(403, f"requests from {origin!r} are refused: only the lab's own pages may call it")
        length = request.headers.get("content-length")
        if request.url.path.startswith("/api/") and not request.url.path.endswith("/upload") \
                and length and length.isdigit() and int(length) > security.MAX_JSON_BYTES:
            return _error(413, f"request body is {int(length):,} bytes; the limit is {security.MAX_JSON_BYTES:,}")
        if request.url.path.startswith("/api/"):
            given = request.headers.get(security.TOKEN_HEADER) or request.cookies.get(security.TOKEN_COOKIE)
            if not given and request.method == "GET":  # EventSource and download links cannot set headers
                given = request.query_params.get("token")
            if not security.token_matches(token, given):
                return _error(403, NO_TOKEN)
        response = await call_next(request)
        if request.url.path in PAGES and security.token_matches(token, request.query_params.get("token")):
            response.set_cookie(security.TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    for path, filename in PAGES.items():
        app.add_api_route(path, _page(filename), methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    app.include_router(runs_router)
    app.include_router(models_router)

    @app.exception_handler(PlaygroundError)
    async def playground_error(request: Request, error: PlaygroundError):
        return _error(400, str(error))

    @app.exception_handler(LabHTTPError)
    async def lab_error(request: Request, error: LabHTTPError):
        return _error(error.status, str(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        return _error(400, "; ".join(_describe(problem) for problem in error.errors()))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception):
        traceback.print_exception(error, file=sys.stderr)
        return _error(500, f"internal error ({type(error).__name__}: {error}); the server keeps running")

    return app


def _page(filename: str):
    def page() -> FileResponse:
        return FileResponse(STATIC / filename, headers={"Cache-Control": "no-cache"})
    return page


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _describe(problem: dict) -> str:
    """One pydantic problem in words: ``body.n: Input should be less than or equal to 10000 (got 99999)``."""
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body") or "request body"
    got = problem.get("input")
    shown = repr(got) if not isinstance(got, (dict, list)) else type(got).__name__
    return f"{where}: {problem.get('msg', 'invalid')} (got {shown[:80]})"
