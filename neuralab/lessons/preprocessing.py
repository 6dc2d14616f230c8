"""Scaling the inputs: min-max, standardisation, training statistics, missing values.

Follows ``004:6106-6182`` (inventory E51).
"""

# %% [markdown]
# # Scaling the inputs
#
# The seed's preprocessing section (``004:6106-6122``) lists four steps: min-max
# normalisation ``(X - min) / (max - min)`` into ``[0, 1]``, standardisation
# ``(X - mean) / std``, data augmentation, and the handling of missing values (mean or
# median imputation, forward/backward fill for time series, a "missing" indicator
# feature). Its code (``004:6123-6182``) draws two features on very different scales,
# scales them both ways, plots the three versions and prints that feature 2 "dominates"
# until the data are scaled, ending with two rules: preprocess training and test sets
# the same way, and use the training set's statistics for the test set.
#
# We rerun the seed's data exactly, put a number on "dominates", and then do what the
# seed only asserts, on a real data set with the same problem (the wine set, whose 13
# measurements run from tenths to about 1,700): train one small network on raw,
# min-max-scaled and standardised inputs, break the two train/test rules on purpose,
# and remove 15% of the values to compare the ways of filling them in. Augmentation is
# measured in the regularisation lesson, and forward/backward fill needs a time series,
# which wine is not.

# %%
import numpy as np
from matplotlib.patches import Patch
from sklearn.datasets import load_wine
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from neuralab.data.splits import stratified_indices
from neuralab.lessons.claims import above, all_of, at_least, at_most, below, close
from neuralab.models import mlp
from neuralab.train.step import apply_gradients
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "Scaling the inputs",
    "part": "III. Practice",
    "section": "004:6106-6182",
    "claims": ("E51",),
    "seconds": 30,
    "engines": ("scratch", "torch"),
}

SCALINGS = ("raw", "min-max", "standardised")
COLORS = {"raw": "#BF092F", "min-max": "#3B9797", "standardised": "#132440"}


# %% [markdown]
# ## The two scalings, by hand and with scikit-learn
#
# Both are affine maps of each feature (each column) with statistics taken from a
# reference set, the training set:
#
#     min-max:          x' = (x - min_j) / (max_j - min_j)      in [0, 1] on the reference set
#     standardisation:  x' = (x - mean_j) / std_j               mean 0, std 1 on the reference set
#
# ``std`` is the population standard deviation (``np.std``, divide by n), as in the
# seed and in scikit-learn's ``StandardScaler``.

# %%
def fit_scaler(kind, reference):
    """The scaling ``kind`` fitted on ``reference`` (n, d): a function (m, d) -> (m, d)."""
    if kind == "raw":
        return lambda x: x
    if kind == "min-max":
        low, high = reference.min(axis=0), reference.max(axis=0)
        return lambda x: (x - low) / (high - low)
    mean, std = reference.mean(axis=0), reference.std(axis=0)
    std = np.where(std == 0, 1.0, std)  # a constant column stays put (as in StandardScaler)
    return lambda x: (x - mean) / std


# %% [markdown]
# ## The seed's two-scale data (``004:6129-6176``)
#
# Seed 42, 500 samples: feature 1 is ``N(5, 2^2)``, feature 2 is ``N(1500, 200^2)``,
# drawn in that order from NumPy's legacy generator, so our numbers are the seed's.
#
# What does "feature 2 dominates" mean in numbers? Anything that compares samples by
# Euclidean distance (nearest neighbours, k-means, an RBF kernel) adds the squared
# differences of the features. Summed over all pairs, a feature contributes
# ``sum_{i,j} (a_i - a_j)^2 = 2 n^2 var(a)``, so its share of the squared distances is
# its share of the total variance: ``200^2 / (200^2 + 2^2)``, about 99.99%, for
# feature 2. We measure that share over all 124,750 pairs, and how often a sample's
# nearest neighbour is the one feature 2 alone would pick. For gradient descent on a
# linear model the same gap shows up as the condition number of the least-squares
# Hessian ``X^T X / n`` (columns: feature 1, feature 2, a constant): the ratio of its
# largest to its smallest curvature, which bounds how fast plain gradient descent can
# go (a step that is safe along the steepest direction crawls along the flattest).

