"""The runs dashboard's routes under ``/api``: run cards, a run's page data and live curve,
its files, run comparison, training jobs (start, stop, resume) and lessons.

Everything needs the token (``app.py``). Reading run folders is ``neuralab.runs_index``;
starting and stopping children is ``neuralab.jobs``; these routes only pass requests on.
A file is served only when ``runs_index.inside`` keeps its path inside the runs root.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import Field

from neuralab import runs_index
from neuralab.jobs import JobError
from neuralab.lab.api import LabHTTPError, Strict

TAIL_POLL_S = 0.1  # how often a live curve looks at metrics.jsonl (a point shows within ~0.2 s)
CARD_EVERY_S = 1.0  # how often a run page's status line is refreshed
SERVED = {".png": "image/png", ".json": "application/json", ".jsonl": "application/x-ndjson"}

router = APIRouter(prefix="/api")


class TrainRequest(Strict):
    recipe: str = Field(min_length=1, max_length=100)
    engine: str | None = Field(default=None, max_length=20)
    epochs: int | None = Field(default=None, ge=1, le=100_000)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    overrides: list[str] = Field(default_factory=list, max_length=50)


class ResumeRequest(Strict):
    run: str = Field(min_length=1, max_length=200)


class LessonRequest(Strict):
    name: str = Field(min_length=1, max_length=100)
    quick: bool = True


def _root(request: Request) -> Path:
    return Path(request.app.state.runs_dir or "runs")


def _refused(error: Exception) -> LabHTTPError:
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    status = 404 if str(message).startswith(("no run", "no job")) else 400
    return LabHTTPError(status, str(message))


def _active(request: Request) -> set[str]:
    return request.app.state.jobs.active_runs()


@router.get("/runs")
def list_runs(request: Request) -> dict:
    """Every run's card (newest first) and every job of this server."""
    root = _root(request)
    return {"root": str(root.resolve()), "runs": runs_index.scan(root, active=_active(request)),
            "jobs": request.app.state.jobs.list()}


@router.get("/runs/{name}")
def run_detail(name: str, request: Request) -> dict:
    try:
        detail = runs_index.detail(_root(request), name, active=name in _active(request))
    except runs_index.RunsError as error:
        raise _refused(error) from None
    detail["job"] = request.app.state.jobs.job_of_run(name)
    return detail


