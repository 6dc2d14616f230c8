import io
import os
import pickle

import numpy as np
import pytest

from neuralab.data import safe_pickle


class _RunsShell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Evaluates:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


def test_refuses_os_system_without_running_it(tmp_path):
    sentinel = tmp_path / "pwned"
    payload = pickle.dumps(_RunsShell(f"touch {sentinel}"), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refused global (posix|os|nt)\.system"):
        safe_pickle.loads(payload)
    assert not sentinel.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_refuses_builtins_eval_with_any_protocol(protocol):
    with pytest.raises(pickle.UnpicklingError, match=r"(__builtin__|builtins)\.eval"):
        safe_pickle.loads(pickle.dumps(_Evaluates(), protocol=protocol))


def test_refuses_malicious_object_nested_in_arrays():
    payload = pickle.dumps((np.zeros(3, np.float32), [_RunsShell("true")]), protocol=4)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        safe_pickle.loads(payload)


@pytest.mark.parametrize("protocol", [3, 4])
def test_reads_numpy_arrays_in_tuples(protocol):
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 256
    y = np.array([1, 2, 3], dtype=np.int64)
    data = ((x, y), (x[:1], y[:1]), 7, "label")
    loaded = safe_pickle.load(io.BytesIO(pickle.dumps(data, protocol=protocol)))
    assert loaded[2:] == (7, "label")
    np.testing.assert_array_equal(loaded[0][0], x)
    np.testing.assert_array_equal(loaded[1][1], y[:1])
    assert loaded[0][0].dtype == np.float32 and loaded[0][1].dtype == np.int64


def test_reads_arrays_pickled_under_the_old_numpy_core_name():
    # mnist.pkl.gz names numpy.core.multiarray._reconstruct (NumPy 1.x spelling)
    payload = pickle.dumps(np.arange(5, dtype=np.int64), protocol=3)  # GLOBAL opcode, no frames
    payload = payload.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    assert b"numpy.core.multiarray" in payload
    np.testing.assert_array_equal(safe_pickle.loads(payload), np.arange(5))