# %%
def pair_share(x):
    """Share of the summed squared pairwise distances of ``x`` (n, 2) due to column 2."""
    parts = [np.sum((col[:, None] - col[None, :]) ** 2) / 2 for col in x.T]
    return float(parts[1] / sum(parts))


def nearest_neighbours(x):
    """Index of each row's nearest other row of ``x`` (n, d), Euclidean distance."""
    distances = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(distances, np.inf)
    return distances.argmin(axis=1)


def hessian_condition(x):
    """Condition number of ``A^T A / n`` for ``A = [x, 1]``: the least-squares curvature spread."""
    design = np.hstack([x, np.ones((len(x), 1))])
    return float(np.linalg.cond(design.T @ design / len(x)))


def two_scale_data(lesson):
    draws = np.random.RandomState(42)  # the legacy generator np.random.seed(42) drives
    feature1 = draws.randn(500) * 2 + 5
    feature2 = draws.randn(500) * 200 + 1500
    data = np.column_stack([feature1, feature2])
    versions = {kind: fit_scaler(kind, data)(data) for kind in SCALINGS}

    by_sklearn = {"min-max": MinMaxScaler().fit_transform(data), "standardised": StandardScaler().fit_transform(data)}
    gap = max(float(np.abs(by_sklearn[k] - versions[k]).max()) for k in by_sklearn)
    lesson.check("E51: hand-written scalings equal scikit-learn's", gap < 1e-12, f"largest difference {gap:.1e}")

    f2_only = nearest_neighbours(data[:, 1:])
    measured = {
        "f1_mean": float(feature1.mean()), "f1_std": float(feature1.std()),
        "f2_mean": float(feature2.mean()), "f2_std": float(feature2.std()),
        "f1_range": [float(feature1.min()), float(feature1.max())],
        "f2_range": [float(feature2.min()), float(feature2.max())],
        "f1_range_in_stds": float(np.ptp(feature1) / feature1.std()),
        "f2_range_in_stds": float(np.ptp(feature2) / feature2.std()),
        "sklearn_max_abs_diff": gap,
        "minmax_min": float(versions["min-max"].min()), "minmax_max": float(versions["min-max"].max()),
        "standardised_max_abs_mean": float(np.abs(versions["standardised"].mean(axis=0)).max()),
        "standardised_max_abs_std_minus_1": float(np.abs(versions["standardised"].std(axis=0) - 1).max()),
    }
    for kind, name in zip(SCALINGS, ("raw", "minmax", "standardised")):
        measured[f"f2_distance_share_{name}"] = pair_share(versions[kind])
        measured[f"nn_same_as_f2_alone_{name}"] = float(np.mean(nearest_neighbours(versions[kind]) == f2_only))
        measured[f"hessian_condition_{name}"] = hessian_condition(versions[kind])
    variance_share = float(feature2.var() / (feature1.var() + feature2.var()))
    lesson.check("E51: the distance share of feature 2 is its variance share",
                 abs(variance_share - measured["f2_distance_share_raw"]) < 1e-12,
                 f"{variance_share:.12f} vs {measured['f2_distance_share_raw']:.12f}")
    return versions, measured, _two_scale_figure(lesson, versions, measured)


