"""The JSON routes under ``/api``: one session per page, plain POSTs for controls, SSE for frames.

Every route here needs the token (``app.py`` checks it before any route runs). Bad input
answers 400 with ``{"error": "..."}`` naming what was expected and what came; an unknown
session answers 404. Nothing here computes: each route calls the playground and returns.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from neuralab import playground as playgrounds
from neuralab.lab.sessions import LabSession

Kind = Literal["network", "gan", "diffusion"]
SSE_POLL_S = 0.02  # how often an SSE reader looks for a new frame (the worker sends <= 25/s)


class LabHTTPError(Exception):
    """An HTTP error with a user-facing message (``app.py`` renders it as JSON)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateRequest(Strict):
    kind: Kind
    settings: dict[str, Any] | None = None
    hash: str | None = Field(default=None, max_length=8000)
    engine: Literal["scratch", "torch"] = "scratch"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class StepRequest(Strict):
    n: int = Field(default=1, ge=1, le=10_000)
    part: Literal["d", "g"] | None = None


class UpdateRequest(Strict):
    changes: dict[str, Any]


class WeightRequest(Strict):
    layer: int = Field(ge=0)
    i: int = Field(ge=0)
    j: int = Field(ge=0)
    value: float = Field(allow_inf_nan=False)


router = APIRouter(prefix="/api")


def _session(request: Request, session_id: str) -> LabSession:
    session = request.app.state.sessions.get(session_id)
    if session is None:
        raise LabHTTPError(404, f"no session {session_id!r}: it was closed or the server restarted; reload the page")
    return session


def _state(session: LabSession) -> dict:
    settings = session.playground.settings
    return {"settings": settings, "hash": playgrounds.to_hash(settings, session.playground.kind), "playing": session.playing,
            "step": session.playground.step_count}


@router.get("/defaults/{kind}")
def defaults(kind: Kind) -> dict:
    """Every setting of ``kind`` with its default, what each accepts (the page builds its menus
    from it), and the limits the server enforces."""
    specs = {name: {"type": spec.type, "choices": list(spec.choices), "low": spec.low, "high": spec.high,
                    "about": spec.about}
             for name, spec in playgrounds.KINDS[kind].SETTINGS.items()}
    return {"settings": playgrounds.defaults(kind), "specs": specs, "limits": playgrounds.LIMITS}


@router.post("/sessions")
def create_session(body: CreateRequest, request: Request) -> dict:
    """A new playground for one page, from a URL hash (TF Playground keys) and/or settings."""
    settings = {}
    if body.hash and body.hash.strip("#"):
        settings.update(playgrounds.parse_hash(body.hash, body.kind))
    settings.update(body.settings or {})
    playground = playgrounds.create(body.kind, settings, engine=body.engine, seed=body.seed)
    session = LabSession(playground, fps=request.app.state.fps)
    request.app.state.sessions.add(session)
    return dict(session.snapshot(), limits=playgrounds.LIMITS, engine=body.engine)


@router.get("/sessions/{session_id}")
def get_session(session_id: str, request: Request) -> dict:
    return _session(request, session_id).snapshot()


@router.post("/sessions/{session_id}/play")
def play(session_id: str, request: Request) -> dict:
    session = _session(request, session_id)
    session.play()
    return _state(session)


@router.post("/sessions/{session_id}/pause")
def pause(session_id: str, request: Request) -> dict:
    session = _session(request, session_id)
    session.pause()
    return _state(session)


@router.post("/sessions/{session_id}/step")
def step(session_id: str, body: StepRequest, request: Request) -> dict:
    session = _session(request, session_id)
    session.run(lambda p: p.step(body.n, part=body.part))
    return _state(session)


@router.post("/sessions/{session_id}/reset")
def reset(session_id: str, request: Request) -> dict:
    session = _session(request, session_id)
    session.run(lambda p: p.reset(), points=True)
    return _state(session)


@router.post("/sessions/{session_id}/update")
def update(session_id: str, body: UpdateRequest, request: Request) -> dict:
    """Change settings: live ones apply at once, structural ones rebuild (new points go out)."""
    session = _session(request, session_id)
    session.run(lambda p: p.update(body.changes), points=True)
    return _state(session)


@router.post("/sessions/{session_id}/weight")
def set_weight(session_id: str, body: WeightRequest, request: Request) -> dict:
    session = _session(request, session_id)
    session.run(lambda p: p.set_weight(body.layer, body.i, body.j, body.value))
    return _state(session)


@router.post("/sessions/{session_id}/upload")
async def upload(session_id: str, request: Request) -> dict:
    """A CSV body (two feature columns and a label or target) becomes the session's data."""
    session = _session(request, session_id)
    data = await read_limited(request, playgrounds.LIMITS["max_upload_bytes"], what="the CSV upload")
    parsed = await run_in_threadpool(playgrounds.read_csv_upload, data)
    # TF keeps one data set per problem: ``dataset`` (classification) and ``regDataset``
    key = "regDataset" if parsed["problem"] == "regression" else "dataset"
    changes = {key: "upload", "points": parsed["points"], "problem": parsed["problem"]}
    await run_in_threadpool(session.run, lambda p: p.update(changes), points=True)
    return dict(_state(session), rows=len(parsed["points"]), classes=parsed.get("classes"))


@router.get("/sessions/{session_id}/export")
def export_zip(session_id: str, request: Request) -> Response:
    """The trained network as one zip: model.safetensors, model.json and model.py."""
    session = _session(request, session_id)
    files = session.run(lambda p: p.export())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            archive.writestr(name, content)
    name = f"neuralab-{session.playground.kind}-step{session.playground.step_count}.zip"
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/sessions/{session_id}/events")
async def events(session_id: str, request: Request) -> StreamingResponse:
    """Server-sent events: ``frame`` (latest view state), ``points``, ``state``, ``failure``."""
    session = _session(request, session_id)
    app_state = request.app.state

    async def stream():
        seen = 0
        yield "retry: 1000\n\n"
        while not (session.closed or app_state.closing.is_set()):
            seen, messages = session.feed.after(seen)
            for event, data in messages:
                yield f"event: {event}\ndata: {data}\n\n"
            await asyncio.sleep(SSE_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/sessions/{session_id}/close")
def close(session_id: str, request: Request) -> dict:
    """The page went away (sent by navigator.sendBeacon on unload)."""
    if not request.app.state.sessions.remove(session_id):
        raise LabHTTPError(404, f"no session {session_id!r}")
    return {"closed": session_id}


async def read_limited(request: Request, limit: int, *, what: str,
                       expected: str = "a CSV file with two feature columns and a label") -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise LabHTTPError(413, f"{what} is {int(declared):,} bytes; the limit is {limit:,} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LabHTTPError(413, f"{what} is over {limit:,} bytes; the limit is {limit:,} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise LabHTTPError(400, f"{what} is empty: expected {expected}")
    return data