@router.get("/runs/{name}/events")
async def run_events(name: str, request: Request) -> StreamingResponse:
    """SSE: ``rows`` (``{"reset", "curves"}``: the new points, as ``runs_index.series``) whenever
    metrics.jsonl grows, and ``card`` (status, metrics, the job's state, the figure names) once a second."""
    try:
        folder = runs_index.run_folder(_root(request), name)
    except runs_index.RunsError as error:
        raise _refused(error) from None
    app_state = request.app.state
    tail = runs_index.MetricsTail(folder)

    async def stream():
        yield "retry: 1000\n\n"
        waited = CARD_EVERY_S
        while not app_state.closing.is_set():
            change = tail.poll()
            if change is not None:
                reset, rows = change
                yield f"event: rows\ndata: {json.dumps({'reset': reset, 'curves': runs_index.series(rows)})}\n\n"
            if waited >= CARD_EVERY_S:
                waited = 0.0
                card = runs_index.card(folder, active=name in app_state.jobs.active_runs())
                state = {"card": card, "job": app_state.jobs.job_of_run(name), "figures": runs_index.figures(folder)}
                yield f"event: card\ndata: {json.dumps(state)}\n\n"
            await asyncio.sleep(TAIL_POLL_S)
            waited += TAIL_POLL_S

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/runs/{name}/files/{path:path}")
def run_file(name: str, path: str, request: Request) -> FileResponse:
    """A file of the run (figures, config, metrics, summary); nothing outside the runs root."""
    try:
        folder = runs_index.run_folder(_root(request), name)
        target = runs_index.inside(folder, *path.split("/"))
    except runs_index.RunsError as error:
        raise _refused(error) from None
    if target.suffix not in SERVED or not target.is_file():
        raise LabHTTPError(404, f"no file {path!r} in run {name!r} (served: {', '.join(SERVED)} files)")
    return FileResponse(target, media_type=SERVED[target.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/compare")
def compare(request: Request, runs: str = Query(min_length=1, max_length=4000)) -> dict:
    """Curves of two or more runs and the config keys where they differ."""
    names = [n for n in runs.split(",") if n]
    if len(names) < 2:
        raise LabHTTPError(400, f"compare needs two or more runs (runs=a,b); got {len(names)}")
    details = {}
    try:
        for name in names:
            details[name] = runs_index.detail(_root(request), name)
    except runs_index.RunsError as error:
        raise _refused(error) from None
    return {"curves": {n: d["curves"] for n, d in details.items()}, "cards": {n: d["card"] for n, d in details.items()},
            "diff": runs_index.diff_configs({n: d["config"] for n, d in details.items()})}


@router.get("/recipes")
def recipe_list() -> dict:
    """The recipes the start form offers (name, task, summary, default epochs)."""
    from neuralab import engines, recipes  # noqa: PLC0415

    return {"recipes": [{"name": r.name, "task": r.task, "summary": r.summary,
                         "epochs": r.config.get("train", {}).get("epochs")} for r in recipes.RECIPES.values()],
            "engines": list(engines.ENGINES)}


@router.post("/jobs/train")
def start_training(body: TrainRequest, request: Request) -> dict:
    """Queue a training; settings are checked as ``neuralab train`` checks them."""
    try:
        return request.app.state.jobs.train(body.recipe, engine=body.engine, epochs=body.epochs, seed=body.seed,
                                            overrides=body.overrides)
    except (ValueError, KeyError, TypeError) as error:
        raise _refused(error) from None


@router.post("/jobs/resume")
def resume_training(body: ResumeRequest, request: Request) -> dict:
    try:
        return request.app.state.jobs.resume(body.run)
    except (ValueError, KeyError) as error:
        raise _refused(error) from None


@router.post("/jobs/lesson")
def run_lesson(body: LessonRequest, request: Request) -> dict:
    try:
        return request.app.state.jobs.lesson(body.name, quick=body.quick)
    except (ValueError, KeyError) as error:
        raise _refused(error) from None


class SampleRequest(Strict):
    run: str = Field(min_length=1, max_length=200)
    n: int = Field(default=64, ge=1, le=400)
    label: int | None = Field(default=None, ge=0, le=1000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    steps: int | None = Field(default=None, ge=1, le=10_000)
    guidance: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    prior: Literal["run", "normal"] = "run"


@router.post("/jobs/sample")
def sample_run(body: SampleRequest, request: Request) -> dict:
    """Queue ``neuralab sample`` for a GAN, diffusion or VAE run; the grid lands in its figures."""
    try:
        return request.app.state.jobs.sample(body.run, n=body.n, label=body.label, seed=body.seed, steps=body.steps,
                                             guidance=body.guidance, prior=body.prior)
    except (ValueError, KeyError) as error:
        raise _refused(error) from None


@router.get("/jobs")
def list_jobs(request: Request) -> dict:
    return {"jobs": request.app.state.jobs.list()}


@router.get("/jobs/{job_id}")
def get_job(job_id: str, request: Request) -> dict:
    try:
        return request.app.state.jobs.get(job_id)
    except JobError as error:
        raise _refused(error) from None


@router.post("/jobs/{job_id}/stop")
def stop_job(job_id: str, request: Request) -> dict:
    try:
        return request.app.state.jobs.stop(job_id)
    except JobError as error:
        raise _refused(error) from None


@router.get("/lessons")
def lesson_list(request: Request) -> dict:
    """Every lesson's about and, when ``neuralab verify`` wrote one, the verification report."""
    from neuralab import lessons  # noqa: PLC0415
    from neuralab.lessons import runner  # noqa: PLC0415

    listing = []
    for name in lessons.names():
        about = lessons.about(name)
        listing.append({"name": name, "title": about["title"], "section": about["section"],
                        "claims": list(about["claims"]), "seconds": about["seconds"]})
    report = None
    verdicts = Path(request.app.state.lessons_dir) / "verdicts.json"
    if verdicts.is_file():
        try:
            report = json.loads(verdicts.read_text())
            for record in report.get("lessons", []):
                record["tally"] = runner.tally(record)
        except (json.JSONDecodeError, OSError, KeyError, TypeError, AttributeError) as error:
            report = {"error": f"{verdicts} cannot be read ({error})"}
    return {"lessons": listing, "report": report, "report_path": str(verdicts)}