def _two_scale_figure(lesson, versions, measured):
    fig = new_figure(17.0, 8.0)
    axes = fig.subplots(2, 4)
    raw = versions["raw"]
    panels = [("Original data, axes scaled to fit\n(the seed's view)", raw, False),
              ("Original data, equal axis scales\n(what a Euclidean distance sees)", raw, True),
              ("Min-max scaled to [0, 1]", versions["min-max"], True),
              ("Standardised (mean 0, std 1)", versions["standardised"], True)]
    shares = [measured["f2_distance_share_raw"]] * 2 + [measured["f2_distance_share_minmax"],
                                                        measured["f2_distance_share_standardised"]]
    for ax, (title, x, equal), share in zip(axes[0], panels, shares):
        ax.scatter(x[:, 0], x[:, 1], s=12, alpha=0.5, color="#3B9797", edgecolor="black", linewidth=0.3)
        if equal:
            ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"{title}\nfeature 2's share of squared distances: {share:.2%}", fontsize=10)
        ax.set_xlabel("feature 1"); ax.set_ylabel("feature 2"); ax.grid(alpha=0.3)

    ax = axes[1, 0]
    ax.hist(raw[:, 0], bins=40, color="#3B9797", alpha=0.8, label="feature 1, N(5, 2²)")
    ax.hist(raw[:, 1], bins=40, color="#BF092F", alpha=0.8, label="feature 2, N(1500, 200²)")
    ax.set_title("Original features on one axis", fontsize=10)
    for ax, kind in zip(axes[1, 1:3], ("min-max", "standardised")):
        x = versions[kind]
        bins = np.linspace(x.min(), x.max(), 40)
        ax.hist(x[:, 0], bins=bins, color="#3B9797", alpha=0.6, label="feature 1")
        ax.hist(x[:, 1], bins=bins, color="#BF092F", alpha=0.6, label="feature 2")
        ax.set_title(f"{kind.capitalize()}: the two features overlap", fontsize=10)
    for ax in axes[1, :3]:
        ax.set_xlabel("value"); ax.set_ylabel("samples"); ax.legend(fontsize=8); ax.grid(alpha=0.3)

    ax = axes[1, 3]
    names = ("raw", "minmax", "standardised")
    ax.bar(np.arange(3) - 0.2, [measured[f"f2_distance_share_{n}"] for n in names], 0.4,
           color="#BF092F", label="feature 2's share of squared distances")
    ax.bar(np.arange(3) + 0.2, [measured[f"nn_same_as_f2_alone_{n}"] for n in names], 0.4,
           color="#132440", label="nearest neighbour = feature 2's alone")
    ax.axhline(0.5, color="gray", ls="--", lw=1)
    ax.set_xticks(range(3), SCALINGS); ax.set_ylim(0, 1.15); ax.set_ylabel("fraction")
    ax.set_title("Does feature 2 decide the distances?", fontsize=10)
    ax.legend(fontsize=8, loc="upper right"); ax.grid(alpha=0.3, axis="y")
    return lesson.figure("two-scale-data", fig, shows="V48")


# %% [markdown]
# ## A real set with the same problem: wine
#
# scikit-learn's bundled wine set: 178 wines from three cultivars, 13 chemical
# measurements whose scales differ by four orders of magnitude (hue is about 1,
# magnesium about 100, proline 278 to 1,680). One stratified split per seed keeps 30%
# for testing. The model is the engine's ``13 -> 16 -> 3`` MLP (ReLU, from
# ``neuralab.models.mlp``), trained full-batch on cross-entropy, the same initial
# weights for every scaling of a seed.
#
# Two optimizers. Plain gradient descent is the case the condition number speaks to;
# its learning rate is picked per scaling from ``1e-4 ... 1`` by the lowest final
# *training* loss, so each scaling gets its best rate without the test set being
# consulted. Adam (lr 0.01) rescales each weight's step by its own gradient history,
# which partly undoes bad input scales, so it is the harder test for the claim.
# "Steps to converge" is the first step at which the training accuracy reaches 95%
# (the step budget if it never does).

# %%
def wine_split(seed):
    """Wine as float64 arrays: ``x_train`` (124, 13), ``y_train`` (124,), ``x_test`` (54, 13), ``y_test`` (54,)."""
    wine = load_wine()
    train, _, test = stratified_indices(wine.target, 0.0, 0.3, seed)
    return wine.data[train], wine.target[train], wine.data[test], wine.target[test]


def train_classifier(lesson, x, y, optimizer, lr, steps, seed, hidden=16):
    """Full-batch training of a ``d -> hidden -> 3`` ReLU MLP on ``x`` (n, d), ``y`` (n,).

    Returns the network and, per step, the training loss and accuracy (before that step's update).
    """
    T = lesson.T
    T.manual_seed(seed)  # the same initial weights for every scaling of a seed
    net = mlp.build(T, (x.shape[1], hidden, 3))
    opt = (T.optim.SGD if optimizer == "sgd" else T.optim.Adam)(net.parameters(), lr=lr)
    inputs, targets = T.tensor(x.astype(np.float32)), T.tensor(y)
    losses, accuracies = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # raw inputs at large rates overflow: that is the point
        for _ in range(steps):
            logits = net(inputs)
            accuracies.append(float(np.mean(logits.detach().numpy().argmax(axis=1) == y)))
            losses.append(apply_gradients(T, T.nn.functional.cross_entropy(logits, targets), net, opt))
    return net, np.array(losses), np.array(accuracies)


