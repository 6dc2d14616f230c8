"""torch.linalg on the scratch engine against PyTorch: values and gradients in float64 and
float32 through the harness, PyTorch's argument errors.

Decompositions are unique only up to the signs of singular vectors / eigenvectors, and the
two LAPACK builds pick different signs for some inputs: outputs are compared after fixing
each vector's sign (its largest entry positive, a differentiable product with a constant
sign), and the gradients also through sign-invariant uses (reconstructions, projections).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check

DTYPES = [np.float64, np.float32]


def signs_fixed(T, u, s=None, vh=None):
    """Columns of ``u`` (and rows of ``vh``) flipped so that each column's largest |entry| is positive."""
    idx = u.detach().abs().argmax(-2, keepdim=True)
    sign = T.sign(T.gather(u.detach(), -2, idx))
    if vh is None:
        return u * sign
    return u * sign, s, vh * sign.mT


def rnd(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def well_conditioned(*shape, dtype=np.float64, seed=0):
    n = shape[-1]
    return (rnd(*shape, seed=seed) + 2 * n ** 0.5 * np.eye(n)).astype(dtype)


def spd(*shape, dtype=np.float64, seed=0):
    a = rnd(*shape, seed=seed)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("call, kw", [
    ("vector_norm", {}), ("vector_norm", {"ord": 1, "dim": 1}), ("vector_norm", {"ord": 3.5, "dim": (0, 2)}),
    ("vector_norm", {"ord": math.inf, "dim": -1, "keepdim": True}), ("vector_norm", {"ord": -math.inf}),
    ("vector_norm", {"ord": 0, "dim": 0}), ("vector_norm", {"ord": -2, "dim": 2}),
    ("matrix_norm", {}), ("matrix_norm", {"ord": "nuc"}), ("matrix_norm", {"ord": 2}),
    ("matrix_norm", {"ord": -2, "keepdim": True}), ("matrix_norm", {"ord": 1}), ("matrix_norm", {"ord": -1}),
    ("matrix_norm", {"ord": math.inf, "dim": (0, 2)}), ("matrix_norm", {"ord": -math.inf, "keepdim": True}),
    ("norm", {}), ("norm", {"dim": 1}), ("norm", {"ord": "fro", "dim": (1, 2)}), ("norm", {"ord": 2, "dim": (2, 0)}),
])
def test_norms(call, kw, dtype):
    check(lambda T, x: getattr(T.linalg, call)(x, **kw), rnd(3, 4, 5, dtype=dtype), label=f"{call}{kw}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_norm_of_vector_and_matrix_by_rank(dtype):
    check(lambda T, v: T.linalg.norm(v, 3), rnd(6, dtype=dtype))
    check(lambda T, a: T.linalg.norm(a, "nuc"), rnd(4, 3, dtype=dtype))
    check(lambda T, a: T.linalg.norm(a, -math.inf), rnd(4, 3, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_inv_det_slogdet(dtype):
    a = well_conditioned(2, 4, 4, dtype=dtype)
    check(lambda T, x: T.linalg.inv(x), a)
    check(lambda T, x: (T.linalg.det(x), T.det(x[0]), x[1].det()), a)
    check(lambda T, x: tuple(T.linalg.slogdet(-x)), a)
    check(lambda T, x: T.inverse(x[0]) @ x[1].inverse(), a)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    """torch 2.13 returns zeros here (det * A^-T with det = 0); the derivative is the cofactor matrix."""
    a = np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])  # rank 2: its cofactors are not all zero
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
                    for i in range(3)])
    x = S.tensor(a, requires_grad=True)
    d = S.linalg.det(x)
    d.backward()
    assert abs(d.item()) < 1e-12
    np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-12)
    assert np.abs(cof).max() == 4.0


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("a_shape, b_shape", [((4, 4), (4,)), ((4, 4), (4, 3)), ((2, 4, 4), (2, 4)),
                                              ((2, 1, 3, 3), (5, 3, 2)), ((3, 3), (2, 3, 1))])
