"""Overfitting and its cures: dropout, L2 weight decay, early stopping, augmentation.

Follows ``004:5650-6004`` (inventory E45-E48, D14), with the primers' lists of cures
(``001:134-146``, ``003:180-192``).
"""

# %% [markdown]
# # Overfitting and its cures
#
# The seed's best-practice chapter opens with overfitting (``004:5652-5664``): a model
# that memorises its training set scores 95%+ there and about 70% on new data, its
# training loss keeps falling while the validation loss climbs, and five cures are
# listed: dropout, L2 weight decay, early stopping, data augmentation and a smaller
# model. It then shows three of them on made-up numbers: a dropout mask on random
# activations, a weight decaying under a constant gradient, and early stopping on two
# simulated loss curves.
#
# We run each of the seed's demos as written (re-indented) and then do the real thing:
# a wide MLP that overfits 500 MNIST digits, trained on the engine with every cure in
# turn, all runs from the same initial weights and the same batch order, so that the
# only difference between two runs is the cure.

# %%
from dataclasses import dataclass, field

import numpy as np

from neuralab import data
from neuralab.data.augment import ImageAugment
from neuralab.lessons.claims import above, all_of, at_least, at_most, below, close, fraction, is_true
from neuralab.models import mlp
from neuralab.train import Callback, EarlyStopping, Trainer
from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure

ABOUT = {
    "title": "Overfitting and its cures",
    "part": "III. Practice",
    "section": "004:5650-6004",
    "claims": ("E45", "E46", "E47", "D14", "E48"),
    "seconds": 20,
    "engines": ("scratch", "torch"),
}

PATIENCE, MIN_DELTA = 15, 0.01   # the seed's early-stopping settings (004:5964)
L2_LAMBDAS = (1e-3, 1e-2, 1e-1)  # the seed's advised range, 0.001-0.1 (004:5900, 6017)
L2_CURE = 1e-2                   # "start with lambda = 0.01" (004:5900): the L2 of the cures
L1_LAMBDA = 1e-4


# %% [markdown]
# ## The bench: a wide MLP on a few hundred MNIST digits
#
# 500 training images drawn from MNIST's training split and 1000 validation images (500
# in quick mode) from its validation split; the network is 784-256-256-10 with ReLU
# (269,322 parameters, more than 500 per training image; 784-128-128-10 in quick mode),
# trained with SGD (lr 0.05, momentum 0.9, batches of 50) for 30 epochs, minimising
# cross-entropy. One result on one draw of 500 images can be luck, so the whole bench is
# repeated on three draws of the training images with three initialisations (two in
# quick mode); the curves and figures show the first. Within a draw every run starts
# from the same initial weights and sees the same batch order, so two runs differ only by
# their cure. The Trainer's own training loss is measured in training mode while the
# weights move; for the curves we re-measure the training set after every epoch in eval
# mode (no dropout, no augmentation), the same way as the validation set.

# %%
@dataclass
class Bench:
    """One draw of the shared setting. ``x``: (N, 1, 28, 28) float32 in [0, 1]; ``y``: (N,) int64."""

    key: int  # which draw: seeds the training subset, the initial weights and the batch order
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    sizes: tuple[int, ...]
    epochs: int
    lr: float = 0.05
    batch_size: int = 50


@dataclass
class Run:
    """One finished training run: its per-epoch curves (epochs from 1) and final measurements."""

    name: str
    model: object
    trainer: Trainer
    curves: dict[str, list] = field(default_factory=dict)  # train_loss/acc (eval mode), val_loss/acc
    final: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Train accuracy minus validation accuracy at the end."""
        return self.final["train_accuracy"] - self.final["val_accuracy"]


class CleanTrainMetrics(Callback):
    """After every epoch, the training set's loss and accuracy in eval mode."""

    def __init__(self, x, y):
        self.data, self.rows = (x, y), []

    def on_epoch_end(self, trainer, epoch, logs):
        self.rows.append(trainer.evaluate(self.data, batch_size=len(self.data[0]), split=None))


def make_benches(lesson) -> list[Bench]:
    """The draws of the bench: their own training images, one shared validation set."""
    splits = data.load("mnist")
    val = lesson.rng(45).choice(len(splits.val.x), lesson.pick(1000, 500), replace=False)
    width = lesson.pick(256, 128)
    benches = []
    for key in range(lesson.pick(3, 2)):
        train = lesson.rng(45, key).choice(len(splits.train.x), 500, replace=False)
        benches.append(Bench(key, splits.train.x[train], splits.train.y[train], splits.val.x[val], splits.val.y[val],
                             sizes=(784, width, width, 10), epochs=30))
    return benches


def weight_arrays(model) -> list[np.ndarray]:
    """The weight matrices of a model (biases left out), as NumPy."""
    return [p.detach().numpy() for name, p in model.named_parameters() if name.endswith("weight")]


def train(lesson, bench: Bench, name: str, *, sizes=None, dropout=0.0, weight_decay=0.0, l1=0.0,
          augment=None, curves=False, callbacks=()) -> Run:
    """Train one MLP on ``bench``; ``curves`` also measures train and val after every epoch.

    ``weight_decay`` is SGD's (it adds ``lambda * w`` to every gradient); ``l1`` adds
    ``l1 * sum |w|`` over the weight matrices to the loss.
    """
    T = lesson.T
    F = T.nn.functional
    seed = int(lesson.rng(450, bench.key).integers(2**31))
    T.manual_seed(seed)  # the same initial weights for every run of one architecture on one draw
    model = mlp.build(T, sizes or bench.sizes, dropout=dropout)
    optimizer = T.optim.SGD(model.parameters(), lr=bench.lr, momentum=0.9, weight_decay=weight_decay)
    loss_fn = F.cross_entropy
    if l1:
        weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
        loss_fn = lambda out, y: F.cross_entropy(out, y) + l1 * sum(w.abs().sum() for w in weights)  # noqa: E731
    clean = CleanTrainMetrics(bench.x_train, bench.y_train)
    trainer = Trainer(model, optimizer, loss_fn, engine=T, progress=False, seed=seed, augment=augment,
                      callbacks=[*callbacks, clean] if curves else list(callbacks))
    val = (bench.x_val, bench.y_val)
    history = trainer.fit((bench.x_train, bench.y_train), val if curves else None, epochs=bench.epochs,
                          batch_size=bench.batch_size, eval_batch_size=len(bench.x_val))
    run = Run(name, model, trainer)
    if curves:
        h = history.to_dict()
        run.curves = {"train_loss": [r["loss"] for r in clean.rows], "train_accuracy": [r["accuracy"] for r in clean.rows],
                      "val_loss": list(h["val_loss"]), "val_accuracy": list(h["val_accuracy"]),
                      "running_train_loss": list(h["train_loss"])}
    on_train = trainer.evaluate((bench.x_train, bench.y_train), batch_size=len(bench.x_train), split=None)
    on_val = trainer.evaluate(val, batch_size=len(bench.x_val), split=None)
    weights = np.concatenate([w.ravel() for w in weight_arrays(model)])
    run.final = {"train_loss": on_train["loss"], "train_accuracy": on_train["accuracy"],
                 "val_loss": on_val["loss"], "val_accuracy": on_val["accuracy"],
                 "weight_sq_norm": float(np.sum(weights.astype(np.float64) ** 2)),
                 "share_below_1e-3": float(np.mean(np.abs(weights) < 1e-3))}
    return run


def mean_of(runs, key):
    """The mean over draws of a final measurement (``"gap"`` for the accuracy gap)."""
    return float(np.mean([r.gap if key == "gap" else r.final[key] for r in runs]))


