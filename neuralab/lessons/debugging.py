"""Debugging a network that will not learn: six failures reproduced, diagnosed and cured.

Follows ``004:6439-6558`` (inventory E53, E54), with the primers' list of training
problems (``003:180-192``, E60) and hands-on exercises (``001:229-235``, E58).
"""

# %% [markdown]
# # Debugging a network that will not learn
#
# The seed closes its best-practice chapter with a troubleshooting table
# (``004:6439-6458``): six ways training goes wrong, each with causes and fixes; a
# checklist (``004:6459-6466``); a figure of four *simulated* loss curves (healthy,
# overfitting, underfitting, exploding; ``004:6467-6537``); five first steps
# (``004:6538-6543``); and a quick-reference recipe (``004:6545-6557``).
#
# Here every row of the table happens for real. One small task, the 8x8 scikit-learn
# digits (1,259 training, 179 validation and 359 test images, 10 classes), and small
# networks on the engine: each failure is produced on purpose, the diagnostic that
# reveals it is measured, and the fixes the seed lists are applied and measured too.
# The seed's four simulated panels are replaced by measured curves of all six problems,
# each drawn with its cures.
#
# Two numbers are used throughout. A network that knows nothing spreads its probability
# evenly over the 10 classes; its cross-entropy is ``-ln(1/10) = ln 10 = 2.303``, the
# *random baseline*. And a run *learns normally* when it ends with at least 90%
# validation accuracy (the default recipe below reaches about 97% there).

# %%
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from neuralab import data
from neuralab.data.augment import random_shift
from neuralab.lessons import LESSONS
from neuralab.lessons.claims import Rule, all_of, at_least, at_most, close, fraction, is_true, unless_holds
from neuralab.models import mlp
from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure

ABOUT = {
    "title": "Debugging a network that will not learn",
    "part": "III. Practice",
    "section": "004:6439-6558",
    "claims": ("E53", "E54", "E60", "E58"),
    "seconds": 30,
    "engines": ("scratch", "torch"),
}

BASELINE = math.log(10)    # cross-entropy of a uniform guess over 10 classes
LEARNS = 0.9               # validation accuracy that counts as learning normally
DEFAULT_RECIPE_BAR = 0.95  # E54: the bar the default recipe's test accuracy was held to before any run
BATCH = 32                 # the quick reference's batch size (004:6553)
GRAD_RANGE = (1e-3, 1e-1)  # "gradient magnitudes should be ~0.001 to 0.1" (004:6541)
COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


# %% [markdown]
# ## The bench: digits and an instrumented training loop
#
# The repository's ``Trainer`` stops at the first non-finite loss and keeps the
# gradients to itself; a debugging loop has to show them. So this lesson trains with a
# short loop of its own that records at every step the training loss, the largest
# logit, and for every weight matrix ``W`` the gradient's norm ``||dL/dW||`` and mean
# absolute entry (both before any clipping) and, when asked, the relative size of the
# step, ``||W_after - W_before|| / ||W_before||``. After every epoch it evaluates the
# training, validation and test sets in eval mode with the engine's numerically stable
# cross-entropy, whatever loss the run trains on. A non-finite training loss ends the
# run and records the step. All variants of a scenario start from the same initial
# weights (the engine is re-seeded before each model is built) and see the same batches.

# %%
@dataclass
class Digits:
    """The task. ``x_*``: (N, 1, 8, 8) float32 in [0, 1]; ``y_*``: (N,) int64 labels 0-9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits() -> Digits:
    splits = data.load("digits")
    return Digits(splits.train.x, splits.train.y, splits.val.x, splits.val.y, splits.test.x, splits.test.y)


@dataclass
class Run:
    """What one training run recorded. Epoch lists start with the untrained network (epoch 0)."""

    steps_per_epoch: int
    step_loss: list = field(default_factory=list)
    step_max_logit: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)      # per step, per weight matrix: ||dL/dW||
    grad_mean_abs: list = field(default_factory=list)  # per step, per weight matrix: mean |dL/dW|
    update_ratio: list = field(default_factory=list)   # per step, per weight matrix: ||dW|| / ||W||
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    nan_step: int | None = None  # first step (counted from 1) whose training loss was not finite

    @property
    def finite(self) -> bool:
        return self.nan_step is None

    def end(self, curve: str) -> float:
        """The last epoch's value of a curve; a diverged run scores chance (its weights are lost)."""
        if not self.finite:
            return 0.1 if curve.endswith("acc") else math.inf
        return float(getattr(self, curve)[-1])

    @property
    def stable(self) -> bool:
        """No non-finite loss, and a final training loss below half the random baseline (a network
        whose units all died sits at 2.30 without ever producing a NaN)."""
        return self.finite and self.end("train_loss") < BASELINE / 2

    def rise(self) -> float:
        """Final over lowest validation loss: 1.0 when it never climbed back."""
        return self.end("val_loss") / float(np.min(self.val_loss))


def evaluate(T, model, x, y):
    """Mean stable cross-entropy and accuracy of ``model`` on ``(x, y)``, in eval mode."""
    model.eval()
    with T.no_grad():
        logits = model(T.tensor(x))
        loss = float(T.nn.functional.cross_entropy(logits, T.tensor(y)).item())
        accuracy = float(np.mean(logits.numpy().argmax(axis=1) == y))
    model.train()
    return loss, accuracy


def weight_matrices(model):
    """The 2-D parameters (every Linear's weight), input side first."""
    return [p for p in model.parameters() if p.dim() == 2]


def fit(T, model, optimizer, task: Digits, epochs: int, order_rng, *, x=None, y=None, loss_fn=None,
        clip: float | None = None, shift: int = 0, track_updates: bool = False, test_curve: bool = False) -> Run:
    """Train ``model`` on ``(x, y)`` (default: the task's training set) in batches of 32.

    ``loss_fn(logits (B, 10), labels (B,)) -> scalar`` defaults to the engine's cross-entropy;
    ``clip`` clips the global gradient norm; ``shift`` moves each training image by up to that
    many pixels; ``order_rng`` (a NumPy generator) draws the batch order and the shifts. The test
    set is evaluated before and after training, and after every epoch with ``test_curve``.
    """
    x = task.x_train if x is None else x
    y = task.y_train if y is None else y
    loss_fn = loss_fn or T.nn.functional.cross_entropy
    weights = weight_matrices(model)
    run = Run(steps_per_epoch=math.ceil(len(x) / BATCH))

    def record_epoch(test: bool):
        run.train_loss.append(evaluate(T, model, x, y)[0])
        for split in ("val", "test") if test else ("val",):
            loss, accuracy = evaluate(T, model, getattr(task, f"x_{split}"), getattr(task, f"y_{split}"))
            getattr(run, f"{split}_loss").append(loss)
            getattr(run, f"{split}_acc").append(accuracy)

    record_epoch(test=True)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # overflowing is what some runs are for
        for epoch in range(1, epochs + 1):
            order = order_rng.permutation(len(x))
            for start in range(0, len(x), BATCH):
                index = order[start:start + BATCH]
                images = random_shift(x[index], shift, order_rng) if shift else x[index]
                optimizer.zero_grad()
                logits = model(T.tensor(images))
                loss = loss_fn(logits, T.tensor(y[index]))
                run.step_loss.append(float(loss.item()))
                run.step_max_logit.append(float(np.abs(logits.detach().numpy()).max()))
                if not math.isfinite(run.step_loss[-1]):
                    run.nan_step = len(run.step_loss)
                    return run
                loss.backward()
                grads = [w.grad.numpy() for w in weights]
                run.grad_norm.append([float(np.linalg.norm(g)) for g in grads])
                run.grad_mean_abs.append([float(np.abs(g).mean()) for g in grads])
                if clip is not None:
                    T.nn.utils.clip_grad_norm_(model.parameters(), clip)
                before = [w.detach().numpy().copy() for w in weights] if track_updates else []
                optimizer.step()
                if track_updates:
                    run.update_ratio.append([float(np.linalg.norm(w.detach().numpy() - b) / np.linalg.norm(b))
                                             for w, b in zip(weights, before)])
            record_epoch(test=test_curve or epoch == epochs)
    return run


def default_net(T, seed: int, sizes=(64, 128, 10), dropout: float = 0.0):
    """The repository's ``mlp`` (Flatten, Linear + ReLU per hidden layer, Linear), engine seeded first."""
    T.manual_seed(seed)
    return mlp.build(T, sizes, activation="relu", dropout=dropout)


def adam(T, model, weight_decay: float = 0.0):
    """The quick reference's optimiser: Adam at 0.001 (004:6553)."""
    return T.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)


@dataclass
class Scenario:
    """One row of the table: its runs, what was measured, the rule (symptom and cure), a panel."""

    title: str
    runs: dict
    measured: dict
    rule: Rule
    panel: Callable
    legend_at: str  # where the panel's legend goes (matplotlib's "best" is slow on long curves)


# %% [markdown]
# ## The healthy reference: the quick reference's default recipe (``004:6553``)
#
# "Start with Adam, lr 0.001, batch size 32, ReLU activations." Our default network is
# 64-128-10 with ReLU (the repository's ``mlp`` model, 9,610 parameters), trained that
# way for 30 epochs. It is the healthy run the sick ones are compared with, and it
# carries the checklist's monitors: gradient sizes and update sizes at every step.

