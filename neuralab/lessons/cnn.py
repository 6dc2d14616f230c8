"""A CNN tells circles from squares: which layers learn, and which init is which.

Follows ``004:2405-2801`` (the seed's ``ConvLayer``, ``MaxPoolLayer``, shape data set,
``SimpleCNN`` and its figures): inventory E24, D8 and D9.
"""

# %% [markdown]
# # A CNN tells circles from squares
#
# The seed builds a convolution layer and a max-pooling layer in NumPy
# (``004:2405-2503``), makes a small data set of noisy circles and squares
# (``004:2532-2572``) and trains ``SimpleCNN`` on it (``004:2575-2728``):
#
#     (1, 16, 16) -> Conv 8 @ 3x3 -> ReLU -> MaxPool 2x2 -> (8, 7, 7) -> Flatten 392 -> Dense 1 -> sigmoid
#
# with binary cross-entropy, 50 epochs, batches of 16 and learning rate 0.05. It then
# says the CNN learned the task and shows its "learned" filters. But its ``train_step``
# (``004:2665-2684``) updates only the dense head: the gradient never reaches the
# convolution, so the filters stay at their random start and the convolution is a
# random feature extractor. Here we
#
# * write the seed's network again in vectorised NumPy, with the backward pass the seed
#   left out (its ``ConvLayer.backward`` re-done, with its bugs fixed, and the max-pool
#   backward it never wrote), and check every gradient against the engine's autograd;
# * train it as the seed does (head only) and end to end on the engine, from the same
#   start and on the same batches, over several seeds (E24);
# * measure how far the filters move in each case (D8);
# * measure what the seed's "Xavier" initialisation really is (D9).

# %%
import copy

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from neuralab.lessons.claims import above, all_of, at_least, close
from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure

ABOUT = {
    "title": "A CNN tells circles from squares",
    "part": "II. Architectures",
    "section": "004:2405-2801",
    "claims": ("E24", "D8", "D9"),
    "seconds": 20,
    "engines": ("scratch", "torch"),
}

IMG_SIZE = 16
NUM_FILTERS, FILTER_SIZE = 8, 3
EPOCHS, BATCH_SIZE, LEARNING_RATE = 50, 16, 0.05    # 004:2688-2701
LONGER = 500                                         # the seed's head-only training, continued
TRAIN_SIZE, TEST_SIZE = 160, 40                      # 004:2571-2572
CLASSES = ("Circle", "Square")


# %% [markdown]
# ## The data: noisy circles and squares (``004:2532-2572``)
#
# A circle is centred at (8, 8) with radius 3 or 4 (``randint(3, 16 // 3)``); a square
# has side 6 or 7 (``randint(6, 16 // 2)``) and its top-left corner on the diagonal,
# at ``randint(2, 16 - side - 2)``. Every image gets Gaussian noise with sigma 0.1. The
# seed draws pixel by pixel in loops; we draw all images at once from one seeded
# generator, with the same distributions. Label 0 is a circle, 1 a square.

