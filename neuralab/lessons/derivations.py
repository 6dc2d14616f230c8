"""The seven symbolic derivations of the tutorial, redone with sympy and checked by the engine.

Follows the seven sympy sections of ``004`` (``004:2040-2130, 3120-3220, 3928-4078,
4231-4374, 4986-5078, 5745-5790, 6186-6274``; inventory 1.12, claims S1-S7).
"""

# %% [markdown]
# # The derivations, checked by sympy and by the engine
#
# Seven times the seed stops to derive a formula with sympy: the convolution sum, the
# gradient through time of an RNN, the VAE's KL term, the GAN's optimal discriminator,
# attention's softmax, the L2 penalty's gradient and BatchNorm's backward pass. Mostly it
# prints a formula next to the sympy code rather than letting sympy derive it.
#
# For each one we let sympy do the work (symbols, ``diff``, ``integrate``, ``solve``,
# ``simplify``), ask whether the seed's stated result simplifies to sympy's (a bool),
# and then check sympy's result, turned into NumPy by ``lambdify``, against the engine's
# autograd at random points in float64. Both sides compute the same function in
# different ways, so they must agree to rounding. The error we report is normwise,
# point by point:
#
#     error = max over points of ||symbolic - engine||_2 / ||engine||_2
#
# **Rule, for every derivation.** It holds if the error is below 1e-10 *and* the
# seed's stated result equals sympy's; a wrong seed formula with a correct
# derivation beside it is ``partly``. (S3 and S4 add one part each, stated there.)
#
# The section-6 figures inside these line ranges belong to the seed's experiments and
# are drawn by the lessons that run those experiments: gradient flow through time (V24)
# in ``recurrent``, the prior and posterior samples (V32) in ``autoencoders``, and the
# generator's loss and gradient curves (V33) in ``gans``. Here the three are replaced by
# their derivation versions, with sympy's curves and the engine's autograd on one plot:
# ``dh_T/dh_0`` along real input sequences, the KL term's gradient with a Monte-Carlo
# estimate, and the generator's gradients with respect to D and to D's logit.

# %%
import re

import numpy as np
import sympy as sp

from matplotlib.lines import Line2D
from matplotlib.mathtext import MathTextParser
from matplotlib.patches import Patch

from neuralab.generative.vae import gaussian_kl
from neuralab.lessons.claims import all_of, at_least, at_most, below, is_true
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "The derivations, checked by sympy and by the engine",
    "part": "III. Practice",
    "section": "004:2040-6274",
    "claims": ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "D22"),
    "seconds": 8,
    "engines": ("scratch", "torch"),
}

RED, TEAL, NAVY, GREY, ORANGE = "#BF092F", "#3B9797", "#132440", "#7f7f7f", "#f28e2b"  # the seed's palette
TOLERANCE = 1e-10  # float64 rounding: 1e-16 to 1e-13 here, 3e-12 through 50 saturated tanh steps on torch


def evaluate(exprs, symbols, values):
    """sympy ``exprs`` (a flat list) at many points: ``values (N, len(symbols))`` -> ``(N, len(exprs))``.

    ``lambdify`` turns the expressions into one NumPy function; constant entries are
    broadcast to every point."""
    function = sp.lambdify(list(symbols), list(exprs), "numpy")
    columns = function(*np.asarray(values, dtype=np.float64).T)
    return np.stack([np.broadcast_to(np.asarray(c, dtype=np.float64), (len(values),)) for c in columns], axis=1)


def relative_error(symbolic, engine):
    """``max_n ||symbolic[n] - engine[n]|| / ||engine[n]||`` over the points ``n`` (arrays ``(N, k)``)."""
    symbolic, engine = np.asarray(symbolic).reshape(len(symbolic), -1), np.asarray(engine).reshape(len(engine), -1)
    return float(np.max(np.linalg.norm(symbolic - engine, axis=1) / np.linalg.norm(engine, axis=1)))


def is_zero(expr):
    """Whether sympy proves ``expr == 0`` (every entry, for a matrix)."""
    return all(sp.simplify(e) == 0 for e in (expr if isinstance(expr, sp.MatrixBase) else [expr]))


def symbol_matrix(name, rows, cols):
    """A ``rows x cols`` matrix of real symbols ``name_ij`` (0-based)."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def derivation_rule():
    """The rule every derivation shares (see the introduction)."""
    return all_of(below("max_relative_error", TOLERANCE), is_true("seed_result_correct"))


# %% [markdown]
# ## S1: the convolution as a sum of products (``004:2040-2130``)
#
# The seed writes the output of a convolution layer at position ``(i, j)`` as
#
#     Y[i, j] = sum_{m=0}^{k_h-1} sum_{n=0}^{k_w-1} X[i+m, j+n] K[m, n],
#
# expands it for a 3x3 kernel into nine products ``K_mn X_mn``, and applies the Sobel
# kernel to a dark-to-bright patch (0, 0, 255 in each row) for a response of 1020. (This
# is a cross-correlation: true convolution flips the kernel. The engine's ``conv2d``
# computes exactly the seed's formula; the convolution lesson measures the output
# sizes and the kernel zoo.)
#
# We let sympy evaluate the seed's double sum over indexed symbols for a 5x5 input and
# compare it with the seed's nine-term expansion; then differentiate. Because ``Y`` is
# linear in ``K`` and in ``X``:
#
# * ``dY[i, j]/dK[m, n] = X[i+m, j+n]``: the kernel's gradient is the input patch;
# * for a loss with upstream gradient ``G = dL/dY``, ``dL/dX[p, q] = sum_ij G[i, j] K[p-i, q-j]``:
#   each output sends its gradient back through the kernel placed where it was applied,
#   which is the cross-correlation of the zero-padded ``G`` with the kernel turned by 180
#   degrees (what the seed's ``ConvLayer.backward`` accumulates, ``004:2468-2469``).
#
# The engine check runs ``conv2d`` on many random 5x5 images at once (one kernel per
# channel, ``groups = N``) and compares ``Y``, ``dL/dK`` and ``dL/dX`` with sympy's.

# %%
def conv_expansion(lesson):
    T = lesson.T
    X, K, G = symbol_matrix("x", 5, 5), symbol_matrix("k", 3, 3), symbol_matrix("g", 3, 3)
    i, j, m, n = sp.symbols("i j m n", integer=True)
    Xb, Kb = sp.IndexedBase("X"), sp.IndexedBase("K")
    seed_sum = sp.Sum(Xb[i + m, j + n] * Kb[m, n], (m, 0, 2), (n, 0, 2))   # the seed's formula, 004:2059-2061
    entries = ({Xb[p, q]: X[p, q] for p in range(5) for q in range(5)}
               | {Kb[p, q]: K[p, q] for p in range(3) for q in range(3)})
    Y = sp.Matrix(3, 3, lambda r, c: seed_sum.subs({i: r, j: c}).doit().xreplace(entries))

    expansion = sum(K[r, c] * X[r, c] for r in range(3) for c in range(3))  # the seed's 3x3 expansion, 004:2095-2096
    sobel = sp.Matrix([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    edge = sp.Matrix([[0, 0, 255]] * 3)
    sobel_response = Y[0, 0].subs({K[r, c]: sobel[r, c] for r in range(3) for c in range(3)}
                                  | {X[r, c]: edge[r, c] for r in range(3) for c in range(3)})

    kernel_is_patch = all(sp.diff(Y[r, c], K[a, b]) == X[r + a, c + b]
                          for r in range(3) for c in range(3) for a in range(3) for b in range(3))
    loss = sum(G[r, c] * Y[r, c] for r in range(3) for c in range(3))
    dX = sp.Matrix(5, 5, lambda p, q: sp.diff(loss, X[p, q]))
    dK = sp.Matrix(3, 3, lambda a, b: sp.diff(loss, K[a, b]))
    padded = sp.zeros(7, 7)
    padded[2:5, 2:5] = G
    turned = sp.Matrix(3, 3, lambda a, b: K[2 - a, 2 - b])   # the kernel turned by 180 degrees
    flipped = sp.Matrix(5, 5, lambda p, q: sum(padded[p + a, q + b] * turned[a, b]
                                               for a in range(3) for b in range(3)))
    input_is_flipped_kernel = is_zero(sp.expand(dX - flipped))

    # The engine: N images, each with its own kernel and upstream gradient, in one grouped conv2d.
    rng = lesson.rng(1)
    points = lesson.pick(200, 20)
    x, k, g = (rng.standard_normal((points, *shape)) for shape in ((5, 5), (3, 3), (3, 3)))
    images = T.tensor(x[None], requires_grad=True)                 # (1, N, 5, 5): N channels
    kernels = T.tensor(k[:, None], requires_grad=True)             # (N, 1, 3, 3): one kernel per channel
    out = T.nn.functional.conv2d(images, kernels, groups=points)   # (1, N, 3, 3)
    (out * T.tensor(g[None])).sum().backward()
    symbols = [*X, *K, *G]
    values = np.hstack([x.reshape(points, -1), k.reshape(points, -1), g.reshape(points, -1)])
    errors = {"output": relative_error(evaluate(list(Y), symbols, values), out.detach().numpy()[0]),
              "kernel_gradient": relative_error(evaluate(list(dK), symbols, values), kernels.grad.numpy()[:, 0]),
              "input_gradient": relative_error(evaluate(list(dX), symbols, values), images.grad.numpy()[0])}

    formula_is_expansion = is_zero(sp.expand(Y[0, 0] - expansion))
    return dict(
        id="S1", seed_ref="004:2040-2130",
        claim="A convolution output is the double sum of input pixels times kernel weights, "
              "Y[i,j] = sum_m sum_n X[i+m, j+n] K[m,n]; for a 3x3 kernel that is nine products K_mn X_mn, and "
              "the Sobel kernel on a dark-to-bright patch gives 1020 (the seed states no derivatives here).",
        measured={"max_relative_error": max(errors.values()),
                  **{f"error_{name}": value for name, value in errors.items()},
                  "seed_sum_equals_its_expansion": formula_is_expansion,
                  "sobel_response_sympy": int(sobel_response),
                  "kernel_gradient_is_input_patch": kernel_is_patch,
                  "input_gradient_is_flipped_kernel": input_is_flipped_kernel,
                  "seed_result_correct": bool(formula_is_expansion and sobel_response == 1020),
                  "points": points},
        rule=derivation_rule())


# %% [markdown]
# ## S2: the gradient through time (``004:3120-3220``)
#
# For the simplified RNN ``h_t = tanh(W_h h_{t-1})`` the seed differentiates one step,
# ``dh_t/dh_{t-1} = W_h (1 - tanh^2(W_h h_{t-1}))``, and says the gradient from ``h_T``
# back to ``h_0`` is the product of these factors, about ``(W_h sigma')^T`` if the
# slope ``sigma' = tanh'`` is the same at every step. It adds that ``tanh'`` lies in
# ``(0, 1]`` with its maximum 1 at 0.
#
# We check the one-step derivative and the slope's maximum with sympy, then unroll
# six steps of the full RNN ``h_t = tanh(w h_{t-1} + u x_t)`` symbolically, with inputs:
# sympy's ``d h_6 / d h_0`` of the nested expression must equal
# ``prod_t w (1 - h_t^2)``. With inputs, the slope changes from step to step, so
# ``(W_h sigma')^T`` is only the special case of a constant slope (the recurrent
# lesson measures the seed's numbers for it). The engine unrolls the same RNN for
# many random ``(w, u, h_0, x)`` and runs autograd; for 50 steps we compare it with the
# product formula.
#
# The figure runs the seed's weights 0.5, 1 and 2 on one input sequence (``x_t ~ N(0,
# 0.5^2)``): the true slopes are far from the seed's 0.25. With ``w = 1`` they stay near
# 1 and the gradient after 50 steps is about 6e-9, not ``0.25^50 = 8e-31``; with ``w =
# 2`` the units saturate, the slopes collapse, and it is about 1e-33, not ``0.5^50 =
# 9e-16``: a large weight made the gradient vanish faster, not explode.

# %%
SYMBOLIC_STEPS = 6


def rnn_states(w, u, h0, x):
    """``h_t = tanh(w h_{t-1} + u x_t)`` for ``x (N, T)``; ``w, u, h0 (N,)``; returns ``h_1..h_T`` as ``(N, T)``."""
    states, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(w * h + u * x[:, t])
        states.append(h)
    return np.stack(states, axis=1)


def product_formula(w, u, h0, x):
    """The derived ``dh_T/dh_0 = prod_t w (1 - h_t^2)`` for every prefix ``T``: ``(N, T)``."""
    return np.cumprod(w[:, None] * (1 - rnn_states(w, u, h0, x) ** 2), axis=1)


def engine_bptt(T, w, u, h0, x):
    """Autograd's ``dh_T/dh_0`` through the unrolled RNN on the engine, for ``T = x.shape[1]``: ``(N,)``."""
    start = T.tensor(h0, requires_grad=True)
    h, w_t, u_t = start, T.tensor(w), T.tensor(u)
    for t in range(x.shape[1]):
        h = T.tanh(w_t * h + u_t * T.tensor(x[:, t]))
    h.sum().backward()  # points are independent, so the sum's gradient holds each point's derivative
    return start.grad.numpy()


