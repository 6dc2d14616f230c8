"""MNIST-FID: the Fréchet distance between Gaussian fits of classifier features.

    FID = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

(Heusel et al. 2017, with Inception features there.) Here the features are the 128-d
penultimate activations (after ReLU) of the project's own ``mnist-cnn`` classifier, trained
once and cached under ``data_home()/feature-net/`` like a dataset: the weights in
``mnist-cnn.safetensors``, its SHA-256, model settings and test accuracy in ``manifest.json``
(``neuralab.data.cache``: atomic writes, checksum verified on every load).

FID values are only comparable for the same feature net, the same reference set and the same
N (the estimate is biased upwards for small N), so :func:`mnist_fid` always reports the
real-vs-real floor beside it: N training images against the same reference.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from neuralab.data import cache

FEATURE_NET = "feature-net"
WEIGHTS = "mnist-cnn.safetensors"
REFERENCES = ("test", "val")
RECIPE = "mnist-cnn"
RECOGNIZED_AT = 0.9  # top-1 probability at which the feature net "recognizes" a sample
TRAIN_EPOCHS = 3  # ~99.2% test accuracy with the recipe's one-cycle schedule; enough for features


# ----------------------------------------------------------------------------- the distance


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (unbiased) of ``features: (N, D)``, in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must be (N, D) with N >= 2; got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance squared between N(mu1, sigma1) and N(mu2, sigma2).

    Tr((S1 S2)^(1/2)) is computed in the symmetric form Tr((A S2 A)^(1/2)) with A = S1^(1/2):
    A S2 A is symmetric positive semi-definite and has the same eigenvalues as S1 S2, so an
    eigendecomposition suffices and no complex parts arise (tiny negative eigenvalues from
    round-off are clipped to 0).
    """
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"mismatched Gaussians: means {mu1.shape} and {mu2.shape}, covariances {sigma1.shape} and {sigma2.shape}")
    root1 = _psd_sqrt(sigma1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ sigma2 @ root1), 0.0, None)).sum()
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * cross)
    return max(value, 0.0)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def feature_distance(features1: np.ndarray, features2: np.ndarray) -> float:
    """FID between two feature sets ``(N1, D)`` and ``(N2, D)``."""
    return frechet_distance(*gaussian_fit(features1), *gaussian_fit(features2))


# ----------------------------------------------------------------------------- the feature net


def save_feature_net(model, hparams: dict[str, Any], **info: Any) -> dict[str, Any]:
    """Cache ``model``'s weights (a ``cnn`` built with ``hparams``) as the feature net; returns the manifest.

    ``info`` (test accuracy, recipe, epochs...) goes into the manifest beside the checksum.
    """
    from neuralab.train.checkpoint import to_numpy  # noqa: PLC0415

    # np.array(order="C"), not ascontiguousarray: that one makes the 0-dim num_batches_tracked a (1,) vector
    arrays = {name: np.array(to_numpy(value), order="C") for name, value in model.state_dict().items()}
    blob = save_safetensors(arrays, metadata={"format": "neuralab.feature-net"})
    return cache.write_dataset(FEATURE_NET, {WEIGHTS: blob}, source=info.pop("source", "neuralab"),
                               model={"name": "cnn", **hparams}, **info)


def feature_engine():
    """The engine the feature net runs on (and, the first time, trains on): torch where it is
    installed, else the scratch engine, so that a core install (NumPy only) measures FID too.
    Both compute the same features up to float32 rounding (tests/generative/test_fid.py)."""
    from neuralab import engines  # noqa: PLC0415
    from neuralab.extras import MissingExtra  # noqa: PLC0415

    try:
        return engines.get("torch")
    except MissingExtra:
        return engines.get("scratch")


def _engine_of(net):
    """The engine module a model was built with."""
    from neuralab import engines, scratch  # noqa: PLC0415

    return scratch if isinstance(net, scratch.nn.Module) else engines.get("torch")


