"""Recurrent layers as fused Functions: one node per (layer, direction) for a whole sequence.

For a sequence ``x: (T, B, I)`` and hidden size H, with G gate blocks (1 for RNN, 4 for
LSTM in torch's order i, f, g, o, 3 for GRU in order r, z, n), each kernel's equations,
forward and backward through time, stand in its class docstring:

* :class:`RNNLayer` and :class:`GRULayer` keep torch's ``(B, G*H)`` layout: ONE GEMM for
  every input projection of the sequence, ``xp = x @ W_ih^T + b -> (T, B, G*H)``, then per
  step only ``h @ W_hh^T`` (see :class:`StepProduct` for how it is split into small BLAS
  calls) and the gate nonlinearities as in-place ufuncs on preallocated buffers; backward
  one reverse loop that carries ``dh`` and stores the pre-activation gradients of every
  step, then the weight gradients as GEMMs over the whole sequence.
* :class:`LSTMLayer` keeps its per-step arrays batch-last, ``(4H, B)`` and ``(H, B)``,
  so that every gate is a contiguous block of rows for the ufuncs: per step one GEMM
  (``[W_hh | W_ih | b] @ [h; x_t; 1]``, or ``W_hh @ h`` after one batched call for the input
  projections where the BLAS has a small-matrix path) and the gate ufuncs forward, six
  ufuncs and one GEMM backward, then ONE GEMM for all the weight gradients.

The GRU evaluates its sigmoids as ``0.5 * tanh(0.5 a) + 0.5`` (stable, one tanh for all
gates): the sigmoid columns of the weights are scaled by 0.5 (exact in binary floating
point), one ``tanh`` runs over the gate block, then an affine map turns the sigmoid gates
into ``0.5 u + 0.5``.  The LSTM gets every gate from one ``exp`` instead (half a ``tanh``'s
cost where NumPy has no AVX-512; see its class).  ``tests/scratch_layers/test_layers_rnn.py``
checks each fused kernel against a reference cell composed of primitive ops.
"""

from __future__ import annotations

import threading

import numpy as np

from ..function import Function
from . import _blas
from ._blas import SMALL_GEMM

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _gate_columns(hidden: int, dtype):
    """GRU's (scale, mul, add) per gate column: pre-activation scale, then act = mul * tanh(.) + add
    (r and z are sigmoids, 0.5 tanh(a / 2) + 0.5; n is a tanh)."""
    sig = [True, True, False]
    scale = np.concatenate([np.full(hidden, 0.5 if s else 1.0) for s in sig]).astype(dtype)
    add = np.concatenate([np.full(hidden, 0.5 if s else 0.0) for s in sig]).astype(dtype)
    return scale, scale, add   # mul equals scale: 0.5 for sigmoid columns, 1 for tanh ones


def activation_slopes(acts: np.ndarray, hidden: int) -> np.ndarray:
    """d(activation)/d(pre-activation) for every GRU gate column, from the activations alone.

    With ``act = m * tanh(m * pre) + add`` (m = 0.5, add = 0.5 for sigmoid columns; m = 1,
    add = 0 for tanh ones) the slope is ``m^2 - (act - add)^2``: s (1 - s) or 1 - g^2.
    """
    _, mul, add = _gate_columns(hidden, acts.dtype)
    slopes = np.subtract(acts, add)
    np.square(slopes, out=slopes)
    np.subtract(np.square(mul), slopes, out=slopes)
    return slopes