# %%
def healthy_run(lesson, task) -> Run:
    T = lesson.T
    model = default_net(T, lesson.seed)
    return fit(T, model, adam(T, model), task, lesson.pick(30, 8), lesson.rng(0), track_updates=True, test_curve=True)


# %% [markdown]
# ## Scenario 1: the loss becomes NaN (``004:6441-6443``)
#
# Causes, says the seed: a learning rate too high, numerical instability. We produce
# both the way they usually meet: a softmax written as ``e^z / sum(e^z)`` without
# subtracting the largest logit first (the seed's own character RNN does this,
# inventory D17), and SGD with momentum 0.9 at learning rate 1.0. Big steps make big
# logits; in float32 ``e^z`` overflows to infinity once ``z`` passes about 88.7, and
# ``inf / inf`` is NaN.
#
# The seed's fixes, one at a time: the learning rate ten times smaller (0.1), gradient
# clipping (global norm 1) at the same learning rate, and a loss without the division
# that blows up (the engine's ``cross_entropy``, computed through log-sum-exp) at the
# same learning rate.
#
# Rule: the symptom is a non-finite loss; cured when the lr/10 run stays finite and
# learns normally.

# %%
def seed_style_cross_entropy(T):
    """``-mean_i log p_i[y_i]`` with ``p = e^z / sum_j e^z_j`` computed as written, no max subtracted.

    The same number as the stable cross-entropy while the logits are small; in float32
    ``e^z`` overflows past z ~ 88.7 and the loss turns into NaN (``inf / inf``).
    """
    def loss(logits, labels):
        onehot = T.tensor(np.eye(logits.shape[1], dtype=np.float32)[labels.numpy()])  # (B, 10)
        exp = T.exp(logits)
        probs = exp / exp.sum(dim=1, keepdim=True)
        return -T.log((probs * onehot).sum(dim=1)).mean()
    return loss


def nan_scenario(lesson, task) -> Scenario:
    T = lesson.T
    epochs = lesson.pick(30, 8)
    naive = seed_style_cross_entropy(T)
    with T.no_grad():
        logits = default_net(T, lesson.seed)(T.tensor(task.x_train[:256]))
        labels = T.tensor(task.y_train[:256])
        gap = abs(float(naive(logits, labels).item()) - float(T.nn.functional.cross_entropy(logits, labels).item()))
    lesson.check("scenario 1: the seed-style softmax loss equals the engine's cross-entropy on small logits",
                 gap < 1e-5, f"|difference| = {gap:.1e}")

    def sgd(lr, loss_fn, clip=None):
        model = default_net(T, lesson.seed)
        optimizer = T.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        return fit(T, model, optimizer, task, epochs, lesson.rng(1), loss_fn=loss_fn, clip=clip)

    runs = {"lr 1.0 (symptom)": sgd(1.0, naive), "lr 0.1": sgd(0.1, naive),
            "lr 1.0, clip norm 1": sgd(1.0, naive, clip=1.0), "lr 1.0, stable loss": sgd(1.0, None)}
    sick = runs["lr 1.0 (symptom)"]
    measured = {
        "s1_nan_reached": not sick.finite, "s1_nan_step": sick.nan_step or 0,
        "s1_bad_loss": str(sick.step_loss[-1]),  # "nan" (inf / inf) or "inf" (log 0)
        "s1_largest_logit_before": max(sick.step_max_logit[:-1]) if len(sick.step_max_logit) > 1 else 0.0,
        "s1_largest_logit_at_nan_step": sick.step_max_logit[-1],
        "s1_lr_0.1_finite": runs["lr 0.1"].finite, "s1_lr_0.1_val_acc": runs["lr 0.1"].end("val_acc"),
        "s1_clip_finite": runs["lr 1.0, clip norm 1"].finite,
        "s1_clip_nan_step": runs["lr 1.0, clip norm 1"].nan_step or 0,
        "s1_stable_loss_finite": runs["lr 1.0, stable loss"].finite,
        "s1_stable_loss_val_loss": runs["lr 1.0, stable loss"].end("val_loss"),
        "s1_stable_loss_val_acc": runs["lr 1.0, stable loss"].end("val_acc"),
    }
    rule = all_of(is_true("s1_nan_reached"), is_true("s1_lr_0.1_finite"), at_least("s1_lr_0.1_val_acc", LEARNS))

    def panel(ax):
        for (name, run), color in zip(runs.items(), COLORS):
            _step_curve(ax, run, name, color)
        ax.set(yscale="log", xlabel="training step (log)", ylabel="training loss (log)",
               title="1. Loss becomes NaN: SGD lr 1.0, softmax without max-subtraction")

    return Scenario("NaN", runs, measured, rule, panel, "lower left")