def test_solve(a_shape, b_shape, dtype):
    check(lambda T, a, b: T.linalg.solve(a, b), well_conditioned(*a_shape, dtype=dtype), rnd(*b_shape, dtype=dtype, seed=1))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 5, 3)])
def test_svd(shape, dtype):
    a = rnd(*shape, dtype=dtype, seed=2)
    check(lambda T, x: signs_fixed(T, *T.linalg.svd(x, full_matrices=False)), a)
    check(lambda T, x: T.linalg.svdvals(x), a)
    k = min(shape[-2:])
    check(lambda T, x: (lambda u, s, vh: signs_fixed(T, u[..., :k], s, vh[..., :k, :]))(*T.linalg.svd(x)), a)

    def invariant(T, x):
        u, s, vh = T.linalg.svd(x, full_matrices=False)
        return (u * s.unsqueeze(-2)) @ vh, u @ u.mT, vh.mT @ vh, s
    check(invariant, a)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("shape, mode", [((5, 3), "reduced"), ((3, 5), "reduced"), ((4, 4), "complete"),
                                         ((3, 5), "complete"), ((2, 4, 3), "reduced")])
def test_qr(shape, mode, dtype):
    a = rnd(*shape, dtype=dtype, seed=3)
    check(lambda T, x: tuple(T.linalg.qr(x, mode)), a)
    check(lambda T, x: (lambda q, r: (q @ r, q @ q.mT))(*T.linalg.qr(x, mode)), a)


def test_qr_mode_r_and_complete_tall_refuse_backward():
    for mode in ("r", "complete"):
        for T in (torch, S):
            x = T.from_numpy(rnd(5, 3)).requires_grad_(True)
            q, r = T.linalg.qr(x, mode)
            assert tuple(q.shape) == ((0,) if mode == "r" else (5, 5))
            with pytest.raises(RuntimeError, match="mode='r'|nrows > ncols"):
                r.sum().backward()


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(uplo, dtype):
    a = spd(2, 4, 4, dtype=dtype, seed=4) + np.triu(rnd(4, 4, seed=5), 1).astype(dtype)  # one triangle is read
    check(lambda T, x: (lambda w, v: (w, signs_fixed(T, v)))(*T.linalg.eigh(x, UPLO=uplo)), a)
    check(lambda T, x: T.linalg.eigvalsh(x, UPLO=uplo), a)
    check(lambda T, x: (lambda w, v: (v * w.unsqueeze(-2)) @ v.mT)(*T.linalg.eigh(x, uplo)), a)


@pytest.mark.parametrize("call", [
    lambda T: T.linalg.inv(T.zeros(2, 2, dtype=T.float64)),
    lambda T: T.linalg.inv(T.zeros(2, 3)),
    lambda T: T.linalg.inv(T.zeros(3)),
    lambda T: T.linalg.inv(T.ones(2, 2, dtype=T.long)),
    lambda T: T.linalg.solve(T.zeros(2, 2, dtype=T.float64), T.ones(2)),
    lambda T: T.linalg.solve(T.eye(2), T.ones(3)),
    lambda T: T.linalg.det(T.zeros(2, 3)),
    lambda T: T.linalg.eigh(T.zeros(2, 3)),
    lambda T: T.linalg.eigh(T.eye(2), UPLO="X"),
    lambda T: T.linalg.vector_norm(T.ones(2), ord="fro"),
    lambda T: T.linalg.matrix_norm(T.ones(2), ord="fro"),
    lambda T: T.linalg.matrix_norm(T.ones(2, 2), ord=3),
    lambda T: T.linalg.norm(T.ones(2, 2, 2), ord=2),
    lambda T: T.linalg.qr(T.ones(2, 2), mode="x"),
])
def test_errors_match_torch(call):
    with pytest.raises((RuntimeError, TypeError)) as want:
        call(torch)
    with pytest.raises((RuntimeError, TypeError)) as got:
        call(S)
    assert isinstance(got.value, S.linalg.LinAlgError) == isinstance(want.value, torch.linalg.LinAlgError)
    assert type(got.value).__name__ == type(want.value).__name__.lstrip("_")  # torch's class is _LinAlgError
    assert str(got.value) == str(want.value)
