"""Single-threaded numpy BLAS for generation: batch-1 steps are latency-bound, not compute-bound."""
from __future__ import annotations

import ctypes
import os
from functools import lru_cache

# OpenBLAS builds name the setter differently (64-bit ints, the scipy-openblas prefix numpy wheels use).
_SETTERS = ("openblas_set_num_threads", "openblas_set_num_threads64_", "scipy_openblas_set_num_threads64_",
            "scipy_openblas_set_num_threads")


@lru_cache(maxsize=1)
def single_thread_blas() -> bool:
    """Limit the process's OpenBLAS to one thread (once); True if a library was found and limited.

    A gemv of one row gains little from a second thread, and when the other cores are busy (a trainer in
    the same process, other jobs) OpenBLAS workers wait for CPU time and each step gets ~10x slower
    (measured on a 2-core machine). An explicit OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is respected.
    """
    if "OPENBLAS_NUM_THREADS" in os.environ or "OMP_NUM_THREADS" in os.environ:
        return False
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            libs = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
    except OSError:  # not Linux: leave the defaults
        return False
    done = False
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(1)
                done = True
                break
    return done