def _thin(values, most=400):
    """``(index, values[index])`` for every k-th row of a per-step series, at most ``most`` points."""
    values = np.asarray(values)
    index = np.arange(0, len(values), max(1, len(values) // most))
    return index, values[index]


def _step_curve(ax, run, name, color, smooth=10):
    """A run's per-step training loss (a running mean over 10 steps once the run is long enough)
    against the step, log-scaled; an X at the last finite loss when the next one was NaN."""
    losses = np.array(run.step_loss[:-1] if not run.finite else run.step_loss)
    if len(losses) >= 10 * smooth:
        losses = np.convolve(losses, np.ones(smooth) / smooth, mode="valid")
    steps, losses = _thin(losses)
    label = f"{name}: NaN at step {run.nan_step}" if not run.finite else name
    ax.plot(steps + 1, losses, color=color, lw=1.5, label=label, marker="." if len(steps) < 60 else None)
    if not run.finite:
        ax.plot(run.nan_step - 1, losses[-1], "X", color=color, ms=12)
    ax.set_xscale("log")


# %% [markdown]
# ## Scenario 2: the loss does not decrease (``004:6444-6446``)
#
# Two of the seed's causes. A *data bug*: the labels were shuffled separately from the
# images (a classic slip when shuffling two arrays), so they say nothing about the
# inputs. And a *learning rate too low*: SGD with momentum 0.9 at 1e-5. The diagnostic
# is the checklist's "compare to baseline": a validation loss that stays at
# ``ln 10 = 2.303`` is the loss of a uniform guess. The fixes: the correct labels (the
# healthy run), and a learning rate 10,000 times larger (0.1).
#
# Rule: both sick runs end with a validation loss within 0.1 of 2.303; both fixes learn
# normally.

# %%
def flat_scenario(lesson, task, healthy) -> Scenario:
    T = lesson.T
    epochs = lesson.pick(30, 8)
    shuffled = lesson.rng(2, 0).permutation(task.y_train)  # the bug: labels out of step with the images
    model = default_net(T, lesson.seed)
    bad_labels = fit(T, model, adam(T, model), task, epochs, lesson.rng(0), y=shuffled)

    def sgd(lr):
        model = default_net(T, lesson.seed)
        return fit(T, model, T.optim.SGD(model.parameters(), lr=lr, momentum=0.9), task, epochs, lesson.rng(2, 1))

    runs = {"shuffled labels (symptom)": bad_labels, "SGD lr 1e-5 (symptom)": sgd(1e-5),
            "correct labels (healthy run)": healthy, "SGD lr 0.1": sgd(0.1)}
    measured = {
        "baseline_ln10": BASELINE,
        "s2_shuffled_val_loss": bad_labels.end("val_loss"), "s2_shuffled_train_loss": bad_labels.end("train_loss"),
        "s2_shuffled_val_acc": bad_labels.end("val_acc"),
        "s2_low_lr_val_loss": runs["SGD lr 1e-5 (symptom)"].end("val_loss"),
        "s2_low_lr_val_acc": runs["SGD lr 1e-5 (symptom)"].end("val_acc"),
        "s2_correct_labels_val_acc": healthy.end("val_acc"), "s2_lr_0.1_val_acc": runs["SGD lr 0.1"].end("val_acc"),
    }
    rule = all_of(close("s2_shuffled_val_loss", BASELINE, 0.1), close("s2_low_lr_val_loss", BASELINE, 0.1),
                  at_least("s2_correct_labels_val_acc", LEARNS), at_least("s2_lr_0.1_val_acc", LEARNS))

    def panel(ax):
        for (name, run), color in zip(runs.items(), COLORS):
            ax.plot(run.val_loss, color=color, lw=2, label=name)
        ax.axhline(BASELINE, color="gray", ls="--", label="random baseline ln 10 = 2.303")
        ax.set(xlabel="epoch", ylabel="validation loss", title="2. Loss not decreasing: a label bug, a tiny lr")

    return Scenario("flat", runs, measured, rule, panel, "center right")


# %% [markdown]
# ## Scenario 3: training loss falls, validation loss rises (``004:6447-6449``)
#
# Overfitting needs a model with more freedom than its data: 150 training images, a
# 64-256-256-10 ReLU network (82,186 parameters), the default recipe for 60 epochs.
# And, as in many real data sets, some labels are wrong: 10% of the 150 get a random
# label. The network memorises those as well, which is what drives its validation loss
# up. One draw of 150 images is luck, so the
# scenario is repeated on three draws (images, wrong labels, initial weights and batch
# order; one draw in quick mode) and the curves are averaged over the draws.
#
# The fixes, each from the same start as the untreated run of its draw: dropout 0.5 and
# 0.3 after each hidden layer (the quick reference's range, ``004:6554``); L2 weight
# decay 0.01 (the engine's ``weight_decay`` adds ``0.01 w`` to each gradient, i.e. the
# penalty ``0.005 ||w||^2``); data augmentation, moving each training image by up to
# one pixel (the smallest shift of the repository's ``random_shift``; on an 8-pixel
# image it is an eighth of the width); and early stopping, keeping the epoch with the
# lowest validation loss. Early stopping is judged on the test set (E54), because its
# epoch was chosen on validation.
#
# Rule: the symptom is a validation loss that ends at least 20% above its minimum while
# the training loss keeps falling past that epoch. It is reproduced when it shows in
# most draws (at least 60% holds; none fails; a small noisy set does not overfit every
# time). Cured when at least one of dropout, L2 and augmentation ends, in every draw
# that overfits, within 10% of its own minimum and below the untreated run. (E54 and
# E60 compare the averaged curves.)

# %%
OVERFIT_IMAGES, OVERFIT_SIZES = 150, (64, 256, 256, 10)
OVERFIT_RUNS = {  # name -> (dropout, weight decay, shift)
    "no regularisation (symptom)": (0.0, 0.0, 0), "dropout 0.5": (0.5, 0.0, 0), "dropout 0.3": (0.3, 0.0, 0),
    "L2 0.01": (0.0, 0.01, 0), "shift 1 px": (0.0, 0.0, 1),
}
OVERFIT_FIXES = ("dropout 0.5", "dropout 0.3", "L2 0.01", "shift 1 px")


def noisy_subset(task: Digits, rng, n: int = OVERFIT_IMAGES, wrong: float = 0.1):
    """``n`` training images and their labels, a fraction ``wrong`` of them replaced by a random label."""
    index = rng.choice(len(task.x_train), n, replace=False)
    x, y, clean = task.x_train[index], task.y_train[index].copy(), task.y_train[index]
    noisy = rng.random(n) < wrong
    y[noisy] = rng.integers(0, 10, int(noisy.sum()))  # a random label (now and then the right one)
    return x, y, int(np.count_nonzero(y != clean))


def mean_run(runs: list) -> Run:
    """The epoch curves of several finite runs, averaged epoch by epoch."""
    mean = Run(steps_per_epoch=runs[0].steps_per_epoch)
    for curve in ("train_loss", "val_loss", "val_acc", "test_loss", "test_acc"):
        setattr(mean, curve, np.mean([getattr(run, curve) for run in runs], axis=0).tolist())
    return mean


def overfit_scenario(lesson, task) -> Scenario:
    T = lesson.T
    draws = {name: [] for name in OVERFIT_RUNS}
    wrong = []
    for d in range(lesson.pick(3, 1)):
        x, y, n_wrong = noisy_subset(task, lesson.rng(3, d))
        wrong.append(n_wrong)
        for name, (dropout, decay, shift) in OVERFIT_RUNS.items():
            model = default_net(T, lesson.seed + 1000 * d, OVERFIT_SIZES, dropout=dropout)
            draws[name].append(fit(T, model, adam(T, model, decay), task, 60, lesson.rng(3, d, 1), x=x, y=y,
                                   shift=shift, test_curve=(name == "no regularisation (symptom)")))
    lesson.check("scenario 3: no overfitting run diverged", all(r.finite for rs in draws.values() for r in rs))
    runs = {name: mean_run(found) for name, found in draws.items()}
    sick = runs["no regularisation (symptom)"]
    best_epoch = int(np.argmin(sick.val_loss))

    def overfits(run):  # the validation loss climbs 20% above its minimum while the training loss keeps falling
        return run.rise() >= 1.2 and run.end("train_loss") < run.train_loss[int(np.argmin(run.val_loss))]

    def cured(run, untreated):  # no climb beyond 10% of its own minimum, and below the untreated run
        return run.rise() <= 1.1 and run.end("val_loss") < untreated.end("val_loss")

    untreated = draws["no regularisation (symptom)"]
    sick_draws = [d for d, run in enumerate(untreated) if overfits(run)]
    cures = [name for name in OVERFIT_FIXES if all(cured(draws[name][d], untreated[d]) for d in sick_draws)]
    measured = {
        "s3_draws": len(wrong), "s3_train_images": OVERFIT_IMAGES, "s3_wrong_labels_per_draw": wrong,
        "s3_val_rise_per_draw": [run.rise() for run in untreated],
        "s3_overfitting_draws": len(sick_draws),
        "s3_val_min": float(sick.val_loss[best_epoch]), "s3_val_min_epoch": best_epoch,
        "s3_val_final": sick.end("val_loss"), "s3_val_rise": sick.rise(),
        "s3_train_at_val_min": float(sick.train_loss[best_epoch]), "s3_train_final": sick.end("train_loss"),
        **{f"s3_{_key(name)}_val_final": runs[name].end("val_loss") for name in OVERFIT_FIXES},
        **{f"s3_{_key(name)}_val_rise_per_draw": [run.rise() for run in draws[name]] for name in OVERFIT_FIXES},
        **{f"s3_{_key(name)}_train_final": runs[name].end("train_loss") for name in OVERFIT_FIXES},
        "s3_fixes_that_cure": ", ".join(cures) if sick_draws else "",
        "s3_fixes_that_cure_count": len(cures) if sick_draws else 0,  # nothing to cure without the symptom
    }
    rule = all_of(fraction("s3_overfitting_draws", "s3_draws", 0.6, 0.0), at_least("s3_fixes_that_cure_count", 1))

    def panel(ax):
        shown = ("no regularisation (symptom)", "dropout 0.5", "L2 0.01")
        _train_val_curves(ax, {name: runs[name] for name in shown})
        ax.axvline(best_epoch, color="gray", ls=":", label=f"lowest validation loss (epoch {best_epoch})")
        ax.set(yscale="log", xlabel="epoch", ylabel=f"loss (log; mean of {len(wrong)} draws)",
               title=f"3. Overfitting: {OVERFIT_IMAGES} images, 10% wrong labels")

    return Scenario("overfitting", runs, measured, rule, panel, "lower left")


def _train_val_curves(ax, runs):
    """Training (solid) and validation (dashed) loss per epoch, one colour per run; the first
    run (the symptom) drawn on top."""
    for order, ((name, run), color) in enumerate(zip(runs.items(), COLORS)):
        top = 3 if order == 0 else 2
        ax.plot(run.train_loss, color=color, lw=1.5 + (order == 0), label=name, zorder=top)
        ax.plot(run.val_loss, color=color, lw=2 + (order == 0), ls="--", zorder=top)
    ax.plot([], [], color="black", lw=1.5, label="solid: training loss")
    ax.plot([], [], color="black", lw=2, ls="--", label="dashed: validation loss")


def _key(name: str) -> str:
    """A run name as part of a measurement name: 'dropout 0.5' -> 'dropout_0.5'."""
    return name.lower().replace(" + ", "_").replace(", ", "_").replace(" / ", "_over_").replace(" ", "_")


# %% [markdown]
# ## Scenario 4: both losses high and not improving (``004:6450-6452``)
#
# Underfitting: a model too simple for the task. Ours has one hidden layer of two ReLU
# units (64-2-10): every image must pass through a two-number summary, too little to
# tell ten digits apart. The seed's fixes: more capacity, as more neurons (the healthy
# 64-128-10) or as more layers (64-2-2-2-10: two more layers of the model's own width),
# and training longer (four times the epochs).
#
# Rule: the symptom is training and validation loss both at least 0.5 (a fifth of the
# random baseline; the healthy net gets below 0.1) and within 0.1 of each other (so
# not overfitting); cured when the best fix learns normally.

# %%
def underfit_scenario(lesson, task, healthy) -> Scenario:
    T = lesson.T
    epochs = lesson.pick(30, 8)

    def train(sizes, epochs):
        model = default_net(T, lesson.seed, sizes)
        return fit(T, model, adam(T, model), task, epochs, lesson.rng(0))

    runs = {"64-2-10 (symptom)": train((64, 2, 10), epochs), "64-2-10, 4x epochs": train((64, 2, 10), 4 * epochs),
            "64-2-2-2-10": train((64, 2, 2, 2, 10), epochs), "64-128-10 (healthy run)": healthy}
    tiny = runs["64-2-10 (symptom)"]
    measured = {
        "s4_train_final": tiny.end("train_loss"), "s4_val_final": tiny.end("val_loss"),
        "s4_val_acc": tiny.end("val_acc"),
        "s4_val_minus_train": tiny.end("val_loss") - tiny.end("train_loss"),
        "s4_wider_train_final": healthy.end("train_loss"), "s4_wider_val_acc": healthy.end("val_acc"),
        "s4_longer_train_final": runs["64-2-10, 4x epochs"].end("train_loss"),
        "s4_longer_val_acc": runs["64-2-10, 4x epochs"].end("val_acc"),
        "s4_deeper_train_final": runs["64-2-2-2-10"].end("train_loss"),
        "s4_deeper_val_acc": runs["64-2-2-2-10"].end("val_acc"),
        "s4_best_fix_val_acc": max(run.end("val_acc") for name, run in runs.items() if "symptom" not in name),
    }
    rule = all_of(at_least("s4_train_final", 0.5), at_least("s4_val_final", 0.5), at_most("s4_val_minus_train", 0.1),
                  at_least("s4_best_fix_val_acc", LEARNS))

    def panel(ax):
        _train_val_curves(ax, runs)
        ax.set(yscale="log", xlabel="epoch", ylabel="loss (log)", title="4. Underfitting: a 2-unit hidden layer")

    return Scenario("underfitting", runs, measured, rule, panel, "lower right")


# %% [markdown]
# ## Scenarios 5 and 6: exploding and vanishing gradients (``004:6453-6458``)
#
# Both need depth. The deep bench: 8 hidden layers of 64 units, SGD with momentum 0.9 at
# learning rate 0.03, 20 epochs. For a layer ``h_l = f(W_l h_{l-1} + b_l)`` the backward
# pass multiplies the gradient by ``W_l^T diag(f'(z_l))`` once per layer, so its size
# changes by about the same factor at every layer, and by that factor to the 8th power
# over the stack.
#
# *Exploding* (causes: deep networks, unstable initialisation). ReLU layers whose weights
# are drawn twice as large as He's ``N(0, 2/fan_in)``: each layer doubles the size of the
# signal, forward and backward, ``2^8 = 256`` times over the stack. The seed's fixes:
# clipping the gradient norm to 1, a learning rate ten times lower, batch normalisation
# after each linear layer. (Its fourth, residual connections, would add each layer's
# input to an output that is already too large; it is tried on the vanishing stack.)
# Three draws of initial weights and batches (one in quick mode). Rule: the symptom is
# an initial gradient norm at least 100 times the same network's with He init and a
# loss that turns non-finite in every draw; cured when one fix learns normally in every
# draw.
#
# *Vanishing* (causes: deep sigmoid/tanh networks, poor initialisation). Sigmoid layers
# with the engine's default initialisation (uniform in ``+-1/sqrt(fan_in)``): the
# sigmoid's slope is at most 1/4, so the gradient shrinks several times per layer. The
# seed's fixes: ReLU instead of the sigmoid (same default initialisation), ReLU with He
# initialisation, batch normalisation, residual connections
# (``h_l = h_{l-1} + f(W_l h_{l-1} + b_l)``), and Xavier initialisation, the "better
# initialisation" meant for the sigmoid. Rule: the symptom is a first-layer gradient at
# most 1/1000 of the last layer's and a network stuck at chance (validation accuracy at
# most 20%); cured when the best fix learns normally.

# %%
DEPTH, WIDTH = 8, 64
DEEP_LR = 0.03


def deep_net(T, seed: int, activation: str, init: str = "default", gain: float = 1.0,
             batchnorm: bool = False, residual: bool = False):
    """Flatten, 8 hidden layers of 64 units, Linear(64, 10); the engine seeded first.

    ``init``: "default" (the engine's), "he" (``N(0, (gain * sqrt(2 / fan_in))^2)``, zero bias)
    or "xavier" (normal, zero bias). ``residual``: layers 2-8 add their input to their output.
    """
    T.manual_seed(seed)
    nn = T.nn
    act = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]

    class Residual(nn.Module):
        """``h + f(W h + b)``: the identity path carries the gradient past the layer."""

        def __init__(self, linear):
            super().__init__()
            self.linear, self.act = linear, act()

        def forward(self, h):
            return h + self.act(self.linear(h))

    layers, fan_in = [nn.Flatten()], 64
    for depth in range(DEPTH):
        linear = nn.Linear(fan_in, WIDTH)
        if init == "he":
            nn.init.normal_(linear.weight, 0.0, gain * math.sqrt(2.0 / fan_in))
            nn.init.zeros_(linear.bias)
        elif init == "xavier":
            nn.init.xavier_normal_(linear.weight)
            nn.init.zeros_(linear.bias)
        if residual and depth > 0:
            layers.append(Residual(linear))
        else:
            layers += [linear, *([nn.BatchNorm1d(WIDTH)] if batchnorm else []), act()]
        fan_in = WIDTH
    layers.append(nn.Linear(WIDTH, 10))
    return nn.Sequential(*layers)


def initial_gradient_norms(T, model, task) -> np.ndarray:
    """``||dL/dW_l||`` for each of the 9 weight matrices on 256 training images, before training."""
    T.nn.functional.cross_entropy(model(T.tensor(task.x_train[:256])), T.tensor(task.y_train[:256])).backward()
    norms = np.array([float(np.linalg.norm(w.grad.numpy())) for w in weight_matrices(model)])
    model.zero_grad()
    return norms


EXPLODING = {  # name -> (deep_net options, lr factor, clip)
    "2x He init (symptom)": (dict(activation="relu", init="he", gain=2.0), 1.0, None),
    "clip norm 1": (dict(activation="relu", init="he", gain=2.0), 1.0, 1.0),
    "lr / 10": (dict(activation="relu", init="he", gain=2.0), 0.1, None),
    "batch norm": (dict(activation="relu", init="he", gain=2.0, batchnorm=True), 1.0, None),
}
VANISHING = {  # name -> deep_net options
    "sigmoid (symptom)": dict(activation="sigmoid"),
    "ReLU, default init": dict(activation="relu"),
    "ReLU, He init": dict(activation="relu", init="he"),
    "sigmoid + batch norm": dict(activation="sigmoid", batchnorm=True),
    "sigmoid, residual": dict(activation="sigmoid", residual=True),
    "sigmoid, Xavier init": dict(activation="sigmoid", init="xavier"),
}


def deep_bench(lesson, task, variants, key, draw: int = 0):
    """Train each variant on the deep bench: ``({name: Run}, {name: initial per-layer grad norms})``.
    Every variant of a draw starts from the same engine seed and sees the same batches."""
    T = lesson.T
    runs, norms = {}, {}
    for name, spec in variants.items():
        options, lr_factor, clip = spec if isinstance(spec, tuple) else (spec, 1.0, None)
        model = deep_net(T, lesson.seed + 1000 * draw, **options)
        norms[name] = initial_gradient_norms(T, model, task)
        optimizer = T.optim.SGD(model.parameters(), lr=DEEP_LR * lr_factor, momentum=0.9)
        runs[name] = fit(T, model, optimizer, task, lesson.pick(20, 6), lesson.rng(key, draw), clip=clip)
    return runs, norms


def exploding_scenario(lesson, task, he_norms) -> Scenario:
    """Three draws of the exploding bench (one in quick mode): whether a fix works can depend on the draw."""
    draws = [deep_bench(lesson, task, EXPLODING, 5, d) for d in range(lesson.pick(3, 1))]
    runs, norms = draws[0]
    every = {name: [found[name] for found, _ in draws] for name in EXPLODING}
    sick = every["2x He init (symptom)"]
    fixes = [name for name in EXPLODING if "symptom" not in name]
    learns = {name: sum(run.end("val_acc") >= LEARNS for run in every[name]) for name in fixes}
    measured = {
        "s5_draws": len(draws),
        "s5_initial_loss": float(runs["2x He init (symptom)"].train_loss[0]),
        "s5_initial_grad_norm": float(np.linalg.norm(norms["2x He init (symptom)"])),
        "s5_he_initial_grad_norm": float(np.linalg.norm(he_norms)),
        "s5_grad_norm_over_he": float(np.linalg.norm(norms["2x He init (symptom)"]) / np.linalg.norm(he_norms)),
        "s5_nan_draws": sum(not run.finite for run in sick), "s5_nan_steps": [run.nan_step or 0 for run in sick],
        "s5_lr_over_10_dead_from_step": [_zero_from(np.linalg.norm(np.array(run.grad_norm), axis=1))
                                         for run in every["lr / 10"]],
        **{f"s5_{_key(name)}_stable_draws": sum(run.stable for run in every[name]) for name in fixes},
        **{f"s5_{_key(name)}_learns_draws": learns[name] for name in fixes},
        **{f"s5_{_key(name)}_val_acc": [run.end("val_acc") for run in every[name]] for name in fixes},
        "s5_best_fix_learns_draws": max(learns.values()),
    }
    rule = all_of(at_least("s5_grad_norm_over_he", 100.0), at_least("s5_nan_draws", "s5_draws"),
                  at_least("s5_best_fix_learns_draws", "s5_draws"))

    def panel(ax):
        for (name, run), color in zip(runs.items(), COLORS):
            _step_curve(ax, run, name, color)
        ax.set(yscale="log", xlabel="training step (log)", ylabel="training loss (log)",
               title="5. Exploding: 8 ReLU layers, weights 2x He (first draw)")

    return Scenario("exploding", every, measured, rule, panel, "upper right"), norms


def vanishing_scenario(lesson, task) -> Scenario:
    runs, norms = deep_bench(lesson, task, VANISHING, 6)
    fixes = [name for name in VANISHING if "symptom" not in name]
    ratio = {name: float(norms[name][0] / norms[name][-1]) for name in VANISHING}
    measured = {
        "s6_grad_first_over_last": ratio["sigmoid (symptom)"],
        "s6_first_layer_grad_norm": float(norms["sigmoid (symptom)"][0]),
        "s6_val_acc": runs["sigmoid (symptom)"].end("val_acc"),
        **{f"s6_{_key(name)}_grad_first_over_last": ratio[name] for name in fixes},
        **{f"s6_{_key(name)}_val_acc": runs[name].end("val_acc") for name in fixes},
        "s6_best_fix_val_acc": max(runs[name].end("val_acc") for name in fixes),
    }
    rule = all_of(at_most("s6_grad_first_over_last", 1e-3), at_most("s6_val_acc", 0.2),
                  at_least("s6_best_fix_val_acc", LEARNS))

    def panel(ax):
        for (name, run), color in zip(runs.items(), COLORS):
            ax.plot(run.val_acc, color=color, lw=2, label=name)
        ax.axhline(0.1, color="gray", ls="--", label="chance (10%)")
        stuck = [name for name, run in runs.items() if run.end("val_acc") <= 0.2]
        ax.text(0.98, 0.15, "at chance, lines overlap:\n" + "\n".join(stuck), transform=ax.transAxes,
                ha="right", va="bottom", fontsize=8)
        ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
               title="6. Vanishing: 8 sigmoid layers, default init")

    return Scenario("vanishing", runs, measured, rule, panel, "center right"), norms


