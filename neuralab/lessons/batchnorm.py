"""Batch normalization: the formulas, the layer, its gradient, and what it does for training.

Follows ``004:6183-6438`` (inventory E52, D15).
"""

# %% [markdown]
# # Batch normalization
#
# Batch normalization (``004:6183-6438``) standardises every feature of a layer's
# activations over the mini-batch, then lets the network rescale them with two learned
# parameters. The seed gives the four formulas (``004:6198-6226``), works a batch of
# four numbers by hand, prints the gradients for backpropagation (``004:6256-6274``),
# histograms a skewed batch before and after, and writes a NumPy ``BatchNormalization``
# layer with running statistics for inference (``004:6325-6370``) that it runs on two
# batches from very different distributions. Its claims: the output has mean 0 and
# standard deviation 1, the layer stabilises training and allows higher learning rates.
#
# For a mini-batch ``x_1 .. x_m`` of one feature:
#
#     mu    = (1/m) sum_i x_i                      batch mean
#     var   = (1/m) sum_i (x_i - mu)^2             batch variance (divide by m, not m - 1)
#     xhat_i = (x_i - mu) / sqrt(var + eps)        standardised
#     y_i   = gamma * xhat_i + beta                scaled and shifted (gamma, beta learned)
#
# We check every number the seed prints, compare its layer with the engine's
# ``nn.BatchNorm1d`` (two conventions differ), find one error in its gradient formula,
# and measure the training claims on a real task.

# %%
import numpy as np

from neuralab import data
from neuralab.lessons.claims import all_of, at_most, close, fraction
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "Batch normalization",
    "part": "III. Practice",
    "section": "004:6183-6438",
    "claims": ("E52", "D15"),
    "seconds": 60,
    "engines": ("scratch", "torch"),
}

EPS = 1e-5  # the seed's epsilon throughout


def skewness(x):
    """Sample skewness ``E[(x - mean)^3] / std^3`` of a 1-D array: 0 for a symmetric shape, 2 for an exponential."""
    centred = x - x.mean()
    return float(np.mean(centred ** 3) / np.std(x) ** 3)


# %% [markdown]
# ## The seed's layer, re-indented, with the backward pass it lacks (``004:6325-6370``)
#
# ``forward`` is the seed's code: in training mode it normalises with the batch's own
# statistics and updates the running averages ``running = momentum * running +
# (1 - momentum) * batch`` (momentum 0.9); in inference mode it normalises with the
# running averages. The seed writes no ``backward``; ours uses the corrected input
# gradient derived in the D15 section below. ``unbiased_running_var`` is not in the seed:
# it switches the running variance to the ``m / (m - 1)`` corrected batch variance that
# PyTorch stores, for the comparison with the engine.

# %%
class BatchNormalization:
    """Batch normalization of ``(batch, num_features)`` inputs over the batch axis, per feature."""

    def __init__(self, num_features, epsilon=EPS, momentum=0.9, unbiased_running_var=False):
        self.num_features = num_features
        self.epsilon = epsilon
        self.momentum = momentum
        self.unbiased_running_var = unbiased_running_var
        self.gamma = np.ones((1, num_features))   # scale, learned
        self.beta = np.zeros((1, num_features))   # shift, learned
        self.running_mean = np.zeros((1, num_features))  # for inference
        self.running_var = np.ones((1, num_features))

    def forward(self, X, training=True):
        """``X`` (m, num_features) -> ``gamma * xhat + beta``, same shape."""
        if training:
            batch_mean = np.mean(X, axis=0, keepdims=True)
            batch_var = np.var(X, axis=0, keepdims=True)
            X_norm = (X - batch_mean) / np.sqrt(batch_var + self.epsilon)
            m = len(X)
            stored_var = batch_var * m / (m - 1) if self.unbiased_running_var else batch_var
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * batch_mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * stored_var
            self.batch_var, self.X_norm = batch_var, X_norm  # kept for backward
        else:
            X_norm = (X - self.running_mean) / np.sqrt(self.running_var + self.epsilon)
        return self.gamma * X_norm + self.beta

    def backward(self, dY):
        """Gradients of the last training-mode forward: ``dY`` (m, F) -> (dX, dgamma, dbeta).

        dL/dbeta = sum_i dY_i,   dL/dgamma = sum_i dY_i xhat_i,
        dL/dX_i = gamma / (m sqrt(var + eps)) * (m dY_i - sum_j dY_j - xhat_i sum_j dY_j xhat_j).
        """
        m = len(dY)
        dbeta = dY.sum(axis=0, keepdims=True)
        dgamma = (dY * self.X_norm).sum(axis=0, keepdims=True)
        dX = self.gamma / (m * np.sqrt(self.batch_var + self.epsilon)) * (m * dY - dbeta - self.X_norm * dgamma)
        return dX, dgamma, dbeta


