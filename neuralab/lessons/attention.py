"""Attention and the transformer block: weights, heads, positions, parameter counts.

Follows ``004:4920-5649`` (the transformer deep dive) and the toy self-attention of the
architecture overview (``004:1980-2024``): inventory E40-E44, D6 and D13.
"""

# %% [markdown]
# # Attention and the transformer block
#
# The seed's transformer section builds, in NumPy, everything a transformer encoder is
# made of: scaled dot-product attention ``softmax(Q K^T / sqrt(d_k)) V`` with an optional
# additive mask, multi-head attention, sinusoidal positional encodings and a post-norm
# encoder layer, then counts the layer's parameters and compares published model sizes.
# None of it is trained. We re-indent the seed's code into batched NumPy functions (an
# extra leading axis runs many random draws at once), run the same computations on the
# engine (``F.scaled_dot_product_attention``, ``nn.MultiheadAttention``,
# ``nn.TransformerEncoderLayer``) with checks that both agree, and measure each claim.
#
# Seed slips named along the way:
#
# * **D6** -- the first toy attention (``004:1980-2024``) sets Q = K = V to random
#   embeddings and reads "cat attends to The, sat attends to cat" into the result.
# * **D13** -- the multi-head heatmaps are titled "Different Heads Learn Different
#   Patterns" (``004:5320``), but the heads are untrained and drawn at ``randn * 0.01``
#   (``004:5230-5234``); each heatmap also gets its own colour scale, which stretches a
#   spread of about 0.01 over the whole colour map.
# * **D19** -- ``TransformerEncoderLayer`` takes ``dropout=0.1`` (``004:5436``) and never
#   uses it.
# * The positional-encoding formula in the prose lost its superscript: "100002i/d_model"
#   (``004:5342-5343``) is ``10000^(2i / d_model)``; the code (``004:5359``) is right.
# * The transformer table gives T5 "12+12" layers beside "11B (XXL)" parameters
#   (``004:5572-5575``): 12+12 is T5-Base; the 11B model has 24+24 (E44 measures it).

# %%
import math

import numpy as np
from matplotlib.patches import Rectangle

from neuralab import models
from neuralab.lessons.claims import all_of, at_least, at_most, close, fraction, is_true
from neuralab.models.seq2seq_transformer import sinusoidal_positions
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "Attention and the transformer block",
    "part": "II. Architectures",
    "section": "004:4920-5649",
    "claims": ("E40", "E41", "D6", "D13", "E42", "E43", "E44"),
    "seconds": 20,
    "engines": ("scratch", "torch"),
}

SENTENCE = ["The", "cat", "sat", "down"]           # the seed's 4-token examples (004:1999, 5161, 5307)
D_MODEL, HEADS, D_FF = 64, 8, 256                   # MultiHeadAttention and the encoder layer (004:5290-5291, 5491-5493)
PE_LENGTH, PE_DIM = 50, 128                         # the positional-encoding table (004:5366-5367)
TOL_ENGINE = 1e-12                                  # float64 NumPy vs engine


def attention(Q, K, V, mask=None):
    """The seed's ``scaled_dot_product_attention`` (``004:5136-5156``), batched.

    ``softmax(Q K^T / sqrt(d_k) + mask * -1e9) V`` with ``Q (..., Lq, d_k)``,
    ``K (..., Lk, d_k)``, ``V (..., Lk, d_v)`` and ``mask (Lq, Lk)``: 1 where a query may
    NOT look. Returns the output ``(..., Lq, d_v)`` and the weights ``(..., Lq, Lk)``.
    The seed writes ``np.dot(Q, K.T)``, which only works for 2-D inputs; ``@`` with
    swapped last axes is the same product over any leading axes.
    """
    d_k = Q.shape[-1]
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(d_k)
    if mask is not None:
        scores = scores + mask * -1e9
    exp_scores = np.exp(scores - scores.max(axis=-1, keepdims=True))  # max-subtracted: no overflow
    weights = exp_scores / exp_scores.sum(axis=-1, keepdims=True)
    return weights @ V, weights