# %% [markdown]
# ## The checklist's first steps (``004:6538-6543``, ``004:6459-6466``)
#
# * *Print shapes*: a batch of images, what ``Flatten`` makes of it, the logits.
# * *The initial loss*: an untrained network should score the random baseline, 2.303 (a
#   free test of the initialisation and the loss before any training). Rule: within 0.1.
# * *Overfit a single batch*: the default network and recipe on one batch of 32 images
#   should drive the loss to about zero. Rule: below 0.001 within 2000 Adam steps (we
#   report the step where it gets there, and where it stood after 300). A network that
#   cannot memorise 32 examples has a bug, not a data problem.
# * *Gradient magnitudes "~0.001 to 0.1"*: measured on the healthy run at every step in
#   two readings of "magnitude", each weight matrix's gradient norm ``||dL/dW||`` and its
#   mean absolute entry. Rule, for each reading: the share in ``[0.001, 0.1]`` holds at
#   90%, fails at 50% or less. The sick networks of scenarios 5 and 6 are drawn beside it.
# * *Update size*: not in the seed, but the monitor usually shown next to the gradients
#   (a common rule of thumb wants ``||dW|| / ||W||`` near 1e-3 per step). Reported only.

# %%
SINGLE_BATCH_STEPS = 2000


def single_batch(lesson, task, target: float = 1e-3) -> np.ndarray:
    """The loss on one batch of 32 before each Adam step, until it is below ``target`` or the
    2000-step budget is spent; ``losses[k]`` is the loss after ``k`` steps."""
    T = lesson.T
    model = default_net(T, lesson.seed)
    optimizer = adam(T, model)
    x, y = T.tensor(task.x_train[:BATCH]), T.tensor(task.y_train[:BATCH])
    losses = []
    for _ in range(SINGLE_BATCH_STEPS + 1):
        optimizer.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        losses.append(float(loss.item()))
        if losses[-1] < target or len(losses) > SINGLE_BATCH_STEPS:
            break
        loss.backward()
        optimizer.step()
    return np.array(losses)


