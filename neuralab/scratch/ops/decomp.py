"""Matrix functions and decompositions behind ``torch.linalg``: inv, solve, det, slogdet,
svd / svdvals, qr, eigh / eigvalsh — forward with NumPy's LAPACK, backward written out.

All take batches ``(*, m, n)``.  Notation in the backward rules: ``X^T`` swaps the last two
axes, ``g*`` is the gradient of the loss w.r.t. output ``*``.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, sum_to


def mT(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _type_name(dtype) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float16": "Half"}.get(np.dtype(dtype).name, np.dtype(dtype).name)


def check_square(name: str, a: np.ndarray, square: bool = True) -> None:
    """torch's argument checks: at least 2-D, floating, square batches."""
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if a.dtype.kind != "f" or a.dtype == np.float16:
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. "
                           f"Got {_type_name(a.dtype)}")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: the input matrix is singular or not positive definite."""


def _singular(name: str, a: np.ndarray):
    """torch's message naming the first zero pivot of the LU factorisation."""
    lu = a.reshape(-1, a.shape[-1], a.shape[-1])[0].astype(np.float64).copy()
    n = lu.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(lu[k:, k])))
        if lu[p, k] == 0:
            return LinAlgError(f"linalg.{name}: The diagonal element {k + 1} is zero, the inversion could not be "
                               "completed because the input matrix is singular.")
        lu[[k, p]] = lu[[p, k]]
        lu[k + 1:, k:] -= np.outer(lu[k + 1:, k] / lu[k, k], lu[k, k:])
    return LinAlgError(f"linalg.{name}: the input matrix is singular.")


class Inv(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular("inv", a) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        """Y = A^-1: gA = -Y^T gY Y^T."""
        (y,) = ctx.saved
        yt = mT(y)
        return -(yt @ grad @ yt)


class Solve(Function):
    @staticmethod
    def forward(ctx, a, b, vector):
        bb = b[..., None] if vector else b
        try:
            x = np.linalg.solve(a, bb)
        except np.linalg.LinAlgError:
            raise _singular("solve", a) from None
        ctx.save_for_backward(a, x)
        ctx.vector, ctx.b_shape = vector, b.shape
        return x[..., 0] if vector else x

    @staticmethod
    def backward(ctx, grad):
        """AX = B: gB = A^-T gX, gA = -gB X^T (batch dims un-broadcast)."""
        a, x = ctx.saved
        g = grad[..., None] if ctx.vector else grad
        gb = np.linalg.solve(mT(a), g)
        ga = sum_to(-(gb @ mT(x)), a.shape) if ctx.needs_input_grad[0] else None
        gb = gb[..., 0] if ctx.vector else gb
        return ga, sum_to(gb, ctx.b_shape) if ctx.needs_input_grad[1] else None, None


class Det(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a)
        ctx.save_for_backward(a, out)
        return np.asarray(out, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        """d det(A) = det(A) tr(A^-1 dA): gA = g det(A) A^-T (adjugate via SVD where A is singular)."""
        a, det = ctx.saved
        scale = (grad * det)[..., None, None]
        singular = det == 0
        if not np.any(singular):
            return scale * mT(np.linalg.inv(a))
        # adj(A)^T = det(A) A^-T in general; through A = U S V^T: adj(A)^T = U (prod_{j!=i} s_j) V^T det(U V^T)
        u, s, vh = np.linalg.svd(a)
        n = s.shape[-1]
        others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1)
        sign = np.linalg.det(u) * np.linalg.det(vh)
        cof = (u * others[..., None, :]) @ vh * sign[..., None, None]
        return grad[..., None, None] * cof


class SlogDet(Function):
    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return np.asarray(sign, dtype=a.dtype), np.asarray(logabs, dtype=a.dtype)

    @staticmethod
    def backward(ctx, gsign, glog):
        """log|det A| has gradient A^-T; the sign is piecewise constant."""
        (a,) = ctx.saved
        return glog[..., None, None] * mT(np.linalg.inv(a))


def _svd_core(u, s, vh, gu, gs, gvh):
    """Gradient of the thin SVD A = U diag(S) V^T (m x n, k = min(m, n)).

    With skew(X) = X - X^T and E_ij = s_j^2 - s_i^2 (E_ii = 1):
      G = (skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)          (k x k)
      gA = U G V^T + (I - U U^T) gU S^-1 V^T   (m > n)
      gA = U G V^T + U S^-1 gV^T (I - V V^T)   (m < n)
    """
    m, n = u.shape[-2], vh.shape[-1]
    v, gv = mT(vh), mT(gvh)
    s2 = s * s
    e = s2[..., None, :] - s2[..., :, None]
    k = s.shape[-1]
    e[..., np.arange(k), np.arange(k)] = 1
    uhgu = mT(u) @ gu
    vhgv = mT(v) @ gv
    g = ((uhgu - mT(uhgu)) * s[..., None, :] + s[..., :, None] * (vhgv - mT(vhgv))) / e
    g[..., np.arange(k), np.arange(k)] = gs
    if m > n:
        gus = gu / s[..., None, :]
        return (u @ g + gus - u @ (mT(u) @ gus)) @ vh
    if m < n:
        gvs = mT(gv / s[..., None, :])
        return u @ (g @ vh + gvs - (gvs @ v) @ vh)
    return u @ g @ vh


class Svd(Function):
    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        ctx.full = full_matrices and a.shape[-1] != a.shape[-2]
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved
        if ctx.full:  # as torch: only the first k columns of U / rows of Vh carry gradient
            k = s.shape[-1]
            u, gu, vh, gvh = u[..., :k], gu[..., :k], vh[..., :k, :], gvh[..., :k, :]
        return _svd_core(u, s, vh, gu, gs, gvh), None


class SvdVals(Function):
    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, gs):
        """dS_i = u_i^T dA v_i: gA = U diag(gS) V^T."""
        u, vh = ctx.saved
        return (u * gs[..., None, :]) @ vh