def accuracy(lesson, net, x, y):
    T = lesson.T
    with T.no_grad(), np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean(net(T.tensor(x.astype(np.float32))).numpy().argmax(axis=1) == y))


def steps_to(accuracies, level=0.95):
    """First step whose training accuracy reaches ``level``; ``len(accuracies)`` if none does."""
    reached = np.flatnonzero(accuracies >= level)
    return int(reached[0]) if reached.size else len(accuracies)


SGD_RATES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
ADAM_RATE = 0.01


def scaling_runs(lesson, seeds, steps):
    """For each seed, scaling and optimizer: test accuracy, steps to 95% and the loss curve."""
    runs = {}
    for seed in seeds:
        x_train, y_train, x_test, y_test = wine_split(seed)
        for kind in SCALINGS:
            scale = fit_scaler(kind, x_train)
            train_x, test_x = scale(x_train), scale(x_test)
            tried = {lr: train_classifier(lesson, train_x, y_train, "sgd", lr, steps, seed) for lr in SGD_RATES}
            final = {lr: (losses[-1] if np.isfinite(losses[-1]) else np.inf) for lr, (_, losses, _) in tried.items()}
            best = min(final, key=final.get)  # by training loss: the test set is not consulted
            adam = train_classifier(lesson, train_x, y_train, "adam", ADAM_RATE, steps, seed)
            for optimizer, lr, (net, losses, accs) in (("sgd", best, tried[best]), ("adam", ADAM_RATE, adam)):
                runs[seed, kind, optimizer] = {"lr": lr, "test_accuracy": accuracy(lesson, net, test_x, y_test),
                                               "steps": steps_to(accs), "losses": losses}
    return runs


# %% [markdown]
# ## Training statistics for the test set (``004:6180-6181``)
#
# The seed's two rules, broken on purpose with the standardised Adam recipe:
#
# * *leak*: the scaler is fitted on all 178 wines, test included, so test statistics
#   shape the inputs the model trains on;
# * *test left raw*: the model is trained on standardised inputs but the test set is
#   fed unscaled, the "not the same way" mistake.
#
# Scaled with the training statistics, test values are not confined to the training
# range: we also count how many min-max-scaled test values fall outside ``[0, 1]``.

# %%
def train_statistics_runs(lesson, seeds, steps):
    rows = []
    for seed in seeds:
        x_train, y_train, x_test, y_test = wine_split(seed)
        scaler = StandardScaler().fit(x_train)  # the correct pipeline, as scikit-learn spells it
        net, *_ = train_classifier(lesson, scaler.transform(x_train), y_train, "adam", ADAM_RATE, steps, seed)
        leaky = StandardScaler().fit(np.vstack([x_train, x_test]))
        leak_net, *_ = train_classifier(lesson, leaky.transform(x_train), y_train, "adam", ADAM_RATE, steps, seed)
        minmax_test = MinMaxScaler().fit(x_train).transform(x_test)
        rows.append({
            "train_stats": accuracy(lesson, net, scaler.transform(x_test), y_test),
            "leak": accuracy(lesson, leak_net, leaky.transform(x_test), y_test),
            "test_left_raw": accuracy(lesson, net, x_test, y_test),
            "mean_shift_in_train_stds": float(np.mean(np.abs(leaky.mean_ - scaler.mean_) / scaler.scale_)),
            "minmax_test_outside_01": float(np.mean((minmax_test < 0) | (minmax_test > 1))),
        })
    return rows


