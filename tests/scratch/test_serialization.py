"""torch.save / torch.load on the scratch engine: its own safetensors files (round trips of every
kind of object a training script saves), real PyTorch files read with torch blocked, map_location,
the allow-list (add_safe_globals / safe_globals) and crafted malicious files refused unexecuted."""

from __future__ import annotations

import collections
import inspect
import io
import json
import math
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import safetensors.numpy
import torch

import neuralab.scratch as T
from harness import assert_close, copy_state, to_numpy
from test_optim import OPTIMIZERS, X, Y, build, pair, run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Config:
    """A plain user class, as scripts put in checkpoints (allow-list tests)."""

    def __init__(self, width, name):
        self.width, self.name = width, name


def round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    T.save(obj, buffer)
    buffer.seek(0)
    return T.load(buffer, **load_kwargs)


# ---------------------------------------------------------------- the scratch format

def test_round_trip_keeps_values_types_and_structure():
    tensors = {name: T.from_numpy(np.arange(6).reshape(2, 3).astype(name)) for name in
               ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")}
    obj = {
        "tensors": tensors,
        "transposed": T.from_numpy(np.arange(6.0).reshape(2, 3)).t(),
        "scalar": T.tensor(3.5),
        "param": T.nn.Parameter(T.ones(2)),
        "frozen": T.nn.Parameter(T.ones(2), requires_grad=False),
        "numbers": (1, 2.5, -math.inf, True, None, "text"),
        3: [collections.OrderedDict(b=1, a=2), collections.Counter([5, 5, 7])],
        (1, 2): {"nested": [[1.0], {"deep": T.zeros(0)}]},
        "set": {1, 2}, "dtype": T.float64, "array": np.arange(3.0), "np_scalar": np.float32(1.5),
    }
    back = round_trip(obj)
    assert list(back) == list(obj)
    for name, t in tensors.items():
        assert str(back["tensors"][name].dtype) == str(t.dtype)
        np.testing.assert_array_equal(back["tensors"][name].numpy(), t.numpy())
    np.testing.assert_array_equal(back["transposed"].numpy(), np.arange(6.0).reshape(2, 3).T)
    assert back["scalar"].shape == () and back["scalar"].item() == 3.5
    assert isinstance(back["param"], T.nn.Parameter) and back["param"].requires_grad
    assert isinstance(back["frozen"], T.nn.Parameter) and not back["frozen"].requires_grad
    assert back["numbers"] == obj["numbers"] and isinstance(back["numbers"], tuple)
    assert type(back[3][0]) is collections.OrderedDict and list(back[3][0]) == ["b", "a"]
    assert back[3][1] == collections.Counter([5, 5, 7]) and type(back[3][1]) is collections.Counter
    assert back[(1, 2)]["nested"][1]["deep"].shape == (0,)
    assert back["set"] == {1, 2} and back["dtype"] is T.float64
    assert isinstance(back["array"], np.ndarray) and back["np_scalar"] == np.float32(1.5)
    assert math.isnan(round_trip([math.nan])[0])


def test_file_is_plain_safetensors(tmp_path):
    """Any safetensors reader sees the tensors; the structure sits in the header's metadata."""
    model = build(T)
    path = tmp_path / "model.pt"
    T.save(model.state_dict(), path)
    arrays = safetensors.numpy.load_file(str(path))
    assert sorted(a.shape for a in arrays.values()) == sorted(tuple(v.shape) for v in model.state_dict().values())
    assert not [p for p in os.listdir(tmp_path) if p != "model.pt"], "the atomic write left a temporary file"
    (size,) = np.frombuffer(path.read_bytes()[:8], dtype="<u8")
    assert "neuralab.scratch.structure" in json.loads(path.read_bytes()[8:8 + int(size)])["__metadata__"]
    # and a file from the safetensors library loads as a dict of tensors
    safetensors.numpy.save_file({"a": np.arange(4.0), "b": np.eye(2, dtype=np.float32)}, str(tmp_path / "lib.st"))
    loaded = T.load(tmp_path / "lib.st")
    assert sorted(loaded) == ["a", "b"] and loaded["b"].dtype == T.float32
    np.testing.assert_array_equal(loaded["a"].numpy(), np.arange(4.0))


@pytest.mark.parametrize("name", ["adam_amsgrad", "nadam", "asgd_averaging", "rprop_opts", "sgd_momentum"])
def test_optimizer_and_scheduler_checkpoint_resume(tmp_path, name):
    """save({model, optimizer, scheduler}) half-way, load into fresh objects, continue: same losses as one run."""
    sched_factory = lambda E, o: E.optim.lr_scheduler.StepLR(o, step_size=20, gamma=0.5)  # noqa: E731
    _, full_model = pair()
    opt = OPTIMIZERS[name](T, full_model.parameters())
    full, _, _, _ = run(T, full_model, name, opt=opt, sched=sched_factory(T, opt), steps=60)

    _, model = pair()
    opt = OPTIMIZERS[name](T, model.parameters())
    sched = sched_factory(T, opt)
    first, _, _, _ = run(T, model, name, opt=opt, sched=sched, steps=30)
    T.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "epoch": 30}, tmp_path / "checkpoint.pt")

    checkpoint = T.load(tmp_path / "checkpoint.pt", weights_only=True)
    fresh = build(T).double()
    fresh.load_state_dict(checkpoint["model"])
    fresh_opt = OPTIMIZERS[name](T, fresh.parameters())
    fresh_opt.load_state_dict(checkpoint["optimizer"])
    fresh_sched = sched_factory(T, fresh_opt)
    fresh_sched.load_state_dict(checkpoint["scheduler"])
    second, _, _, _ = run(T, fresh, name, opt=fresh_opt, sched=fresh_sched, start=checkpoint["epoch"], steps=60)
    np.testing.assert_array_equal(np.concatenate([first, second]), full)


