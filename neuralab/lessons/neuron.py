"""The building blocks: one neuron, its weights and bias, activations, layers, losses.

Follows ``004:282-826`` (inventory E7-E13).
"""

# %% [markdown]
# # The neuron and the forward pass
#
# The seed builds a network up from one neuron (``004:282-727``): a weighted sum
# ``z = w . x + b`` passed through an activation. This lesson measures each of its
# numeric claims on the scratch engine and with plain NumPy side by side, and ends
# with the two losses the seed introduces next (``004:728-826``).

# %%
import numpy as np
from matplotlib.patches import Circle

from neuralab.lessons.claims import above, all_of, at_least, at_most, close, is_true
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "The neuron and the forward pass",
    "part": "I. Foundations",
    "section": "004:282-826",
    "claims": ("E7", "E8", "E9", "E10", "E11", "E12", "E13"),
    "seconds": 4,
    "engines": ("scratch", "torch"),
}


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^-z), elementwise (any shape in, the same shape out)."""
    return 1.0 / (1.0 + np.exp(-z))


# %% [markdown]
# ## E7: one sigmoid neuron (``004:291-369``)
#
# The seed's ``Neuron(n_inputs)`` draws small random weights and a bias (``randn * 0.1``),
# forms ``z = w . x + b`` and returns ``sigmoid(z)``. It feeds ``x = [0.5, -0.2, 0.8]``,
# then sweeps ``x = [v, v, v]`` for ``v`` in ``[-2, 2]``, and concludes that a neuron turns
# any input into a number between 0 and 1, with 0.5 as the decision threshold.
#
# We draw the weights from the lesson's generator and run the neuron in NumPy and as an
# engine ``nn.Linear(3, 1)`` holding the same weights. With weights near 0.1 the seed's
# sweep only reaches outputs near 0.5, so we also sweep ``v`` until ``z`` covers
# ``[-30, 30]``, deep into both tails.
#
# The primer writes the sigmoid's range as the closed ``[0, 1]`` (``001:36``). It is the
# open ``(0, 1)``: ``e^-z`` is positive and finite for every finite ``z``, so neither end
# is reached; the wide sweep measures both ends. One float64 caveat, also
# measured: ``1 + e^-z`` rounds to exactly 1 once ``e^-z`` drops below half the machine
# epsilon, so from ``z`` near 36.7 the computed sigmoid returns exactly 1.0.

# %%
def single_neuron(lesson):
    T = lesson.T
    rng = lesson.rng(7)
    weights = rng.standard_normal(3) * 0.1  # the seed's Neuron(3): small weights near 0
    bias = rng.standard_normal() * 0.1
    x = np.array([0.5, -0.2, 0.8])
    z = x @ weights + bias
    output = sigmoid(z)

    neuron = T.nn.Linear(3, 1).double()
    with T.no_grad():
        neuron.weight.copy_(T.tensor(weights[None])); neuron.bias.copy_(T.tensor(np.array([bias])))
        engine = float(T.sigmoid(neuron(T.tensor(x[None]))).item())
    lesson.check("E7: the engine's neuron gives the NumPy output", abs(engine - output) < 1e-12,
                 f"numpy {output!r}, engine {engine!r}")

    # The response curve feeds x = [v, v, v], so z = v * sum(w) + b: the wide sweep's ends in v
    # are where z = -30 and z = +30.
    def respond(v):
        return sigmoid(np.repeat(v[:, None], 3, axis=1) @ weights + bias)

    seed_v = np.linspace(-2, 2, 100)
    seed_out = respond(seed_v)
    ends = np.sort((np.array([-30.0, 30.0]) - bias) / weights.sum())
    wide_v = np.linspace(*ends, 6001)
    wide_z = wide_v * weights.sum() + bias
    wide_out = respond(wide_v)
    tail = np.arange(30.0, 40.0, 0.001)
    first_z_at_one = float(tail[np.argmax(sigmoid(tail) == 1.0)])

    fig = new_figure(15.0, 4.6)
    ax_diagram, ax_seed, ax_wide = fig.subplots(1, 3, width_ratios=[1.1, 1, 1])
    _draw_neuron(ax_diagram, x, weights, bias, output)
    ax_seed.set_title(f"The seed's sweep, v in [-2, 2]\noutputs {seed_out.min():.3f} to {seed_out.max():.3f}")
    ax_wide.set_title(f"Wide sweep, until z = w·x + b reaches ±30\n"
                      f"outputs {wide_out.min():.1e} to 1 - {1 - wide_out.max():.1e}")
    ax_wide.axvspan(-2, 2, color="#ff7f0e", alpha=0.4, label="the seed's sweep")
    for level in (0.0, 1.0):
        ax_wide.axhline(level, color="gray", lw=0.8)
    for ax, v, out in ((ax_seed, seed_v, seed_out), (ax_wide, wide_v, wide_out)):
        ax.plot(v, out, color="#1f77b4", lw=2, label="neuron output")
        ax.axhline(0.5, color="#d62728", ls="--", alpha=0.7, label="decision threshold 0.5")
        ax.set_xlabel("input value v (the neuron sees x = [v, v, v])")
        ax.set_ylabel("neuron output")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
    path = lesson.figure("single-neuron", fig, shows="V3")

    lesson.claim(
        id="E7", seed_ref="004:291-369; 001:36",
        claim="A sigmoid neuron maps every input to a number strictly between 0 and 1, read as a "
              "confidence, with 0.5 (z = 0) as the decision threshold.",
        measured={"demo_z": float(z), "demo_output": float(output), "demo_output_engine": engine,
                  "seed_sweep_min": float(seed_out.min()), "seed_sweep_max": float(seed_out.max()),
                  "wide_sweep_v_max": float(np.abs(wide_v).max()),
                  "wide_sweep_min": float(wide_out.min()), "one_minus_wide_sweep_max": float(1.0 - wide_out.max()),
                  "threshold_matches_sign": bool(np.all((wide_out > 0.5) == (wide_z > 0))),
                  "float64_first_z_where_sigmoid_is_1": first_z_at_one},
        rule=all_of(above("wide_sweep_min", 0.0), above("one_minus_wide_sweep_max", 0.0),
                    is_true("threshold_matches_sign")),
        figures=[path])


def _draw_neuron(ax, x, weights, bias, output):
    """The seed's neuron diagram: three inputs, weighted arrows, the sum-and-squash unit, the output."""
    for i, (y, xi, w) in enumerate(zip([0.8, 0.5, 0.2], x, weights)):
        ax.text(0.1, y, f"input {i + 1}\n{xi:+.1f}", ha="center", va="center",
                bbox=dict(boxstyle="circle", facecolor="lightblue"))
        ax.annotate("", xy=(0.37, 0.5 + (y - 0.5) * 0.3), xytext=(0.19, y),
                    arrowprops=dict(arrowstyle="->", color="gray", lw=1.5))
        ax.text(0.2, y + 0.05, f"w{i + 1} = {w:+.3f}", color="#d62728", fontsize=9)
    ax.text(0.52, 0.5, "z = w·x + b\n↓\nσ(z)", ha="center", va="center", fontsize=10,
            bbox=dict(boxstyle="circle,pad=0.6", facecolor="orange", edgecolor="black", linewidth=2))
    ax.text(0.52, 0.25, f"b = {bias:+.3f}", ha="center", color="#d62728", fontsize=9)
    ax.annotate("", xy=(0.79, 0.5), xytext=(0.67, 0.5), arrowprops=dict(arrowstyle="->", color="green", lw=2))
    ax.text(0.9, 0.5, f"output\n{output:.3f}", ha="center", va="center",
            bbox=dict(boxstyle="circle", facecolor="lightgreen"))
    ax.set_xlim(0, 1); ax.set_ylim(0, 1); ax.axis("off")
    ax.set_title("One artificial neuron, x = [0.5, -0.2, 0.8]")