# %% [markdown]
# ## Missing values (``004:6119-6122``)
#
# We remove 15% of the wine measurements, in the training and the test set alike, in
# two ways:
#
# * *at random*: every value is hidden with probability 0.15, whatever it is;
# * *informative*: a value above its feature's 75th percentile (in the training set) is
#   hidden with probability 0.6 (again about 15% overall), as when a lab leaves out
#   readings that are off the scale. Then the fact that a value is missing says something.
#
# and compare what is done about it. Every statistic comes from the training set:
#
# * *drop rows*: train only on the wines with no missing value (with 13 features and
#   15% missing, about ``0.85^13 = 12%`` of them); the test wines still need an answer,
#   so their gaps get the training mean;
# * *mean* and *median* imputation (scikit-learn's ``SimpleImputer``, checked against
#   the hand-written version);
# * *mean + indicator*: mean imputation plus one 0/1 column per feature saying "this was
#   missing" (26 inputs).
#
# Then standardisation and the Adam recipe; the reference is the same model on the
# complete data.

# %%
def hide(rng, x, how, high, rate=0.15):
    """A copy of ``x`` (n, d) with values set to NaN: each with probability ``rate`` ("random"), or
    ("informative") each above ``high`` (d,), the training 75th percentiles, with probability ``rate / 0.25``."""
    if how == "random":
        mask = rng.random(x.shape) < rate
    else:
        mask = (x > high) & (rng.random(x.shape) < rate / 0.25)
    return np.where(mask, np.nan, x)


def impute(x_train, x_test, method):
    """Fill the NaNs of both sets from training statistics; returns (train, kept-rows mask, test)."""
    keep = np.ones(len(x_train), dtype=bool)
    if method == "drop rows":
        keep = ~np.isnan(x_train).any(axis=1)
        fill = np.nanmean(x_train[keep], axis=0)
        return x_train[keep], keep, np.where(np.isnan(x_test), fill, x_test)
    fill = (np.nanmedian if method == "median" else np.nanmean)(x_train, axis=0)
    train, test = np.where(np.isnan(x_train), fill, x_train), np.where(np.isnan(x_test), fill, x_test)
    if method == "mean + indicator":
        train = np.hstack([train, np.isnan(x_train)])
        test = np.hstack([test, np.isnan(x_test)])
    return train, keep, test


IMPUTATIONS = ("complete", "drop rows", "mean", "median", "mean + indicator")


def imputation_runs(lesson, seeds, steps):
    results, sklearn_gap = {}, 0.0
    for seed in seeds:
        x_train, y_train, x_test, y_test = wine_split(seed)
        high = np.percentile(x_train, 75, axis=0)
        for how in ("random", "informative"):
            rng = lesson.rng(51, seed, how == "random")
            holey_train, holey_test = hide(rng, x_train, how, high), hide(rng, x_test, how, high)
            for method in IMPUTATIONS:
                if method == "complete":
                    train, keep, test = x_train, np.ones(len(x_train), dtype=bool), x_test
                else:
                    train, keep, test = impute(holey_train, holey_test, method)
                if method in ("mean", "median", "mean + indicator"):
                    imputer = SimpleImputer(strategy="median" if method == "median" else "mean",
                                            add_indicator=method == "mean + indicator").fit(holey_train)
                    sklearn_gap = max(sklearn_gap, float(np.abs(imputer.transform(holey_test) - test).max()))
                scale = fit_scaler("standardised", train)
                net, *_ = train_classifier(lesson, scale(train), y_train[keep], "adam", ADAM_RATE, steps, seed)
                results[seed, how, method] = {"test_accuracy": accuracy(lesson, net, scale(test), y_test),
                                              "rows_kept": int(keep.sum()),
                                              "missing_fraction": float(np.isnan(holey_train).mean())}
    lesson.check("E51: hand-written mean/median/indicator imputation equals SimpleImputer's", sklearn_gap < 1e-12,
                 f"largest difference {sklearn_gap:.1e}")
    return results


# %% [markdown]
# ## E51: the verdict
#
# **Rule, fixed before measuring.** The seed's statements, each with a bar:
#
# * feature 2 dominates the raw data: at least 99% of the squared distances are its;
#   after either scaling its share is between 40% and 60%;
# * the scalings do what they say: min-max gives exactly ``[0, 1]``, standardisation
#   mean 0 and std 1 (to 1e-12), the hand-written versions equal scikit-learn's;
# * preprocessing matters for the network (``004:6107``): with each optimizer, the mean
#   test accuracy on standardised and on min-max-scaled inputs beats raw inputs by at
#   least 0.02 (one test wine in 54), and standardised inputs reach 95% training accuracy
#   in fewer steps than raw ones;
# * preprocess the test set the same way (``004:6180``): feeding the test set raw to
#   the standardised model costs at least 0.2 of accuracy;
# * mean and median imputation are sound ways to fill gaps (``004:6120``): under both
#   kinds of missingness they stay within 0.05 of the complete-data accuracy.
#
# The leak gets measured, not ruled: the seed says what to do, not how much the leak
# costs.

