"""Single-threaded numpy BLAS for generation: batch-1 steps are latency-bound, not compute-bound."""
from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def single_thread_blas() -> bool:
    """Limit the BLAS libraries loaded in this process to one thread (once); True if one was found and limited.

    A gemv of one row gains little from a second thread, and when the other cores are busy (a trainer in
    the same process, other jobs) BLAS workers wait for CPU time and each step gets ~10x slower (measured
    on a 2-core machine). threadpoolctl finds OpenBLAS, MKL and BLIS on Linux, macOS and Windows. An
    explicit OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS is respected.
    """
    if any(name in os.environ for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")):
        return False
    import numpy  # noqa: F401  (threadpoolctl only sees libraries already loaded: numpy's BLAS)
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    if not blas:
        return False
    blas.limit(limits=1)  # applied now and kept: the limiter is not used as a context manager
    return True