def _block_count(n: int, work_per_column: int) -> int:
    """Into how many equal parts (a power of two, each at least 16 wide) to split ``n`` so that
    each part's product, ``work_per_column * n / parts`` multiply-adds, stays under ``SMALL_GEMM``;
    1 when no such split exists, or when this BLAS has no small-matrix path to gain from it."""
    if not _blas.SPLIT_SMALL_PRODUCTS:
        return 1
    blocks = 1
    while work_per_column * (n // blocks) > SMALL_GEMM and n % (2 * blocks) == 0 and n // (2 * blocks) >= 16:
        blocks *= 2
    return blocks if work_per_column * (n // blocks) <= SMALL_GEMM else 1


class StepProduct:
    """``x @ M`` for one fixed matrix ``M (K, N)`` and many small ``x (B, K)``: the per-step GEMM.

    A recurrent step multiplies the same weight matrix by a small batch.  One BLAS call
    repacks all of M every step; split into column blocks of at least 16 whose products
    stay under ``SMALL_GEMM``, the library runs them without repacking (about 25 % faster
    per step here).  Without a useful split, ``M^T @ x^T`` is the faster call.
    """

    def __init__(self, m: np.ndarray, batch: int):
        k, n = m.shape
        blocks = _block_count(n, batch * k)
        self.blocks, self.batch, self.n = blocks, batch, n
        if blocks == 1:
            self.m_t = np.ascontiguousarray(m.T)                   # (N, K)
            self.buf = np.empty((n, batch), dtype=m.dtype)
        else:
            self.parts = np.ascontiguousarray(m.reshape(k, blocks, n // blocks).transpose(1, 0, 2))
            self.buf = np.empty((blocks, batch, n // blocks), dtype=m.dtype)
            self.out = np.empty((batch, n), dtype=m.dtype)

    def _blocks_of(self, x: np.ndarray) -> np.ndarray:
        """(blocks, B, N/blocks) products; seen as (B, N) through ``transpose(1, 0, 2)``."""
        return np.matmul(x, self.parts, out=self.buf).transpose(1, 0, 2)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``x @ M`` as a (B, N) array owned by this object (valid until the next call)."""
        if self.blocks == 1:
            np.matmul(self.m_t, x.T, out=self.buf)
            return self.buf.T
        np.copyto(self.out.reshape(self.batch, self.blocks, -1), self._blocks_of(x))
        return self.out

    def project(self, inputs: np.ndarray, w: np.ndarray, workspace: bool = False) -> np.ndarray:
        """``inputs (T, B, K') @ w (K', N)`` for the whole sequence in ONE (batched) GEMM call.

        With column blocks the result is kept blocked, ``(T, blocks, B, N/blocks)``, the
        layout :meth:`combine` adds without any transpose (and the small block products
        run faster than one big GEMM, as the per-step ones do).  ``workspace``: write into a
        reused per-thread buffer (see :func:`_workspace`), valid until the next forward.
        """
        steps, batch, k = inputs.shape
        n = w.shape[1]
        if self.blocks == 1:
            out = _workspace("projected", (steps * batch, n), w.dtype) if workspace else None
            return np.matmul(inputs.reshape(steps * batch, k), w, out=out).reshape(steps, batch, -1)
        parts = np.ascontiguousarray(w.reshape(k, self.blocks, -1).transpose(1, 0, 2))
        shape = (steps, self.blocks, batch, n // self.blocks)
        out = _workspace("projected", shape, w.dtype) if workspace else None
        return np.matmul(inputs[:, None], parts[None], out=out)

    def combine(self, x: np.ndarray, addend: np.ndarray, target: np.ndarray) -> None:
        """``target (B, N) = addend + x @ M`` with ``addend`` one step of :meth:`project`."""
        if self.blocks == 1:
            np.matmul(self.m_t, x.T, out=self.buf)
            np.add(addend, self.buf.T, out=target)
            return
        np.matmul(x, self.parts, out=self.buf)
        np.add(addend, self.buf, out=target.reshape(self.batch, self.blocks, -1).transpose(1, 0, 2))

    def write_into(self, x: np.ndarray, target: np.ndarray) -> None:
        """``target[...] = x @ M``."""
        if self.blocks == 1:
            np.matmul(x, self.m_t.T, out=target)
            return
        np.copyto(target.reshape(self.batch, self.blocks, -1), self._blocks_of(x))


_SCRATCH = threading.local()
_SCRATCH_ENTRIES = 16


def _workspace(name: str, shape: tuple, dtype) -> np.ndarray:
    """A reusable uninitialised buffer for a temporary that dies within one forward/backward call.

    Fresh multi-MB arrays cost page faults (first touch) on every training step; the
    sequence-sized temporaries (input projections, pre-activation gradients, the GEMM
    operands) are therefore kept per thread and reused while their shape matches.  Only
    arrays that are neither saved for backward nor returned may live here.
    """
    cache = getattr(_SCRATCH, "buffers", None)
    if cache is None:
        cache = _SCRATCH.buffers = {}
    key = (name, tuple(shape), np.dtype(dtype).str)
    buf = cache.get(key)
    if buf is None:
        if len(cache) >= _SCRATCH_ENTRIES:
            cache.clear()
        buf = cache[key] = np.empty(shape, dtype=dtype)
    return buf


def _with_ones(a: np.ndarray, name: str = "with_ones") -> np.ndarray:
    """``a`` with a column of ones appended on the last axis (bias through a GEMM)."""
    out = _workspace(name, a.shape[:-1] + (a.shape[-1] + 1,), a.dtype)
    out[..., :-1] = a
    out[..., -1] = 1
    return out


def _previous_states(out: np.ndarray, h0: np.ndarray, reverse: bool, into=None) -> np.ndarray:
    """``h_prev[t]``: the state each step started from, for the whole sequence."""
    prev = np.empty_like(out) if into is None else into
    if reverse:
        prev[-1] = h0
        prev[:-1] = out[1:]
    else:
        prev[0] = h0
        prev[1:] = out[:-1]
    return prev


def _input_weights(w_ih: np.ndarray, bias) -> np.ndarray:
    """``[W_ih^T ; b]  (I (+1), G*H)``: the input projection of the whole sequence in ONE GEMM,
    ``[x | 1] @ [W_ih^T ; b]`` (a ones column carries the bias)."""
    size = w_ih.shape[1]
    w_in = np.empty((size + (bias is not None), w_ih.shape[0]), dtype=w_ih.dtype)
    w_in[:size] = w_ih.T
    if bias is not None:
        w_in[size] = bias
    return w_in


def _weight_operand(x: np.ndarray, out: np.ndarray, h0: np.ndarray, reverse: bool, ones: bool) -> np.ndarray:
    """``[x | h_prev | 1]  (T, B, I + H (+1))``, one row per (t, b): the operand of the
    weight-gradient GEMMs (``dA^T @ operand`` gives ``[dW_ih | dW_hh | db]`` at once)."""
    steps, batch, size = x.shape
    hidden = out.shape[2]
    operand = _workspace("operand", (steps, batch, size + hidden + ones), x.dtype)
    operand[..., :size] = x
    if ones:
        operand[..., -1] = 1
    _previous_states(out, h0, reverse, into=operand[..., size:size + hidden])
    return operand


def _bias_grads(gb_ih, gb_hh, need_ih: bool, need_hh: bool):
    """The two bias gradients, as separate arrays (they are often the same sum)."""
    return (gb_ih if need_ih else None,
            None if not need_hh else (gb_hh.copy() if need_ih and gb_hh is gb_ih else gb_hh))


class RNNLayer(Function):
    """Elman RNN: one layer, one direction, whole sequence; returns ``(output, h_T)``.

    Inputs: ``x (T, B, I)``, ``h0 (B, H)`` or None, ``w_ih (H, I)``, ``w_hh (H, H)``,
    ``b_ih``, ``b_hh (H,)`` or None; ``mode`` "RNN_TANH" or "RNN_RELU"; ``reverse`` runs
    t = T-1 .. 0 (the backward direction of a bidirectional layer) and still writes
    ``output[t]`` in place.

    Forward, with ``phi`` = tanh (or relu)::

        a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,     h_t = phi(a_t)

    the input terms of every step in ONE GEMM up front, then per step ``h @ W_hh^T`` and
    ``phi`` in place.  Backward through time (``phi'`` read from ``h_t``: ``1 - h_t^2`` or
    ``h_t > 0``)::

        dh += dout_t,   da_t = dh * phi'(a_t),   dh = W_hh^T da_t

    then ONE GEMM for all weight gradients, ``[dW_ih | dW_hh | db] = dA^T [x | h_prev | 1]``,
    and ``dx = dA W_ih``.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        dtype = x.dtype
        if h0 is None:
            h0 = np.zeros((batch, hidden), dtype=dtype)
        bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
        w_in = _input_weights(w_ih, bias)
        inputs = _with_ones(x) if bias is not None else x
        hidden_product = StepProduct(w_hh.T, batch)                     # h -> h @ W_hh^T
        projected = hidden_product.project(inputs, w_in, workspace=True)
        pre = _workspace("rnn_pre", (steps, batch, hidden), dtype)     # a_t (not kept: phi' comes from h_t)
        out = np.empty((steps, batch, hidden), dtype=dtype)
        h = h0
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            a = pre[t]
            hidden_product.combine(h, projected[t], a)                 # a_t = projected[t] + h W_hh^T
            h = out[t]
            if mode == "RNN_TANH":
                np.tanh(a, out=h)
            else:
                np.maximum(a, 0, out=h)
        ctx.save_for_backward(x, h0, w_ih, w_hh, out)
        ctx.mode, ctx.reverse, ctx.has_b_ih, ctx.has_b_hh = mode, reverse, b_ih is not None, b_hh is not None
        return out, out[0 if reverse else -1].copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h):
        x, h0, w_ih, w_hh, out = ctx.saved
        steps, batch, hidden = out.shape
        need = ctx.needs_input_grad
        dh = grad_h.copy()
        back_product = StepProduct(w_hh, batch)                         # d -> d @ W_hh
        d_pre = _workspace("d_pre", out.shape, out.dtype)               # da_t for every step
        deriv = 1 - np.square(out) if ctx.mode == "RNN_TANH" else (out > 0).astype(out.dtype)
        for t in (range(steps) if ctx.reverse else range(steps - 1, -1, -1)):   # reverse of the forward
            dh += grad_out[t]
            np.multiply(dh, deriv[t], out=d_pre[t])
            back_product.write_into(d_pre[t], dh)
        size = x.shape[2]
        ones = ctx.has_b_ih or ctx.has_b_hh
        operand = _weight_operand(x, out, h0, ctx.reverse, ones)
        flat = d_pre.reshape(steps * batch, -1)
        gx = np.matmul(flat, w_ih).reshape(x.shape) if need[0] else None
        grads = np.matmul(flat.T, operand.reshape(steps * batch, -1))   # (H, I + H + 1)
        gb = grads[:, -1] if ones else None
        return (gx, dh if need[1] else None, grads[:, :size] if need[2] else None,
                grads[:, size:size + hidden] if need[3] else None,
                *_bias_grads(gb, gb, ctx.has_b_ih and need[4], ctx.has_b_hh and need[5]))


class GRULayer(Function):
    """GRU: one layer, one direction, whole sequence; returns ``(output, h_T)``.

    Inputs as :class:`RNNLayer` with gate blocks ``(3H, .)`` in torch's order r, z, n.
    Forward (torch's equations)::

        r = sigma(W_ir x + b_ir + W_hr h + b_hr),   z = sigma(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

    the input terms of every step in ONE GEMM up front, per step ``h @ W_hh^T`` (kept apart:
    ``W_hn h + b_hn`` is multiplied by r) and the gate ufuncs in place; the r, z rows of the
    weights are halved so that one tanh gives both sigmoids (``sigma(a) = 0.5 tanh(a/2) + 0.5``).
    Backward through time, with ``gh_n = W_hn h + b_hn`` saved from the forward::

        dh += dout_t,   dn = dh (1 - z) (1 - n^2),   dz = dh (h - n) z (1 - z)
        dr = dn gh_n r (1 - r),   dgh = [dr, dz, dn * r],   dh = dh * z + W_hh^T dgh

    then the weight gradients as two GEMMs, ``dA_x^T [x | 1]`` and ``dA_h^T [h_prev | 1]``
    (the input and hidden projections get different gradients in the n block).
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        steps, batch, _ = x.shape
        H = w_hh.shape[1]
        dtype = x.dtype
        if h0 is None:
            h0 = np.zeros((batch, H), dtype=dtype)
        scale = _gate_columns(H, dtype)[0]
        w_hh_s = w_hh * scale[:, None]                                   # (3H, H), C-contiguous
        b_hh_s = None if b_hh is None else b_hh * scale
        w_in = _input_weights(w_ih * scale[:, None], None if b_ih is None else b_ih * scale)
        inputs = _with_ones(x) if b_ih is not None else x
        hidden_product = StepProduct(w_hh_s.T, batch)                   # h -> h @ W_hh^T
        acts = np.matmul(inputs.reshape(steps * batch, -1), w_in).reshape(steps, batch, -1)
        out = np.empty((steps, batch, H), dtype=dtype)
        ghn = np.empty_like(out)                        # W_hn h + b_hn, needed by backward
        tmp = np.empty((batch, H), dtype=dtype)
        h = h0
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            a = acts[t]
            hh = hidden_product(h)
            if b_hh_s is not None:
                hh += b_hh_s
            rz = a[:, :2 * H]
            rz += hh[:, :2 * H]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5                                   # r, z
            ghn[t] = hh[:, 2 * H:]
            n = a[:, 2 * H:]
            np.multiply(rz[:, :H], hh[:, 2 * H:], out=tmp)
            n += tmp
            np.tanh(n, out=n)                           # n
            h_new = out[t]
            np.subtract(h, n, out=h_new)
            h_new *= rz[:, H:]
            h_new += n                                  # h' = n + z * (h - n)
            h = h_new
        ctx.save_for_backward(x, h0, w_ih, w_hh, acts, out, ghn)
        ctx.reverse, ctx.has_b_ih, ctx.has_b_hh = reverse, b_ih is not None, b_hh is not None
        return out, out[0 if reverse else -1].copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h):
        x, h0, w_ih, w_hh, acts, out, ghn = ctx.saved
        steps, batch, H = out.shape
        need = ctx.needs_input_grad
        dh = grad_h.copy()
        back_product = StepProduct(w_hh, batch)                         # d -> d @ W_hh
        d_pre = _workspace("d_pre", acts.shape, acts.dtype)   # dL/d(pre-activations) of the input projections
        d_hid = _workspace("d_hid", acts.shape, acts.dtype)   # ... of the hidden projections
        size = x.shape[2]
        ones = ctx.has_b_ih or ctx.has_b_hh
        operand = _weight_operand(x, out, h0, ctx.reverse, ones)
        h_prev = operand[..., size:size + H]
        r, z, n = acts[..., :H], acts[..., H:2 * H], acts[..., 2 * H:]
        slopes = activation_slopes(acts, H)
        d_rz, d_n = slopes[..., :2 * H], slopes[..., 2 * H:]
        hp_minus_n = h_prev - n
        tmp = np.empty((batch, H), dtype=out.dtype)
        for t in (range(steps) if ctx.reverse else range(steps - 1, -1, -1)):   # reverse of the forward
            d, dg = d_pre[t], d_hid[t]
            dh += grad_out[t]
            dn = d[:, 2 * H:]
            np.subtract(dh, np.multiply(dh, z[t], out=tmp), out=dn)    # dh * (1 - z)
            dn *= d_n[t]                                       # through tanh
            np.multiply(dh, hp_minus_n[t], out=d[:, H:2 * H])  # d z
            np.multiply(dn, ghn[t], out=d[:, :H])              # d r
            d[:, :2 * H] *= d_rz[t]
            dg[:, :2 * H] = d[:, :2 * H]
            np.multiply(dn, r[t], out=dg[:, 2 * H:])           # d (W_hn h + b_hn)
            dh *= z[t]                                         # direct path h -> h'
            dh += back_product(dg)
        rows = steps * batch
        flat = d_pre.reshape(rows, -1)
        gx = np.matmul(flat, w_ih).reshape(x.shape) if need[0] else None
        with_ones = np.delete(operand, np.s_[size:size + H], axis=2).reshape(rows, -1)
        grads_i = np.matmul(flat.T, with_ones)                                   # (3H, I + 1)
        grads_h = np.matmul(d_hid.reshape(rows, -1).T, operand[..., size:].reshape(rows, -1))   # (3H, H + 1)
        gb_ih, gb_hh = (grads_i[:, -1], grads_h[:, -1]) if ones else (None, None)
        return (gx, dh if need[1] else None, grads_i[:, :size] if need[2] else None,
                grads_h[:, :H] if need[3] else None,
                *_bias_grads(gb_ih, gb_hh, ctx.has_b_ih and need[4], ctx.has_b_hh and need[5]))


class RowBlockProduct:
    """``M @ z`` for one fixed matrix ``M (N, K)`` and many narrow ``z (K, B)``: the LSTM's per-step GEMM.

    The batch-last twin of :class:`StepProduct`: there the batch is the row axis, here it
    is the column axis, so splitting ``M`` into row blocks of at most ``SMALL_GEMM`` work
    each (small products run without repacking, see ``_blas``) writes the blocks' products
    straight into consecutive rows of one contiguous ``(N, B)`` result: no copy joins them.
    """

    def __init__(self, m: np.ndarray, batch: int):
        n, k = m.shape
        self.blocks = _block_count(n, batch * k)
        self.m = m if self.blocks == 1 else m.reshape(self.blocks, n // self.blocks, k)   # a view, also of a transposed M

    def __call__(self, z: np.ndarray, out: np.ndarray) -> None:
        """``out (N, B) = M @ z``; ``out`` must be C-contiguous."""
        if self.blocks == 1:
            np.matmul(self.m, z, out=out)
        else:
            np.matmul(self.m, z, out=out.reshape(self.blocks, -1, out.shape[1]))

    def over_steps(self, z: np.ndarray, out: np.ndarray) -> None:
        """``out[s] = M @ z[s]`` for every s of ``z (T, K, B)`` in one batched call; ``out (T, N, B)`` C-contiguous."""
        if self.blocks == 1:
            np.matmul(self.m, z, out=out)
        else:
            steps, _, batch = z.shape
            np.matmul(self.m, z[:, None], out=out.reshape(steps, self.blocks, -1, batch))


class LSTMLayer(Function):
    """One LSTM layer, one direction, whole sequence, with every per-step array batch-last.

    Inputs: ``x (T, B, I)``, ``h0``, ``c0 (B, H)`` or None, ``w_ih (4H, I)``, ``w_hh (4H, H)``,
    ``b_ih``, ``b_hh (4H,)`` or None; ``reverse`` runs t = T-1 .. 0.  Returns
    ``(output (T, B, H), h_T, c_T)`` in torch's layout.

    Inside, gates are ``(4H, B)`` and states ``(H, B)`` arrays: a gate is then a block of
    whole rows, one contiguous array, and NumPy's ufuncs run up to 3x faster on it than on
    the strided ``(B, H)`` column slice of a ``(B, 4H)`` array (measured at H = 256,
    B = 32: a multiply 1.3 us against 4.7 us).  The GEMMs take this layout as it is:

    * forward, with ``u_t = [x_t; 1]  (I + 1, B)``, ``pre_t = [W_hh | W_ih | b_ih + b_hh] @ [h_{t-1}; u_t]``
      ``(4H, B)``, and which GEMMs compute it depends on the BLAS (``_blas.SPLIT_SMALL_PRODUCTS``):

      - where every call packs its operands (OpenBLAS's Haswell kernel, also run on AMD Zen),
        ONE product per step with K = H + I + 1, its operand ``z[s] = [h_{t-1}; u_t]`` laid out
        in advance (the step writes ``h_t`` into the top of ``z[s + 1]``).  Against the input
        projections of all steps in one batched call plus ``W_hh @ h`` per step, it saves
        the projection's 64 packings of ``W_ih`` and one add per step: the layer's forward and
        backward took 0.98 of the time at 1 thread (AMD EPYC Zen 3, same process, alternating);
      - with a small-matrix path (the AVX-512 kernels), that folded step took 211 us against
        121 us for ``W_hh @ h`` alone (its operand no longer fits the L1 cache; Intel Xeon,
        H = 256, I = 128, B = 32), so there ``U @ u_t`` runs for all t first, in one batched
        call, and per step only ``W_hh @ h_{t-1} + (U @ u_t)``.
    * backward, per step ``dh_{t-1} = W_hh^T @ dpre_t``, with ``dpre_t`` written straight into
      ``d_steps[t]``, a contiguous ``(4H, B)`` block of a ``(T, 4H, B)`` array; after the loop ONE
      copy regroups it as ``D (4H, T*B)`` (column block t: time t), and ONE GEMM,
      ``D @ [h_prev | x | 1]`` (a row per (t, b)), gives ``[dW_hh | dW_ih | db]``, ``D^T @ W_ih``
      the input gradient.  Copying each ``dpre_t`` into its column block inside the loop
      cost 4.5 ms of a 28 ms backward there (scattered writes that also evict the next
      step's operands), the one copy after it 1.7 ms; ufuncs writing into the column block
      directly were slower still.

    Every gate comes from ONE ``exp`` over the whole block: with the sigmoid rows of ``W``
    negated and the g rows doubled beforehand (both exact in binary floating point),
    ``e = 1 + exp(pre)`` gives ``sigma(a) = 1 / e`` and ``tanh(a) = 1 - 2 / e`` (one divide,
    ``numerators / e`` with -2 on g's rows and 1 elsewhere, then ``+= 1`` on g's rows);
    ``tanh(c_t)`` is ``1 - 2 / (1 + exp(2 c_t))``.
    NumPy's ``exp`` costs half its ``tanh`` (float32, 32k elements, AMD EPYC Zen 3: 1.3
    against 3.0 ns an element; a divide 0.2 ns), and the LSTM step of bench/scratch_layers.py
    went 1.04-1.06 -> 1.00-1.01 of torch's time there (three rounds each, alternating trees).
    ``exp`` overflows to inf (or underflows to 0) only where a gate is saturated, and 1 / inf = 0
    (or 1 / 1) is then the exact value.
    The price: near 0, ``1 - 2 / e`` has an absolute error of about one float unit of 1, not
    a relative one (the float32 parity error of the layer went 5.7e-7 -> 6.9e-7).

    ``D`` keeps torch's order (i, f, g, o), so the weight gradients need no reordering.

    Backward through time, with ``c_t = f c_{t-1} + i g`` and ``h_t = o tanh(c_t)``::

        dc   += dh * o (1 - tanh(c_t)^2)
        dpre  = [dc * g i(1-i),  dc * c_{t-1} f(1-f),  dc * i (1-g^2),  dh * tanh(c_t) o(1-o)]
        dc    = dc * f,   dh = W_hh^T dpre

    The factors that multiply ``dc`` and ``dh`` depend only on forward values, so the
    forward stores them (``factors[s]`` for the s-th step processed, 6 x (H, B): the four
    gate factors in torch's order, ``o (1 - tanh(c_t)^2)`` and ``f``); each backward step is
    then six ufuncs and one GEMM.  (Computing the factors after the loop, for all steps at
    once from saved gates, measured slower: 22 against 20 ms forward.)  The step's gates
    are computed inside its own record, in slots 2-5 in the internal order (g, o, i, f),
    and each factor is then written over a gate that is no longer needed (``i (1 - g^2)``
    over g, ``tanh(c_t) o (1 - o)`` over o, ``o (1 - tanh(c_t)^2)`` over i), so that f is
    already in place: no gate buffer and no copy (with the Python-number operands replaced
    by 0-d arrays, the layer's time went 0.98 -> 0.95 of the tree before the fold, same
    measurement as above; at 2 threads fold and record together gave 0.75).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        steps, batch, size = x.shape
        H = w_hh.shape[1]
        dtype = x.dtype
        bias = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
        width = size + (bias is not None)                       # rows of u_t = [x_t; 1]
        # [W_hh | W_ih | b] with its rows in internal gate order (g, o, i, f), sigmoid rows negated, g rows doubled
        w = np.empty((4 * H, H + width), dtype=dtype)
        for dst, src in enumerate((2, 3, 0, 1)):
            rows, block = slice(dst * H, (dst + 1) * H), slice(src * H, (src + 1) * H)
            w[rows, :H] = w_hh[block]
            w[rows, H:H + size] = w_ih[block]
            if bias is not None:
                w[rows, -1] = bias[block]
        w[:H] *= 2
        w[H:] *= -1
        # z[s] = [h_{t-1}; u_t], u_t = [x_t; 1], for the s-th step processed (t = s, or T-1-s in reverse);
        # step s writes h_t into z[s + 1]
        fold = not _blas.SPLIT_SMALL_PRODUCTS                  # see the class docstring
        z = _workspace("lstm_z", (steps + 1, H + width if fold else H, batch), dtype)
        hs = z[:, :H]
        hs[0] = 0 if h0 is None else h0.T
        u = z[:steps, H:] if fold else _workspace("lstm_u", (steps, width, batch), dtype)
        u[:, :size] = (x[::-1] if reverse else x).transpose(0, 2, 1)
        if bias is not None:
            u[:, -1] = 1
        if fold:
            product = RowBlockProduct(w, batch)
        else:  # the input part of every step at once: projected[s] = [W_ih | b] @ u_t
            projected = _workspace("lstm_projected", (steps, 4 * H, batch), dtype)
            RowBlockProduct(np.ascontiguousarray(w[:, H:]), batch).over_steps(u, projected)
            product = RowBlockProduct(np.ascontiguousarray(w[:, :H]), batch)
        # record s: the 6 (H, B) factors of step s for the backward (see the class docstring); its gates
        # (g, o, i, f) are computed in slots 2-5 and each factor is written over a gate no longer needed
        factors = np.empty((steps, 6, H, batch), dtype=dtype)
        gates = factors[:, 2:].reshape(steps, 4 * H, batch)
        numerators = np.ones((4 * H, batch), dtype=dtype)      # -2 / e on g's rows, 1 / e on the sigmoid rows
        numerators[:H] = -2
        one, minus_two = np.ones((), dtype), np.full((), -2, dtype)   # 0-d arrays: cheaper per call than Python numbers
        c = np.zeros((H, batch), dtype=dtype) if c0 is None else c0.T.copy()
        c_next = np.empty_like(c)
        igfc = np.empty((2, H, batch), dtype=dtype)             # [i g, f c_{t-1}]: one block, as [i, f] is
        ig, fc = igfc
        tc = np.empty_like(c)
        with np.errstate(over="ignore", under="ignore"):        # exp(saturated gate) = inf or 0: see above
            for s in range(steps):
                step_gates, g, o, i, f = gates[s], factors[s, 2], factors[s, 3], factors[s, 4], factors[s, 5]
                product(z[s], step_gates)
                if not fold:
                    step_gates += projected[s]                  # [2 a_g, -a_o, -a_i, -a_f]
                np.exp(step_gates, out=step_gates)
                step_gates += one
                np.divide(numerators, step_gates, out=step_gates)   # g: -2 / (1 + exp(2a)); o, i, f = 1 / (1 + exp(-a))
                g += one                                        # g = tanh(a)
                np.multiply(i, g, out=ig)
                np.multiply(f, c, out=fc)
                np.add(fc, ig, out=c_next)                      # c_t = f c_{t-1} + i g
                np.add(c_next, c_next, out=tc)
                np.exp(tc, out=tc)
                tc += one
                np.divide(minus_two, tc, out=tc)
                tc += one                                       # tanh(c_t) = 1 - 2 / (1 + exp(2 c_t))
                h = hs[s + 1]
                np.multiply(o, tc, out=h)
                p_if = factors[s, :2]
                np.multiply(igfc, factors[s, 4:], out=p_if)
                np.subtract(igfc, p_if, out=p_if)               # g i (1 - i), c_{t-1} f (1 - f)
                np.multiply(ig, g, out=g)
                np.subtract(i, g, out=g)                        # over g: i (1 - g^2)
                np.multiply(h, tc, out=i)
                np.subtract(o, i, out=i)                        # over i: o (1 - tanh(c_t)^2)
                np.multiply(h, o, out=o)
                np.subtract(h, o, out=o)                        # over o: tanh(c_t) o (1 - o); f stays
                c, c_next = c_next, c
        out = (hs[:0:-1] if reverse else hs[1:]).transpose(0, 2, 1).copy()   # a copy even where B = 1: hs is reused
        ctx.save_for_backward(x, h0, out, factors, w_ih, w_hh)
        ctx.reverse, ctx.has_b_ih, ctx.has_b_hh = reverse, b_ih is not None, b_hh is not None
        return out, out[0 if reverse else -1].copy(), c.T.copy()

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c):
        x, h0, out, factors, w_ih, w_hh = ctx.saved
        reverse, has_b_ih, has_b_hh = ctx.reverse, ctx.has_b_ih, ctx.has_b_hh
        steps, _, H, batch = factors.shape
        size = x.shape[2]
        need = ctx.needs_input_grad
        back_product = RowBlockProduct(w_hh.T, batch)          # dpre -> W_hh^T dpre
        d_steps = _workspace("lstm_dpre_steps", (steps, 4 * H, batch), x.dtype)   # d_steps[t]: dpre of time t
        d_ifg, d_o = d_steps[:, :3 * H].reshape(steps, 3, H, batch), d_steps[:, 3 * H:]
        p_ifg, p_o, q, f = factors[:, :3], factors[:, 3], factors[:, 4], factors[:, 5]
        dh = grad_h.T.copy()                                    # (H, B), owned: updated in place
        dc = grad_c.T.copy()
        tmp = np.empty_like(dh)
        for s in range(steps - 1, -1, -1):
            t = steps - 1 - s if reverse else s
            dh += grad_out[t].T
            np.multiply(dh, p_o[s], out=d_o[t])                                # d o
            np.multiply(dh, q[s], out=tmp)
            dc += tmp                                                          # through h = o tanh(c)
            np.multiply(dc, p_ifg[s], out=d_ifg[t])                            # d i, d f, d g
            dc *= f[s]                                                         # dc_{t-1}
            back_product(d_steps[t], dh)                                       # dh_{t-1}
        d_all = _workspace("lstm_dpre", (4 * H, steps * batch), x.dtype)   # column block t: dpre of time t
        np.copyto(d_all.reshape(4 * H, steps, batch), d_steps.transpose(1, 0, 2))
        # the weight gradients sum over time and batch: ONE GEMM with [h_prev | x | 1], one row per (t, b)
        ones = has_b_ih or has_b_hh
        operand = _workspace("lstm_operand", (steps, batch, H + size + ones), x.dtype)
        h_first = np.zeros((batch, H), dtype=x.dtype) if h0 is None else h0
        _previous_states(out, h_first, reverse, into=operand[..., :H])
        operand[..., H:H + size] = x
        if ones:
            operand[..., -1] = 1
        grads = np.matmul(d_all, operand.reshape(steps * batch, -1))   # (4H, H + I + 1): [dW_hh | dW_ih | db]
        gx = np.matmul(d_all.T, w_ih).reshape(x.shape) if need[0] else None
        gb = grads[:, -1] if ones else None
        return (gx, dh.T.copy() if need[1] else None, dc.T.copy() if need[2] else None,
                grads[:, H:H + size] if need[3] else None, grads[:, :H] if need[4] else None,
                gb if has_b_ih and need[5] else None,
                (gb.copy() if has_b_ih else gb) if has_b_hh and need[6] else None)


def recurrent_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode: str, reverse: bool = False):
    """Run one recurrent layer in one direction over ``x (T, B, I)``: :class:`LSTMLayer`
    (``c0`` its initial cell state), :class:`GRULayer` or :class:`RNNLayer` by ``mode``."""
    if mode == "LSTM":
        return LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=bool(reverse))
    if mode == "GRU":
        return GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=bool(reverse))
    return RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, mode=mode, reverse=bool(reverse))