def heatmap(ax, weights, rows, cols, vmin=0.0, vmax=1.0, annotate=True, fontsize=10):
    """Attention weights ``(len(rows), len(cols))`` as an image, queries down and keys across."""
    image = ax.imshow(weights, cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    if annotate:
        middle = (weights.min() + weights.max()) / 2 if vmin is None else (vmin + vmax) / 2
        for i in range(weights.shape[0]):
            for j in range(weights.shape[1]):
                ax.text(j, i, f"{weights[i, j]:.2f}", ha="center", va="center", fontsize=fontsize,
                        color="black" if weights[i, j] > middle else "white")
    return image


# %% [markdown]
# ## E40: the idea, in hand-set bars (``004:4939-4984``)
#
# The seed's first picture of attention is two bar charts over "The cat sat on the mat":
# the weights used when predicting "sat" peak on "cat" (the subject), those for "mat" on
# "on" (the preposition). The numbers are typed in, not computed, and then the text says
# such weights are learned. We check what can be checked: each row is a probability
# distribution (sums to 1) and peaks where the seed says. One detail shows they are not
# softmax outputs: "sat" gives itself weight exactly 0, which a softmax never does
# (``e^s > 0`` for every finite score); only a mask makes an exact 0.

# %%
def attention_bars(lesson):
    words = ["The", "cat", "sat", "on", "the", "mat"]
    for_sat = np.array([0.1, 0.6, 0.0, 0.1, 0.1, 0.1])       # 004:4949
    for_mat = np.array([0.05, 0.1, 0.15, 0.5, 0.1, 0.1])     # 004:4951

    fig = new_figure(13.0, 4.2)
    for ax, weights, target, peak, colour in zip(fig.subplots(1, 2), (for_sat, for_mat), ("sat", "mat"),
                                                 ("cat", "on"), ("#3B9797", "#BF092F")):
        bars = ax.bar(range(6), weights, color=colour, alpha=0.7, edgecolor="black")
        bars[int(weights.argmax())].set_hatch("//")
        if target == "sat":
            ax.annotate("exactly 0 on itself:\nno softmax gives 0", (2, 0.005), xytext=(3.2, 0.35), ha="center",
                        arrowprops=dict(arrowstyle="->"), fontsize=9)
        ax.set_xticks(range(6), words)
        ax.set_ylim(0, 0.7)
        ax.set_ylabel("attention weight")
        ax.set_xlabel("word attended to")
        ax.set_title(f'Attention when predicting "{target}": peak on "{peak}" '
                     f"({weights.max():.2f}); sum {weights.sum():.2f}\n(hand-set by the seed, not computed)")
        ax.grid(alpha=0.3, axis="y")
    path = lesson.figure("attention-bars", fig, shows="V38")

    lesson.claim(
        id="E40", seed_ref="004:4939-4984",
        claim="In the hand-set example, the weights used when predicting 'sat' peak on 'cat' (0.6) and "
              "those for 'mat' peak on 'on' (0.5); each row of weights is a distribution over the words.",
        measured={"sat_row_sum": float(for_sat.sum()), "mat_row_sum": float(for_mat.sum()),
                  "sat_peak_is_cat": words[int(for_sat.argmax())] == "cat",
                  "mat_peak_is_on": words[int(for_mat.argmax())] == "on",
                  "sat_peak_weight": float(for_sat.max()), "mat_peak_weight": float(for_mat.max()),
                  "sat_weight_on_itself": float(for_sat[2])},
        rule=all_of(close("sat_row_sum", 1.0, 1e-12), close("mat_row_sum", 1.0, 1e-12),
                    is_true("sat_peak_is_cat"), is_true("mat_peak_is_on")),
        correction="The bars are typed in by hand; they illustrate the idea and measure nothing. The zero "
                   "weight of 'sat' on itself could not come from a softmax.",
        figures=[path])


# %% [markdown]
# ## E41: the formula, by hand and on the engine (``004:5079-5211``)
#
# The seed's numeric example (``004:5079-5119``): ``Q = K = I_2`` and
# ``V = [[10, 20], [30, 40]]`` with ``d_k = 2``. The scores are ``I / sqrt(2)``, so each
# query weighs its own key by ``e^{0.7071} / (e^{0.7071} + 1) = sigmoid(1/sqrt 2) = 0.6698``
# and the other by 0.3302, and each output row is that mix of the two value rows:
#
#     weights = [[0.6698, 0.3302], [0.3302, 0.6698]]    output = [[16.60, 26.60], [23.40, 33.40]]
#
# We compute it with the seed's function and with the engine twice (its
# ``F.scaled_dot_product_attention`` and the explicit ``softmax(q k^T / sqrt 2) v``).
#
# The seed's function takes a mask and adds ``mask * -1e9`` to the scores (1 = may not
# look) but never uses it (``004:5142-5150``). We use it for the decoder's causal mask
# (``mask[i, j] = 1`` for ``j > i``) and compare with the engine's ``is_causal=True``.
# Mind the convention: ``F.scaled_dot_product_attention`` reads a *bool* mask the other
# way round (True = may look), so the seed's mask must be inverted before it is passed
# as a bool; passed as is, it hides the past instead of the future (measured below).
#
# Then the seed projects 4 random embeddings (``d_model = 8``) with ``W_Q, W_K, W_V =
# randn(8, 8) * 0.1`` (``004:5157-5211``) and draws the weights as a heatmap; and its
# ``MultiHeadAttention(d_model=64, num_heads=8)`` (``004:5215-5330``) splits the
# projections into 8 heads of 8 dimensions, one 4 x 4 weight matrix per head. We write
# the multi-head forward pass once in NumPy (all heads at once; the seed loops over
# them) and check it against the engine's ``nn.MultiheadAttention(64, 8, bias=False)``
# holding the same matrices.

# %%
def split_heads(X, heads):
    """``(..., L, d_model)`` -> ``(..., heads, L, d_model / heads)`` (the seed's ``split_heads``)."""
    *lead, length, d_model = X.shape
    return np.swapaxes(X.reshape(*lead, length, heads, d_model // heads), -2, -3)


def combine_heads(X):
    """``(..., heads, L, d_k)`` -> ``(..., L, heads * d_k)`` (the seed's ``combine_heads``)."""
    X = np.swapaxes(X, -2, -3)
    return X.reshape(*X.shape[:-2], -1)


def multi_head_attention(X, W_Q, W_K, W_V, W_O, heads):
    """The seed's ``MultiHeadAttention.forward`` (``004:5257-5285``) for ``X (..., L, d_model)``.

    Returns the output ``(..., L, d_model)`` and the weights of every head ``(..., heads, L, L)``.
    """
    Q, K, V = (split_heads(X @ W, heads) for W in (W_Q, W_K, W_V))
    out, weights = attention(Q, K, V)
    return combine_heads(out) @ W_O, weights


def seed_mha_weights(rng, shape=(), d_model=D_MODEL, scale=0.01):
    """``W_Q, W_K, W_V, W_O``, each ``shape + (d_model, d_model)``, drawn as ``randn * 0.01`` (``004:5230-5234``)."""
    return tuple(rng.standard_normal((*shape, d_model, d_model)) * scale for _ in range(4))


def engine_mha(T, W_Q, W_K, W_V, W_O, bias=False):
    """An engine ``nn.MultiheadAttention`` holding the seed's matrices (torch stores ``W^T``, q/k/v stacked)."""
    mha = T.nn.MultiheadAttention(W_Q.shape[0], HEADS, bias=bias, batch_first=True).double()
    with T.no_grad():
        mha.in_proj_weight.copy_(T.tensor(np.concatenate([W_Q.T, W_K.T, W_V.T])))
        mha.out_proj.weight.copy_(T.tensor(W_O.T))
    return mha


def numeric_example(lesson):
    T = lesson.T
    F = T.nn.functional
    Q = K = np.eye(2)
    V = np.array([[10.0, 20.0], [30.0, 40.0]])
    out, weights = attention(Q, K, V)
    q, k, v = (T.tensor(a) for a in (Q, K, V))
    by_sdpa = F.scaled_dot_product_attention(q, k, v).numpy()
    explicit_weights = T.softmax(q @ k.T / math.sqrt(2.0), dim=-1)
    by_ops = (explicit_weights @ v).numpy()
    gap = max(np.abs(by_sdpa - out).max(), np.abs(by_ops - out).max(),
              np.abs(explicit_weights.numpy() - weights).max())
    lesson.check("E41: the engine's attention gives the hand-computed 2x2 example", gap < TOL_ENGINE,
                 f"largest gap {gap:.2e}")
    return out, weights


def causal_example(lesson):
    T = lesson.T
    F = T.nn.functional
    rng = lesson.rng(41)
    Q, K, V = (rng.standard_normal((4, 8)) for _ in range(3))
    seed_mask = np.triu(np.ones((4, 4)), k=1)                 # 1 = a later position: may not look
    out, weights = attention(Q, K, V, mask=seed_mask)
    q, k, v = (T.tensor(a) for a in (Q, K, V))
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()
    as_bool = F.scaled_dot_product_attention(q, k, v, attn_mask=T.tensor(seed_mask == 0)).numpy()
    wrong_way = F.scaled_dot_product_attention(q, k, v, attn_mask=T.tensor(seed_mask == 1)).numpy()
    return weights, {"causal_engine_max_diff": float(np.abs(causal - out).max()),
                     "causal_bool_mask_max_diff": float(np.abs(as_bool - out).max()),
                     "seed_mask_as_bool_unchanged_max_diff": float(np.abs(wrong_way - out).max()),
                     "causal_future_weight_max": float(weights[seed_mask == 1].max()),
                     "causal_first_row": weights[0].tolist()}


def attention_examples(lesson):
    T = lesson.T
    draws = lesson.pick(1000, 200)
    out, weights = numeric_example(lesson)
    causal_weights, causal = causal_example(lesson)
    lesson.check("E41: the seed's additive mask equals the engine's causal mask",
                 max(causal["causal_engine_max_diff"], causal["causal_bool_mask_max_diff"]) < TOL_ENGINE,
                 f"is_causal gap {causal['causal_engine_max_diff']:.2e}, "
                 f"inverted bool mask gap {causal['causal_bool_mask_max_diff']:.2e}")

    # Projected attention (004:5157-5211) over many draws: embeddings randn(4, 8), W randn(8, 8) * 0.1.
    rng = lesson.rng(5157)
    X = rng.standard_normal((draws, 4, 8))
    W_Q, W_K, W_V = (rng.standard_normal((draws, 8, 8)) * 0.1 for _ in range(3))
    _, projected = attention(X @ W_Q, X @ W_K, X @ W_V)

    # MultiHeadAttention(64, 8) (004:5290-5305) on randn(4, 64), checked against the engine's module.
    rng = lesson.rng(5215)
    X = rng.standard_normal((4, D_MODEL))
    mats = seed_mha_weights(rng)
    mha_out, heads = multi_head_attention(X, *mats, HEADS)
    with T.no_grad():
        engine_out, engine_heads = engine_mha(T, *mats)(*(T.tensor(X[None]),) * 3, need_weights=True,
                                                       average_attn_weights=False)
    gap = max(np.abs(engine_out.numpy()[0] - mha_out).max(), np.abs(engine_heads.numpy()[0] - heads).max())
    lesson.check("E41: the NumPy multi-head attention equals the engine's nn.MultiheadAttention", gap < TOL_ENGINE,
                 f"largest gap {gap:.2e} (outputs and per-head weights)")

    examples_path = show_attention_examples(lesson, weights, out, causal_weights, projected[0])
    multi_head_path = show_seed_heads(lesson, heads)
    row_sums = [np.abs(w.sum(axis=-1) - 1).max() for w in (weights, causal_weights, projected, heads)]
    exact_diag = 1.0 / (1.0 + math.exp(-1.0 / math.sqrt(2.0)))
    lesson.claim(
        id="E41", seed_ref="004:5079-5119, 5136-5156, 5157-5211, 5290-5305",
        claim="For Q = K = I and V = [[10, 20], [30, 40]] the attention weights are 0.670 on the diagonal and "
              "0.330 off it, and the output is [[16.60, 26.60], [23.40, 33.40]]; every row of attention weights "
              "sums to 1 (also with projections and in each of the 8 heads of MultiHeadAttention(64, 8), one "
              "4 x 4 matrix per head of 8 dimensions); the optional mask hides the positions it marks.",
        measured={"weight_diag": float(weights[0, 0]), "weight_off": float(weights[0, 1]),
                  "weight_diag_exact": exact_diag,
                  "out_00": float(out[0, 0]), "out_01": float(out[0, 1]),
                  "out_10": float(out[1, 0]), "out_11": float(out[1, 1]),
                  "row_sum_error_max": float(max(row_sums)), "projection_draws": draws,
                  "projected_max_dev_from_uniform": float(np.abs(projected - 0.25).max()),
                  **causal,
                  "head_dim": D_MODEL // HEADS, "heads": int(heads.shape[0]),
                  "head_weights_shape": list(heads.shape[1:]), "mha_output_shape": list(mha_out.shape)},
        rule=all_of(close("weight_diag", 0.670, 5e-4), close("weight_off", 0.330, 5e-4),
                    close("out_00", 16.60, 0.005), close("out_01", 26.60, 0.005),
                    close("out_10", 23.40, 0.005), close("out_11", 33.40, 0.005),
                    at_most("row_sum_error_max", 1e-12), at_most("causal_future_weight_max", 0.0),
                    at_most("causal_engine_max_diff", TOL_ENGINE), close("head_dim", 8, 0), close("heads", 8, 0)),
        correction="Exactly: the diagonal weight is sigmoid(1/sqrt 2) = 0.66976 and the outputs are 16.6048, "
                   "26.6048, 23.3952 and 33.3952. A bool mask for the engine's scaled_dot_product_attention means "
                   "the opposite (True = may attend): the seed's mask must be inverted first.",
        figures=[examples_path, multi_head_path])


def show_attention_examples(lesson, weights, out, causal_weights, projected):
    fig = new_figure(12.0, 9.6)
    (ax_w, ax_out), (ax_mask, ax_proj) = fig.subplots(2, 2)
    image = heatmap(ax_w, weights, ["query 1 [1, 0]", "query 2 [0, 1]"], ["key 1", "key 2"], fontsize=12)
    ax_w.set_title("Q = K = I, d_k = 2: weights softmax(QKᵀ/√2)")
    ax_out.imshow(out, cmap="Blues", vmin=0, vmax=50, aspect="auto")
    for i in range(2):
        for j in range(2):
            ax_out.text(j, i, f"{out[i, j]:.4f}\n(V: {10 + 20 * i + 10 * j:.0f})", ha="center", va="center",
                        fontsize=12)
    ax_out.set_xticks(range(2), ["dim 1", "dim 2"])
    ax_out.set_yticks(range(2), ["output 1", "output 2"])
    ax_out.set_title("Output = weights · V: each row mostly its own value row")
    tokens = [f"t{i + 1}" for i in range(4)]
    heatmap(ax_mask, causal_weights, tokens, tokens)
    for i in range(4):
        for j in range(i + 1, 4):
            ax_mask.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="xx", edgecolor="#d62728"))
    ax_mask.set_title("Causal mask (seed's mask · -1e9): hatched keys get weight 0")
    heatmap(ax_proj, projected, SENTENCE, SENTENCE)
    ax_proj.set_title("The seed's projected self-attention (W = randn · 0.1):\nweights all near 1/4")
    for ax in (ax_mask, ax_proj):
        ax.set_xlabel("key position (attended to)")
        ax.set_ylabel("query position (attending from)")
    fig.colorbar(image, ax=[ax_w, ax_mask, ax_proj], label="attention weight", shrink=0.6)
    return lesson.figure("attention-examples", fig)


def show_seed_heads(lesson, heads):
    """The seed's 2 x 4 head heatmaps (``004:5306-5323``), each with its own colour scale as there."""
    fig = new_figure(16.0, 7.6)
    for h, ax in enumerate(fig.subplots(2, 4).ravel()):
        image = heatmap(ax, heads[h], SENTENCE, SENTENCE, vmin=None, vmax=None, annotate=False)
        fig.colorbar(image, ax=ax, fraction=0.046)
        ax.set_title(f"head {h + 1}: weights {heads[h].min():.3f} to {heads[h].max():.3f}", fontsize=10)
    fig.suptitle("The seed's 8 untrained heads (randn · 0.01), each on its own colour scale as in the seed:\n"
                 "the colours stretch a spread of about 0.01 around 1/4 into apparent 'patterns'", fontsize=12)
    return lesson.figure("multi-head-seed", fig, shows="V40")


# %% [markdown]
# ## D6: with Q = K, each word attends to itself (``004:1980-2024``)
#
# The seed's first attention demo feeds random embeddings of "The cat sat down"
# (``randn(4, 8)``) as Q, K and V at once, prints the weights and reads relationships
# into them: "cat" attends to "The", "sat" to "cat". Random vectors carry no grammar,
# and with Q = K the score of a word with itself is ``|e_i|^2 / sqrt(8)`` -- on average
# 8 / sqrt(8) = 2.8 -- while its score with another word is ``e_i . e_j / sqrt(8)``, of
# mean 0 and standard deviation 1. So each word mostly attends to itself. We draw the
# embeddings many times and count where each row's largest weight lands.

# %%
def toy_self_attention(lesson):
    draws = lesson.pick(1000, 200)
    embeddings = lesson.rng(6).standard_normal((draws, 4, 8))
    _, weights = attention(embeddings, embeddings, embeddings)     # Q = K = V = embeddings
    top = weights.argmax(axis=-1)                                  # (draws, 4): the key each word attends to most
    cat_the, sat_cat = top[:, 1] == 0, top[:, 2] == 1
    share = np.stack([(top == j).mean(axis=0) for j in range(4)], axis=1)   # share[i, j]: word i's top is j

    fig = new_figure(13.0, 5.2)
    ax_one, ax_many = fig.subplots(1, 2)
    image = heatmap(ax_one, weights[0], SENTENCE, SENTENCE)
    ax_one.set_title("One draw (Q = K = V = randn(4, 8)):\nthe diagonal wins")
    heatmap(ax_many, share, SENTENCE, SENTENCE)
    for row, col in ((1, 0), (2, 1)):
        ax_many.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="#d62728", lw=3))
    ax_many.set_title(f"Over {draws} draws: share of draws in which each word's\nlargest weight is on each key "
                      "(red: the seed's cat→The, sat→cat)")
    for ax in (ax_one, ax_many):
        ax.set_xlabel("key (attended to)")
        ax.set_ylabel("query (attending from)")
    fig.colorbar(image, ax=[ax_one, ax_many], label="attention weight / share of draws", shrink=0.8)
    path = lesson.figure("self-attention-toy", fig, shows="V39")

    self_rows = int((top == np.arange(4)).sum())
    lesson.claim(
        id="D6", seed_ref="004:1980-2024",
        claim="Self-attention over random embeddings of 'The cat sat down' (Q = K = V) shows relationships: "
              "'cat' attends to 'The' and 'sat' attends to 'cat'.",
        measured={"draws": draws, "draws_cat_to_the": int(cat_the.sum()), "draws_sat_to_cat": int(sat_cat.sum()),
                  "draws_with_both": int((cat_the & sat_cat).sum()),
                  "rows": int(top.size), "self_argmax_rows": self_rows,
                  "draws_all_self": int((top == np.arange(4)).all(axis=1).sum()),
                  "mean_self_score": float(np.mean(np.einsum("nid,nid->ni", embeddings, embeddings)) / np.sqrt(8)),
                  "mean_weight_on_self": float(np.mean(np.diagonal(weights, axis1=1, axis2=2)))},
        rule=fraction("draws_with_both", "draws", holds_at=0.9, fails_at=0.5),
        correction="Random embeddings carry no relationships to find. With Q = K each word's score with itself, "
                   "|e_i|²/√d, dominates, so in most rows the largest weight is on the word itself; cat→The and "
                   "sat→cat together turn up only in the few draws where chance puts them there.",
        fix=({"rows": int(top.size), "self_argmax_rows": self_rows},
             fraction("self_argmax_rows", "rows", holds_at=0.8, fails_at=0.5)),
        figures=[path])