# %% [markdown]
# ## E8: the weight sets the slope, the bias shifts the curve (``004:384-432``)
#
# The seed plots ``sigmoid(w x + b)`` for ``w`` in ``{0.5, 1, 2}`` (``b = 0``) and ``b`` in
# ``{-3, 0, 3}`` (``w = 1``), and prints the output at ``x = 2`` for four ``(w, b)`` pairs
# (``004:422-427``): (1, 0), (2, 0), (1, 3), (0.5, -1). Its reading: a larger weight makes
# the curve steeper, a positive bias moves it left, a negative one right.
#
# We recompute the table and measure both effects on a fine grid: the steepest slope
# (the slope at the 0.5 crossing is ``w / 4``, so doubling ``w`` should double it) and
# where each curve crosses 0.5 (at ``x = -b / w``).

# %%
def weight_and_bias(lesson):
    def neuron_output(x, weight, bias):  # the seed's helper (004:387-390)
        return sigmoid(weight * x + bias)

    table = {(1.0, 0.0): 0.8808, (2.0, 0.0): 0.9820, (1.0, 3.0): 0.9933, (0.5, -1.0): 0.5000}
    at_two = {f"out_w{w:g}_b{b:+g}": float(neuron_output(2.0, w, b)) for w, b in table}

    x = np.linspace(-10, 10, 4001)
    steepest = {w: float(np.gradient(neuron_output(x, w, 0.0), x).max()) for w in (0.5, 1.0, 2.0)}
    crossing = {b: float(np.interp(0.5, neuron_output(x, 1.0, b), x)) for b in (-3.0, 0.0, 3.0)}

    fig = new_figure(12.0, 4.4)
    ax_w, ax_b = fig.subplots(1, 2)
    for w, word in zip((0.5, 1.0, 2.0), ("gentle", "medium", "steep")):
        ax_w.plot(x, neuron_output(x, w, 0.0), lw=2, label=f"w = {w:g} ({word}; max slope {steepest[w]:.3f})")
    for b in (-3.0, 0.0, 3.0):
        ax_b.plot(x, neuron_output(x, 1.0, b), lw=2, label=f"b = {b:+g} (crosses 0.5 at x = {crossing[b]:+.2f})")
    for ax, title in ((ax_w, "Effect of the weight (b = 0)"), (ax_b, "Effect of the bias (w = 1)")):
        ax.axhline(0.5, color="#d62728", ls="--", alpha=0.4)
        ax.axvline(0.0, color="gray", ls="--", alpha=0.4)
        ax.set_xlabel("input x"); ax.set_ylabel("sigmoid(w x + b)")
        ax.set_title(title); ax.grid(alpha=0.3); ax.legend(loc="lower right", fontsize=9)
    path = lesson.figure("weight-and-bias", fig, shows="V4")

    lesson.claim(
        id="E8", seed_ref="004:384-432",
        claim="The weight sets how steep the neuron's sigmoid is and the bias slides it along the input "
              "axis (positive bias to the left); at x = 2 the pairs (w, b) = (1, 0), (2, 0), (1, 3), "
              "(0.5, -1) give 0.8808, 0.9820, 0.9933 and 0.5000.",
        measured={**at_two,
                  "slope_ratio_w2_to_w1": steepest[2.0] / steepest[1.0],
                  "slope_ratio_w0.5_to_w1": steepest[0.5] / steepest[1.0],
                  "max_slope_w1": steepest[1.0],
                  **{f"crossing_b{b:+g}": crossing[b] for b in crossing}},
        rule=all_of(*(close(f"out_w{w:g}_b{b:+g}", target, 1e-4) for (w, b), target in table.items()),
                    close("slope_ratio_w2_to_w1", 2.0, 0.01), close("slope_ratio_w0.5_to_w1", 0.5, 0.01),
                    close("crossing_b-3", 3.0, 0.01), close("crossing_b+0", 0.0, 0.01),
                    close("crossing_b+3", -3.0, 0.01)),
        figures=[path])


