"""How the layer ops size their BLAS calls.

OpenBLAS multiplies small matrices without first repacking them into its blocked
layout; above a size (M*N*K around 2^19, measured with OpenBLAS 0.3 on SkylakeX) every
call packs its operands, and with more than one BLAS thread each call also pays a thread
handoff.  So a loop of many products (one per time step, one per sample) is fast while
each product stays small, and one big GEMM is the better shape otherwise.
"""

from __future__ import annotations

SMALL_GEMM = 1 << 19


def is_small(m: int, n: int, k: int) -> bool:
    """Whether an (m x k) @ (k x n) product is small enough to run without repacking."""
    return m * n * k <= SMALL_GEMM
