"""The model pages' routes under ``/api/models``: a finished run's model used on the user's input.

Digits / Fashion: ``GET /api/models/images`` lists the image-classifier runs;
``POST /api/models/images/predict`` takes ``{"run", "pixels": [784 grey levels], "center"}`` and
``POST /api/models/images/png?run=...`` a PNG body; both answer the class probabilities, the
first layer's maps and the saliency map (``neuralab.inference.image_runs``). Inputs are
checked there (``DrawingError``: 400 with what was expected). Inference on the scratch engine
takes the playgrounds' lock: its grad mode is one flag for the whole process.

Text: ``GET /api/models/text`` lists the language-model runs; ``POST /api/models/text/sample``
streams the sampled characters as NDJSON lines ``{"char", "p"}`` (one per character, written as
drawn; a last ``{"done": n}``), ``POST /api/models/text/attention`` answers a GPT's attention
over the prompt. Translate: ``GET /api/models/translate``, ``POST /api/models/translate``.
Forecast: ``GET /api/models/forecast``, ``POST /api/models/forecast`` (the held-out tail, or a
pasted ``text`` series). Generate: ``GET /api/models/generative``, ``POST /api/models/vae/walk``,
``POST /api/models/diffusion/strip``. Every input is bounded in ``neuralab.inference`` and a
refusal (``InputError``, ``RunModelError``) answers 400 with its message; an unknown run 404.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import Field

from neuralab import runs_index
from neuralab.inference import drawing, forecast_runs, generative_runs, image_runs, text_runs, translate_runs
from neuralab.inference.run_models import InputError, RunCache, one_thread
from neuralab.lab.api import LabHTTPError, Strict, read_limited
from neuralab.lab.sessions import PLAYGROUND_LOCK

router = APIRouter(prefix="/api/models")
CACHE = image_runs.ModelCache()
TEXT, TRANSLATE, FORECAST = RunCache(text_runs.load), RunCache(translate_runs.load), RunCache(forecast_runs.load)
VAE, DIFFUSION = RunCache(generative_runs.load_vae), RunCache(generative_runs.load_diffusion)
RUN_NAME = Field(min_length=1, max_length=200)


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


def _use(request: Request, cache: RunCache, run: str, use):
    """``use(model)`` on the run's loaded model under the engine lock; refusals as 400/404."""
    try:
        model = cache.get(request.app.state.runs_dir, run)
        with PLAYGROUND_LOCK, one_thread(model.T):
            return use(model)
    except (runs_index.RunsError, image_runs.RunModelError, InputError) as error:
        raise LabHTTPError(404 if str(error).startswith("no run") else 400, str(error)) from None


# ---- Text ----

class TextRequest(Strict):
    run: str = RUN_NAME
    prompt: str = Field(max_length=text_runs.MAX_PROMPT * 4)  # the exact bound (characters) is checked in inference
    length: int = 200
    temperature: float = 0.8
    top_k: int | None = None
    seed: int = 0


@router.get("/text")
def language_model_runs(request: Request) -> dict:
    return {"runs": text_runs.text_runs(request.app.state.runs_dir)}


@router.post("/text/sample")
def sample_text(body: TextRequest, request: Request) -> StreamingResponse:
    """Checks the request at once (400), then streams one NDJSON line per drawn character."""
    model = _use(request, TEXT, body.run, lambda model: model)
    characters = _use(request, TEXT, body.run, lambda model: model.stream(
        body.prompt, body.length, temperature=body.temperature, top_k=body.top_k, seed=body.seed))

    def lines():
        count = 0
        try:
            while True:
                with PLAYGROUND_LOCK, one_thread(model.T):  # one step at a time: a playground may train between characters
                    item = next(characters, None)
                if item is None:
                    break
                count += 1
                yield json.dumps(item) + "\n"
        except Exception as error:  # noqa: BLE001 - the page shows it; the headers are already sent
            yield json.dumps({"error": f"sampling stopped after {count} characters: {type(error).__name__}: {error}"}) + "\n"
            return
        yield json.dumps({"done": count}) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers={"Cache-Control": "no-cache"})


class AttentionRequest(Strict):
    run: str = RUN_NAME
    prompt: str = Field(max_length=text_runs.MAX_PROMPT * 4)


@router.post("/text/attention")
def text_attention(body: AttentionRequest, request: Request) -> dict:
    seen = _use(request, TEXT, body.run, lambda model: model.attention(body.prompt))
    return {"chars": seen["chars"], "weights": seen["weights"].round(4).tolist()}


# ---- Translate ----

class TranslateRequest(Strict):
    run: str = RUN_NAME
    text: str = Field(max_length=1000)


@router.get("/translate")
def translate_list(request: Request) -> dict:
    return {"runs": translate_runs.translate_runs(request.app.state.runs_dir)}


@router.post("/translate")
def translate_text(body: TranslateRequest, request: Request) -> dict:
    return _use(request, TRANSLATE, body.run, lambda model: model.translate(body.text))


# ---- Forecast ----

class ForecastRequest(Strict):
    run: str = RUN_NAME
    text: str | None = Field(default=None, max_length=200_000)  # a pasted series; None: the run's held-out tail
    horizon: int = 20


@router.get("/forecast")
def forecast_list(request: Request) -> dict:
    return {"runs": forecast_runs.forecast_runs(request.app.state.runs_dir)}


@router.post("/forecast")
def forecast_series(body: ForecastRequest, request: Request) -> dict:
    if body.text is None:
        return _use(request, FORECAST, body.run, lambda model: model.held_out())
    return _use(request, FORECAST, body.run, lambda model: model.on_series(forecast_runs.parse_series(body.text), body.horizon))


# ---- Generate: latent walk, denoising strip ----

class WalkRequest(Strict):
    run: str = RUN_NAME
    start: int = 3
    end: int = 8
    steps: int = 10
    rows: int = 3


class StripRequest(Strict):
    run: str = RUN_NAME
    label: int | None = None
    seed: int = 0
    frames: int = 8


@router.get("/generative")
def generative_list(request: Request) -> dict:
    return generative_runs.generative_runs(request.app.state.runs_dir)


@router.post("/vae/walk")
def latent_walk(body: WalkRequest, request: Request) -> dict:
    return _use(request, VAE, body.run, lambda model: model.walk(body.start, body.end, body.steps, body.rows))


@router.post("/diffusion/strip")
def denoising_strip(body: StripRequest, request: Request) -> dict:
    return _use(request, DIFFUSION, body.run, lambda model: model.strip(body.label, body.seed, body.frames))
