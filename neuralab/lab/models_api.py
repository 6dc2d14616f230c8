"""The model pages' routes under ``/api/models``: a finished run's model used on the user's input.

Digits / Fashion: ``GET /api/models/images`` lists the image-classifier runs;
``POST /api/models/images/predict`` takes ``{"run", "pixels": [784 grey levels], "center"}`` and
``POST /api/models/images/png?run=...`` a PNG body; both answer the class probabilities, the
first layer's maps and the saliency map (``neuralab.inference.image_runs``). Inputs are
checked there (``DrawingError``: 400 with what was expected). Inference on the scratch engine
takes the playgrounds' lock: its grad mode is one flag for the whole process.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from neuralab import runs_index
from neuralab.inference import drawing, image_runs
from neuralab.lab.api import LabHTTPError, Strict, read_limited
from neuralab.lab.sessions import PLAYGROUND_LOCK

router = APIRouter(prefix="/api/models")
CACHE = image_runs.ModelCache()


class PredictRequest(Strict):
    run: str = Field(min_length=1, max_length=200)
    pixels: list = Field(max_length=drawing.SIZE * drawing.SIZE + 1)
    center: bool = True
    engine: str | None = Field(default=None, max_length=20)


def _answer(request: Request, run: str, engine: str | None, image, center: bool) -> dict:
    try:
        model = CACHE.get(request.app.state.runs_dir, run, engine)
        with PLAYGROUND_LOCK:
            return model.answer(image, center=center)
    except (runs_index.RunsError, image_runs.RunModelError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        raise LabHTTPError(404 if str(message).startswith("no run") else 400, str(message)) from None


@router.get("/images")
def image_classifier_runs(request: Request) -> dict:
    return {"runs": image_runs.image_runs(request.app.state.runs_dir)}


@router.post("/images/predict")
def predict_drawing(body: PredictRequest, request: Request) -> dict:
    try:
        image = drawing.pixels_from_list(body.pixels)
    except drawing.DrawingError as error:
        raise LabHTTPError(400, str(error)) from None
    return _answer(request, body.run, body.engine, image, body.center)


@router.post("/images/png")
async def predict_png(request: Request, run: str = Query(min_length=1, max_length=200)) -> dict:
    data = await read_limited(request, drawing.MAX_PNG_BYTES, what="the dropped PNG", expected="a PNG picture")
    try:
        image = await run_in_threadpool(drawing.pixels_from_png, data)
    except drawing.DrawingError as error:
        raise LabHTTPError(400, str(error)) from None
    return await run_in_threadpool(_answer, request, run, None, image, True)
