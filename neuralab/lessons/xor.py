"""Backpropagation learns XOR: the seed's two 2-4-1 sigmoid networks, by hand and on the engine.

Follows ``004:940-1070`` (the first backprop demo) and ``004:1213-1640`` (the XOR network
from scratch, its training progress, decision boundary and hidden units); inventory
E15, D3, D4, E17-E20.
"""

# %% [markdown]
# # Backpropagation learns XOR
#
# The seed writes the same small network twice: 2 inputs, 4 sigmoid hidden units and one
# sigmoid output, trained by full-batch gradient descent at learning rate 0.5 on the four
# XOR points. The first demo (``004:940-1070``) draws its weights as ``randn * 0.01`` and
# trains 1000 epochs; the later network (``004:1260-1484``) draws ``randn * sqrt(1/n_in)``
# and trains 10,000. Both print success.
#
# We re-indent the seed's NumPy code into a few functions that carry an extra leading
# *seed axis*, so 20 independent networks train in one loop, then build the same network
# on the engine (``nn.Linear(2, 4)``, ``nn.Linear(4, 1)``) and check the hand-derived
# gradients against autograd. "Solved" means what the seed's ``predict`` means
# (``004:1343-1346``): every one of the four outputs is on the right side of 0.5.
#
# Seed bugs named along the way:
#
# * **D3** -- the first demo never learns XOR (``004:1010-1070``); it prints its success
#   line, and a tick after every prediction (``004:1041, 1069``), unconditionally.
# * **D4** -- the comment "dL/da2 = a2 - y (for MSE loss with sigmoid)" (``004:978-979``):
#   ``a2 - y`` is the gradient of the binary cross-entropy with respect to ``z2``, not of
#   the MSE it logs (``004:1004, 1316-1318``).
# * The 3-D panel is added with ``fig.add_subplot(133, projection='3d')`` on top of the
#   flat ``axes[2]`` from ``plt.subplots(1, 3)`` (``004:1542, 1583``), so an empty 2-D frame
#   stays underneath; and ``contour(..., label=...)`` (``004:1568-1569``) passes a keyword
#   contour ignores, so the p = 0.5 line never reaches the legend. We make each panel once.
# * The comment calls ``randn * sqrt(1/n_in)`` "Xavier initialization" (``004:1267``);
#   Glorot/Xavier uses ``2 / (n_in + n_out)``; ``1 / n_in`` is LeCun's scale. We call it
#   the sqrt(1/n) init.

# %%
import numpy as np

from neuralab.lessons.claims import above, all_of, at_least, at_most, below, fraction, is_true
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "Backpropagation learns XOR",
    "part": "I. Foundations",
    "section": "004:940-1640",
    "claims": ("E15", "D3", "D4", "E17", "E18", "E19", "E20"),
    "seconds": 12,
    "engines": ("scratch", "torch"),
}

SEEDS = 20           # independent initialisations per setting (one batched run each)
LEARNING_RATE = 0.5  # both seed networks (004:1025, 1265)
EPOCHS = 10_000      # the later network (004:1438); the first demo stops at 1000 (004:1033)
SNAPSHOTS = (0, 100, 500, 1000, 5000, 9999, 10_000)  # the seed's progress epochs (004:1459) and the two run lengths
TOL_AUTOGRAD = 1e-10
FINE, COARSE = 200, 100  # grid points per side: the seed's figures (004:1546-1547); measures over many nets


# %% [markdown]
# ## The network by hand (``004:1260-1361``)
#
# Parameters carry a leading seed axis ``S``: ``W1 (S, 2, 4)``, ``b1 (S, 1, 4)``,
# ``W2 (S, 4, 1)``, ``b2 (S, 1, 1)``. With ``X (4, 2)``,
#
#     z1 = X W1 + b1,  a1 = sigmoid(z1)   (S, 4, 4)
#     z2 = a1 W2 + b2, a2 = sigmoid(z2)   (S, 4, 1)
#
# Backpropagation needs ``g = m dL/dz2`` for the ``m = 4`` examples; the rest of the chain
# rule is the seed's (``004:1302-1309``): ``dW2 = a1^T g / m``, ``db2 = sum(g) / m``,
# ``dz1 = g W2^T * a1 (1 - a1)``, ``dW1 = X^T dz1 / m``, ``db1 = sum(dz1) / m``.
# For the mean binary cross-entropy ``g = a2 - y`` (what the seed writes); for the mean
# squared error it is ``g = 2 (a2 - y) a2 (1 - a2)``.

# %%
def xor_data():
    """The four XOR points ``X (4, 2)`` and targets ``y (4, 1)`` as float64 (``004:1419-1426``)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def init_params(draws_1, draws_2, scale):
    """Weights from standard-normal draws ``(S, 2, 4)``, ``(S, 4, 1)``; zero biases.

    ``scale`` is ``"x0.01"`` (the first demo, ``004:946-949``) or ``"sqrt(1/n)"``
    (``randn * sqrt(1 / n_in)``, ``004:1268-1271``). The same draws serve both scales,
    so the two settings differ only in the scale.
    """
    s1, s2 = (0.01, 0.01) if scale == "x0.01" else (np.sqrt(1 / 2), np.sqrt(1 / 4))
    S = draws_1.shape[0]
    return [draws_1 * s1, np.zeros((S, 1, 4)), draws_2 * s2, np.zeros((S, 1, 1))]


def seed_42_params():
    """The seed's own start: ``np.random.seed(42)``, then ``randn(2, 4)`` and ``randn(4, 1)`` (``004:1463-1467``)."""
    draws = np.random.RandomState(42)  # the legacy generator np.random.seed drives, without touching global state
    d1 = draws.randn(2, 4)
    d2 = draws.randn(4, 1)
    return init_params(d1[None], d2[None], "sqrt(1/n)")


