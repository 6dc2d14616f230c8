"""Attention parity: F.scaled_dot_product_attention, MultiheadAttention and the Transformer
blocks against torch (same state_dict, dropout off), plus masks of every kind."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from neuralab.scratch.nn.modules import attention as A, transformer as TR
from harness import check_functional, check_modules, copy_state, engine_tensor

R = np.random.default_rng(6)


def rn(*shape):
    return R.standard_normal(shape)


def _lib(F):
    return torch if F is torch.nn.functional else T


def _const(F, a):
    return engine_tensor(torch, a) if F is torch.nn.functional else engine_tensor(T, a)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape_q, shape_kv", [((2, 3, 5, 4), (2, 3, 7, 4)), ((4, 6, 8), (4, 6, 8)), ((1, 1, 1, 3), (1, 1, 2, 3))])
def test_sdpa_plain_and_causal(shape_q, shape_kv, dtype):
    q, k, v = rn(*shape_q), rn(*shape_kv), rn(*shape_kv[:-1], 5)
    check_functional("attention", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v), q, k, v, dtype=dtype)
    check_functional("attention", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
                     q, k, v, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sdpa_masks(dtype):
    q, k, v = rn(2, 3, 5, 4), rn(2, 3, 6, 4), rn(2, 3, 6, 4)
    keep = R.random((5, 6)) > 0.4
    keep[:, 0] = True
    check_functional("attention", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_const(F, keep)),
                     q, k, v, dtype=dtype)
    keep4 = R.random((2, 1, 5, 6)) > 0.5
    keep4[..., 2] = True
    check_functional("attention", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_const(F, keep4)),
                     q, k, v, dtype=dtype)
    bias = rn(5, 6).astype(dtype)
    bias[1, 3] = -np.inf
    check_functional("attention", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_const(F, bias)),
                     q, k, v, dtype=dtype)
    # a float mask that is itself learned receives dS
    check_functional("attention", lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                     q, k, v, rn(3, 1, 6), dtype=dtype)


def test_sdpa_fully_masked_rows_give_zero_like_torch():
    q, k, v = rn(1, 2, 3, 4), rn(1, 2, 5, 4), rn(1, 2, 5, 4)
    keep = np.ones((3, 5), dtype=bool)
    keep[1] = False
    check_functional("attention", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_const(F, keep)), q, k, v)


def test_sdpa_dropout_statistics():
    from neuralab.scratch.ops.attention import scaled_dot_product_attention as sdpa
    T.manual_seed(0)
    q = T.zeros(1, 1, 200, 4)
    v = T.ones(1, 1, 50, 3)
    out = sdpa(q, T.zeros(1, 1, 50, 4), v, dropout_p=0.3)._data
    # uniform attention: each output = mean over kept keys / 0.7, so E[out] = 1
    assert abs(out.mean() - 1.0) < 0.05 and out.std() > 0.05


MHA_CASES = [
    dict(kw=dict(embed_dim=8, num_heads=2), q=(5, 3, 8), kv=None),
    dict(kw=dict(embed_dim=8, num_heads=4, batch_first=True), q=(3, 5, 8), kv=None),
    dict(kw=dict(embed_dim=6, num_heads=3, bias=False), q=(4, 2, 6), kv=(7, 2, 6)),
    dict(kw=dict(embed_dim=6, num_heads=2, kdim=5, vdim=3, batch_first=True), q=(2, 4, 6), kv=((2, 7, 5), (2, 7, 3))),
    dict(kw=dict(embed_dim=4, num_heads=2), q=(5, 4), kv=None),          # unbatched
]


def _mha_call(kv, need_weights=True, average=True, mask=None, kpm=None, same_kv=False):
    def call(m, q, *rest):
        mm = _const(torch.nn.functional if isinstance(m, torch.nn.Module) else None, mask) if mask is not None else None
        kk = _const(torch.nn.functional if isinstance(m, torch.nn.Module) else None, kpm) if kpm is not None else None
        if kv is None:
            k = v = q
        elif same_kv:
            k = v = rest[0]
        else:
            k, v = rest
        return m(q, k, v, key_padding_mask=kk, need_weights=need_weights, attn_mask=mm,
                 average_attn_weights=average)
    return call


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", MHA_CASES)
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_mha(case, need_weights, average, dtype):
    torch.manual_seed(0)
    tm, sm = torch.nn.MultiheadAttention(**case["kw"]), A.MultiheadAttention(**case["kw"])
    kv = case["kv"]
    if kv is None:
        inputs = [rn(*case["q"])]
    elif isinstance(kv[0], tuple):
        inputs = [rn(*case["q"]), rn(*kv[0]), rn(*kv[1])]
    else:
        inputs = [rn(*case["q"]), rn(*kv), rn(*kv)]
    check_modules("attention", tm, sm, *inputs, dtype=dtype, call=_mha_call(kv, need_weights, average))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_masks(batch_first, dtype):
    L, S, B, E, H = 4, 6, 3, 8, 2
    torch.manual_seed(1)
    tm = torch.nn.MultiheadAttention(E, H, batch_first=batch_first)
    sm = A.MultiheadAttention(E, H, batch_first=batch_first)
    q = rn(B, L, E) if batch_first else rn(L, B, E)
    kv = rn(B, S, E) if batch_first else rn(S, B, E)
    kpm = np.zeros((B, S), dtype=bool)
    kpm[0, -2:] = True
    kpm[2, 1] = True
    causal = np.triu(np.ones((L, S), dtype=bool), 1)           # True = not allowed
    float_mask = rn(B * H, L, S).astype(dtype)
    float_kpm = np.where(kpm, -1e9, 0.0).astype(dtype) + rn(B, S).astype(dtype) * 0.1
    random_mask = R.random((B * H, L, S)) > 0.7
    random_mask[..., 0] = False                                 # every query keeps one key
    for mask, pad in [(None, kpm), (causal, None), (causal, kpm), (float_mask, None), (float_mask, float_kpm),
                      (random_mask, kpm)]:
        check_modules("attention", tm, sm, q, kv, dtype=dtype,
                      call=_mha_call(kv, mask=mask, kpm=pad, same_kv=True))
    # self-attention with a causal mask + padding
    sq = rn(B, L, E) if batch_first else rn(L, B, E)
    check_modules("attention", tm, sm, sq, dtype=dtype,
                  call=_mha_call(None, mask=np.triu(np.ones((L, L), dtype=bool), 1), kpm=kpm[:, :L] & False))


def test_mha_state_dict_keys_and_init():
    tm, sm = torch.nn.MultiheadAttention(8, 2), A.MultiheadAttention(8, 2)
    assert list(sm.state_dict()) == list(tm.state_dict()) == [
        "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert type(sm.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert not np.any(sm.in_proj_bias._data) and not np.any(sm.out_proj.bias._data)
    bound = np.sqrt(6 / (8 + 24))                              # xavier_uniform on (3E, E)
    assert np.abs(sm.in_proj_weight._data).max() <= bound
    t2, s2 = torch.nn.MultiheadAttention(6, 2, kdim=4, vdim=3), A.MultiheadAttention(6, 2, kdim=4, vdim=3)
    assert list(s2.state_dict()) == list(t2.state_dict())


LAYER_CASES = [
    dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0),
    dict(d_model=8, nhead=4, dim_feedforward=12, dropout=0.0, batch_first=True, norm_first=True, activation="gelu"),
    dict(d_model=6, nhead=3, dim_feedforward=10, dropout=0.0, bias=False, layer_norm_eps=1e-3),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", LAYER_CASES)
def test_encoder_layer(kw, dtype):
    torch.manual_seed(2)
    tm, sm = torch.nn.TransformerEncoderLayer(**kw), TR.TransformerEncoderLayer(**kw)
    d = kw["d_model"]
    x = rn(3, 5, d)
    kpm = np.zeros((5 if not kw.get("batch_first") else 3, 3 if not kw.get("batch_first") else 5), dtype=bool)
    check_modules("transformer", tm, sm, x, dtype=dtype)
    B, L = (3, 5) if kw.get("batch_first") else (5, 3)
    kpm = np.zeros((B, L), dtype=bool)
    kpm[0, -1] = True
    causal = np.triu(np.full((L, L), -np.inf), 1).astype(dtype)

    def call(m, x):
        f = torch.nn.functional if isinstance(m, torch.nn.Module) else None
        return m(x, src_mask=_const(f, causal), src_key_padding_mask=_const(f, kpm), is_causal=True)
    check_modules("transformer", tm, sm, x, dtype=dtype, call=call)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", LAYER_CASES)
def test_decoder_layer(kw, dtype):
    torch.manual_seed(3)
    tm, sm = torch.nn.TransformerDecoderLayer(**kw), TR.TransformerDecoderLayer(**kw)
    d = kw["d_model"]
    bf = kw.get("batch_first")
    tgt, mem = (rn(2, 4, d), rn(2, 6, d)) if bf else (rn(4, 2, d), rn(6, 2, d))
    tmask = np.triu(np.ones((4, 4), dtype=bool), 1)
    mkpm = np.zeros((2, 6), dtype=bool)
    mkpm[1, :2] = True

    def call(m, tgt, mem):
        f = torch.nn.functional if isinstance(m, torch.nn.Module) else None
        return m(tgt, mem, tgt_mask=_const(f, tmask), memory_key_padding_mask=_const(f, mkpm))
    check_modules("transformer", tm, sm, tgt, mem, dtype=dtype, call=call)


def _enc(nn, layers=2, norm=True):
    layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True)
    return nn.TransformerEncoder(layer, layers, nn.LayerNorm(8) if norm else None)


SNN = T.nn


def test_encoder_stack_and_round_trip():
    torch.manual_seed(4)
    tm, sm = _enc(torch.nn), _enc(SNN)
    assert list(sm.state_dict()) == list(tm.state_dict())
    assert "layers.1.self_attn.in_proj_weight" in sm.state_dict() and "norm.weight" in sm.state_dict()
    check_modules("transformer", tm, sm, rn(3, 5, 8))
    # scratch -> torch
    T.manual_seed(5)
    sm2, tm2 = _enc(SNN).to(T.float64), _enc(torch.nn).double()
    copy_state(sm2, tm2)
    check_modules("transformer", tm2, sm2, rn(2, 4, 8), copy_state=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_full_transformer(dtype):
    torch.manual_seed(6)
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0)
    tm, sm = torch.nn.Transformer(**kw), TR.Transformer(**kw)
    assert list(sm.state_dict()) == list(tm.state_dict())
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(TR.Transformer.generate_square_subsequent_mask(4)._data, mask)

    def call(m, src, tgt):
        f = torch.nn.functional if isinstance(m, torch.nn.Module) else None
        return m(src, tgt, tgt_mask=_const(f, mask.astype(dtype)))
    check_modules("transformer", tm, sm, rn(5, 2, 8), rn(4, 2, 8), dtype=dtype, call=call)


def test_transformer_default_init_is_xavier():
    sm = TR.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    w = sm.encoder.layers[0].linear1.weight._data
    assert np.abs(w).max() <= np.sqrt(6 / (16 + 32)) and w.std() > 0.5 * np.sqrt(2 / (16 + 32))
