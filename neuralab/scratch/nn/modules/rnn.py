"""Recurrent layers: RNN (tanh / relu), LSTM, GRU and their single-step cells.

Parameters follow torch exactly: per layer ``k`` and direction (suffix ``_reverse`` for
the backward one) ``weight_ih_l{k}: (G*H, I_k)``, ``weight_hh_l{k}: (G*H, H)``,
``bias_ih_l{k}``, ``bias_hh_l{k}: (G*H,)`` with gate blocks LSTM (i, f, g, o), GRU
(r, z, n); all initialized ``U(-1/sqrt(H), 1/sqrt(H))``.  Each (layer, direction) runs as
one fused node over the whole sequence: :class:`~neuralab.scratch.ops.rnn.LSTMLayer`,
:class:`~neuralab.scratch.ops.rnn.GRULayer` or :class:`~neuralab.scratch.ops.rnn.RNNLayer`.

Shapes (``batch_first=False``): input ``(T, B, I)`` (or unbatched ``(T, I)``), h0/c0
``(num_layers * D, B, H)``; returns ``(output (T, B, D*H), h_n)`` and, for LSTM,
``(output, (h_n, c_n))``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ...creation import empty
from ...errors import not_in_subset
from ...ops.rnn import GATES, recurrent_layer
from ...ops.indexing import index_select
from ...ops.shape import cat, stack
from ...tensor import _wrap
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pack_rows, pad_packed_sequence


class RNNBase(Module):
    """Shared parameters, checks and layer loop of RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be a positive integer" if isinstance(hidden_size, int)
                             else f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than or equal to 1")
        if proj_size:
            raise not_in_subset("LSTM(proj_size > 0)")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, dtype=dtype)))
                self._flat_weights_names.extend(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """Per (layer, direction): [w_ih, w_hh, b_ih, b_hh] (torch's ``all_weights``)."""
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self) -> None:
        """No-op (torch packs cuDNN weights here)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------ forward
    def _check(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")
        if input.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(f"input must have the type {self.weight_ih_l0.dtype}, got type {input.dtype}")

    def _run(self, input, hx, cx):
        """Shared driver: returns (output, h_n, c_n or None) in torch's layout."""
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx, cx)
        self._check(input)
        batched = input.dim() == 3
        directions = 2 if self.bidirectional else 1
        if not batched:
            input = input.unsqueeze(1)
            hx = None if hx is None else hx.unsqueeze(1)
            cx = None if cx is None else cx.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        batch = input.shape[1]
        expected = (self.num_layers * directions, batch, self.hidden_size)
        for state, label in ((hx, "hidden"), (cx, "cell")):
            if state is not None and tuple(state.shape) != expected:
                raise RuntimeError(f"Expected {label} size {expected}, got {list(state.shape)}")
        lstm = self.mode == "LSTM"
        layer_input = input
        h_last, c_last = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                suffix = "_reverse" if direction else ""
                params = [getattr(self, f"weight_ih_l{layer}{suffix}"), getattr(self, f"weight_hh_l{layer}{suffix}")]
                if self.bias:
                    params += [getattr(self, f"bias_ih_l{layer}{suffix}"), getattr(self, f"bias_hh_l{layer}{suffix}")]
                else:
                    params += [None, None]
                h0 = None if hx is None else hx[k]
                c0 = None if cx is None else cx[k]
                result = recurrent_layer(layer_input, h0, c0 if lstm else None, *params, mode=self.mode,
                                         reverse=direction == 1)
                outputs.append(result[0])
                h_last.append(result[1])
                if lstm:
                    c_last.append(result[2])
            layer_input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = stack(h_last, 0)
        c_n = stack(c_last, 0) if lstm else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n


    def _run_packed(self, packed, hx, cx):
        """A PackedSequence: each group of equal-length sequences runs over its own length
        (so h_n is the state after each sequence's last step, and the reverse direction
        starts there); the outputs are padded back, put in the caller's order and packed."""
        padded, lengths = pad_packed_sequence(packed)
        lens = lengths._data
        steps = padded.shape[0]
        outs, hs, cs, order = [], [], [], []
        for n in np.unique(lens)[::-1]:
            idx = _wrap(np.nonzero(lens == n)[0].astype(np.int64))
            sub = index_select(padded, 1, idx)[:int(n)]
            sub_h = None if hx is None else index_select(hx, 1, idx)
            sub_c = None if cx is None else index_select(cx, 1, idx)
            output, h_n, c_n = self._run(sub.transpose(0, 1) if self.batch_first else sub, sub_h, sub_c)
            output = output.transpose(0, 1) if self.batch_first else output
            outs.append(F.pad(output, (0, 0, 0, 0, 0, steps - int(n))))
            hs.append(h_n)
            cs.append(c_n)
            order.append(idx._data)
        back = _wrap(np.argsort(np.concatenate(order)).astype(np.int64))
        output = index_select(cat(outs, 1), 1, back)
        h_n = index_select(cat(hs, 1), 1, back)
        c_n = None if cs[0] is None else index_select(cat(cs, 1), 1, back)
        order = np.arange(len(lens)) if packed.sorted_indices is None else packed.sorted_indices._data
        data, _ = pack_rows(output, lens, order)
        return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices), h_n, c_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (``nonlinearity='relu'`` for ReLU)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx, None)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory; returns ``(output, (h_n, c_n))``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def forward(self, input, hx=None):
        h0, c0 = (None, None) if hx is None else hx
        output, h_n, c_n = self._run(input, h0, c0)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit; returns ``(output, h_n)``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx, None)
        return output, h_n


# ---------------------------------------------------------------- cells

class RNNCellBase(Module):
    """One time step: ``weight_ih (G*H, I)``, ``weight_hh (G*H, H)``, ``bias_ih``, ``bias_hh``."""

    def __init__(self, mode, input_size, hidden_size, bias, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = GATES[mode] * hidden_size
        self.weight_ih = Parameter(empty((gate_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((gate_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(gate_size, dtype=dtype))
            self.bias_hh = Parameter(empty(gate_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _step(self, input, hx, cx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else hx.unsqueeze(0)
            cx = None if cx is None else cx.unsqueeze(0)
        result = recurrent_layer(input.unsqueeze(0), hx, cx, self.weight_ih, self.weight_hh, self.bias_ih,
                                 self.bias_hh, mode=self.mode)
        h, c = result[1], (result[2] if self.mode == "LSTM" else None)
        if not batched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return h, c


class RNNCell(RNNCellBase):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias,
                         device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, hx, None)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        h0, c0 = (None, None) if hx is None else hx
        return self._step(input, h0, c0)


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx, None)[0]