# %% [markdown]
# ## D13: untrained heads are all the same; trained heads differ (``004:5230-5234, 5320``)
#
# The seed's multi-head figure is titled "Different Heads Learn Different Patterns", but
# its heads learn nothing: the weights are ``randn * 0.01`` and never trained. With such
# small projections every score is close to 0 and every weight close to 1/4 for 4
# tokens; the heads are eight copies of the uniform distribution. We measure, over many
# draws of the seed's ``MultiHeadAttention(64, 8)``, how far any weight gets from 1/4,
# each head's entropy as a share of the uniform ``log 4``, and how different the heads
# are from each other: for two heads, the total-variation distance
# ``1/2 sum_j |a_ij - b_ij|`` between their weight rows (0 = the same distribution,
# 1 = disjoint), averaged over the queries and over all 28 pairs of heads. We call
# heads "different" when that distance is at least 0.1 (a tenth of the attention mass
# placed elsewhere).
#
# Then we train heads. A task that needs two relations: sequences ``<s> x1 .. x6 </s>``
# of random digits, and at each digit the model must name the token before it and the
# token after it. The model is the seed's attention block and nothing else: token
# embedding + sinusoidal positions (E42's table), one engine ``nn.MultiheadAttention(64,
# 8)``, a residual connection and a linear read-out of both answers; Adam, cross-entropy
# on both. Only attention can fetch a neighbour, so heads must learn to look one step
# back or one step ahead. For each trained head we find the offset (key position minus
# query position) it weighs most on average over 500 held-out sequences, its entropy and
# its distance from the other heads, and we measure the same model at its initial
# (Xavier) weights too: a normal-scale init already makes heads differ from each other,
# but at random and close to uniform; training is what makes them sharp and purposeful.