def forward(params, X):
    """Hidden activations ``a1 (S, N, 4)`` and outputs ``a2 (S, N, 1)`` for inputs ``X (N, 2)``."""
    W1, b1, W2, b2 = params
    a1 = sigmoid(X @ W1 + b1)
    return a1, sigmoid(a1 @ W2 + b2)


def logits(params, X):
    """The output pre-activations ``z2 (S, N, 1)``."""
    return forward(params, X)[0] @ params[2] + params[3]


def gradients(params, X, y, loss, outputs=None):
    """Hand-derived ``[dW1, db1, dW2, db2]`` of the mean ``loss`` ("bce" or "mse") over the examples.

    ``outputs`` is ``forward(params, X)`` when the caller already has it.
    """
    W1, b1, W2, b2 = params
    a1, a2 = outputs if outputs is not None else forward(params, X)
    m = X.shape[0]
    g = a2 - y                                    # m dL/dz2 for BCE: the seed's line (004:979, 1302)
    if loss == "mse":
        g = 2.0 * (a2 - y) * a2 * (1.0 - a2)      # m dL/dz2 for MSE: the sigmoid's slope stays in
    dW2 = np.swapaxes(a1, 1, 2) @ g / m
    db2 = g.sum(axis=1, keepdims=True) / m
    dz1 = g @ np.swapaxes(W2, 1, 2) * a1 * (1.0 - a1)
    dW1 = X.T @ dz1 / m
    db1 = dz1.sum(axis=1, keepdims=True) / m
    return [dW1, db1, dW2, db2]


def train(params, X, y, epochs, loss="bce", snapshots=SNAPSHOTS):
    """Full-batch gradient descent at lr 0.5, as the seed's ``train`` (``004:1319-1342``).

    Returns the final parameters, the MSE the seed logs before each update ``(epochs, S)``
    and the outputs ``(S, 4)`` after ``e`` updates for each ``e`` in ``snapshots``.
    Snapshots of one run equal the seed's re-training to each epoch (``004:1460-1468``):
    full-batch descent from the same start is deterministic.
    """
    params = [p.copy() for p in params]
    logged, seen = [], {}
    for epoch in range(epochs + 1):
        a1, a2 = forward(params, X)
        if epoch in snapshots:
            seen[epoch] = a2[..., 0]
        if epoch == epochs:
            break
        logged.append(np.mean((a2 - y) ** 2, axis=(1, 2)))
        for p, d in zip(params, gradients(params, X, y, loss, (a1, a2))):
            p -= LEARNING_RATE * d
    return params, np.array(logged), seen


def solved(outputs, y):
    """Per network: all four outputs on the right side of 0.5 (``(S, 4)`` -> ``(S,)`` bools)."""
    return np.all((outputs > 0.5) == (y[:, 0] > 0.5), axis=1)


TICKS = (-0.5, 0.0, 0.5, 1.0, 1.5)


def grid(points):
    """The seed's input grid over ``[-0.5, 1.5]^2`` (``004:1544-1547``): ``xx, yy (n, n)`` and ``G (n*n, 2)``."""
    xx, yy = np.meshgrid(np.linspace(-0.5, 1.5, points), np.linspace(-0.5, 1.5, points))
    return xx, yy, np.c_[xx.ravel(), yy.ravel()]


# %% [markdown]
# ## The same network on the engine; hand gradients against autograd
#
# ``nn.Linear`` stores its weight as ``(out, in)``, the transpose of the seed's ``W``. We
# copy one network's parameters in, take the mean BCE and the mean MSE of its outputs on
# the engine, call ``.backward()`` and compare with ``gradients`` in float64, once at the
# seed-42 start and once after 500 epochs (where the outputs are no longer near 0.5 and
# the two losses' gradients differ a lot).

# %%
def engine_network(T, params):
    """``nn.Linear(2, 4)`` and ``nn.Linear(4, 1)`` (float64) holding network 0 of ``params``."""
    W1, b1, W2, b2 = (p[0] for p in params)
    hidden, output = T.nn.Linear(2, 4).double(), T.nn.Linear(4, 1).double()
    with T.no_grad():
        hidden.weight.copy_(T.tensor(W1.T)); hidden.bias.copy_(T.tensor(b1[0]))
        output.weight.copy_(T.tensor(W2.T)); output.bias.copy_(T.tensor(b2[0]))
    return hidden, output


def engine_loss(T, hidden, output, X, y, loss):
    a2 = T.sigmoid(output(T.sigmoid(hidden(X))))
    return T.nn.functional.binary_cross_entropy(a2, y) if loss == "bce" else T.nn.functional.mse_loss(a2, y)


def autograd_gradients(T, params, X, y, loss):
    """``[dW1, db1, dW2, db2]`` of network 0 from the engine's ``.backward()``, in the seed's layout."""
    hidden, output = engine_network(T, params)
    engine_loss(T, hidden, output, T.tensor(X), T.tensor(y), loss).backward()
    return [hidden.weight.grad.numpy().T, hidden.bias.grad.numpy()[None], output.weight.grad.numpy().T,
            output.bias.grad.numpy()[None]]


def relative_error(hand, auto):
    """``||hand - auto|| / ||auto||`` over all parameters stacked."""
    hand = np.concatenate([h.ravel() for h in hand])
    auto = np.concatenate([a.ravel() for a in auto])
    return float(np.linalg.norm(hand - auto) / np.linalg.norm(auto))