# %% [markdown]
# ## The worked example (``004:6227-6254``)
#
# The batch ``[1, 2, 3, 4]`` with ``eps = 1e-5``, then ``gamma = 2``, ``beta = 0.5``. By
# hand: ``mu = 2.5``, ``var = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25``, ``xhat = (x - 2.5) /
# sqrt(1.25 + 1e-5)``, that is ``[-1.342, -0.447, 0.447, 1.342]``, and ``y = 2 xhat + 0.5 =
# [-2.183, -0.394, 1.394, 3.183]``: mean 0.5 and standard deviation just under 2 (the
# ``eps`` shrinks it by a factor ``sqrt(1.25 / 1.25001)``). The engine computes the same
# with its functional ``batch_norm``.

# %%
def worked_example(lesson):
    T = lesson.T
    batch = np.array([1.0, 2.0, 3.0, 4.0])
    layer = BatchNormalization(1)
    layer.gamma[:], layer.beta[:] = 2.0, 0.5
    y = layer.forward(batch[:, None])[:, 0]
    x_hat = layer.X_norm[:, 0]
    engine = T.nn.functional.batch_norm(T.tensor(batch[:, None]), None, None, T.tensor([2.0], dtype=T.float64),
                                        T.tensor([0.5], dtype=T.float64), training=True, eps=EPS).numpy()[:, 0]
    lesson.check("E52: the engine's batch_norm gives the worked example", np.abs(engine - y).max() < 1e-12,
                 f"largest difference {np.abs(engine - y).max():.1e}")
    return {"example_mean": float(batch.mean()), "example_var": float(batch.var()),
            "example_x_hat": x_hat.tolist(), "example_y": y.tolist(),
            "example_y_mean": float(y.mean()), "example_y_std": float(y.std())}


# %% [markdown]
# ## A skewed batch before and after (``004:6275-6323``)
#
# 100 draws from an exponential distribution (scale 2, seed 42), normalised and then
# scaled by ``gamma = 1.5`` and shifted by ``beta = 0.3``. (Here the seed divides by
# ``std + 1e-5`` instead of ``sqrt(var + 1e-5)``, its own formula; the two differ by
# at most about 2e-5 here, and we keep its code.) The mean and standard deviation become exactly what
# they should; we also measure the skewness, because normalisation is an affine map:
# it moves and stretches the histogram but cannot change its shape. A skewed batch stays
# just as skewed; "standardised" is not "Gaussian".

# %%
def skewed_batch(lesson):
    draws = np.random.RandomState(42)  # the legacy generator np.random.seed(42) drives (004:6278)
    batch = draws.exponential(scale=2.0, size=100)
    normalised = (batch - batch.mean()) / (batch.std() + EPS)
    scaled = 1.5 * normalised + 0.3
    formula = (batch - batch.mean()) / np.sqrt(batch.var() + EPS)

    fig = new_figure(15.0, 4.2)
    panels = [("Before BatchNorm", batch, "#BF092F", "activation value"),
              ("After normalization", normalised, "#3B9797", "normalized value"),
              ("After scale and shift (γ = 1.5, β = 0.3)", scaled, "#132440", "final value")]
    for ax, (title, values, color, xlabel) in zip(fig.subplots(1, 3), panels):
        ax.hist(values, bins=20, color=color, alpha=0.75, edgecolor="black")
        ax.axvline(values.mean(), color="orange", ls="--", lw=2, label=f"mean = {values.mean():.2f}")
        ax.set_title(f"{title}\nmean {values.mean():.2f}, std {values.std():.2f}, skewness {skewness(values):.2f}")
        ax.set_xlabel(xlabel); ax.set_ylabel("count"); ax.grid(alpha=0.3); ax.legend()
    path = lesson.figure("skewed-batch", fig, shows="V49")
    return draws, {
        "skewed_mean_before": float(batch.mean()), "skewed_std_before": float(batch.std()),
        "skewed_mean_after": float(normalised.mean()), "skewed_std_after": float(normalised.std()),
        "scaled_mean": float(scaled.mean()), "scaled_std": float(scaled.std()),
        "skewness_before": skewness(batch), "skewness_after": skewness(normalised),
        "std_plus_eps_vs_formula_max_diff": float(np.abs(normalised - formula).max()),
    }, path


# %% [markdown]
# ## Two batches from different distributions (``004:6371-6429``)
#
# The seed draws a 64 x 128 batch from ``N(5, 2^2)`` and another from ``N(-3, 4^2)``
# (continuing the same seed-42 generator after the exponential draws) and passes both
# through a fresh layer in training mode. Each feature of each output should have mean
# 0 and standard deviation ``sqrt(var / (var + eps))``, within about 1e-6 of 1 for these
# variances.