# %%
def shape_dataset(rng, num_samples, img_size=IMG_SIZE):
    """Noisy circles (label 0) and squares (label 1), shuffled.

    Returns ``X (num_samples, 1, img_size, img_size)`` and ``y (num_samples,)`` with
    ``num_samples // 2`` of each class.
    """
    half = num_samples // 2
    rows, cols = np.mgrid[:img_size, :img_size]
    centre = img_size // 2
    radius = rng.integers(3, img_size // 3, size=half)                         # high end excluded, as randint
    circles = ((rows - centre) ** 2 + (cols - centre) ** 2 <= radius[:, None, None] ** 2)
    side = rng.integers(6, img_size // 2, size=half)
    corner = rng.integers(2, img_size - side - 2)                              # one draw per square
    inside = lambda grid: (grid >= corner[:, None, None]) & (grid < (corner + side)[:, None, None])
    squares = inside(rows) & inside(cols)
    X = np.stack([circles, squares], axis=1).reshape(2 * half, img_size, img_size).astype(float)
    X += 0.1 * rng.standard_normal(X.shape)
    y = np.tile([0, 1], half)                                                  # circle, square, circle, ...
    order = rng.permutation(len(y))
    return X[order, None], y[order]


def shape_data(lesson, seed):
    """The seed's split: 160 training and 40 test images (``004:2571-2572``)."""
    rng = lesson.rng(1, seed)
    X_train, y_train = shape_dataset(rng, TRAIN_SIZE)
    X_test, y_test = shape_dataset(rng, TEST_SIZE)
    return X_train, y_train, X_test, y_test


def show_samples(lesson, X, y):
    """Five circles over five squares (the seed's figure at ``004:2574-2585``)."""
    fig = new_figure(9.0, 4.0)
    axes = fig.subplots(2, 5)
    for label, row in enumerate(axes):
        for ax, image in zip(row, X[y == label][:5, 0]):
            ax.imshow(image, cmap="gray")
            ax.set_title(CLASSES[label])
            ax.axis("off")
    fig.suptitle("The seed's shape data: noisy 16x16 circles and squares")
    return lesson.figure("shape-samples", fig, shows="V19")


# %% [markdown]
# ## The seed's network in NumPy, with the backward it left out
#
# Convolution (stride 1, no padding), for input ``X (B, C, H, W)`` and filters
# ``W (F, C, k, k)``:
#
#     out[b, f, i, j] = sum_{c, p, q} X[b, c, i + p, j + q] W[f, c, p, q] + bias[f]
#
# so for an upstream gradient ``G = dL/d out`` of shape ``(B, F, H - k + 1, W - k + 1)``
#
#     dL/dW[f, c, p, q] = sum_{b, i, j} G[b, f, i, j] X[b, c, i + p, j + q]
#     dL/dbias[f]       = sum_{b, i, j} G[b, f, i, j]
#     dL/dX[b, c, i + p, j + q] += sum_f G[b, f, i, j] W[f, c, p, q]
#
# That is what the seed's ``ConvLayer.backward`` (``004:2445-2476``) computes in four
# nested loops, but with two bugs, fixed here:
#
# * **double averaging**: it divides the filter and bias gradients by the batch size
#   (``004:2470-2472``) but not the input gradient, so the two disagree by a factor
#   ``B`` whatever the loss. With the upstream gradient of a mean loss, which already
#   carries the ``1/B`` (``SimpleCNN`` makes ``(output - y) / batch_size``, ``004:2677``),
#   the filter gradient comes out ``B`` times too small.
# * **update inside backward**: it changes the filters before returning
#   (``004:2473-2475``), so its gradients can be neither checked nor handed to an
#   optimiser. Here ``conv_backward`` only returns gradients.
#
# ``MaxPoolLayer`` (``004:2477-2503``) allocates ``max_indices`` "for backward" but never
# fills it and has no backward; ``maxpool_forward`` records the winner of each 2x2
# window and ``maxpool_backward`` routes the gradient to it alone.

# %%
def conv_forward(X, W, bias):
    """Valid, stride-1 convolution: ``X (B, C, H, W)``, ``W (F, C, k, k)`` -> ``(B, F, H-k+1, W-k+1)``."""
    k = W.shape[-1]
    regions = sliding_window_view(X, (k, k), axis=(2, 3))                     # (B, C, H', W', k, k)
    return np.einsum("bcijpq,fcpq->bfij", regions, W, optimize=True) + bias[None, :, None, None]


def conv_backward(X, W, grad_out):
    """Gradients of a valid convolution: ``(dL/dX, dL/dW, dL/dbias)`` for ``grad_out = dL/d out``.

    No averaging (``grad_out`` already holds the loss's ``1/B``) and no update.
    """
    k = W.shape[-1]
    out_h, out_w = grad_out.shape[2:]
    regions = sliding_window_view(X, (k, k), axis=(2, 3))
    grad_W = np.einsum("bfij,bcijpq->fcpq", grad_out, regions, optimize=True)
    grad_bias = grad_out.sum(axis=(0, 2, 3))
    grad_X = np.zeros_like(X)
    for p in range(k):            # each filter tap (p, q) sends G back to the pixels it read
        for q in range(k):
            grad_X[:, :, p:p + out_h, q:q + out_w] += np.einsum("bfij,fc->bcij", grad_out, W[:, :, p, q],
                                                                  optimize=True)
    return grad_X, grad_W, grad_bias


def maxpool_forward(A, size=2):
    """Max over ``size x size`` windows: ``A (B, F, H, W)`` -> ``(out (B, F, H//size, W//size), winners)``."""
    B, F, H, W = A.shape
    h, w = H // size, W // size
    windows = (A[:, :, :h * size, :w * size].reshape(B, F, h, size, w, size)
               .transpose(0, 1, 2, 4, 3, 5).reshape(B, F, h, w, size * size))
    winners = windows.argmax(axis=-1)                                          # the seed's max_indices
    return np.take_along_axis(windows, winners[..., None], axis=-1)[..., 0], winners


def maxpool_backward(grad_out, winners, input_shape, size=2):
    """Route ``grad_out (B, F, h, w)`` to the winning pixel of each window; zeros elsewhere."""
    B, F, h, w = grad_out.shape
    grad_windows = np.zeros((B, F, h, w, size * size))
    np.put_along_axis(grad_windows, winners[..., None], grad_out[..., None], axis=-1)
    grad_A = np.zeros(input_shape)
    grad_A[:, :, :h * size, :w * size] = (grad_windows.reshape(B, F, h, w, size, size)
                                          .transpose(0, 1, 2, 4, 3, 5).reshape(B, F, h * size, w * size))
    return grad_A


class SimpleCNN:
    """The seed's ``SimpleCNN`` (``004:2575-2684``), vectorised, with a full backward.

    Conv 8 @ 3x3 -> ReLU -> MaxPool 2x2 -> Flatten 392 -> Dense 1 -> sigmoid. Filters
    start as ``randn * 0.1``, the dense weights as ``randn * 0.01``, biases at zero.
    """

    def __init__(self, rng, img_size=IMG_SIZE, num_filters=NUM_FILTERS, filter_size=FILTER_SIZE):
        pooled = (img_size - filter_size + 1) // 2                             # 14 // 2 = 7
        self.filters = rng.standard_normal((num_filters, 1, filter_size, filter_size)) * 0.1
        self.conv_bias = np.zeros(num_filters)
        self.fc_weights = rng.standard_normal((num_filters * pooled * pooled, 1)) * 0.01
        self.fc_bias = np.zeros(1)

    def features(self, X):
        """Conv -> ReLU -> max pool -> flatten: ``(B, 392)``; keeps what backward needs."""
        self.X = X
        self.conv_out = conv_forward(X, self.filters, self.conv_bias)
        self.relu_out = np.maximum(self.conv_out, 0.0)
        self.pool_out, self.winners = maxpool_forward(self.relu_out)
        self.flatten = self.pool_out.reshape(len(X), -1)
        return self.flatten

    def head(self, features):
        """Dense -> sigmoid: probabilities ``(B, 1)``."""
        return 1.0 / (1.0 + np.exp(-np.clip(features @ self.fc_weights + self.fc_bias, -500, 500)))

    def forward(self, X):
        return self.head(self.features(X))

    def predict(self, X):
        return (self.forward(X) > 0.5).astype(int)[:, 0]

    @staticmethod
    def loss(y, probs):
        """Mean binary cross-entropy with the seed's clip to ``[1e-7, 1 - 1e-7]``."""
        p = np.clip(probs[:, 0], 1e-7, 1 - 1e-7)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    def head_gradients(self, features, y, probs):
        """``dL/d logits`` and the dense layer's gradients (sigmoid + BCE: ``(p - y) / B``, ``004:2677``)."""
        grad_logits = (probs - y[:, None]) / len(y)
        return grad_logits, {"fc_weights": features.T @ grad_logits, "fc_bias": grad_logits.sum(axis=0)}

    def backward(self, y, probs):
        """All gradients of the mean BCE for the batch of the last forward: the four parameters' and the input's."""
        grad_logits, grads = self.head_gradients(self.flatten, y, probs)
        grad_pool = (grad_logits @ self.fc_weights.T).reshape(self.pool_out.shape)
        grad_relu = maxpool_backward(grad_pool, self.winners, self.relu_out.shape)
        grad_conv = grad_relu * (self.conv_out > 0)
        grads["input"], grads["filters"], grads["conv_bias"] = conv_backward(self.X, self.filters, grad_conv)
        return grads

    def head_step(self, features, y, learning_rate):
        """The update of the seed's ``train_step`` (``004:2665-2684``): only the head's gradient, only the head moves."""
        probs = self.head(features)
        _, grads = self.head_gradients(features, y, probs)
        self.fc_weights -= learning_rate * grads["fc_weights"]
        self.fc_bias -= learning_rate * grads["fc_bias"]
        return self.loss(y, probs)

    def train_step(self, X, y, learning_rate):
        """The seed's ``train_step``: forward, then ``head_step``; the filters are never touched."""
        return self.head_step(self.features(X), y, learning_rate)


# %% [markdown]
# ## The same network on the engine, and a gradient check
#
# ``engine_cnn`` builds ``nn.Conv2d -> ReLU -> nn.MaxPool2d -> Flatten -> nn.Linear``
# holding a ``SimpleCNN``'s weights (the dense weight transposed: the engine stores
# ``(out, in)``). In float64, on a batch of training images, the hand-derived
# gradients of all four parameters, and of the input (the fixed ``ConvLayer.backward``
# returns it), must equal autograd's.

# %%
def engine_cnn(T, numpy_cnn, dtype):
    """An engine copy of ``numpy_cnn`` (473 parameters) in ``dtype``."""
    net = T.nn.Sequential(T.nn.Conv2d(1, NUM_FILTERS, FILTER_SIZE), T.nn.ReLU(), T.nn.MaxPool2d(2),
                          T.nn.Flatten(), T.nn.Linear(numpy_cnn.fc_weights.shape[0], 1)).to(dtype)
    with T.no_grad():
        for param, value in zip(net.parameters(), (numpy_cnn.filters, numpy_cnn.conv_bias,
                                                   numpy_cnn.fc_weights.T, numpy_cnn.fc_bias)):
            param.copy_(T.tensor(value, dtype=dtype))
    return net


def engine_loss(T, net, X, y):
    """Mean BCE of the engine net on NumPy ``X``, ``y`` (logits through the stable BCE, in float32)."""
    logits = net(T.tensor(X, dtype=T.float32))[:, 0]
    return T.nn.functional.binary_cross_entropy_with_logits(logits, T.tensor(y, dtype=T.float32))


def check_gradients(lesson, X, y):
    T = lesson.T
    cnn = SimpleCNN(lesson.rng(2))
    cnn.fc_weights *= 100       # a head of size ~1, so the conv gradients are not tiny
    grads = cnn.backward(y, cnn.forward(X))
    net = engine_cnn(T, cnn, T.float64)
    images = T.tensor(X, dtype=T.float64, requires_grad=True)
    logits = net(images)[:, 0]
    T.nn.functional.binary_cross_entropy_with_logits(logits, T.tensor(y, dtype=T.float64)).backward()
    conv, fc = net[0], net[4]
    autograd = {"filters": conv.weight.grad, "conv_bias": conv.bias.grad, "fc_weights": fc.weight.grad.T,
                "fc_bias": fc.bias.grad, "input": images.grad}
    worst = max(float(np.abs(grads[k] - autograd[k].numpy()).max() / np.abs(grads[k]).max()) for k in grads)
    lesson.check("hand-written conv/pool/dense backward equals autograd (float64)", worst < 1e-10,
                 f"largest relative difference {worst:.2e} over the filters, conv bias, dense weights, "
                 f"dense bias and input gradients")
    n_params = sum(p.numel() for p in net.parameters())
    lesson.check("the network has the seed's 473 parameters (004:2620)", n_params == 473, f"{n_params}")
    return worst


# %% [markdown]
# ## E24: does the CNN learn circles from squares? (``004:2685-2728``)
#
# Two trainings from the same start (a ``SimpleCNN`` init), on the same batches
# (the seed's: the shuffled training set cut in order into batches of 16, every epoch):
#
# * **(a) the seed's**, head only, in NumPy: ``SimpleCNN.train_step``, 50 epochs;
# * **(b) end to end** on the engine: SGD with the same learning rate on every layer,
#   the gradients reaching the filters through the dense layer, max pool and ReLU.
#
# Each records the mean training loss and the test accuracy per epoch, as the seed does,
# over several seeds (new data and a new init each). The seed gives no number; we call
# it "learned" at a mean final test accuracy of at least 0.95 (38 of 40 test images).
# Since (a) is cheap once the features are fixed, we also continue it to 500 epochs:
# is the random-filter network unable to learn the task, or only slow?

# %%
def batches(n):
    return [slice(i, i + BATCH_SIZE) for i in range(0, n, BATCH_SIZE)]


def train_head_only(cnn, data, epochs):
    """The seed's loop (``004:2688-2711``) around ``train_step``.

    The filters never change, so neither do the conv features: we compute them once instead
    of at every step (the same numbers; ``check_cached_features`` confirms it).
    """
    X_train, y_train, X_test, y_test = data
    train_features, test_features = cnn.features(X_train).copy(), cnn.features(X_test).copy()
    history = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        losses = [cnn.head_step(train_features[b], y_train[b], LEARNING_RATE) for b in batches(len(y_train))]
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(float(np.mean((cnn.head(test_features)[:, 0] > 0.5) == y_test)))
    return history


def check_cached_features(lesson, data):
    """Two epochs of the seed's literal loop (``train_step`` on images) equal ``train_head_only``'s."""
    literal, cached = SimpleCNN(lesson.rng(3, 0)), SimpleCNN(lesson.rng(3, 0))
    X_train, y_train = data[:2]
    for _ in range(2):
        for b in batches(len(y_train)):
            literal.train_step(X_train[b], y_train[b], LEARNING_RATE)
    train_head_only(cached, data, 2)
    gap = float(np.abs(literal.fc_weights - cached.fc_weights).max())
    lesson.check("head-only training on cached features equals the seed's loop", gap < 1e-12,
                 f"largest dense-weight difference after 2 epochs {gap:.1e}")


def train_end_to_end(T, net, data, epochs):
    """The same loop on the engine, every parameter updated by SGD."""
    X_train, y_train, X_test, y_test = data
    optimizer = T.optim.SGD(net.parameters(), lr=LEARNING_RATE)
    X_test_t = T.tensor(X_test, dtype=T.float32)
    history = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        losses = []
        for b in batches(len(y_train)):
            loss = engine_loss(T, net, X_train[b], y_train[b])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with T.no_grad():
            predicted = (net(X_test_t)[:, 0] > 0).numpy().astype(int)
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(float(np.mean(predicted == y_test)))
    return history


def both_trainings(lesson, seed, epochs):
    """Train (a) and (b) from one init on one data set; continue (a) to ``LONGER`` epochs."""
    data = shape_data(lesson, seed)
    head_only = SimpleCNN(lesson.rng(3, seed))
    init_filters = head_only.filters.copy()
    end_to_end = engine_cnn(lesson.T, head_only, lesson.T.float32)         # copied before training
    histories = {"head only (seed)": train_head_only(head_only, data, EPOCHS),
                 "end to end": train_end_to_end(lesson.T, end_to_end, data, epochs)}
    continued = copy.deepcopy(head_only)
    longer = train_head_only(continued, data, LONGER - EPOCHS)["accuracy"]
    trained_filters = end_to_end[0].weight.detach().numpy().astype(float)
    return {"data": data, "histories": histories, "head_only": head_only, "end_to_end": end_to_end,
            "longer_accuracy": histories["head only (seed)"]["accuracy"] + longer,
            "init_filters": init_filters, "trained_filters": trained_filters}


def final_accuracies(runs, name):
    return [run["histories"][name]["accuracy"][-1] for run in runs]


def show_curves(lesson, runs):
    """Training loss and test accuracy per epoch (``004:2712-2726``), and the seed's run continued."""
    fig = new_figure(15.0, 4.4)
    ax_loss, ax_acc, ax_longer = fig.subplots(1, 3)
    mean_label = f"mean of {len(runs)} seeds"

    def plot(ax, curves, color, label):
        curves = np.array(curves)
        epochs = np.arange(1, curves.shape[1] + 1)
        for curve in curves:
            ax.plot(epochs, curve, color=color, alpha=0.2, linewidth=0.8)
        ax.plot(epochs, curves.mean(axis=0), color=color, linewidth=2.2, label=label)

    for name, color in zip(runs[0]["histories"], (VAL_COLOR, TRAIN_COLOR)):
        for key, ax in (("loss", ax_loss), ("accuracy", ax_acc)):
            plot(ax, [run["histories"][name][key] for run in runs], color, f"{name}: {mean_label}")
    plot(ax_longer, [run["longer_accuracy"] for run in runs], VAL_COLOR, f"head only (seed): {mean_label}")
    ax_loss.set(title="Training loss (BCE)", xlabel="epoch", ylabel="mean loss over the epoch's batches")
    ax_acc.set(title="Test accuracy (40 images)", xlabel="epoch", ylabel="accuracy")
    ax_longer.axvline(EPOCHS, color="gray", linestyle="-.", label=f"the seed stops ({EPOCHS} epochs)")
    ax_longer.set(title="The seed's head-only training, continued", xlabel="epoch (log scale)",
                  ylabel="test accuracy", xscale="log")
    for ax in (ax_acc, ax_longer):
        ax.axhline(0.5, color="gray", linestyle="--", label="random guess")
        ax.axhline(0.95, color="black", linestyle=":", label="0.95 (our bar for 'learned')")
        ax.set_ylim(0.4, 1.02)
        ax.legend(loc="lower right", fontsize=8)
    ax_loss.legend(fontsize=8)
    return lesson.figure("training-curves", fig, shows="V20")


def show_predictions(lesson, run, count=8):
    """The first test images with true and predicted labels from both nets (``004:2749-2766``)."""
    T = lesson.T
    _, _, X_test, y_test = run["data"]
    X = X_test[:count]
    with T.no_grad():
        end_to_end = T.sigmoid(run["end_to_end"](T.tensor(X, dtype=T.float32))[:, 0]).numpy()
    probs = {"head only (seed)": run["head_only"].forward(X)[:, 0], "end to end": end_to_end}
    fig = new_figure(14.0, 4.8)
    axes = fig.subplots(2, count)
    for row, (name, p) in zip(axes, probs.items()):
        for i, ax in enumerate(row):
            predicted = int(p[i] > 0.5)
            confidence = p[i] if predicted else 1 - p[i]
            ax.imshow(X[i, 0], cmap="gray")
            ax.set_title(f"true {CLASSES[y_test[i]]}\npred {CLASSES[predicted]} ({confidence:.0%})", fontsize=9,
                         color="green" if predicted == y_test[i] else "red")
            ax.set_xticks([]), ax.set_yticks([])
        row[0].set_ylabel(name)
    fig.suptitle("Predictions on test images (seed 0): green right, red wrong; top the seed's training, "
                 "bottom end to end")
    return lesson.figure("predictions", fig, shows="V22")


def mosaic(maps, cols):
    """Tile ``maps (n, h, w)`` into one ``rows x cols`` image, NaN (drawn blank) between tiles."""
    n, h, w = maps.shape
    rows = -(-n // cols)
    tiled = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, m in enumerate(maps):
        r, c = divmod(i, cols)
        tiled[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = m
    return tiled


def show_feature_maps(lesson, run):
    """A test circle and a test square through the end-to-end net: conv + ReLU maps, then pooled."""
    T = lesson.T
    _, _, X_test, y_test = run["data"]
    net = run["end_to_end"]
    fig = new_figure(11.0, 5.6)
    axes = fig.subplots(2, 3, width_ratios=(1, 2.6, 2.6))
    for label, row in zip((0, 1), axes):
        image = X_test[y_test == label][:1]
        with T.no_grad():
            relu = net[1](net[0](T.tensor(image, dtype=T.float32)))
            pooled = net[2](relu)
        row[0].imshow(image[0, 0], cmap="gray")
        row[0].set_title(f"test {CLASSES[label].lower()}")
        for ax, maps, what in ((row[1], relu, "conv + ReLU, 8 maps of 14x14"),
                               (row[2], pooled, "max pool, 8 maps of 7x7")):
            shown = ax.imshow(mosaic(maps.numpy()[0], cols=4), cmap="viridis", vmin=0)
            ax.set_title(f"{what} (filters 1-4 top, 5-8 below)", fontsize=9)
            fig.colorbar(shown, ax=ax, shrink=0.8)
        for ax in row:
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("Feature maps of the end-to-end trained net (seed 0)")
    return lesson.figure("feature-maps", fig)


def learning(lesson, runs):
    head, e2e = final_accuracies(runs, "head only (seed)"), final_accuracies(runs, "end to end")
    longer = [run["longer_accuracy"][-1] for run in runs]
    figures = [show_curves(lesson, runs), show_predictions(lesson, runs[0]), show_feature_maps(lesson, runs[0])]
    final_loss = lambda name: float(np.mean([run["histories"][name]["loss"][-1] for run in runs]))
    measured = {"seeds": len(runs), "head_only_epochs": EPOCHS, "head_only_mean_accuracy": float(np.mean(head)),
                "head_only_accuracies": head, "head_only_seeds_at_095": sum(a >= 0.95 for a in head),
                "head_only_final_loss_mean": final_loss("head only (seed)"),
                "end_to_end_epochs": len(runs[0]["histories"]["end to end"]["accuracy"]),
                "end_to_end_mean_accuracy": float(np.mean(e2e)), "end_to_end_accuracies": e2e,
                "end_to_end_seeds_at_095": sum(a >= 0.95 for a in e2e),
                "end_to_end_final_loss_mean": final_loss("end to end"),
                "head_only_longer_epochs": LONGER, "head_only_longer_mean_accuracy": float(np.mean(longer)),
                "head_only_longer_seeds_at_095": sum(a >= 0.95 for a in longer)}
    lesson.claim(
        id="E24", seed_ref="004:2685-2728, 2781",
        claim="Trained for 50 epochs (batches of 16, learning rate 0.05), the seed's small CNN has learned to "
              "tell noisy circles from squares.",
        measured=measured,
        rule=all_of(at_least("head_only_mean_accuracy", 0.95), at_least("end_to_end_mean_accuracy", 0.95)),
        correction=(f"As the seed trains it, only the dense head learns, on top of random filters: after "
                    f"{EPOCHS} epochs the test accuracy is {min(head):.3f}-{max(head):.3f} (mean "
                    f"{np.mean(head):.3f}, at least 0.95 in {measured['head_only_seeds_at_095']} of {len(runs)} "
                    f"seeds) - far above chance, short of 'learned', and still rising. Trained end to end "
                    f"(every layer's backward, same start, same batches) the same network reaches "
                    f"{min(e2e):.3f}-{max(e2e):.3f} (mean {np.mean(e2e):.3f}) in "
                    f"{measured['end_to_end_epochs']} epochs. The random filters are not the limit, only the "
                    f"speed: the seed's head-only training continued to {LONGER} epochs reaches mean "
                    f"{np.mean(longer):.3f}."),
        figures=figures,
        fix=({k: measured[k] for k in ("seeds", "end_to_end_epochs", "end_to_end_mean_accuracy",
                                       "head_only_longer_epochs", "head_only_longer_mean_accuracy")},
             all_of(at_least("end_to_end_mean_accuracy", 0.95), at_least("head_only_longer_mean_accuracy", 0.95))))


# %% [markdown]
# ## D8: the "learned" filters are the random init (``004:2732-2747``)
#
# The seed draws its eight 3x3 filters under the title "Learned Convolutional Filters".
# We measure how far the filters moved in training, relative to where they started:
# ``||W_after - W_init|| / ||W_init||``. A filter that moved less than 10 % of its norm
# would look the same in the figure; the seed's move by exactly zero.

# %%
def relative_change(after, before):
    return float(np.linalg.norm(after - before) / np.linalg.norm(before))


def show_filters(lesson, run, changes):
    """The filters at init, after the seed's training and after end-to-end training (``004:2732-2747``)."""
    rows = {"at init": run["init_filters"],
            f"after the seed's training (change {changes[0]:.2g})": run["head_only"].filters,
            f"after end-to-end training (change {changes[1]:.2g})": run["trained_filters"]}
    fig = new_figure(9.0, 6.0)
    axes = fig.subplots(3, 1)
    for ax, (name, filters) in zip(axes, rows.items()):
        limit = np.abs(filters).max()          # one symmetric scale per row: zero is white
        shown = ax.imshow(mosaic(filters[:, 0], cols=NUM_FILTERS), cmap="seismic", vmin=-limit, vmax=limit)
        ax.set_xticks(1 + 4 * np.arange(NUM_FILTERS), [f"filter {f + 1}" for f in range(NUM_FILTERS)], fontsize=8)
        ax.set_yticks([])
        ax.set_title(name, fontsize=10)
        fig.colorbar(shown, ax=ax, label="weight")
    fig.suptitle("The seed's 'Learned Convolutional Filters' (seed 0): 3x3 weights, "
                 "change = ||W - W_init|| / ||W_init||")
    return lesson.figure("filters-before-after", fig, shows="V21")


def filters_learned(lesson, runs):
    seed_changes = [relative_change(r["head_only"].filters, r["init_filters"]) for r in runs]
    e2e_changes = [relative_change(r["trained_filters"], r["init_filters"]) for r in runs]
    figure = show_filters(lesson, runs[0], (seed_changes[0], e2e_changes[0]))
    measured = {"seeds": len(runs), "seed_filter_change_max": max(seed_changes),
                "seed_filter_abs_change": float(max(np.abs(r["head_only"].filters - r["init_filters"]).max()
                                                    for r in runs)),
                "end_to_end_filter_change_min": min(e2e_changes), "end_to_end_filter_change_max": max(e2e_changes)}
    lesson.claim(
        id="D8", seed_ref="004:2732-2747, 2774-2777, 2665-2684",
        claim="The filter figure after training shows what the CNN's convolution filters have learned.",
        measured=measured, rule=above("seed_filter_change_max", 0.1),
        correction=(f"The seed's train_step never updates the filters: over {len(runs)} seeds they move by "
                    f"exactly {max(seed_changes):g}, so the figure shows the random init (randn * 0.1). Trained "
                    f"end to end, they move by {min(e2e_changes):.2f}-{max(e2e_changes):.2f} times their initial "
                    f"norm."),
        figures=[figure],
        fix=({k: measured[k] for k in ("seeds", "end_to_end_filter_change_min")},
             above("end_to_end_filter_change_min", 0.1)))


# %% [markdown]
# ## D9: "Xavier" initialisation that is He's (``004:2417, 2885``)
#
# ``ConvLayer`` draws its filters as ``randn * sqrt(2 / (k * k * C))`` and calls it
# Xavier (``004:2417-2420``); ``CharRNN`` does the same with ``sqrt(2 / vocab_size)``
# (``004:2885-2888``). With ``fan_in`` inputs and ``fan_out`` outputs per weight:
#
#     He (Kaiming)        std = sqrt(2 / fan_in)              -- the seed's formula
#     Xavier (Glorot)     std = sqrt(2 / (fan_in + fan_out))
#     Xavier, fan-in form std = sqrt(1 / fan_in)               -- the seed's own "Xavier" at 004:1267
#
# (for a conv layer ``fan_in = C k^2``, ``fan_out = F k^2``). We draw 100,000 weights
# with the seed's formula for its two layers (``ConvLayer(3 filters, 3x3, 1 channel)``,
# ``004:2511``, and ``CharRNN``'s ``W_xh`` for 8 characters and 16 hidden units,
# ``004:2998``) and compare their standard deviation with each scheme's.
#
# Why the factor 2 matters: a ReLU zeroes half of a symmetric pre-activation ``z``, so
# ``E[relu(z)^2] = Var(z) / 2``, and the next layer has ``Var(z') = fan_in * std^2 *
# Var(z) / 2``. He's ``std^2 = 2 / fan_in`` keeps ``Var(z)`` constant with depth;
# Xavier's ``1 / fan_in`` halves it at every layer. We measure that through eight 3x3
# ReLU conv layers of 16 channels (``fan_in = fan_out = 144``, where both Xavier forms
# agree) on Gaussian images, averaging over 64 random nets of each kind; the rule
# allows 15 % either way around 1 and 1/2.

# %%
DRAWS = 100_000
DEPTH, CHANNELS, NETS = 8, 16, 64


def init_stds(fan_in, fan_out):
    return {"he": np.sqrt(2 / fan_in), "xavier_glorot": np.sqrt(2 / (fan_in + fan_out)),
            "xavier_fan_in": np.sqrt(1 / fan_in)}


def seed_init_samples(rng, shape, fan_in):
    """The seed's ``randn(*shape) * sqrt(2 / fan_in)``, repeated until ``DRAWS`` weights are drawn."""
    copies = -(-DRAWS // int(np.prod(shape)))
    return (rng.standard_normal((copies, *shape)) * np.sqrt(2.0 / fan_in)).ravel()[:DRAWS]


def preactivation_stds(rng, std_of_fan_in):
    """Std of ``z`` after each of ``DEPTH`` valid 3x3 conv layers with ReLU between, on Gaussian images.

    ``Var(z)`` is averaged over ``NETS`` random nets: one net's variance wanders a lot from
    layer to layer (a few channels with a large mean dominate), the average follows theory.
    """
    variances = np.zeros(DEPTH)
    for _ in range(NETS):
        a = rng.standard_normal((1, CHANNELS, 2 * DEPTH + 2, 2 * DEPTH + 2))   # 18x18 -> 2x2
        for layer in range(DEPTH):
            W = rng.standard_normal((CHANNELS, CHANNELS, 3, 3)) * std_of_fan_in(CHANNELS * 9)
            z = conv_forward(a, W, np.zeros(CHANNELS))
            variances[layer] += z.var() / NETS
            a = np.maximum(z, 0.0)
    return np.sqrt(variances)


def per_layer_variance_ratio(stds):
    """``Var(z_{l+1}) / Var(z_l)`` per layer, as the geometric mean over the layers."""
    return float((stds[-1] / stds[0]) ** (2 / (len(stds) - 1)))


def show_init(lesson, conv_samples, stds, depth_stds):
    fig = new_figure(11.0, 4.2)
    ax_hist, ax_depth = fig.subplots(1, 2)
    bins = np.linspace(-2.0, 2.0, 81)
    glorot = lesson.rng(4, 9).standard_normal(DRAWS) * stds["xavier_glorot"]
    ax_hist.hist(conv_samples, bins=bins, alpha=0.6, color=VAL_COLOR, density=True,
                 label=f"seed's 'Xavier' (std {conv_samples.std():.3f})")
    ax_hist.hist(glorot, bins=bins, alpha=0.6, color=TRAIN_COLOR, density=True,
                 label=f"Xavier/Glorot (std {stds['xavier_glorot']:.3f})")
    x = np.linspace(-2, 2, 400)
    ax_hist.plot(x, np.exp(-x ** 2 / (2 * stds["he"] ** 2)) / (stds["he"] * np.sqrt(2 * np.pi)), "k--",
                 label=f"He normal density (std {stds['he']:.3f})")
    ax_hist.set(title="ConvLayer(3 filters, 3x3, 1 channel): 100,000 weights",
                xlabel="weight", ylabel="density")
    ax_hist.legend(fontsize=8)
    layers = np.arange(1, DEPTH + 1)
    for name, color in (("seed / He  sqrt(2/fan_in)", VAL_COLOR), ("Xavier  sqrt(1/fan_in)", TRAIN_COLOR)):
        ax_depth.semilogy(layers, depth_stds[name], "o-", color=color, label=name)
    ax_depth.semilogy(layers, depth_stds["Xavier  sqrt(1/fan_in)"][0] * 2.0 ** (-(layers - 1) / 2), ":",
                      color="gray", linewidth=3, label="variance halved per layer (theory)")
    ax_depth.set(title=f"std of z through {DEPTH} ReLU conv layers ({CHANNELS} channels)",
                 xlabel="layer", ylabel="std of z (log scale)")
    ax_depth.legend(fontsize=8)
    return lesson.figure("init-he-vs-xavier", fig)


def init_is_he(lesson):
    rng = lesson.rng(4)
    measured = {}
    conv_fan_in, conv_fan_out = 1 * 3 * 3, 3 * 3 * 3           # ConvLayer(num_filters=3, filter_size=3, 1 channel)
    rnn_fan_in, rnn_fan_out = 8, 16                            # CharRNN W_xh: vocab 8 -> hidden 16
    conv_samples = seed_init_samples(rng, (3, 1, 3, 3), conv_fan_in)
    rnn_samples = seed_init_samples(rng, (rnn_fan_in, rnn_fan_out), rnn_fan_in)
    for layer, samples, fans in (("conv", conv_samples, (conv_fan_in, conv_fan_out)),
                                 ("rnn", rnn_samples, (rnn_fan_in, rnn_fan_out))):
        measured[f"{layer}_seed_std"] = float(samples.std())
        for scheme, std in init_stds(*fans).items():
            measured[f"{layer}_{scheme}_std"] = float(std)
            measured[f"{layer}_std_over_{scheme}"] = float(samples.std() / std)
    depth_stds = {"seed / He  sqrt(2/fan_in)": preactivation_stds(lesson.rng(5), lambda n: np.sqrt(2 / n)),
                  "Xavier  sqrt(1/fan_in)": preactivation_stds(lesson.rng(6), lambda n: np.sqrt(1 / n))}
    he_ratio, xavier_ratio = (per_layer_variance_ratio(s) for s in depth_stds.values())
    measured.update(he_variance_ratio_per_layer=he_ratio, xavier_variance_ratio_per_layer=xavier_ratio,
                    he_std_last_over_first=float(depth_stds["seed / He  sqrt(2/fan_in)"][-1]
                                                 / depth_stds["seed / He  sqrt(2/fan_in)"][0]),
                    xavier_std_last_over_first=float(depth_stds["Xavier  sqrt(1/fan_in)"][-1]
                                                     / depth_stds["Xavier  sqrt(1/fan_in)"][0]))
    figure = show_init(lesson, conv_samples, init_stds(conv_fan_in, conv_fan_out), depth_stds)
    # Sampling error of a std from 100,000 draws is about 1/sqrt(2 * 100,000) = 0.2 %; 2 % is ten of those.
    lesson.claim(
        id="D9", seed_ref="004:2417-2420, 2885-2888",
        claim="The convolution filters (and the character RNN's weights) are drawn with Xavier initialisation.",
        measured=measured,
        rule=all_of(*(close(f"{layer}_std_over_{scheme}", 1.0, 0.02)
                      for layer in ("conv", "rnn") for scheme in ("xavier_glorot", "xavier_fan_in"))),
        correction=(f"sqrt(2 / fan_in) is He (Kaiming) initialisation: the sampled std is "
                    f"{measured['conv_std_over_he']:.3f} and {measured['rnn_std_over_he']:.3f} times He's, but "
                    f"{measured['conv_std_over_xavier_glorot']:.2f} / {measured['rnn_std_over_xavier_glorot']:.2f} "
                    f"times Xavier/Glorot's and {measured['conv_std_over_xavier_fan_in']:.2f} times the fan-in "
                    f"Xavier's. Through ReLU layers He keeps the pre-activation variance (ratio "
                    f"{he_ratio:.3f} per layer) where Xavier halves it ({xavier_ratio:.3f}). The code is right "
                    f"for ReLU nets; the comment should say He."),
        figures=[figure],
        fix=({k: measured[k] for k in ("conv_std_over_he", "rnn_std_over_he", "he_variance_ratio_per_layer",
                                       "xavier_variance_ratio_per_layer")},
             all_of(close("conv_std_over_he", 1.0, 0.02), close("rnn_std_over_he", 1.0, 0.02),
                    close("he_variance_ratio_per_layer", 1.0, 0.15),
                    close("xavier_variance_ratio_per_layer", 0.5, 0.075))))


# %%
def run(lesson):
    data = shape_data(lesson, 0)
    show_samples(lesson, *data[:2])
    check_gradients(lesson, data[0][:BATCH_SIZE], data[1][:BATCH_SIZE])
    check_cached_features(lesson, data)
    seeds, epochs = lesson.pick((10, EPOCHS), (3, 20))     # seeds; epochs of the end-to-end training
    runs = [both_trainings(lesson, seed, epochs) for seed in range(seeds)]
    learning(lesson, runs)
    filters_learned(lesson, runs)
    init_is_he(lesson)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("cnn")