# %% [markdown]
# ## E45, the signs: train 95%+, validation far lower, validation loss turning up (``004:5652-5658``)
#
# The baseline has no cure. On every draw we read off the signs the seed lists: the final
# training and validation accuracy and their gap, the epoch where the validation loss is
# lowest (where it "turns up"), how far it has risen by the end, and whether the training
# loss kept falling after that epoch.

# %%
def overfitting_signs(run: Run) -> dict:
    """The seed's signs of overfitting, read off one run's curves."""
    c = run.curves
    turn = int(np.argmin(c["val_loss"]))  # index; epoch turn + 1
    return {"train_accuracy": run.final["train_accuracy"], "val_accuracy": run.final["val_accuracy"],
            "accuracy_gap": run.gap, "val_loss_min": float(c["val_loss"][turn]), "val_loss_min_epoch": turn + 1,
            "val_loss_end": run.final["val_loss"], "val_loss_rise": run.final["val_loss"] / float(c["val_loss"][turn]) - 1.0,
            "train_loss_at_val_min": float(c["train_loss"][turn]), "train_loss_end": run.final["train_loss"],
            "val_accuracy_at_val_loss_min": float(c["val_accuracy"][turn])}


def overfitting_baseline(lesson, benches: list[Bench]):
    bases = [train(lesson, bench, "baseline", curves=True) for bench in benches]
    per_draw = [overfitting_signs(run) for run in bases]
    first, bench = per_draw[0], benches[0]
    signs = {
        "train_size": len(bench.x_train), "val_size": len(bench.x_val), "epochs": bench.epochs, "draws": len(bases),
        "parameters": sum(int(np.prod(p.shape)) for p in bases[0].model.parameters()),
        **first,
        **{f"{key}_per_draw": [d[key] for d in per_draw]
           for key in ("train_accuracy", "val_accuracy", "val_loss_min_epoch", "val_loss_rise")},
        "min_train_accuracy": min(d["train_accuracy"] for d in per_draw),
        "min_accuracy_gap": min(d["accuracy_gap"] for d in per_draw),
        "min_val_loss_rise": min(d["val_loss_rise"] for d in per_draw),
        "train_loss_fell_after_val_min_every_draw": all(d["train_loss_end"] < d["train_loss_at_val_min"] for d in per_draw),
        "val_accuracy_rose_after_val_min_draws": sum(d["val_accuracy"] > d["val_accuracy_at_val_loss_min"] for d in per_draw),
    }
    c, turn = bases[0].curves, first["val_loss_min_epoch"]
    epochs = np.arange(1, bench.epochs + 1)
    fig = new_figure(12.0, 4.4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, c["train_loss"], color=TRAIN_COLOR, lw=2, label="training (eval mode)")
    ax_loss.plot(epochs, c["val_loss"], color=VAL_COLOR, lw=2, label="validation")
    ax_loss.axvline(turn, color="gray", ls="--", label=f"val loss lowest: epoch {turn}")
    ax_loss.set_yscale("log"); ax_loss.set_ylabel("cross-entropy loss (log scale)")
    ax_loss.set_title(f"Loss: validation {first['val_loss_rise']:.0%} up from epoch {turn} to the end")
    ax_acc.plot(epochs, 100 * np.array(c["train_accuracy"]), color=TRAIN_COLOR, lw=2, label="training")
    ax_acc.plot(epochs, 100 * np.array(c["val_accuracy"]), color=VAL_COLOR, lw=2, label="validation")
    ax_acc.axhline(95, color=TRAIN_COLOR, ls=":", alpha=0.6, label="the seed's 95%")
    ax_acc.axhline(70, color=VAL_COLOR, ls=":", alpha=0.6, label="the seed's 70%")
    ax_acc.axvline(turn, color="gray", ls="--")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.set_title(f"Accuracy: {first['train_accuracy']:.1%} training vs {first['val_accuracy']:.1%} validation")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch"); ax.grid(alpha=0.3); ax.legend(fontsize=9)
    fig.suptitle(f"A {'-'.join(map(str, bench.sizes))} MLP on {len(bench.x_train)} MNIST digits overfits (first draw)")
    return bases, signs, lesson.figure("overfitting-curves", fig)


# %% [markdown]
# ## E46: dropout, the seed's layer and the engine's (``004:5669-5742``)
#
# The seed's ``DropoutLayer`` is inverted dropout: in training it draws a 0/1 mask that
# keeps each unit with probability ``1 - p`` and divides the kept values by ``1 - p``, so
# every unit's expected output equals its input (``E[mask] / (1 - p) = 1``); at test time
# it returns its input unchanged. (Its docstring says inference "just scales"; the code,
# rightly for the inverted form, does nothing.) Its backward multiplies the upstream
# gradient by the same ``mask / (1 - p)``. The seed applies it with ``p = 0.5`` to
# ``randn(100, 20)`` and expects about half the values zeroed.
#
# We measure the zeroed fraction, the factor on every surviving value, the expectation
# (over 200 fresh masks, ``E[out] / x`` averaged over the 2000 units) and the identity at
# eval, for the seed's layer and for the engine's ``nn.Dropout`` in train and eval mode,
# and check the seed's hand-written backward against the engine's autograd on the
# engine's own mask (float64).

# %%
class DropoutLayer:
    """The seed's inverted dropout (``004:5669-5698``), re-indented.

    ``forward(X)``: X (any shape) -> X * mask / (1 - p) in training, X at inference;
    ``backward(G)``: G -> G * mask / (1 - p). The mask comes from ``rng`` (the seed
    uses NumPy's global generator).
    """

    def __init__(self, dropout_rate=0.5, rng=None):
        self.dropout_rate = dropout_rate
        self.mask = None
        self.rng = rng if rng is not None else np.random.default_rng()

    def forward(self, X, training=True):
        if training:
            self.mask = self.rng.binomial(1, 1 - self.dropout_rate, size=X.shape)  # 1 = keep, 0 = drop
            return X * self.mask / (1 - self.dropout_rate)
        return X

    def backward(self, grad_output):
        return grad_output * self.mask / (1 - self.dropout_rate)


