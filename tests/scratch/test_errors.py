"""Outside-the-subset features raise NotImplementedError naming the feature; shape errors
name the shapes and the op, as PyTorch's messages do."""

from __future__ import annotations

import pytest
import torch

import neuralab.scratch as T


def test_outside_subset_raises_not_implemented_naming_feature():
    with pytest.raises(NotImplementedError, match="CUDA is not available in the scratch engine"):
        T.ones(2).cuda()
    with pytest.raises(NotImplementedError, match="CUDA is not available"):
        T.ones(2).to("cuda")
    with pytest.raises(NotImplementedError, match="CUDA"):
        T.zeros(2, device="cuda")
    with pytest.raises(NotImplementedError, match="torch.jit.script"):
        T.jit.script(T.nn.Linear(1, 1))
    with pytest.raises(NotImplementedError, match="torch.fft"):
        T.fft  # noqa: B018
    with pytest.raises(NotImplementedError, match="torch.nn.LazyLinear"):
        T.nn.LazyLinear  # noqa: B018
    with pytest.raises(NotImplementedError, match="torch.optim.SparseAdam"):
        T.optim.SparseAdam  # noqa: B018
    with pytest.raises(NotImplementedError, match="Tensor.stft"):
        T.ones(4).stft  # noqa: B018
    with pytest.raises(NotImplementedError, match="create_graph.*through ExtremumBackward0"):
        T.ones(3, requires_grad=True).amax().backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="half"):
        T.ones(1).half()
    with pytest.raises(NotImplementedError, match="antialias"):
        T.nn.functional.interpolate(T.ones(1, 1, 2, 2), scale_factor=2, mode="bilinear", antialias=True)
    # capability probes keep working: the error is also an AttributeError
    assert not hasattr(T, "compile_everything")
    assert getattr(T.nn, "LazyConv2d", None) is None


@pytest.mark.parametrize("fn,pattern", [
    (lambda E: E.zeros(2, 3) @ E.zeros(4, 5), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda E: E.zeros(3) @ E.zeros(4), r"inconsistent tensor size"),
    (lambda E: E.zeros(2, 3).reshape(4), r"shape '\[4\]' is invalid for input of size 6"),
    (lambda E: E.zeros(2, 3).view(-1, 4), r"shape '\[-1, 4\]' is invalid for input of size 6"),
    (lambda E: E.zeros(3).expand(2, 4), r"The expanded size of the tensor \(4\) must match the existing size \(3\)"),
    (lambda E: E.cat([E.zeros(2, 3), E.zeros(2, 4)]), r"Sizes of tensors must match except in dimension 0"),
    (lambda E: E.stack([E.zeros(2), E.zeros(3)]), r"stack expects each tensor to be equal size"),
    (lambda E: E.zeros(2, 3).sum(2), r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda E: E.zeros(2, 3).permute(0, 1, 2), r"number of dimensions"),
    (lambda E: E.zeros(2, 3).split([1, 2]), r"split_with_sizes expects split_sizes to sum exactly to 2"),
    (lambda E: E.zeros(2, 3).repeat(2), r"Number of dimensions of repeat dims can not be smaller"),
    (lambda E: E.nn.functional.cross_entropy(E.zeros(3, 4), E.tensor([0, 1, 4])), r"Target 4 is out of bounds"),
    (lambda E: E.nn.functional.cross_entropy(E.zeros(3, 4), E.tensor([0, 1])),
     r"Expected input batch_size \(3\) to match target batch_size \(2\)"),
    (lambda E: E.nn.functional.binary_cross_entropy(E.full((4, 1), 0.5), E.zeros(4)),
     r"Using a target size .* that is different to the input size"),
    (lambda E: E.nn.functional.binary_cross_entropy_with_logits(E.zeros(4, 1), E.zeros(4)),
     r"must be the same as input size"),
    (lambda E: E.nn.functional.binary_cross_entropy(E.full((2,), 1.5), E.zeros(2)), r"between 0 and 1"),
    (lambda E: E.zeros(2, 2)[3], r"index 3 is out of bounds for dimension 0 with size 2"),
    (lambda E: E.zeros(2, 2) + E.zeros(3), r"."),
])
def test_shape_errors_like_torch(fn, pattern):
    for E in (torch, T):
        with pytest.raises((RuntimeError, ValueError, IndexError)) as info:
            fn(E)
        assert __import__("re").search(pattern, str(info.value)), (E.__name__, str(info.value))


def test_bool_negation_and_int_grad_errors():
    with pytest.raises(RuntimeError, match="Negation"):
        -T.tensor([True])
    with pytest.raises(RuntimeError, match="floating point"):
        T.tensor([1, 2], requires_grad=True)