def _copyltu(m: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose lower triangle (diagonal included) is that of ``m``."""
    low = np.tril(m, -1)
    return low + mT(low) + np.tril(np.triu(m))


def _qr_tall_backward(q, r, gq, gr):
    """A = QR with m >= n (Q m x n, R n x n upper):
    M = R gR^T - gQ^T Q;  gA = (gQ + Q copyltu(M)) R^-T."""
    mm = r @ mT(gr) - mT(gq) @ q
    rhs = gq + q @ _copyltu(mm)
    # X R^T = rhs  <=>  R X^T = rhs^T (R upper triangular)
    return mT(np.linalg.solve(r, mT(rhs)))


class Qr(Function):
    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        if mode == "r":
            return np.zeros(a.shape[:-2] + (0,), dtype=a.dtype), r
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_tall_backward(q, r, gq, gr), None
        # A = [X | Y] with X (m x m): X = Q U, Y = Q V;  R = [U | V]
        u, gu, gv = r[..., :m], gr[..., :m], gr[..., m:]
        y = q @ r[..., m:]
        gx = _qr_tall_backward(q, u, gq + y @ mT(gv), gu)
        return np.concatenate([gx, q @ gv], axis=-1), None


def _eigh(a: np.ndarray, uplo: str):
    try:
        return np.linalg.eigh(a, UPLO=uplo)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.eigh: The algorithm failed to converge because the input matrix is "
                          "ill-conditioned or has too many repeated eigenvalues.") from None


class Eigh(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _eigh(a, uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        """A = V diag(w) V^T: gA = V (diag(gw) + skew_half(V^T gV) / E) V^T, E_ij = w_j - w_i."""
        w, v = ctx.saved
        vhgv = mT(v) @ gv
        vhgv = 0.5 * (vhgv - mT(vhgv))
        e = w[..., None, :] - w[..., :, None]
        k = w.shape[-1]
        e[..., np.arange(k), np.arange(k)] = np.inf
        g = vhgv / e
        g[..., np.arange(k), np.arange(k)] = gw
        return v @ g @ mT(v), None


class EigvalsH(Function):
    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _eigh(a, uplo)
        ctx.save_for_backward(v)
        return w

    @staticmethod
    def backward(ctx, gw):
        """dw_i = v_i^T dA v_i: gA = V diag(gw) V^T."""
        (v,) = ctx.saved
        return (v * gw[..., None, :]) @ mT(v), None



class Cholesky(Function):
    @staticmethod
    def forward(ctx, a, upper):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(a) from None
        ctx.save_for_backward(low)
        ctx.upper = upper
        return mT(low) if upper else low

    @staticmethod
    def backward(ctx, grad):
        """A = L L^T: with Phi(X) = tril(X) with its diagonal halved,
        S = L^-T Phi(L^T gL) L^-1 and gA = (S + S^T) / 2."""
        (low,) = ctx.saved
        g = mT(grad) if ctx.upper else grad
        phi = np.tril(mT(low) @ g)
        k = phi.shape[-1]
        phi[..., np.arange(k), np.arange(k)] *= 0.5
        inner = np.linalg.solve(mT(low), phi)                 # L^-T Phi
        s = mT(np.linalg.solve(mT(low), mT(inner)))          # (L^-T Phi) L^-1, from S L = inner
        return 0.5 * (s + mT(s)), None


def _not_positive_definite(a: np.ndarray) -> LinAlgError:
    first = a.reshape(-1, a.shape[-1], a.shape[-1])[0].astype(np.float64)
    order = next((k for k in range(1, len(first) + 1) if np.linalg.det(first[:k, :k]) <= 0), len(first))
    return LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                       f"positive-definite (the leading minor of order {order} is not positive-definite).")