# %% [markdown]
# ## E10: without activations, stacked layers collapse into one (``004:434-443``)
#
# The seed's algebra: ``W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``, so two linear
# layers are one linear layer with ``W' = W2 W1`` and ``b' = W2 b1 + b2``; an activation
# between them breaks this, and the Universal Approximation Theorem says such networks
# can approximate any continuous function (a theorem we cite, not test).
#
# We build two engine ``nn.Linear`` layers (3 -> 8 -> 2, float64), compare their stacked
# output with the collapsed single layer on random inputs, and fit the best single affine
# map (least squares) to the stack with and without a ReLU between the layers. The
# residual is the fraction of the output's variance the best affine map cannot explain.

# %%
def two_layers(T, first, second, X):
    """Outputs of ``second(first(X))`` without and with a ReLU between, and the collapsed layer's.

    ``X`` is (n, d_in); ``first`` maps d_in -> h, ``second`` h -> d_out; all outputs (n, d_out).
    """
    with T.no_grad():
        inputs = T.tensor(X)
        linear = second(first(inputs)).numpy()
        relu = second(T.relu(first(inputs))).numpy()
    W1, b1 = first.weight.detach().numpy(), first.bias.detach().numpy()  # (h, d_in), (h,)
    W2, b2 = second.weight.detach().numpy(), second.bias.detach().numpy()  # (d_out, h), (d_out,)
    collapsed = X @ (W2 @ W1).T + (W2 @ b1 + b2)
    return linear, relu, collapsed


def unexplained(X, Y):
    """Fraction of the variance of ``Y`` (n, k) left by the least-squares affine fit ``Y ~ X A + c``."""
    design = np.hstack([X, np.ones((len(X), 1))])
    coef, *_ = np.linalg.lstsq(design, Y, rcond=None)
    return float(np.sum((Y - design @ coef) ** 2) / np.sum((Y - Y.mean(axis=0)) ** 2)), design @ coef