# %%
def preprocessing_claim(lesson, seeds, steps):
    versions, measured, scatter_path = two_scale_data(lesson)
    runs = scaling_runs(lesson, seeds, steps)
    rows = train_statistics_runs(lesson, seeds, steps)
    holes = imputation_runs(lesson, seeds, steps)

    def mean_of(kind, optimizer, field):
        return float(np.mean([runs[s, kind, optimizer][field] for s in seeds]))

    for kind, name in zip(SCALINGS, ("raw", "minmax", "standardised")):
        for optimizer in ("sgd", "adam"):
            measured[f"{optimizer}_{name}_test_accuracy"] = mean_of(kind, optimizer, "test_accuracy")
            measured[f"{optimizer}_{name}_steps_to_95"] = mean_of(kind, optimizer, "steps")
        measured[f"sgd_{name}_best_lrs"] = [runs[s, kind, "sgd"]["lr"] for s in seeds]
    for optimizer in ("sgd", "adam"):
        for name in ("minmax", "standardised"):
            measured[f"{optimizer}_{name}_gain_over_raw"] = (measured[f"{optimizer}_{name}_test_accuracy"]
                                                             - measured[f"{optimizer}_raw_test_accuracy"])
        measured[f"{optimizer}_raw_minus_standardised_steps"] = (measured[f"{optimizer}_raw_steps_to_95"]
                                                                  - measured[f"{optimizer}_standardised_steps_to_95"])
    measured["steps_budget"] = steps
    for key in ("train_stats", "leak", "test_left_raw"):
        measured[f"accuracy_{key}"] = float(np.mean([row[key] for row in rows]))
    measured["leak_minus_train_stats"] = measured["accuracy_leak"] - measured["accuracy_train_stats"]
    measured["leak_largest_abs_difference"] = float(max(abs(r["leak"] - r["train_stats"]) for r in rows))
    measured["test_left_raw_drop"] = measured["accuracy_train_stats"] - measured["accuracy_test_left_raw"]
    measured["leak_mean_shift_in_train_stds"] = float(np.mean([r["mean_shift_in_train_stds"] for r in rows]))
    measured["minmax_test_values_outside_01"] = float(np.mean([r["minmax_test_outside_01"] for r in rows]))
    for how in ("random", "informative"):
        for method in IMPUTATIONS:
            key = f"{how}_{method.replace(' + ', '_').replace(' ', '_')}_accuracy"
            measured[key] = float(np.mean([holes[s, how, method]["test_accuracy"] for s in seeds]))
        for method in ("mean", "median"):
            measured[f"{how}_{method}_loss_vs_complete"] = (measured[f"{how}_complete_accuracy"]
                                                            - measured[f"{how}_{method}_accuracy"])
        measured[f"{how}_missing_fraction"] = float(np.mean([holes[s, how, "mean"]["missing_fraction"] for s in seeds]))
        measured[f"{how}_drop_rows_kept"] = float(np.mean([holes[s, how, "drop rows"]["rows_kept"] for s in seeds]))
    measured["seeds"] = len(seeds)

    figures = [scatter_path, _scaling_figure(lesson, runs, seeds, measured),
               _train_statistics_figure(lesson, rows, measured), _imputation_figure(lesson, holes, seeds)]
    lesson.claim(
        id="E51", seed_ref="004:6106-6182",
        claim="A feature on a large scale (here N(1500, 200^2) next to N(5, 2^2)) dominates the data "
              "until the features are scaled; min-max scaling puts each in [0, 1] and standardisation "
              "gives mean 0 and std 1, which networks need to train well; the test set must be scaled the "
              "same way, with the training set's statistics; gaps can be filled with the mean or median "
              "(or flagged with an indicator).",
        measured=measured,
        rule=all_of(at_least("f2_distance_share_raw", 0.99),
                    above("f2_distance_share_minmax", 0.4), below("f2_distance_share_minmax", 0.6),
                    above("f2_distance_share_standardised", 0.4), below("f2_distance_share_standardised", 0.6),
                    close("minmax_min", 0.0, 1e-12), close("minmax_max", 1.0, 1e-12),
                    at_most("sklearn_max_abs_diff", 1e-12), at_most("standardised_max_abs_mean", 1e-12),
                    at_most("standardised_max_abs_std_minus_1", 1e-12),
                    *(at_least(f"{o}_{n}_gain_over_raw", 0.02) for o in ("sgd", "adam")
                      for n in ("minmax", "standardised")),
                    above("sgd_raw_minus_standardised_steps", 0), above("adam_raw_minus_standardised_steps", 0),
                    at_least("test_left_raw_drop", 0.2),
                    *(at_most(f"{h}_{m}_loss_vs_complete", 0.05) for h in ("random", "informative")
                      for m in ("mean", "median"))),
        correction=f"Min-max scaling equalises ranges, not spreads: feature 1's range spans "
                   f"{measured['f1_range_in_stds']:.1f} of its standard deviations and feature 2's "
                   f"{measured['f2_range_in_stds']:.1f}, so after min-max feature 2 still carries "
                   f"{measured['f2_distance_share_minmax']:.1%} of the squared distances; standardisation "
                   f"gives exactly {measured['f2_distance_share_standardised']:.0%}. The leak (scaler fitted "
                   f"on train + test) moved the test accuracy by {measured['leak_minus_train_stats']:+.3f} on "
                   "these identically drawn wines: the training-statistics rule keeps the estimate honest "
                   "rather than buying accuracy. Dropping incomplete rows (not in the seed's list) keeps "
                   f"{measured['random_drop_rows_kept']:.0f} of 124 training wines and scores "
                   f"{measured['random_drop_rows_accuracy']:.3f} (random gaps) and "
                   f"{measured['informative_drop_rows_accuracy']:.3f} (informative gaps), against "
                   f"{measured['random_mean_accuracy']:.3f} and {measured['informative_mean_accuracy']:.3f} for "
                   "mean imputation; with informative gaps the missing indicator scores "
                   f"{measured['informative_mean_indicator_accuracy']:.3f}.",
        figures=figures)


