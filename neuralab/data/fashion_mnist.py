"""Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes (Zalando Research).

Splits: train = the first 55,000 images of the training file, validation = its last
5,000 (the training file is already shuffled; these hold 450-527 images of each
class), test = the 10,000 test images.

Where the data comes from, in order: a folder (``source_dir=`` or
``$NEURALAB_FASHION_MNIST_DIR``); the Debian package ``dataset-fashion-mnist``
(``/usr/share/datasets/fashion-mnist``); the upstream mirror when ``download=True`` (or
``$NEURALAB_DOWNLOAD=1``). Debian recompressed the ``.gz`` files, so every source is
checked by the SHA-256 of the decompressed IDX data, which equals upstream's.
"""

from __future__ import annotations

import os
from pathlib import Path

from neuralab.data import idx_sets
from neuralab.data.checksums import FASHION_MNIST_IDX_SHA256
from neuralab.data.cache import SourceUnavailableError
from neuralab.data.splits import FetchInfo, Splits

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

SPEC = idx_sets.IdxDataset(
    name="fashion-mnist",
    title="Fashion-MNIST",
    sha256=FASHION_MNIST_IDX_SHA256,
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    n_val=5_000,
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    dir_env="NEURALAB_FASHION_MNIST_DIR",
)


def obtain(source_dir: str | os.PathLike | None = None, download: bool | None = None) -> tuple[dict[str, bytes], str]:
    """The verified IDX bytes of Fashion-MNIST and a description of where they came from."""
    folder = source_dir or os.environ.get(SPEC.dir_env)
    if folder:  # an explicit folder is the only place looked at
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(f"Fashion-MNIST source folder {folder} does not exist")
        files = idx_sets.read_folder(SPEC, folder)
        if files is None:
            raise FileNotFoundError(f"{folder}: no Fashion-MNIST IDX files (expected train-images-idx3-ubyte[.gz], "
                                    "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])")
        return files, f"IDX files in {folder}"
    files = idx_sets.read_folder(SPEC, DEBIAN_DIR) if DEBIAN_DIR.is_dir() else None
    if files is not None:
        return files, f"Debian package dataset-fashion-mnist ({DEBIAN_DIR})"
    reason = f"{DEBIAN_DIR} not found (apt-get install dataset-fashion-mnist)"
    if idx_sets.download_enabled(download):
        try:
            return idx_sets.download(SPEC), f"upstream IDX files ({SPEC.mirrors[0]})"
        except SourceUnavailableError as error:
            reason += f"; {error}"
    else:
        reason += "; upstream download not enabled (pass download=True, --download or set NEURALAB_DOWNLOAD=1)"
    raise SourceUnavailableError(f"could not obtain Fashion-MNIST: {reason}; or set {SPEC.dir_env} to a folder with the IDX files")


def fetch(source_dir: str | os.PathLike | None = None, *, download: bool | None = None,
          force: bool = False) -> FetchInfo:
    """Obtain, verify and cache Fashion-MNIST (quick when already cached)."""
    return idx_sets.fetch(SPEC, lambda: obtain(source_dir, download), force=force)


def load(*, source_dir: str | os.PathLike | None = None, download: bool | None = None,
         verify: bool = True) -> Splits:
    """Fashion-MNIST as float32 ``(N, 1, 28, 28)`` images in [0, 1] and int64 labels:
    train 55,000 / val 5,000 / test 10,000. Fetches on first use."""
    return idx_sets.load(SPEC, lambda: obtain(source_dir, download), verify=verify)