def bptt_factor(lesson):
    T = lesson.T
    W_h, h_prev, z = sp.Symbol("W_h", real=True), sp.Symbol("h_{t-1}", real=True), sp.Symbol("z", real=True)
    one_step = sp.diff(sp.tanh(W_h * h_prev), h_prev)
    one_step_correct = is_zero(one_step - W_h * (1 - sp.tanh(W_h * h_prev) ** 2))
    slope = sp.diff(sp.tanh(z), z)
    slope_peaks_at_zero = sp.solve(sp.diff(slope, z), z) == [0] and sp.simplify(slope.subs(z, 0)) == 1

    w, u, h0 = sp.symbols("w u h_0", real=True)
    xs = sp.symbols(f"x_1:{SYMBOLIC_STEPS + 1}", real=True)
    h = [h0]
    for x_t in xs:
        h.append(sp.tanh(w * h[-1] + u * x_t))
    through_time = sp.diff(h[-1], h0)
    is_product = is_zero(sp.expand(through_time - sp.Mul(*[w * (1 - h_t ** 2) for h_t in h[1:]])))

    rng = lesson.rng(2)
    points = lesson.pick(200, 20)
    pw, pu, ph = rng.uniform(-2, 2, points), rng.normal(size=points), rng.uniform(-1, 1, points)
    px = rng.normal(size=(points, SYMBOLIC_STEPS))
    symbolic = evaluate([through_time], [w, u, h0, *xs], np.column_stack([pw, pu, ph, px]))
    error_symbolic = relative_error(symbolic, engine_bptt(T, pw, pu, ph, px))
    long_x = rng.normal(size=(points, 50))
    error_product_50 = relative_error(product_formula(pw, pu, ph, long_x)[:, -1:], engine_bptt(T, pw, pu, ph, long_x))

    # The seed's regimes, now with inputs: the slope varies, so (w 0.25)^T is a guess.
    regimes = {}
    x_curve = lesson.rng(2, 1).normal(scale=0.5, size=(1, 50))
    for weight in (0.5, 1.0, 2.0):
        args = (np.array([weight]), np.array([1.0]), np.array([0.1]))
        steps = np.array([5, 10, 20, 30, 40, 50])
        regimes[weight] = {"exact": product_formula(*args, x_curve)[0], "steps": steps,
                           "engine": np.array([engine_bptt(T, *args, x_curve[:, :s])[0] for s in steps]),
                           "seed": (weight * 0.25) ** np.arange(1, 51)}
    error_regimes = max(relative_error(r["exact"][r["steps"] - 1, None], r["engine"][:, None])
                        for r in regimes.values())

    return dict(
        id="S2", seed_ref="004:3120-3220",
        claim="Through one step of h_t = tanh(W_h h_{t-1}) the gradient is multiplied by "
              "W_h (1 - tanh^2(W_h h_{t-1})), the slope tanh' peaking at 1 at zero; from h_T back to h_0 the "
              "gradient is the product of these T factors, about (W_h sigma')^T for a typical slope sigma'.",
        measured={"max_relative_error": max(error_symbolic, error_product_50, error_regimes),
                  "error_symbolic_6_steps": error_symbolic, "error_product_formula_50_steps": error_product_50,
                  "error_regime_curves": error_regimes, "regime_weights": list(regimes),
                  "regime_dh50_dh0_abs": [float(abs(r["exact"][-1])) for r in regimes.values()],
                  "regime_seed_guess_dh50_dh0": [float(r["seed"][-1]) for r in regimes.values()],
                  "one_step_jacobian_correct": one_step_correct, "tanh_slope_max_1_at_0": bool(slope_peaks_at_zero),
                  "unrolled_gradient_is_product_of_factors": is_product,
                  "seed_result_correct": bool(one_step_correct and slope_peaks_at_zero and is_product),
                  "points": points},
        rule=derivation_rule()), regimes