def _scaling_figure(lesson, runs, seeds, measured):
    fig = new_figure(16.0, 4.8)
    ax_acc, ax_steps, ax_loss = fig.subplots(1, 3)
    names = ("raw", "minmax", "standardised")
    width = 0.38
    for i, optimizer in enumerate(("sgd", "adam")):
        offset = (i - 0.5) * width
        acc = [measured[f"{optimizer}_{n}_test_accuracy"] for n in names]
        steps = [measured[f"{optimizer}_{n}_steps_to_95"] for n in names]
        hatch = "" if optimizer == "sgd" else "//"
        for ax, values in ((ax_acc, acc), (ax_steps, steps)):
            ax.bar(np.arange(3) + offset, values, width, color=[COLORS[k] for k in SCALINGS], hatch=hatch,
                   edgecolor="white")
        for x, a, s in zip(np.arange(3) + offset, acc, steps):
            ax_acc.text(x, 0.04, f"{a:.2f}", ha="center", color="white", fontweight="bold")
            ax_steps.text(x, s + 4, f"{s:.0f}", ha="center", fontsize=9)
        for j, kind in enumerate(SCALINGS):
            ax_acc.scatter(np.full(len(seeds), j + offset), [runs[s, kind, optimizer]["test_accuracy"] for s in seeds],
                           color="orange", edgecolor="black", s=14, zorder=3)
    handles = [Patch(facecolor="gray", label="gradient descent, best lr"),
               Patch(facecolor="gray", hatch="//", edgecolor="white", label=f"Adam, lr {ADAM_RATE:g}")]
    ax_acc.set_ylim(0, 1.25); ax_acc.set_ylabel("test accuracy (bars: mean; dots: splits)")
    ax_acc.set_title(f"Wine, 13 -> 16 -> 3 MLP: test accuracy ({len(seeds)} splits)")
    ax_acc.legend(handles=handles, fontsize=8, loc="upper center", ncol=2)
    budget = measured["steps_budget"]
    ax_steps.axhline(budget, color="gray", ls="--", lw=1)
    ax_steps.text(2.45, budget + 6, "step budget (= never reached)", ha="right", fontsize=8, color="gray")
    ax_steps.set_ylim(0, budget * 1.3); ax_steps.set_ylabel("steps until 95% training accuracy (mean)")
    ax_steps.set_title("Steps to converge")
    ax_steps.legend(handles=handles, fontsize=8, loc="upper right")
    for ax in (ax_acc, ax_steps):
        ax.set_xticks(range(3), SCALINGS); ax.grid(alpha=0.3, axis="y")
    for kind in SCALINGS:
        for optimizer, style in (("sgd", "-"), ("adam", "--")):
            ax_loss.plot(runs[seeds[0], kind, optimizer]["losses"], style, color=COLORS[kind], lw=1.6,
                         label=f"{kind}, {'GD' if optimizer == 'sgd' else 'Adam'}")
    ax_loss.set_yscale("log"); ax_loss.set_ylim(1e-3, 30)
    ax_loss.set_xlabel("full-batch step"); ax_loss.set_ylabel("training cross-entropy")
    ax_loss.set_title(f"Training loss, split {seeds[0]}"); ax_loss.grid(alpha=0.3); ax_loss.legend(fontsize=8, ncol=2)
    return lesson.figure("wine-scaling", fig)