# %%
VOCAB, TASK_LENGTH = 10, 8                     # digits; <s> + 6 digits + </s>
BOS, EOS = VOCAB, VOCAB + 1


def head_stats(weights):
    """Per-head entropy (share of ``log Lk``) and mean pairwise total-variation distance between heads.

    ``weights``: ``(N, heads, Lq, Lk)``, rows summing to 1. Returns ``(entropy_share (heads,),
    tv (heads, heads))`` averaged over the N examples and the Lq queries.
    """
    entropy = -(weights * np.log(np.clip(weights, 1e-300, None))).sum(axis=-1).mean(axis=(0, 2))
    tv = 0.5 * np.abs(weights[:, :, None] - weights[:, None, :]).sum(axis=-1).mean(axis=(0, 3))
    return entropy / np.log(weights.shape[-1]), tv


def pair_mean(tv):
    """The mean of the off-diagonal entries of the symmetric ``(heads, heads)`` matrix ``tv``."""
    upper = np.triu_indices(tv.shape[0], k=1)
    return float(tv[upper].mean())


def neighbour_batch(rng, n):
    """``n`` sequences ``<s> x1..x6 </s>`` ``(n, 8)``, and for the digits 1..6 the tokens before and after."""
    digits = rng.integers(0, VOCAB, (n, TASK_LENGTH - 2))
    ids = np.concatenate([np.full((n, 1), BOS), digits, np.full((n, 1), EOS)], axis=1)
    return ids, ids[:, :-2], ids[:, 2:]


