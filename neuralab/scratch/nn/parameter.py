"""``Parameter``: a leaf Tensor that a Module registers as learnable."""

from __future__ import annotations

import numpy as np

from ..function import _tensor
from ..tensor import Tensor, _format


class Parameter(Tensor):
    """A Tensor that is a module parameter (requires grad by default, shares ``data``'s storage)."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        p = _tensor(arr, cls=cls)
        if requires_grad:
            p.requires_grad = True
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + _format(self, "tensor(")