# %%
def two_batches(lesson, draws):
    batch1 = draws.randn(64, 128) * 2 + 5
    batch2 = draws.randn(64, 128) * 4 - 3
    layer = BatchNormalization(128)
    out1, out2 = layer.forward(batch1, training=True), layer.forward(batch2, training=True)
    measured = {
        "batch1_mean": float(batch1.mean()), "batch1_std": float(batch1.std()),
        "batch2_mean": float(batch2.mean()), "batch2_std": float(batch2.std()),
        "out1_mean": float(out1.mean()), "out1_std": float(out1.std()),
        "out2_mean": float(out2.mean()), "out2_std": float(out2.std()),
        "per_feature_max_abs_mean": float(max(np.abs(o.mean(axis=0)).max() for o in (out1, out2))),
        "per_feature_max_abs_std_minus_1": float(max(np.abs(o.std(axis=0) - 1).max() for o in (out1, out2))),
    }

    fig = new_figure(14.0, 9.0)
    axes = fig.subplots(2, 2)
    for ax, (a, b), title in ((axes[0, 0], (batch1, batch2), "Original activations (different distributions)"),
                              (axes[0, 1], (out1, out2), "After batch normalization (both mean 0, std 1)")):
        ax.hist(a.ravel(), bins=50, alpha=0.7, color="#3B9797", edgecolor="black",
                label=f"batch 1: mean {a.mean():.2f}, std {a.std():.2f}")
        ax.hist(b.ravel(), bins=50, alpha=0.7, color="#BF092F", edgecolor="black",
                label=f"batch 2: mean {b.mean():.2f}, std {b.std():.2f}")
        ax.set_title(title); ax.set_xlabel("activation value"); ax.set_ylabel("count"); ax.legend(fontsize=9)
    means_before, means_after = batch1[:, :50].mean(axis=0), out1[:, :50].mean(axis=0)
    axes[1, 0].bar(range(50), means_before, color="#3B9797", edgecolor="black")
    axes[1, 0].set_title(f"Batch 1, feature means before BN (spread {means_before.std():.2f})")
    axes[1, 1].bar(range(50), means_after, color="#BF092F", edgecolor="black")
    axes[1, 1].set_title(f"Batch 1, feature means after BN (largest |mean| {np.abs(means_after).max():.1e})")
    for ax in axes[1]:
        ax.set_xlabel("feature index (first 50 of 128)"); ax.set_ylabel("mean over the batch")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    return batch1, batch2, measured, lesson.figure("two-batches", fig, shows="V50")


# %% [markdown]
# ## The seed's layer against the engine's ``nn.BatchNorm1d``
#
# Both layers keep running averages, with two differences of convention:
#
# * **momentum.** The seed's momentum is the weight of the *old* average (0.9), PyTorch's
#   the weight of the *new* batch (default 0.1): ``running = (1 - momentum) * running +
#   momentum * batch``. The seed's 0.9 is PyTorch's 0.1; passing ``momentum=0.9`` to
#   ``nn.BatchNorm1d``, as the seed's advice "momentum about 0.9" (``004:6437``) read
#   literally would, makes the average forget almost everything but the last batch.
# * **running variance.** PyTorch stores the unbiased batch variance ``m / (m - 1)`` times
#   the one it normalises with; the seed stores the biased one.
#
# The normalised training outputs agree exactly. We feed both layers the seed's two
# batches, then a stream of 100 batches of 64 from ``N(5, 2^2)`` per feature, and compare
# the running statistics and the inference outputs (the engine's in ``eval()`` mode).
#
# One consequence of the seed's own demo: its layer has seen two batches when the demo
# ends, and a running average with momentum 0.9 needs about ``log(0.01) / log(0.9)``, or
# 44, batches before the start value (mean 0, variance 1) has faded to 1%. Switched to
# inference mode after two batches, the layer would normalise with the wrong statistics.

