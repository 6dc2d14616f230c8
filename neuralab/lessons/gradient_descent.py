"""Gradient descent on a parabola, the learning rate, and one optimizer step on a tiny MLP.

Follows ``004:841-925`` (inventory E14, D2) and the note ``002:64-67`` (claim V1,
inventory E55).
"""

# %% [markdown]
# # Gradient descent and the learning rate
#
# Gradient descent repeats one update, ``w <- w - lr * dL/dw``: a step downhill whose
# size is set by the learning rate. The seed (``004:841-909``) runs it on the
# parabola ``L(w) = (w - 3)^2`` with four settings and says what each learning rate
# does. On this parabola the update has a closed form,
#
#     w_{t+1} - 3 = (1 - 2 lr) (w_t - 3),   so   w_t - 3 = (1 - 2 lr)^t (w_0 - 3),
#
# which predicts every run below: ``0 < lr < 0.5`` creeps in from one side,
# ``lr = 0.5`` jumps to the minimum in one step, ``0.5 < lr < 1`` overshoots and comes
# back with the sign of ``w - 3`` alternating, and ``lr > 1`` diverges.
#
# The last part measures a claim from the seed's notes (``002:64-67``): one SGD or
# Adam step on a tiny MLP lowers its loss.

# %%
import numpy as np

from neuralab import engines
from neuralab.data import toy
from neuralab.extras import MissingExtra
from neuralab.lessons.claims import above, all_of, below, close, fraction, is_true
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "Gradient descent and the learning rate",
    "part": "I. Foundations",
    "section": "004:841-925",
    "claims": ("E14", "D2", "E55"),
    "seconds": 8,
    "engines": ("scratch", "torch"),
}

MINIMUM = 3.0
STEPS = 50  # the seed's iteration count (004:884)


# %% [markdown]
# ## The loop, by hand and on the engine (``004:844-863``)
#
# The seed's loop, re-indented (its per-iteration printing left out): the loss, its
# derivative, and the update. The same loop on the engine makes ``w`` a float64
# scalar tensor, lets autograd find ``dL/dw`` and lets ``optim.SGD`` take the step;
# the two histories must agree to rounding.

# %%
def loss_function(w):
    """L(w) = (w - 3)^2."""
    return (w - MINIMUM) ** 2


def gradient(w):
    """dL/dw = 2 (w - 3)."""
    return 2 * (w - MINIMUM)


def gradient_descent(start: float, lr: float, steps: int = STEPS) -> np.ndarray:
    """The iterates ``w_0 .. w_steps`` of plain gradient descent, shape ``(steps + 1,)``."""
    history = [start]
    w = start
    for _ in range(steps):
        w = w - lr * gradient(w)  # a step against the gradient
        history.append(w)
    return np.array(history)


