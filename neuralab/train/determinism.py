"""``--deterministic``: ask torch for bit-reproducible kernels (CPU and CUDA).

The seed alone already fixes every random draw (weights, data order, dropout, noise; see
``neuralab.train.trainer``). What it cannot fix is the order in which some kernels add
floating-point numbers: on CUDA, atomics in scatter/index-add, the backward of embedding
lookups, interpolation and pooling, cuDNN's autotuned convolution algorithms and cuBLAS's
split reductions may sum in a different order from run to run. ``enable`` makes torch pick
deterministic implementations and raise ``RuntimeError`` for an operation that has none.
The scratch engine (NumPy) runs the same operations in the same order on one machine
already, so it needs nothing.
"""

from __future__ import annotations

import os


def enable() -> None:
    """``torch.use_deterministic_algorithms(True)``, cuDNN's benchmark off and deterministic on, and
    the cuBLAS workspace setting its deterministic mode needs (``CUBLAS_WORKSPACE_CONFIG=:4096:8``,
    read when CUDA starts, so this must run before the first CUDA call)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch  # noqa: PLC0415 - only the torch engine has non-deterministic kernels

    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
