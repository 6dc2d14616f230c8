"""Checkpoints: safetensors + JSON round trips, optimizer state, clear errors on damage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuralab.train import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from neuralab.train.checkpoint import load_model_state, load_optimizer_state

torch = pytest.importorskip("torch")
F = torch.nn.functional


def train_steps(model, optimizer, x, y, steps=3):
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        optimizer.step()


@pytest.mark.parametrize("make_optimizer", [
    lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99)),
    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True),
], ids=["adam", "sgd-momentum", "adamw-amsgrad"])
def test_round_trip_restores_model_and_optimizer_exactly(tmp_path, blobs, mlp, snapshot, make_optimizer):
    x, y = blobs(32)
    model = mlp(seed=0)
    optimizer = make_optimizer(model.parameters())
    train_steps(model, optimizer, x, y)
    extra = {"tuple": (1, 2.5), "inf": float("inf"), "by_int": {3: "three"}, "array": np.arange(4), "none": None}
    save_checkpoint(tmp_path / "ck", {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "extra": extra})

    state = load_checkpoint(tmp_path / "ck.safetensors")
    assert state["extra"]["tuple"] == (1, 2.5) and state["extra"]["inf"] == float("inf")
    assert state["extra"]["by_int"] == {3: "three"} and np.array_equal(state["extra"]["array"], np.arange(4))
    clone = mlp(seed=5)
    clone_optimizer = make_optimizer(clone.parameters())
    load_model_state(clone, state["model"], torch)
    load_optimizer_state(clone_optimizer, state["optimizer"], torch)
    original_state, restored_state = optimizer.state_dict(), clone_optimizer.state_dict()
    assert original_state["param_groups"] == restored_state["param_groups"]
    for index, slots in original_state["state"].items():
        for name, value in slots.items():
            restored = restored_state["state"][index][name]
            assert type(restored) is type(value)
            if torch.is_tensor(value):
                assert restored.dtype == value.dtype and torch.equal(restored, value)
            else:
                assert restored == value
    # identical state -> identical continuation
    train_steps(model, optimizer, x, y)
    train_steps(clone, clone_optimizer, x, y)
    assert all(np.array_equal(a, b) for a, b in zip(snapshot(model).values(), snapshot(clone).values()))


def test_files_are_safetensors_and_plain_json_with_documented_keys(tmp_path, mlp):
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.zeros(2, 6)).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "last", {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3})
    from safetensors.numpy import load_file

    keys = set(load_file(str(tmp_path / "last.safetensors")))
    assert {"model.0.weight", "model.2.bias", "optimizer.state.0.exp_avg", "optimizer.state.3.step"} <= keys
    meta = json.loads((tmp_path / "last.json").read_text())
    assert meta["format"] == "neuralab.checkpoint" and meta["state"]["epoch"] == 3


def test_load_weights_accepts_run_folders_stems_and_files(tmp_path, mlp, snapshot):
    source = mlp(seed=1)
    folder = tmp_path / "run" / "checkpoints"
    save_checkpoint(folder / "last", {"model": source.state_dict()})
    expected = snapshot(source)
    for where in (tmp_path / "run", folder / "last", folder / "last.safetensors", folder / "last.json"):
        target = mlp(seed=2)
        load_weights(target, where, torch)
        assert all(np.array_equal(v, expected[k]) for k, v in snapshot(target).items())
    save_checkpoint(folder / "best", {"model": mlp(seed=3).state_dict()})  # a run folder prefers best
    target = load_weights(mlp(seed=2), tmp_path / "run", torch)
    assert np.array_equal(snapshot(target)["0.weight"], snapshot(mlp(seed=3))["0.weight"])


def test_weights_of_another_architecture_give_a_clear_error(tmp_path, mlp):
    save_checkpoint(tmp_path / "ck", {"model": mlp(hidden=16).state_dict()})
    with pytest.raises(CheckpointError, match="do not fit this model"):
        load_weights(mlp(hidden=8), tmp_path / "ck", torch)


def test_missing_and_damaged_checkpoints_name_the_file(tmp_path, mlp):
    with pytest.raises(CheckpointError, match="no checkpoint at .*nothing"):
        load_checkpoint(tmp_path / "nothing")
    save_checkpoint(tmp_path / "ck", {"model": mlp().state_dict()})

    (tmp_path / "ck.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"ck\.json is damaged"):
        load_checkpoint(tmp_path / "ck")

    save_checkpoint(tmp_path / "ck", {"model": mlp().state_dict()})
    data = bytearray((tmp_path / "ck.safetensors").read_bytes())
    data[-5] ^= 0xFF  # flip bits in the tensor payload
    (tmp_path / "ck.safetensors").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"ck\.safetensors do not match .*ck\.json"):
        load_checkpoint(tmp_path / "ck")

    (tmp_path / "ck.safetensors").write_bytes(b"garbage")
    (tmp_path / "ck.json").unlink()
    with pytest.raises(CheckpointError, match=r"ck\.safetensors cannot be read"):
        load_weights(mlp(), tmp_path / "ck.safetensors", torch)

    save_checkpoint(tmp_path / "ck2", {"model": mlp().state_dict()})
    (tmp_path / "ck2.json").unlink()
    with pytest.raises(CheckpointError, match=r"metadata not found: .*ck2\.json"):
        load_checkpoint(tmp_path / "ck2")


def test_unsupported_values_are_refused_not_pickled(tmp_path):
    with pytest.raises(CheckpointError, match="cannot store 'thing'"):
        save_checkpoint(tmp_path / "ck", {"thing": object()})


def test_a_save_killed_at_any_point_leaves_a_loadable_checkpoint(tmp_path):
    """The JSON is the commit point: killed before it, the old pair loads; killed after it
    (new JSON, old tensors, new tensors still pending), the next load finishes the save."""
    stem = tmp_path / "last"
    old, new = {"w": np.zeros(3), "epoch": 1}, {"w": np.ones(3), "epoch": 2}
    save_checkpoint(stem, old)
    old_tensors = (tmp_path / "last.safetensors").read_bytes()
    old_json = (tmp_path / "last.json").read_text()
    save_checkpoint(stem, new)
    new_tensors = (tmp_path / "last.safetensors").read_bytes()

    # killed after the pending tensors were written, before the JSON: the old pair stands
    (tmp_path / "last.safetensors").write_bytes(old_tensors)
    (tmp_path / "last.json").write_text(old_json)
    (tmp_path / "last.safetensors.pending").write_bytes(new_tensors)
    assert load_checkpoint(stem)["epoch"] == 1
    # killed after the JSON, before the rename: the load completes the rename
    save_checkpoint(stem, new)
    (tmp_path / "last.safetensors.pending").write_bytes(new_tensors)
    (tmp_path / "last.safetensors").write_bytes(old_tensors)
    state = load_checkpoint(stem)
    assert state["epoch"] == 2 and np.array_equal(state["w"], np.ones(3))
    assert not (tmp_path / "last.safetensors.pending").exists()
