"""Linear layers: ``Linear`` (y = x W^T + b) and ``Identity``."""

from __future__ import annotations

import math

from ...creation import empty
from ...ops.linalg import Linear as _LinearFn, linear as _linear
from ..module import Module
from ..parameter import Parameter
from .. import init


class Identity(Module):
    """Returns its input unchanged (extra constructor arguments are ignored, like torch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ weight.T + bias.  weight: (out_features, in_features), bias: (out_features,).

    Default init as torch: weight ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
    bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        # The (out, in) weight is stored column-major: weight.T is then a C-contiguous
        # (in, out) matrix, and x @ weight.T runs as a plain (non-transposed) GEMM, the
        # fastest case for OpenBLAS.  Values, shape and state_dict are unaffected.
        self.weight = Parameter(empty((in_features, out_features), dtype=dtype, device=device).mT)
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        w = self.weight
        if input._data.dtype is not w._data.dtype:
            return _linear(input, w, self.bias)  # raises torch's dtype error
        return _LinearFn.apply(input, w, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
