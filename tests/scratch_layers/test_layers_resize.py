"""F.pad and F.interpolate parity against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from harness import check_functional

R = np.random.default_rng(3)


def rn(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, pad", [
    ((2, 3, 4, 5), (1, 2)), ((2, 3, 4, 5), (1, 0, 2, 3)), ((2, 3, 4), (0, 0, 1, 1, 2, 0)),
    ((2, 3, 6, 5), (-1, 2, 1, -2)),
])
def test_pad_constant(shape, pad, dtype):
    check_functional("pad", lambda F, x: F.pad(x, pad), rn(*shape), dtype=dtype)
    check_functional("pad", lambda F, x: F.pad(x, pad, value=1.5), rn(*shape), dtype=dtype)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((2, 3, 5), (2, 1)), ((2, 3, 4, 5), (1, 3, 2, 1)), ((1, 2, 3, 3), (2, 2, 0, 1))])
def test_pad_modes(mode, shape, pad):
    check_functional("pad", lambda F, x: F.pad(x, pad, mode=mode), rn(*shape))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode, align", [("nearest", None), ("bilinear", False), ("bilinear", True),
                                         ("nearest-exact", None), ("area", None)])
@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 4, 5), {"scale_factor": 2}),
    ((1, 2, 5, 7), {"size": (9, 4)}),
    ((2, 1, 6, 6), {"size": 3}),
    ((1, 2, 3, 5), {"scale_factor": (1.7, 0.6)}),
    ((1, 2, 3, 5), {"scale_factor": 2.5, "recompute_scale_factor": True}),
    ((1, 1, 1, 1), {"size": (3, 2)}),
])
def test_interpolate_2d(mode, align, shape, kw, dtype):
    if mode == "area" and "scale_factor" in kw and not kw.get("recompute_scale_factor"):
        kw = dict(kw, recompute_scale_factor=True) if False else kw
    check_functional("interpolate", lambda F, x: F.interpolate(x, mode=mode, align_corners=align, **kw), rn(*shape),
                     dtype=dtype)


@pytest.mark.parametrize("mode, shape", [("linear", (2, 3, 7)), ("nearest", (2, 3, 7)), ("trilinear", (1, 2, 3, 4, 5)),
                                         ("nearest", (1, 2, 3, 4, 5))])
@pytest.mark.parametrize("align", [False, True])
def test_interpolate_other_dims(mode, shape, align):
    a = align if mode != "nearest" else None
    check_functional("interpolate", lambda F, x: F.interpolate(x, scale_factor=1.5, mode=mode, align_corners=a), rn(*shape))
    check_functional("interpolate", lambda F, x: F.interpolate(x, size=tuple(s + 2 for s in shape[2:]), mode=mode,
                                                               align_corners=a), rn(*shape))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 4, 5), {"scale_factor": 2}), ((1, 2, 6, 7), {"size": (4, 9)}), ((1, 1, 5, 5), {"scale_factor": 0.5}),
    ((1, 2, 3, 5), {"scale_factor": (1.7, 2.5)}), ((1, 1, 1, 3), {"size": (3, 2)}),
])
def test_interpolate_bicubic(align, shape, kw, dtype):
    check_functional("interpolate", lambda F, x: F.interpolate(x, mode="bicubic", align_corners=align, **kw),
                     rn(*shape), dtype=dtype)
    check_functional("interpolate", lambda F, x: F.upsample(x, mode="bicubic", align_corners=align, **kw),
                     rn(*shape), dtype=dtype)


def test_upsample_bicubic_module():
    import torch
    import neuralab.scratch as S
    from harness import check_modules
    check_modules("interpolate", torch.nn.Upsample(scale_factor=3, mode="bicubic"),
                  S.nn.Upsample(scale_factor=3, mode="bicubic"), rn(2, 2, 3, 4))
