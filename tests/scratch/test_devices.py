"""Devices (issue #19 item 2): torch's device names and CPU-only answers, Tensor.to forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from tests.scratch.harness import check


@pytest.mark.parametrize("spec", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 2), ("mps",), ("cpu", 0)])
def test_device_names_match_torch(spec):
    t, s = torch.device(*spec), S.device(*spec)
    assert (s.type, s.index, str(s), repr(s)) == (t.type, t.index, str(t), repr(t))
    assert (s == str(t)) and (S.device(s) == s)


def test_bad_device_string_is_refused_like_torch():
    for T in (torch, S):
        with pytest.raises(RuntimeError, match="device type at start of device string: gpu"):
            T.device("gpu")


def test_capability_answers_match_cpu_only_torch():
    if torch.cuda.is_available():
        pytest.skip("this torch has a GPU; the comparison is with a CPU-only torch")
    assert S.cuda.is_available() is torch.cuda.is_available() is False
    assert S.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert S.accelerator.is_available() is torch.accelerator.is_available() is False
    assert S.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert S.cuda.device_count() == S.accelerator.device_count() == 0
    # the usual script line picks the CPU on both
    for T in (torch, S):
        dev = T.device("cuda" if T.cuda.is_available() else "cpu")
        assert str(dev) == "cpu"


def test_to_forms_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    check(lambda T, x: x.to("cpu") * 2, x, label="to(str)")
    check(lambda T, x: x.to(T.device("cpu"), non_blocking=True).exp(), x, label="to(device, non_blocking)")
    check(lambda T, x: x.to("cpu", T.float32).sin(), x, label="to(device, dtype)")
    check(lambda T, x: x.to(dtype=T.float32, copy=True), x, label="to(dtype=, copy=)")
    check(lambda T, x: x.to(T.zeros(1, dtype=T.float32)), x, label="to(other)")
    check(lambda T, x: x.cpu() + 1, x, label="cpu")


def test_tensor_pin_memory_refused_like_cpu_only_torch():
    if torch.cuda.is_available():
        pytest.skip("this torch has a GPU")
    for T in (torch, S):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            T.ones(2).pin_memory()


def test_gpu_placement_is_refused_clearly():
    x = S.ones(2)
    model = S.nn.Linear(2, 2)
    for attempt in (lambda: x.to("cuda"), lambda: x.to(S.device("cuda", 0)), lambda: x.cuda(),
                    lambda: model.to("cuda"), lambda: model.cuda(), lambda: S.zeros(2, device="cuda:0"),
                    lambda: x.to("mps")):
        with pytest.raises(NotImplementedError, match="CPU only|CUDA is not available"):
            attempt()
    assert not x.is_pinned() and x.device == S.device("cpu")


def test_dataloader_pin_memory_accepted():
    data = S.utils.data.TensorDataset(S.arange(6.0))
    batches = list(S.utils.data.DataLoader(data, batch_size=4, pin_memory=True))
    assert [b[0].tolist() for b in batches] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