def check_gradients(lesson, X, y):
    T = lesson.T
    start = seed_42_params()
    later = train(start, X, y, 500, snapshots=())[0]
    for where, params in (("start", start), ("epoch 500", later)):
        for loss in ("bce", "mse"):
            hand = [d[0] for d in gradients(params, X, y, loss)]
            err = relative_error(hand, autograd_gradients(T, params, X, y, loss))
            lesson.check(f"hand gradients of the mean {loss.upper()} equal autograd's ({where})",
                         err < TOL_AUTOGRAD, f"relative error {err:.2e} (tolerance {TOL_AUTOGRAD:g})")


# %% [markdown]
# ## The 20-seed runs
#
# From 20 standard-normal draws we make 20 networks at the ×0.01 scale and the same 20 at
# the sqrt(1/n) scale, add the seed's own ``np.random.seed(42)`` start, and train all 41
# in one batched run of 10,000 epochs with the seed's ``a2 - y``; its snapshot at epoch
# 1000 is the first demo's run length. A second run trains the 20 sqrt(1/n) networks with
# the true MSE gradient (for D4).

# %%
def sweep(lesson, X, y):
    """``runs[name]``: ``start``/``final`` parameters, logged ``mse (epochs, S)``, ``outputs[epoch] (S, 4)``.

    Names: ``x0.01``, ``sqrt``, ``seed-42`` (seed's gradient) and ``sqrt-mse`` (true MSE gradient).
    """
    draws = lesson.rng(1)
    d1, d2 = draws.standard_normal((SEEDS, 2, 4)), draws.standard_normal((SEEDS, 4, 1))
    starts = {"x0.01": init_params(d1, d2, "x0.01"), "sqrt": init_params(d1, d2, "sqrt(1/n)"),
              "seed-42": seed_42_params()}
    runs = {}
    for loss, names in (("bce", ("x0.01", "sqrt", "seed-42")), ("mse", ("sqrt",))):
        batch = [np.concatenate([starts[name][k] for name in names]) for k in range(4)]
        final, logged, seen = train(batch, X, y, EPOCHS, loss)
        first = 0
        for name in names:
            part = slice(first, first + len(starts[name][0]))
            first = part.stop
            runs[name if loss == "bce" else f"{name}-mse"] = {
                "start": starts[name], "final": [p[part] for p in final], "mse": logged[:, part],
                "outputs": {epoch: out[part] for epoch, out in seen.items()}}
    return runs


def decision_panel(ax, fig, params, X, y, title, points=120):
    """Network 0's output over the grid, on a fixed 0..1 colour scale so a flat 0.5 looks flat."""
    xx, yy, G = grid(points)
    p = forward(params, G)[1][0, :, 0].reshape(xx.shape)
    filled = ax.contourf(xx, yy, p, levels=np.linspace(0, 1, 21), cmap="RdYlBu_r")
    fig.colorbar(filled, ax=ax, label="network output")
    for label, marker, colour in ((0, "o", "blue"), (1, "s", "red")):
        pick = y[:, 0] == label
        ax.scatter(X[pick, 0], X[pick, 1], s=120, c=colour, marker=marker, edgecolors="black", label=f"class {label}")
    ax.set(title=title, xlabel="input 1", ylabel="input 2", xticks=TICKS, yticks=TICKS)
    ax.legend(loc="upper right", fontsize=8)


# %% [markdown]
# ## E15 / D3: the first demo does not learn XOR (``004:1010-1070``)
#
# With weights ``randn * 0.01`` every hidden pre-activation is within a few hundredths of
# 0, so each hidden unit sits at ``0.5 + z1 / 4``: the network is close to an affine
# function of the inputs. On the four XOR points the targets are uncorrelated with
# ``x1``, ``x2`` and their sum, so the best affine fit is the constant 0.5 (MSE 0.25), and
# the gradients that would make the hidden units differ are nearly zero. We measure the
# initial gradient norm for both scales, the best affine fit, and how the weights move.

# %%
PLOT_EVERY = 10  # loss curves are drawn at every 10th epoch: the same picture, a tenth of the points