def test_whole_module_needs_the_allow_list(tmp_path):
    model = build(T)
    path = tmp_path / "whole.pt"
    T.save(model, path)
    with pytest.raises(pickle.UnpicklingError) as refused:
        T.load(path)
    message = str(refused.value)
    assert "Unsupported global: GLOBAL neuralab.scratch.nn.modules.container.Sequential was not an allowed global" \
        in message and "add_safe_globals" in message and "weights_only" in message
    x = T.randn(4, 5)
    with T.serialization.safe_globals([T.nn.Sequential, T.nn.Linear, T.nn.Tanh, T.nn.ReLU]):
        assert len(T.serialization.get_safe_globals()) == 4
        allowed = T.load(path)
    assert T.serialization.get_safe_globals() == []
    trusted = T.load(path, weights_only=False)
    for loaded in (allowed, trusted):
        assert type(loaded) is T.nn.Sequential
        np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_save_refuses_what_it_cannot_name():
    with pytest.raises(TypeError, match="no lambdas or local classes"):
        T.save({"fn": lambda x: x}, io.BytesIO())
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        T.save(loop, io.BytesIO())
    with pytest.raises(NotImplementedError, match="never pickle"):
        T.save({}, io.BytesIO(), pickle_module=pickle)


# ---------------------------------------------------------------- files written by PyTorch

BLOCK_TORCH = """
import sys
class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
sys.meta_path.insert(0, BlockTorch())
"""

LOAD_IN_SCRATCH = BLOCK_TORCH + """
import json, numpy as np
import neuralab.scratch as T
{build_source}
model = build(T)
state = T.load({path!r}, weights_only=True, map_location="cpu")
model.load_state_dict(state)
x = T.from_numpy(np.load({inputs!r}))
np.save({outputs!r}, model(x).detach().numpy())
print(json.dumps({{"torch_imported": any(m == "torch" or m.startswith("torch.") for m in sys.modules),
                   "keys": list(state)}}))
"""


def test_real_torch_state_dict_loads_with_torch_blocked(tmp_path):
    torch.manual_seed(0)
    torch_model = build(torch)
    torch.save(torch_model.state_dict(), tmp_path / "model.pt")
    inputs = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)
    np.save(tmp_path / "x.npy", inputs)
    script = LOAD_IN_SCRATCH.format(build_source=inspect.getsource(build), path=str(tmp_path / "model.pt"),
                                    inputs=str(tmp_path / "x.npy"), outputs=str(tmp_path / "y.npy"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "PYTHONPATH": REPO})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"torch_imported": False, "keys": list(torch_model.state_dict())}
    expected = torch_model(torch.from_numpy(inputs)).detach().numpy()
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-5, atol=1e-6)