def dropout_mechanics(lesson):
    T = lesson.T
    rng = lesson.rng(46)
    activations = rng.standard_normal((100, 20))  # 100 samples, 20 units (004:5704)
    dropout = DropoutLayer(dropout_rate=0.5, rng=rng)
    dropped = dropout.forward(activations, training=True)
    kept = dropout.mask == 1
    seed_scale = dropped[kept] / activations[kept]
    seed_expectation = float(np.mean([dropout.forward(activations) / activations for _ in range(200)]))
    seed_eval_identity = bool(np.array_equal(dropout.forward(activations, training=False), activations))

    layer = T.nn.Dropout(0.5)
    T.manual_seed(lesson.seed)
    x = T.tensor(activations, requires_grad=True)
    out = layer(x)
    out.sum().backward()
    engine_out = out.detach().numpy()
    engine_kept = engine_out != 0
    dropout.mask = engine_kept.astype(float)  # the seed's backward on the engine's mask
    grad_gap = float(np.abs(x.grad.numpy() - dropout.backward(np.ones_like(activations))).max())
    lesson.check("E46: the seed's dropout backward equals the engine's autograd (same mask)", grad_gap < 1e-12,
                 f"max |difference| {grad_gap:.2e}")
    with T.no_grad():
        xt = T.tensor(activations)
        engine_expectation = float(np.mean([layer(xt).numpy() / activations for _ in range(200)]))
        layer.eval()
        engine_eval_identity = bool(np.array_equal(layer(xt).numpy(), activations))
    measured = {
        "seed_fraction_zeroed": float(np.mean(dropped == 0)), "seed_survivor_scale_min": float(seed_scale.min()),
        "seed_survivor_scale_max": float(seed_scale.max()), "seed_expectation_ratio": seed_expectation,
        "seed_eval_identity": seed_eval_identity,
        "engine_fraction_zeroed": float(np.mean(~engine_kept)),
        "engine_survivor_scale_min": float((engine_out[engine_kept] / activations[engine_kept]).min()),
        "engine_survivor_scale_max": float((engine_out[engine_kept] / activations[engine_kept]).max()),
        "engine_expectation_ratio": engine_expectation, "engine_eval_identity": engine_eval_identity,
        "backward_vs_autograd_max_diff": grad_gap,
    }

    fig = new_figure(17.0, 4.2)
    axes = fig.subplots(1, 4, width_ratios=[1, 1, 1, 1.15])
    shown = [(activations, "Original activations", "RdBu", -3, 3),
             (kept.astype(float), "Dropout mask (white = kept, black = dropped)", "Greys_r", 0, 1),
             (dropped, f"After dropout: {measured['seed_fraction_zeroed']:.1%} zeroed, kept x2", "RdBu", -3, 3)]
    for ax, (values, title, cmap, lo, hi) in zip(axes, shown):
        image = ax.imshow(values[:20].T, cmap=cmap, aspect="auto", vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=10); ax.set_xlabel("sample"); ax.set_ylabel("unit")
        ax.set_xticks(range(0, 20, 5)); ax.set_yticks(range(0, 20, 5))
        fig.colorbar(image, ax=ax)
    bins = np.linspace(-7, 7, 57)
    axes[3].hist(activations.ravel(), bins=bins, alpha=0.6, label=f"before (mean {activations.mean():+.3f})")
    axes[3].hist(dropped.ravel(), bins=bins, alpha=0.6, label=f"after, training (mean {dropped.mean():+.3f})")
    axes[3].set_yscale("log"); axes[3].set_xlabel("activation value"); axes[3].set_ylabel("count (log)")
    axes[3].set_title("Values: a spike at 0, survivors spread x2", fontsize=10); axes[3].legend(fontsize=8)
    fig.suptitle("The seed's inverted dropout, p = 0.5, on randn(100, 20) (first 20 samples shown)")
    return measured, lesson.figure("dropout-mask", fig, shows="V43")


# %% [markdown]
# ### What dropout does to the overfitting run
#
# The seed says dropout keeps units from leaning on each other and forces redundant
# features (``004:5666, 5737-5740``). The measurable consequence: the same MLP with
# ``nn.Dropout(0.5)`` after each hidden layer, from the same initial weights, should end
# with a smaller train-validation gap and at least the baseline's validation accuracy.