def first_demo(lesson, X, y, runs):
    small, good = runs["x0.01"], runs["sqrt"]
    solved_small = {e: int(solved(small["outputs"][e], y).sum()) for e in (1000, EPOCHS)}
    solved_good = {e: int(solved(good["outputs"][e], y).sum()) for e in (1000, EPOCHS)}
    off_half = float(np.max(np.abs(small["outputs"][1000] - 0.5)))

    def grad_norm(params):  # per network, all parameters stacked
        return np.sqrt(sum(np.sum(d ** 2, axis=(1, 2)) for d in gradients(params, X, y, "bce")))

    affine = np.c_[np.ones(4), X]                   # columns 1, x1, x2
    coef = np.linalg.lstsq(affine, y[:, 0], rcond=None)[0]
    w1_ratio = np.linalg.norm(small["final"][0], axis=(1, 2)) / np.linalg.norm(small["start"][0], axis=(1, 2))
    why = {"initial_gradient_norm_x001_median": float(np.median(grad_norm(small["start"]))),
           "initial_gradient_norm_sqrt_median": float(np.median(grad_norm(good["start"]))),
           "initial_hidden_max_distance_from_half": float(np.max(np.abs(forward(small["start"], X)[0] - 0.5))),
           "best_affine_fit_mse": float(np.mean((affine @ coef - y[:, 0]) ** 2)),
           "x001_W1_norm_after_10000_over_start_median": float(np.median(w1_ratio))}

    fig = new_figure(16.0, 4.6)
    ax_loss, ax_small, ax_good = fig.subplots(1, 3)
    epochs = np.arange(1, EPOCHS + 1)[::PLOT_EVERY]
    for run, colour, label in ((small, "#d62728", "×0.01 init (first demo)"), (good, "#1f77b4", "sqrt(1/n) init")):
        lines = ax_loss.plot(epochs, run["mse"][::PLOT_EVERY], color=colour, lw=0.8, alpha=0.6)
        lines[0].set_label(label)
    ax_loss.axvline(1000, color="gray", ls="--", lw=1, label="first demo stops (1000)")
    ax_loss.set(yscale="log", xlabel="epoch", ylabel="MSE (as the seed logs it)",
                title=f"Loss, {SEEDS} seeds per init, lr 0.5")
    ax_loss.legend(fontsize=8)
    ax_loss.grid(True, alpha=0.3)
    first_net = train([p[:1] for p in small["start"]], X, y, 1000, snapshots=())[0]
    decision_panel(ax_small, fig, first_net, X, y, "×0.01 init after 1000 epochs (draw 1 of 20)")
    decision_panel(ax_good, fig, [p[:1] for p in good["final"]], X, y,
                   "sqrt(1/n) init after 10,000 epochs (draw 1 of 20)")
    path = lesson.figure("first-demo-training", fig, shows="V9")

    lesson.claim(
        id="E15", seed_ref="004:1010-1070",
        claim="The first backprop demo (2-4-1 sigmoid, weights randn x 0.01, lr 0.5, 1000 epochs of full-batch "
              "descent) learns XOR.",
        measured={"solved": solved_small[1000], "seeds": SEEDS,
                  "final_mse_median": float(np.median(small["mse"][999])), "max_output_distance_from_half": off_half},
        rule=fraction("solved", "seeds", holds_at=0.9, fails_at=0.1),
        correction=f"{solved_small[1000]} of {SEEDS} seeds solve XOR: after 1000 epochs every output is within "
                   f"{off_half:.1e} of 0.5 and the median MSE is {np.median(small['mse'][999]):.4f}, what a constant "
                   "0.5 scores. The seed prints its success line, and a tick after each prediction, without checking. "
                   "D3 has the cause and the fix.",
        figures=[path])

    lesson.claim(
        id="D3", seed_ref="004:946-949, 1024-1070, 1267-1271, 1438",
        claim="The first demo's settings (weights randn x 0.01, lr 0.5) are enough to learn XOR: at its own 1000 "
              "epochs, or given the 10,000 epochs the later network trains.",
        measured={"seeds": SEEDS,
                  "solved_x001_init_1000_epochs": solved_small[1000],
                  "solved_x001_init_10000_epochs": solved_small[EPOCHS],
                  "solved_sqrt_init_1000_epochs": solved_good[1000],
                  "solved_sqrt_init_10000_epochs": solved_good[EPOCHS], **why},
        rule=all_of(fraction("solved_x001_init_1000_epochs", "seeds", holds_at=0.9, fails_at=0.1),
                    fraction("solved_x001_init_10000_epochs", "seeds", holds_at=0.9, fails_at=0.1)),
        correction=f"The x0.01 init is the problem, not the epoch count: {solved_small[1000]}/{SEEDS} solve at 1000 "
                   f"epochs and {solved_small[EPOCHS]}/{SEEDS} at 10,000, by which W1's norm has moved by a factor "
                   f"{why['x001_W1_norm_after_10000_over_start_median']:.4f}. Every hidden unit starts within "
                   f"{why['initial_hidden_max_distance_from_half']:.3f} of 0.5, so the network is nearly affine in "
                   f"the inputs, and the best affine fit to XOR is the constant 0.5 (MSE "
                   f"{why['best_affine_fit_mse']:.2f}); the initial gradient is "
                   f"{why['initial_gradient_norm_sqrt_median'] / why['initial_gradient_norm_x001_median']:.0f} times "
                   f"smaller than with sqrt(1/n). The sqrt(1/n) init alone solves {solved_good[1000]}/{SEEDS} in 1000 "
                   f"epochs; with 10,000 epochs it solves {solved_good[EPOCHS]}/{SEEDS}.",
        figures=[path],
        fix=({"solved_sqrt_init_10000_epochs": solved_good[EPOCHS], "solved_sqrt_init_1000_epochs": solved_good[1000],
              "seeds": SEEDS},
             fraction("solved_sqrt_init_10000_epochs", "seeds", holds_at=1.0, fails_at=0.5)))
    return path


# %% [markdown]
# ## D4: the seed trains BCE and logs MSE (``004:978-979, 1004, 1302, 1316-1318``)
#
# Both networks compute ``dz2 = a2 - y`` and call it the MSE gradient. On the engine we
# make ``z2`` a leaf, apply the sigmoid and the two losses, and read ``dL/dz2``: ``a2 - y``
# is ``m dBCE/dz2`` exactly, while ``m dMSE/dz2 = 2 (a2 - y) a2 (1 - a2)``, smaller by the
# factor ``2 a2 (1 - a2)`` (1/2 at ``a2 = 0.5``, near 0 once the outputs saturate). We
# also train the engine network with BCE and ``optim.SGD(lr=0.5)``: it follows the seed's
# NumPy updates. And we train with the true MSE gradient to see whether it still learns.