def load_feature_net(T=None):
    """``(model, manifest)``: the cached feature net in eval mode (on ``T``, by default
    :func:`feature_engine`), trained first if it is not cached.

    The weights' SHA-256 is checked against the manifest: a damaged file raises
    ``ChecksumError`` naming the file and the expected checksum.
    """
    from neuralab import models  # noqa: PLC0415
    from neuralab.train.checkpoint import load_model_state  # noqa: PLC0415

    T = T or feature_engine()
    try:
        manifest = cache.read_manifest(FEATURE_NET)
    except cache.NotCachedError:
        manifest = train_feature_net()
    blob = cache.read_verified(FEATURE_NET, WEIGHTS)
    hparams = {k: v for k, v in manifest["model"].items() if k != "name"}
    model = models.build(manifest["model"]["name"], T, **hparams)
    load_model_state(model, load_safetensors(blob), T, source=cache.dataset_dir(FEATURE_NET) / WEIGHTS)
    model.eval()
    return model, manifest


def train_feature_net(epochs: int = TRAIN_EPOCHS, seed: int = 0, threads: int = 1, progress: bool = True) -> dict[str, Any]:
    """Train the ``mnist-cnn`` recipe for ``epochs`` and cache it as the feature net; returns the manifest."""
    from neuralab import engines, recipes  # noqa: PLC0415

    engine = engines.name_of(feature_engine())
    if progress:
        print(f"training the MNIST-FID feature net ({RECIPE}, {epochs} epochs, {threads} thread(s), {engine} engine"
              f"{', several minutes' if engine == 'scratch' else ''}); cached in {cache.dataset_dir(FEATURE_NET)}", flush=True)
    # No label smoothing: it caps the net's confidence near 0.9 and would make `recognized` meaningless
    # (a smoothed net with 99.3% test accuracy reads only 72% of real test digits at >= 0.9).
    config = recipes.resolve(RECIPE, epochs=epochs, seed=seed,
                             overrides=[f"threads={threads}", "train.label_smoothing=0.0", f"engine={engine}"])
    with tempfile.TemporaryDirectory() as runs_root:
        summary = recipes.run(config, runs_root=runs_root, progress=progress)
        return install_feature_net(summary["run_dir"])


def install_feature_net(run_dir: str | Path) -> dict[str, Any]:
    """Cache the final weights of a finished ``mnist-cnn`` run as the feature net; returns the manifest."""
    from neuralab import models  # noqa: PLC0415
    from neuralab.train import RunRecord, load_weights  # noqa: PLC0415

    record = RunRecord.open(run_dir)
    config, summary = record.read_config(), record.read_summary()
    if config["model"]["name"] != "cnn" or config["data"]["name"] != "mnist":
        raise ValueError(f"{run_dir}: the feature net must be a cnn trained on mnist; got {config['model']['name']!r} "
                         f"on {config['data']['name']!r}")
    if config["train"].get("label_smoothing", 0.0):
        raise ValueError(f"{run_dir}: the feature net must be trained without label smoothing (it caps confidence, which "
                         f"`recognized` measures); got train.label_smoothing={config['train']['label_smoothing']}")
    T = feature_engine()
    hparams = {k: v for k, v in config["model"].items() if k != "name"}
    model = load_weights(models.build("cnn", T, **hparams), record.checkpoints_dir / "last", T)
    return save_feature_net(model, hparams, source=f"recipe {config['recipe']}, run {Path(run_dir).name}",
                            recipe=config["recipe"], engine=config["engine"], epochs=config["train"]["epochs"], seed=config["seed"],
                            label_smoothing=config["train"].get("label_smoothing", 0.0),
                            test_accuracy=summary["metrics"]["test_accuracy"])


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"MNIST-FID needs images of shape (N, 1, 28, 28) in [0, 1]; got {images.shape}")
    return images


def _run_net(net, images: np.ndarray, head: bool, batch_size: int = 1000) -> np.ndarray:
    """The penultimate features (``head=False``) or the logits of ``net`` for ``images``."""
    from neuralab.train.checkpoint import to_numpy  # noqa: PLC0415

    T = _engine_of(net)
    layers = list(net.children())
    body = layers if head else layers[:-1]  # drop the last Linear: 128-d ReLU features (dropout is off in eval)
    net.eval()
    chunks = []
    with T.no_grad():
        for start in range(0, len(images), batch_size):
            out = T.from_numpy(np.ascontiguousarray(images[start:start + batch_size]))
            for layer in body:
                out = layer(out)
            chunks.append(to_numpy(out))
    return np.concatenate(chunks)


def extract_features(images: np.ndarray, net=None) -> np.ndarray:
    """Feature-net activations ``(N, 128)`` of ``images: (N, 1, 28, 28)`` in [0, 1]."""
    net = net if net is not None else load_feature_net()[0]
    return _run_net(net, _check_images(images), head=False)