# %%
def gap(a, b):
    """Largest absolute difference of two arrays."""
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def against_engine(lesson, batch1, batch2):
    T = lesson.T
    seed_layer, matched = BatchNormalization(128), BatchNormalization(128, unbiased_running_var=True)
    torch_01, torch_09 = (T.nn.BatchNorm1d(128, momentum=momentum).double() for momentum in (0.1, 0.9))

    def running(name):
        """(running mean of feature 0, running variance averaged over the features) of one layer."""
        if name == "seed":
            return seed_layer.running_mean[0, 0], seed_layer.running_var.mean()
        module = torch_01 if name == "torch 0.1" else torch_09
        return module.running_mean.numpy()[0], module.running_var.numpy().mean()

    stream = lesson.rng(52).normal(5.0, 2.0, size=(100, 64, 128))
    history = {name: [] for name in ("seed", "torch 0.1", "torch 0.9")}
    output_gap = 0.0
    for step, batch in enumerate([batch1, batch2, *stream]):
        outs = [seed_layer.forward(batch), matched.forward(batch)]
        with T.no_grad():
            outs += [module(T.tensor(batch)).numpy() for module in (torch_01, torch_09)]
        output_gap = max(output_gap, *(gap(out, outs[0]) for out in outs[1:]))
        for name in history:
            history[name].append(running(name))
        if step == 1:  # the end of the seed's demo: two batches seen
            demo_eval = seed_layer.forward(batch1, training=False)
            measured = {"running_mean_after_demo": float(seed_layer.running_mean.mean()),
                        "running_var_after_demo": float(seed_layer.running_var.mean()),
                        "eval_on_batch1_after_demo_mean": float(demo_eval.mean()),
                        "eval_on_batch1_after_demo_std": float(demo_eval.std()),
                        "running_mean_gap_seed09_vs_torch01": gap(torch_01.running_mean.numpy(),
                                                                  seed_layer.running_mean[0]),
                        "running_var_gap_seed09_vs_torch01": gap(torch_01.running_var.numpy(),
                                                                 seed_layer.running_var[0])}

    probe = lesson.rng(53).normal(5.0, 2.0, size=(256, 128))
    torch_01.eval()
    with T.no_grad():
        engine_eval = torch_01(T.tensor(probe)).numpy()
    measured.update({
        "train_output_max_abs_diff": output_gap,
        "running_mean_gap_matched_after_stream": gap(torch_01.running_mean.numpy(), matched.running_mean[0]),
        "running_var_gap_matched_after_stream": gap(torch_01.running_var.numpy(), matched.running_var[0]),
        "running_var_ratio_torch_to_seed_after_stream": float(np.mean(torch_01.running_var.numpy()
                                                                      / seed_layer.running_var[0])),
        "unbiased_factor_m_over_m_minus_1": 64 / 63,
        "eval_output_max_abs_diff_matched": gap(engine_eval, matched.forward(probe, training=False)),
        "batches_to_1pct_at_momentum_0.9": int(np.ceil(np.log(0.01) / np.log(0.9))),
    })
    matched_gaps = [measured[k] for k in ("running_mean_gap_matched_after_stream",
                                          "running_var_gap_matched_after_stream", "eval_output_max_abs_diff_matched")]
    lesson.check("E52: with momentum 0.1 and the unbiased variance, the engine's running stats equal the seed's",
                 max(matched_gaps) < 1e-10,
                 "mean, variance, eval-output gaps " + ", ".join(f"{g:.1e}" for g in matched_gaps))
    lesson.check("E52: training-mode outputs of the seed's layer and the engine's agree", output_gap < 1e-10,
                 f"largest difference {output_gap:.1e}")
    return measured, _running_stats_figure(lesson, history)


def _running_stats_figure(lesson, history):
    fig = new_figure(14.0, 4.6)
    ax_mean, ax_var = fig.subplots(1, 2)
    styles = {"seed": ("#132440", "-", 3.5, "seed's layer, momentum 0.9 (weight of the old average)"),
              "torch 0.1": ("#3B9797", "--", 1.8, "nn.BatchNorm1d, momentum 0.1 (weight of the new batch)"),
              "torch 0.9": ("#BF092F", "-", 1.2,
                            "nn.BatchNorm1d, momentum 0.9 (the seed's number, torch's meaning)")}
    for name, (color, ls, lw, label) in styles.items():
        rows = np.array(history[name])
        seen = np.arange(1, len(rows) + 1)
        ax_mean.plot(seen, rows[:, 0], ls, color=color, lw=lw, label=label)
        ax_var.plot(seen, rows[:, 1], ls, color=color, lw=lw, label=label)
    last_seed, last_torch = history["seed"][-1][1], history["torch 0.1"][-1][1]
    ax_var.text(0.97, 0.6, f"after {len(seen)} batches:\nseed's layer {last_seed:.3f}\n"
                f"nn.BatchNorm1d {last_torch:.3f}\nratio {last_torch / last_seed:.4f} (64/63 = {64 / 63:.4f})",
                transform=ax_var.transAxes, ha="right", fontsize=9, bbox=dict(facecolor="white", alpha=0.8))
    for ax, truth, what in ((ax_mean, 5.0, "running mean of feature 0"),
                            (ax_var, 4.0, "running variance (mean over features)")):
        ax.axvspan(0.5, 2.5, color="orange", alpha=0.25, label="the seed's two demo batches")
        ax.axhline(truth, color="gray", ls=":", lw=1.5, label=f"true value of the stream ({truth:g})")
        ax.set_xlabel("training batches seen"); ax.set_ylabel(what); ax.grid(alpha=0.3)
    ax_mean.set_title("Running mean: 2 demo batches, then 100 batches from N(5, 2²)")
    ax_var.set_title("Running variance (torch stores m/(m-1) = 64/63 times more)")
    ax_mean.legend(fontsize=8, loc="lower right")
    return lesson.figure("running-stats", fig)