def shapes(lesson, task) -> list:
    T = lesson.T
    model = default_net(T, lesson.seed)
    batch = T.tensor(task.x_train[:BATCH])
    found = [list(batch.shape), list(model[0](batch).shape), list(model(batch).shape)]
    lesson.check("checklist: shapes match the network (32 images 1x8x8 -> 64 features -> 10 logits)",
                 found == [[BATCH, 1, 8, 8], [BATCH, 64], [BATCH, 10]], str(found))
    return found


def checklist(lesson, task, healthy) -> tuple[dict, Rule, np.ndarray]:
    batch_losses = single_batch(lesson, task)
    norms, mean_abs = np.array(healthy.grad_norm), np.array(healthy.grad_mean_abs)  # (steps, 2 weight matrices)
    in_range = lambda a: int(np.count_nonzero((a >= GRAD_RANGE[0]) & (a <= GRAD_RANGE[1])))
    below = np.flatnonzero(batch_losses < 1e-3)
    measured = {
        "shapes_batch_flat_logits": shapes(lesson, task),
        "initial_loss": float(healthy.train_loss[0]),
        "single_batch_budget": SINGLE_BATCH_STEPS, "single_batch_loss_at_300": float(batch_losses[min(300, len(batch_losses) - 1)]),
        "single_batch_reached_1e-3": bool(len(below)),
        "single_batch_steps_to_1e-3": int(below[0]) if len(below) else -1,
        "single_batch_final_loss": float(batch_losses[-1]),
        "grad_values": int(norms.size), "grad_norms_in_range": in_range(norms),
        "grad_mean_abs_in_range": in_range(mean_abs),
        "grad_norm_median": float(np.median(norms)), "grad_norm_min": float(norms.min()),
        "grad_norm_max": float(norms.max()),
        "grad_mean_abs_median": float(np.median(mean_abs)),
        "grad_norm_median_per_layer": np.median(norms, axis=0).tolist(),
        "update_ratio_median": float(np.median(healthy.update_ratio)),
        "update_ratio_median_per_layer": np.median(np.array(healthy.update_ratio), axis=0).tolist(),
    }
    rule = all_of(close("initial_loss", BASELINE, 0.1), is_true("single_batch_reached_1e-3"),
                  fraction("grad_norms_in_range", "grad_values", 0.9, 0.5),
                  fraction("grad_mean_abs_in_range", "grad_values", 0.9, 0.5))
    return measured, rule, batch_losses


# %% [markdown]
# ## E53: the table and the checklist, measured
#
# All six scenarios and the checklist, each with the rule stated in its cell above.
# The seed's four-panel figure of simulated curves (inventory V51) becomes six panels of
# measured ones, each problem drawn with its fixes.

# %%
def table_claim(lesson, scenarios, check_measured, check_rule, batch_losses, healthy, norms5, norms6):
    fig = new_figure(19.0, 10.5)
    for ax, scenario in zip(fig.subplots(2, 3).ravel(), scenarios):
        scenario.panel(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7.5, loc=scenario.legend_at)
    fig.suptitle("Six ways training fails on 8x8 digits, each measured with its fixes", fontsize=14)
    panels = lesson.figure("debugging-scenarios", fig, shows="V51")

    fig = new_figure(7.0, 4.4)
    ax = fig.add_subplot()
    ax.semilogy(*_thin(batch_losses), color=TRAIN_COLOR, lw=2, label="loss on the batch")
    ax.axhline(1e-3, color=VAL_COLOR, ls="--", label="target: below 0.001")
    crossing = check_measured["single_batch_steps_to_1e-3"]
    reached = f"below 0.001 after {crossing} steps" if crossing >= 0 else f"not below 0.001 in {SINGLE_BATCH_STEPS}"
    ax.set(xlabel="Adam step (lr 0.001)", ylabel="cross-entropy (log)",
           title=f"Overfitting one batch of 32: {reached}")
    ax.grid(alpha=0.3); ax.legend(loc="upper right")
    overfit_one = lesson.figure("single-batch-overfit", fig)

    monitors = _gradient_monitors(lesson, scenarios, healthy, norms5, norms6)
    measured = {key: value for scenario in scenarios for key, value in scenario.measured.items()}
    measured.update(check_measured)
    failed = [s.title for s in scenarios if s.rule.verdict(measured) != "holds"]
    lesson.claim(
        id="E53", seed_ref="004:6439-6466, 6538-6543",
        claim="Six training problems show distinct symptoms and are cured by the listed fixes: NaN/Inf loss (too "
              "high a learning rate, instability: lower it 10x, clip), a loss that does not fall (learning rate, "
              "data or labels), training loss falling while validation loss rises (overfitting: regularise), both "
              "losses high (underfitting: more capacity, longer training), exploding gradients (clip, batch norm, "
              "lower lr, residuals) and vanishing ones (ReLU, batch norm, residuals, He/Xavier init). First "
              "checks: shapes, an initial loss at the random baseline, a single batch overfitted to about zero "
              "loss, gradient magnitudes of about 0.001 to 0.1.",
        measured=measured,
        rule=all_of(*(s.rule for s in scenarios), check_rule),
        correction=(None if not failed and check_rule.verdict(measured) == "holds"
                    else _table_correction(measured, failed)),
        figures=[panels, overfit_one, monitors])


def _table_correction(m: dict, failed: list) -> str:
    """What is true instead, from the numbers (E53)."""
    share = lambda count: m[count] / m["grad_values"]
    initial_ok = abs(m["initial_loss"] - BASELINE) <= 0.1
    parts = [
        "All six problems reproduce and are cured by a listed fix" if not failed else
        f"All problems but {', '.join(failed)} reproduce and are cured by a listed fix",
        f"the initial loss is {m['initial_loss']:.3f} ({'within' if initial_ok else 'not within'} 0.1 of 2.303), and "
        + (f"a single batch drops below 0.001 after {m['single_batch_steps_to_1e-3']} Adam steps (it was "
           f"{m['single_batch_loss_at_300']:.3f} after 300)" if m["single_batch_reached_1e-3"] else
           f"a single batch does not drop below 0.001 in {m['single_batch_budget']} steps"),
    ]
    text = "; ".join(parts) + (
        f". The gradient range is a reading, not a law: in the healthy 64-128-10 run "
        f"{share('grad_norms_in_range'):.0%} of the per-matrix gradient norms (median {m['grad_norm_median']:.2g}) and "
        f"{share('grad_mean_abs_in_range'):.0%} of the mean absolute entries (median {m['grad_mean_abs_median']:.1g}) "
        f"lie in [0.001, 0.1]. What tells sick from healthy is the order of magnitude and its trend over the layers: "
        f"the exploding net's initial gradient norm is {m['s5_grad_norm_over_he']:.0f}x the He-initialised one's, "
        f"and the vanishing net's first layer gets {m['s6_grad_first_over_last']:.0e} of its last layer's gradient.")
    alone = [f"clipping only delays the NaN of lr 1.0 (step {m['s1_clip_nan_step']} instead of {m['s1_nan_step']})"
             if not m["s1_clip_finite"] else "",
             f"a 10x lower rate leaves the exploding net at the baseline in "
             f"{m['s5_draws'] - m['s5_lr_over_10_stable_draws']} of {m['s5_draws']} draws"
             if m["s5_lr_over_10_stable_draws"] < m["s5_draws"] else "",
             f"ReLU with the default initialisation leaves the deep net at {m['s6_relu_default_init_val_acc']:.0%}"
             if m["s6_relu_default_init_val_acc"] < LEARNS else "",
             f"Xavier init leaves the sigmoid stack at {m['s6_sigmoid_xavier_init_val_acc']:.0%}"
             if m["s6_sigmoid_xavier_init_val_acc"] < LEARNS else ""]
    alone = [part for part in alone if part]
    return text + (f" Not every listed fix cures on its own: {'; '.join(alone)} (see E54, E60)." if alone else "")