# %%
def dropout_run(lesson, benches: list[Bench], bases: list[Run], mechanics: dict, mask_figure: str):
    dropped = [train(lesson, bench, "dropout 0.5", dropout=0.5, curves=bench.key == 0) for bench in benches]
    base, first = bases[0], dropped[0]
    epochs = np.arange(1, benches[0].epochs + 1)
    fig = new_figure(12.0, 4.4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for run, style, label in ((base, ":", "no dropout"), (first, "-", "dropout 0.5")):
        ax_loss.plot(epochs, run.curves["train_loss"], style, color=TRAIN_COLOR, lw=2, label=f"training, {label}")
        ax_loss.plot(epochs, run.curves["val_loss"], style, color=VAL_COLOR, lw=2, label=f"validation, {label}")
        ax_acc.plot(epochs, 100 * np.array(run.curves["train_accuracy"]), style, color=TRAIN_COLOR, lw=2,
                    label=f"training, {label}")
        ax_acc.plot(epochs, 100 * np.array(run.curves["val_accuracy"]), style, color=VAL_COLOR, lw=2,
                    label=f"validation, {label} ({100 * run.final['val_accuracy']:.1f}%)")
    ax_loss.set_yscale("log"); ax_loss.set_ylabel("cross-entropy loss (log scale)")
    ax_loss.set_title("Loss with and without dropout (first draw)")
    ax_acc.set_ylabel("accuracy (%)"); ax_acc.set_ylim(60, 101)
    ax_acc.set_title(f"Gap {base.gap:.1%} without, {first.gap:.1%} with dropout")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch"); ax.grid(alpha=0.3); ax.legend(fontsize=8)
    curves_figure = lesson.figure("dropout-curves", fig)

    measured = {**mechanics, "draws": len(benches),
                "val_accuracy_without_per_draw": [r.final["val_accuracy"] for r in bases],
                "val_accuracy_with_per_draw": [r.final["val_accuracy"] for r in dropped],
                "mean_val_accuracy_without": mean_of(bases, "val_accuracy"),
                "mean_val_accuracy_with": mean_of(dropped, "val_accuracy"),
                "mean_gap_without": mean_of(bases, "gap"), "mean_gap_with": mean_of(dropped, "gap"),
                "mean_val_loss_end_without": mean_of(bases, "val_loss"),
                "mean_val_loss_end_with": mean_of(dropped, "val_loss")}
    helps = measured["mean_gap_with"] < measured["mean_gap_without"] and \
        measured["mean_val_accuracy_with"] >= measured["mean_val_accuracy_without"]
    lesson.claim(
        id="E46", seed_ref="004:5666-5742",
        claim="Inverted dropout with rate 0.5 zeroes about half of the activations in training, scales the "
              "survivors by 1/(1 - p) = 2 so each unit keeps its expected value, is switched off at test time, "
              "and makes a network generalise better by stopping units from co-adapting.",
        measured=measured,
        rule=all_of(*(part for who in ("seed", "engine") for part in (
            close(f"{who}_fraction_zeroed", 0.5, 0.05), close(f"{who}_survivor_scale_min", 2.0, 1e-12),
            close(f"{who}_survivor_scale_max", 2.0, 1e-12), close(f"{who}_expectation_ratio", 1.0, 0.02),
            is_true(f"{who}_eval_identity"))),
            below("mean_gap_with", "mean_gap_without"),
            at_least("mean_val_accuracy_with", "mean_val_accuracy_without")),
        correction=None if helps else
            f"The mechanics are as the seed says, but on the overfitting MLP dropout 0.5 does not both narrow "
            f"the gap and keep the accuracy: mean gap {measured['mean_gap_with']:.1%} with against "
            f"{measured['mean_gap_without']:.1%} without, mean validation accuracy "
            f"{measured['mean_val_accuracy_with']:.1%} against {measured['mean_val_accuracy_without']:.1%}.",
        figures=[mask_figure, curves_figure])
    return dropped


# %% [markdown]
# ## E47: L2 weight decay, the seed's numbers (``004:5745-5845``)
#
# With the penalty ``lambda/2 * w^2`` the gradient gains ``lambda * w`` and one step of
# gradient descent becomes ``w <- (1 - lr lambda) w - lr dL/dw``: the weight is first
# multiplied by ``1 - lr lambda`` (0.9999 for lr = lambda = 0.01, ``004:5787``). The seed's
# single step from ``w = 2`` with data gradient 0.5 and lr 0.1 gives 1.95, 1.948, 1.93 and
# 1.75 for lambda = 0, 0.01, 0.1, 1 (``004:5796-5810``); it says the weights "gradually
# shrink toward zero" (``004:5788``) and then repeats the step 100 times (lambda = 0,
# 0.01, 0.1) with the same constant gradient (``004:5811-5845``).
#
# Those 100 steps shrink nothing toward zero: a constant gradient ``g`` keeps
# pushing the weight down, and the decay only pulls it toward the fixed point
# ``w* = -g / lambda`` (-50, -5 and -0.5 for lambda = 0.01, 0.1, 1), along
# ``w_t = w* + (w_0 - w*) (1 - lr lambda)^t``. We measure where each run ends, when it
# crosses zero and how far it is from the closed form.

# %%
def l2_single_weight(lesson):
    lr, w0, g = 0.1, 2.0, 0.5  # 004:5792-5795
    step = {lam: (1 - lr * lam) * w0 - lr * g for lam in (0.0, 0.01, 0.1, 1.0)}
    histories = {}
    for lam in (0.0, 0.01, 0.1, 1.0):  # the seed's loop takes 0, 0.01, 0.1; we add its lambda = 1
        w, history = w0, [w0]
        for _ in range(100):
            w = (1 - lr * lam) * w - lr * g
            history.append(w)
        histories[lam] = np.array(history)
    t = np.arange(101)
    closed = {lam: (w0 - lr * g * t if lam == 0 else -g / lam + (w0 + g / lam) * (1 - lr * lam) ** t) for lam in histories}
    measured = {f"step_lambda_{lam:g}": v for lam, v in step.items()}
    measured.update({f"shrinkage_lambda_{lam:g}": w0 - v for lam, v in step.items()})
    measured["decay_factor_lr0.01_lambda0.01"] = 1 - 0.01 * 0.01
    measured.update({f"final_w_lambda_{lam:g}": float(h[-1]) for lam, h in histories.items()})
    measured.update({f"zero_crossing_step_lambda_{lam:g}": int(np.argmax(h < 0)) for lam, h in histories.items()})
    measured["closed_form_max_diff"] = float(max(np.abs(histories[lam] - closed[lam]).max() for lam in histories))
    measured["seed_loop_shrinks_toward_zero"] = bool(all(abs(histories[lam][-1]) < w0 for lam in (0.01, 0.1)))
    return measured, histories


# %% [markdown]
# ### The 50-weight demo (``004:5846-5905``)
#
# The seed's second demo draws 50 weights ``randn(50) * 2``, adds a fresh random "data
# gradient" ``randn(50) * 0.1`` at every one of 100 steps (lr 0.1) and shows ten
# trajectories per lambda with the final ``||W||^2`` in each title: larger lambda,
# smaller weights. Its noise has mean zero, so without decay each weight does a small
# random walk (step 0.01); with decay ``1 - lr lambda = 0.9`` (lambda = 1) the start is
# forgotten within a few dozen steps and the weights jitter around zero with standard
# deviation ``lr * 0.1 / sqrt(1 - 0.9^2) = 0.023``, crossing it at random: that is why its
# lambda = 1 panel shows lines on both sides of zero.
#
# One catch: the seed draws new initial weights for every lambda, so its four titles
# compare different starting weights as well as different lambdas. We repeat the demo
# over 20 seeds as written, and again with one draw of weights and noise shared by all
# four lambdas.

# %%
def fifty_weights(rng, lambdas=(0.0, 0.01, 0.1, 1.0), shared=False, steps=100, lr=0.1):
    """The seed's 50-weight demo; returns {lambda: history (steps + 1, 50)}.

    ``shared=False`` draws initial weights and noise afresh for each lambda, as the seed
    does; ``shared=True`` gives every lambda the same draws.
    """
    draw = lambda: (rng.standard_normal(50) * 2.0, rng.standard_normal((steps, 50)) * 0.1)  # noqa: E731
    shared_draws = draw() if shared else None
    out = {}
    for lam in lambdas:
        weights, noise = shared_draws or draw()
        history = [weights.copy()]
        for grad_data in noise:
            weights = weights - lr * (grad_data + lam * weights)  # the seed's grad_l2 = lambda * W (004:5871)
            history.append(weights.copy())
        out[lam] = np.array(history)
    return out


def l2_fifty_weights(lesson):
    seeds = 20
    def decreasing(runs):
        norms = [np.sum(h[-1] ** 2) for h in runs.values()]
        return bool(np.all(np.diff(norms) < 0))
    as_written = [fifty_weights(lesson.rng(47, k)) for k in range(seeds)]
    shared = [fifty_weights(lesson.rng(47, k), shared=True) for k in range(seeds)]
    demo = as_written[0]
    tail = np.concatenate([runs[1.0][70:].ravel() for runs in shared])  # lambda = 1, once 0.9^t has forgotten the start
    measured = {
        "seeds": seeds,
        "seeds_norm_decreasing_as_written": sum(decreasing(r) for r in as_written),
        "seeds_norm_decreasing_shared_draws": sum(decreasing(r) for r in shared),
        **{f"demo_final_sq_norm_lambda_{lam:g}": float(np.sum(h[-1] ** 2)) for lam, h in demo.items()},
        **{f"mean_final_sq_norm_lambda_{lam:g}": float(np.mean([np.sum(r[lam][-1] ** 2) for r in shared]))
           for lam in demo},
        "lambda1_jitter_std": float(tail.std()), "lambda1_jitter_std_theory": 0.1 * 0.1 / np.sqrt(1 - 0.9 ** 2),
        "lambda1_share_sign_flipped": float(np.mean([np.mean(np.sign(r[1.0][-1]) != np.sign(r[1.0][0])) for r in shared])),
        "lambda0_share_sign_flipped": float(np.mean([np.mean(np.sign(r[0.0][-1]) != np.sign(r[0.0][0])) for r in shared])),
    }
    fig = new_figure(12.0, 8.0)
    for ax, (lam, history) in zip(fig.subplots(2, 2).ravel(), demo.items()):
        ax.plot(history[:, :10], alpha=0.7, lw=1.5)
        ax.axhline(0, color="black", ls="--", lw=1)
        ax.set_title(f"lambda = {lam:g}: final ||W||² = {np.sum(history[-1] ** 2):.2f}")
        ax.set_xlabel("step"); ax.set_ylabel("weight value"); ax.grid(alpha=0.3)
    fig.suptitle("The seed's 50-weight demo (10 of 50 shown; new starting weights for each lambda, as written)")
    return measured, lesson.figure("l2-fifty-weights", fig, shows="V45")


# %% [markdown]
# ## D14: which L2? (``004:5761-5779`` vs ``5852, 5903-5904``)
#
# The seed writes the penalty two ways. Its derivation uses ``lambda/2 ||W||^2``, gradient
# ``lambda W``, and so does its 50-weight code (``grad_l2 = lambda * weights``), although
# the comment above it says ``lambda ||W||^2``; its closing "implementation" prints
# ``loss = data_loss + lambda * sum(w^2)`` with gradient ``2 lambda W``. The two are the
# same family with lambda rescaled: ``lambda sum w^2`` at lambda is ``lambda/2 ||W||^2`` at
# ``2 lambda``. So the same "lambda = 0.01" means two different strengths in the seed.
#
# We take both penalties' gradients by autograd (float64) against the hand-derived
# ``lambda W`` and ``2 lambda W``, run the 50-weight demo under each, and find which
# convention ``T.optim.SGD(weight_decay=lambda)`` implements, from one step on a
# parameter whose data gradient we know.

# %%
def l2_conventions(lesson):
    T = lesson.T
    rng = lesson.rng(14)
    w0 = rng.standard_normal(50) * 2.0
    noise = rng.standard_normal((100, 50)) * 0.1
    lam, lr = 0.1, 0.1

    w = T.tensor(w0, requires_grad=True)
    (lam / 2 * (w * w).sum()).backward()
    half_gap = float(np.abs(w.grad.numpy() - lam * w0).max())
    w = T.tensor(w0, requires_grad=True)
    (lam * (w * w).sum()).backward()
    sum_gap = float(np.abs(w.grad.numpy() - 2 * lam * w0).max())
    lesson.check("D14: autograd of lambda/2 ||W||^2 is lambda W, of lambda sum w^2 is 2 lambda W",
                 max(half_gap, sum_gap) < 1e-12, f"max differences {half_gap:.1e}, {sum_gap:.1e}")

    def trajectory(penalty_grad):
        weights, history = w0.copy(), [w0.copy()]
        for grad_data in noise:
            weights = weights - lr * (grad_data + penalty_grad(weights))
            history.append(weights)
        return np.array(history)

    half = lambda lam_: trajectory(lambda v: lam_ * v)       # lambda/2 ||W||^2  # noqa: E731
    summed = lambda lam_: trajectory(lambda v: 2 * lam_ * v)  # lambda sum w^2    # noqa: E731
    same_lambda_gap = float(np.abs(summed(lam) - half(lam)).max())
    doubled_gap = float(np.abs(summed(lam) - half(2 * lam)).max())

    # One SGD step with weight_decay on the data loss sum(g * p), whose gradient is g.
    g = noise[0]
    p = T.nn.Parameter(T.tensor(w0.copy()))
    optimizer = T.optim.SGD([p], lr=lr, weight_decay=lam)
    optimizer.zero_grad()
    (p * T.tensor(g)).sum().backward()
    optimizer.step()
    stepped = p.detach().numpy()
    measured = {
        "lambda": lam, "lr": lr,
        "trajectories_same_lambda_max_diff": same_lambda_gap,
        "sum_at_lambda_vs_half_at_2lambda_max_diff": doubled_gap,
        "final_sq_norm_half_convention": float(np.sum(half(lam)[-1] ** 2)),
        "final_sq_norm_sum_convention": float(np.sum(summed(lam)[-1] ** 2)),
        "weight_decay_vs_half_convention": float(np.abs(stepped - (w0 - lr * (g + lam * w0))).max()),
        "weight_decay_vs_sum_convention": float(np.abs(stepped - (w0 - lr * (g + 2 * lam * w0))).max()),
        "autograd_half_gap": half_gap, "autograd_sum_gap": sum_gap,
    }
    return measured, (half(lam), summed(lam), half(2 * lam))


def l2_demo_figure(lesson, histories, conventions, lam):
    fig = new_figure(13.0, 4.6)
    ax_one, ax_conv = fig.subplots(1, 2)
    for lam_, history in histories.items():
        ax_one.plot(history, lw=2, marker="o", markersize=3, markevery=10,
                    label=f"lambda = {lam_:g}{' (added)' if lam_ == 1.0 else ''}: ends at {history[-1]:+.3f}")
    for lam_ in (0.1, 1.0):
        ax_one.axhline(-0.5 / lam_, ls=":", color="gray")
        ax_one.text(2, -0.5 / lam_ - 0.08, f"fixed point -g/lambda = {-0.5 / lam_:g} for lambda = {lam_:g}",
                    va="top", fontsize=8, color="gray")
    ax_one.axhline(0, color="#d62728", ls="--", lw=1, alpha=0.6, label="zero")
    ax_one.set_xlabel("iteration"); ax_one.set_ylabel("weight value")
    ax_one.set_title("The seed's single weight, constant data gradient 0.5:\nit crosses zero and heads for -g/lambda")
    half, summed, doubled = conventions
    for i in range(4):
        ax_conv.plot(half[:, i], color="#1f77b4", lw=2, label="lambda/2 ||W||², lambda = 0.1" if i == 0 else None)
        ax_conv.plot(summed[:, i], color="#ff7f0e", lw=4, alpha=0.5, label="lambda sum w², lambda = 0.1" if i == 0 else None)
        ax_conv.plot(doubled[:, i], "k:", lw=1.5, label="lambda/2 ||W||², lambda = 0.2" if i == 0 else None)
    ax_conv.set_xlabel("step"); ax_conv.set_ylabel("weight value")
    ax_conv.set_title(f"D14: the seed's two L2 formulas at the same lambda = {lam:g}\n"
                      "(4 of 50 weights; dotted = the first at 2 lambda)")
    for ax in (ax_one, ax_conv):
        ax.grid(alpha=0.3); ax.legend(fontsize=8)
    return lesson.figure("l2-single-weight", fig, shows="V44")


# %% [markdown]
# ### L2 and L1 on the real run
#
# The same MLP (first draw) with SGD's ``weight_decay`` at lambda = 0.001, 0.01, 0.1, the
# seed's advised range. We measure the weights' ``||W||^2`` and the
# accuracies against lambda. For L1 (``001:143`` lists it beside L2) we add
# ``1e-4 * sum |w|`` to the loss: its gradient has the same size for every weight, so it
# can drive weights that the data does not need all the way to zero (the weights from
# pixels that are blank in every training image get no data gradient at all), while
# L2's pull fades as the weight shrinks. We count the share of weights with
# ``|w| < 1e-3`` under each, over all weights and over those blank-pixel weights.

# %%
def l2_sweep(lesson, bench: Bench, base: Run):
    runs = {0.0: base, **{lam: train(lesson, bench, f"L2 {lam:g}", weight_decay=lam) for lam in L2_LAMBDAS}}
    l1 = train(lesson, bench, f"L1 {L1_LAMBDA:g}", l1=L1_LAMBDA)
    norms = [runs[lam].final["weight_sq_norm"] for lam in runs]
    blank = np.all(bench.x_train.reshape(len(bench.x_train), -1) == 0, axis=0)  # pixels no training image uses
    first_layer = lambda run: weight_arrays(run.model)[0]  # (width, 784)  # noqa: E731

    fig = new_figure(16.0, 4.6)
    ax_norm, ax_acc, ax_hist = fig.subplots(1, 3)
    xs = np.arange(len(runs))
    labels = [f"{lam:g}" for lam in runs]
    ax_norm.bar(xs, norms, color="#1f77b4")
    for x, v in zip(xs, norms):
        ax_norm.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=9)
    ax_norm.set_yscale("log"); ax_norm.set_ylabel("||W||² of all weight matrices (log)")
    ax_norm.set_title("Weight size against lambda")
    for key, color, label in (("train_accuracy", TRAIN_COLOR, "training"), ("val_accuracy", VAL_COLOR, "validation")):
        ax_acc.plot(xs, [100 * runs[lam].final[key] for lam in runs], "o-", color=color, lw=2, label=label)
    ax_acc.axhline(100 * base.final["val_accuracy"], color=VAL_COLOR, ls=":", alpha=0.6, label="validation, no L2")
    ax_acc.set_ylabel("accuracy (%)"); ax_acc.set_title("Accuracy against lambda")
    for ax in (ax_norm, ax_acc):
        ax.set_xticks(xs, labels); ax.set_xlabel("L2 lambda (SGD weight_decay)"); ax.grid(alpha=0.3)
    ax_acc.legend(fontsize=9)
    bins = np.logspace(-8, 0, 49)
    for run, color in ((base, "gray"), (runs[L2_CURE], "#1f77b4"), (l1, "#2ca02c")):
        values = np.abs(np.concatenate([w.ravel() for w in weight_arrays(run.model)]))
        ax_hist.hist(np.maximum(values, 1e-8), bins=bins, histtype="step", lw=2, color=color,
                     label=f"{run.name}: {run.final['share_below_1e-3']:.1%} below 1e-3")
    ax_hist.axvline(1e-3, color="black", ls="--", lw=1)
    ax_hist.set_xscale("log"); ax_hist.set_yscale("log")
    ax_hist.set_xlabel("|w| (values below 1e-8 counted at 1e-8)"); ax_hist.set_ylabel("number of weights")
    ax_hist.set_title("L1 pushes many weights to ~0, L2 only shrinks them"); ax_hist.legend(fontsize=8)
    ax_hist.grid(alpha=0.3)
    figure = lesson.figure("l2-sweep", fig)
    measured = {
        **{f"real_sq_norm_lambda_{lam:g}": runs[lam].final["weight_sq_norm"] for lam in runs},
        **{f"real_val_accuracy_lambda_{lam:g}": runs[lam].final["val_accuracy"] for lam in runs},
        **{f"real_train_accuracy_lambda_{lam:g}": runs[lam].final["train_accuracy"] for lam in runs},
        **{f"share_below_1e-3_L2_{lam:g}": runs[lam].final["share_below_1e-3"] for lam in runs},
        "share_below_1e-3_L1": l1.final["share_below_1e-3"], "val_accuracy_L1": l1.final["val_accuracy"],
        "blank_pixels": int(blank.sum()),
        **{f"blank_pixel_weights_below_1e-3_{run.name.replace(' ', '_')}":
           float(np.mean(np.abs(first_layer(run)[:, blank]) < 1e-3)) for run in (base, runs[L2_CURE], l1)},
        "real_norm_decreasing": bool(np.all(np.diff(norms) < 0)),
    }
    return runs, l1, measured, figure