# %%
def loss_mismatch(lesson, X, y, runs):
    seed_42 = runs["seed-42"]
    T = lesson.T
    F = T.nn.functional
    m = X.shape[0]

    def dloss_dz2(z2, loss):
        leaf = T.tensor(z2, requires_grad=True)
        a2 = T.sigmoid(leaf)
        (F.binary_cross_entropy(a2, T.tensor(y)) if loss == "bce" else F.mse_loss(a2, T.tensor(y))).backward()
        return m * leaf.grad.numpy(), a2.detach().numpy()

    start = seed_42["start"]
    z2_start, z2_end = logits(start, X)[0], logits(seed_42["final"], X)[0]
    bce_grad, a2 = dloss_dz2(z2_start, "bce")
    mse_grad, _ = dloss_dz2(z2_start, "mse")
    seed_grad = a2 - y
    mse_end, a2_end = dloss_dz2(z2_end, "mse")
    factor_start = float(np.mean(mse_grad / seed_grad))
    factor_end = float(np.mean(mse_end / (a2_end - y)))

    # The engine trained on BCE with SGD(lr=0.5) retraces the seed's a2 - y updates.
    epochs = lesson.pick(5000, 1000)  # snapshots of the NumPy run exist at both
    hidden, output = engine_network(T, start)
    optimiser = T.optim.SGD([*hidden.parameters(), *output.parameters()], lr=LEARNING_RATE)
    Xt, yt = T.tensor(X), T.tensor(y)
    for _ in range(epochs):
        optimiser.zero_grad()
        engine_loss(T, hidden, output, Xt, yt, "bce").backward()
        optimiser.step()
    with T.no_grad():
        engine_out = T.sigmoid(output(T.sigmoid(hidden(Xt)))).numpy()[:, 0]
    engine_gap = float(np.max(np.abs(engine_out - seed_42["outputs"][epochs][0])))
    lesson.check(f"the engine, trained {epochs} epochs on BCE with SGD(lr=0.5), gives the seed's outputs",
                 engine_gap < 1e-9, f"max |engine - NumPy| = {engine_gap:.1e}")

    mse_run, bce_run = runs["sqrt-mse"], runs["sqrt"]
    solved_mse = int(solved(mse_run["outputs"][EPOCHS], y).sum())
    mse_rel = relative_error([d[0] for d in gradients(start, X, y, "mse")], autograd_gradients(T, start, X, y, "mse"))

    fig = new_figure(12.0, 4.4)
    ax_grad, ax_loss = fig.subplots(1, 2)
    a = np.linspace(0.001, 0.999, 300)
    ax_grad.plot(a, a, lw=2, label="a2 - y: BCE (what the seed uses)")
    ax_grad.plot(a, 2 * a * a * (1 - a), lw=2, label="2 (a2 - y) a2 (1 - a2): MSE")
    ax_grad.set(xlabel="output a2 (target y = 0)", ylabel="m dL/dz2", title="Output-layer gradient, target 0")
    ax_grad.legend(fontsize=9)
    ax_grad.grid(True, alpha=0.3)
    epochs_axis = np.arange(1, EPOCHS + 1)[::PLOT_EVERY]
    for run, colour, label in ((bce_run, "#1f77b4", "trained with a2 - y (BCE)"),
                               (mse_run, "#ff7f0e", "trained with the MSE gradient")):
        curves = run["mse"][::PLOT_EVERY]
        ax_loss.plot(epochs_axis, np.median(curves, axis=1), color=colour, lw=2, label=f"{label}, median")
        ax_loss.fill_between(epochs_axis, curves.min(axis=1), curves.max(axis=1), color=colour, alpha=0.2)
    ax_loss.set(yscale="log", xlabel="epoch", ylabel="MSE", title=f"MSE over {SEEDS} seeds (band: min-max)")
    ax_loss.legend(fontsize=9)
    ax_loss.grid(True, alpha=0.3)
    path = lesson.figure("bce-vs-mse-gradient", fig)

    bce_diff = float(np.max(np.abs(seed_grad - bce_grad)))
    lesson.check("a2 - y equals m dBCE/dz2 from autograd", bce_diff < 1e-12, f"max |difference| {bce_diff:.1e}")
    final_mse = {name: float(np.median(run["mse"][-1])) for name, run in (("bce", bce_run), ("mse", mse_run))}
    lesson.claim(
        id="D4", seed_ref="004:978-979, 1004, 1302, 1316-1318",
        claim="dz2 = a2 - y is the gradient of the mean squared error the seed logs, taken through the output "
              "sigmoid.",
        measured={"seed_vs_bce_max_abs_diff": bce_diff,
                  "seed_vs_mse_relative_diff": float(np.linalg.norm(seed_grad - mse_grad) / np.linalg.norm(mse_grad)),
                  "mse_over_seed_factor_at_start": factor_start,
                  "mse_over_seed_factor_after_10000": factor_end,
                  "engine_bce_sgd_max_abs_diff": engine_gap},
        rule=at_most("seed_vs_mse_relative_diff", 1e-6),
        correction=f"a2 - y is m dBCE/dz2 (largest difference {bce_diff:.1e}); the MSE gradient is a2 - y times "
                   f"2 a2 (1 - a2), on average {factor_start:.2f} at the seed-42 start and {factor_end:.1e} after "
                   "training. So the seed runs gradient descent on the binary cross-entropy while logging the MSE; the "
                   "engine trained on BCE with SGD(lr=0.5) retraces its outputs. With the true MSE gradient the "
                   f"network still solves {solved_mse}/{SEEDS} seeds in 10,000 epochs, but ends at a median MSE of "
                   f"{final_mse['mse']:.1e} against {final_mse['bce']:.1e} with a2 - y, whose gradient does not "
                   "fade as the output sigmoid saturates.",
        figures=[path],
        fix=({"mse_gradient_relative_error_vs_autograd": mse_rel, "solved_with_mse_gradient": solved_mse,
              "seeds": SEEDS, "final_mse_median_mse_gradient": final_mse["mse"],
              "final_mse_median_seed_gradient": final_mse["bce"]},
             all_of(at_most("mse_gradient_relative_error_vs_autograd", TOL_AUTOGRAD),
                    fraction("solved_with_mse_gradient", "seeds", holds_at=0.9, fails_at=0.5))))


