"""The generator's BLAS pin: one thread through threadpoolctl, unless the user chose a thread count."""
import numpy  # noqa: F401
from threadpoolctl import threadpool_info, threadpool_limits

from chargen_core.generate import single_thread_blas

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_pins_numpy_blas_to_one_thread(monkeypatch):
    for name in THREAD_VARS:
        monkeypatch.delenv(name, raising=False)
    with threadpool_limits(limits=2, user_api="blas"):  # start from more than one, restore afterwards
        single_thread_blas.cache_clear()
        assert single_thread_blas() is True
        assert blas_threads() and set(blas_threads()) == {1}
    single_thread_blas.cache_clear()


def test_respects_an_explicit_thread_count(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with threadpool_limits(limits=2, user_api="blas"):
        single_thread_blas.cache_clear()
        assert single_thread_blas() is False
        assert set(blas_threads()) == {2}
    single_thread_blas.cache_clear()