def l2_claims(lesson, single, fifty, fifty_figure, conventions, conventions_runs, sweep_measured, sweep_figure):
    one_figure = l2_demo_figure(lesson, single[1], conventions_runs, conventions["lambda"])
    s, f = single[0], fifty
    lesson.claim(
        id="E47", seed_ref="004:5745-5905",
        claim="L2 regularisation turns each gradient step into w <- (1 - lr lambda) w - lr dL/dw, so from w = 2 "
              "with data gradient 0.5 and lr 0.1 one step gives 1.95, 1.948, 1.93, 1.75 for lambda = 0, 0.01, "
              "0.1, 1; repeated steps make the weights shrink toward zero, and a larger lambda gives smaller weights.",
        measured={**s, **f, **sweep_measured},
        rule=all_of(close("step_lambda_0", 1.95, 1e-12), close("step_lambda_0.01", 1.948, 1e-12),
                    close("step_lambda_0.1", 1.93, 1e-12), close("step_lambda_1", 1.75, 1e-12),
                    close("decay_factor_lr0.01_lambda0.01", 0.9999, 1e-15),
                    is_true("seed_loop_shrinks_toward_zero"),
                    fraction("seeds_norm_decreasing_as_written", "seeds", 0.9, 0.5),
                    is_true("real_norm_decreasing")),
        correction=f"The single steps are right, and with shared draws and on the real MNIST run a larger lambda "
                   f"does give smaller weights. But the seed's 100-step loop does not show weights shrinking toward "
                   f"zero: with a constant data gradient g the weight heads for -g/lambda, so from 2.0 it crosses "
                   f"zero (steps {s['zero_crossing_step_lambda_0']}, {s['zero_crossing_step_lambda_0.01']}, "
                   f"{s['zero_crossing_step_lambda_0.1']}) and ends at {s['final_w_lambda_0']:.3f}, "
                   f"{s['final_w_lambda_0.01']:.3f}, {s['final_w_lambda_0.1']:.3f} for lambda = 0, 0.01, 0.1, "
                   f"larger in size than where it started; L2 makes weights smaller than without it, not small. "
                   f"And the 50-weight demo draws new starting weights for each lambda, so its titles put the "
                   f"four norms in decreasing order in only {f['seeds_norm_decreasing_as_written']} of "
                   f"{f['seeds']} seeds; with one draw shared by all lambdas, in "
                   f"{f['seeds_norm_decreasing_shared_draws']} of {f['seeds']}.",
        fix=({"seeds": f["seeds"], "seeds_norm_decreasing_shared_draws": f["seeds_norm_decreasing_shared_draws"],
              "closed_form_max_diff": s["closed_form_max_diff"],
              "real_norm_decreasing": sweep_measured["real_norm_decreasing"]},
             all_of(fraction("seeds_norm_decreasing_shared_draws", "seeds", 1.0, 0.5),
                    at_most("closed_form_max_diff", 1e-12), is_true("real_norm_decreasing"))),
        figures=[one_figure, fifty_figure, sweep_figure])

    c = conventions
    lesson.claim(
        id="D14", seed_ref="004:5761-5779, 5852, 5871, 5903-5904",
        claim="The seed's L2 regularisation is one formula: the same lambda means the same penalty throughout.",
        measured=c,
        rule=at_most("trajectories_same_lambda_max_diff", 1e-12),
        correction=f"The seed uses lambda/2 ||W||^2 (gradient lambda W) in its derivation and its 50-weight code, "
                   f"and lambda sum w^2 (gradient 2 lambda W) in its printed implementation. At the same lambda = "
                   f"{c['lambda']:g} the two runs end with ||W||^2 = {c['final_sq_norm_half_convention']:.2f} and "
                   f"{c['final_sq_norm_sum_convention']:.2f}; the second at lambda is exactly the first at 2 lambda. "
                   f"SGD's weight_decay (torch's and the engine's) adds lambda W to the gradient: it is the "
                   f"lambda/2 ||W||^2 convention, the one to state.",
        fix=({k: c[k] for k in ("sum_at_lambda_vs_half_at_2lambda_max_diff", "weight_decay_vs_half_convention",
                                "weight_decay_vs_sum_convention")},
             all_of(at_most("sum_at_lambda_vs_half_at_2lambda_max_diff", 1e-12),
                    at_most("weight_decay_vs_half_convention", 1e-12), above("weight_decay_vs_sum_convention", 1e-6))),
        figures=[one_figure])