# %% [markdown]
# ## D15: the input gradient (``004:6256-6274``)
#
# The seed prints three gradients. The two for the parameters are right:
# ``dL/dbeta = sum_i dL/dy_i`` and ``dL/dgamma = sum_i dL/dy_i xhat_i``. The one for the
# input reads
#
#     dL/dx_i = (gamma / sqrt(var + eps)) [m dL/dxhat_i - sum_j dL/dxhat_j - xhat_i sum_j dL/dxhat_j xhat_j]
#
# and is off in two ways: the factor ``1/m`` is missing, and with ``dL/dxhat = gamma dL/dy``
# inside the brackets the ``gamma`` in front is counted twice. Through ``mu`` and ``var``
# every ``x_j`` affects every ``xhat_i``; the chain rule over those paths gives
#
#     dL/dx_i = 1 / (m sqrt(var + eps)) [m dL/dxhat_i - sum_j dL/dxhat_j - xhat_i sum_j dL/dxhat_j xhat_j]
#             = gamma / (m sqrt(var + eps)) [m dL/dy_i - sum_j dL/dy_j - xhat_i sum_j dL/dy_j xhat_j].
#
# We implement the printed formula read literally (``dL/dxhat`` in the brackets, ``gamma``
# in front), the printed formula read kindly (``dL/dy`` in the brackets: only the ``1/m``
# missing), and the correct one, and compare each with the engine's autograd and with
# central finite differences of the NumPy forward pass, on batches of 4 to 128 samples
# (3 features, ``gamma`` and ``beta`` drawn at random, a random upstream gradient
# ``dL/dy``, float64). The literal reading is off by the factor ``gamma m``, the kind one
# by ``m``, so the error grows with the batch.
#
# **Rule.** The printed formula is the input gradient if its relative error
# ``||g - g_autograd|| / ||g_autograd||`` is below 1e-7 at every batch size; the correct
# formula must meet the same bar against autograd and against finite differences.

# %%
def printed_gradient(dy, x_hat, var, gamma, literal=True):
    """The seed's printed dL/dx (004:6273); ``literal``: dL/dxhat = gamma dL/dy in the brackets."""
    m = len(dy)
    d_hat = gamma * dy if literal else dy
    return gamma / np.sqrt(var + EPS) * (m * d_hat - d_hat.sum(axis=0) - x_hat * (d_hat * x_hat).sum(axis=0))


def finite_difference(x, dy, gamma, beta, h=1e-5):
    """Central differences of ``L(x) = sum(dy * bn(x))``, every entry of ``x`` (m, F) in turn."""
    def loss(values):
        x_hat = (values - values.mean(axis=0)) / np.sqrt(values.var(axis=0) + EPS)
        return float(np.sum(dy * (gamma * x_hat + beta)))

    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (loss(x + step) - loss(x - step)) / (2 * h)
    return grad


def relative_error(g, reference):
    return float(np.linalg.norm(g - reference) / np.linalg.norm(reference))


def gradient_check(lesson):
    T = lesson.T
    rows = {}
    parameter_errors = []
    for m in lesson.pick((4, 8, 16, 32, 64, 128), (4, 16, 64)):
        rng = lesson.rng(15, m)
        x = rng.normal(1.0, 2.0, size=(m, 3))
        dy = rng.normal(size=(m, 3))
        gamma, beta = rng.uniform(0.5, 2.0, size=3), rng.normal(size=3)

        layer = BatchNormalization(3)
        layer.gamma, layer.beta = gamma[None], beta[None]
        layer.forward(x)
        correct, dgamma, dbeta = layer.backward(dy)

        module = T.nn.BatchNorm1d(3).double()
        with T.no_grad():
            module.weight.copy_(T.tensor(gamma)); module.bias.copy_(T.tensor(beta))
        inputs = T.tensor(x, requires_grad=True)
        (module(inputs) * T.tensor(dy)).sum().backward()
        autograd = inputs.grad.numpy()

        x_hat, var = layer.X_norm, layer.batch_var
        rows[m] = {"printed_literal": relative_error(printed_gradient(dy, x_hat, var, gamma), autograd),
                   "printed_kind": relative_error(printed_gradient(dy, x_hat, var, gamma, literal=False), autograd),
                   "correct_vs_autograd": relative_error(correct, autograd),
                   "correct_vs_fd": relative_error(correct, finite_difference(x, dy, gamma, beta)),
                   "literal_ratio_over_gamma_m": float(np.median(printed_gradient(dy, x_hat, var, gamma) / correct
                                                                 / (gamma * m)))}
        parameter_errors += [relative_error(dgamma[0], module.weight.grad.numpy()),
                             relative_error(dbeta[0], module.bias.grad.numpy())]
    worst_hand = max(r["correct_vs_autograd"] for r in rows.values())
    lesson.check("D15: the hand-derived BatchNorm backward equals autograd (float64)", worst_hand < 1e-10,
                 f"largest relative error {worst_hand:.1e}")
    lesson.check("D15: the printed dL/dgamma and dL/dbeta equal autograd", max(parameter_errors) < 1e-10,
                 f"largest relative error {max(parameter_errors):.1e}")

    sizes = list(rows)
    measured = {"batch_sizes": sizes,
                **{f"{key}_rel_errors": [rows[m][key] for m in sizes]
                   for key in ("printed_literal", "printed_kind", "correct_vs_autograd", "correct_vs_fd")},
                "printed_literal_min_rel_error": min(r["printed_literal"] for r in rows.values()),
                "printed_kind_min_rel_error": min(r["printed_kind"] for r in rows.values()),
                "printed_literal_max_rel_error": max(r["printed_literal"] for r in rows.values()),
                "literal_error_factor_over_gamma_m": [rows[m]["literal_ratio_over_gamma_m"] for m in sizes],
                "parameter_grads_max_rel_error": max(parameter_errors)}
    fixed = {"correct_max_rel_error_vs_autograd": worst_hand,
             "correct_max_rel_error_vs_fd": max(r["correct_vs_fd"] for r in rows.values())}
    return measured, fixed, _gradient_figure(lesson, rows)