def test_the_blocker_really_blocks_torch():
    done = subprocess.run([sys.executable, "-c", BLOCK_TORCH + "import torch"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and "torch is blocked" in done.stderr


def test_real_torch_values_dtypes_and_optimizer_state(tmp_path):
    """Every tensor kind torch writes (views, parameters, halves, bools, ints, 0-dim), and an Adam state that
    a scratch optimizer continues from exactly as torch does."""
    tm, sm = pair()
    topt = torch.optim.Adam(tm.parameters(), lr=1e-2, amsgrad=True)
    run(torch, tm, "adam_amsgrad", opt=topt, steps=20)
    payload = {
        "model": tm.state_dict(), "optimizer": topt.state_dict(), "epoch": 20,
        "view": torch.arange(12.0, dtype=torch.float64).reshape(3, 4)[:, 1:3].t(),
        "half": torch.tensor([1.5, -2.0], dtype=torch.float16), "mask": torch.tensor([True, False]),
        "ints": torch.arange(5, dtype=torch.int32), "zero_dim": torch.tensor(7), "param": torch.nn.Parameter(torch.ones(3)),
        "dtype": torch.float64, "size": torch.Size([2, 3]), "device": torch.device("cpu"), "tuple": (1, "a", None),
    }
    torch.save(payload, tmp_path / "torch.pt")
    loaded = T.load(tmp_path / "torch.pt")
    for key in ("view", "half", "mask", "ints", "zero_dim"):
        assert_close(payload[key], loaded[key], label=key)
    assert isinstance(loaded["param"], T.nn.Parameter) and loaded["param"].requires_grad
    assert loaded["dtype"] is T.float64 and loaded["size"] == (2, 3) and loaded["tuple"] == (1, "a", None)
    assert loaded["device"] == T.device("cpu")

    sm.load_state_dict(loaded["model"])
    sopt = T.optim.Adam(sm.parameters(), lr=1e-2, amsgrad=True)
    sopt.load_state_dict(loaded["optimizer"])
    torch_rest, _, _, _ = run(torch, tm, "adam_amsgrad", opt=topt, start=20, steps=60)
    scratch_rest, _, _, _ = run(T, sm, "adam_amsgrad", opt=sopt, start=20, steps=60)
    np.testing.assert_allclose(scratch_rest, torch_rest, rtol=1e-8)


def rewrite_zip(source, target, change):
    """Copy a torch zip file, passing each member's bytes through ``change(name, data)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(name, change(name, old.read(name)))


def test_map_location_forms(tmp_path):
    torch.save({"w": torch.arange(3.0)}, tmp_path / "cpu.pt")
    # the same file as if written on a GPU: only the storage's location string differs
    rewrite_zip(tmp_path / "cpu.pt", tmp_path / "gpu.pt",
                lambda name, data: data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
                if name.endswith("data.pkl") else data)
    with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
        T.load(tmp_path / "gpu.pt")
    for where in ("cpu", T.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        np.testing.assert_array_equal(T.load(tmp_path / "gpu.pt", map_location=where)["w"].numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(NotImplementedError, match="CUDA is not available"):
        T.load(tmp_path / "cpu.pt", map_location="cuda")


def test_allow_list_for_torch_files_matches_torchs_refusal(tmp_path):
    path = tmp_path / "config.pt"
    torch.save({"config": Config(64, "wide"), "w": torch.ones(2)}, path)
    with pytest.raises(pickle.UnpicklingError) as torch_refusal:
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError) as scratch_refusal:
        T.load(path, weights_only=True)
    sentence = ("Unsupported global: GLOBAL test_serialization.Config was not an allowed global by default. "
                "Please use `torch.serialization.add_safe_globals([test_serialization.Config])` or the "
                "`torch.serialization.safe_globals([test_serialization.Config])` context manager to allowlist "
                "this global if you trust this class/function.")
    assert sentence in str(torch_refusal.value) and sentence in str(scratch_refusal.value)
    T.serialization.add_safe_globals([Config])
    try:
        loaded = T.load(path)
    finally:
        T.serialization.clear_safe_globals()
    assert isinstance(loaded["config"], Config) and (loaded["config"].width, loaded["config"].name) == (64, "wide")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        T.load(path)


# ---------------------------------------------------------------- malicious files

class RunsCode:
    """Unpickling this calls os.system: the classic malicious checkpoint."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def torch_zip_with(path, payload: bytes, storages=None):
    """A zip laid out like torch.save's, holding an arbitrary data.pkl."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/byteorder", "little")
        archive.writestr("archive/version", "3\n")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)


def test_malicious_torch_file_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    torch_zip_with(tmp_path / "evil.pt", pickle.dumps({"w": RunsCode(marker)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL posix.system"):
        T.load(tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
        T.load(tmp_path / "evil.pt", weights_only=False)  # PyTorch files never get a full unpickler here
    assert not marker.exists()
    # the same payload as a plain (legacy-format) pickle is not even unpickled
    (tmp_path / "legacy.pt").write_bytes(pickle.dumps(RunsCode(marker), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="legacy"):
        T.load(tmp_path / "legacy.pt")
    assert not marker.exists()
    # and torch itself refuses the zip one (its message: module posix is blocked)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL posix.system"):
        torch.load(tmp_path / "evil.pt", weights_only=True)
    assert not marker.exists()


class FakeStorage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class OutOfBoundsTensor:
    """Pickles as torch's rebuild call, for a view reaching past its storage."""

    def __init__(self, storage, size):
        self.storage, self.size = storage, size

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, 0, self.size, (1,), False, collections.OrderedDict())


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def test_tensor_reaching_past_its_storage_is_refused(tmp_path):
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump({"w": OutOfBoundsTensor(FakeStorage("0", 4), (1000,))})
    torch_zip_with(tmp_path / "bounds.pt", buffer.getvalue(), {"0": np.zeros(4, np.float32).tobytes()})
    with pytest.raises(pickle.UnpicklingError, match="past the storage's 4 elements"):
        T.load(tmp_path / "bounds.pt")
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump({"w": OutOfBoundsTensor(FakeStorage("0", 4), (4,))})
    torch_zip_with(tmp_path / "fine.pt", buffer.getvalue(), {"0": np.arange(4, dtype=np.float32).tobytes()})
    np.testing.assert_array_equal(T.load(tmp_path / "fine.pt")["w"].numpy(), [0, 1, 2, 3])


def test_expanded_views_load_but_expansion_bombs_are_refused(tmp_path):
    torch.save({"row": torch.arange(3.0).expand(4, 3)}, tmp_path / "expanded.pt")  # one storage of 3, stride 0
    np.testing.assert_array_equal(T.load(tmp_path / "expanded.pt")["row"].numpy(), np.tile(np.arange(3.0), (4, 1)))
    buffer = io.BytesIO()
    TorchLikePickler(buffer, protocol=2).dump({"w": ZeroStrideTensor(FakeStorage("0", 4), (10 ** 10,))})
    torch_zip_with(tmp_path / "bomb.pt", buffer.getvalue(), {"0": np.zeros(4, np.float32).tobytes()})
    with pytest.raises(pickle.UnpicklingError, match="expanded far beyond its data"):
        T.load(tmp_path / "bomb.pt")


class ZeroStrideTensor(OutOfBoundsTensor):
    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, 0, self.size, (0,), False, collections.OrderedDict())