# %% [markdown]
# ## E48: early stopping (``004:5906-6004``)
#
# The seed's ``EarlyStopping`` counts epochs without an improvement of more than
# ``min_delta`` and stops when the count reaches ``patience``; its demo runs it with
# patience 15 and min_delta 0.01 on simulated curves: a training loss
# ``2 e^(-0.03 t) + 0.1`` and a validation loss ``2.2 e^(-0.025 t) + 0.3`` that turns into
# ``0.3 + 0.01 (t - 80)`` from epoch 80, each with Gaussian noise (sd 0.02 and 0.05). Its
# advice: keep the weights of the best epoch and restore them.
#
# The simulated validation curve has a seam: just before epoch 80 its noise-free value is
# 0.605, at epoch 80 it is 0.300, a drop of 0.305 in one epoch. The "best epoch near 80" is
# made by that jump, not by a smooth minimum. We run the demo over 20 seeds, then run
# neuralab's ``EarlyStopping`` (same rule, epochs counted from 1) on the real MNIST
# baseline: it replays the baseline epoch for epoch, stops, and restores the best
# weights, which we re-measure.

# %%
class SeedEarlyStopping:
    """The seed's early stopping (``004:5910-5941``), re-indented."""

    def __init__(self, patience=10, min_delta=0.001):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.counter, self.early_stop, self.best_epoch = np.inf, 0, False, 0

    def __call__(self, val_loss, epoch):
        if val_loss < self.best_loss - self.min_delta:  # an improvement
            self.best_loss, self.counter, self.best_epoch = val_loss, 0, epoch
        else:
            self.counter += 1
            if self.counter >= self.patience:
                self.early_stop = True
        return self.early_stop


def simulated_curves(rng, epochs=200):
    """The seed's simulated losses (``004:5947-5962``), with its draw order: train first, then val."""
    t = np.arange(epochs)
    train_loss = 2.0 * np.exp(-0.03 * t) + 0.1 + rng.standard_normal(epochs) * 0.02
    clean_val = np.where(t < 80, 2.2 * np.exp(-0.025 * t) + 0.3, 0.3 + 0.01 * (t - 80))
    return train_loss, clean_val + rng.standard_normal(epochs) * 0.05, clean_val