def _train_statistics_figure(lesson, rows, measured):
    fig = new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    keys = ("train_stats", "leak", "test_left_raw")
    labels = ("scaler fitted on train\n(the seed's rule)", "scaler fitted on train + test\n(leak)",
              "model on scaled inputs,\ntest fed raw")
    values = [measured[f"accuracy_{k}"] for k in keys]
    ax.bar(range(3), values, color=["#132440", "#3B9797", "#BF092F"])
    for i, k in enumerate(keys):
        ax.scatter(np.full(len(rows), i), [r[k] for r in rows], color="orange", edgecolor="black", s=14, zorder=3)
        ax.text(i, 0.04, f"{values[i]:.3f}", ha="center", color="white", fontweight="bold")
    ax.set_xticks(range(3), labels, fontsize=9); ax.set_ylim(0, 1.12)
    ax.set_ylabel("test accuracy (bars: mean; dots: splits)")
    ax.set_title("Standardised wine, Adam: which statistics for the test set?")
    ax.grid(alpha=0.3, axis="y")
    return lesson.figure("train-statistics", fig)


def _imputation_figure(lesson, holes, seeds):
    fig = new_figure(11.0, 4.6)
    ax = fig.add_subplot()
    colors = ["#999999", "#BF092F", "#3B9797", "#16476A", "#132440"]
    width = 0.16
    for j, (method, color) in enumerate(zip(IMPUTATIONS, colors)):
        for i, how in enumerate(("random", "informative")):
            values = [holes[s, how, method]["test_accuracy"] for s in seeds]
            x = i + (j - 2) * width
            ax.bar(x, np.mean(values), width, color=color, label=method if i == 0 else None)
            ax.scatter(np.full(len(values), x), values, color="orange", edgecolor="black", s=10, zorder=3)
            ax.text(x, 0.04, f"{np.mean(values):.2f}", ha="center", fontsize=8, color="white", fontweight="bold")
    kept = {how: np.mean([holes[s, how, "drop rows"]["rows_kept"] for s in seeds]) for how in ("random", "informative")}
    ax.set_xticks([0, 1], [f"15% hidden at random\n(dropping rows keeps {kept['random']:.0f} of 124 training wines)",
                           "15% hidden, mostly large values (informative)\n"
                           f"(dropping rows keeps {kept['informative']:.0f} of 124 training wines)"])
    ax.set_ylim(0, 1.22); ax.set_ylabel("test accuracy (bars: mean; dots: splits)")
    ax.set_title("Wine with missing values: what to do about the gaps")
    ax.legend(fontsize=8, loc="upper center", ncol=5); ax.grid(alpha=0.3, axis="y")
    return lesson.figure("imputation", fig)


# %%
def run(lesson):
    seeds = tuple(range(lesson.pick(5, 2)))
    preprocessing_claim(lesson, seeds, steps=lesson.pick(300, 200))


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("preprocessing")