def test_scratch_file_naming_a_function_is_refused(tmp_path):
    """A hand-edited scratch file that names os.system as a class: refused by name, nothing imported or called."""
    T.save({"w": T.ones(1)}, tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (size,) = np.frombuffer(data[:8], dtype="<u8")
    header = json.loads(data[8:8 + int(size)])
    header["__metadata__"]["neuralab.scratch.structure"] = json.dumps(
        {"version": 1, "object": {"$object": "os.system", "state": {"$dict": []}}})
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    (tmp_path / "evil.pt").write_bytes(np.uint64(len(head)).tobytes() + head + data[8 + int(size):])
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL os.system"):
        T.load(tmp_path / "evil.pt")


@pytest.mark.parametrize("damage", [
    lambda data: data[:40],
    lambda data: b"PK\x03\x04" + data[4:200],
    lambda data: np.uint64(10 ** 9).tobytes() + data[8:],
], ids=["truncated", "bad_zip", "huge_header"])
def test_damaged_files_give_one_clear_error(tmp_path, damage):
    T.save({"w": T.ones(10)}, tmp_path / "ok.pt")
    (tmp_path / "bad.pt").write_bytes(damage((tmp_path / "ok.pt").read_bytes()))
    with pytest.raises((ValueError, pickle.UnpicklingError), match="torch.load"):
        T.load(tmp_path / "bad.pt")