def _zero_from(norms) -> int:
    """The step (from 1) after which the gradient norm stays exactly 0, or -1."""
    alive = np.flatnonzero(np.asarray(norms) != 0)
    return int(alive[-1]) + 2 if len(alive) < len(norms) else -1


def _gradient_monitors(lesson, scenarios, healthy, norms5, norms6):
    fig = new_figure(15.0, 10.0)
    (ax_healthy, ax_layers), (ax_global, ax_update) = fig.subplots(2, 2)
    band = dict(color="#2ca02c", alpha=0.12, label="the seed's range 0.001-0.1")
    steps, norms = _thin(healthy.grad_norm)
    steps, mean_abs = _thin(healthy.grad_mean_abs)
    epochs = (steps + 1) / healthy.steps_per_epoch
    for layer, (name, color) in enumerate(zip(("W1 (128x64)", "W2 (10x128)"), COLORS[1:])):
        ax_healthy.plot(epochs, norms[:, layer], color=color, lw=0.8, label=f"{name}: norm ||dL/dW||")
        ax_healthy.plot(epochs, mean_abs[:, layer], color=color, lw=0.8, ls=":", label=f"{name}: mean |entry|")
    ax_healthy.axhspan(*GRAD_RANGE, **band)
    ax_healthy.set(yscale="log", xlabel="epoch", ylabel="gradient size (log)",
                   title="Healthy 64-128-10 (Adam 1e-3): gradient size at every step")

    layers = np.arange(1, DEPTH + 2)
    picks = [(norms6, "sigmoid (symptom)", "vanishing: sigmoid, default init"),
             (norms6, "sigmoid, Xavier init", "sigmoid, Xavier init"),
             (norms6, "ReLU, default init", "ReLU, default init"),
             (norms6, "ReLU, He init", "ReLU, He init"),
             (norms6, "sigmoid + batch norm", "sigmoid + batch norm"),
             (norms5, "2x He init (symptom)", "exploding: ReLU, 2x He init")]
    for (source, name, label), color in zip(picks, COLORS):
        ax_layers.semilogy(layers, source[name], marker="o", color=color, label=label)
    ax_layers.axhspan(*GRAD_RANGE, **band)
    ax_layers.set(xlabel="weight matrix (1 = input side, 9 = output layer)", ylabel="||dL/dW|| at init (log)",
                  title="Deep bench, before training: gradient norm per layer", xticks=layers)

    exploding = next(s for s in scenarios if s.title == "exploding").runs
    for (name, run), color in zip(((name, found[0]) for name, found in exploding.items()), COLORS):
        full = np.linalg.norm(np.array(run.grad_norm), axis=1)
        steps, total = _thin(full)
        label = f"{name} (NaN at step {run.nan_step})" if not run.finite else name
        if np.any(full == 0):
            label += f": exactly 0 from step {_zero_from(full)} (a layer of dead ReLUs)"
        ax_global.semilogy(steps + 1, total, color=color, lw=0.8, label=label, marker="o" if len(total) < 20 else None)
    ax_global.axhline(1.0, color="gray", ls="--", label="clipping threshold 1")
    ax_global.set(xlabel="step", ylabel="global gradient norm, before clipping (log)",
                  title="Exploding bench (first draw): gradient-norm monitor")

    steps, ratios = _thin(healthy.update_ratio)
    for layer, (name, color) in enumerate(zip(("W1", "W2"), COLORS[1:])):
        ax_update.semilogy((steps + 1) / healthy.steps_per_epoch, ratios[:, layer], color=color, lw=0.8,
                           label=f"{name}: ||dW|| / ||W||")
    ax_update.axhline(1e-3, color="gray", ls="--", label="rule of thumb 1e-3 (not from the seed)")
    ax_update.set(xlabel="epoch", ylabel="relative update per step (log)", title="Healthy run: update-to-weight ratio")
    for ax, where in ((ax_healthy, "lower left"), (ax_layers, "lower right"), (ax_global, "upper right"),
                      (ax_update, "upper right")):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc=where)
    return lesson.figure("gradient-monitors", fig)


# %% [markdown]
# ## E54: the quick reference, backed by these runs (``004:6545-6557``)
#
# The recipe's first line: Adam, lr 0.001, batch 32, ReLU. Rule: it learns the digits
# normally, at least 90% accuracy on the test set. Two more lines, measured on the
# overfitting and unstable runs above. "If overfitting: dropout (0.3-0.5), L2 (0.01),
# early stopping": each must lower the untreated run's final *test* loss by at least 5%
# (the test set, because early stopping chose its epoch on validation; 5% because
# smaller gaps are within the noise of 359 images). "If unstable: lower learning rate,
# batch norm, gradient clipping": each must *stabilise* every draw of the exploding
# bench and, for clipping and the lower rate, the NaN run of scenario 1. Stable means no
# non-finite loss and training that gets somewhere: a final training loss below half
# the random baseline, 1.15 (a network whose units all died sits at 2.30 without ever
# producing a NaN).

# %%
def _what_went_wrong(runs: list) -> str:
    """How the unstable runs among ``runs`` failed, in words."""
    bad = [run for run in runs if not run.stable]
    nan = [str(run.nan_step) for run in bad if not run.finite]
    stuck = [f"{run.end('train_loss'):.2f}" for run in bad if run.finite]
    what = " and ".join(([f"NaN at step {', '.join(nan)}"] if nan else [])
                        + ([f"training loss stuck at {', '.join(stuck)}"] if stuck else []))
    return what if len(runs) == 1 else f"stable in {len(runs) - len(bad)} of {len(runs)} draws; the others: {what}"


