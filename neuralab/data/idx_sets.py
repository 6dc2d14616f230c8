"""What MNIST and Fashion-MNIST share: four IDX files, verified by the SHA-256 of their
decompressed bytes, cached uncompressed, loaded as float32 images.

The cache holds the four IDX files exactly as upstream publishes them once gunzipped
(uint8, 55 MB per dataset), so their checksums are the well-known upstream ones and any
IDX reader can open them. Loading reads each file once, hashes it and converts it.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from neuralab.data import cache
from neuralab.data.cache import SourceUnavailableError
from neuralab.data.checksums import ChecksumError, check_bytes, sha256_bytes
from neuralab.data.idx import decode_idx, decompress_if_gzip
from neuralab.data.splits import FetchInfo, Split, Splits

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)


@dataclass(frozen=True)
class IdxDataset:
    """A dataset shipped as the four standard IDX files.

    ``sha256`` maps each IDX file name to the checksum of its decompressed bytes.
    Validation is the last ``n_val`` images of the training file.
    """

    name: str
    title: str
    sha256: Mapping[str, str]
    classes: tuple[str, ...]
    n_val: int
    mirrors: tuple[str, ...] = ()
    dir_env: str = ""

    @property
    def validation_rule(self) -> str:
        return f"last {self.n_val:,} images of {TRAIN_IMAGES}"


def download_enabled(download: bool | None) -> bool:
    """``download`` if given, else whether ``$NEURALAB_DOWNLOAD`` is ``1``."""
    return bool(download) if download is not None else os.environ.get("NEURALAB_DOWNLOAD", "") == "1"


# --- sources ----------------------------------------------------------------------------
def _candidates(folder: Path, base: str) -> list[Path]:
    dotted = base.replace("-idx", ".idx")  # some mirrors write train-images.idx3-ubyte
    return [folder / n for n in (base, base + ".gz", dotted, dotted + ".gz")]


def find_idx_files(folder: str | os.PathLike) -> dict[str, Path] | None:
    """The four IDX files in ``folder`` (plain or ``.gz``), None if there are none;
    :class:`FileNotFoundError` naming the missing ones if only some are there."""
    folder = Path(folder)
    found = {base: next((p for p in _candidates(folder, base) if p.is_file()), None) for base in IDX_FILES}
    missing = [base for base, path in found.items() if path is None]
    if len(missing) == len(IDX_FILES):
        return None
    if missing:
        raise FileNotFoundError(f"{folder}: missing {', '.join(m + '[.gz]' for m in missing)}")
    return found  # type: ignore[return-value]


def verify_idx_source(raw: bytes, expected: str, where: str | os.PathLike) -> bytes:
    """Decompress ``raw`` if gzipped and check the IDX bytes against ``expected``."""
    try:
        data = decompress_if_gzip(raw, str(where))
    except ValueError as error:
        raise ChecksumError(where, expected, sha256_bytes(raw) + " (of the compressed file)",
                            f"{error}; the expected checksum is that of the decompressed IDX data") from error
    check_bytes(data, expected, where, f"not the expected IDX data ({len(data):,} bytes once decompressed)")
    return data


def read_folder(spec: IdxDataset, folder: str | os.PathLike) -> dict[str, bytes] | None:
    """The verified IDX bytes from ``folder``, None if it holds no IDX files."""
    paths = find_idx_files(folder)
    if paths is None:
        return None
    return {base: verify_idx_source(path.read_bytes(), spec.sha256[base], path) for base, path in paths.items()}


def download(spec: IdxDataset, timeout: float = 30.0) -> dict[str, bytes]:
    """The verified IDX bytes from the first upstream mirror that answers."""
    files, failures = {}, []
    for base in IDX_FILES:
        for mirror in spec.mirrors:
            url = mirror + base + ".gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - fixed https/http URLs
                    raw = response.read()
            except (urllib.error.URLError, OSError, ValueError) as error:
                failures.append(f"{url}: {getattr(error, 'reason', error)}")
                continue
            files[base] = verify_idx_source(raw, spec.sha256[base], url)
            break
        else:
            raise SourceUnavailableError(
                f"could not download {spec.title} (offline?): " + "; ".join(failures))
    return files


# --- cache ------------------------------------------------------------------------------
def _check_layout(spec: IdxDataset, files: Mapping[str, bytes], where: Path | None = None) -> dict[str, int]:
    """Decode the four files, check that they fit together; return the split sizes."""
    arrays = {base: decode_idx(files[base], str(where / base) if where else base) for base in IDX_FILES}
    for images, labels in ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS)):
        x, y = arrays[images], arrays[labels]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or x.dtype != np.uint8:
            raise ValueError(f"{spec.title}: {images} {x.dtype}{x.shape} and {labels} {y.shape} do not match")
        if y.size and y.max() >= len(spec.classes):
            raise ValueError(f"{spec.title}: {labels} has label {y.max()}, expected < {len(spec.classes)}")
    n_train = len(arrays[TRAIN_IMAGES])
    if not 0 <= spec.n_val < n_train:
        raise ValueError(f"{spec.title}: cannot carve {spec.n_val} validation images from {n_train}")
    return {"train": n_train - spec.n_val, "val": spec.n_val, "test": len(arrays[TEST_IMAGES])}


def store(spec: IdxDataset, files: Mapping[str, bytes], source: str) -> dict:
    """Write verified IDX bytes into the cache; return the manifest."""
    for base in IDX_FILES:
        check_bytes(files[base], spec.sha256[base], base)
    counts = _check_layout(spec, files)
    return cache.write_dataset(spec.name, {b: files[b] for b in IDX_FILES}, source,
                               counts=counts, validation=spec.validation_rule)


def cache_state(spec: IdxDataset) -> str:
    """``missing`` (no manifest: never fetched or interrupted), ``ok`` or ``corrupt``."""
    if not (cache.dataset_dir(spec.name) / cache.MANIFEST).exists():
        return "missing"
    row = cache.inspect(spec.name)
    agrees = set(row.files) == set(IDX_FILES) and all(
        s == spec.sha256[f] for f, s in zip(row.files, row.sha256))
    return "ok" if row.verified and agrees and row.problem is None else "corrupt"


def fetch(spec: IdxDataset, obtain: Callable[[], tuple[dict[str, bytes], str]], force: bool = False) -> FetchInfo:
    """Obtain, verify and cache ``spec`` unless a valid cache exists (``force``: redo)."""
    start = time.perf_counter()
    with cache.dataset_lock(spec.name):  # a second fetch at once waits, then finds this one's cache
        state = cache_state(spec)
        action = "already cached"
        if force or state != "ok":
            files, source = obtain()
            store(spec, files, source)
            action = "cached" if state == "missing" else "rebuilt"
        manifest = cache.read_manifest(spec.name)
    return FetchInfo(
        name=spec.name, action=action, source=manifest["source"], counts=dict(manifest["counts"]),
        unit="images", path=cache.dataset_dir(spec.name),
        files=tuple((f, e["bytes"], e["sha256"]) for f, e in manifest["files"].items()),
        seconds=time.perf_counter() - start)


def images_to_float(images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, H, W)`` -> float32 ``(N, 1, H, W)`` in [0, 1] (divided by 255)."""
    out = np.divide(images, np.float32(255), dtype=np.float32)
    return out.reshape(len(images), 1, *images.shape[1:])


