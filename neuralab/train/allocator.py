"""While a model trains, keep freed memory in the process for the next step instead of handing it back.

glibc's malloc serves a request above its mmap threshold (128 KiB at start, raised on the
fly) with a fresh ``mmap`` and unmaps it again on ``free``; it also trims the top of the
heap once more than twice that lies free there.  A training step allocates and frees the
same large activations every step, so each step faults in, and the kernel zeroes, the same
pages again.  Measured on a 2-core AMD EPYC (Zen 3), torch, the time-to-accuracy CNN
(channels (16, 32), batch 128, channels_last, 2 threads): 3,900-6,800 page faults and
23-29 ms a step by default; 0 faults and 15-18 ms with the thresholds below.

Inside :func:`steps_reuse_memory` blocks up to 32 MiB (glibc's upper bound for the mmap
threshold) come from the heap, and up to 512 MiB of free memory at its top stays mapped.
On leaving, the trim threshold drops to 64 MiB and ``malloc_trim`` returns every free page,
so what runs after training (the test evaluation, the FID's feature net, figures)
starts from the memory still in use: kept for the whole process, the training's freed
pages raised the peak of a ``mnist-vae`` run to 1,466 MiB, against 1,092 MiB when they go
back at the end of the epochs (``bench/memory.py``, the same Zen 3).  Thresholds the
user set through glibc's environment variables (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``) are left as they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import Iterator

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 512 << 20
# after the epochs: what glibc's own rule sets once a block of MMAP_THRESHOLD has been freed (twice
# the mmap threshold). Its default, 128 KiB, is no state to leave behind: a fixed mmap threshold
# switches glibc's adaptation off, and every large free would then trim the heap (measured: 200
# allocations of 8 + 4 MiB faulted 199,200 pages and took 623 ms, against 0 and 56 ms by default)
TRIM_THRESHOLD_AFTER = 2 * MMAP_THRESHOLD

_depth = 0   # fits running now (nested, or in threads): the first sets the thresholds, the last restores them
_lock = threading.Lock()


@contextlib.contextmanager
def steps_reuse_memory() -> Iterator[None]:
    """Within the block, freed memory stays mapped for the next step (glibc only; elsewhere,
    and where the user set the thresholds, nothing changes)."""
    global _depth
    libc = _glibc()
    with _lock:
        outermost = libc is not None and _depth == 0
        if outermost:
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if libc is not None and _depth == 0:   # the last fit to end (fits may run in two threads)
                libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_AFTER)
                libc.malloc_trim(0)


def _glibc():
    """glibc's C library when its thresholds are ours to set, else None."""
    if not sys.platform.startswith("linux") or any(
            name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim   # noqa: B018 (musl and others lack them)
    except (OSError, AttributeError):
        return None
    return libc
