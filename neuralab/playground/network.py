"""The network playground: TensorFlow Playground's experiment, on either engine, and more.

One ``step`` is one optimizer update on ``batchSize`` training points (TF's "epoch" counter
is one pass over the training set; ``frame()["epoch"]`` counts those passes).
TF's loss, kept as the default (``loss=mse``): targets +1/-1, output ``tanh(z)``, and

    L = mean_n 0.5 (tanh(z_n) - t_n)^2  +  (regularizationRate / batchSize) sum_w R(w)

with ``R(w) = |w|`` (L1) or ``w^2 / 2`` (L2) on the weights (not biases): TF divides the
penalty's gradient by the batch size, so the same rate means the same pull here.
Regression uses a linear output. ``loss=cross_entropy`` trains a sigmoid (2 classes) or
softmax (k classes) head; multi-class ``mse`` uses k tanh outputs with +1/-1 targets.
Weights start as TF's (``init=tf``: U(-0.5, 0.5), biases 0.1; ``initZero``: zeros) or as
the engine's default (``init=torch``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save

from neuralab.playground import datasets, heatmap, net as net_module
from neuralab.playground.base import Playground, rounded
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.history import History
from neuralab.playground.limits import LIMITS
from neuralab.playground.optimizers import OPTIMIZERS, make_optimizer, set_lr
from neuralab.playground.settings import DATA, LIVE, REBUILD, VIEW, Setting
from neuralab.playground.tf_hash import to_hash

FEATURE_KEYS = tuple(net_module.FEATURES)
OUTPUT_SIZE = 100          # the output heatmap's cells per side (TF's DENSITY)
NEURON_FACTOR = 4          # neuron heatmaps: OUTPUT_SIZE / NEURON_FACTOR = 25 cells per side


def _specs() -> dict[str, Setting]:
    specs = [
        Setting("dataset", "choice", "circle", REBUILD, choices=datasets.CLASSIFICATION_SETS,
                about="the classification data set (TF key)"),
        Setting("regDataset", "choice", "reg-plane", REBUILD, choices=datasets.REGRESSION_SETS,
                about="the regression data set (TF key)"),
        Setting("problem", "choice", "classification", REBUILD, choices=("classification", "regression")),
        Setting("noise", "float", 0.0, DATA, 0, 50, about="TF's percent scale"),
        Setting("percTrainData", "float", 50.0, DATA, 10, 90),
        Setting("seed", "str", "0", DATA, about="seeds the data (and, with create(seed=), the weights)"),
        Setting("numPoints", "int", None, DATA, 4, LIMITS["max_points"], nullable=True,
                about="null: TF's 500 (classification) or 1200 (regression)"),
        Setting("classes", "int", 3, REBUILD, 2, LIMITS["max_classes"], about="classes of rings/spirals/blobs"),
        Setting("points", "points", None, DATA, nullable=True, about="the drawn or uploaded points"),
        *[Setting(key, "bool", key in ("x", "y"), REBUILD) for key in FEATURE_KEYS],
        Setting("networkShape", "widths", [4, 2], REBUILD),
        Setting("activation", "choice", "tanh", REBUILD, choices=net_module.ACTIVATIONS),
        Setting("activations", "choice_list", None, REBUILD, choices=net_module.ACTIVATIONS, nullable=True),
        Setting("learningRate", "float", 0.03, LIVE, 1e-6, 10),
        Setting("regularization", "choice", "none", LIVE, choices=("none", "L1", "L2")),
        Setting("regularizationRate", "float", 0.0, LIVE, 0, 10),
        Setting("batchSize", "int", 10, LIVE, 1, LIMITS["max_batch_size"]),
        Setting("loss", "choice", "mse", REBUILD, choices=("mse", "cross_entropy")),
        Setting("optimizer", "choice", "sgd", LIVE, choices=OPTIMIZERS),
        Setting("momentum", "float", 0.9, LIVE, 0, 0.999),
        Setting("dropout", "float", 0.0, REBUILD, 0, 0.9),
        Setting("batchNorm", "bool", False, REBUILD),
        Setting("residual", "bool", False, REBUILD),
        Setting("init", "choice", "tf", REBUILD, choices=("tf", "torch")),
        Setting("initZero", "bool", False, REBUILD),
        Setting("showTestData", "bool", False, VIEW),
        Setting("discretize", "bool", False, VIEW),
    ]
    return {spec.name: spec for spec in specs}


class NetworkPlayground(Playground):
    kind = "network"
    SETTINGS = _specs()

    # -- settings across keys ---------------------------------------------------------------
    def _check(self, s: dict) -> dict:
        if not any(s[key] for key in FEATURE_KEYS):
            raise PlaygroundError("features: expected at least one of " + ", ".join(FEATURE_KEYS) + " on, got none")
        if s["activations"] is not None and len(s["activations"]) != len(s["networkShape"]):
            raise PlaygroundError(f"activations: expected one per hidden layer ({len(s['networkShape'])}), "
                                  f"got {len(s['activations'])}")
        if s["batchNorm"] and s["batchSize"] < 2:
            raise PlaygroundError(f"batchSize: batch norm needs batches of at least 2 points, got {s['batchSize']}")
        if s["loss"] == "cross_entropy" and s["problem"] == "regression":
            raise PlaygroundError("loss: expected mse for a regression problem, got cross_entropy")
        datasets.check_given_points(s)
        return s

    def _effect(self, old: dict, new: dict):
        effect = super()._effect(old, new)
        if effect == DATA and datasets.classes_of(old) != datasets.classes_of(new):
            return REBUILD   # new points brought a new class: the output layer changes
        return effect

    # -- data -------------------------------------------------------------------------------
    @property
    def features(self) -> list[str]:
        return [key for key in FEATURE_KEYS if self.settings[key]]

    def _draw_data(self) -> None:
        s = self.settings
        self.problem = s["problem"]
        self.classes = datasets.classes_of(s)
        data = datasets.generate(s)
        self.data = data
        names = self.features
        self._train_x = net_module.feature_matrix(data["train_x"], names)
        self._test_x = net_module.feature_matrix(data["test_x"], names)
        self._train_t = self._targets(data["train_y"])
        self._test_t = self._targets(data["test_y"])
        self._order, self._cursor = np.zeros(0, dtype=np.int64), 0
        self._batch_rng = self.rng(2)
        self._losses_at = None

    @property
    def outputs(self) -> int:
        return self.classes if self.classes > 2 else 1

    @property
    def output_activation(self) -> str:
        if self.problem == "regression":
            return "linear"
        if self.settings["loss"] == "cross_entropy":
            return "softmax" if self.outputs > 1 else "sigmoid"
        return "tanh"

    def _targets(self, labels: np.ndarray):
        """The training targets of the loss (see the module docstring)."""
        if self.problem == "regression":
            return labels.astype(np.float32).reshape(-1, 1)
        labels = labels.astype(np.int64)
        if self.settings["loss"] == "cross_entropy":
            return labels if self.outputs > 1 else labels.astype(np.float32).reshape(-1, 1)
        if self.outputs == 1:
            return (2.0 * labels - 1).astype(np.float32).reshape(-1, 1)
        signs = -np.ones((len(labels), self.outputs), dtype=np.float32)
        signs[np.arange(len(labels)), labels] = 1.0
        return signs

    # -- networks ---------------------------------------------------------------------------
    def _build(self) -> None:
        s, T = self.settings, self.T
        widths = s["networkShape"]
        activations = s["activations"] or [s["activation"]] * len(widths)
        self.seed_engine(1)
        self.net = net_module.build(T, len(self.features), widths, activations, self.outputs,
                                    self.output_activation, s["dropout"], s["batchNorm"], s["residual"])
        if s["initZero"] or s["init"] == "tf":
            self._tf_init(zero=s["initZero"])
        self.net.train()
        self._make_optimizer()
        self._grid_x = T.from_numpy(net_module.feature_matrix(heatmap.grid(datasets.EXTENT, OUTPUT_SIZE), self.features))
        self._input_maps = self._encode_inputs()
        self.samples_seen = 0
        self.history = History(("train_loss", "test_loss"))
        self._losses_at = None
        self._record()

    def _tf_init(self, zero: bool) -> None:
        rng = self.rng(3)
        state = self.net.state_dict()
        for index, linear in enumerate(net_module.linears(self.net)):
            prefix = f"hidden.{index}.linear" if index < len(self.net.hidden) else "head"
            shape = tuple(linear.weight.shape)
            weight = np.zeros(shape) if zero else rng.uniform(-0.5, 0.5, shape)
            state[f"{prefix}.weight"] = self.T.from_numpy(weight.astype(np.float32))
            state[f"{prefix}.bias"] = self.T.from_numpy(np.full(shape[0], 0.0 if zero else 0.1, dtype=np.float32))
        self.net.load_state_dict(state)

    def _make_optimizer(self) -> None:
        s = self.settings
        self.optimizer = make_optimizer(self.T, s["optimizer"], list(self.net.parameters()), s["learningRate"],
                                        momentum=s["momentum"])
        self._optimizer_key = (s["optimizer"], s["momentum"])

    def _apply_live(self, old: dict) -> None:
        s = self.settings
        if (s["optimizer"], s["momentum"]) != self._optimizer_key:
            self._make_optimizer()   # a new optimizer (fresh state), the same weights
        set_lr(self.optimizer, s["learningRate"])

    # -- training ---------------------------------------------------------------------------
    def _data_loss(self, z, target):
        T, F = self.T, self.T.nn.functional
        if self.settings["loss"] == "cross_entropy":
            if self.outputs > 1:
                return F.cross_entropy(z, target)
            return F.binary_cross_entropy_with_logits(z, target)
        shown = T.tanh(z) if self.output_activation == "tanh" else z
        # TF's 0.5 * sum over outputs, mean over points, as one fused node (a third of a step's time)
        return (0.5 * shown.shape[1]) * F.mse_loss(shown, target)

    def _penalty(self, batch_size: int):
        s = self.settings
        if s["regularization"] == "none" or s["regularizationRate"] == 0:
            return None
        total = None
        for linear in net_module.linears(self.net):
            w = linear.weight
            term = w.abs().sum() if s["regularization"] == "L1" else 0.5 * (w * w).sum()
            total = term if total is None else total + term
        return (s["regularizationRate"] / batch_size) * total

    def _next_batch(self, size: int) -> np.ndarray:
        """The next ``size`` training indices of a stream of seeded per-pass permutations."""
        picked = []
        while size > 0:
            if self._cursor >= len(self._order):
                self._order, self._cursor = self._batch_rng.permutation(len(self._train_x)), 0
            take = self._order[self._cursor:self._cursor + size]
            self._cursor += len(take)
            size -= len(take)
            picked.append(take)
        return np.concatenate(picked)

    def _train(self, n: int, part) -> None:
        T = self.T
        size = min(self.settings["batchSize"], len(self._train_x))
        n_train = len(self._train_x)
        self.net.train()
        for _ in range(n):
            index = self._next_batch(size)
            x = T.from_numpy(self._train_x[index])
            target = T.from_numpy(self._train_t[index])
            self.optimizer.zero_grad()
            loss = self._data_loss(self.net(x), target)
            penalty = self._penalty(size)
            if penalty is not None:
                loss = loss + penalty
            loss.backward()
            self.optimizer.step()
            self.step_count += 1
            before = self.samples_seen // n_train
            self.samples_seen += size
            if self.samples_seen // n_train > before:
                self._record()
        self._losses_at = None

    def losses(self) -> tuple[float, float]:
        """Train and test loss now (data loss, no penalty; as TF shows them)."""
        if self._losses_at != self.step_count:
            T = self.T
            self.net.eval()
            with T.no_grad():
                train = self._data_loss(self.net(T.from_numpy(self._train_x)), T.from_numpy(self._train_t))
                test = self._data_loss(self.net(T.from_numpy(self._test_x)), T.from_numpy(self._test_t))
            self.net.train()
            self._losses = (float(train.item()), float(test.item()))
            self._losses_at = self.step_count
        return self._losses

    @property
    def epoch(self) -> int:
        return self.samples_seen // len(self._train_x)

    def _record(self) -> None:
        epoch = self.epoch
        if self.history.due(epoch):
            train, test = self.losses()
            self.history.add(self.step_count, train_loss=train, test_loss=test)

    def _linear_at(self, layer):
        linears = net_module.linears(self.net)
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(linears):
            raise PlaygroundError(f"layer: expected an integer in [0, {len(linears) - 1}], got {layer!r}")
        return linears[layer]

    @staticmethod
    def _check_index(name: str, index, size: int, layer: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise PlaygroundError(f"{name}: expected an integer in [0, {size - 1}] for layer {layer}, got {index!r}")

    @staticmethod
    def _check_edit(value) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or abs(value) > 1e3:
            raise PlaygroundError(f"value: expected a finite number within +-1000, got {value!r}")
        return float(value)

    def set_weight(self, layer: int, i: int, j: int, value: float) -> None:
        """Set the weight of the link from neuron ``i`` of ``layer`` (0: the input features) to
        neuron ``j`` of ``layer + 1``."""
        linear = self._linear_at(layer)
        fan_out, fan_in = tuple(linear.weight.shape)
        self._check_index("i", i, fan_in, layer)
        self._check_index("j", j, fan_out, layer)
        value = self._check_edit(value)
        with self.T.no_grad():
            linear.weight[j, i] = value
        self._losses_at = None

    def set_bias(self, layer: int, j: int, value: float) -> None:
        """Set the bias of neuron ``j`` of ``layer + 1`` (``frame()["biases"][layer][j]``)."""
        linear = self._linear_at(layer)
        self._check_index("j", j, tuple(linear.bias.shape)[0], layer)
        value = self._check_edit(value)
        with self.T.no_grad():
            linear.bias[j] = value
        self._losses_at = None

    # -- views ------------------------------------------------------------------------------
    def points(self) -> dict:
        d = self.data
        classification = self.problem == "classification"

        def rows(x, y):
            labels = y.astype(np.int64).tolist() if classification else np.round(y, 4).tolist()
            return [[a, b, label] for (a, b), label in zip(rounded(x), labels)]

        return {"train": rows(d["train_x"], d["train_y"]), "test": rows(d["test_x"], d["test_y"]),
                "classes": self.classes if classification else 0, "problem": self.problem,
                "extent": list(datasets.EXTENT)}

    def _encode_inputs(self) -> tuple[list[str], list[list[float]]]:
        values = net_module.feature_matrix(heatmap.grid(datasets.EXTENT, OUTPUT_SIZE), self.features)
        small = heatmap.block_mean(values, OUTPUT_SIZE, NEURON_FACTOR)
        maps, ranges = [], []
        for c in range(small.shape[2]):
            top = float(np.abs(values[:, c]).max()) or 1.0
            maps.append(heatmap.encode(small[:, :, c], -top, top))
            ranges.append([-top, top])
        return maps, ranges

    def _output_range(self) -> tuple[float, float]:
        return (0.0, 1.0) if self.output_activation in ("sigmoid", "softmax") else (-1.0, 1.0)

    def _frame(self) -> dict:
        T, s = self.T, self.settings
        self.net.eval()
        with T.no_grad():
            layers = [out.numpy() for out in self.net.layer_outputs(self._grid_x)]
        self.net.train()
        shown = layers[-1]
        size = OUTPUT_SIZE
        frame_out: dict = {}
        if self.outputs == 1:
            value = shown[:, 0]
            if self.output_activation == "sigmoid":
                value = 2 * value - 1     # the same -1..1 colour scale as TF's tanh output
            if s["discretize"]:
                value = np.where(value >= 0, 1.0, -1.0)
            frame_out["output"] = heatmap.encode(value, -1.0, 1.0)
            frame_out["output_range"] = [-1.0, 1.0]
        else:
            confidence = shown.max(1)
            if self.output_activation == "tanh":
                confidence = (confidence + 1) / 2
            if s["discretize"]:
                confidence = np.ones_like(confidence)
            frame_out["output"] = heatmap.encode(confidence, 0.0, 1.0)
            frame_out["output_range"] = [0.0, 1.0]
            frame_out["classes_map"] = heatmap.encode_bytes(shown.argmax(1).astype(np.uint8))
        input_maps, input_ranges = self._input_maps
        neurons, ranges = [list(input_maps)], [list(input_ranges)]
        out_lo, out_hi = self._output_range()
        for index, values in enumerate(layers):
            small = heatmap.block_mean(values, size, NEURON_FACTOR)
            lo, hi = (out_lo, out_hi) if index == len(layers) - 1 else (-1.0, 1.0)
            neurons.append(heatmap.encode_channels(small, lo, hi))
            ranges.append([[lo, hi]] * small.shape[2])
        train, test = self.losses()
        linears = net_module.linears(self.net)
        return {
            "kind": self.kind, "step": self.step_count, "epoch": self.epoch,
            "train_loss": round(train, 6), "test_loss": round(test, 6), "history": self.history.as_dict(),
            **frame_out, "output_shape": [size, size], "extent": list(datasets.EXTENT),
            "neurons": neurons, "neuron_ranges": ranges, "neuron_shape": [size // NEURON_FACTOR] * 2,
            "features": self.features,
            "weights": [rounded(linear.weight.detach().numpy().T) for linear in linears],
            "biases": [rounded(linear.bias.detach().numpy()) for linear in linears],
        }

    # -- export -----------------------------------------------------------------------------
    def export(self) -> dict[str, bytes]:
        """``model.safetensors`` (every tensor of the state dict), ``model.json`` (what rebuilds it)
        and ``model.py`` (:mod:`neuralab.playground.net`, runnable beside the other two)."""
        s = self.settings
        # np.array, not ascontiguousarray: that one turns the 0-d batch counters into shape (1,)
        state = {key: np.array(value.detach().cpu().numpy(), order="C") for key, value in self.net.state_dict().items()}
        tensors = save(state, metadata={"format": "neuralab-playground-network"})
        train, test = self.losses()
        config = {
            "format": "neuralab-playground-network", "version": 1,
            "features": self.features, "widths": s["networkShape"],
            "activations": s["activations"] or [s["activation"]] * len(s["networkShape"]),
            "outputs": self.outputs, "output_activation": self.output_activation,
            "dropout": s["dropout"], "batch_norm": s["batchNorm"], "residual": s["residual"],
            "problem": self.problem, "classes": self.classes if self.problem == "classification" else 0,
            "extent": list(datasets.EXTENT), "step": self.step_count, "epoch": self.epoch,
            "train_loss": train, "test_loss": test, "engine": self.engine, "seed": self.seed,
            "settings": {key: value for key, value in s.items() if key != "points"},
            "hash": to_hash(s), "safetensors_sha256": hashlib.sha256(tensors).hexdigest(),
        }
        return {"model.safetensors": tensors,
                "model.json": (json.dumps(config, indent=2) + "\n").encode(),
                "model.py": Path(net_module.__file__).read_bytes()}
