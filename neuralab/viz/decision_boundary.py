"""What a classifier of 2-D points decides everywhere in the plane, with the data on top.

Two classes: the background is the probability of class 1, from a pale tint of class 0's
colour through white (p = 0.5) to a pale tint of class 1's, with the p = 0.5 contour drawn
as the decision boundary. More classes: each region takes a tint of its argmax class's
colour, paler where the model is less sure, with the boundaries between regions drawn (the
legend names the colours). Training points are small dots, test points larger circles with
a black edge, and misclassified test points are crossed out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.lines import Line2D

from neuralab.viz.style import new_figure, save_png

# tab10's first colours: blue and orange for a binary problem, as in most textbook plots
CLASS_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf")


def grid_limits(*point_sets: np.ndarray, margin: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((x_low, x_high), (y_low, y_high))`` holding every point with ``margin`` of each span around it."""
    points = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in point_sets])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = margin * np.where(high > low, high - low, 1.0)
    return (float(low[0] - pad[0]), float(high[0] + pad[0])), (float(low[1] - pad[1]), float(high[1] + pad[1]))


def probability_grid(predict_proba: Callable[[np.ndarray], np.ndarray], x_limits, y_limits,
                     resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xx, yy`` of shape ``(R, R)`` and the class probabilities ``(R, R, C)`` there."""
    xx, yy = np.meshgrid(np.linspace(*x_limits, resolution), np.linspace(*y_limits, resolution))
    points = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)
    probabilities = np.asarray(predict_proba(points), dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) != len(points):
        raise ValueError(f"predict_proba must map (M, 2) points to (M, C) probabilities; got shape {probabilities.shape}")
    return xx, yy, probabilities.reshape(resolution, resolution, -1)


def _pale(color: str, amount: float) -> np.ndarray:
    """``color`` mixed with white: ``amount`` 0 is white, 1 the colour itself."""
    return 1.0 - amount * (1.0 - np.asarray(to_rgb(color)))


def plot_decision_boundary(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    train: tuple[np.ndarray, np.ndarray],
    path: str | os.PathLike,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    class_names: Sequence[str] | None = None,
    resolution: int = 200,
    title: str | None = None,
    max_points: int = 2000,
) -> Path:
    """Regions of the plane by predicted class, the training and test points coloured by their class.

    ``predict_proba(points float32 (M, 2)) -> (M, C)`` probabilities (softmax of the logits);
    ``train`` and ``test`` are ``(x (N, 2), y (N,))``. The grid covers every point shown with a
    margin. Returns the path.
    """
    train_x, train_y = np.asarray(train[0])[:max_points], np.asarray(train[1])[:max_points].astype(np.int64)
    sets = [(train_x, train_y)]
    if test is not None:
        sets.append((np.asarray(test[0])[:max_points], np.asarray(test[1])[:max_points].astype(np.int64)))
    for x, _ in sets:
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"plot_decision_boundary needs 2-D points (N, 2); got shape {x.shape}")
    x_limits, y_limits = grid_limits(*(x for x, _ in sets))
    xx, yy, probabilities = probability_grid(predict_proba, x_limits, y_limits, resolution)
    num_classes = probabilities.shape[-1]
    labels = max(int(max(y.max(initial=0) for _, y in sets)) + 1, num_classes)
    if labels > len(CLASS_COLORS):
        raise ValueError(f"plot_decision_boundary colours at most {len(CLASS_COLORS)} classes; got {labels}")
    names = list(class_names) if class_names is not None else [str(c) for c in range(labels)]
    colors = CLASS_COLORS[:labels]

    figure = new_figure(6.6, 6.4)
    ax = figure.subplots()
    if num_classes == 2:
        cmap = LinearSegmentedColormap.from_list("classes", [_pale(colors[0], 0.45), (1, 1, 1), _pale(colors[1], 0.45)])
        surface = ax.contourf(xx, yy, probabilities[..., 1], levels=np.linspace(0, 1, 21), cmap=cmap, vmin=0, vmax=1)
        bar = figure.colorbar(surface, ax=ax, ticks=[0, 0.25, 0.5, 0.75, 1], shrink=0.8)
        bar.set_label(f"p({names[1]})")
        ax.contour(xx, yy, probabilities[..., 1], levels=[0.5], colors="black", linewidths=1.5)
        boundary = "p = 0.5"
    else:
        winner = probabilities.argmax(axis=-1)
        confidence = probabilities.max(axis=-1)  # from 1/C (a tie) to 1
        strength = 0.1 + 0.35 * (confidence - 1 / num_classes) / (1 - 1 / num_classes)
        base = np.array([to_rgb(c) for c in colors[:num_classes]])[winner]
        image = 1.0 - strength[..., None] * (1.0 - base)
        ax.imshow(image, origin="lower", extent=(*x_limits, *y_limits), aspect="auto", interpolation="bilinear")
        ax.contour(xx, yy, winner, levels=np.arange(num_classes) + 0.5, colors="black", linewidths=1.0)
        boundary = "class boundaries"

    point_colors = np.array(colors)
    ax.scatter(train_x[:, 0], train_x[:, 1], s=9, c=point_colors[train_y], edgecolors="white", linewidths=0.3, alpha=0.8)
    handles = [Line2D([], [], ls="", marker="o", ms=4, mfc="grey", mec="white", label=f"train ({len(train_x)})")]
    if test is not None:
        test_x, test_y = sets[1]
        ax.scatter(test_x[:, 0], test_x[:, 1], s=28, c=point_colors[test_y], edgecolors="black", linewidths=0.8)
        predicted = np.asarray(predict_proba(test_x.astype(np.float32))).argmax(axis=1)
        wrong = predicted != test_y
        if wrong.any():
            ax.scatter(test_x[wrong, 0], test_x[wrong, 1], s=70, marker="x", c="black", linewidths=1.6)
        accuracy = 1.0 - wrong.mean() if len(test_y) else float("nan")
        handles.append(Line2D([], [], ls="", marker="o", ms=6, mfc="grey", mec="black",
                              label=f"test ({len(test_x)}, accuracy {accuracy:.3f})"))
        handles.append(Line2D([], [], ls="", marker="x", ms=7, mec="black", mew=1.6, label=f"misclassified ({int(wrong.sum())})"))
    handles += [Line2D([], [], ls="", marker="s", ms=7, mfc=c, mec="none", label=name) for c, name in zip(colors, names)]
    handles.append(Line2D([], [], color="black", lw=1.5, label=boundary))
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=8, frameon=False)
    ax.set_xlim(x_limits)
    ax.set_ylim(y_limits)
    ax.set_aspect("equal")
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(title or "Decision boundary")
    return save_png(figure, path)
