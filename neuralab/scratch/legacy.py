"""PyTorch's legacy typed constructors: ``torch.FloatTensor([1, 2])``, ``torch.LongTensor(3, 4)``.

Called with data they build a tensor of their dtype from it; called with sizes, an
uninitialised one (here: zeros).  ``isinstance(x, torch.FloatTensor)`` asks for the dtype, as
in torch.
"""

from __future__ import annotations

import numpy as np

from .tensor import Size, Tensor, _check_device


class _LegacyType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.np_dtype

    def __call__(cls, *args, device=None):
        from .creation import tensor, zeros
        _check_device(device)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            data = args[0]
            if isinstance(data, Tensor):
                if data._data.dtype != cls.np_dtype:
                    raise TypeError(f"expected {cls.np_dtype.name} (got {data._data.dtype.name})")
                return data
            return tensor(data, dtype=cls.np_dtype)
        sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args
        return zeros(*sizes, dtype=cls.np_dtype)


def _legacy(name: str, np_dtype) -> type:
    return _LegacyType(name, (), {"np_dtype": np.dtype(np_dtype), "__doc__": f"torch.{name}: {np_dtype} tensors."})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
HalfTensor = _legacy("HalfTensor", np.float16)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ShortTensor = _legacy("ShortTensor", np.int16)
CharTensor = _legacy("CharTensor", np.int8)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