# %% [markdown]
# ## E17: the XOR network from scratch (``004:1213-1484``)
#
# sqrt(1/n) init, lr 0.5, 10,000 epochs with the seed's ``a2 - y``. The seed reports one
# unseeded run; we count 20 seeds and, for numbers comparable with the seed's, train its
# ``np.random.seed(42)`` start.

# %%
def from_scratch(lesson, y, runs, training_figure):
    """E17; ``training_figure`` shows the 20 sqrt(1/n) runs' loss curves and one learned map."""
    seed_42 = runs["seed-42"]
    good = runs["sqrt"]
    out_42 = seed_42["outputs"][EPOCHS][0]
    lesson.claim(
        id="E17", seed_ref="004:1213-1484",
        claim="The 2-4-1 sigmoid network with sqrt(1/n) init, lr 0.5 and 10,000 epochs learns XOR perfectly.",
        measured={"solved": int(solved(good["outputs"][EPOCHS], y).sum()), "seeds": SEEDS,
                  "final_mse_median": float(np.median(good["mse"][-1])),
                  "final_mse_max": float(np.max(good["mse"][-1])),
                  "seed_42_outputs": [round(float(v), 5) for v in out_42],
                  "seed_42_final_mse": float(np.mean((out_42 - y[:, 0]) ** 2))},
        rule=all_of(fraction("solved", "seeds", holds_at=1.0, fails_at=0.5), below("seed_42_final_mse", 1e-3)),
        figures=[training_figure])


# %% [markdown]
# ## E18: predictions move toward the targets (``004:1449-1482``)
#
# The seed re-trains from the seed-42 start to each of epochs 0, 100, 500, 1000, 5000 and
# 9999 and prints the mean absolute error; one run's snapshots are the same numbers. The
# mean error falls at every step, but not every output moves toward its target: in the
# first hundred epochs all four collapse toward 0.5 (the two class-0 outputs move *away*
# from 0) before they split, so we also count single outputs whose error grows.

# %%
def progress(lesson, y, runs):
    seed_42 = runs["seed-42"]
    shown = [e for e in SNAPSHOTS if e <= 9999]
    per_output = np.array([np.abs(seed_42["outputs"][e][0] - y[:, 0]) for e in shown])  # (epochs, 4)
    errors = [float(e) for e in per_output.mean(axis=1)]
    away = int(np.sum(np.diff(per_output, axis=0) > 0))  # (interval, input) pairs whose error grows

    fig = new_figure(13.0, 4.6)
    ax_loss, ax_pred = fig.subplots(1, 2)
    ax_loss.plot(np.arange(1, EPOCHS + 1)[::PLOT_EVERY], seed_42["mse"][::PLOT_EVERY, 0], lw=2)
    ax_loss.set(yscale="log", xlabel="epoch", ylabel="MSE", title="Seed-42 network: training loss")
    ax_loss.grid(True, alpha=0.3)
    at = np.arange(len(shown))  # the seed's epochs, evenly spaced: most of the change happens before 1000
    for i, (point, colour) in enumerate(zip(("[0, 0]", "[0, 1]", "[1, 0]", "[1, 1]"),
                                            ("#1f77b4", "#d62728", "#ff7f0e", "#2ca02c"))):
        ax_pred.plot(at, [seed_42["outputs"][e][0, i] for e in shown], "o-", color=colour, ms=7,
                     label=f"input {point}, target {int(y[i, 0])}")
    ax_pred.axhline(0, color="blue", ls="--", alpha=0.4)
    ax_pred.axhline(1, color="red", ls="--", alpha=0.4)
    ax_pred.set_xticks(at, [f"{e}\n|err| {err:.3f}" for e, err in zip(shown, errors)])
    ax_pred.set(xlabel="epoch (mean absolute error below it)", ylabel="network output",
                title="Outputs after the seed's epochs of training")
    ax_pred.legend(fontsize=8, loc="center right")
    ax_pred.grid(True, alpha=0.3)
    path = lesson.figure("training-progress", fig, shows="V12")

    lesson.claim(
        id="E18", seed_ref="004:1458-1482",
        claim="Re-trained from the seed-42 start to epochs 0, 100, 500, 1000, 5000 and 9999, the predictions "
              "move toward the 0/1 targets.",
        measured={"epochs": shown, "mean_abs_error": [round(e, 6) for e in errors],
                  "error_decreases_at_every_step": bool(np.all(np.diff(errors) < 0)), "error_at_9999": errors[-1],
                  "single_outputs_moving_away": away, "single_output_steps": per_output[1:].size},
        rule=all_of(is_true("error_decreases_at_every_step"), below("error_at_9999", 0.01)),
        figures=[path])


# %% [markdown]
# ## E19: the decision boundary (``004:1485-1603``)
#
# Three views of the seed-42 network after 10,000 epochs: the output as a heat map, the
# two classes with the p = 0.5 contour, and the output as a surface. Two questions: are
# the four points right, and is the boundary non-linear? For the second we find the best
# single straight line for the network's own labels on the grid (every direction in 0.5
# degree steps, every threshold), and measure how far each piece of the p = 0.5 contour
# strays from its own best-fit line. The seed-42 run is non-linear, but its boundary is two
# straight pieces, not a curve; we count how often other starts bend it.