# %% [markdown]
# ## S3: the VAE's KL term and the reparameterisation (``004:3928-4078``)
#
# The seed writes the encoder's Gaussian ``q(z) = N(mu, sigma^2)`` and its log density,
# states the closed form ``KL(q || N(0, 1)) = (mu^2 + sigma^2 - log sigma^2 - 1) / 2``
# per latent dimension without deriving it, and differentiates ``z = mu + sigma eps``:
# ``dz/dmu = 1`` and ``dz/dsigma = eps``. (Its numerical example, 0.2508, is checked in
# the autoencoders lesson.)
#
# We derive the KL from its definition, ``KL = E_q[log q(z) - log p(z)]``. The
# reparameterisation is also the substitution that makes the integral easy: with
# ``z = mu + sigma t`` and ``t ~ N(0, 1)`` the integrand is a quadratic in ``t``, and
# sympy integrates it against the standard normal density. Then the gradients:
# ``dKL/dmu = mu`` and ``dKL/dsigma = sigma - 1/sigma`` (zero at the prior, as it
# should be). Two engine checks: autograd of the closed form (``neuralab.generative.vae.gaussian_kl``)
# at random ``(mu, sigma)``, and a Monte-Carlo estimate of the *definition*, averaged
# over samples ``z = mu + sigma eps``, whose autograd gradient is the
# reparameterisation gradient: it must land within 4 standard errors of sympy's.

# %%
def vae_kl(lesson):
    T = lesson.T
    z, t = sp.symbols("z t", real=True)
    mu, sigma, eps = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True), sp.Symbol("epsilon", real=True)
    density = 1 / (sigma * sp.sqrt(2 * sp.pi)) * sp.exp(-(z - mu) ** 2 / (2 * sigma ** 2))  # 004:3955
    seed_log_density = sp.log(1 / (sigma * sp.sqrt(2 * sp.pi))) - (z - mu) ** 2 / (2 * sigma ** 2)
    log_density_correct = is_zero(sp.expand_log(sp.log(density) - seed_log_density, force=True))

    log_q = -sp.log(sigma) - sp.log(2 * sp.pi) / 2 - (z - mu) ** 2 / (2 * sigma ** 2)
    log_p = -sp.log(2 * sp.pi) / 2 - z ** 2 / 2
    standard_normal = sp.exp(-t ** 2 / 2) / sp.sqrt(2 * sp.pi)
    integrand = sp.Poly(sp.expand((log_q - log_p).subs(z, mu + sigma * t)), t)  # quadratic in t
    moments = [sp.integrate(standard_normal * t ** k, (t, -sp.oo, sp.oo)) for k in range(3)]  # 1, 0, 1
    kl = sp.simplify(sum(c * moments[k] for (k,), c in integrand.terms()))
    seed_kl = (mu ** 2 + sigma ** 2 - sp.log(sigma ** 2) - 1) / 2                        # 004:3989
    kl_correct = is_zero(sp.expand_log(seed_kl - kl, force=True))
    reparameterised = mu + sigma * eps
    reparameterisation_correct = sp.diff(reparameterised, mu) == 1 and sp.diff(reparameterised, sigma) == eps
    gradients = [sp.diff(kl, mu), sp.simplify(sp.diff(kl, sigma))]                     # mu, sigma - 1/sigma

    rng = lesson.rng(3)
    points = lesson.pick(200, 20)
    pm, ps = rng.normal(size=points), np.exp(rng.uniform(-1.5, 1.5, points))
    mu_t, sigma_t = T.tensor(pm[:, None], requires_grad=True), T.tensor(ps[:, None], requires_grad=True)
    closed = gaussian_kl(mu_t, T.log(sigma_t * sigma_t))                              # (N,)
    closed.sum().backward()
    symbolic = evaluate([kl, *gradients], [mu, sigma], np.column_stack([pm, ps]))
    engine = np.column_stack([closed.detach().numpy(), mu_t.grad.numpy()[:, 0], sigma_t.grad.numpy()[:, 0]])
    error = relative_error(symbolic, engine)

    # The seed's two latent dimensions (0.5, 1.2) and (-0.3, 0.8), and mu = 0.5 at three more sigmas.
    mc = monte_carlo_kl(T, lesson.rng(3, 1), np.array([0.5, -0.3, 0.5, 0.5, 0.5]),
                        np.array([1.2, 0.8, 0.5, 1.8, 2.4]), lesson.pick(200_000, 20_000))
    exact = evaluate([kl, *gradients], [mu, sigma], np.column_stack([mc["mu"], mc["sigma"]]))
    worst_z = float(np.max(np.abs(mc["estimate"] - exact) / mc["standard_error"]))

    return dict(
        id="S3", seed_ref="004:3928-4078",
        claim="The encoder's Gaussian has log density log(1/(sigma sqrt(2 pi))) - (z - mu)^2/(2 sigma^2); its KL "
              "divergence from N(0, 1) is (mu^2 + sigma^2 - log sigma^2 - 1)/2 per dimension; writing "
              "z = mu + sigma eps gives dz/dmu = 1 and dz/dsigma = eps, so gradients reach mu and sigma.",
        measured={"max_relative_error": error,
                  "log_density_correct": log_density_correct, "kl_closed_form_correct": kl_correct,
                  "reparameterisation_derivatives_correct": bool(reparameterisation_correct),
                  "seed_result_correct": bool(log_density_correct and kl_correct and reparameterisation_correct),
                  "dkl_dsigma_is_sigma_minus_inverse": is_zero(gradients[1] - (sigma - 1 / sigma)),
                  "monte_carlo_samples": mc["samples"], "monte_carlo_points": len(mc["mu"]),
                  "monte_carlo_worst_z": worst_z, "points": points},
        rule=all_of(below("max_relative_error", TOLERANCE), is_true("seed_result_correct"),
                    at_most("monte_carlo_worst_z", 4.0))), (kl, gradients, mu, sigma, mc)


def monte_carlo_kl(T, rng, mu, sigma, samples):
    """The KL's definition averaged over ``z = mu + sigma eps`` on the engine, with its autograd gradients.

    ``mu, sigma (P,)``. Every sample gets its own copy of ``mu`` and ``sigma`` (``(P, M)``
    tensors), so autograd returns per-sample gradients: their means are the estimates,
    their spreads the standard errors. Returns estimate and standard error ``(P, 3)``:
    KL, dKL/dmu, dKL/dsigma; the constants of ``log q - log p`` cancel."""
    eps = rng.standard_normal((len(mu), samples))
    mu_t = T.tensor(np.repeat(mu[:, None], samples, axis=1), requires_grad=True)
    sigma_t = T.tensor(np.repeat(sigma[:, None], samples, axis=1), requires_grad=True)
    z = mu_t + sigma_t * T.tensor(eps)
    per_sample = -T.log(sigma_t) - (z - mu_t) ** 2 / (2 * sigma_t ** 2) + z ** 2 / 2  # log q(z) - log p(z)
    per_sample.sum().backward()
    values = np.stack([per_sample.detach().numpy(), mu_t.grad.numpy(), sigma_t.grad.numpy()], axis=1)  # (P, 3, M)
    return {"mu": mu, "sigma": sigma, "samples": samples, "estimate": values.mean(axis=2),
            "standard_error": values.std(axis=2) / np.sqrt(samples)}


# %% [markdown]
# ## S4: the GAN's optimal discriminator (``004:4231-4374``)
#
# At a point ``x`` the value function weighs ``log D`` by the data density ``a =
# p_data(x)`` and ``log(1 - D)`` by the generator's ``b = p_g(x)``. The seed states the
# best discriminator ``D* = p_data / (p_data + p_g)`` (``004:4268``; 0.8 for densities 0.8
# and 0.2, 0.5 when they are equal), and the generator's two losses with their gradients
# in ``D`` (``004:4337-4338``): ``d/dD log(1 - D) = -1/(1 - D)`` (saturating) and ``d/dD (-log D) = -1/D``
# (non-saturating, strong when ``D(G(z))`` is small).
#
# Sympy solves ``dV/dD = 0`` for ``V = a log D + b log(1 - D)``, checks that the second
# derivative is negative there (a maximum), and evaluates ``V(D*)``: for ``p_g =
# p_data`` it is ``-a log 4``, which integrates to ``-log 4``, the value of the game at
# its equilibrium. The generator's gradients are also taken with respect to D's logit
# ``l`` (``D = sigmoid(l)``), which is what backpropagation sees: saturating ``-D``,
# vanishing as D rejects the fakes, non-saturating ``-(1 - D)``, near ``-1`` there. The
# engine computes all of them by autograd; at ``D*`` its gradient must vanish.

# %%
def discriminator_value(T, a, b, d):
    """``V = a log D + b log(1 - D)`` on the engine, pointwise: ``a, b`` arrays ``(N,)``, ``d`` a tensor ``(N,)``."""
    return T.tensor(a) * T.log(d) + T.tensor(b) * T.log(1 - d)


