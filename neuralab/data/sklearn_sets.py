"""The small sets bundled with scikit-learn: ``digits`` and ``iris``.

They ship inside the scikit-learn package, so nothing is cached; their content is
checked against a recorded SHA-256 (:func:`neuralab.data.checksums.array_sha256`) on
every load. Splits are stratified and fixed by ``seed``
(:func:`neuralab.data.splits.stratified_indices`): 20% test, 10% validation.
"""

from __future__ import annotations

import time

import numpy as np

from neuralab.data.cache import SourceUnavailableError
from neuralab.data.checksums import DIGITS_SHA256, IRIS_SHA256, ChecksumError, array_sha256
from neuralab.data.splits import FetchInfo, Splits, stratified_splits

VAL_FRACTION, TEST_FRACTION = 0.1, 0.2


def _bundle(name: str):
    try:
        import sklearn
        from sklearn import datasets
    except ImportError as error:
        raise SourceUnavailableError(
            f"{name} comes from scikit-learn, which is not installed: pip install 'neuralab[data]'") from error
    loader, expected = {"digits": (datasets.load_digits, DIGITS_SHA256), "iris": (datasets.load_iris, IRIS_SHA256)}[name]
    bunch = loader()
    found = array_sha256(bunch.data, bunch.target)
    if found != expected:
        raise ChecksumError(f"scikit-learn {sklearn.__version__} {loader.__name__}()", expected, found,
                            "the bundled data differs from the recorded one")
    return bunch, f"scikit-learn {sklearn.__version__} {loader.__name__}()", found


def digits(*, seed: int = 0, val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION) -> Splits:
    """1,797 handwritten digits, 8x8, as float32 ``(N, 1, 8, 8)`` in [0, 1] (grey levels
    0-16 divided by 16) and int64 labels 0-9. Default split: 1,259 / 179 / 359."""
    bunch, source, digest = _bundle("digits")
    x = (bunch.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return stratified_splits("digits", x, bunch.target.astype(np.int64), [str(c) for c in bunch.target_names],
                             source, digest, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)


def iris(*, seed: int = 0, val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION) -> Splits:
    """150 iris flowers: 4 float32 measurements in cm (sepal length/width, petal
    length/width; not standardized) and int64 labels (setosa, versicolor, virginica).
    Default split: 105 / 15 / 30."""
    bunch, source, digest = _bundle("iris")
    return stratified_splits("iris", bunch.data.astype(np.float32), bunch.target.astype(np.int64),
                             [str(c) for c in bunch.target_names], source, digest,
                             seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)


def fetch(name: str) -> FetchInfo:
    """Check the bundled data of ``digits`` or ``iris`` (nothing to download or cache)."""
    start = time.perf_counter()
    splits = {"digits": digits, "iris": iris}[name]()
    return FetchInfo(name=name, action="bundled", source=splits.source,
                     counts={"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
                     unit="images" if name == "digits" else "samples",
                     files=(("content", 0, splits.sha256["content"]),), seconds=time.perf_counter() - start)