def gradient_descent_on_engine(T, start: float, lr: float, steps: int = STEPS) -> np.ndarray:
    """The same iterates with a scalar engine parameter, autograd and ``T.optim.SGD``."""
    w = T.tensor(start, dtype=T.float64, requires_grad=True)
    optimizer = T.optim.SGD([w], lr=lr)
    history = [w.item()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (w - MINIMUM) ** 2
        loss.backward()
        optimizer.step()
        history.append(w.item())
    return np.array(history)


def overshoot(history: np.ndarray) -> float:
    """How far the iterates ever passed beyond the minimum, seen from the start (0 if never)."""
    side = np.sign(MINIMUM - history[0])  # +1 when starting left of the minimum
    return float(max(0.0, np.max((history - MINIMUM) * side)))


def check_engine_matches(lesson, settings) -> None:
    """Every hand-written history equals the engine's (relative 1e-12: lr 1.1 reaches ~3e4)."""
    worst = 0.0
    for start, lr in settings:
        by_hand, engine = gradient_descent(start, lr), gradient_descent_on_engine(lesson.T, start, lr)
        worst = max(worst, float(np.max(np.abs(by_hand - engine) / np.maximum(1.0, np.abs(by_hand)))))
    lesson.check("the engine's SGD on (w-3)^2 gives the hand-written iterates", worst < 1e-12,
                 f"largest relative difference {worst:.2e} over {len(settings)} settings x {STEPS} steps")


# %% [markdown]
# ## E14: the seed's four settings (``004:866-909``)
#
# Fifty iterations each: (start 0, lr 0.1), (0, 0.5), (0, 0.01) and (7, 0.1). The seed
# says 0.1 converges smoothly, 0.5 overshoots but still converges, 0.01 is slow, and
# the start does not matter on a convex function. We call a run converged when
# ``|w - 3| <= 1e-3`` after 50 steps, slow when it is still more than 0.5 away, and
# count an overshoot when some iterate lands beyond 3 on the far side of the start.

# %%
SCENARIOS = (
    (0.0, 0.1, "lr 0.1"),
    (0.0, 0.5, "lr 0.5"),
    (0.0, 0.01, "lr 0.01"),
    (7.0, 0.1, "lr 0.1 from w = 7"),
)


def four_settings(lesson) -> None:
    runs = {label: gradient_descent(start, lr) for start, lr, label in SCENARIOS}

    fig = new_figure(11.0, 8.0)
    axes = fig.subplots(2, 2).ravel()
    w_range = np.linspace(-2, 8, 200)
    for ax, (start, lr, label) in zip(axes, SCENARIOS):
        history = runs[label]
        ax.plot(w_range, loss_function(w_range), color="#3B9797", lw=2, label="L(w) = (w - 3)^2")
        ax.axvline(MINIMUM, color="#BF092F", ls="--", alpha=0.6, label="minimum w = 3")
        ax.plot(history, loss_function(history), "o-", color="#132440", ms=4, alpha=0.7, label="GD path")
        ax.scatter([history[0]], [loss_function(history[0])], s=180, marker="*", color="green", zorder=5, label="start")
        ax.scatter([history[-1]], [loss_function(history[-1])], s=180, marker="*", color="orange", zorder=5, label="end")
        ax.set_title(f"start {start:g}, {label.split(' from')[0]}: w_50 = {history[-1]:.5f}", fontweight="bold")
        ax.set_xlabel("weight w")
        ax.set_ylabel("loss")
        ax.set_ylim(-1, 26)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper center")
    fig.suptitle("Gradient descent on (w - 3)^2, 50 iterations", fontweight="bold")
    path = lesson.figure("gd-paths", fig, shows="V8")

    w = {label: float(h[-1]) for label, h in runs.items()}
    lesson.claim(
        id="E14", seed_ref="004:841-909",
        claim="On (w - 3)^2 with 50 iterations: lr 0.1 converges smoothly, lr 0.5 overshoots the minimum "
              "but still converges, lr 0.01 converges slowly, and starting from 7 instead of 0 makes no "
              "difference because the loss is convex.",
        measured={
            "w_lr0.1": w["lr 0.1"], "loss_lr0.1": float(loss_function(w["lr 0.1"])),
            "w_lr0.5": w["lr 0.5"], "overshoot_lr0.5": overshoot(runs["lr 0.5"]),
            "w_lr0.01": w["lr 0.01"], "gap_lr0.01": abs(w["lr 0.01"] - MINIMUM),
            "loss_lr0.01": float(loss_function(w["lr 0.01"])),
            "w_start7": w["lr 0.1 from w = 7"],
        },
        rule=all_of(close("w_lr0.1", MINIMUM, 1e-3), close("w_lr0.5", MINIMUM, 1e-3),
                    above("overshoot_lr0.5", 0.0), above("gap_lr0.01", 0.5), close("w_start7", MINIMUM, 1e-3)),
        correction="Three of the four observations hold: lr 0.1 ends at 2.99996, lr 0.01 is still 1.09 away "
                   "(loss 1.19) after 50 steps, and starting at 7 ends at 3.00006. But lr 0.5 does not "
                   "overshoot: its first step lands exactly on w = 3 and stays there (see D2).",
        figures=[path])


# %% [markdown]
# ## D2: lr 0.5 is the one-step jump, not an overshoot (``004:875, 906``)
#
# With ``lr = 0.5`` the factor ``1 - 2 lr`` is zero: the first step is
# ``w = 0 - 0.5 * 2 * (0 - 3) = 3``, the Newton step of this parabola (the step that
# divides the gradient by the curvature 2). To see a real overshoot the learning
# rate must lie in ``(0.5, 1)``; at 0.9 the factor is -0.8, so the iterates alternate
# sides and shrink as fast as with lr 0.1 (factor +0.8). Beyond 1 the factor's size
# exceeds one and the iterates run away: lr 1.1 multiplies the gap by -1.2 each step.

# %%
REGIME_LRS = (0.01, 0.1, 0.5, 0.9, 1.1)


def learning_rate_regimes(lesson) -> None:
    runs = {lr: gradient_descent(0.0, lr) for lr in REGIME_LRS}
    gaps = {lr: np.abs(h - MINIMUM) for lr, h in runs.items()}
    predicted = {lr: np.abs(1 - 2 * lr) ** np.arange(STEPS + 1) * MINIMUM for lr in REGIME_LRS}
    worst = max(float(np.max(np.abs(gaps[lr] - predicted[lr]) / np.maximum(predicted[lr], 1e-300)))
                for lr in REGIME_LRS if lr != 0.5)
    lesson.check("|w_t - 3| follows |1 - 2 lr|^t |w_0 - 3|", worst < 1e-9 and np.all(gaps[0.5][1:] == 0.0),
                 f"largest relative error {worst:.1e}; lr 0.5 gaps after step 1: {sorted(set(gaps[0.5][1:]))}")

    fig = new_figure(12.0, 4.6)
    left, right = fig.subplots(1, 2)
    colors = dict(zip(REGIME_LRS, ("#7f7f7f", "#3B9797", "#132440", "#ff7f0e", "#BF092F")))
    shown = 12
    for lr, history in runs.items():
        left.plot(np.arange(shown + 1), history[:shown + 1], "o-", ms=3, color=colors[lr], label=f"lr {lr:g}")
        if lr != 0.5:  # its gap is exactly 0 after one step, which a log axis cannot show
            wide = lr == 0.1  # lr 0.1 and 0.9 shrink the gap alike (|factor| 0.8): draw 0.1 wide underneath
            right.semilogy(gaps[lr], color=colors[lr], lw=5 if wide else 1.8, alpha=0.5 if wide else 1.0,
                           label=f"lr {lr:g}: factor {1 - 2 * lr:+.2f}")
    right.semilogy([0], gaps[0.5][:1], "o", color=colors[0.5], label="lr 0.5: gap exactly 0 after step 1")
    left.axhline(MINIMUM, color="black", ls="--", lw=1, label="minimum w = 3")
    left.set_ylim(-1.5, 7.5)
    left.set_title("w against iteration (lr 1.1 leaves the chart)", fontweight="bold")
    left.set_xlabel("iteration t")
    left.set_ylabel("w_t")
    right.set_title("|w_t - 3| = |1 - 2 lr|^t |w_0 - 3|", fontweight="bold")
    right.set_xlabel("iteration t")
    right.set_ylabel("distance to the minimum (log)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    path = lesson.figure("lr-regimes", fig)

    signs = np.sign(runs[0.9][1:] - MINIMUM)
    lesson.claim(
        id="D2", seed_ref="004:875, 906",
        claim="With lr 0.5 on (w - 3)^2 the iterates overshoot the minimum at w = 3 before settling.",
        measured={"w_after_1_step_lr0.5": float(runs[0.5][1]), "overshoot_lr0.5": overshoot(runs[0.5]),
                  "factor_lr0.5": 1 - 2 * 0.5},
        rule=above("overshoot_lr0.5", 0.0),
        correction="lr 0.5 lands exactly on w = 3 in one step (w_1 == 3.0, overshoot 0): 0.5 x 2 = 1 is the "
                   "Newton step of this parabola. Overshooting needs 0.5 < lr < 1 (lr 0.9: the sign of w - 3 "
                   "alternates, and it still converges); lr > 1 diverges, |w_t - 3| growing as |1 - 2 lr|^t.",
        figures=[path],
        fix=({"sign_alternates_lr0.9": bool(np.all(signs[1:] == -signs[:-1])),
              "overshoot_lr0.9": overshoot(runs[0.9]), "gap_lr0.9": float(gaps[0.9][-1]),
              "gap_lr1.1": float(gaps[1.1][-1]), "growth_per_step_lr1.1": float(gaps[1.1][-1] / gaps[1.1][-2])},
             all_of(is_true("sign_alternates_lr0.9"), above("overshoot_lr0.9", 0.5), below("gap_lr0.9", 1e-3),
                    above("gap_lr1.1", 1e3), close("growth_per_step_lr1.1", 1.2, 1e-9))))


# %% [markdown]
# ## E55: one optimizer step lowers the loss of a tiny MLP (``002:64-67``)
#
# The notes say they implemented forward and backward passes of a tiny MLP and that a
# single SGD or Adam step reduced the loss. We build a 2-8-1 network (tanh hidden
# layer, one logit, binary cross-entropy) on 64 noisy XOR points, write its backward
# pass by the chain rule in NumPy and check it against autograd, then take one step
# from many random starts (new weights and new points per seed) at several learning
# rates and count how often the loss went down.
#
# Why the answer depends on the step size: to first order a step ``d`` changes the
# loss by ``g . d``. SGD's ``d = -lr g`` gives ``-lr |g|^2 < 0``, so a small enough
# step always helps; the curvature term ``O(lr^2)`` wins for a large one. Adam's
# first step is ``-lr m_hat / (sqrt(v_hat) + eps) = -lr g / (|g| + eps)``, about
# ``-lr sign(g)``: every one of the 33 weights moves by ``lr`` whatever its gradient,
# so Adam's first step is ``lr sqrt(33)`` long, far longer than SGD's ``lr |g|``.

# %%
LRS = (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)
HIDDEN = 8


def init_weights(rng: np.random.Generator) -> list[np.ndarray]:
    """``[W1 (8, 2), b1 (8,), W2 (1, 8), b2 (1,)]``, uniform in +-1/sqrt(fan_in) as torch's Linear."""
    weights = []
    for fan_in, fan_out in ((2, HIDDEN), (HIDDEN, 1)):
        bound = 1.0 / np.sqrt(fan_in)
        weights += [rng.uniform(-bound, bound, (fan_out, fan_in)), rng.uniform(-bound, bound, fan_out)]
    return weights


def mlp_by_hand(weights, x: np.ndarray, y: np.ndarray):
    """Loss and gradients of the 2-8-1 MLP by the chain rule.

    ``x`` is ``(N, 2)``, ``y`` is ``(N,)`` in {0, 1}. Forward: ``a1 = tanh(x W1^T + b1)``
    ``(N, 8)``, logit ``z2 = a1 W2^T + b2`` ``(N, 1)``, ``L = mean(log(1 + e^z2) - y z2)``
    (binary cross-entropy of ``sigmoid(z2)``). Backward: ``dL/dz2 = (sigmoid(z2) - y) / N``,
    then through ``W2`` and ``tanh' = 1 - a1^2``.
    """
    W1, b1, W2, b2 = weights
    a1 = np.tanh(x @ W1.T + b1)
    z2 = (a1 @ W2.T + b2)[:, 0]
    loss = float(np.mean(np.logaddexp(0.0, z2) - y * z2))
    dz2 = ((1.0 / (1.0 + np.exp(-z2)) - y) / len(y))[:, None]  # (N, 1)
    dz1 = (dz2 @ W2) * (1.0 - a1 ** 2)  # (N, 8)
    return loss, [dz1.T @ x, dz1.sum(0), dz2.T @ a1, dz2.sum(0)]


def make_mlp(T):
    return T.nn.Sequential(T.nn.Linear(2, HIDDEN), T.nn.Tanh(), T.nn.Linear(HIDDEN, 1)).double()


def load_weights(T, model, weights) -> None:
    with T.no_grad():
        for parameter, value in zip(model.parameters(), weights):
            parameter.copy_(T.tensor(value))


def mlp_loss(T, model, x, y):
    return T.nn.functional.binary_cross_entropy_with_logits(model(x)[:, 0], y)


def one_step(T, model, weights, x, y, optimizer: str, lr: float):
    """Loss before and after one ``optimizer`` step from ``weights``, and the weights after it."""
    load_weights(T, model, weights)
    step = getattr(T.optim, optimizer)(model.parameters(), lr=lr)
    step.zero_grad()
    before = mlp_loss(T, model, x, y)
    before.backward()
    step.step()
    with T.no_grad():
        after = mlp_loss(T, model, x, y)
    return float(before.item()), float(after.item()), [p.detach().numpy().copy() for p in model.parameters()]


def sample_problem(lesson, seed: int):
    """64 noisy XOR points and a fresh initialisation, both from seed ``seed``."""
    rng = lesson.rng(55, seed)
    x, y = toy.xor(64, noise=0.2, seed=rng)
    return x.astype(np.float64), y.astype(np.float64), init_weights(rng)


def check_backprop_and_torch(lesson) -> None:
    """The hand-written gradients equal autograd's; scratch's SGD/Adam step equals torch's."""
    T = lesson.T
    x, y, weights = sample_problem(lesson, 0)
    model = make_mlp(T)
    load_weights(T, model, weights)
    loss = mlp_loss(T, model, T.tensor(x), T.tensor(y))
    loss.backward()
    hand_loss, hand_grads = mlp_by_hand(weights, x, y)
    worst = max(float(np.max(np.abs(p.grad.numpy() - g))) for p, g in zip(model.parameters(), hand_grads))
    lesson.check("E55: the chain-rule gradients of the 2-8-1 MLP equal autograd's",
                 worst < 1e-10 and abs(hand_loss - loss.item()) < 1e-12, f"largest difference {worst:.1e}")

    try:
        torch = engines.get("torch")
    except MissingExtra:
        return  # the comparison needs torch; the rest of the lesson does not
    scratch = engines.get("scratch")
    for optimizer in ("SGD", "Adam"):
        after = [one_step(E, make_mlp(E), weights, E.tensor(x), E.tensor(y), optimizer, 0.1)[2]
                 for E in (scratch, torch)]
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(*after))
        lesson.check(f"E55: one {optimizer} step on scratch equals torch's", diff < 1e-10,
                     f"largest weight difference {diff:.1e}")


def one_step_lowers_loss(lesson) -> None:
    T = lesson.T
    seeds = lesson.pick(200, 20)
    model = make_mlp(T)
    lowered = {(opt, lr): 0 for opt in ("SGD", "Adam") for lr in LRS}
    grad_norms, adam_lengths = [], []
    for seed in range(seeds):
        x, y, weights = sample_problem(lesson, seed)
        xt, yt = T.tensor(x), T.tensor(y)
        for opt, lr in lowered:
            before, after, new = one_step(T, model, weights, xt, yt, opt, lr)
            lowered[opt, lr] += after < before
            if lr == 1e-2:  # step lengths per unit lr: SGD's is |g|, Adam's about sqrt(33)
                length = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(new, weights))) / lr
                (grad_norms if opt == "SGD" else adam_lengths).append(length)
    share = {key: count / seeds for key, count in lowered.items()}
    safe = {opt: max(lr for lr in LRS if share[opt, lr] >= 0.99) for opt in ("SGD", "Adam")}

    fig = new_figure(7.0, 4.4)
    ax = fig.add_subplot()
    for opt, color in (("SGD", "#3B9797"), ("Adam", "#BF092F")):
        ax.semilogx(LRS, [share[opt, lr] for lr in LRS], "o-", color=color, label=opt)
    ax.axhline(0.99, color="black", ls=":", lw=1, label="0.99 of seeds")
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel("learning rate (log)")
    ax.set_ylabel("fraction of seeds whose loss went down")
    ax.set_title(f"One step on a 2-8-1 MLP (XOR, BCE), {seeds} seeds", fontweight="bold")
    ax.grid(alpha=0.3)
    ax.legend()
    path = lesson.figure("one-step-fraction", fig)

    lesson.claim(
        id="E55", seed_ref="002:64-67",
        claim="For a tiny MLP with a hand-written backward pass, a single SGD step and a single Adam step "
              "lower the loss.",
        measured={
            "seeds": seeds, "lowered_sgd_lr0.01": lowered["SGD", 1e-2], "lowered_adam_lr0.01": lowered["Adam", 1e-2],
            "lrs": list(LRS), "fraction_sgd": [share["SGD", lr] for lr in LRS],
            "fraction_adam": [share["Adam", lr] for lr in LRS],
            "largest_safe_lr_sgd": safe["SGD"], "largest_safe_lr_adam": safe["Adam"],
            "median_sgd_step_over_lr": float(np.median(grad_norms)),
            "median_adam_step_over_lr": float(np.median(adam_lengths)),
        },
        rule=all_of(fraction("lowered_sgd_lr0.01", "seeds", 0.99, 0.5),
                    fraction("lowered_adam_lr0.01", "seeds", 0.99, 0.5)),
        correction="It holds for a small step, not for any step: at lr 0.01 the loss went down for "
                   f"{lowered['SGD', 1e-2]}/{seeds} seeds with SGD and {lowered['Adam', 1e-2]}/{seeds} with Adam, "
                   "but the step must stay small against the curvature. SGD still lowers the "
                   f"loss in 99% of seeds up to lr {safe['SGD']:g}, Adam only up to lr {safe['Adam']:g}, because "
                   "Adam's first step moves every weight by about lr whatever its gradient "
                   f"(length {np.median(adam_lengths):.2f} lr against SGD's {np.median(grad_norms):.2f} lr).",
        figures=[path])


# %%
def run(lesson):
    check_engine_matches(lesson, [(start, lr) for start, lr, _ in SCENARIOS] + [(0.0, lr) for lr in REGIME_LRS])
    four_settings(lesson)
    learning_rate_regimes(lesson)
    check_backprop_and_torch(lesson)
    one_step_lowers_loss(lesson)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("gradient_descent")
