"""The building blocks: one neuron, its weights and bias, activations, layers, losses.

Follows ``004:282-826`` (inventory E7-E13).
"""

# %% [markdown]
# # The neuron and the forward pass
#
# The seed builds a network up from one neuron (``004:282-727``): a weighted sum
# ``z = w . x + b`` passed through an activation. This lesson measures each of its
# numeric claims on the scratch engine and with plain NumPy side by side.

# %%
import numpy as np

from neuralab.lessons.claims import close
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "The neuron and the forward pass",
    "part": "I. Foundations",
    "section": "004:282-826",
    "claims": ("E12",),
    "seconds": 2,
    "engines": ("scratch", "torch"),
}


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
    by_hand = 1.0 / (1.0 + np.exp(-z2[0]))

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
    ax.set_title("2-3-1 forward pass for x = [2, 3]")
    ax.set_ylabel("value")
    path = lesson.figure("forward-trace", fig)

    lesson.claim(
        id="E12", seed_ref="004:649-719",
        claim="With the seed's fixed weights, the 2-3-1 network (ReLU hidden layer, sigmoid output) "
              "gives probability 0.7047 for x = [2, 3].",
        measured={"probability": by_hand, "probability_engine": engine, "z2": float(z2[0])},
        rule=close("probability", 0.7047, 1e-4), figures=[path])


# %%
def run(lesson):
    forward_trace(lesson)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("neuron")