def neighbour_model(T):
    """Embedding + sinusoidal positions -> MultiheadAttention(64, 8) + residual -> linear read-out.

    ``forward(ids (N, 8))`` -> logits ``(N, 8, 2 * 12)`` (token before, token after) and the per-head
    attention weights ``(N, 8, 8, 8)`` when ``need_weights``.
    """
    positions = positional_encoding(TASK_LENGTH, D_MODEL).astype(np.float32)

    class Neighbours(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = T.nn.Embedding(VOCAB + 2, D_MODEL)
            self.attn = T.nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
            self.readout = T.nn.Linear(D_MODEL, 2 * (VOCAB + 2))
            self.register_buffer("positions", T.tensor(positions))

        def forward(self, ids, need_weights=False):
            x = self.embed(ids) + self.positions
            mixed, weights = self.attn(x, x, x, need_weights=need_weights, average_attn_weights=False)
            return self.readout(x + mixed), weights

    return Neighbours()


def train_neighbours(lesson, run, steps, batch_size=64, lr=5e-3):
    """Train one model from seed ``run``; returns its accuracy and per-head weights on held-out sequences."""
    T = lesson.T
    F = T.nn.functional
    rng = lesson.rng(13, run)
    T.manual_seed(int(rng.integers(2**31)))
    model = neighbour_model(T)
    optimizer = T.optim.Adam(model.parameters(), lr=lr)
    classes = VOCAB + 2
    test = neighbour_batch(rng, 500)

    def evaluate():
        model.eval()
        with T.no_grad():
            logits, weights = model(T.tensor(test[0]), need_weights=True)
        model.train()
        logits = logits.numpy()[:, 1:-1]
        right = (logits[..., :classes].argmax(-1) == test[1]) & (logits[..., classes:].argmax(-1) == test[2])
        return float(right.mean()), weights.numpy()[:, :, 1:-1]    # the digits' queries only

    at_init = evaluate()
    for _ in range(steps):
        ids, before, after = neighbour_batch(rng, batch_size)
        logits = model(T.tensor(ids))[0][:, 1:-1]
        loss = (F.cross_entropy(logits[..., :classes].reshape(-1, classes), T.tensor(before.reshape(-1)))
                + F.cross_entropy(logits[..., classes:].reshape(-1, classes), T.tensor(after.reshape(-1))))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    accuracy, weights = evaluate()
    return {"accuracy": accuracy, "weights": weights, "init_weights": at_init[1]}


def dominant_offsets(weights):
    """The offset (key position - query position) each head weighs most, on average: ``(heads,)`` ints.

    ``weights``: ``(N, heads, 6, 8)``: the queries of the 6 digits (positions 1..6) over all 8 keys;
    -1 is the token before, +1 the token after.
    """
    mean = weights.mean(axis=0)                                           # (heads, 6, 8)
    offsets = np.arange(TASK_LENGTH)[None, :] - np.arange(1, TASK_LENGTH - 1)[:, None]   # (6, 8)
    span = np.unique(offsets)
    by_offset = np.stack([mean[:, offsets == k].mean(axis=1) for k in span], axis=1)    # (heads, offsets)
    return span[by_offset.argmax(axis=1)]


def untrained_vs_trained(lesson):
    draws = lesson.pick(200, 50)
    runs, steps = lesson.pick((3, 300), (1, 120))
    rng = lesson.rng(5230)
    X = rng.standard_normal((draws, 4, D_MODEL))
    _, seed_heads = multi_head_attention(X, *seed_mha_weights(rng, (draws,)), HEADS)   # (draws, 8, 4, 4)
    entropy, tv = head_stats(seed_heads)
    per_draw_tv = [pair_mean(head_stats(seed_heads[i:i + 1])[1]) for i in range(draws)]

    trained = [train_neighbours(lesson, run, steps) for run in range(runs)]
    stats = [head_stats(t["weights"]) for t in trained]
    init_stats = [head_stats(t["init_weights"]) for t in trained]
    offsets = [dominant_offsets(t["weights"]) for t in trained]
    looks_back = [int((o == -1).sum()) for o in offsets]
    looks_ahead = [int((o == 1).sum()) for o in offsets]
    path = show_heads(lesson, seed_heads[0], head_stats(seed_heads[:1])[0], trained[0], stats[0][0], offsets[0])

    lesson.claim(
        id="D13", seed_ref="004:5230-5234, 5320",
        claim="The 8 heads of the seed's MultiHeadAttention(64, 8), drawn at randn * 0.01 and untrained, show "
              "different attention patterns.",
        measured={"draws": draws,
                  "untrained_max_dev_from_uniform": float(np.abs(seed_heads - 0.25).max()),
                  "untrained_mean_pairwise_tv": pair_mean(tv),
                  "untrained_max_pairwise_tv_in_a_draw": float(max(per_draw_tv)),
                  "untrained_min_entropy_share": float(entropy.min()),
                  "first_draw_weight_range": [float(seed_heads[0].min()), float(seed_heads[0].max())]},
        rule=all_of(at_least("untrained_mean_pairwise_tv", 0.1), at_least("untrained_max_dev_from_uniform", 0.05)),
        correction="At randn * 0.01 every weight stays within 0.01 of 1/4: the heads are all uniform and alike "
                   "(their distance is a few thousandths, not tenths); the seed's per-head colour scales make the "
                   "noise look like patterns. A normal init (Xavier, as in nn.MultiheadAttention) already makes "
                   "heads differ, at random and still near uniform; trained on a task that needs the token before "
                   "and the one after, the heads become sharp and split into look-back (-1) and look-ahead (+1) heads.",
        fix=({"runs": runs, "steps": steps,
              "trained_min_accuracy": min(t["accuracy"] for t in trained),
              "trained_min_mean_pairwise_tv": min(pair_mean(s[1]) for s in stats),
              "trained_max_mean_entropy_share": max(float(s[0].mean()) for s in stats),
              "init_mean_pairwise_tv": [pair_mean(s[1]) for s in init_stats],
              "init_mean_entropy_share": [float(s[0].mean()) for s in init_stats],
              "first_run_dominant_offsets": offsets[0].tolist(),
              "heads_looking_back": looks_back, "heads_looking_ahead": looks_ahead,
              "min_heads_looking_back": min(looks_back), "min_heads_looking_ahead": min(looks_ahead)},
             all_of(at_least("trained_min_accuracy", 0.95), at_least("trained_min_mean_pairwise_tv", 0.1),
                    at_most("trained_max_mean_entropy_share", 0.8),
                    at_least("min_heads_looking_back", 1), at_least("min_heads_looking_ahead", 1))),
        figures=[path])


def show_heads(lesson, seed_heads, seed_entropy, trained, trained_entropy, offsets):
    """Untrained heads (top) and trained heads (bottom), all on one 0..1 colour scale."""
    fig = new_figure(18.0, 6.4)
    top, bottom = fig.subplots(2, HEADS)
    labels = ["<s>", *(f"x{i}" for i in range(1, TASK_LENGTH - 1)), "</s>"]
    mean = trained["weights"].mean(axis=0)                  # (heads, 6 digits, 8 keys) over the test sequences
    for h in range(HEADS):
        image = heatmap(top[h], seed_heads[h], SENTENCE, SENTENCE, annotate=False)
        top[h].set_title(f"head {h + 1}\nentropy {seed_entropy[h]:.3f} of max", fontsize=9)
        heatmap(bottom[h], mean[h], labels[1:-1], labels, annotate=False)
        bottom[h].set_title(f"head {h + 1}: mostly offset {offsets[h]:+d}\nentropy {trained_entropy[h]:.2f} of max",
                            fontsize=9)
        for ax in (top[h], bottom[h]):
            ax.tick_params(labelsize=7)
            if h:
                ax.set_yticklabels([])
    top[0].set_ylabel("untrained (seed)\nquery", fontsize=10)
    bottom[0].set_ylabel("trained\nquery position", fontsize=10)
    fig.colorbar(image, ax=[*top, *bottom], label="attention weight (one scale)", shrink=0.8)
    fig.suptitle("Top: the seed's untrained heads on 'The cat sat down', all 1/4.  Bottom: 8 heads of the same size "
                 f"trained to name each digit's neighbours ({trained['accuracy']:.1%} right),\n"
                 f"averaged over 500 test sequences: {int((offsets == -1).sum())} heads look mostly one step back "
                 f"(offset -1), {int((offsets == 1).sum())} one step ahead (+1)", fontsize=11)
    return lesson.figure("heads-untrained-vs-trained", fig, shows="V40")


# %% [markdown]
# ## E42: sinusoidal positional encodings (``004:5341-5405``)
#
# Attention by itself ignores order: permute the tokens and the outputs permute with
# them. The seed adds to each embedding a position code,
#
#     PE(pos, 2i) = sin(pos / 10000^(2i/d)),    PE(pos, 2i + 1) = cos(pos / 10000^(2i/d)),
#
# draws the 50 x 128 table, and says the codes are bounded in [-1, 1], unique for every
# position, and let a model work with relative positions: ``PE(pos + k)`` is a function
# of ``PE(pos)``. That last one is exact and linear: each (sin, cos) pair at frequency
# ``w_i`` is a point on a circle, and moving ``k`` positions rotates it by the angle
# ``w_i k``, whatever ``pos`` is:
#
#     [sin w(p+k), cos w(p+k)] = [[cos wk, sin wk], [-sin wk, cos wk]] [sin wp, cos wp]
#
# So ``PE(p + k) = R_k PE(p)`` with one block-diagonal rotation ``R_k`` per offset, and
# ``PE(p) . PE(p + k) = sum_i cos(w_i k)`` depends on ``k`` alone. We build ``R_k`` from the
# formula (no fitting: with 50 rows and 128 columns a fitted map would fit anything) and
# measure the residual for every ``p`` and ``k``. The seed's function is checked against
# the project's ``sinusoidal_positions`` (the one the dates transformer uses; float32).

# %%
def positional_encoding(seq_len, d_model):
    """The seed's table (``004:5348-5364``), float64: ``(seq_len, d_model)``, sines in even columns, cosines in odd."""
    PE = np.zeros((seq_len, d_model))
    position = np.arange(seq_len).reshape(-1, 1)
    div_term = np.exp(np.arange(0, d_model, 2) * -(np.log(10000.0) / d_model))    # w_i = 10000^(-2i/d)
    PE[:, 0::2] = np.sin(position * div_term)
    PE[:, 1::2] = np.cos(position * div_term)
    return PE


def offset_rotation(k, d_model):
    """``R_k (d_model, d_model)`` with ``PE(p + k) = R_k PE(p)`` for every p: one 2 x 2 rotation per frequency."""
    angles = k * np.exp(np.arange(0, d_model, 2) * -(np.log(10000.0) / d_model))
    R = np.zeros((d_model, d_model))
    even, odd = np.arange(0, d_model, 2), np.arange(1, d_model, 2)
    R[even, even], R[even, odd] = np.cos(angles), np.sin(angles)      # sin(a + b) = sin a cos b + cos a sin b
    R[odd, even], R[odd, odd] = -np.sin(angles), np.cos(angles)       # cos(a + b) = cos a cos b - sin a sin b
    return R


def positional_encodings(lesson):
    PE = positional_encoding(PE_LENGTH, PE_DIM)
    repo_gap = float(np.abs(sinusoidal_positions(PE_LENGTH, PE_DIM) - PE).max())
    lesson.check("E42: the seed's table equals the project's sinusoidal_positions (float32)", repo_gap < 1e-6,
                 f"largest gap {repo_gap:.2e}")
    distances = np.linalg.norm(PE[:, None] - PE[None], axis=-1)
    offsets = np.arange(1, PE_LENGTH)
    residual = max(np.abs(PE[k:] - PE[:-k] @ offset_rotation(k, PE_DIM).T).max() for k in offsets)
    orthogonal = max(np.abs(offset_rotation(k, PE_DIM).T @ offset_rotation(k, PE_DIM) - np.eye(PE_DIM)).max()
                     for k in offsets)
    R1 = offset_rotation(1, PE_DIM)
    power = max(np.abs(np.linalg.matrix_power(R1, k) - offset_rotation(k, PE_DIM)).max() for k in (2, 10, 49))
    dots = [np.einsum("pd,pd->p", PE[:PE_LENGTH - k], PE[k:]) for k in range(PE_LENGTH)]   # PE(p) . PE(p + k)
    spread = max(float(d.max() - d.min()) for d in dots)
    frequencies = np.exp(np.arange(0, PE_DIM, 2) * -(np.log(10000.0) / PE_DIM))
    closed = np.array([np.cos(frequencies * k).sum() for k in range(PE_LENGTH)])
    closed_gap = max(float(np.abs(d - c).max()) for d, c in zip(dots, closed))
    path = show_positional_encoding(lesson, PE, dots, closed)

    lesson.claim(
        id="E42", seed_ref="004:5341-5405",
        claim="The sinusoidal encodings of 50 positions in 128 dimensions lie in [-1, 1], differ for every "
              "position, and let a model use relative positions: PE(pos + k) is a function of PE(pos).",
        measured={"min": float(PE.min()), "max": float(PE.max()),
                  "min_distance_between_positions": float(distances[np.triu_indices(PE_LENGTH, k=1)].min()),
                  "rotation_residual_max": float(residual), "rotation_orthogonality_error": float(orthogonal),
                  "rotation_power_error": float(power), "dot_spread_over_positions_max": spread,
                  "dot_closed_form_gap": closed_gap, "dot_at_offset_0": float(closed[0]),
                  "dot_at_offset_1": float(closed[1]), "dot_at_offset_49": float(closed[49])},
        rule=all_of(at_least("min", -1.0), at_most("max", 1.0), at_least("min_distance_between_positions", 1e-3),
                    at_most("rotation_residual_max", 1e-10), at_most("dot_spread_over_positions_max", 1e-10)),
        correction="The function is linear and the same for every position: PE(pos + k) = R_k PE(pos), with R_k a "
                   "rotation of each (sin, cos) pair by w_i k; so PE(p) · PE(p + k) = Σ cos(w_i k) depends on k alone.",
        figures=[path])


def show_positional_encoding(lesson, PE, dots, closed):
    fig = new_figure(14.0, 10.0)
    grid = fig.add_gridspec(2, 2)
    ax_map = fig.add_subplot(grid[0, :])
    image = ax_map.imshow(PE.T, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
    ax_map.set_xlabel("position in sequence")
    ax_map.set_ylabel("embedding dimension")
    ax_map.set_title(f"Positional encoding, {PE.shape[0]} positions x {PE.shape[1]} dimensions "
                     "(even rows sin, odd rows cos; frequency falls with the dimension)")
    fig.colorbar(image, ax=ax_map, label="encoding value")
    ax_vec = fig.add_subplot(grid[1, 0])
    for pos in range(10):
        ax_vec.plot(PE[pos], alpha=0.7, lw=1.2, label=f"position {pos}")
    ax_vec.set_xlabel("dimension")
    ax_vec.set_ylabel("encoding value")
    ax_vec.set_title("The first 10 position vectors (they differ in the low dimensions)")
    ax_vec.legend(fontsize=7, ncol=2, loc="lower right")
    ax_vec.grid(alpha=0.3)
    ax_dot = fig.add_subplot(grid[1, 1])
    k = np.arange(len(dots))
    ax_dot.fill_between(k, [d.min() for d in dots], [d.max() for d in dots], color="#1f77b4", alpha=0.4,
                        label="PE(p) · PE(p + k), min to max over p")
    ax_dot.plot(k, closed, "k--", lw=1.2, label="Σ cos(w_i k): the same curve")
    ax_dot.set_xlabel("offset k")
    ax_dot.set_ylabel("dot product")
    ax_dot.set_title("The dot product depends only on the offset\n(the band over p has zero width)")
    ax_dot.legend()
    ax_dot.grid(alpha=0.3)
    return lesson.figure("positional-encoding", fig, shows="V41")


# %% [markdown]
# ## E43: what an encoder layer holds (``004:5427-5525``)
#
# The seed's ``TransformerEncoderLayer(d_model=64, num_heads=8, d_ff=256)`` is post-norm:
# ``x = LN(x + MHA(x))``, then ``x = LN(x + FFN(x))`` with ``FFN(x) = ReLU(x W1 + b1) W2 + b2``;
# its input is ``randn(10, 64)`` plus the positional table. It counts (``004:5515-5525``):
#
# * attention: four 64 x 64 matrices, no biases: 4 * 64 * 64 = **16,384**;
# * feed-forward: 64 * 256 + 256 + 256 * 64 + 64 = **33,088**;
# * two layer norms, a scale and a shift each: 2 * 2 * 64 = **256**;
# * total **49,728**, and 6 layers ~ **298,368**.
#
# We count the seed's arrays, build its forward pass in NumPy and check it against the
# engine's ``nn.TransformerEncoderLayer(64, 8, 256)`` (post-norm, ReLU, eps 1e-6, the same
# weights; the check sets random biases and norm parameters so every one of them is
# exercised). PyTorch's layer has biases in its attention (3 * 64 on the q/k/v projections
# and 64 on the output), so it holds 256 more. The "6 layers" figure is the stack alone: a
# model also needs its token embeddings (and positions, if learned) and an output layer.

# %%
def seed_encoder_params(rng, d_model=D_MODEL, d_ff=D_FF):
    """The seed's parameter arrays (``004:5449-5457``): MHA at randn * 0.01, FFN at He scale, LN ones/zeros."""
    W_Q, W_K, W_V, W_O = seed_mha_weights(rng, d_model=d_model)
    return {"W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": W_O,
            "ff_W1": rng.standard_normal((d_model, d_ff)) * np.sqrt(2.0 / d_model), "ff_b1": np.zeros((1, d_ff)),
            "ff_W2": rng.standard_normal((d_ff, d_model)) * np.sqrt(2.0 / d_ff), "ff_b2": np.zeros((1, d_model)),
            "gamma1": np.ones((1, d_model)), "beta1": np.zeros((1, d_model)),
            "gamma2": np.ones((1, d_model)), "beta2": np.zeros((1, d_model))}


def layer_norm(X, gamma, beta, epsilon=1e-6):
    """The seed's layer norm over the last axis (biased variance, as torch)."""
    mean = X.mean(axis=-1, keepdims=True)
    var = X.var(axis=-1, keepdims=True)
    return gamma * (X - mean) / np.sqrt(var + epsilon) + beta


def encoder_layer(X, p, heads=HEADS):
    """The seed's ``TransformerEncoderLayer.forward`` (``004:5472-5486``) for ``X (..., L, d_model)``."""
    attended, _ = multi_head_attention(X, p["W_Q"], p["W_K"], p["W_V"], p["W_O"], heads)
    X = layer_norm(X + attended, p["gamma1"], p["beta1"])
    hidden = np.maximum(0.0, X @ p["ff_W1"] + p["ff_b1"])
    return layer_norm(X + hidden @ p["ff_W2"] + p["ff_b2"], p["gamma2"], p["beta2"])


def engine_encoder_layer(T, p):
    """The engine's ``nn.TransformerEncoderLayer`` holding the seed's parameters (MHA biases zero)."""
    layer = T.nn.TransformerEncoderLayer(D_MODEL, HEADS, D_FF, dropout=0.0, layer_norm_eps=1e-6,
                                         batch_first=True).double()
    with T.no_grad():
        attn = layer.self_attn
        attn.in_proj_weight.copy_(T.tensor(np.concatenate([p["W_Q"].T, p["W_K"].T, p["W_V"].T])))
        attn.in_proj_bias.zero_()
        attn.out_proj.weight.copy_(T.tensor(p["W_O"].T))
        attn.out_proj.bias.zero_()
        for linear, W, b in ((layer.linear1, "ff_W1", "ff_b1"), (layer.linear2, "ff_W2", "ff_b2")):
            linear.weight.copy_(T.tensor(p[W].T))
            linear.bias.copy_(T.tensor(p[b][0]))
        for norm, g, b in ((layer.norm1, "gamma1", "beta1"), (layer.norm2, "gamma2", "beta2")):
            norm.weight.copy_(T.tensor(p[g][0]))
            norm.bias.copy_(T.tensor(p[b][0]))
    return layer.eval()


def layer_parameters(d, d_ff, inner=None, bias=True, attentions=1, norms=2, norm_shift=True):
    """Parameters of one transformer block: ``attentions`` x (q, k, v, out projections), the FFN, the norms.

    ``inner`` is heads x head size (``d`` unless set); ``bias`` adds the projections' and FFN's biases;
    each norm has a scale (``d``) and, with ``norm_shift``, a shift (``d``).
    """
    inner = inner or d
    attention_params = 4 * d * inner + (3 * inner + d if bias else 0)
    ffn = 2 * d * d_ff + (d_ff + d if bias else 0)
    return attentions * attention_params + ffn + norms * d * (2 if norm_shift else 1)


def encoder_counts(lesson):
    T = lesson.T
    rng = lesson.rng(5427)
    p = seed_encoder_params(rng)
    mha = sum(p[k].size for k in ("W_Q", "W_K", "W_V", "W_O"))
    ffn = p["ff_W1"].size + p["ff_W2"].size + D_FF + D_MODEL           # the seed's own sum (004:5517)
    norms = sum(p[k].size for k in ("gamma1", "beta1", "gamma2", "beta2"))
    total = mha + ffn + norms

    # The forward pass, on the seed's input randn(10, 64) + PE, with random biases and norm parameters.
    X = rng.standard_normal((10, D_MODEL)) + positional_encoding(10, D_MODEL)
    checked = dict(p)
    for key in ("ff_b1", "ff_b2", "beta1", "beta2"):
        checked[key] = rng.standard_normal(p[key].shape) * 0.1
    for key in ("gamma1", "gamma2"):
        checked[key] = 1.0 + rng.standard_normal(p[key].shape) * 0.1
    layer = engine_encoder_layer(T, checked)
    with T.no_grad():
        engine_out = layer(T.tensor(X[None])).numpy()[0]
    gap = float(np.abs(engine_out - encoder_layer(X, checked)).max())
    lesson.check("E43: the NumPy encoder layer equals the engine's nn.TransformerEncoderLayer", gap < 1e-10,
                 f"largest gap {gap:.2e}")

    engine_layer = models.count_parameters(T.nn.TransformerEncoderLayer(D_MODEL, HEADS, D_FF))
    engine_mha_no_bias = models.count_parameters(T.nn.MultiheadAttention(D_MODEL, HEADS, bias=False))
    formula_check = (layer_parameters(D_MODEL, D_FF) == engine_layer
                     and layer_parameters(D_MODEL, D_FF) - (3 * D_MODEL + D_MODEL) == total)
    lesson.check("E43: the block formula counts the engine's layer and the seed's", formula_check,
                 f"formula {layer_parameters(D_MODEL, D_FF)}, engine {engine_layer}, seed {total}")

    figure = encoder_count_figure(lesson, {
        "seed": {"attention weights": mha, "attention biases": 0, "feed-forward": ffn, "layer norms": norms},
        "PyTorch": {"attention weights": engine_mha_no_bias, "attention biases": engine_layer - total,
                    "feed-forward": ffn, "layer norms": norms}})
    lesson.claim(
        id="E43", seed_ref="004:5427-5525",
        claim="One encoder layer with d_model 64, 8 heads and d_ff 256 holds 16,384 attention, 33,088 "
              "feed-forward and 256 layer-norm parameters, 49,728 in all; a 6-layer transformer about 298,368.",
        measured={"mha": mha, "ffn": ffn, "layer_norm": norms, "total": total, "six_layers": 6 * total,
                  "engine_layer": engine_layer, "engine_mha_without_bias": engine_mha_no_bias,
                  "engine_minus_seed": engine_layer - total, "mha_bias_count": 3 * D_MODEL + D_MODEL},
        rule=all_of(close("mha", 16_384, 0), close("ffn", 33_088, 0), close("layer_norm", 256, 0),
                    close("total", 49_728, 0), close("six_layers", 298_368, 0),
                    close("engine_mha_without_bias", 16_384, 0), close("engine_minus_seed", 256, 0)),
        correction="These counts are the seed's convention, attention without biases. PyTorch's "
                   "nn.TransformerEncoderLayer(64, 8, 256) holds 49,984: its attention adds 3 · 64 input-projection "
                   "and 64 output biases. And a 6-layer model needs embeddings and an output layer on top of the "
                   "298,368.",
        figures=[figure],
    )
    return total


def encoder_count_figure(lesson, counts):
    """One encoder layer's parameters by part, the seed's convention against PyTorch's, and the totals."""
    fig = new_figure(13.0, 4.8)
    ax_parts, ax_total = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    parts = list(counts["seed"])
    x = np.arange(len(parts))
    width = 0.38
    colors = {"seed": "#BF092F", "PyTorch": "#3B9797"}
    for i, (who, by_part) in enumerate(counts.items()):
        values = [by_part[p] for p in parts]
        bars = ax_parts.bar(x + (i - 0.5) * width, values, width, color=colors[who], alpha=0.8, label=who)
        ax_parts.bar_label(bars, labels=[f"{v:,}" for v in values], padding=2, fontsize=9)
        total = sum(values)
        bar = ax_total.bar(i, total, 0.6, color=colors[who], alpha=0.8)
        ax_total.bar_label(bar, labels=[f"{total:,}"], padding=2)
    ax_parts.set_xticks(x, parts)
    ax_parts.set_ylabel("parameters")
    ax_parts.set_ylim(0, max(counts["seed"].values()) * 1.15)
    ax_parts.set_title("One encoder layer (d_model 64, 8 heads, d_ff 256) by part")
    ax_parts.legend()
    ax_total.set_xticks([0, 1], list(counts))
    ax_total.set_ylim(0, sum(counts["PyTorch"].values()) * 1.15)
    ax_total.set_title("Total per layer")
    ax_total.set_ylabel("parameters")
    for ax in (ax_parts, ax_total):
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.set_major_formatter("{x:,.0f}")
    seed_total = sum(counts["seed"].values())
    fig.suptitle(f"E43: the seed counts {seed_total:,} per layer ({6 * seed_total:,} for 6); PyTorch's layer "
                 f"adds {counts['PyTorch']['attention biases']:,} attention biases")
    return lesson.figure("encoder-layer-parameters", fig)


# %% [markdown]
# ## E44: how big are real transformers? (``004:5548-5629``)
#
# The seed tabulates four famous models -- BERT 110M parameters (12 layers), GPT-3 175B
# (96), T5 11B "XXL" ("12+12"), ViT 86M (12) -- and draws their sizes as bars on a log
# scale. These are published figures; nothing here can train or load such a model, so
# we do not reproduce them. What we can do:
#
# * check the chart against the table (the numbers it plots, the labels it prints) and
#   take the ratios (GPT-3 is 175,000 / 110 = 1,591 BERTs);
# * count each model from its published shape with the block formula that counts the
#   engine's encoder layer exactly (E43): BERT-base (768 wide, 3,072 FFN, 30,522-token
#   vocabulary, 512 positions, pooler), GPT-3 (12,288 wide, 4x FFN, 50,257 tokens, 2,048
#   positions, tied output), T5-11B (1,024 wide, 65,536 FFN, 128 heads of 128, no biases,
#   scale-only norms, 32,128 shared tokens) and ViT-B/16 (768 wide, 16 x 16 x 3 patches,
#   197 positions, 1,000-class head). A quoted size within 5% of its count is consistent
#   with the architecture it names. The seed's "12+12" layers for T5 are tested the same
#   way;
# * put the project's own transformers, counted on the engine, on the same chart.

# %%
QUOTED = {"BERT": ("110M", 12), "GPT-3": ("175B", 96), "T5": ("11B (XXL)", "12+12"), "ViT": ("86M", 12)}
CHART = [110, 175000, 11000, 86]                                    # millions (004:5608)
OURS = ("neighbour_model", "seed_encoder_6_layers", "dates_transformer", "shakespeare_gpt_small", "gpt_defaults")


def parse_size(text):
    """``"110M"`` -> 110e6, ``"11B (XXL)"`` -> 11e9."""
    number = text.split()[0]
    return float(number[:-1]) * {"M": 1e6, "B": 1e9}[number[-1]]


def published_counts(t5_layers=24):
    """Parameter counts from each model's published shape (see the markdown above)."""
    t5_block = dict(inner=128 * 128, bias=False, norm_shift=False)
    return {
        "BERT": (30522 + 512 + 2) * 768 + 2 * 768 + 12 * layer_parameters(768, 3072) + 768 * 768 + 768,
        "GPT-3": (50257 + 2048) * 12288 + 96 * layer_parameters(12288, 4 * 12288) + 2 * 12288,
        "T5": (32128 * 1024 + t5_layers * layer_parameters(1024, 65536, **t5_block)
               + t5_layers * layer_parameters(1024, 65536, attentions=2, norms=3, **t5_block)
               + 2 * 1024 + 2 * 32 * 128),                            # + final norms and relative-position tables
        "ViT": (16 * 16 * 3 * 768 + 768) + 768 + 197 * 768 + 12 * layer_parameters(768, 3072) + 2 * 768
               + 768 * 1000 + 1000,
    }


def project_transformers(T, toy_params, encoder_total):
    """Parameter counts of the project's transformers, built on the engine."""
    from neuralab.recipes.catalog import RECIPES              # noqa: PLC0415 - only for the recipes' settings
    from neuralab.recipes.translate import SOURCE_CHARS, TARGET_CHARS  # noqa: PLC0415

    dates = {k: v for k, v in RECIPES["dates-transformer"].config["model"].items() if k != "name"}
    small = {k: v for k, v in RECIPES["shakespeare-gpt-small"].config["model"].items() if k != "name"}
    return {
        "this lesson's\nneighbour model": toy_params,
        "seed's 6-layer\nencoder stack": 6 * encoder_total,
        "dates-transformer": models.count_parameters(models.build(
            "seq2seq_transformer", T, src_vocab=3 + len(SOURCE_CHARS), tgt_vocab=3 + len(TARGET_CHARS), **dates)),
        "shakespeare-\ngpt-small": models.count_parameters(models.build("gpt", T, **small)),
        "gpt (defaults)": models.count_parameters(models.build("gpt", T)),
    }


def model_sizes(lesson, encoder_total):
    T = lesson.T
    table = {name: parse_size(size) for name, (size, _) in QUOTED.items()}
    labels = [f"{c:,}M" if c < 1000 else f"{c / 1000:.0f}B" for c in CHART]    # the seed's bar labels (004:5619)
    counted = published_counts()
    t5_seed_layers = published_counts(t5_layers=12)["T5"]
    ours = project_transformers(T, models.count_parameters(neighbour_model(T)), encoder_total)
    path = show_model_sizes(lesson, table, counted, t5_seed_layers, ours)
    off = {name: counted[name] / table[name] - 1 for name in table}

    lesson.claim(
        id="E44", seed_ref="004:5548-5629",
        claim="BERT has 110M parameters in 12 layers, GPT-3 175B in 96, T5 (XXL) 11B in 12+12 and ViT 86M in 12; "
              "a log-scale bar chart shows the sizes.",
        measured={"chart_equals_table": [c * 1e6 for c in CHART] == list(table.values()),
                  "labels": labels, "labels_match_table": labels == [s.split()[0] for s, _ in QUOTED.values()],
                  "gpt3_over_bert": table["GPT-3"] / table["BERT"], "gpt3_over_vit": table["GPT-3"] / table["ViT"],
                  "decades_spanned": math.log10(max(table.values()) / min(table.values())),
                  **{f"counted_{name}": float(counted[name]) for name in counted},
                  **{f"{name}_quoted_off_by": off[name] for name in off},
                  "counted_T5_with_seed_layers_12_12": float(t5_seed_layers),
                  "T5_seed_layers_off_by": t5_seed_layers / table["T5"] - 1,
                  **{f"ours_{key}": count for key, count in zip(OURS, ours.values())},
                  "ours_decades_below_bert": [math.log10(table["BERT"] / max(ours.values())),
                                              math.log10(table["BERT"] / min(ours.values()))]},
        rule=all_of(is_true("chart_equals_table"), is_true("labels_match_table"),
                    close("gpt3_over_bert", 175000 / 110, 1e-9),
                    *(close(f"{name}_quoted_off_by", 0.0, 0.05) for name in off),
                    close("T5_seed_layers_off_by", 0.0, 0.05)),
        correction="The four sizes are quoted, not reproduced; each is within 3% of the count from its published "
                   "shape. But T5's 11B needs 24 encoder + 24 decoder layers: with the table's 12+12 (T5-Base's "
                   "depth) the same width gives about 5.7B. The project's transformers sit 2 to 4 decades below BERT.",
        figures=[path])


def show_model_sizes(lesson, table, counted, t5_seed_layers, ours):
    fig = new_figure(13.0, 6.0)
    ax = fig.add_subplot()
    names = [*table, *ours]
    sizes = [*table.values(), *ours.values()]
    colours = ["#3B9797", "#BF092F", "#16476A", "#132440"] + ["#aaaaaa"] * len(ours)
    bars = ax.bar(range(len(names)), np.array(sizes) / 1e6, color=colours, alpha=0.8, edgecolor="black")
    for bar in bars[len(table):]:
        bar.set_hatch("//")
    for i, (bar, size) in enumerate(zip(bars, sizes)):
        label = f"{size / 1e9:.0f}B" if size >= 1e9 else f"{size / 1e6:.0f}M" if size >= 1e7 else f"{size:,.0f}"
        ax.text(bar.get_x() + bar.get_width() / 2, size / 1e6 * 1.15, label, ha="center", va="bottom", fontsize=10)
    ax.scatter(range(len(table)), np.array(list(counted.values())) / 1e6, marker="_", s=900, color="#ff7f0e",
               zorder=5, label="counted from the published shape")
    ax.scatter([list(table).index("T5")], [t5_seed_layers / 1e6], marker="x", s=120, color="#d62728", zorder=5,
               label=f"T5 counted with the table's 12+12 layers ({t5_seed_layers / 1e9:.1f}B)")
    ax.set_xticks(range(len(names)), names, fontsize=9)
    ax.set_yscale("log")
    ax.set_ylim(1e-2, 2e6)
    ax.set_ylabel("parameters (millions, log scale)")
    ax.set_title("Transformer sizes: the seed's four (quoted, solid) and the project's own (counted here, hatched)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper right")
    return lesson.figure("model-sizes", fig, shows="V42")


# %%
def run(lesson):
    attention_bars(lesson)
    attention_examples(lesson)
    toy_self_attention(lesson)
    untrained_vs_trained(lesson)
    positional_encodings(lesson)
    encoder_total = encoder_counts(lesson)
    model_sizes(lesson, encoder_total)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("attention")