def linear_collapse(lesson):
    T = lesson.T
    rng = lesson.rng(10)
    X = rng.standard_normal((lesson.pick(2000, 500), 3))
    linear, relu, collapsed = two_layers(T, T.nn.Linear(3, 8).double(), T.nn.Linear(8, 2).double(), X)
    linear_left, _ = unexplained(X, linear)
    relu_left, _ = unexplained(X, relu)

    # The same picture with one input and one output, so it can be drawn.
    x = np.linspace(-3, 3, 601)[:, None]
    line, kinked, line_collapsed = two_layers(T, T.nn.Linear(1, 8).double(), T.nn.Linear(8, 1).double(), x)
    kinked_left, kinked_fit = unexplained(x, kinked)
    fig = new_figure(12.0, 4.4)
    ax_lin, ax_relu = fig.subplots(1, 2)
    ax_lin.plot(x, line, lw=4, alpha=0.5, label="Linear(1, 8) then Linear(8, 1)")
    ax_lin.plot(x, line_collapsed, "k--", lw=1.5, label="one layer: W' = W2 W1, b' = W2 b1 + b2")
    ax_lin.set_title("No activation: two layers are one line")
    ax_relu.plot(x, kinked, lw=2, color="#2ca02c", label="Linear, ReLU, Linear")
    ax_relu.plot(x, kinked_fit, "k--", lw=1.5, label=f"best single line ({kinked_left:.1%} of variance left)")
    ax_relu.set_title("The same layers with a ReLU between: kinks")
    for ax in (ax_lin, ax_relu):
        ax.set_xlabel("input x"); ax.set_ylabel("network output"); ax.grid(alpha=0.3); ax.legend(fontsize=9)
    path = lesson.figure("linear-collapse", fig)

    lesson.claim(
        id="E10", seed_ref="004:434-443",
        claim="Two linear layers with no activation between them equal one linear layer "
              "(W' = W2 W1, b' = W2 b1 + b2); an activation between them gives a map no single "
              "linear layer reproduces.",
        measured={"collapse_max_abs_diff": float(np.abs(linear - collapsed).max()),
                  "linear_stack_unexplained": linear_left, "relu_stack_unexplained": relu_left,
                  "relu_1d_unexplained": kinked_left, "samples": len(X)},
        rule=all_of(at_most("collapse_max_abs_diff", 1e-12), at_most("linear_stack_unexplained", 1e-12),
                    at_least("relu_stack_unexplained", 0.01)),
        figures=[path])


# %% [markdown]
# ## E9: activation functions and their gradients (``004:444-532``)
#
# The seed plots sigmoid, tanh, ReLU and leaky ReLU (slope 0.01) on ``[-5, 5]`` and takes
# central-difference derivatives at ``z = 3`` with ``eps = 1e-4``. From ReLU's value it
# concludes that ReLU's gradient is a constant 1 for positive inputs, so it does not
# vanish. We add the step function of the perceptron, take every derivative twice (finite
# differences in NumPy, the engine's autograd) and also measure what the seed only
# mentions: ReLU's gradient is exactly 0 for negative inputs (a unit stuck there stops
# learning: the seed's "dead neurons", ``004:498``), and the sigmoid's derivative never
# exceeds 0.25, so ten stacked sigmoids scale a gradient by at most ``0.25^10``.
# Whether ReLU networks also *train* faster (``004:526``) is a training claim; the
# gradient-versus-depth lesson measures it.

