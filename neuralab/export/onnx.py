"""ONNX export of a finished run, checked right away by onnxruntime.

The model is rebuilt on the torch engine from the run's config and weights (a scratch-engine
run loads its ``state_dict`` into the same torch model: same code, same weights) and
exported by torch's exporter (``torch.onnx.export(dynamo=True)``, which uses onnxscript) with
a dynamic batch dimension. The file is then loaded by onnxruntime and run on real inputs
(a classifier: its whole test split) beside the run's own engine:

    max_abs_diff = max |onnx(x) - engine(x)|   over every output value
    agreement    = share of inputs whose top class is the same

An op the exporter cannot translate is refused with the exporter's reason, and no file is left.
Beside ``FILE.onnx`` a ``FILE.onnx.json`` says what the model expects (input shape, classes,
the standardization statistics when the run used them), so it can be used elsewhere.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab.extras import require
from neuralab.io import atomic_write_bytes, atomic_write_json
from neuralab.recipes.common import load_splits
from neuralab.train.checkpoint import to_numpy
from neuralab.trained import TrainedClassifier, load_classifier, load_model, run_config

INPUT_NAME, OUTPUT_NAME = "input", "logits"
ACCURACY_TOLERANCE = 0.001  # 0.1 points: more than this and the export is refused
OUTPUT_TOLERANCE = 1e-3  # largest |onnx - engine| of a generated value (pixels in [0, 1], points) that is accepted
LATENCY_IMAGES = 200  # batch-1 calls timed for the latency per input


class ExportError(ValueError):
    """The model cannot be exported, or the exported file disagrees with the engine."""


def _onnx_modules():
    """onnx, onnxruntime and onnxscript (the torch exporter needs the last), or a MissingExtra naming the extra."""
    for module in ("onnx", "onnxscript"):
        require(module, "onnx", "ONNX export")
    return require("onnxruntime", "onnx", "checking an ONNX export")


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the exporter's progress lines and warnings (torchvision ops it skips, deprecations)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def to_onnx(model: Any, examples: tuple[np.ndarray, ...], what: str, input_names: tuple[str, ...] = (INPUT_NAME,),
            output_name: str = OUTPUT_NAME) -> bytes:
    """The ONNX bytes of torch ``model`` traced on ``examples`` (each ``(N, ...)``), every batch axis left dynamic."""
    import torch  # noqa: PLC0415 - the exporter is torch's; the scratch engine never needs it

    examples = tuple(torch.from_numpy(np.ascontiguousarray(x)) for x in examples)
    batch = torch.export.Dim("batch", min=1)
    try:
        with _quiet_exporter():
            program = torch.onnx.export(model, examples, dynamo=True, verbose=False, optimize=True,
                                        input_names=list(input_names), output_names=[output_name],
                                        dynamic_shapes=tuple({0: batch} for _ in examples))
    except Exception as error:  # the exporter raises many types; each means "this cannot be exported"
        raise ExportError(f"{what} cannot be exported to ONNX: {_reason(error)}") from error
    return program.model_proto.SerializeToString()


def as_module(owner: Any, fn, inputs: int = 1):
    """A torch module whose forward is ``fn(owner, *inputs)`` (one or two inputs): a part of a model
    (a decoder, a generator) to export. The exporter needs named arguments, not ``*inputs``."""
    import torch  # noqa: PLC0415

    class Part(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.owner = owner

    class OneInput(Part):
        def forward(self, x):
            return fn(self.owner, x)

    class TwoInputs(Part):
        def forward(self, x, condition):
            return fn(self.owner, x, condition)

    return (OneInput if inputs == 1 else TwoInputs)().eval()


def _reason(error: BaseException) -> str:
    """The innermost cause's first line, without terminal colours: what the exporter could not do."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def onnx_session(model_bytes: bytes):
    """An onnxruntime CPU session on the model bytes."""
    ort = _onnx_modules()
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def run_session(session, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """onnxruntime outputs for ``x`` in batches (the batch axis is dynamic)."""
    chunks = [session.run(None, {INPUT_NAME: np.ascontiguousarray(x[i:i + batch_size], dtype=np.float32)})[0]
              for i in range(0, len(x), batch_size)]
    return np.concatenate(chunks)


def latency_per_input(predict, x: np.ndarray, n: int = LATENCY_IMAGES) -> float:
    """Median seconds of one batch-1 call of ``predict`` over the first ``n`` inputs (after one warm-up)."""
    sample = x[:n]
    predict(sample[:1])
    times = []
    for i in range(len(sample)):
        start = time.perf_counter()
        predict(sample[i:i + 1])
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def describe_inputs(trained: TrainedClassifier, splits) -> dict[str, Any]:
    """What the ONNX model expects, for ``FILE.onnx.json``: shape, classes, how inputs were prepared."""
    config = trained.config
    info: dict[str, Any] = {
        "recipe": config["recipe"], "task": "classify", "input": INPUT_NAME, "output": OUTPUT_NAME,
        "input_shape": ["batch", *splits.input_shape], "classes": list(splits.classes),
        "data": config["data"]["name"], "standardized": bool(config["data"]["standardize"]),
    }
    statistics = trained.standardization(trained.raw_splits().train.x) if config["data"]["standardize"] else None
    if statistics is not None:  # x_model = (x - mean) / std, statistics of the raw training split
        info["mean"], info["std"] = statistics[0].tolist(), statistics[1].tolist()
    return info


def export_classifier(run_dir: str | Path, out: Path, checkpoint: str = "best") -> dict[str, Any]:
    """Export a classify run and compare onnxruntime with the run's engine on the whole test split."""
    engine_model = load_classifier(run_dir, checkpoint)
    torch_model = engine_model if engine_model.config["engine"] == "torch" else load_classifier(run_dir, checkpoint, engine="torch")
    splits = engine_model.splits()
    test_x, test_y = splits.test.x, splits.test.y
    what = f"{engine_model.config['recipe']} ({engine_model.config['model']['name']})"
    model_bytes = to_onnx(torch_model.model, (test_x[:2],), what)
    session = onnx_session(model_bytes)
    onnx_logits = run_session(session, test_x)
    engine_logits = engine_model.logits(test_x)
    onnx_top, engine_top = onnx_logits.argmax(axis=1), engine_logits.argmax(axis=1)
    result = {
        "recipe": engine_model.config["recipe"], "engine": engine_model.config["engine"], "task": "classify",
        "weights": str(engine_model.weights), "onnx": str(out), "onnx_bytes": len(model_bytes),
        "checked_inputs": int(len(test_x)), "checked_on": "test split",
        "max_abs_diff": float(np.max(np.abs(onnx_logits - engine_logits))),
        "agreement": float(np.mean(onnx_top == engine_top)),
        "engine_test_accuracy": float(np.mean(engine_top == test_y)),
        "onnx_test_accuracy": float(np.mean(onnx_top == test_y)),
        "engine_latency_s": latency_per_input(engine_model.logits, test_x),
        "onnx_latency_s": latency_per_input(lambda x: session.run(None, {INPUT_NAME: x})[0], test_x),
    }
    if abs(result["onnx_test_accuracy"] - result["engine_test_accuracy"]) > ACCURACY_TOLERANCE:
        raise ExportError(f"the ONNX model of {what} disagrees with the engine on {1 - result['agreement']:.2%} of the test "
                          f"split (max |difference| {result['max_abs_diff']:.3g}); nothing was written")
    atomic_write_bytes(out, model_bytes)
    atomic_write_json(out.with_name(out.name + ".json"), describe_inputs(engine_model, splits) | {"source_run": str(run_dir)})
    return result


GENERATED = 256  # inputs of a generative export checked by onnxruntime


def _engine_outputs(T: ModuleType, owner: Any, fn, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    """``fn(owner, *inputs)`` on the run's engine, as NumPy."""
    owner.eval()
    with T.no_grad():
        return to_numpy(fn(owner, *(T.from_numpy(np.ascontiguousarray(x)) for x in inputs)))


def export_part(run_dir: Path, out: Path, checkpoint: str, *, load, fn, inputs, names: tuple[str, ...], output: str,
                info: dict[str, Any]) -> dict[str, Any]:
    """Export ``fn(model, *inputs)`` of a run (``load(run_dir, checkpoint, engine) -> (T, model, config)``)
    and compare onnxruntime with the run's engine on ``inputs``."""
    T, model, config = load(run_dir, checkpoint, None)
    torch_model = model if config["engine"] == "torch" else load(run_dir, checkpoint, "torch")[1]
    what = f"{config['recipe']} ({info['part']})"
    inputs = inputs(T, model, config)
    model_bytes = to_onnx(as_module(torch_model, fn, len(inputs)), tuple(x[:2] for x in inputs), what, input_names=names, output_name=output)
    session = onnx_session(model_bytes)
    onnx_out = session.run(None, dict(zip(names, inputs)))[0]
    engine_out = _engine_outputs(T, model, fn, inputs)
    result = {"recipe": config["recipe"], "engine": config["engine"], "task": config["task"], "part": info["part"],
              "onnx": str(out), "onnx_bytes": len(model_bytes), "checked_inputs": int(len(inputs[0])),
              "checked_on": info["checked_on"], "max_abs_diff": float(np.max(np.abs(onnx_out - engine_out)))}
    if not result["max_abs_diff"] <= OUTPUT_TOLERANCE:
        raise ExportError(f"the ONNX model of {what} differs from the engine by up to {result['max_abs_diff']:.3g} "
                          f"(allowed {OUTPUT_TOLERANCE}); nothing was written")
    atomic_write_bytes(out, model_bytes)
    atomic_write_json(out.with_name(out.name + ".json"), {"recipe": config["recipe"], "task": config["task"],
                      "inputs": list(names), "output": output, **info, "source_run": str(run_dir)})
    return result


def _gan_load(run_dir, checkpoint, engine):
    from neuralab.recipes import gan  # noqa: PLC0415

    T, model, config, _, prior = gan.load_trained(run_dir, engine=engine)
    model.prior = prior  # kept beside the networks for drawing real conditions
    return T, model, config


def _gan_inputs(T, model, config):
    """z ~ N(0, I) (seeded) and, for a conditional G, each class in turn or codes from the run's fitted prior."""
    from neuralab.recipes.generation import sample_conditions  # noqa: PLC0415

    z = np.random.default_rng([config["seed"], 18]).standard_normal((GENERATED, config["model"]["noise_dim"])).astype(np.float32)
    condition = sample_conditions(GENERATED, config, model.prior, seed=config["seed"])
    return (z,) if condition is None else (z, condition)


def export_gan(run_dir: Path, out: Path, checkpoint: str) -> dict[str, Any]:
    """The generator ``G(z[, condition])`` of a GAN run."""
    _, config = run_config(run_dir)
    conditional = bool(config["model"].get("num_classes") or config["model"].get("code_dim"))
    names = ("z", "label" if config["model"].get("num_classes") else "code") if conditional else ("z",)
    return export_part(run_dir, out, checkpoint, load=_gan_load, fn=lambda m, *x: m["generator"](*x), inputs=_gan_inputs,
                       names=names, output="samples",
                       info={"part": "generator", "checked_on": f"{GENERATED} z ~ N(0, I)" + (" with conditions" if conditional else ""),
                             "noise_dim": config["model"]["noise_dim"]})


def _vae_load(run_dir, checkpoint, engine):
    from neuralab.recipes import vae  # noqa: PLC0415

    T, model, config, _, _ = vae.load_trained(run_dir, engine=engine, checkpoint=checkpoint)
    return T, model, config


def _vae_inputs(T, model, config):
    """The encoder means of the first test images: codes the decoder meets in use."""
    test = load_splits(config).test.x[:GENERATED]
    with T.no_grad():
        return (to_numpy(model.encode(T.from_numpy(np.ascontiguousarray(test)))[0]),)


def export_vae(run_dir: Path, out: Path, checkpoint: str) -> dict[str, Any]:
    """The decoder of a VAE run: pixel means ``sigmoid(decode(z))``."""
    return export_part(run_dir, out, checkpoint, load=_vae_load, fn=lambda m, z: m.decode(z).sigmoid(),
                       inputs=_vae_inputs, names=("z",), output="means",
                       info={"part": "decoder", "checked_on": "encoder means of the first test images"})


def _autoencoder_load(run_dir, checkpoint, engine):
    trained = load_model(run_dir, checkpoint, engine, tasks=("denoise",))
    return trained.T, trained.model, trained.config


def export_autoencoder(run_dir: Path, out: Path, checkpoint: str) -> dict[str, Any]:
    """A (denoising) autoencoder run: input image -> reconstruction."""
    return export_part(run_dir, out, checkpoint, load=_autoencoder_load, fn=lambda m, x: m(x),
                       inputs=lambda T, m, config: (load_splits(config).test.x[:GENERATED],), names=(INPUT_NAME,),
                       output="reconstruction", info={"part": "autoencoder", "checked_on": "the first test images"})


LM_WINDOWS = 32  # validation windows of a language model checked by onnxruntime


def _lm_load(run_dir, checkpoint, engine):
    from neuralab.recipes import language_model  # noqa: PLC0415

    T, model, tokenizer, config = language_model.load_trained(run_dir, engine=engine)
    model.tokenizer = tokenizer
    return T, model, config


def _lm_inputs(T, model, config):
    """The first ``LM_WINDOWS`` consecutive windows of ``lm.context`` characters of the validation text, as ids."""
    from neuralab.recipes import language_model  # noqa: PLC0415

    ids = model.tokenizer.encode(language_model.load_corpus(config).val)
    inputs, _ = language_model.consecutive_windows(ids, config["lm"]["context"], LM_WINDOWS * config["lm"]["context"])
    return (inputs.astype(np.int64),)


def export_language_model(run_dir: Path, out: Path, checkpoint: str) -> dict[str, Any]:
    """A character language model: token ids ``(batch, context)`` -> next-character logits ``(batch, context, vocab)``."""
    _, config = run_config(run_dir)
    return export_part(run_dir, out, checkpoint, load=_lm_load, fn=lambda m, ids: m(ids), inputs=_lm_inputs,
                       names=("ids",), output="logits",
                       info={"part": "language model", "checked_on": "validation windows",
                             "context": config["lm"]["context"], "tokenizer": "RUN/" + _tokenizer_file()})


def _tokenizer_file() -> str:
    from neuralab.recipes.language_model import TOKENIZER_FILE  # noqa: PLC0415

    return str(TOKENIZER_FILE)


EXPORTERS = {"classify": export_classifier, "gan": export_gan, "vae": export_vae, "denoise": export_autoencoder,
             "language_model": export_language_model}


def export_run(run_dir: str | Path, out: str | Path | None = None, checkpoint: str = "best") -> dict[str, Any]:
    """Export ``run_dir``'s model to ``out`` (default ``RUN/model.onnx``) and check it with onnxruntime.

    Returns the check: ``max_abs_diff``, ``agreement``, both test accuracies and latencies per input.
    """
    record, config = run_config(run_dir)
    task = config.get("task", "classify")
    if task not in EXPORTERS:
        raise ExportError(f"ONNX export handles {', '.join(EXPORTERS)} runs; {record.path} is a {task!r} run")
    _onnx_modules()
    out = Path(out) if out is not None else record.path / "model.onnx"
    if out.suffix != ".onnx":
        raise ExportError(f"--out must name a .onnx file; got {out}")
    return EXPORTERS[task](record.path, out, checkpoint)