def _gradient_figure(lesson, rows):
    fig = new_figure(11.0, 4.8)
    ax = fig.add_subplot()
    sizes = list(rows)
    series = [("printed_literal", "printed formula, literal (dL/dx̂ inside, γ in front)", "#BF092F"),
              ("printed_kind", "printed formula, dL/dy inside (only 1/m missing)", "#f28e2b"),
              ("correct_vs_autograd", "correct formula vs autograd", "#3B9797"),
              ("correct_vs_fd", "correct formula vs finite differences", "#132440")]
    width = 0.2
    for k, (key, label, color) in enumerate(series):
        ax.bar(np.arange(len(sizes)) + (k - 1.5) * width, [max(rows[m][key], 1e-18) for m in sizes], width,
               color=color, label=label)
    for i, m in enumerate(sizes):
        ax.text(i - 0.5 * width, rows[m]["printed_kind"] * 2, f"{rows[m]['printed_kind']:.0f}", ha="center", fontsize=8)
    ax.axhline(1e-7, color="black", ls="--", lw=1, label="bar of the rule: 1e-7")
    ax.set_yscale("log"); ax.set_ylim(1e-17, 1e9)
    ax.set_xticks(range(len(sizes)), [f"m = {m}" for m in sizes])
    ax.set_xlabel("batch size"); ax.set_ylabel("relative error of dL/dx")
    ax.set_title("BatchNorm input gradient: the seed's printed formula against the correct one")
    ax.legend(fontsize=8, loc="upper left", ncol=3); ax.grid(alpha=0.3, axis="y")
    return lesson.figure("gradient-errors", fig)


# %% [markdown]
# ## Does it help training? (``004:6318-6323, 6430-6434``)
#
# The seed says batch normalization stabilises learning and allows higher learning
# rates. (It also calls it a regulariser and says it reduces the sensitivity to the
# initialisation; those two we do not measure here.) Two experiments on the digits
# (8 x 8 images as 64 standardised inputs, 10 classes; ``neuralab.data``), each network
# with and without a ``BatchNorm1d`` between every hidden ``Linear`` and its activation,
# as the seed advises (``004:6436``):
#
# * *trainability*: 10 hidden layers of 32 sigmoid units, the deep sigmoid stack whose
#   gradients vanish (the depth lesson measures how fast);
# * *usable learning rate*: 3 hidden layers of 64 ReLU units, a net that trains fine
#   without BN, so the question is only how large a step it tolerates.
#
# Each net trains with plain SGD for a fixed number of minibatch steps (batches of 64)
# at learning rates from 0.1 to 30 (factors of about 3), from the engine's default
# initialisation; the same seed gives both versions of a net the same batch order. A run
# *trains* if its validation accuracy (in eval mode, with the running statistics)
# reaches 0.9.
#
# **Rule.** BN makes the deep sigmoid stack trainable (its best validation accuracy over
# the learning rates is at least 0.9, and at least 0.1 above the plain stack's) in every
# seed; and the largest learning rate at which the ReLU net trains is larger with BN than
# without, in every seed (in none: fails).

# %%
def stack(T, depth, width, activation, batchnorm):
    """``64 -> width (x depth) -> 10``: Linear [-> BatchNorm1d] -> activation per hidden layer."""
    layers, fan_in = [], 64
    for _ in range(depth):
        layers.append(T.nn.Linear(fan_in, width))
        if batchnorm:
            layers.append(T.nn.BatchNorm1d(width))
        layers.append(T.nn.Sigmoid() if activation == "sigmoid" else T.nn.ReLU())
        fan_in = width
    return T.nn.Sequential(*layers, T.nn.Linear(fan_in, 10))