# %%
def activation_functions(lesson):
    T = lesson.T
    F = T.nn.functional
    numpy_fns = {  # the seed's NumPy versions (004:447-458), plus the step of 004:44-45
        "step": lambda z: (z > 0).astype(float),
        "sigmoid": sigmoid,
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(0.0, z),
        "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    }
    engine_fns = {"sigmoid": T.sigmoid, "tanh": T.tanh, "relu": T.relu,
                  "leaky_relu": lambda t: F.leaky_relu(t, 0.01)}

    def autograd(name, z):
        """d f / d z at each point of the 1-D array ``z`` (f applied elementwise, so the sum's gradient)."""
        zt = T.tensor(z, requires_grad=True)
        engine_fns[name](zt).sum().backward()
        return zt.grad.numpy()

    eps, z_test = 1e-4, 3.0  # the seed's numerical_gradient (004:515-519)
    fd = {name: float((numpy_fns[name](np.array(z_test + eps)) - numpy_fns[name](np.array(z_test - eps))) / (2 * eps))
          for name in engine_fns}
    exact = {name: float(autograd(name, np.array([z_test]))[0]) for name in engine_fns}
    worst = max(abs(fd[name] - exact[name]) for name in engine_fns)
    lesson.check("E9: finite differences agree with autograd at z = 3", worst < 1e-8, f"largest gap {worst:.2e}")

    z = np.linspace(-5, 5, 201)  # the seed uses 200 points; 201 puts z = 0 on the grid
    grads = {name: autograd(name, z) for name in engine_fns}
    fig = new_figure(12.0, 4.6)
    ax_f, ax_d = fig.subplots(1, 2)
    colors = {"step": "gray", "sigmoid": "#1f77b4", "tanh": "#2ca02c", "relu": "#d62728", "leaky_relu": "#9467bd"}
    for name, fn in numpy_fns.items():
        ax_f.plot(z, fn(z), lw=2, color=colors[name], label=name, ls=":" if name == "leaky_relu" else "-")
    ax_d.plot(z, np.zeros_like(z), lw=2, color=colors["step"], label="step (0; undefined at 0)")
    for name, grad in grads.items():
        ax_d.plot(z, grad, lw=2, color=colors[name], label=name, ls=":" if name == "leaky_relu" else "-")
        ax_d.plot([z_test], [exact[name]], "o", color=colors[name])
    ax_d.annotate(f"at z = 3:\nsigmoid' = {exact['sigmoid']:.4f}\ntanh' = {exact['tanh']:.4f}\nReLU' = leaky' = 1",
                  (3.0, 0.05), xytext=(2.3, 0.45), arrowprops=dict(arrowstyle="->"), fontsize=9)
    ax_d.annotate("for z < 0:\nleaky ReLU' = 0.01\nReLU' = 0 (dead)", (-3.0, 0.01), xytext=(-4.9, 0.35),
                  arrowprops=dict(arrowstyle="->"), fontsize=9)
    ax_f.set_ylim(-1.5, 3.0)
    ax_f.set_title("Activation functions on [-5, 5]"); ax_f.set_ylabel("f(z)")
    ax_d.set_title("Their derivatives (engine autograd)"); ax_d.set_ylabel("f'(z)")
    for ax in (ax_f, ax_d):
        ax.set_xlabel("z"); ax.grid(alpha=0.3); ax.legend(loc="upper left", fontsize=9)
    path = lesson.figure("activations", fig, shows="V5")

    positive, negative = z > 0, z < 0
    lesson.claim(
        id="E9", seed_ref="004:444-532",
        claim="At z = 3 the derivatives are small for sigmoid and tanh but 1 for ReLU and leaky ReLU; "
              "ReLU's gradient is a constant 1 for every positive input, so it does not vanish.",
        measured={**{f"{name}_grad_fd": fd[name] for name in fd},
                  **{f"{name}_grad_autograd": exact[name] for name in exact},
                  "relu_grad_min_positive": float(grads["relu"][positive].min()),
                  "relu_grad_max_positive": float(grads["relu"][positive].max()),
                  "relu_grad_max_negative": float(grads["relu"][negative].max()),
                  "leaky_grad_negative": float(grads["leaky_relu"][negative].max()),
                  "sigmoid_grad_max": float(grads["sigmoid"].max()),
                  "sigmoid_grad_max_to_the_10": float(grads["sigmoid"].max() ** 10),
                  "tanh_grad_max": float(grads["tanh"].max())},
        rule=all_of(close("sigmoid_grad_fd", 0.045177, 1e-6), close("tanh_grad_fd", 0.009866, 1e-6),
                    close("relu_grad_fd", 1.0, 1e-6), close("leaky_relu_grad_fd", 1.0, 1e-6),
                    at_least("relu_grad_min_positive", 1.0), at_most("relu_grad_max_positive", 1.0)),
        figures=[path])


# %% [markdown]
# ## E11: a 4-5-2 network, its shapes and its 37 parameters (``004:538-633``)
#
# The seed's ``SimpleNeuralNetwork(4, 5, 2)`` keeps ``W1`` as (4, 5) and ``W2`` as (5, 2)
# (``randn * 0.01``, zero biases), uses ReLU then sigmoid, and counts
# ``4*5 + 5 + 5*2 + 2 = 37`` parameters. We count them three ways (the seed's array sizes,
# the formula, the engine's ``parameters()``), push the seed's sample
# ``[0.5, -0.2, 0.8, 0.1]`` and a batch through, and check the engine's layers with the
# same weights give the same outputs. With weights this small the untrained network
# answers about 0.5 for everything. The seed's diagram draws only 9 of the 20
# input-to-hidden and 6 of the 10 hidden-to-output connections; ours draws all 30.

# %%
def network_shapes(lesson):
    T = lesson.T
    rng = lesson.rng(11)
    n_in, n_hidden, n_out = 4, 5, 2
    W1, b1 = rng.standard_normal((n_in, n_hidden)) * 0.01, np.zeros((1, n_hidden))
    W2, b2 = rng.standard_normal((n_hidden, n_out)) * 0.01, np.zeros((1, n_out))

    def forward(X):
        """The seed's forward (004:562-573): X (n, 4) -> hidden a1 (n, 5) -> output a2 (n, 2)."""
        a1 = np.maximum(0.0, X @ W1 + b1)
        return a1, sigmoid(a1 @ W2 + b2)

    sample = np.array([[0.5, -0.2, 0.8, 0.1]])
    batch = rng.standard_normal((lesson.pick(16, 8), n_in))
    a1_sample, out_sample = forward(sample)
    a1_batch, out_batch = forward(batch)

    model = T.nn.Sequential(T.nn.Linear(n_in, n_hidden), T.nn.ReLU(),
                            T.nn.Linear(n_hidden, n_out), T.nn.Sigmoid()).double()
    with T.no_grad():  # the engine stores each weight as (out, in): the seed's transposed
        model[0].weight.copy_(T.tensor(W1.T)); model[0].bias.copy_(T.tensor(b1[0]))
        model[2].weight.copy_(T.tensor(W2.T)); model[2].bias.copy_(T.tensor(b2[0]))
        engine_out = model(T.tensor(batch)).numpy()
    gap = float(np.abs(engine_out - out_batch).max())
    lesson.check("E11: the engine's 4-5-2 model gives the NumPy outputs", gap < 1e-12, f"largest gap {gap:.2e}")

    fig = new_figure(9.0, 5.4)
    _draw_network(fig.add_subplot(), (n_in, n_hidden, n_out))
    path = lesson.figure("network-diagram", fig, shows="V6")

    lesson.claim(
        id="E11", seed_ref="004:538-633",
        claim="A 4-5-2 network (ReLU hidden layer, sigmoid output) has 37 trainable parameters and "
              "turns a batch of shape (n, 4) into hidden activations (n, 5) and outputs (n, 2).",
        measured={"params_seed": int(W1.size + b1.size + W2.size + b2.size),
                  "params_formula": n_in * n_hidden + n_hidden + n_hidden * n_out + n_out,
                  "params_engine": int(sum(p.numel() for p in model.parameters())),
                  "sample_shapes": [list(sample.shape), list(a1_sample.shape), list(out_sample.shape)],
                  "batch_shapes": [list(batch.shape), list(a1_batch.shape), list(engine_out.shape)],
                  "shapes_ok": bool(a1_sample.shape == (1, 5) and out_sample.shape == (1, 2)
                                    and a1_batch.shape == (len(batch), 5) and engine_out.shape == (len(batch), 2)),
                  "sample_output": out_sample[0],
                  "max_distance_from_half": float(np.abs(out_batch - 0.5).max())},
        rule=all_of(close("params_seed", 37, 0), close("params_formula", 37, 0), close("params_engine", 37, 0),
                    is_true("shapes_ok")),
        figures=[path])


def _draw_network(ax, sizes):
    """Every neuron as a circle and every weight as a line, layers left to right, centred vertically."""
    xs = [0.25, 0.8, 1.35]
    ys = [0.55 - (np.arange(n) - (n - 1) / 2) * 0.15 for n in sizes]  # x1 on top
    for (x0, y0s), (x1, y1s) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        for y0 in y0s:
            for y1 in y1s:
                ax.plot([x0 + 0.035, x1 - 0.035], [y0, y1], color="gray", alpha=0.5, lw=0.8)
    colors = ["lightblue", "orange", "lightgreen"]
    for layer, (x, layer_ys) in enumerate(zip(xs, ys)):
        for i, y in enumerate(layer_ys):
            ax.add_patch(Circle((x, y), 0.035, facecolor=colors[layer], edgecolor="black", lw=1.5, zorder=3))
            ax.text(x, y, f"{'xhy'[layer]}{i + 1}", ha="center", va="center", fontsize=10)
    labels = [f"input layer\n{sizes[0]} features",
              f"hidden layer (ReLU)\n{sizes[0]}·{sizes[1]} weights + {sizes[1]} biases",
              f"output layer (sigmoid)\n{sizes[1]}·{sizes[2]} weights + {sizes[2]} biases"]
    for x, label in zip(xs, labels):
        ax.text(x, 0.04, label, ha="center", fontsize=10, fontweight="bold")
    total = sizes[0] * sizes[1] + sizes[1] + sizes[1] * sizes[2] + sizes[2]
    ax.set_title(f"The {'-'.join(map(str, sizes))} network: every line is a weight, {total} parameters in all")
    ax.set_xlim(0, 1.6); ax.set_ylim(0, 1); ax.set_aspect("equal"); ax.axis("off")


# %% [markdown]
# ## E12: the 2-3-1 forward pass, step by step (``004:649-719``)
#
# The seed fixes the weights of a 2-3-1 network with ReLU hidden units and a sigmoid
# output, feeds ``x = [2, 3]`` and says the output is 0.7047. We compute it twice:
# by hand in NumPy, and with the engine's ``nn.Linear`` layers holding the same weights.

# %%
def forward_trace(lesson):
    T = lesson.T
    x = np.array([2.0, 3.0])
    W1 = np.array([[0.5, -0.3, 0.8], [0.2, 0.6, -0.4]])  # (in 2, out 3), as the seed writes it (004:655-661)
    b1 = np.array([0.1, -0.2, 0.3])
    W2 = np.array([[0.4], [-0.5], [0.7]])
    b2 = np.array([0.2])
    z1 = x @ W1 + b1
    a1 = np.maximum(z1, 0.0)
    z2 = a1 @ W2 + b2
    by_hand = sigmoid(z2[0])

    hidden, output = T.nn.Linear(2, 3).double(), T.nn.Linear(3, 1).double()
    with T.no_grad():  # torch's Linear stores W as (out, in): the transpose of the seed's
        hidden.weight.copy_(T.tensor(W1.T)); hidden.bias.copy_(T.tensor(b1))
        output.weight.copy_(T.tensor(W2.T)); output.bias.copy_(T.tensor(b2))
        engine = float(T.sigmoid(output(T.relu(hidden(T.tensor(x[None]))))).item())
    lesson.check("E12: the engine's layers give the hand-computed output", abs(engine - by_hand) < 1e-12,
                 f"hand {by_hand!r}, engine {engine!r}")

    fig = new_figure(6.0, 3.2)
    ax = fig.add_subplot()
    stages = ["z1[0]", "z1[1]", "z1[2]", "z2", "a2"]
    values = [*z1, z2[0], by_hand]
    ax.bar(stages, values, color=["#1f77b4"] * 3 + ["#ff7f0e", "#2ca02c"])
    for i, v in enumerate(values):
        ax.text(i, v + 0.02, f"{v:.4f}", ha="center")
    ax.set_ylim(0, max(values) * 1.12)  # room for the labels above the bars
    ax.set_title("2-3-1 forward pass for x = [2, 3]")
    ax.set_ylabel("value")
    path = lesson.figure("forward-trace", fig)

    lesson.claim(
        id="E12", seed_ref="004:649-719",
        claim="With the seed's fixed weights, the 2-3-1 network (ReLU hidden layer, sigmoid output) "
              "gives probability 0.7047 for x = [2, 3].",
        measured={"probability": by_hand, "probability_engine": engine, "z2": float(z2[0])},
        rule=close("probability", 0.7047, 1e-4), figures=[path])


# %% [markdown]
# ## E13: mean squared error and binary cross-entropy (``004:737-826``)
#
# The seed scores two sets of house-price predictions with MSE and three sets of spam
# probabilities with binary cross-entropy (BCE): confident and right, uncertain,
# confident and wrong (``004:765-783``). It says squaring punishes large errors heavily
# and that BCE punishes confident mistakes heavily. (Its BCE docstring, ``004:752``, lost
# the hat of the prediction and reads ``y log(y)``; the code uses the prediction.)
#
# We compute every loss with the seed's NumPy functions and with the engine's
# ``mse_loss`` and ``binary_cross_entropy``. "Heavily" gets numbers: the bad house
# predictions are compared under MSE and under the mean absolute error, and the
# confident-wrong BCE must be more than three times the confident-right one.

# %%
def loss_functions(lesson):
    T = lesson.T
    F = T.nn.functional

    def mean_squared_error(y_true, y_pred):  # 004:740-748
        return float(np.mean((y_true - y_pred) ** 2))

    def binary_cross_entropy(y_true, y_pred):  # 004:749-760; the clip keeps log away from 0
        y_pred = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return float(-np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))

    prices = np.array([250000, 180000, 320000, 290000], dtype=float)
    house = {"good": np.array([245000, 175000, 310000, 285000], dtype=float),
             "bad": np.array([300000, 150000, 250000, 350000], dtype=float)}
    labels = np.array([1, 0, 1, 0], dtype=float)  # 1 = spam
    spam = {"confident_correct": np.array([0.9, 0.1, 0.85, 0.15]),
            "uncertain": np.array([0.6, 0.4, 0.55, 0.45]),
            "confident_wrong": np.array([0.1, 0.9, 0.2, 0.8])}

    mse = {name: mean_squared_error(prices, pred) for name, pred in house.items()}
    bce = {name: binary_cross_entropy(labels, pred) for name, pred in spam.items()}
    engine_mse = {name: float(F.mse_loss(T.tensor(pred), T.tensor(prices)).item()) for name, pred in house.items()}
    engine_bce = {name: float(F.binary_cross_entropy(T.tensor(pred), T.tensor(labels)).item())
                  for name, pred in spam.items()}
    gap = max(max(abs(engine_mse[k] - mse[k]) / mse[k] for k in mse), max(abs(engine_bce[k] - bce[k]) for k in bce))
    lesson.check("E13: the engine's losses equal the seed's NumPy ones", gap < 1e-12, f"largest (relative) gap {gap:.2e}")
    mae = {name: float(np.mean(np.abs(prices - pred))) for name, pred in house.items()}

    fig = new_figure(12.0, 4.4)
    ax_mse, ax_bce = fig.subplots(1, 2)
    predictions = np.linspace(50, 150, 101)
    ax_mse.plot(predictions, (predictions - 100) ** 2, lw=2, color="#1f77b4")
    ax_mse.axvline(100, color="#d62728", ls="--", label="true value 100")
    ax_mse.scatter([100], [0], color="#d62728", s=80, zorder=5)
    ax_mse.set_xlabel("predicted value"); ax_mse.set_ylabel("squared error")
    ax_mse.set_title("Squared error: quadratic in the miss")
    p = np.linspace(0.01, 0.99, 99)
    ax_bce.plot(p, -np.log(p), lw=2, color="#2ca02c", label="true class 1: -log p")
    ax_bce.plot(p, -np.log(1 - p), lw=2, color="#9467bd", label="true class 0: -log(1 - p)")
    for name, marker in (("confident_correct", "o"), ("uncertain", "s"), ("confident_wrong", "X")):
        pred = spam[name]
        ax_bce.scatter(pred, np.where(labels == 1, -np.log(pred), -np.log(1 - pred)), marker=marker, s=60,
                       color="black", zorder=5, label=f"{name.replace('_', ' ')} (mean {bce[name]:.3f})")
    ax_bce.set_xlabel("predicted probability of class 1"); ax_bce.set_ylabel("cross-entropy loss")
    ax_bce.set_title("Binary cross-entropy: confident mistakes cost most")
    for ax in (ax_mse, ax_bce):
        ax.grid(alpha=0.3); ax.legend(fontsize=9, loc="upper center")
    path = lesson.figure("loss-curves", fig, shows="V7")

    lesson.claim(
        id="E13", seed_ref="004:737-826",
        claim="MSE is 43,750,000 for the good and 2,975,000,000 for the bad house-price predictions, "
              "squaring punishing large errors; BCE is 0.1339 for confident-right, 0.5543 for uncertain "
              "and 1.9560 for confident-wrong spam predictions, confident mistakes being punished heavily.",
        measured={**{f"mse_{k}": v for k, v in mse.items()}, **{f"bce_{k}": v for k, v in bce.items()},
                  **{f"engine_mse_{k}": v for k, v in engine_mse.items()},
                  **{f"engine_bce_{k}": v for k, v in engine_bce.items()},
                  "mse_ratio_bad_to_good": mse["bad"] / mse["good"],
                  "mae_ratio_bad_to_good": mae["bad"] / mae["good"],
                  "bce_ratio_wrong_to_correct": bce["confident_wrong"] / bce["confident_correct"]},
        rule=all_of(close("mse_good", 43_750_000, 0.5), close("mse_bad", 2_975_000_000, 0.5),
                    close("bce_confident_correct", 0.1339, 1e-4), close("bce_uncertain", 0.5543, 1e-4),
                    close("bce_confident_wrong", 1.9560, 1e-4),
                    above("mse_ratio_bad_to_good", "mae_ratio_bad_to_good"),
                    above("bce_ratio_wrong_to_correct", 3.0)),
        figures=[path])


# %%
def run(lesson):
    single_neuron(lesson)
    weight_and_bias(lesson)
    linear_collapse(lesson)
    activation_functions(lesson)
    network_shapes(lesson)
    forward_trace(lesson)
    loss_functions(lesson)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("neuron")
