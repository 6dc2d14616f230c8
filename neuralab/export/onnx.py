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
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from neuralab.extras import require
from neuralab.io import atomic_write_bytes, atomic_write_json
from neuralab.trained import TrainedClassifier, load_classifier, run_config

INPUT_NAME, OUTPUT_NAME = "input", "logits"
ACCURACY_TOLERANCE = 0.001  # 0.1 points: more than this and the export is refused
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


def to_onnx(model: Any, example: np.ndarray, what: str) -> bytes:
    """The ONNX bytes of torch ``model`` traced on ``example`` ``(N, ...)``, the batch axis left dynamic."""
    import torch  # noqa: PLC0415 - the exporter is torch's; the scratch engine never needs it

    example = torch.from_numpy(np.ascontiguousarray(example, dtype=np.float32))
    batch = torch.export.Dim("batch", min=1)
    try:
        with _quiet_exporter():
            program = torch.onnx.export(model, (example,), dynamo=True, verbose=False, optimize=True,
                                        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                                        dynamic_shapes=({0: batch},))
    except Exception as error:  # the exporter raises many types; each means "this cannot be exported"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExportError(f"{what} cannot be exported to ONNX: {reason}") from error
    return program.model_proto.SerializeToString()


def onnx_session(model_bytes: bytes):
    """An onnxruntime CPU session on the model bytes."""
    ort = _onnx_modules()
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def run_session(session, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """onnxruntime outputs for ``x`` in batches (the batch axis is dynamic)."""
    chunks = [session.run([OUTPUT_NAME], {INPUT_NAME: np.ascontiguousarray(x[i:i + batch_size], dtype=np.float32)})[0]
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
    model_bytes = to_onnx(torch_model.model, test_x[:2], what)
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
        "onnx_latency_s": latency_per_input(lambda x: session.run([OUTPUT_NAME], {INPUT_NAME: x})[0], test_x),
    }
    if abs(result["onnx_test_accuracy"] - result["engine_test_accuracy"]) > ACCURACY_TOLERANCE:
        raise ExportError(f"the ONNX model of {what} disagrees with the engine on {1 - result['agreement']:.2%} of the test "
                          f"split (max |difference| {result['max_abs_diff']:.3g}); nothing was written")
    atomic_write_bytes(out, model_bytes)
    atomic_write_json(out.with_name(out.name + ".json"), describe_inputs(engine_model, splits) | {"source_run": str(run_dir)})
    return result


EXPORTERS = {"classify": export_classifier}


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