def stop_on(val_losses, patience=PATIENCE, min_delta=MIN_DELTA):
    """(best epoch, stop epoch) of the seed's rule on a sequence (epochs counted from 0, as the seed)."""
    stopper = SeedEarlyStopping(patience, min_delta)
    for epoch, loss in enumerate(val_losses):
        if stopper(loss, epoch):
            return stopper.best_epoch, epoch
    return stopper.best_epoch, len(val_losses)


def early_stopping(lesson, bench: Bench, base: Run):
    seeds = 20
    simulated = [simulated_curves(lesson.rng(48, k)) for k in range(seeds)]
    stops = [stop_on(val) for _, val, _ in simulated]
    _, _, clean_val = simulated[0]

    stopper = EarlyStopping(monitor="val_loss", patience=PATIENCE, min_delta=MIN_DELTA)
    stopped = train(lesson, bench, "early stopping", callbacks=[stopper], curves=True)
    n = len(stopped.curves["val_loss"])
    replay_gap = float(max(np.abs(np.array(stopped.curves[k]) - np.array(base.curves[k][:n])).max()
                           for k in ("val_loss", "running_train_loss")))
    lesson.check("E48: the early-stopped run replays the baseline exactly until it stops", replay_gap == 0.0,
                 f"max |difference| {replay_gap}")
    best = stopper.best_epoch
    restored = stopped.final["val_loss"]
    at_best = stopped.curves["val_loss"][best - 1]
    lesson.check("E48: the restored model's val loss equals its best epoch's exactly", restored == at_best,
                 f"{restored!r} vs {at_best!r}")
    seed_best, seed_stop = stop_on(base.curves["val_loss"])
    seed_epochs = (seed_best + 1, seed_stop + 1 if seed_stop < bench.epochs else None)  # the seed counts from 0
    lesson.check("E48: the seed's EarlyStopping picks the same best and stop epochs as neuralab's",
                 seed_epochs == (best, stopper.stopped_epoch),
                 f"seed's {seed_epochs}, neuralab's {(best, stopper.stopped_epoch)}")
    measured = {
        "seeds": seeds,
        "seeds_best_80_to_85_stop_plus_15": sum(80 <= b <= 85 and s == b + PATIENCE for b, s in stops),
        "sim_best_epochs": [b for b, _ in stops], "sim_stop_epochs": [s for _, s in stops],
        "sim_clean_val_at_79": float(clean_val[79]), "sim_clean_val_at_80": float(clean_val[80]),
        "real_best_epoch": best, "real_stop_epoch": stopper.stopped_epoch, "real_max_epochs": bench.epochs,
        "real_stopped_early": stopper.stopped_epoch is not None and stopper.stopped_epoch < bench.epochs,
        "real_restored_val_loss": restored, "real_best_epoch_val_loss": float(at_best),
        "real_restored_equals_best": restored == at_best,
        "real_val_loss_without_stopping": base.final["val_loss"],
        "real_restored_val_accuracy": stopped.final["val_accuracy"],
        "real_val_accuracy_without_stopping": base.final["val_accuracy"],
    }

    train_loss, val_loss, _ = simulated[0]
    (sim_best, sim_stop) = stops[0]
    fig = new_figure(14.0, 4.8)
    ax_sim, ax_real = fig.subplots(1, 2)
    ax_sim.plot(train_loss, color=TRAIN_COLOR, lw=2, label="training loss")
    ax_sim.plot(val_loss, color=VAL_COLOR, lw=2, label="validation loss")
    ax_sim.plot(clean_val, "k:", lw=1, label="validation without noise (jumps at 80)")
    ax_sim.axvspan(80, 200, alpha=0.15, color="red", label="overfitting region (from 80)")
    ax_real_epochs = np.arange(1, bench.epochs + 1)
    ax_real.plot(ax_real_epochs, base.curves["train_loss"], color=TRAIN_COLOR, lw=1.5, alpha=0.4,
                 label="training, run on to the end")
    ax_real.plot(ax_real_epochs, base.curves["val_loss"], color=VAL_COLOR, lw=1.5, alpha=0.4,
                 label="validation, run on to the end")
    ax_real.plot(ax_real_epochs[:n], stopped.curves["train_loss"], color=TRAIN_COLOR, lw=2.5, label="training (stopped run)")
    ax_real.plot(ax_real_epochs[:n], stopped.curves["val_loss"], color=VAL_COLOR, lw=2.5, label="validation (stopped run)")
    ax_real.scatter([best], [restored], s=120, marker="*", color="black", zorder=5,
                    label=f"restored weights, re-measured: {restored:.4f}")
    for ax, b, s in ((ax_sim, sim_best, sim_stop), (ax_real, best, stopper.stopped_epoch)):
        ax.axvline(b, color="green", ls="--", lw=2, label=f"best epoch ({b})")
        if s is not None:
            ax.axvline(s, color="orange", ls="--", lw=2, label=f"stopped epoch ({s})")
        ax.set_xlabel("epoch"); ax.set_ylabel("loss"); ax.grid(alpha=0.3); ax.legend(fontsize=8)
    ax_sim.set_title("The seed's simulation (seed 0): patience 15, min_delta 0.01")
    ax_real.set_yscale("log"); ax_real.set_ylabel("cross-entropy loss (log scale)")
    ax_real.set_title("neuralab's EarlyStopping on the real MNIST run")
    figure = lesson.figure("early-stopping", fig, shows="V46")

    lesson.claim(
        id="E48", seed_ref="004:5906-6004",
        claim="Early stopping with patience 15 and min_delta 0.01 finds the best epoch where overfitting sets in "
              "(epoch 80 in the simulation) and stops 15 epochs later; restoring the best epoch's weights, not "
              "the last ones, gives the model with the lowest validation loss.",
        measured=measured,
        rule=all_of(fraction("seeds_best_80_to_85_stop_plus_15", "seeds", 0.9, 0.5),
                    is_true("real_stopped_early"), is_true("real_restored_equals_best"),
                    below("real_restored_val_loss", "real_val_loss_without_stopping")),
        correction=f"On the simulation the best epochs are {sorted(set(b for b, _ in stops))} and the stops come "
                   f"15 epochs later, but the best epoch sits at 80 because the simulated validation loss jumps "
                   f"there from {clean_val[79]:.3f} to {clean_val[80]:.3f} (its two pieces do not meet). On the real "
                   f"run the best epoch is {best}, the stop {stopper.stopped_epoch}, and the restored weights give "
                   f"exactly the best epoch's validation loss, {restored:.4f}, against "
                   f"{base.final['val_loss']:.4f} after all {bench.epochs} epochs (validation accuracy "
                   f"{stopped.final['val_accuracy']:.1%} against {base.final['val_accuracy']:.1%}).",
        figures=[figure])
    return stopped


# %% [markdown]
# ## E45, the cures side by side (``004:5659-5664``; ``001:142-146``; ``003:183-184``)
#
# Five cures from the seed's list, each a change of one thing in the baseline, on every
# draw: dropout 0.5 after each hidden layer; L2 with lambda = 0.01, where the seed says to
# start (``004:5900``); early stopping (the weights of its best epoch: on the first draw
# the real run above, on the others read off the baseline's curves, which the real run
# was checked to replay exactly); random shifts of up to 2 pixels on every training batch
# (``ImageAugment(shift=2)``, new shifts each epoch); and a smaller model, 784-32-10.
# A cure counts as working when, averaged over the draws, it ends with a smaller
# train-validation accuracy gap than the baseline **and** at least the baseline's
# validation accuracy (a cure that closes the gap by learning less does not count).