def digits():
    """Standardised digits (training statistics): ``x`` (1259, 64), ``y`` (1259,), ``x_val`` (179, 64), ``y_val``."""
    splits = data.standardize(data.load("digits").map(data.flatten))
    return splits.train.x, splits.train.y, splits.val.x, splits.val.y


def train_run(lesson, task, net_spec, batchnorm, lr, steps, seed):
    """Validation accuracy (eval mode) after ``steps`` SGD steps; 0.1-ish when it diverges."""
    T = lesson.T
    x, y, x_val, y_val = task
    T.manual_seed(seed)
    net = stack(T, *net_spec, batchnorm)
    optimizer = T.optim.SGD(net.parameters(), lr=lr)
    order = lesson.rng(52, seed).integers(0, len(x), size=(steps, 64))  # the same batches with and without BN
    with np.errstate(all="ignore"):  # diverging runs overflow; their accuracy says so
        for batch in order:
            loss = T.nn.functional.cross_entropy(net(T.tensor(x[batch])), T.tensor(y[batch]))
            optimizer.zero_grad(); loss.backward(); optimizer.step()
        net.eval()
        with T.no_grad():
            predictions = net(T.tensor(x_val)).numpy().argmax(axis=1)
    return float(np.mean(predictions == y_val))


NETS = {"deep sigmoid": (10, 32, "sigmoid"), "ReLU": (3, 64, "relu")}
TRAINS = 0.9


def training_effects(lesson):
    task = digits()
    rates = lesson.pick((0.1, 0.3, 1.0, 3.0, 10.0, 30.0), (0.3, 1.0, 3.0, 10.0))
    steps = lesson.pick(200, 150)
    seeds = tuple(range(lesson.pick(3, 1)))
    acc = {(name, bn, lr, seed): train_run(lesson, task, spec, bn, lr, steps, seed)
           for name, spec in NETS.items() for bn in (False, True) for lr in rates for seed in seeds}

    def largest_trained(name, bn, seed):
        trained = [lr for lr in rates if acc[name, bn, lr, seed] >= TRAINS]
        return max(trained) if trained else 0.0

    measured = {"rates": list(rates), "steps": steps, "seeds": len(seeds), "trains_at": TRAINS}
    for name, key in (("deep sigmoid", "deep"), ("ReLU", "relu")):
        for bn, tag in ((False, "plain"), (True, "bn")):
            measured[f"{key}_{tag}_val_accuracy"] = [float(np.mean([acc[name, bn, lr, s] for s in seeds]))
                                                     for lr in rates]
            measured[f"{key}_{tag}_largest_lr"] = [largest_trained(name, bn, s) for s in seeds]
    best = {(bn, s): max(acc["deep sigmoid", bn, lr, s] for lr in rates) for bn in (False, True) for s in seeds}
    measured["deep_plain_best"] = [best[False, s] for s in seeds]
    measured["deep_bn_best"] = [best[True, s] for s in seeds]
    measured["deep_seeds_bn_trains"] = sum(best[True, s] >= TRAINS and best[True, s] - best[False, s] >= 0.1
                                           for s in seeds)
    measured["relu_seeds_bn_higher_lr"] = sum(largest_trained("ReLU", True, s) > largest_trained("ReLU", False, s)
                                              for s in seeds)
    return measured, _training_figure(lesson, measured, rates)


def _training_figure(lesson, measured, rates):
    fig = new_figure(14.0, 4.8)
    panels = (("deep", "10 sigmoid layers of 32"), ("relu", "3 ReLU layers of 64"))
    for ax, (key, title) in zip(fig.subplots(1, 2), panels):
        for tag, color, label in (("plain", "#BF092F", "without BN"), ("bn", "#3B9797", "with BN")):
            ax.plot(rates, measured[f"{key}_{tag}_val_accuracy"], "o-", color=color, lw=2, label=label)
            per_seed = measured[f"{key}_{tag}_largest_lr"]
            if max(per_seed):
                ax.axvline(max(per_seed), color=color, ls=":", lw=1.5,
                           label=f"largest lr that trains {label}, per seed: {', '.join(f'{v:g}' for v in per_seed)}")
        ax.axhline(TRAINS, color="gray", ls="--", lw=1, label=f"'trains': validation accuracy {TRAINS}")
        ax.set_xscale("log"); ax.set_ylim(0, 1.05)
        ax.set_xlabel("SGD learning rate"); ax.set_ylabel(f"validation accuracy after {measured['steps']} steps")
        ax.set_title(f"Digits, {title} (mean of {measured['seeds']} seed{'s' if measured['seeds'] > 1 else ''})")
        ax.grid(alpha=0.3); ax.legend(fontsize=8, loc="center left")
    return lesson.figure("trainability-lr", fig)


# %% [markdown]
# ## E52: the verdict
#
# **Rule.** The worked example's numbers within 1e-3 of the seed's (``mu = 2.5``,
# ``var = 1.25``, ``xhat = [-1.342, -0.447, 0.447, 1.342]``, mean of ``y`` 0.5, std 2.0);
# the skewed batch and both demo batches come out with mean 0 (1e-12) and standard
# deviation 1 (1e-5), per feature; and the two training claims as stated above.