def load_cached(spec: IdxDataset, verify: bool = True) -> Splits:
    """The splits from the cache; every file's SHA-256 is checked unless ``verify=False``."""
    manifest = cache.read_manifest(spec.name)
    folder = cache.dataset_dir(spec.name)
    raw = {}
    for base in IDX_FILES:
        if verify:
            raw[base] = cache.read_verified(spec.name, base, spec.sha256[base])
        else:
            raw[base] = (folder / base).read_bytes()
    _check_layout(spec, raw, folder)
    arrays = {base: decode_idx(data, str(folder / base)) for base, data in raw.items()}
    n_train = len(arrays[TRAIN_IMAGES]) - spec.n_val
    x_train = images_to_float(arrays[TRAIN_IMAGES])
    y_train = arrays[TRAIN_LABELS].astype(np.int64)
    return Splits(
        train=Split(x_train[:n_train], y_train[:n_train]),
        val=Split(x_train[n_train:], y_train[n_train:]),
        test=Split(images_to_float(arrays[TEST_IMAGES]), arrays[TEST_LABELS].astype(np.int64)),
        name=spec.name, classes=spec.classes, input_shape=tuple(x_train.shape[1:]),
        source=str(manifest.get("source", "")),
        sha256={base: spec.sha256[base] for base in IDX_FILES},
    )


def load(spec: IdxDataset, obtain: Callable[[], tuple[dict[str, bytes], str]], verify: bool = True) -> Splits:
    """Load from the cache, fetching first if the dataset was never cached.

    A corrupt cache is an error (never silently used nor silently replaced).
    """
    if not (cache.dataset_dir(spec.name) / cache.MANIFEST).exists():
        fetch(spec, obtain)
    return load_cached(spec, verify=verify)