def classify(images: np.ndarray, net=None) -> np.ndarray:
    """The feature net's predicted digit ``(N,)`` for ``images: (N, 1, 28, 28)``."""
    return class_probabilities(images, net).argmax(axis=1)


def class_probabilities(images: np.ndarray, net=None) -> np.ndarray:
    """The feature net's softmax ``(N, 10)`` for ``images: (N, 1, 28, 28)`` in [0, 1]."""
    net = net if net is not None else load_feature_net()[0]
    logits = _run_net(net, _check_images(images), head=True).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def recognizability(probabilities: np.ndarray, threshold: float = RECOGNIZED_AT) -> dict[str, Any]:
    """How clearly a classifier reads a set of generated digits, from its softmax ``(N, C)``.

    ``recognized``: share of samples whose top-1 probability is >= ``threshold`` (a blurry or
    malformed digit spreads its probability and falls below). ``class_shares``: share of
    samples per predicted class; ``rarest_class`` / ``commonest_class`` are their minimum and
    maximum (a generator that drops a digit shows a rarest share near 0; a balanced one
    gives about 1 / C for both).
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        raise ValueError(f"expected class probabilities of shape (N, C) with N >= 1; got {probabilities.shape}")
    shares = np.bincount(probabilities.argmax(axis=1), minlength=probabilities.shape[1]) / len(probabilities)
    return {"recognized": float(np.mean(probabilities.max(axis=1) >= threshold)),
            "rarest_class": float(shares.min()), "commonest_class": float(shares.max()),
            "class_shares": [float(s) for s in shares]}


def mnist_fid(samples: np.ndarray, reference: str = "test", seed: int = 0, labels: np.ndarray | None = None) -> dict[str, Any]:
    """FID of ``samples: (N, 1, 28, 28)`` in [0, 1] against every image of the ``reference`` split,
    with the samples' recognizability.

    Returns ``{"fid", "fid_floor", "recognized", "rarest_class", "commonest_class",
    "class_shares", "samples", "reference", "reference_size", "feature_net_accuracy"}``;
    ``fid_floor`` is the FID of N random training images (seeded) against the same reference,
    the score of a perfect generator at this N (see :func:`recognizability` for the rest).
    With ``labels`` (the digits asked of a conditional generator) ``label_accuracy`` is the
    share the feature net classifies as asked.
    """
    if reference not in REFERENCES:
        raise ValueError(f"reference must be one of {REFERENCES}; got {reference!r}")
    samples = _check_images(samples)
    net, manifest = load_feature_net()
    reference_images, floor_images = _real_images(reference, len(samples), seed)
    reference_features = extract_features(reference_images, net)
    mu, sigma = gaussian_fit(reference_features)
    probabilities = class_probabilities(samples, net)
    result = {
        "fid": frechet_distance(*gaussian_fit(extract_features(samples, net)), mu, sigma),
        "fid_floor": frechet_distance(*gaussian_fit(extract_features(floor_images, net)), mu, sigma),
        **recognizability(probabilities),
        "samples": len(samples), "reference": reference, "reference_size": len(reference_features),
        "feature_net_accuracy": manifest.get("test_accuracy"),
    }
    if labels is not None:
        result["label_accuracy"] = float(np.mean(probabilities.argmax(axis=1) == np.asarray(labels)))
    return result


def _real_images(reference: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``reference`` split's images and ``n`` seeded random training images (the floor's).

    Only these two arrays outlive the call: the rest of MNIST (the 157 MB of training
    images above all) is released before the feature net runs, so a run holding its own
    MNIST does not also hold a second one through the FID's peak (its first convolution).
    """
    from neuralab import data  # noqa: PLC0415

    splits = data.load("mnist")
    pick = np.random.default_rng(seed).choice(len(splits.train), size=min(n, len(splits.train)), replace=False)
    images = getattr(splits, reference).x
    if images.base is not None and images.base.nbytes > images.nbytes:
        images = images.copy()  # val is the tail of the training images' array: keep it alone
    return images, splits.train.x[np.sort(pick)]


# The summary keys a generated-image run reports from :func:`mnist_fid`.
SAMPLE_METRICS = ("fid", "fid_floor", "recognized", "rarest_class", "commonest_class", "label_accuracy")
