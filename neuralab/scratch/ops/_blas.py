"""How the layer ops size their BLAS calls.

OpenBLAS multiplies small matrices without first repacking them into its blocked
layout; above a size (M*N*K around 2^19, measured with OpenBLAS 0.3 on SkylakeX) every
call packs its operands, and with more than one BLAS thread each call also pays a thread
handoff.  So a loop of many products (one per time step, one per sample) is fast while
each product stays small, and one big GEMM is the better shape otherwise.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

SMALL_GEMM = 1 << 19

# OpenBLAS kernels with the small-matrix path (the AVX-512 ones).  Others (Haswell, Zen,
# which runs the Haswell kernel) pack every call, so splitting one product into many small
# ones only adds calls: on a Zen 3 the LSTM step of bench/scratch_layers.py took 80.4 ms
# split against 61.1 ms whole (torch 76.6 ms), CPU time, alternating, median of 12.
_SMALL_PATH_KERNELS = {"skylakex", "cooperlake", "sapphirerapids"}


def openblas_kernel() -> str | None:
    """The kernel NumPy's bundled OpenBLAS runs here (``openblas_get_corename``, lower case),
    or None when NumPy uses another BLAS or the library cannot be asked."""
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(folder, "*openblas*.so*")):
        try:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: this returns the same library
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode(errors="replace").strip().lower()
    return None


# Whether splitting a per-step product into small blocks pays (the recurrent layers' GEMMs)
SPLIT_SMALL_PRODUCTS = openblas_kernel() in _SMALL_PATH_KERNELS


def is_small(m: int, n: int, k: int) -> bool:
    """Whether an (m x k) @ (k x n) product is small enough to run without repacking."""
    return m * n * k <= SMALL_GEMM