# %%
def batchnorm_claims(lesson):
    measured = worked_example(lesson)
    draws, skewed, skewed_path = skewed_batch(lesson)
    batch1, batch2, batches, batches_path = two_batches(lesson, draws)
    engine, running_path = against_engine(lesson, batch1, batch2)
    training, training_path = training_effects(lesson)
    measured.update(skewed); measured.update(batches); measured.update(engine); measured.update(training)
    x_hat_seed = (-1.342, -0.447, 0.447, 1.342)
    for i, value in enumerate(measured["example_x_hat"]):
        measured[f"example_x_hat_{i}"] = value
    lesson.claim(
        id="E52", seed_ref="004:6183-6438",
        claim="Batch normalization gives every feature mean 0 and standard deviation 1 over the mini-batch "
              "(the batch [1, 2, 3, 4] becomes [-1.342, -0.447, 0.447, 1.342] with mean 2.5 and variance "
              "1.25, then 2 x + 0.5 has mean 0.5 and std 2), whatever the input distribution; the layer keeps "
              "running averages (momentum 0.9) for inference, stabilises training and allows higher "
              "learning rates.",
        measured=measured,
        rule=all_of(close("example_mean", 2.5, 1e-3), close("example_var", 1.25, 1e-3),
                    *(close(f"example_x_hat_{i}", v, 1e-3) for i, v in enumerate(x_hat_seed)),
                    close("example_y_mean", 0.5, 1e-3), close("example_y_std", 2.0, 1e-3),
                    close("skewed_mean_after", 0.0, 1e-12), close("skewed_std_after", 1.0, 1e-5),
                    at_most("per_feature_max_abs_mean", 1e-12), at_most("per_feature_max_abs_std_minus_1", 1e-5),
                    fraction("deep_seeds_bn_trains", "seeds", 1.0, 0.0),
                    fraction("relu_seeds_bn_higher_lr", "seeds", 1.0, 0.0)),
        correction="Mean 0 and std 1 is all normalisation changes: the skewed batch keeps its skewness "
                   f"({measured['skewness_before']:.2f} before, {measured['skewness_after']:.2f} after). "
                   "BN made the 10-layer sigmoid stack trainable (best validation accuracy "
                   f"{min(measured['deep_bn_best']):.2f} or more, against {max(measured['deep_plain_best']):.2f} "
                   f"without) in {measured['deep_seeds_bn_trains']} of {measured['seeds']} seeds; it raised the "
                   "largest learning rate at which the ReLU net trains from "
                   f"{measured['relu_plain_largest_lr']} to {measured['relu_bn_largest_lr']} (per seed), higher in "
                   f"{measured['relu_seeds_bn_higher_lr']} of {measured['seeds']} seeds (the grid steps by about "
                   "x3). The seed's momentum 0.9 is the weight of the old average, PyTorch's momentum 0.1; "
                   "PyTorch also stores the unbiased variance (x 64/63 here). After the seed's two demo batches "
                   f"its running mean is only {measured['running_mean_after_demo']:.2f}, so inference mode gives "
                   f"outputs with mean {measured['eval_on_batch1_after_demo_mean']:.2f} and std "
                   f"{measured['eval_on_batch1_after_demo_std']:.2f} on batch 1: running statistics need about "
                   f"{measured['batches_to_1pct_at_momentum_0.9']} batches to forget their start values.",
        figures=[skewed_path, batches_path, running_path, training_path])


def gradient_claim(lesson):
    measured, fixed, path = gradient_check(lesson)
    lesson.claim(
        id="D15", seed_ref="004:6256-6274",
        claim="The input gradient of batch normalization is dL/dx_i = (gamma / sqrt(var + eps)) "
              "[m dL/dxhat_i - sum_j dL/dxhat_j - xhat_i sum_j dL/dxhat_j xhat_j].",
        measured=measured,
        rule=at_most("printed_literal_max_rel_error", 1e-7),
        correction="The printed formula lacks the factor 1/m (and, with dL/dxhat = gamma dL/dy in the "
                   "brackets, counts gamma twice): it is gamma m times the true gradient. The correct one is "
                   "dL/dx_i = gamma / (m sqrt(var + eps)) [m dL/dy_i - sum_j dL/dy_j - xhat_i sum_j dL/dy_j xhat_j]; "
                   "the printed dL/dgamma and dL/dbeta are right.",
        fix=(fixed, all_of(at_most("correct_max_rel_error_vs_autograd", 1e-7),
                           at_most("correct_max_rel_error_vs_fd", 1e-7))),
        figures=[path])


# %%
def run(lesson):
    batchnorm_claims(lesson)
    gradient_claim(lesson)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("batchnorm")