# %%
def best_line_accuracy(G, labels, directions=360):
    """Highest fraction of ``labels`` (``(N,)`` bools at points ``G (N, 2)``) any half-plane gets right."""
    n, best = len(labels), 0.0
    for angle in np.linspace(0, np.pi, directions, endpoint=False):
        order = np.argsort(G @ np.array([np.cos(angle), np.sin(angle)]))
        ones_left = np.concatenate([[0], np.cumsum(labels[order])])   # class-1 points among the first k
        k = np.arange(n + 1)
        ones = ones_left[-1]
        zero_then_one = (k - ones_left) + (ones - ones_left)           # left says 0, right says 1
        best = max(best, float(np.max(np.maximum(zero_then_one, n - zero_then_one)) / n))
    return best


def straightness(pieces):
    """Largest distance of a contour piece's points ``(k, 2)`` from that piece's own best-fit line."""
    worst = 0.0
    for piece in pieces:
        centred = piece - piece.mean(axis=0)
        normal = np.linalg.svd(centred, full_matrices=False)[2][1]
        worst = max(worst, float(np.max(np.abs(centred @ normal))))
    return worst


def boundary_pieces(fig, xx, yy, p):
    """The pieces of the p = 0.5 contour, from matplotlib's contouring on a throwaway axis."""
    ax = fig.add_subplot()
    pieces = ax.contour(xx, yy, p, levels=[0.5]).allsegs[0]
    fig.delaxes(ax)
    return pieces


def decision_boundary(lesson, X, y, runs):
    seed_42 = runs["seed-42"]
    xx, yy, G = grid(FINE)
    p = forward(seed_42["final"], G)[1][0, :, 0].reshape(xx.shape)
    labels = p.ravel() > 0.5
    correct = int(np.sum((seed_42["outputs"][EPOCHS][0] > 0.5) == (y[:, 0] > 0.5)))
    xc, yc, Gc = grid(COARSE)
    line_accuracy = best_line_accuracy(Gc, forward(seed_42["final"], Gc)[1][0, :, 0] > 0.5)

    fig = new_figure(19.0, 5.4)
    ax_heat = fig.add_subplot(1, 3, 1)
    ax_regions = fig.add_subplot(1, 3, 2)
    ax_surface = fig.add_subplot(1, 3, 3, projection="3d")
    heat = ax_heat.contourf(xx, yy, p, levels=20, cmap="RdYlBu_r")
    fig.colorbar(heat, ax=ax_heat, label="P(class 1)")
    ax_regions.contourf(xx, yy, labels.reshape(xx.shape).astype(float), levels=[-0.5, 0.5, 1.5],
                        colors=["lightblue", "lightcoral"], alpha=0.6)
    pieces = ax_regions.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=3).allsegs[0]
    ax_regions.plot([], [], color="black", lw=3, label="p = 0.5")
    for ax, title in ((ax_heat, "Probability heat map"), (ax_regions, "Regions and the p = 0.5 boundary")):
        for label, marker, colour in ((0, "o", "blue"), (1, "s", "red")):
            pick = y[:, 0] == label
            ax.scatter(X[pick, 0], X[pick, 1], s=200, c=colour, marker=marker, edgecolors="black", lw=2,
                       label=f"class {label}", zorder=5)
        ax.set(title=title, xlabel="input 1", ylabel="input 2", xticks=TICKS, yticks=TICKS)
        ax.legend(fontsize=9, loc="upper right")
    surface = ax_surface.plot_surface(xx, yy, p, cmap="RdYlBu_r", edgecolor="none", alpha=0.85,
                                      rcount=100, ccount=100)
    ax_surface.scatter(X[:, 0], X[:, 1], y[:, 0], s=80, c=["blue", "red", "red", "blue"], edgecolors="black",
                       depthshade=False)
    ax_surface.set(xlabel="input 1", ylabel="input 2", zlabel="P(class 1)", title="Output surface",
                   xticks=TICKS, yticks=TICKS)
    ax_surface.view_init(elev=30, azim=-60)  # the seed's (20, 45) looks straight at one wall of the ridge
    fig.colorbar(surface, ax=ax_surface, shrink=0.6, label="P(class 1)")
    fig.suptitle(f"Seed-42 network after {EPOCHS:,} epochs: all 4 points right; no single straight line agrees "
                 f"with more than {line_accuracy:.0%} of its grid labels")
    path = lesson.figure("decision-boundary", fig, shows="V13")

    # How typical the seed-42 boundary is: the same straightness over the 20 sqrt(1/n) networks.
    throwaway = new_figure()
    outputs = forward(runs["sqrt"]["final"], Gc)[1][..., 0]
    curved = sum(straightness(boundary_pieces(throwaway, xc, yc, o.reshape(xc.shape))) > 0.01 for o in outputs)
    centres = sorted(float(piece.sum(axis=1).mean()) for piece in pieces)  # where each piece crosses, in x1 + x2

    lesson.claim(
        id="E19", seed_ref="004:1485-1603",
        claim="The trained network's decision boundary is a curved, non-linear line, and it puts all four XOR "
              "points on their correct sides.",
        measured={"points_correct": correct, "best_single_line_accuracy": round(line_accuracy, 4),
                  "boundary_pieces": len(pieces), "max_distance_from_straight": straightness(pieces),
                  "boundary_mean_x1_plus_x2": [round(c, 3) for c in centres],
                  "seeds_with_curved_boundary": int(curved), "seeds": SEEDS},
        rule=all_of(at_least("points_correct", 4), below("best_single_line_accuracy", 0.95),
                    above("max_distance_from_straight", 0.01)),
        correction=f"The classifier is non-linear and right on all four points: no single line agrees with more than "
                   f"{line_accuracy:.0%} of its grid labels. But for the seed-42 run the p = 0.5 set is not one curved "
                   f"line: it is {len(pieces)} pieces, each straight to {straightness(pieces):.0e}, close to the "
                   "parallel lines x1 + x2 = " + " and ".join(f"{c:.2f}" for c in centres) +
                   ", bounding a band: the hidden units that vary weigh x1 and x2 almost equally (see E20). Other "
                   f"starts do bend: {curved}/{SEEDS} seeds have a piece more than 0.01 from straight.",
        figures=[path])


