"""Real datasets offline, verified and cached; toy sets generated from a seed.

>>> from neuralab import data
>>> splits = data.load("mnist")                 # fetched, verified, cached on first use
>>> splits.train.x.shape, splits.train.y.dtype   # ((50000, 1, 28, 28), dtype('int64'))
>>> data.load("moons", n=1000, noise=0.2, seed=1)
>>> data.names()                                 # every dataset name

Every loader returns :class:`Splits` (``.train``, ``.val``, ``.test``, each a
:class:`Split` with ``x`` float32 and ``y`` int64, plus ``classes``, ``num_classes``,
``input_shape``, ``input_kind``, ``source``, ``sha256``). Files are cached under ``$NEURALAB_DATA``
(default ``~/.cache/neuralab``) and checked by SHA-256 on every load.
"""

from neuralab.data.cache import (
    CacheRow, NotCachedError, SourceUnavailableError, cached, data_home, dataset_dir,
)
from neuralab.data.checksums import ChecksumError
from neuralab.data.registry import UnknownDatasetError, entry, fetch, load, names
from neuralab.data.splits import FetchInfo, Split, Splits, input_kind
from neuralab.data.toy import sample_circle
from neuralab.data.transforms import flatten, one_hot, standardize

__all__ = [
    "CacheRow", "ChecksumError", "FetchInfo", "NotCachedError", "SourceUnavailableError", "Split", "Splits",
    "UnknownDatasetError", "cached", "data_home", "dataset_dir", "entry", "fetch", "flatten", "input_kind", "load",
    "names", "one_hot", "sample_circle", "standardize",
]
