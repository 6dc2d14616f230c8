"""train/allocator.py: inside a fit, a step's fresh buffers reuse freed pages; after it, the pages go back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
                                reason="glibc only")

# A step's pattern: four 4 MiB activations alive at once, then all freed, every page touched.
# glibc's dynamic thresholds (mmap: the largest block freed, 4 MiB; trim: twice that) hand the
# 16 MiB freed at the heap's top back each step. Prints the page faults of 50 steps before, inside
# and after steps_reuse_memory, the heap's free memory inside (MiB) and its free top on leaving.
PROBE = textwrap.dedent("""
    import ctypes, resource
    import numpy as np
    from neuralab.train.allocator import steps_reuse_memory
    step = lambda: [np.ones(1 << 20, dtype=np.float32) for _ in range(4)]
    def faults_of_50_steps():
        step()                                                # the first step faults in any case: not counted
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(50):
            step()
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
    mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    mallinfo2.restype = Mallinfo2
    before = faults_of_50_steps()
    with steps_reuse_memory():
        inside = faults_of_50_steps()
        free_inside = mallinfo2().fordblks >> 20
    top_after = mallinfo2().keepcost >> 20
    after = faults_of_50_steps()
    print(before, inside, after, free_inside, top_after)
""")


def _probe(**env) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | env
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return [int(n) for n in out.stdout.split()]


def test_steps_inside_the_block_fault_in_no_pages_and_the_pages_go_back_after_it():
    before, inside, after, free_inside, top_after = _probe()
    assert before > 50 * 1000, before        # about 4,096 pages a step when glibc hands the 16 MiB back
    assert inside < 100, inside              # reused
    assert free_inside >= 16, free_inside    # the step's 16 MiB stay mapped between steps
    assert top_after < 1, top_after          # on leaving, malloc_trim returned the free top of the heap
    # and the process is not left trimming at every large free (a fixed mmap threshold with
    # glibc's 128 KiB trim threshold faulted 4,000 pages a step here, 11x slower)
    assert after < 100, after


def test_thresholds_the_user_set_in_the_environment_are_left_alone():
    before, inside, after, *_ = _probe(MALLOC_TRIM_THRESHOLD_="0", MALLOC_MMAP_THRESHOLD_="131072")
    assert min(before, inside, after) > 50 * 1000, (before, inside, after)   # every block unmapped, as the user chose