# %% [markdown]
# ## E20: what the hidden units learned (``004:1604-1630``)
#
# Each hidden unit's activation ``sigmoid(w1 x1 + w2 x2 + b)`` over the same grid. Two
# units carry different features only if their maps are not near copies of each other, so
# we take the Pearson correlation between every pair of maps (``|corr| >= 0.95`` counts
# as the same feature, up to sign) and each map's range over the grid (a unit that barely
# varies carries no feature at all).

# %%
def hidden_maps(params, G):
    """Per network: the hidden maps ``a1 (S, N, 4)``, their pairwise ``|corr| (S, 4, 4)`` with a zero diagonal,
    and each map's range over ``G`` ``(S, 4)``."""
    a1 = forward(params, G)[0]
    centred = a1 - a1.mean(axis=1, keepdims=True)
    cov = np.swapaxes(centred, 1, 2) @ centred
    scale = np.sqrt(np.einsum("sii->si", cov))
    corr = np.abs(cov / (scale[:, :, None] * scale[:, None, :])) * (1 - np.eye(4))
    return a1, corr, a1.max(axis=1) - a1.min(axis=1)


def signed(v):
    """``+ 0.67`` or ``- 0.19``: a term of a formula in a title."""
    return f"{'+' if v >= 0 else '-'} {abs(v):.2f}"


def hidden_units(lesson, runs):
    seed_42 = runs["seed-42"]
    xx, yy, G = grid(FINE)
    a1, corr, ranges = (v[0] for v in hidden_maps(seed_42["final"], G))
    i, j = np.unravel_index(np.argmax(corr), corr.shape)
    distinct = int(np.sum(hidden_maps(runs["sqrt"]["final"], grid(COARSE)[2])[1].max(axis=(1, 2)) < 0.95))
    W1, b1 = seed_42["final"][0][0], seed_42["final"][1][0, 0]
    varying = ranges >= 0.5
    asymmetry = np.abs(W1[0] - W1[1]) / (np.abs(W1[0]) + np.abs(W1[1]))  # 0: the unit sees only x1 + x2
    steps = -b1 / W1.mean(axis=0)                 # where sigmoid(w (x1 + x2) + b) crosses 1/2

    fig = new_figure(11.0, 9.0)
    for unit, ax in enumerate(fig.subplots(2, 2).ravel()):
        filled = ax.contourf(xx, yy, a1[:, unit].reshape(xx.shape), levels=np.linspace(0, 1, 21), cmap="viridis")
        fig.colorbar(filled, ax=ax, label="activation")
        ax.scatter([0, 0, 1, 1], [0, 1, 0, 1], s=120, c="red", edgecolors="black", lw=2, zorder=5)
        ax.set(xlabel="input 1", ylabel="input 2", xticks=TICKS, yticks=TICKS,
               title=f"Hidden unit {unit + 1}: sigmoid({W1[0, unit]:.2f} x1 {signed(W1[1, unit])} x2 "
                     f"{signed(b1[unit])})\nrange over the grid {ranges[unit]:.2f}")
    fig.suptitle(f"Seed-42 network after {EPOCHS:,} epochs: units {i + 1} and {j + 1} correlate at "
                 f"|corr| = {corr[i, j]:.3f}")
    path = lesson.figure("hidden-units", fig, shows="V14")

    lesson.claim(
        id="E20", seed_ref="004:1604-1630",
        claim="Each of the four hidden units of the trained network learns a different feature of the input.",
        measured={"max_abs_corr_seed_42": float(corr[i, j]), "most_correlated_units": [int(i) + 1, int(j) + 1],
                  "activation_range_per_unit": [round(float(r), 3) for r in ranges],
                  "max_weight_asymmetry_of_varying_units": float(asymmetry[varying].max()),
                  "varying_units_step_at_x1_plus_x2": [round(float(v), 3) for v in steps[varying]],
                  "seeds_all_distinct": distinct, "seeds": SEEDS},
        rule=all_of(below("max_abs_corr_seed_42", 0.95), fraction("seeds_all_distinct", "seeds", 0.9, 0.5)),
        correction=f"In the seed-42 run units {i + 1} and {j + 1} are near copies (|corr| {corr[i, j]:.3f}) and the "
                   f"flattest unit spans only {ranges.min():.2f} of activation over the grid. The {varying.sum()} "
                   f"units that vary weigh x1 and x2 equally to within {asymmetry[varying].max():.1%}, so they are "
                   "steps in x1 + x2, switching at x1 + x2 = " + ", ".join(f"{v:.2f}" for v in steps[varying]) +
                   ": an OR-like step (below 1) and AND-like ones (above 1) -- two features, which is all XOR needs. "
                   f"Across {SEEDS} seeds only {distinct} have four maps that are pairwise below |corr| 0.95.",
        figures=[path])


# %%
def run(lesson):
    X, y = xor_data()
    check_gradients(lesson, X, y)
    runs = sweep(lesson, X, y)
    training_figure = first_demo(lesson, X, y, runs)
    loss_mismatch(lesson, X, y, runs)
    from_scratch(lesson, y, runs, training_figure)
    progress(lesson, y, runs)
    decision_boundary(lesson, X, y, runs)
    hidden_units(lesson, runs)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("xor")