def gan_discriminator(lesson):
    T = lesson.T
    a, b, D = sp.symbols("a b D", positive=True)
    logit = sp.Symbol("l", real=True)
    V = a * sp.log(D) + b * sp.log(1 - D)
    dV = sp.diff(V, D)
    critical = sp.solve(sp.Eq(dV, 0), D)
    D_star = critical[0]
    optimum_correct = len(critical) == 1 and is_zero(D_star - a / (a + b))
    is_maximum = bool(sp.simplify(sp.diff(V, D, 2).subs(D, D_star)).is_negative)
    value_equal = sp.simplify(sp.expand_log(V.subs(D, D_star).subs(b, a) / a, force=True))
    value_is_minus_log4 = is_zero(value_equal + sp.log(4))
    seed_numbers = (D_star.subs({a: sp.Rational(8, 10), b: sp.Rational(2, 10)}) == sp.Rational(8, 10)
                    and D_star.subs(b, a) == sp.Rational(1, 2))

    saturating, non_saturating = sp.log(1 - D), -sp.log(D)
    seed_gradients = is_zero(sp.diff(saturating, D) + 1 / (1 - D)) and is_zero(sp.diff(non_saturating, D) + 1 / D)
    sig = 1 / (1 + sp.exp(-logit))
    by_logit = [sp.simplify(sp.diff(loss.subs(D, sig), logit)) for loss in (saturating, non_saturating)]
    logit_gradients_are_d = is_zero(by_logit[0] + sig) and is_zero(by_logit[1] + 1 - sig)

    rng = lesson.rng(4)
    points = lesson.pick(200, 20)
    pa, pb, pd = rng.uniform(0.05, 2, points), rng.uniform(0.05, 2, points), rng.uniform(0.01, 0.99, points)
    d_t = T.tensor(pd, requires_grad=True)
    discriminator_value(T, pa, pb, d_t).sum().backward()
    errors = {"value_gradient": relative_error(evaluate([dV], [a, b, D], np.column_stack([pa, pb, pd])),
                                               d_t.grad.numpy()[:, None])}
    star = pa / (pa + pb)
    at_star = T.tensor(star, requires_grad=True)
    discriminator_value(T, pa, pb, at_star).sum().backward()
    # |dV/dD| at D*, against the size of its two terms a/D* and b/(1 - D*), which cancel there
    stationary_residual = float(np.max(np.abs(at_star.grad.numpy()) / (pa / star + pb / (1 - star))))
    with T.no_grad():
        equal = discriminator_value(T, pa, pa, T.tensor(np.full(points, 0.5))).numpy()  # p_g = p_data
    errors["value_at_equilibrium"] = relative_error((-pa * np.log(4))[:, None], equal[:, None])

    pl = rng.uniform(-4, 4, points)
    for name, loss, column in (("saturating", lambda d: T.log(1 - d), 0), ("non_saturating", lambda d: -T.log(d), 1)):
        l_t, d_t = T.tensor(pl, requires_grad=True), T.tensor(1 / (1 + np.exp(-pl)), requires_grad=True)
        loss(T.sigmoid(l_t)).sum().backward()       # through D's logit
        loss(d_t).sum().backward()                  # in D itself, as the seed plots it
        in_d = sp.diff((saturating, non_saturating)[column], D)
        errors[f"{name}_gradient_by_logit"] = relative_error(evaluate([by_logit[column]], [logit], pl[:, None]),
                                                             l_t.grad.numpy()[:, None])
        errors[f"{name}_gradient_by_d"] = relative_error(evaluate([in_d], [D], d_t.detach().numpy()[:, None]),
                                                         d_t.grad.numpy()[:, None])

    return dict(
        id="S4", seed_ref="004:4231-4374",
        claim="For a fixed generator the best discriminator is D* = p_data/(p_data + p_g) (0.8 for densities 0.8 "
              "and 0.2; 0.5 everywhere once p_g = p_data); the saturating generator loss log(1 - D) has gradient "
              "-1/(1 - D) and the non-saturating -log D has -1/D, much stronger while D rejects the fakes.",
        measured={"max_relative_error": max(errors.values()),
                  **{f"error_{name}": value for name, value in errors.items()},
                  "stationary_residual_at_d_star": stationary_residual,
                  "d_star_correct": bool(optimum_correct), "d_star_is_maximum": is_maximum,
                  "seed_examples_correct": bool(seed_numbers), "generator_gradients_in_d_correct": seed_gradients,
                  "value_at_equilibrium_is_minus_log4": value_is_minus_log4,
                  "logit_gradients_minus_d_and_minus_1_minus_d": logit_gradients_are_d,
                  "seed_result_correct": bool(optimum_correct and is_maximum and seed_numbers and seed_gradients),
                  "points": points},
        rule=all_of(below("max_relative_error", TOLERANCE), below("stationary_residual_at_d_star", TOLERANCE),
                    is_true("seed_result_correct"))), (by_logit, logit, saturating, non_saturating, D)


# %% [markdown]
# ## S5: attention's softmax and its gradient (``004:4986-5078``)
#
# The seed builds ``softmax(Q K^T / sqrt(d_k)) V`` step by step: the scores
# ``S[i, j] = sum_k Q[i, k] K[j, k]`` (written out for 2 tokens and ``d_k = 3``), the
# scaling, a row softmax whose weights sum to 1 (sympy's ``simplify`` says so), and the
# weighted sum of values. It calls the result "fully differentiable" (``004:5119``),
# without the derivative. We take it:
#
# * the softmax Jacobian, ``dp_i/ds_j = p_i (delta_ij - p_j)``, i.e. ``diag(p) - p p^T``
#   (sympy for 3 scores; replacing each ``exp(s_i)`` by a positive symbol makes every
#   entry a rational function, which sympy cancels at once);
# * the gradient of a loss ``L = sum G * Attention(Q, K, V)`` with respect to ``Q``
#   by ``diff`` of the full 2-token expression, and the matrix form it implies,
#   ``dL/dQ = (P * (dP - rowsum(dP * P))) K / sqrt(d_k)`` with ``dP = G V^T``, hand-written
#   in NumPy below.
#
# Both are compared with the engine: autograd through ``softmax`` and through
# ``scaled_dot_product_attention``, for many random ``(Q, K, V, G)`` at once.

# %%
def attention_grad_by_hand(q, k, v, g):
    """``dL/dQ`` for ``L = sum(G * softmax(Q K^T / sqrt(d)) V)``, batched: ``q, k (N, n, d)``, ``v, g (N, n, d_v)``."""
    scores = q @ np.swapaxes(k, 1, 2) / np.sqrt(q.shape[-1])
    p = np.exp(scores - scores.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    dp = g @ np.swapaxes(v, 1, 2)                                      # dL/dP
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True))             # (diag(p) - p p^T) dP, row by row
    return ds @ k / np.sqrt(q.shape[-1])


def attention_softmax(lesson):
    T = lesson.T
    F = T.nn.functional
    s = sp.symbols("s_1:4", real=True)
    e = sp.symbols("e_1:4", positive=True)
    p = sp.Matrix([sp.exp(si) / sum(sp.exp(sj) for sj in s) for si in s])
    jacobian = p.jacobian(sp.Matrix(s))
    as_rational = (jacobian - (sp.diag(*p) - p * p.T)).subs({sp.exp(si): ei for si, ei in zip(s, e)})
    jacobian_correct = all(sp.cancel(entry) == 0 for entry in as_rational)

    Q, K = symbol_matrix("q", 2, 3), symbol_matrix("k", 2, 3)      # 2 tokens, d_k = 3, as the seed's example
    V, G = symbol_matrix("v", 2, 2), symbol_matrix("g", 2, 2)      # values and the upstream dL/dOutput
    scores = Q * K.T
    scores_correct = all(sp.expand(scores[i, j] - sum(Q[i, c] * K[j, c] for c in range(3))) == 0
                         for i in range(2) for j in range(2))
    s11, s12 = sp.symbols("s_11 s_12", real=True)
    alpha_11, alpha_12 = (sp.exp(score) / (sp.exp(s11) + sp.exp(s12)) for score in (s11, s12))  # 004:5064-5065
    rows_sum_to_one = sp.simplify(alpha_11 + alpha_12) == 1
    weights = (scores / sp.sqrt(3)).applyfunc(sp.exp)
    P = sp.Matrix(2, 2, lambda i, j: weights[i, j] / (weights[i, 0] + weights[i, 1]))
    out = P * V
    loss = sum(G[a, b] * out[a, b] for a in range(2) for b in range(2))
    dQ = sp.Matrix(2, 3, lambda i, c: sp.diff(loss, Q[i, c]))

    rng = lesson.rng(5)
    points = lesson.pick(200, 20)
    scores_np = rng.normal(scale=2.0, size=(points, 3))
    s_t = T.tensor(scores_np, requires_grad=True)
    engine_jacobian = []
    for row in range(3):  # one backward per output: row `row` of each point's Jacobian
        (g_row,) = T.autograd.grad(F.softmax(s_t, dim=1)[:, row].sum(), s_t)
        engine_jacobian.append(g_row.numpy())
    engine_jacobian = np.stack(engine_jacobian, axis=1)                 # (N, 3, 3)
    symbolic_jacobian = evaluate(list(sp.diag(*p) - p * p.T), s, scores_np)

    q, k = rng.normal(size=(points, 2, 3)), rng.normal(size=(points, 2, 3))
    v, g = rng.normal(size=(points, 2, 2)), rng.normal(size=(points, 2, 2))
    q_t = T.tensor(q, requires_grad=True)
    attended = F.scaled_dot_product_attention(q_t, T.tensor(k), T.tensor(v))
    (attended * T.tensor(g)).sum().backward()
    values = np.hstack([a.reshape(points, -1) for a in (q, k, v, g)])
    symbols = [*Q, *K, *V, *G]
    errors = {"softmax_jacobian": relative_error(symbolic_jacobian, engine_jacobian),
              "attention_output": relative_error(evaluate(list(out), symbols, values), attended.detach().numpy()),
              "attention_dq": relative_error(evaluate(list(dQ), symbols, values), q_t.grad.numpy())}
    by_hand = relative_error(attention_grad_by_hand(q, k, v, g), q_t.grad.numpy())
    lesson.check("S5: the hand-written dL/dQ (from diag(p) - pp^T) equals the engine's autograd", by_hand < TOLERANCE,
                 f"largest relative error {by_hand:.1e}")

    return dict(
        id="S5", seed_ref="004:4986-5078, 5119",
        claim="Attention is softmax(Q K^T / sqrt(d_k)) V: the scores are the dot products sum_k Q[i,k] K[j,k], "
              "each row of softmax weights sums to 1, and the output is a weighted sum of the values; the whole "
              "map is differentiable (its Jacobian is not given).",
        measured={"max_relative_error": max(errors.values()),
                  **{f"error_{name}": value for name, value in errors.items()},
                  "error_hand_written_dq": by_hand,
                  "scores_are_dot_products": scores_correct, "softmax_rows_sum_to_1": bool(rows_sum_to_one),
                  "softmax_jacobian_is_diag_p_minus_ppT": jacobian_correct,
                  "seed_result_correct": bool(scores_correct and rows_sum_to_one), "points": points},
        rule=derivation_rule())


