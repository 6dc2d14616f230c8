"""The seed's figures (inventory section 6), each drawn by some lesson from measured data.

``004`` draws 58 figures (V1-V58, one per ``plt.show()``); the curriculum also needs a
confusion matrix (``003:178`` lists it as a metric; no seed draws one). A lesson names the
figure type it provides with ``lesson.figure(name, fig, shows="V13")``; the report and
``curriculum-map.md`` list every type with the lesson figures that show it, and the tests
require each type to be shown, or to have its reason in :data:`NOT_DRAWN`.
"""

from __future__ import annotations

# id -> what the seed's figure shows, in our words (inventory section 6 gives the lines).
SEED_FIGURES = {
    "V1": "circles data and a linear model's decision regions (004:150-176)",
    "V2": "the curse of dimensionality: pairwise distances against dimension (004:260-269)",
    "V3": "a neuron's diagram and its sigmoid response (004:327-367)",
    "V4": "how weight and bias move a sigmoid (004:393-418)",
    "V5": "the activation functions' curves (004:461-512)",
    "V6": "a network's architecture diagram (004:574-621)",
    "V7": "squared error and cross-entropy against the prediction (004:794-823)",
    "V8": "gradient-descent paths on a quadratic for several learning rates (004:869-902)",
    "V9": "the first XOR network: its loss and decision boundary (004:1042-1068)",
    "V10": "optimiser paths on the Rosenbrock valley (004:1148-1189)",
    "V11": "XOR is not linearly separable: points and failing lines (004:1228-1252)",
    "V12": "XOR training progress: loss and outputs at chosen epochs (004:1449-1482)",
    "V13": "a decision boundary three ways: heat map, regions, 3-D surface (004:1538-1596)",
    "V14": "each hidden neuron's activation over the plane (004:1604-1625)",
    "V15": "a convolution finding vertical and horizontal edges (004:1765-1777)",
    "V16": "a zoo of hand-made kernels on one image (004:2227-2240)",
    "V17": "what stride and padding do to the output grid (004:2268-2296)",
    "V18": "max against average pooling (004:2369-2388)",
    "V19": "samples of the circles-and-squares shape data (004:2574-2585)",
    "V20": "a CNN's training loss and test accuracy (004:2712-2726)",
    "V21": "a CNN's learned filters (004:2732-2747)",
    "V22": "a CNN's predictions on test images, right in green, wrong in red (004:2749-2766)",
    "V23": "a character RNN's training loss (004:3094-3101)",
    "V24": "gradient flow through time in three regimes (004:3192-3215)",
    "V25": "the vanishing gradient against sequence length (004:3257-3267)",
    "V26": "an autoencoder's compression: data, latent codes, reconstructions (004:3516-3539)",
    "V27": "an autoencoder's training loss (004:3681-3688)",
    "V28": "an autoencoder's results: reconstructions, errors, latents (004:3699-3745)",
    "V29": "clean against noisy patterns (004:3826-3838)",
    "V30": "a denoising autoencoder's training loss (004:3876-3883)",
    "V31": "denoising: clean, noisy input, denoised output (004:3892-3911)",
    "V32": "a VAE's latent space: prior against posterior samples (004:4047-4072)",
    "V33": "saturating against non-saturating generator loss and gradient (004:4339-4368)",
    "V34": "GAN training dynamics: generator quality and discriminator accuracy (004:4411-4431)",
    "V35": "the real ring data (004:4592-4600)",
    "V36": "GAN results: losses, real data, generated samples, overlay (004:4675-4718)",
    "V37": "mode collapse against healthy coverage of four modes (004:4774-4797)",
    "V38": "attention weights as bars for chosen words (004:4953-4969)",
    "V39": "a self-attention heat map with words on the axes (004:5186-5201)",
    "V40": "multi-head attention: one heat map per head (004:5308-5323)",
    "V41": "sinusoidal positional encodings (004:5376-5392)",
    "V42": "transformer model sizes (004:5609-5623)",
    "V43": "dropout: activations, mask, result (004:5716-5736)",
    "V44": "L2 weight decay on a single weight (004:5826-5837)",
    "V45": "L2's effect on many weights' trajectories (004:5857-5889)",
    "V46": "early stopping: train and validation loss, best and stop epochs (004:5971-5988)",
    "V47": "learning rate's impact: slow, good, oscillating, diverging (004:6036-6079)",
    "V48": "preprocessing: raw, min-max, standardised (004:6144-6159)",
    "V49": "batch normalisation: distributions before and after (004:6289-6317)",
    "V50": "a batch-norm layer's effect on two batches and per-feature means (004:6397-6429)",
    "V51": "training-problem diagnostics: healthy, overfit, underfit, exploding (004:6499-6518)",
    "V52": "image classification: predictions with confidences (004:6609-6628)",
    "V53": "sentiment scores per review (004:6713-6733)",
    "V54": "a time-series forecast and its errors (004:6784-6809)",
    "V55": "a recommender: the rating matrix and predictions for one user (004:6899-6938)",
    "V56": "molecule property predictions against a threshold (004:7017-7040)",
    "V57": "the number of books per reading level (004:7250-7262)",
    "V58": "a learner's skill progression curves (004:7406-7425)",
    "CM": "a confusion matrix (003:178 lists the metric; no seed draws it)",
}

# Figure types no lesson draws, and why. Empty: V57 is drawn from the seed's own reading list
# and V58, whose curves are formulas with no data behind them, as its measured network version.
NOT_DRAWN: dict[str, str] = {}


def check_ids(ids) -> tuple[str, ...]:
    """The figure-type ids ``ids`` (one id or several), each checked against the catalogue."""
    ids = (ids,) if isinstance(ids, str) else tuple(ids)
    unknown = [i for i in ids if i not in SEED_FIGURES]
    if unknown:
        raise ValueError(f"unknown seed figure ids {unknown}: expected ids of seed_figures.SEED_FIGURES (V1-V58, CM)")
    drawn_elsewhere = [i for i in ids if i in NOT_DRAWN]
    if drawn_elsewhere:
        raise ValueError(f"{drawn_elsewhere} are listed in NOT_DRAWN; remove them there first")
    return ids


def coverage(records) -> dict[str, list[str]]:
    """Figure-type id -> the ``LESSON/figures/NAME.png`` paths that show it, over ``records``."""
    found: dict[str, list[str]] = {key: [] for key in SEED_FIGURES}
    for record in records:
        for path, ids in record.get("shows", {}).items():
            for key in ids:
                found[key].append(f"{record['name']}/{path}")
    return found