# %%
def best_epoch_of(run: Run) -> dict:
    """Train/val accuracy of the epoch the early-stopping rule keeps (what restoring its weights gives)."""
    best, _ = stop_on(run.curves["val_loss"])
    return {"train_accuracy": run.curves["train_accuracy"][best], "val_accuracy": run.curves["val_accuracy"][best]}


def loss_split(run: Run, bench: Bench) -> tuple[float, float]:
    """Mean validation cross-entropy over the misclassified images and over the rest."""
    logits = run.trainer.predict(bench.x_val, batch_size=len(bench.x_val)).astype(np.float64)  # (N, 10)
    shifted = logits - logits.max(axis=1, keepdims=True)
    losses = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(logits)), bench.y_val]
    wrong = logits.argmax(axis=1) != bench.y_val
    return float(losses[wrong].mean()), float(losses[~wrong].mean())


def cures(lesson, benches: list[Bench], bases: list[Run], signs: dict, curves_figure: str, dropped: list[Run],
          l2_first: Run, stopped: Run):
    lesson.check("E45: the early-stopped run's restored accuracies are the baseline's at its best epoch",
                 best_epoch_of(bases[0]) == {k: stopped.final[k] for k in ("train_accuracy", "val_accuracy")},
                 f"{best_epoch_of(bases[0])} vs {stopped.final}")
    stopped_runs = [stopped] + [Run("early stopping", base.model, base.trainer, final=best_epoch_of(base))
                                for base in bases[1:]]
    treated = {
        "dropout": dropped,
        "l2": [l2_first] + [train(lesson, bench, f"L2 {L2_CURE:g}", weight_decay=L2_CURE) for bench in benches[1:]],
        "early_stopping": stopped_runs,
        "augmentation": [train(lesson, bench, "shift 2 px", augment=ImageAugment(shift=2)) for bench in benches],
        "smaller_model": [train(lesson, bench, "784-32-10", sizes=(784, 32, 10)) for bench in benches],
    }
    wrong_best, right_best = loss_split(stopped, benches[0])
    wrong_end, right_end = loss_split(bases[0], benches[0])
    base_val, base_gap = mean_of(bases, "val_accuracy"), mean_of(bases, "gap")
    val = {name: mean_of(runs, "val_accuracy") for name, runs in treated.items()}
    train_acc = {name: mean_of(runs, "train_accuracy") for name, runs in treated.items()}
    gap = {name: mean_of(runs, "gap") for name, runs in treated.items()}
    works = {name: gap[name] < base_gap and val[name] >= base_val for name in treated}

    fig = new_figure(11.0, 4.8)
    ax = fig.add_subplot()
    labels = ["no cure", "dropout 0.5", f"L2 {L2_CURE:g}", "early stopping", "shifts ≤ 2 px", "784-32-10"]
    tops = [(mean_of(bases, "train_accuracy"), base_val, base_gap, "")]
    tops += [(train_acc[n], val[n], gap[n], " ✓" if works[n] else " ✗") for n in treated]
    xs = np.arange(len(tops))
    ax.bar(xs - 0.2, [100 * t for t, _, _, _ in tops], 0.4, color=TRAIN_COLOR, label="training")
    ax.bar(xs + 0.2, [100 * v for _, v, _, _ in tops], 0.4, color=VAL_COLOR, label="validation")
    for x, (_, v, g, mark) in zip(xs, tops):
        ax.text(x + 0.2, 100 * v + 0.3, f"{100 * v:.1f}", ha="center", fontsize=9)
        ax.text(x, 101.2, f"gap {100 * g:.1f}{mark}", ha="center", fontsize=9)
    ax.axhline(100 * base_val, color=VAL_COLOR, ls=":", alpha=0.7)
    ax.set_xticks(xs, labels); ax.set_ylim(75, 103); ax.set_ylabel(f"accuracy at the end, mean of {len(bases)} draws (%)")
    ax.set_title(f"The seed's cures on {len(benches[0].x_train)} MNIST digits (✓: smaller gap and validation ≥ no cure)")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5)); ax.grid(alpha=0.3, axis="y")
    figure = lesson.figure("cures", fig)

    measured = {**signs, "mean_val_accuracy_no_cure": base_val, "mean_gap_no_cure": base_gap,
                **{f"mean_val_accuracy_{k}": v for k, v in val.items()},
                **{f"mean_gap_{k}": v for k, v in gap.items()},
                **{f"mean_train_accuracy_{k}": v for k, v in train_acc.items()},
                "mean_val_loss_no_cure": mean_of(bases, "val_loss"),
                **{f"mean_val_loss_{k}": mean_of(runs, "val_loss") for k, runs in treated.items() if k != "early_stopping"},
                "val_loss_on_wrong_at_val_min": wrong_best, "val_loss_on_wrong_at_end": wrong_end,
                "val_loss_on_right_at_val_min": right_best, "val_loss_on_right_at_end": right_end,
                **{f"works_{k}": w for k, w in works.items()},
                "early_stopping_epochs_per_draw": [stop_on(b.curves["val_loss"])[0] + 1 for b in bases],
                "cures_working": sum(works.values()), "cures": len(works)}
    working = [k for k, w in works.items() if w]
    failing = [k for k, w in works.items() if not w]
    lesson.claim(
        id="E45", seed_ref="004:5652-5664; 001:134-146; 003:180-192",
        claim="An overfitting network scores 95%+ on its training data and much less (about 70%) on validation "
              "data, its training loss falling while the validation loss rises; dropout, L2, early stopping, "
              "data augmentation and a smaller model each prevent it.",
        measured=measured,
        rule=all_of(at_least("min_train_accuracy", 0.95), at_least("min_accuracy_gap", 0.10),
                    at_least("min_val_loss_rise", 0.10), is_true("train_loss_fell_after_val_min_every_draw"),
                    fraction("cures_working", "cures", 1.0, 0.2)),
        correction=f"The signs are there on every draw: {signs['train_accuracy']:.1%} training against "
                   f"{signs['val_accuracy']:.1%} validation accuracy on the first, the validation loss lowest at "
                   f"epoch {signs['val_loss_min_epoch']} and {signs['val_loss_rise']:.0%} higher by the end while "
                   f"the training loss kept falling (the seed's 70% is only an example: 500 MNIST digits give "
                   f"{signs['val_accuracy']:.0%}). The validation accuracy did not fall with the rising loss "
                   f"({signs['val_accuracy_at_val_loss_min']:.1%} at the loss minimum, "
                   f"{signs['val_accuracy']:.1%} at the end): the rise is growing confidence in the wrong answers, "
                   f"whose mean loss went from {wrong_best:.2f} to {wrong_end:.2f} while the right ones' fell from "
                   f"{right_best:.3f} to {right_end:.3f}. Of the five cures, {len(working)} "
                   f"({', '.join(working) or 'none'}) narrow the gap and keep the validation accuracy on average; "
                   f"{', '.join(failing) or 'none'} do not.",
        figures=[curves_figure, figure])


# %%
def run(lesson):
    benches = make_benches(lesson)
    bases, signs, curves_figure = overfitting_baseline(lesson, benches)
    mechanics, mask_figure = dropout_mechanics(lesson)
    dropped = dropout_run(lesson, benches, bases, mechanics, mask_figure)
    single = l2_single_weight(lesson)
    fifty, fifty_figure = l2_fifty_weights(lesson)
    conventions, conventions_runs = l2_conventions(lesson)
    l2_runs, _, sweep_measured, sweep_figure = l2_sweep(lesson, benches[0], bases[0])
    l2_claims(lesson, single, fifty, fifty_figure, conventions, conventions_runs, sweep_measured, sweep_figure)
    stopped = early_stopping(lesson, benches[0], bases[0])
    cures(lesson, benches, bases, signs, curves_figure, dropped, l2_runs[L2_CURE], stopped)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("regularization")