def quick_reference_claim(lesson, healthy, overfit, s1, s5):
    runs = overfit.runs
    sick = runs["no regularisation (symptom)"]
    stop_epoch = int(np.argmin(sick.val_loss))
    test_loss = {name: runs[name].end("test_loss") for name in ("dropout 0.5", "dropout 0.3", "L2 0.01")}
    test_loss["early stopping"] = float(sick.test_loss[stop_epoch])
    untreated = sick.end("test_loss")
    unstable = {("lower_lr", "exploding"): s5.runs["lr / 10"], ("batch_norm", "exploding"): s5.runs["batch norm"],
                ("clipping", "exploding"): s5.runs["clip norm 1"], ("lower_lr", "nan_run"): [s1.runs["lr 0.1"]],
                ("clipping", "nan_run"): [s1.runs["lr 1.0, clip norm 1"]]}
    stable = {case: all(run.stable for run in found) for case, found in unstable.items()}
    measured = {
        "default_test_acc": healthy.end("test_acc"), "default_val_acc": healthy.end("val_acc"),
        "default_epochs": len(healthy.val_acc) - 1,
        "untreated_test_loss": untreated, "early_stopping_epoch": stop_epoch,
        **{f"{_key(name)}_test_loss": value for name, value in test_loss.items()},
        **{f"{_key(name)}_test_loss_over_untreated": value / untreated for name, value in test_loss.items()},
        **{f"{fix}_stabilises_{bench}": stable[fix, bench] for fix, bench in unstable},
        **{f"{fix}_{bench}_final_train_loss": [run.end("train_loss") if run.finite else None for run in found]
           for (fix, bench), found in unstable.items()},
    }
    rule = all_of(at_least("default_test_acc", DEFAULT_RECIPE_BAR),
                  *(at_most(f"{_key(name)}_test_loss_over_untreated", 0.95) for name in test_loss),
                  *(is_true(f"{fix}_stabilises_{bench}") for fix, bench in unstable))

    fig = new_figure(16.0, 4.6)
    ax_loss, ax_acc, ax_bars = fig.subplots(1, 3)
    ax_loss.plot(healthy.train_loss, color=TRAIN_COLOR, lw=2, label="training")
    ax_loss.plot(healthy.val_loss, color=VAL_COLOR, lw=2, label="validation")
    ax_loss.set(yscale="log", xlabel="epoch", ylabel="cross-entropy (log)",
                title="Default recipe: Adam 1e-3, batch 32, ReLU, 64-128-10")
    ax_acc.plot(healthy.val_acc, color=VAL_COLOR, lw=2, label="validation")
    ax_acc.plot(healthy.test_acc, color="#2ca02c", lw=2, label=f"test (final {healthy.end('test_acc'):.1%})")
    ax_acc.axhline(DEFAULT_RECIPE_BAR, color="gray", ls="--", label=f"rule: {DEFAULT_RECIPE_BAR:.0%}")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0.8, 1.0), title="Default recipe: accuracy")
    names = ["no regularisation", *(n if n != "early stopping" else f"early stopping\n(epoch {stop_epoch})"
                                    for n in test_loss)]
    values = [untreated, *test_loss.values()]
    bars = ax_bars.bar(names, values, color=[COLORS[0], *COLORS[1:5]])
    ax_bars.bar_label(bars, fmt="%.3f")
    ax_bars.axhline(0.95 * untreated, color="gray", ls="--", label="rule: 5% below no regularisation")
    ax_bars.set(ylabel="final test loss", title="If overfitting (scenario 3): the prescriptions")
    ax_bars.tick_params(axis="x", labelsize=8)
    for ax, where in ((ax_loss, "upper right"), (ax_acc, "lower right"), (ax_bars, "upper right")):
        ax.grid(alpha=0.3, axis="y" if ax is ax_bars else "both")
        ax.legend(fontsize=8, loc=where)
    path = lesson.figure("quick-reference", fig)

    dead = [step for step in s5.measured["s5_lr_over_10_dead_from_step"] if step > 0]
    why = {
        ("clipping", "nan_run"): f"clipping bounds the step, not the logits: at lr 1.0 with the unstabilised "
                                 f"softmax it only delays the NaN (step {s1.measured['s1_clip_nan_step']} instead of "
                                 f"{s1.measured['s1_nan_step']}), where the 10x lower rate prevents it",
        ("lower_lr", "exploding"): f"with initial gradients of norm ~{s5.measured['s5_initial_grad_norm']:.0f} a 10x "
                                   f"lower rate still takes huge first steps; where it failed they switched off every "
                                   f"ReLU of a layer (all gradients exactly 0 from step "
                                   f"{', '.join(map(str, dead)) or '-'}), and the network sat at the baseline loss "
                                   f"without ever producing a NaN",
    }
    bench_name = {"exploding": "the exploding net", "nan_run": "the NaN run"}
    failed_text = [f"{fix.replace('_', ' ')} on {bench_name[bench]} ({_what_went_wrong(unstable[fix, bench])}"
                   + (f": {why[fix, bench]})" if (fix, bench) in why else ")")
                   for fix, bench in unstable if not stable[fix, bench]]
    failed_text += [f"{name} (test loss {test_loss[name]:.3f} vs {untreated:.3f})" for name in test_loss
                    if test_loss[name] / untreated > 0.95]
    if healthy.end("test_acc") < DEFAULT_RECIPE_BAR:
        failed_text.insert(0, f"the default recipe itself ({healthy.end('test_acc'):.2%} test accuracy, short of "
                              f"the {DEFAULT_RECIPE_BAR:.0%} bar)")
    worked = lambda bench: " and ".join(f.replace("_", " ") for f, b in unstable if b == bench and stable[f, b])
    lesson.claim(
        id="E54", seed_ref="004:6545-6557",
        claim="Start with Adam at lr 0.001, batches of 32 and ReLU; against overfitting add dropout 0.3-0.5, L2 "
              "0.01 or early stopping; against instability lower the learning rate, add batch norm or clip "
              "gradients.",
        measured=measured, rule=rule,
        correction=None if not failed_text else (
            f"The default recipe reaches {healthy.end('test_acc'):.2%} test accuracy and most prescriptions work, "
            f"but not these: {'; '.join(failed_text)}. A prescription has to reach the cause of the instability: "
            f"here {worked('exploding') or 'nothing'} stabilised the exploding net, {worked('nan_run') or 'nothing'} "
            f"the NaN run."),
        figures=[path])


# %% [markdown]
# ## E60: the primer's three training problems (``003:180-192``)
#
# The primer lists overfitting (fix: dropout, regularisation, augmentation),
# underfitting (fix: more layers, train longer) and vanishing gradients (fix: ReLU,
# batch norm, better initialisation). Each of these eight cures was measured above, one
# at a time. Rule: a cure *improves its symptom* when it lowers the untreated run's
# final validation loss by at least 5% (overfitting), lowers its final training loss by
# at least 5% (underfitting), or raises its validation accuracy by at least 10 points
# (vanishing: a changed gradient ratio that leaves the network at chance is no cure).
# Holds if all eight do, fails if at most two do.

# %%
def training_problems_claim(lesson, s3, s4, s6):
    m3, m4, m6 = s3.measured, s4.measured, s6.measured
    cures = {  # cure -> (problem, untreated value, treated value, improved?)
        "dropout": ("overfitting", m3["s3_val_final"], m3["s3_dropout_0.5_val_final"]),
        "regularisation (L2 0.01)": ("overfitting", m3["s3_val_final"], m3["s3_l2_0.01_val_final"]),
        "augmentation (shift 1 px)": ("overfitting", m3["s3_val_final"], m3["s3_shift_1_px_val_final"]),
        "more layers (64-2-2-2-10)": ("underfitting", m4["s4_train_final"], m4["s4_deeper_train_final"]),
        "train longer (4x)": ("underfitting", m4["s4_train_final"], m4["s4_longer_train_final"]),
        "ReLU": ("vanishing", m6["s6_val_acc"], m6["s6_relu_default_init_val_acc"]),
        "batch norm": ("vanishing", m6["s6_val_acc"], m6["s6_sigmoid_batch_norm_val_acc"]),
        "better init (Xavier)": ("vanishing", m6["s6_val_acc"], m6["s6_sigmoid_xavier_init_val_acc"]),
    }
    improved = {name: (after >= before + 0.1) if problem == "vanishing" else (after <= 0.95 * before)
                for name, (problem, before, after) in cures.items()}
    measured = {
        "cures_named": len(cures), "cures_that_improved": sum(improved.values()),
        **{f"{_key(name.split(' (')[0])}_improved": value for name, value in improved.items()},
        **{f"{_key(name.split(' (')[0])}_untreated": cures[name][1] for name in cures},
        **{f"{_key(name.split(' (')[0])}_treated": cures[name][2] for name in cures},
        "relu_with_he_init_val_acc": m6["s6_relu_he_init_val_acc"],
    }

    fig = new_figure(16.0, 4.8)
    axes = dict(zip(("overfitting", "underfitting", "vanishing"), fig.subplots(1, 3)))
    labels = {"overfitting": "final validation loss (lower is better)",
              "underfitting": "final training loss (lower is better)",
              "vanishing": "final validation accuracy (higher is better)"}
    for problem, ax in axes.items():
        names = [name for name in cures if cures[name][0] == problem]
        values = [cures[names[0]][1], *(cures[name][2] for name in names)]
        tick = ["untreated", *names]
        colors = [COLORS[0], *("#2ca02c" if improved[name] else "#7f7f7f" for name in names)]
        if problem == "vanishing":
            tick.append("ReLU + He init\n(both together)")
            values.append(m6["s6_relu_he_init_val_acc"])
            colors.append("#17becf")
        bars = ax.bar([t.replace(" (", "\n(") for t in tick], values, color=colors)
        ax.bar_label(bars, fmt="%.3f" if problem != "vanishing" else "%.2f")
        ax.set(ylabel=labels[problem], title=f"{problem.capitalize()}: the primer's cures (green: improved)")
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(alpha=0.3, axis="y")
    path = lesson.figure("training-problem-cures", fig)

    failing = [name for name, ok in improved.items() if not ok]
    lesson.claim(
        id="E60", seed_ref="003:180-192",
        claim="Overfitting is cured by dropout, regularisation and augmentation; underfitting by more layers and "
              "longer training; vanishing gradients by ReLU, batch normalisation and better initialisation.",
        measured=measured, rule=fraction("cures_that_improved", "cures_named", 1.0, 0.25),
        correction=None if not failing else (
            f"{measured['cures_that_improved']} of the {len(cures)} cures improved their symptom here; these did "
            f"not: {', '.join(failing)}. "
            + (f"One-pixel shifts are an eighth of an 8-pixel digit: the augmented net ends with a training loss "
               f"of {m3['s3_shift_1_px_train_final']:.2f} (untreated {m3['s3_train_final']:.2f}) and a validation "
               f"loss of {m3['s3_shift_1_px_val_final']:.2f} (untreated {m3['s3_val_final']:.2f}); on these images "
               f"the shift is too coarse a transformation to stand in for more data. "
               if "augmentation (shift 1 px)" in failing else "")
            + (f"Layers of the bottleneck's own width add depth, not capacity: the 2-unit layers still squeeze "
               f"every image through two numbers, and the deeper stack ends at a training loss of "
               f"{m4['s4_deeper_train_final']:.2f} against {m4['s4_train_final']:.2f}; more neurons cure it "
               f"(64-128-10: {m4['s4_wider_train_final']:.2f}). "
               if "more layers (64-2-2-2-10)" in failing else "")
            + (f"In the 8-layer stack neither ReLU alone nor Xavier init alone gets the network off chance: with "
               f"the default initialisation (weight variance 1/(3 fan_in)) the ReLU stack's first layer gets "
               f"{m6['s6_relu_default_init_grad_first_over_last']:.2g} of its last layer's gradient, and with Xavier "
               f"init the sigmoid's slope (at most 1/4) still leaves the first layer "
               f"{m6['s6_sigmoid_xavier_init_grad_first_over_last']:.0e} of it. ReLU together with its He init reaches "
               f"{m6['s6_relu_he_init_val_acc']:.0%}, batch norm {m6['s6_sigmoid_batch_norm_val_acc']:.0%}."
               if {"ReLU", "better init (Xavier)"} & set(failing) else "")),
        figures=[path])