# %% [markdown]
# ## S6: the L2 penalty's gradient and weight decay (``004:5745-5790``)
#
# The seed adds ``lambda/2 ||W||^2`` to the data loss, so that the factor 1/2 cancels:
# ``dL_total/dw = dL_data/dw + lambda w``, and the gradient step becomes
# ``w <- (1 - lr lambda) w - lr dL_data/dw``, a shrinking of every weight by ``1 - lr
# lambda`` (0.9999 for ``lr = lambda = 0.01``). sympy differentiates with ``L_data`` an
# unknown function, for one weight and for five, and expands the update. On the
# engine, autograd of ``lambda/2 ||w||^2 + c . w`` and one ``optim.SGD`` step with
# ``weight_decay = lambda`` (its way of adding ``lambda w`` to the gradient) must both
# match. (Later, ``004:5852`` and ``004:5903``, the seed switches to ``lambda ||W||^2``
# with gradient ``2 lambda w``: the regularisation lesson's D14.)

# %%
def l2_gradient(lesson):
    T = lesson.T
    w, g = sp.symbols("w g", real=True)                 # g stands for dL_data/dw
    lam, lr = sp.symbols("lambda eta", positive=True)
    data_loss = sp.Function("L_data")(w)
    gradient_correct = is_zero(sp.diff(data_loss + lam / 2 * w ** 2, w) - (sp.diff(data_loss, w) + lam * w))
    decay_correct = is_zero(sp.expand(w - lr * (g + lam * w) - ((1 - lr * lam) * w - lr * g)))
    example_correct = (1 - lr * lam).subs({lr: sp.Rational(1, 100), lam: sp.Rational(1, 100)}) == sp.Rational(9999, 10000)
    ws, cs = sp.symbols("w_1:6", real=True), sp.symbols("c_1:6", real=True)
    total = lam / 2 * sum(wi ** 2 for wi in ws) + sum(ci * wi for ci, wi in zip(cs, ws))  # a linear data loss c . w
    gradient = [sp.diff(total, wi) for wi in ws]
    vector_correct = all(is_zero(gi - (ci + lam * wi)) for gi, ci, wi in zip(gradient, cs, ws))
    update = [wi - lr * gi for wi, gi in zip(ws, gradient)]

    rng = lesson.rng(6)
    points = lesson.pick(200, 20)
    groups = 10  # one SGD optimizer per lambda: weight_decay is a scalar of the optimizer
    pw, pc = rng.normal(size=(points, 5)), rng.normal(size=(points, 5))
    plam = np.repeat(np.exp(rng.uniform(-5, 0, groups)), points // groups)
    plr = np.repeat(rng.uniform(0.01, 0.5, groups), points // groups)
    w_t = T.tensor(pw, requires_grad=True)
    (T.tensor(plam[:, None]) / 2 * (w_t * w_t) + T.tensor(pc) * w_t).sum().backward()
    values = np.column_stack([pw, pc, plam, plr])
    symbols = [*ws, *cs, lam, lr]
    errors = {"penalised_gradient": relative_error(evaluate(gradient, symbols, values), w_t.grad.numpy())}
    stepped = np.empty_like(pw)
    for rows in np.split(np.arange(points), groups):
        weights = T.tensor(pw[rows], requires_grad=True)
        optimizer = T.optim.SGD([weights], lr=float(plr[rows[0]]), weight_decay=float(plam[rows[0]]))
        (T.tensor(pc[rows]) * weights).sum().backward()
        optimizer.step()
        stepped[rows] = weights.detach().numpy()
    errors["sgd_weight_decay_step"] = relative_error(evaluate(update, symbols, values), stepped)

    return dict(
        id="S6", seed_ref="004:5745-5790",
        claim="With the penalty lambda/2 ||W||^2 the gradient is dL_data/dw + lambda w, so a gradient step is "
              "w <- (1 - lr lambda) w - lr dL_data/dw: every step shrinks the weights by 1 - lr lambda "
              "(0.9999 for lr = lambda = 0.01).",
        measured={"max_relative_error": max(errors.values()),
                  **{f"error_{name}": value for name, value in errors.items()},
                  "gradient_correct": gradient_correct, "weight_decay_form_correct": decay_correct,
                  "decay_factor_example_correct": bool(example_correct),
                  "five_weight_gradient_is_lambda_w": vector_correct,
                  "seed_result_correct": bool(gradient_correct and decay_correct and example_correct),
                  "points": points},
        rule=derivation_rule())


# %% [markdown]
# ## S7: BatchNorm's gradients (``004:6186-6274``)
#
# The seed's forward pass is right: ``mu_B`` and ``sigma^2_B`` are the batch's mean and
# (biased) variance, ``xhat_i = (x_i - mu_B) / sqrt(sigma^2_B + eps)``, ``y_i = gamma
# xhat_i + beta``. It then prints the gradients without deriving them (``004:6265-6273``):
# ``dL/dbeta = sum_i dL/dy_i``, ``dL/dgamma = sum_i dL/dy_i xhat_i`` and
#
#     dL/dx_i = gamma / sqrt(sigma^2_B + eps) [m dL/dxhat_i - sum_j dL/dxhat_j - xhat_i sum_j dL/dxhat_j xhat_j].
#
# sympy derives them for a batch of ``m = 4`` (and 2, 3, 5 in the full run) with an
# upstream gradient ``g_i = dL/dy_i``: ``L = sum_i g_i y_i``, differentiate. To let
# sympy decide equality quickly we write ``eps = r^2 - sigma^2_B`` with ``r > 0``: then
# ``sqrt(sigma^2_B + eps) = r`` and every expression is a polynomial in ``x``, ``g``,
# ``gamma`` and ``1/r``, which ``expand`` settles. The printed input gradient is
# ``m`` times the true one if ``dL/dxhat`` is read as ``dL/dy``, and ``m gamma`` times
# it if read literally (``dL/dxhat = gamma dL/dy``); the true one is
#
#     dL/dx_i = gamma / (m sqrt(sigma^2_B + eps)) [m g_i - sum_j g_j - xhat_i sum_j g_j xhat_j].
#
# The BatchNorm lesson (D15) measures the printed formula's error numerically at many
# batch sizes; here it is the symbolic derivation, checked against ``batch_norm``'s
# autograd (training mode, ``eps = 1e-5``, one point per channel).

# %%
def batchnorm_symbols(m):
    """sympy's BatchNorm for a batch of ``m``: symbols and the derived quantities (a dict)."""
    x, g = sp.symbols(f"x_1:{m + 1}", real=True), sp.symbols(f"g_1:{m + 1}", real=True)
    gamma, beta = sp.symbols("gamma beta", real=True)
    eps, r = sp.Symbol("epsilon", positive=True), sp.Symbol("r", positive=True)
    mean = sum(x) / m
    var = sum((xi - mean) ** 2 for xi in x) / m
    x_hat = [(xi - mean) / sp.sqrt(var + eps) for xi in x]
    y = [gamma * h + beta for h in x_hat]
    loss = sum(gi * yi for gi, yi in zip(g, y))
    sum_g, sum_gx = sum(g), sum(gi * hi for gi, hi in zip(g, x_hat))
    return {"x": x, "g": g, "gamma": gamma, "beta": beta, "eps": eps, "y": y,
            "dx": [sp.diff(loss, xi) for xi in x], "dgamma": sp.diff(loss, gamma), "dbeta": sp.diff(loss, beta),
            "correct": [gamma / (m * sp.sqrt(var + eps)) * (m * gi - sum_g - hi * sum_gx) for gi, hi in zip(g, x_hat)],
            "printed_kind": [gamma / sp.sqrt(var + eps) * (m * gi - sum_g - hi * sum_gx) for gi, hi in zip(g, x_hat)],
            "printed_literal": [gamma / sp.sqrt(var + eps) * (m * gamma * gi - gamma * sum_g - hi * gamma * sum_gx)
                                for gi, hi in zip(g, x_hat)],
            "seed_dgamma": sum_gx, "seed_dbeta": sum_g,
            "polynomial": lambda expr: sp.expand(expr.subs(eps, r ** 2 - var))}  # sqrt(var + eps) -> r


def batchnorm_gradient(lesson):
    T = lesson.T
    checks = {}
    for m in lesson.pick((2, 3, 4, 5), (4,)):
        bn = batchnorm_symbols(m)
        zero = bn["polynomial"]
        checks[m] = {"correct": all(zero(d - c) == 0 for d, c in zip(bn["dx"], bn["correct"])),
                     "printed_kind_is_m_times": all(zero(p - m * d) == 0 for p, d in zip(bn["printed_kind"], bn["dx"])),
                     "printed_literal_is_m_gamma_times": all(zero(p - m * bn["gamma"] * d) == 0
                                                             for p, d in zip(bn["printed_literal"], bn["dx"])),
                     "printed_equals_true": all(zero(p - d) == 0 for p, d in zip(bn["printed_kind"], bn["dx"])),
                     "dgamma": zero(bn["dgamma"] - bn["seed_dgamma"]) == 0,
                     "dbeta": zero(bn["dbeta"] - bn["seed_dbeta"]) == 0}
    bn = batchnorm_symbols(4)

    rng = lesson.rng(7)
    points = lesson.pick(200, 20)
    x, g = rng.normal(1.0, 2.0, size=(4, points)), rng.normal(size=(4, points))  # a column per point
    gamma, beta = rng.uniform(0.5, 2.0, points), rng.normal(size=points)
    x_t, gamma_t, beta_t = (T.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    y_t = T.nn.functional.batch_norm(x_t, None, None, gamma_t, beta_t, training=True, eps=1e-5)
    (y_t * T.tensor(g)).sum().backward()
    symbols = [*bn["x"], *bn["g"], bn["gamma"], bn["beta"], bn["eps"]]
    values = np.column_stack([x.T, g.T, gamma, beta, np.full(points, 1e-5)])
    errors = {"output": relative_error(evaluate(bn["y"], symbols, values), y_t.detach().numpy().T),
              "input_gradient": relative_error(evaluate(bn["dx"], symbols, values), x_t.grad.numpy().T),
              "gamma_gradient": relative_error(evaluate([bn["dgamma"]], symbols, values), gamma_t.grad.numpy()[:, None]),
              "beta_gradient": relative_error(evaluate([bn["dbeta"]], symbols, values), beta_t.grad.numpy()[:, None])}
    printed = {reading: relative_error(evaluate(bn[f"printed_{reading}"], symbols, values), x_t.grad.numpy().T)
               for reading in ("kind", "literal")}
    correct_error = relative_error(evaluate(bn["correct"], symbols, values), x_t.grad.numpy().T)

    def every(key):
        return all(c[key] for c in checks.values())

    return dict(
        id="S7", seed_ref="004:6186-6274",
        claim="BatchNorm's backward pass is dL/dbeta = sum_i dL/dy_i, dL/dgamma = sum_i dL/dy_i xhat_i and "
              "dL/dx_i = gamma/sqrt(sigma^2_B + eps) [m dL/dxhat_i - sum_j dL/dxhat_j - xhat_i sum_j dL/dxhat_j xhat_j].",
        measured={"max_relative_error": max(errors.values()),
                  **{f"error_{name}": value for name, value in errors.items()},
                  "batch_sizes": list(checks), "dbeta_correct": every("dbeta"), "dgamma_correct": every("dgamma"),
                  "printed_dx_correct": every("printed_equals_true"),
                  "printed_dx_is_m_times_true_reading_dxhat_as_dy": every("printed_kind_is_m_times"),
                  "printed_dx_is_m_gamma_times_true_read_literally": every("printed_literal_is_m_gamma_times"),
                  "printed_dx_relative_error_m4_reading_dxhat_as_dy": printed["kind"],
                  "printed_dx_relative_error_m4_literal": printed["literal"],
                  "seed_result_correct": bool(every("dbeta") and every("dgamma") and every("printed_equals_true")),
                  "points": points},
        rule=derivation_rule(),
        correction="The printed input gradient lacks the factor 1/m (and, with dL/dxhat in the brackets, counts gamma "
                   "twice): dL/dx_i = gamma/(m sqrt(sigma^2_B + eps)) [m dL/dy_i - sum_j dL/dy_j - "
                   "xhat_i sum_j dL/dy_j xhat_j], equivalently 1/(m sqrt(sigma^2_B + eps)) [m dL/dxhat_i - ...]. "
                   "sympy finds the printed one m times too large (m gamma times, read literally); dL/dbeta and "
                   "dL/dgamma are right.",
        fix=({"max_relative_error": correct_error, "corrected_dx_equals_sympy": every("correct")},
             all_of(below("max_relative_error", TOLERANCE), is_true("corrected_dx_equals_sympy"))))


# %% [markdown]
# ## The summary: every derivation against the engine
#
# One bar per derivation: the largest relative difference between sympy's result and
# the engine's autograd, with the rule's bar (1e-10) and float64's machine epsilon for
# scale. For S7 a second bar shows the seed's printed input gradient against the
# engine (read kindly, ``dL/dxhat`` as ``dL/dy``): off by ``m - 1 = 3`` times the
# true gradient. A second figure holds the three derivation curves that replace the
# seed's V24, V32 and V33 (see the introduction), and a third the results in formulas.

# %%
def summary_figure(lesson, made):
    fig = new_figure(11.0, 5.0)
    ax = fig.add_subplot()
    errors = [max(d["measured"]["max_relative_error"], 1e-18) for d in made]
    right = [d["measured"]["seed_result_correct"] for d in made]
    x = np.arange(len(made), dtype=float)
    width = np.full(len(made), 0.7)
    x[-1], width[-1] = x[-1] - 0.19, 0.36                         # S7 shares its slot with the seed's formula
    bars = ax.bar(x, errors, width=width, color=[TEAL if ok else ORANGE for ok in right], edgecolor="black")
    printed = made[-1]["measured"]["printed_dx_relative_error_m4_reading_dxhat_as_dy"]
    ax.bar([len(made) - 1 + 0.19], [printed], width=0.36, color=RED, edgecolor="black")
    ax.text(len(made) - 1 + 0.19, printed * 3, f"seed's\nprinted dL/dx\n{printed:.2f}", ha="center", va="bottom",
            fontsize=8)
    for bar, ok, err in zip(bars, right, errors):
        ax.text(bar.get_x() + bar.get_width() / 2, err * 3, f"{err:.1e}\nseed {'right' if ok else 'wrong'}",
                ha="center", va="bottom", fontsize=8)
    ax.axhline(TOLERANCE, color="black", ls="--", lw=1)
    ax.axhline(np.finfo(float).eps, color=GREY, ls=":", lw=1)
    handles = [Patch(facecolor=TEAL, edgecolor="black", label="sympy vs engine; the seed's stated result equals sympy's"),
               Patch(facecolor=ORANGE, edgecolor="black", label="sympy vs engine; the seed's stated result differs"),
               Patch(facecolor=RED, edgecolor="black", label="S7: the seed's printed dL/dx vs the engine (m = 4)"),
               Line2D([], [], color="black", ls="--", lw=1, label="the rule's bar: 1e-10"),
               Line2D([], [], color=GREY, ls=":", lw=1, label="float64 machine epsilon")]
    ax.set_yscale("log"); ax.set_ylim(1e-18, 1e4)
    names = ["S1 conv", "S2 BPTT", "S3 VAE KL", "S4 GAN D*", "S5 softmax", "S6 L2", "S7 BatchNorm"]
    ax.set_xticks(range(len(made)), names)
    ax.set_ylabel("max relative error vs engine autograd")
    ax.set_title("The seven derivations: sympy's results agree with the engine's autograd to rounding")
    ax.legend(handles=handles, fontsize=8, loc="upper left"); ax.grid(alpha=0.3, axis="y")
    return lesson.figure("derivation-errors", fig)


def curves_figure(lesson, regimes, kl_parts, gan_parts):
    T = lesson.T
    fig = new_figure(17.0, 5.2)
    ax_rnn, ax_kl, ax_gan = fig.subplots(1, 3)
    steps = np.arange(1, 51)
    for (weight, r), color in zip(regimes.items(), (RED, TEAL, NAVY)):
        ax_rnn.semilogy(steps, np.abs(r["exact"]), color=color, lw=2, label=f"w = {weight:g}: prod w·tanh'(z_t) (sympy)")
        ax_rnn.semilogy(r["steps"], np.abs(r["engine"]), "o", color=color, mfc="none", ms=7)
        ax_rnn.semilogy(steps, r["seed"], color=color, ls=":", lw=1.5, label=f"w = {weight:g}: the seed's (w·0.25)^T")
    ax_rnn.plot([], [], "ko", mfc="none", label="engine autograd")
    ax_rnn.set(xlabel="time steps T", ylabel="|dh_T / dh_0| (log scale)", ylim=(1e-35, 1e3),
               title="S2: gradient through time with inputs\nh_t = tanh(w h_{t-1} + x_t), x_t ~ N(0, 0.5²)")
    ax_rnn.legend(fontsize=7, loc="lower left")

    kl, gradients, mu, sigma, mc = kl_parts
    grid = np.linspace(0.3, 2.5, 200)
    curves = evaluate([kl, *gradients], [mu, sigma], np.column_stack([np.full_like(grid, 0.5), grid]))
    s_t = T.tensor(grid[:, None], requires_grad=True)
    gaussian_kl(T.tensor(np.full((len(grid), 1), 0.5)), T.log(s_t * s_t)).sum().backward()
    ax_kl.plot(grid, curves[:, 0], color=NAVY, lw=2, label="KL(N(0.5, σ²) ‖ N(0, 1)) (sympy)")
    ax_kl.plot(grid, curves[:, 2], color=RED, lw=2, label="dKL/dσ = σ - 1/σ (sympy)")
    ax_kl.plot(grid[::20], s_t.grad.numpy()[::20, 0], "o", color=RED, mfc="none", ms=7, label="engine autograd")
    chosen = mc["mu"] == 0.5
    ax_kl.errorbar(mc["sigma"][chosen], mc["estimate"][chosen, 2], yerr=4 * mc["standard_error"][chosen, 2], fmt="s",
                   color=ORANGE, ms=7, capsize=4,
                   label=f"Monte Carlo, {mc['samples']:,} samples z = µ + σε (± 4 s.e.)")
    ax_kl.axhline(0, color=GREY, lw=0.8)
    ax_kl.set(xlabel="σ (µ = 0.5)", ylabel="value", title="S3: the KL term and its σ-gradient")
    ax_kl.legend(fontsize=7)

    by_logit, logit, saturating, non_saturating, D = gan_parts
    d_grid = np.linspace(0.01, 0.99, 99)
    in_d = np.abs(evaluate([sp.diff(saturating, D), sp.diff(non_saturating, D)], [D], d_grid[:, None]))
    in_l = np.abs(evaluate(by_logit, [logit], np.log(d_grid / (1 - d_grid))[:, None]))
    marks = np.log(d_grid / (1 - d_grid))[::10]
    engine = []
    for loss in (lambda d: T.log(1 - d), lambda d: -T.log(d)):
        l_t = T.tensor(marks, requires_grad=True)
        loss(T.sigmoid(l_t)).sum().backward()
        engine.append(np.abs(l_t.grad.numpy()))
    ax_gan.semilogy(d_grid, in_d[:, 0], color=RED, ls=":", lw=1.5, label="saturating, d/dD = -1/(1-D) (seed)")
    ax_gan.semilogy(d_grid, in_d[:, 1], color=TEAL, ls=":", lw=1.5, label="non-saturating, d/dD = -1/D (seed)")
    ax_gan.semilogy(d_grid, in_l[:, 0], color=RED, lw=2, label="saturating, d/dlogit = -D (sympy)")
    ax_gan.semilogy(d_grid, in_l[:, 1], color=TEAL, lw=2, label="non-saturating, d/dlogit = -(1-D) (sympy)")
    for values, color in zip(engine, (RED, TEAL)):
        ax_gan.semilogy(d_grid[::10], values, "o", color=color, mfc="none", ms=7)
    ax_gan.plot([], [], "ko", mfc="none", label="engine autograd (through the logit)")
    ax_gan.axvline(0.5, color="black", ls="--", lw=1, alpha=0.5)
    ax_gan.set(xlabel="D(G(z)), the discriminator's output on a fake", ylabel="|gradient| of the generator loss",
               title="S4: generator gradients, in D and in D's logit", ylim=(1e-3, 3e2))
    ax_gan.legend(fontsize=7, loc="lower center")
    for ax in (ax_rnn, ax_kl, ax_gan):
        ax.grid(alpha=0.3)
    return lesson.figure("derivation-curves", fig)


FORMULAS = (  # (id, what sympy derived, the seed's version where it differs)
    ("S1", r"$\partial Y_{ij}/\partial K_{mn} = X_{i+m,\,j+n},\quad"
           r"\partial L/\partial X_{pq} = \sum_{ij} G_{ij}\,K_{p-i,\,q-j}$", None),
    ("S2", r"$\partial h_T/\partial h_0 = \prod_{t=1}^{T} w\,(1-h_t^2),\quad h_t = \tanh(w h_{t-1} + u x_t)$", None),
    ("S3", r"$\mathrm{KL} = \frac{1}{2}(\mu^2+\sigma^2-\log\sigma^2-1),\quad"
           r"\partial_\mu = \mu,\ \partial_\sigma = \sigma - 1/\sigma$", None),
    ("S4", r"$D^* = \frac{p_{data}}{p_{data}+p_g},\quad V(D^*)|_{p_g=p_{data}} = -\log 4,\quad"
           r"\partial_l \log(1-D) = -D$", None),
    ("S5", r"$\partial p_i/\partial s_j = p_i(\delta_{ij}-p_j),\quad"
           r"\partial L/\partial Q = \left(P\circ(dP - \mathrm{rowsum}(dP\circ P))\right)K/\sqrt{d_k}$", None),
    ("S6", r"$\partial_w(L + \frac{\lambda}{2}w^2) = \partial_w L + \lambda w,\quad"
           r"w \leftarrow (1-\eta\lambda)w - \eta\,\partial_w L$", None),
    ("S7", r"$\partial L/\partial x_i = \frac{\gamma}{m\sqrt{\sigma_B^2+\epsilon}}"
           r"\left[m g_i - \sum_j g_j - \hat{x}_i\sum_j g_j\hat{x}_j\right]$",
     r"seed: $\frac{\gamma}{\sqrt{\sigma_B^2+\epsilon}}[\ldots]$, no $1/m$: $m$ times too large"),
)


def formulas_figure(lesson, made):
    fig = new_figure(10.5, 6.6)
    ax = fig.add_subplot()
    ax.axis("off")
    names = {"S1": "convolution", "S2": "BPTT", "S3": "VAE KL", "S4": "GAN D*", "S5": "attention",
             "S6": "L2", "S7": "BatchNorm"}
    verdict = {d["id"]: d["measured"]["seed_result_correct"] for d in made}
    for row, (claim_id, formula, seed) in enumerate(FORMULAS):
        y = 1 - (row + 0.5) / len(FORMULAS)
        ok = verdict[claim_id]
        ax.text(0.0, y, f"{claim_id}\n{names[claim_id]}", fontsize=10, fontweight="bold", va="center")
        ax.text(0.13, y + (0.02 if seed else 0), formula, fontsize=13, va="center")
        if seed:
            ax.text(0.13, y - 0.05, seed, fontsize=11, va="center", color=RED)
        ax.text(1.0, y, "seed's result: right" if ok else "seed's result: wrong", fontsize=10, va="center", ha="right",
                color=TEAL if ok else RED, fontweight="bold")
    ax.set_title("What sympy derived (each checked against the engine's autograd to < 1e-10)", fontsize=12)
    return lesson.figure("derivation-formulas", fig)


# %% [markdown]
# ## D22: the formulas of `003`, as the seed's text holds them
#
# `003` writes its formulas as LaTeX display math: the network as a mapping
# ``\text{Input} \rightarrow f(\text{weights}) \rightarrow \text{Output}`` (``003:9-13``),
# the gradient ``\frac{\partial L}{\partial w}`` and the update (``003:89-99``), the losses
# (``003:104-112``). Somewhere on its way into the text, the LaTeX went through Python
# string escapes: ``\t`` became a tab, ``\r`` and ``\f`` line breaks. So ``\text`` lost its
# ``\t``, ``\rightarrow`` its ``\r`` and ``\frac`` its ``\f``. Two lines also went through
# the wrong character set: UTF-8 bytes read as Windows-1252 (``003:1``, ``001:38``).
#
# We keep the eight display blocks of ``003`` byte for byte (the tests compare them with
# the seed file when it is at hand) and render each one with matplotlib's TeX parser,
# whitespace folded as TeX folds it. The glyphs it draws are what a reader sees. The
# repair puts the three escapes back (a tab is ``\t``; a line break before ``ightarrow``
# is ``\r``, before ``rac{`` it is ``\f``), and the garbled lines are re-read as UTF-8.
#
# **Rule.** The seed's formulas hold if every block draws the same glyphs as its
# repaired source (fraction 1). The fix must render every block with no stray letters
# and turn the garbled lines into real characters.

# %%
SEED_003_DISPLAY_MATH = {  # 003's \[ ... \] blocks, byte for byte (tabs and line breaks included)
    "003:9-13": "\\[\n\text{Input} \nightarrow f(\text{weights}) \nightarrow \text{Output}\n\\]",
    "003:34-36": "\\[\nz = w_1x_1 + w_2x_2 + ... + b\n\\]",
    "003:40-42": "\\[\na = \\sigma(z)\n\\]",
    "003:80-82": "\\[\n\\hat{y}\n\\]",
    "003:89-92": "\\[\n\nrac{\\partial L}{\\partial w}\n\\]",
    "003:96-99": "\\[\nw = w - \\eta \\cdot \nrac{\\partial L}{\\partial w}\n\\]",
    "003:104-106": "\\[\nCE = -\\sum y\\log(\\hat{y})\n\\]",
    "003:109-112": "\\[\nMSE = \nrac{1}{n}\\sum (y-\\hat{y})^2\n\\]",
}
SEED_GARBLED_LINES = {  # UTF-8 read as Windows-1252, as the seeds hold them
    "003:1": "# \u00f0\u0178\u201c\u02dc Neural Networks \u00e2\u20ac\u201d Complete Documentation for NN with PyTorch Project",
    "001:38": "| **ReLU** | $\\text{ReLU}(x) = \\max(0, x)$ | Range: [0,\u00e2\u02c6\u017e), Fast | Hidden layers (modern default) |",
}


def restore_escapes(source: str) -> str:
    """Undo the Python escapes that ate ``\\t``, ``\\r`` and ``\\f`` out of LaTeX commands."""
    source = source.replace("\t", "\\t")
    source = re.sub(r"\n(?=ightarrow)", r"\\r", source)
    return re.sub(r"\n(?=rac\{)", r"\\f", source)


def drawn_glyphs(source: str) -> str:
    """The characters matplotlib's TeX parser draws for a display block (TeX folds whitespace)."""
    body = " ".join(source.strip().removeprefix("\\[").removesuffix("\\]").split())
    return "".join(chr(glyph[2]) for glyph in MathTextParser("path").parse(f"${body}$").glyphs)


def reread_utf8(line: str) -> str:
    """Text whose UTF-8 bytes were decoded as Windows-1252, decoded again as UTF-8."""
    return line.encode("cp1252").decode("utf-8")


def relu_range(line: str) -> str:
    """The "Range: [0, ...)" cell of 001:38's ReLU row."""
    return line.split("Range: ")[1].split(", Fast")[0]


def seed_latex(lesson):
    as_written = {ref: drawn_glyphs(src) for ref, src in SEED_003_DISPLAY_MATH.items()}
    repaired = {ref: drawn_glyphs(restore_escapes(src)) for ref, src in SEED_003_DISPLAY_MATH.items()}
    same = [as_written[ref] == repaired[ref] for ref in SEED_003_DISPLAY_MATH]
    garbled = {ref: reread_utf8(line) for ref, line in SEED_GARBLED_LINES.items()}
    stray = ("ext", "ightarrow", "rac")
    measured = {
        "display_blocks": len(same), "blocks_drawn_as_intended": int(sum(same)),
        "fraction_drawn_as_intended": sum(same) / len(same),
        "blocks_with_stray_letters": [ref for ref in as_written if any(w in as_written[ref] for w in stray)],
        "as_written_9_13": as_written["003:9-13"], "repaired_9_13": repaired["003:9-13"],
        "garbled_lines": len(garbled), "garbled_003_1_title_mark": SEED_GARBLED_LINES["003:1"][2:6],
        "reread_003_1_title_mark": f"U+{ord(garbled['003:1'][2]):04X}",
        "reread_001_38_range": relu_range(garbled["001:38"]),
    }
    fixed = {
        "fraction_repaired_without_stray_letters": sum(not any(w in g for w in stray) for g in repaired.values()) / len(repaired),
        "repaired_9_13_has_arrows": repaired["003:9-13"].count("\u2192") == 2,
        "garbled_lines_reread": sum("\u00e2" not in g and "\u00f0" not in g for g in garbled.values()) / len(garbled),
    }
    figure = latex_figure(lesson, garbled)
    lesson.claim("D22", "003:9-13, 89-99, 109-112, 1; 001:38",
                 "003 writes its formulas in LaTeX display math (the mapping Input -> f(weights) -> Output, dL/dw, "
                 "the update, the losses), and its title and 001's ReLU range in Unicode; read as written, they "
                 "show those formulas and characters.",
                 measured, at_least("fraction_drawn_as_intended", 1.0),
                 correction=f"{len(same) - sum(same)} of {len(same)} display blocks draw stray letters ('ext', "
                            "'ightarrow', 'rac'): the LaTeX lost \\t, \\r and \\f to Python string escapes. The title's "
                            "book emoji and the ReLU range's infinity are UTF-8 read as Windows-1252. Restoring the "
                            "escapes and re-reading the bytes fixes both.",
                 figures=[figure],
                 fix=(fixed, all_of(at_least("fraction_repaired_without_stray_letters", 1.0),
                                    is_true("repaired_9_13_has_arrows"),
                                    at_least("garbled_lines_reread", 1.0))))


def latex_figure(lesson, garbled):
    fig = new_figure(12.0, 7.2)
    ax = fig.add_subplot()
    ax.axis("off")
    rows = list(SEED_003_DISPLAY_MATH.items())
    ax.text(0.0, 1.0, "lines", fontweight="bold", va="top"); ax.text(0.14, 1.0, "as the seed holds it", fontweight="bold", va="top")
    ax.text(0.57, 1.0, "escapes restored", fontweight="bold", va="top")
    for row, (ref, source) in enumerate(rows):
        y = 0.92 - row * 0.09
        before = " ".join(source.strip().removeprefix("\\[").removesuffix("\\]").split())
        after = " ".join(restore_escapes(source).strip().removeprefix("\\[").removesuffix("\\]").split())
        broken = drawn_glyphs(source) != drawn_glyphs(restore_escapes(source))
        ax.text(0.0, y, ref, fontsize=10, va="center", family="monospace")
        ax.text(0.14, y, f"${before}$", fontsize=14, va="center", color=RED if broken else NAVY)
        ax.text(0.57, y, f"${after}$", fontsize=14, va="center", color=TEAL if broken else NAVY)
    y = 0.92 - len(rows) * 0.09
    for ref, line in SEED_GARBLED_LINES.items():
        seen = relu_range(line) if "Range" in line else line[2:6]
        fixed = relu_range(garbled[ref]) if "Range" in line else f"U+{ord(garbled[ref][2]):04X} (a book emoji)"
        ax.text(0.0, y, ref, fontsize=10, va="center", family="monospace")
        ax.text(0.14, y, repr(seen), fontsize=12, va="center", color=RED, family="monospace")
        ax.text(0.57, y, fixed, fontsize=12, va="center", color=TEAL, family="monospace")
        y -= 0.07
    ax.set_title("D22: 003's formulas drawn by a TeX parser: red rows draw stray letters; re-read text in the last rows",
                 fontsize=11)
    return lesson.figure("seed-latex", fig)


# %%
def run(lesson):
    made = [conv_expansion(lesson)]
    s2, regimes = bptt_factor(lesson)
    s3, kl_parts = vae_kl(lesson)
    s4, gan_parts = gan_discriminator(lesson)
    made += [s2, s3, s4, attention_softmax(lesson), l2_gradient(lesson), batchnorm_gradient(lesson)]
    figures = [summary_figure(lesson, made), curves_figure(lesson, regimes, kl_parts, gan_parts),
               formulas_figure(lesson, made)]
    for derivation in made:
        shown = figures if derivation["id"] in ("S2", "S3", "S4") else [figures[0], figures[2]]
        lesson.claim(**derivation, figures=shown)
    seed_latex(lesson)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("derivations")
