"""GAN training curves: both losses, and the discriminator's mean verdicts D(x), D(G(z))."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure, save_png


def plot_gan_history(rows: Sequence[Mapping[str, float]], path: str | os.PathLike, score_label: str = "D",
                     title: str | None = None) -> Path:
    """Per-epoch ``d_loss``/``g_loss`` (left) and ``d_real``/``d_fake`` (right) as a PNG.

    ``d_real``/``d_fake`` are the mean sigmoid outputs D(x), D(G(z)) for a standard GAN
    (both tend to 0.5 at equilibrium) or the mean critic scores for a WGAN.
    """
    epochs = [row["epoch"] for row in rows]
    figure = new_figure(10.0, 4.0)
    left, right = figure.subplots(1, 2)
    left.plot(epochs, [row["d_loss"] for row in rows], color=TRAIN_COLOR, label=f"{score_label} loss")
    left.plot(epochs, [row["g_loss"] for row in rows], color=VAL_COLOR, label="G loss")
    left.set_title("losses per epoch")
    right.plot(epochs, [row["d_real"] for row in rows], color=TRAIN_COLOR, label=f"{score_label}(x), real")
    right.plot(epochs, [row["d_fake"] for row in rows], color=VAL_COLOR, label=f"{score_label}(G(z)), generated")
    if score_label == "D":
        right.axhline(0.5, color="gray", linestyle="--", linewidth=1)
    right.set_title("mean discriminator output")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