# %% [markdown]
# ## E58: the primer's five hands-on exercises (``001:229-235``)
#
# The primer sets five exercises: implement a simple network for classification,
# explore gradient-descent optimisation, visualise the learning process, apply
# regularisation, build a foundation for generative models. Each is done here, on the
# same 8x8 digits, from the runs above plus one small autoencoder, and each gets a
# measured outcome:
#
# 1. the healthy 64-128-10 classifier's test accuracy (at least 0.9);
# 2. gradient descent explored: of the learning rates tried above (SGD 1e-5, 0.1 and 1.0
#    with momentum), the middle one learns, the small one stays near chance and the
#    large one diverges;
# 3. learning visualised: the healthy run's training and validation curves, recorded at
#    every epoch, the validation loss at its end below half its start;
# 4. regularisation applied: at least one of the cures of scenario 3 removes the
#    overfitting;
# 5. a generative foundation: a 64-16-64 autoencoder (Adam, lr 0.001) whose test
#    reconstruction error is below half that of the mean image.
#
# **Rule.** Holds if all five outcomes hold (the lesson registry check of the course
# map stays as a lesson check).

# %%
EXERCISES = {
    "simple_classifier": ("neuron", "xor", "architectures"),
    "explore_gradient_descent": ("gradient_descent", "optimizers"),
    "visualise_learning": ("xor", "debugging"),
    "apply_regularisation": ("regularization",),
    "generative_foundation": ("autoencoders", "gans", "diffusion"),
}


def digits_autoencoder(lesson, task):
    """A 64-16-64 autoencoder (ReLU code, sigmoid output) on the 8x8 digits: its test MSE
    per pixel, the mean image's, a few reconstructions and the loss curve."""
    T = lesson.T
    T.manual_seed(lesson.seed)
    net = T.nn.Sequential(T.nn.Flatten(), T.nn.Linear(64, 16), T.nn.ReLU(), T.nn.Linear(16, 64), T.nn.Sigmoid())
    optimizer = T.optim.Adam(net.parameters(), lr=1e-3)
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731 - (N, 1, 8, 8) -> (N, 64)
    x_train, x_test = flat(task.x_train), flat(task.x_test)
    order_rng, curve = lesson.rng(58), []
    for _ in range(lesson.pick(40, 15)):
        for index in np.array_split(order_rng.permutation(len(x_train)), math.ceil(len(x_train) / BATCH)):
            batch = T.tensor(x_train[index])
            optimizer.zero_grad()
            loss = T.nn.functional.mse_loss(net(batch), batch)
            loss.backward()
            optimizer.step()
        with T.no_grad():
            curve.append(float(T.nn.functional.mse_loss(net(T.tensor(x_test)), T.tensor(x_test)).item()))
    with T.no_grad():
        reconstructions = net(T.tensor(x_test[:6])).numpy()
    mean_image_mse = float(np.mean((x_test - x_train.mean(axis=0)) ** 2))
    return curve, mean_image_mse, x_test[:6], reconstructions


def exercises_claim(lesson, task, healthy, s1, s2, s3):
    missing = [name for names in EXERCISES.values() for name in names if name not in LESSONS]
    lesson.check("E58: every lesson the course map names for an exercise exists", not missing, f"missing: {missing}")
    curve, mean_mse, originals, reconstructions = digits_autoencoder(lesson, task)
    lr_runs = {"SGD lr 1e-5": s2.runs["SGD lr 1e-5 (symptom)"], "SGD lr 0.1": s2.runs["SGD lr 0.1"],
               "SGD lr 1.0": s1.runs["lr 1.0, stable loss"]}
    measured = {
        "classifier_test_accuracy": healthy.end("test_acc"),
        "gd_val_acc_lr_1e-5": lr_runs["SGD lr 1e-5"].end("val_acc"), "gd_val_acc_lr_0.1": lr_runs["SGD lr 0.1"].end("val_acc"),
        "gd_lr_1.0_finite": lr_runs["SGD lr 1.0"].finite,
        "gd_middle_lr_best": lr_runs["SGD lr 0.1"].end("val_acc") > max(lr_runs["SGD lr 1e-5"].end("val_acc"),
                                                                         lr_runs["SGD lr 1.0"].end("val_acc")),
        "curve_epochs_recorded": len(healthy.val_loss),
        "val_loss_end_over_start": healthy.val_loss[-1] / healthy.val_loss[0],
        "regularisation_cures": s3.measured["s3_fixes_that_cure_count"],
        "autoencoder_test_mse": curve[-1], "mean_image_mse": mean_mse, "autoencoder_over_mean_image": curve[-1] / mean_mse,
        **{f"lessons_{key}": ", ".join(names) for key, names in EXERCISES.items()},
    }
    rule = all_of(at_least("classifier_test_accuracy", 0.9), is_true("gd_middle_lr_best"),
                  at_most("val_loss_end_over_start", 0.5), at_least("regularisation_cures", 1),
                  at_most("autoencoder_over_mean_image", 0.5))
    path = exercises_figure(lesson, healthy, lr_runs, s3, curve, mean_mse, originals, reconstructions)
    lesson.claim(
        id="E58", seed_ref="001:229-235",
        claim="The primer's five hands-on exercises can each be done by a learner: a simple classifier, exploring "
              "gradient descent, visualising learning, applying regularisation, a foundation for generative models.",
        measured=measured, rule=rule, figures=[path],
        correction=unless_holds(rule, measured, "an exercise's outcome missed its bar: "
                                + "; ".join(p.describe() for p in rule.parts if p.verdict(measured) != "holds")))


def exercises_figure(lesson, healthy, lr_runs, s3, curve, mean_mse, originals, reconstructions):
    fig = new_figure(19.0, 3.9)
    axes = fig.subplots(1, 5)
    epochs = np.arange(len(healthy.test_acc))
    axes[0].plot(epochs, healthy.test_acc, color=COLORS[0])
    axes[0].set(title=f"1. classifier: test accuracy {healthy.end('test_acc'):.3f}", xlabel="epoch", ylabel="test accuracy")
    for (name, run), color in zip(lr_runs.items(), COLORS):
        axes[1].plot(np.arange(len(run.val_acc)), run.val_acc, color=color, label=name if run.finite else name + " (NaN)")
    axes[1].set(title="2. gradient descent: learning rates", xlabel="epoch", ylabel="validation accuracy")
    axes[1].legend(fontsize=8)
    axes[2].plot(epochs, healthy.train_loss, color=COLORS[0], label="train")
    axes[2].plot(epochs, healthy.val_loss, color=COLORS[1], ls="--", label="validation")
    axes[2].set(title="3. learning, visualised", xlabel="epoch", ylabel="loss", yscale="log")
    axes[2].legend(fontsize=8)
    for name, color in zip(("no regularisation (symptom)", "dropout 0.5", "L2 0.01"), COLORS):
        axes[3].plot(np.arange(len(s3.runs[name].val_loss)), s3.runs[name].val_loss, color=color, label=name)
    axes[3].set(title=f"4. regularisation: {s3.measured['s3_fixes_that_cure_count']} cures", xlabel="epoch",
                ylabel="validation loss", yscale="log")
    axes[3].legend(fontsize=8)
    axes[4].axis("off")
    axes[4].set_title(f"5. autoencoder: test MSE {curve[-1]:.4f}\n(mean image: {mean_mse:.4f})\n"
                      "top: test digits, bottom: reconstructed", fontsize=10)
    for i in range(len(originals)):
        for row, images in enumerate((originals, reconstructions)):
            inset = axes[4].inset_axes([i / len(originals), 0.52 - 0.5 * row, 0.95 / len(originals), 0.45])
            inset.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            inset.set_xticks([]); inset.set_yticks([])
    fig.suptitle("E58: the primer's five exercises, done on the 8x8 digits")
    return lesson.figure("five-exercises", fig)


# %%
def run(lesson):
    task = load_digits()
    healthy = healthy_run(lesson, task)
    s1 = nan_scenario(lesson, task)
    s2 = flat_scenario(lesson, task, healthy)
    s3 = overfit_scenario(lesson, task)
    s4 = underfit_scenario(lesson, task, healthy)
    s6, norms6 = vanishing_scenario(lesson, task)  # first: its He-initialised ReLU stack is scenario 5's yardstick
    s5, norms5 = exploding_scenario(lesson, task, norms6["ReLU, He init"])
    check_measured, check_rule, batch_losses = checklist(lesson, task, healthy)
    table_claim(lesson, [s1, s2, s3, s4, s5, s6], check_measured, check_rule, batch_losses, healthy, norms5, norms6)
    quick_reference_claim(lesson, healthy, s3, s1, s5)
    training_problems_claim(lesson, s3, s4, s6)
    exercises_claim(lesson, task, healthy, s1, s2, s3)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("debugging")
