"""Thread control of the scratch engine: set_num_threads limits NumPy's BLAS via threadpoolctl."""

import pytest

import neuralab.scratch as T
from neuralab.engines import capabilities


def test_set_num_threads_limits_blas():
    pytest.importorskip("threadpoolctl")
    from threadpoolctl import threadpool_info
    if not any(info.get("user_api") == "blas" for info in threadpool_info()):
        pytest.skip("no BLAS library visible to threadpoolctl")
    before = T.get_num_threads()
    try:
        T.set_num_threads(1)
        assert T.get_num_threads() == 1
    finally:
        T.set_num_threads(before)
    assert T.get_num_threads() == before


def test_capabilities_report_thread_control():
    assert capabilities(T)["threads"] == T.thread_control_available()


def test_set_num_threads_rejects_non_positive():
    with pytest.raises(ValueError):
        T.set_num_threads(0)
