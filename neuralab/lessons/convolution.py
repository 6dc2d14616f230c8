"""Convolution and pooling, by hand and by the engine.

Follows ``004:1730-1787`` (the first convolution demo) and ``004:2040-2401`` (the CNN
deep dive up to pooling): inventory E22 (convolution demos) and E23 (pooling).
"""

# %% [markdown]
# # Convolution and pooling, by hand and by the engine
#
# A convolution layer slides a small kernel over an image and, at each position, sums
# the products of kernel weights and the pixels under them (``004:1733-1751``):
#
#     Y[i, j] = sum_{m < k_h} sum_{n < k_w} X[i*s + m, j*s + n] * K[m, n]
#
# (stride ``s``; padding adds ``p`` zeros around ``X`` first). Strictly this is a
# *cross-correlation*: true convolution flips the kernel. Every deep-learning framework
# (and the seed) calls it convolution anyway; for the Sobel kernel the flip only
# changes the sign of the answer. Pooling then summarises 2x2 windows by their maximum
# or mean (``004:2321-2401``).
#
# We keep the seed's hand-written NumPy loops (re-indented) and compute the same maps
# with the engine's ``nn.functional.conv2d``, ``max_pool2d`` and ``avg_pool2d``,
# checking that they agree, then measure what the seed says about them, on its toy
# images and on real MNIST digits.

# %%
import numpy as np

from neuralab import data
from neuralab.lessons.claims import all_of, at_most, below, close, fraction, is_true
from neuralab.viz.style import new_figure

ABOUT = {
    "title": "Convolution and pooling, by hand and by the engine",
    "part": "I. Foundations",
    "section": "004:1730-2401",
    "claims": ("E22", "E23"),
    "seconds": 6,
    "engines": ("scratch", "torch"),
}

# The seed's kernel zoo (004:2211-2225), plus the identity kernel that leaves an image as it is.
IDENTITY = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float)
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)   # "vertical edge": d/dx
SOBEL_Y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float)   # "horizontal edge": d/dy
DIAGONAL = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], dtype=float)
SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float)
BOX_BLUR = np.ones((3, 3)) / 9
KERNELS = {"identity": IDENTITY, "Sobel x (vertical edges)": SOBEL_X, "Sobel y (horizontal edges)": SOBEL_Y,
           "diagonal": DIAGONAL, "sharpen": SHARPEN, "box blur": BOX_BLUR}

# Float64 sums of the same products in another order differ by a few ulps (1e-16);
# on integer-valued images and kernels the hand loops and the engine agree exactly.
ROUNDING = 1e-12


# %% [markdown]
# ## Convolution by hand (``004:1733-1751``, ``004:2173-2200``)
#
# The seed's two loops, re-indented: ``convolve2d`` is the "valid" case (no padding,
# stride 1), ``convolve2d_with_stride_padding`` the general one. Next to them, the
# same operation on the engine: one call over a batch of images and a stack of kernels.

# %%
def convolve2d(image, kernel):
    """Valid cross-correlation: ``image (H, W)``, ``kernel (kh, kw)`` -> ``(H - kh + 1, W - kw + 1)``."""
    i_height, i_width = image.shape
    k_height, k_width = kernel.shape
    out_height = i_height - k_height + 1
    out_width = i_width - k_width + 1
    output = np.zeros((out_height, out_width))
    for i in range(out_height):
        for j in range(out_width):
            region = image[i:i + k_height, j:j + k_width]
            output[i, j] = np.sum(region * kernel)
    return output


def convolve2d_with_stride_padding(image, kernel, stride=1, padding=0):
    """Cross-correlation with zero padding ``p`` and stride ``s``: output side ``(H + 2p - k) // s + 1``."""
    if padding > 0:
        image = np.pad(image, padding, mode="constant", constant_values=0)
    i_height, i_width = image.shape
    k_height, k_width = kernel.shape
    out_height = (i_height - k_height) // stride + 1
    out_width = (i_width - k_width) // stride + 1
    output = np.zeros((out_height, out_width))
    for i in range(out_height):
        for j in range(out_width):
            i_start, j_start = i * stride, j * stride
            region = image[i_start:i_start + k_height, j_start:j_start + k_width]
            output[i, j] = np.sum(region * kernel)
    return output


def engine_conv2d(T, images, kernels, stride=1, padding=0):
    """``images (N, H, W)`` and ``kernels (K, kh, kw)`` -> ``(N, K, H_out, W_out)`` by the engine's conv2d (float64)."""
    x = T.tensor(np.asarray(images, dtype=np.float64)[:, None])
    w = T.tensor(np.asarray(kernels, dtype=np.float64)[:, None])
    with T.no_grad():
        return T.nn.functional.conv2d(x, w, stride=stride, padding=padding).numpy()


def output_size(size, kernel, stride, padding):
    """The seed's output-size formula ``(H - k + 2p) / s + 1``, rounded down as the loops do."""
    return (size - kernel + 2 * padding) // stride + 1


def show_map(ax, values, title, signed=False, annotate=False, limit=None):
    """A feature map as an image: signed maps on a symmetric red-blue scale, others in grey."""
    if signed:
        limit = limit or max(float(np.abs(values).max()), 1e-12)
        shown = ax.imshow(values, cmap="seismic", vmin=-limit, vmax=limit, interpolation="nearest")
    else:
        shown = ax.imshow(values, cmap="gray", interpolation="nearest")
    if annotate:
        middle = (values.min() + values.max()) / 2
        for (r, c), v in np.ndenumerate(values):
            dark = abs(v) > 0.6 * limit if signed else v < middle  # white text on dark cells
            ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([]); ax.set_yticks([])
    return shown


# %% [markdown]
# ## One patch: the Sobel response 1020 (``004:2104-2130``)
#
# The seed multiplies the vertical-edge Sobel kernel into a 3x3 patch whose rows are
# ``[0, 0, 255]`` (dark on the left, bright on the right) and calls the sum a strong
# vertical edge. The positive weights sum to 4, so on 8-bit pixels the largest
# possible response is 4 * 255 = 1020: the patch reaches the maximum. With a true
# (flipped) convolution the same patch gives -1020.

# %%
def sobel_patch(lesson):
    patch = np.array([[0, 0, 255]] * 3, dtype=float)
    by_hand = float(np.sum(patch * SOBEL_X))
    engine = float(engine_conv2d(lesson.T, patch[None], SOBEL_X[None])[0, 0, 0, 0])
    lesson.check("E22: hand and engine give the same Sobel response on the patch", by_hand == engine,
                 f"hand {by_hand}, engine {engine}")
    return patch, {"sobel_patch_response": by_hand, "sobel_patch_response_engine": engine,
                   "sobel_max_possible": 255 * float(SOBEL_X[SOBEL_X > 0].sum()),
                   "flipped_kernel_response": float(np.sum(patch * SOBEL_X[::-1, ::-1]))}


# %% [markdown]
# ## An image with one vertical edge (``004:1752-1786``)
#
# A 10x10 image is 0 left of column 5 and 1 from column 5 on. Output column ``j`` of the
# valid 8x8 map looks at input columns ``j..j+2``, so only the windows that straddle the
# edge (``j < 5 <= j + 2``, i.e. ``j = 3, 4``) can see a change. The seed's figure calls
# the horizontal-edge response "weak"; we measure how weak.

# %%
def step_edge_image():
    """The seed's 10x10 test image: 0 on the left, 1 from column 5 on (004:1752-1754)."""
    image = np.zeros((10, 10))
    image[:, 5:] = 1
    return image


def edge_demo(lesson, patch, patch_response):
    image = step_edge_image()
    vertical, horizontal = convolve2d(image, SOBEL_X), convolve2d(image, SOBEL_Y)
    engine = engine_conv2d(lesson.T, image[None], np.stack([SOBEL_X, SOBEL_Y]))[0]
    lesson.check("E22: the seed's convolve2d equals the engine's conv2d on the edge image (exactly)",
                 np.array_equal(engine, np.stack([vertical, horizontal])),
                 f"max |difference| {np.abs(engine - np.stack([vertical, horizontal])).max()}")

    columns = np.arange(vertical.shape[1])
    straddles = (columns < 5) & (columns + 2 >= 5)
    on_edge, off_edge = vertical[:, straddles], vertical[:, ~straddles]

    fig = new_figure(14.0, 4.6)
    axes = fig.subplots(1, 4)
    show_map(axes[0], patch, f"3x3 patch, rows [0, 0, 255]\nSobel x response = {patch_response:g}",
             annotate=True)
    show_map(axes[1], image, "10x10 image, edge at column 5")
    show_map(axes[2], vertical, "Sobel x (vertical edges), 8x8\nnon-zero only at columns 3, 4",
             signed=True, annotate=True, limit=4)
    shown = show_map(axes[3], horizontal, "Sobel y (horizontal edges), 8x8\nzero everywhere",
                     signed=True, annotate=True, limit=4)
    for ax in axes[2:]:
        ax.set_xticks(columns); ax.set_xlabel("output column j (sees input columns j..j+2)", fontsize=8)
    fig.colorbar(shown, ax=axes[2:], fraction=0.046, label="response")
    path = lesson.figure("edge-demo", fig, shows="V15")
    return path, {"edge_on_min": float(on_edge.min()), "edge_on_max": float(on_edge.max()),
                  "edge_off_max_abs": float(np.abs(off_edge).max()),
                  "horizontal_max_abs": float(np.abs(horizontal).max())}


# %% [markdown]
# ## Output sizes under stride and padding (``004:2131-2155``, ``004:2246``, ``004:2256-2309``)
#
# The seed's symbolic formula ``H_out = (H_in + 2P - K)/S + 1`` (``004:2143-2150``) has
# no rounding, so with stride 2 it gives 2.5 or 3.5; its worked examples
# (``004:2300-2305``) and its loops round down, which is what conv2d does. For each of
# the seed's settings (its 6x6 study, the 20x20 line image, the 32x32 example, the
# 10x10 edge image) we take the output shape from the engine and from the hand loop,
# and compare them with the rounded-down formula and with the size the seed states.

# %%
SIZE_CASES = (  # (input side, stride, padding, size the seed states or None), all with a 3x3 kernel
    (6, 1, 0, 4), (6, 2, 0, 2), (6, 1, 1, 6), (6, 2, 1, 3),          # 004:2300-2305
    (20, 1, 0, 18), (20, 2, 0, None), (20, 1, 1, None), (20, 2, 1, None),  # 004:2246 (s=1, p=0)
    (32, 1, 1, 32),                                                  # 004:2151-2155
    (10, 1, 0, 8),                                                   # 004:1783
)


def output_sizes(lesson, line_image):
    rng = lesson.rng(2256)
    small = rng.random((6, 6))  # the seed's np.random.rand(6, 6), seeded here
    images = {6: small, 20: line_image, 32: rng.random((32, 32)), 10: step_edge_image()}
    rows, matching, worst, outputs = [], 0, 0.0, {}
    for side, stride, padding, stated in SIZE_CASES:
        hand = convolve2d_with_stride_padding(images[side], BOX_BLUR, stride, padding)
        engine = engine_conv2d(lesson.T, images[side][None], BOX_BLUR[None], stride, padding)[0, 0]
        formula = output_size(side, 3, stride, padding)
        agree = engine.shape == hand.shape == (formula, formula) and stated in (None, formula)
        matching += agree
        worst = max(worst, float(np.abs(engine - hand).max()) if engine.shape == hand.shape else np.inf)
        rows.append((side, stride, padding, (side - 3 + 2 * padding) / stride + 1, formula, engine.shape[0],
                     "-" if stated is None else stated))
        if side == 6:
            outputs[(stride, padding)] = engine
    lesson.check("E22: the stride/padding loop equals the engine's conv2d in every setting",
                 worst <= ROUNDING, f"max |difference| {worst:.3g}")

    fig = new_figure(14.0, 7.5)
    grid = fig.add_gridspec(2, 5, height_ratios=[1.0, 1.1])
    for col, (title, out) in enumerate([("random 6x6 image", small), *(
            (f"3x3 mean, stride {s}, padding {p}\noutput {out.shape[0]}x{out.shape[1]}", out)
            for (s, p), out in outputs.items())]):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(out, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks(np.arange(-0.5, out.shape[1], 1)); ax.set_yticks(np.arange(-0.5, out.shape[0], 1))
        ax.set_xticklabels([]); ax.set_yticklabels([]); ax.tick_params(length=0)
        ax.grid(True, color="white", linewidth=1)
        ax.set_title(title, fontsize=9)
    table_ax = fig.add_subplot(grid[1, :])
    table_ax.axis("off")
    table = table_ax.table(
        cellText=[[f"{h}x{h}", s, p, f"{raw:g}", f, e, st] for h, s, p, raw, f, e, st in rows],
        colLabels=["input", "stride s", "padding p", "(H - 3 + 2p)/s + 1", "rounded down", "engine conv2d",
                   "seed states"],
        loc="center", cellLoc="center")
    table.scale(1.0, 1.35)
    table_ax.set_title("Output side for a 3x3 kernel: formula, engine, seed", fontsize=10)
    path = lesson.figure("stride-padding", fig, shows="V17")
    return path, {"sizes_matching": matching, "sizes_total": len(SIZE_CASES),
                  "sizes_engine": [row[5] for row in rows],
                  "sizes_unrounded_non_integer": sum(row[3] != int(row[3]) for row in rows)}


# %% [markdown]
# ## The kernel zoo, on the seed's line image and on a real digit (``004:2201-2253``)
#
# The seed's 20x20 test image has a vertical line (column 10), a horizontal line (row 5)
# and a diagonal, and says: the vertical Sobel responds to vertical edges, the
# horizontal one to horizontal edges, sharpen enhances edges, blur smooths. We run the
# zoo on that image as the seed does (valid, 18x18), then on MNIST test digits (padding
# 1, which is harmless: their border is black) and measure, digit by digit:
#
# * smoothing as a lower total variation ``TV(X) = sum |X[i+1,j] - X[i,j]| + |X[i,j+1] - X[i,j]|``
#   after the box blur, and a higher one after sharpen;
# * orientation as the ratio ``sum |Sobel x| / sum |Sobel y|``: it should exceed 1 on
#   the mostly vertical ones, and be larger for ones than for any other digit.

# %%
def line_image():
    """The seed's 20x20 test image (004:2202-2209)."""
    image = np.zeros((20, 20))
    image[:, 10] = 1    # vertical line
    image[5, :] = 1     # horizontal line
    for i in range(15):
        image[i, i] = 1  # diagonal
    return image


def total_variation(images):
    """``TV`` of each image in ``(N, H, W)``: summed absolute differences of neighbours."""
    return (np.abs(np.diff(images, axis=-1)).sum(axis=(-2, -1))
            + np.abs(np.diff(images, axis=-2)).sum(axis=(-2, -1)))


def kernel_zoo(lesson, lines, digits, labels):
    T, names, stack = lesson.T, list(KERNELS), np.stack(list(KERNELS.values()))
    on_lines = engine_conv2d(T, lines[None], stack)[0]
    gap = np.abs(on_lines - np.stack([convolve2d(lines, k) for k in stack])).max()
    lesson.check("E22: the seed's convolve2d equals the engine on the line image, every kernel",
                 gap <= ROUNDING, f"max |difference| {gap:.3g}")

    count = len(digits)
    maps = engine_conv2d(T, digits, stack, padding=1)
    shown_digit = int(np.flatnonzero(labels == 4)[0])
    hand_digit = np.stack([convolve2d_with_stride_padding(digits[shown_digit], k, padding=1) for k in stack])
    gap = np.abs(hand_digit - maps[shown_digit]).max()
    lesson.check("E22: the stride/padding loop equals the engine on an MNIST digit, every kernel",
                 gap <= ROUNDING, f"max |difference| {gap:.3g}")

    by_name = {name: maps[:, i] for i, name in enumerate(names)}
    tv, tv_blur, tv_sharpen = (total_variation(x) for x in (digits, by_name["box blur"], by_name["sharpen"]))
    ratio = (np.abs(by_name["Sobel x (vertical edges)"]).sum(axis=(1, 2))
             / np.abs(by_name["Sobel y (horizontal edges)"]).sum(axis=(1, 2)))
    medians = np.array([np.median(ratio[labels == d]) for d in range(10)])
    ones = labels == 1

    fig = new_figure(15.0, 8.2)
    axes = fig.subplots(3, len(names))
    for col, (name, kernel) in enumerate(KERNELS.items()):
        show_map(axes[0, col], kernel, f"{name}\nkernel", signed=True, annotate=True,
                 limit=float(np.abs(kernel).max()))
        signed = name not in ("identity", "box blur", "sharpen")
        show_map(axes[1, col], on_lines[col], f"line image: {on_lines[col].shape[0]}x{on_lines[col].shape[1]}",
                 signed=signed)
        show_map(axes[2, col], maps[shown_digit, col], f"MNIST '4', padding 1: 28x28\n"
                 f"TV {total_variation(maps[shown_digit, col]):.0f}", signed=signed)
    fig.suptitle("The seed's kernel zoo (top) on its 20x20 line image (middle, valid) and on an MNIST digit "
                 "(bottom; TV = total variation)", fontsize=11)
    zoo_path = lesson.figure("kernel-zoo", fig, shows="V16")

    fig = new_figure(12.0, 4.2)
    left, right = fig.subplots(1, 2)
    bins = np.geomspace(0.3, 12, 60)
    left.hist(tv_blur / tv, bins=bins, label="box blur", color="#1f77b4")
    left.hist(tv_sharpen / tv, bins=bins, label="sharpen", color="#d62728")
    left.axvline(1.0, color="black", linestyle="--", label="unchanged")
    left.set_xscale("log"); left.set_xlabel("TV(filtered) / TV(digit)"); left.set_ylabel("digits")
    left.set_title(f"Total variation on {count} MNIST test digits"); left.legend()
    right.boxplot([ratio[labels == d] for d in range(10)], tick_labels=[str(d) for d in range(10)])
    right.axhline(1.0, color="black", linestyle="--")
    right.set_yscale("log"); right.set_xlabel("digit class")
    right.set_ylabel("sum |Sobel x| / sum |Sobel y|")
    right.set_title("Vertical-edge over horizontal-edge response")
    measures_path = lesson.figure("zoo-on-digits", fig)

    return [zoo_path, measures_path], {
        "digits": count, "blur_lowers_tv": int((tv_blur < tv).sum()), "sharpen_raises_tv": int((tv_sharpen > tv).sum()),
        "tv_ratio_blur_median": float(np.median(tv_blur / tv)),
        "tv_ratio_sharpen_median": float(np.median(tv_sharpen / tv)),
        "ones": int(ones.sum()), "ones_sobel_x_dominant": int((ratio[ones] > 1).sum()),
        "sobel_ratio_ones_median": float(medians[1]),
        "sobel_ratio_other_max_median": float(np.delete(medians, 1).max())}


# %% [markdown]
# ## E22: what the convolution demos claim
#
# One claim with all its parts: the patch response, the edge image, the output sizes
# and the zoo on real digits. Each part is a stated threshold; ``all_of`` holds only if
# every part holds.

# %%
def convolution_claim(lesson, digits, labels):
    patch, patch_measured = sobel_patch(lesson)
    edge_path, edge_measured = edge_demo(lesson, patch, patch_measured["sobel_patch_response"])
    lines = line_image()
    sizes_path, sizes_measured = output_sizes(lesson, lines)
    zoo_paths, zoo_measured = kernel_zoo(lesson, lines, digits, labels)
    lesson.claim(
        id="E22", seed_ref="004:1730-1787, 2104-2155, 2173-2309",
        claim="A kernel slid over an image responds where the image has its pattern: the Sobel kernel gives "
              "1020 on a dark-to-bright patch (a strong vertical edge) and, on an image with one vertical edge, "
              "responds along the edge only while the horizontal Sobel stays weak; output sides follow "
              "(H - k + 2p)/s + 1 rounded down; blur smooths, sharpen enhances edges and the vertical Sobel "
              "picks out vertical strokes.",
        measured={**patch_measured, **edge_measured, **sizes_measured, **zoo_measured},
        rule=all_of(close("sobel_patch_response", 1020, 0),
                    at_most("edge_off_max_abs", 0), below("edge_off_max_abs", "edge_on_min"),
                    below("horizontal_max_abs", "edge_on_min"),
                    fraction("sizes_matching", "sizes_total", 1.0, 0.5),
                    fraction("blur_lowers_tv", "digits", 0.95, 0.5),
                    fraction("sharpen_raises_tv", "digits", 0.95, 0.5),
                    fraction("ones_sobel_x_dominant", "ones", 0.9, 0.5),
                    below("sobel_ratio_other_max_median", "sobel_ratio_ones_median")),
        figures=[edge_path, sizes_path, *zoo_paths])


# %% [markdown]
# ## E23: max and average pooling (``004:2321-2401``)
#
# The seed pools its fixed 6x6 matrix with 2x2 windows and stride 2. By hand the windows
# give, row by row:
#
#     max:     [[6, 8, 3], [4, 7, 9], [9, 6, 7]]
#     average: [[3.75, 3.75, 1.75], [2.5, 3.25, 5.0], [3.75, 3.5, 3.25]]
#
# 36 values become 9, a 4x reduction. "Max pooling preserves the strongest features":
# the largest value (9) survives max pooling but average pooling dilutes it to at most
# 5; "average pooling preserves overall brightness": the mean is unchanged. We compute
# the pools with the seed's loops, with a window reshape (``(6, 6) -> (3, 2, 3, 2)``,
# reduce the two window axes) and with the engine, then pool a real digit.

# %%
POOL_MATRIX = np.array([
    [1, 3, 2, 4, 1, 2],
    [5, 6, 1, 8, 3, 1],
    [2, 1, 7, 3, 9, 2],
    [4, 3, 2, 1, 4, 5],
    [1, 9, 3, 6, 2, 1],
    [3, 2, 4, 1, 7, 3],
], dtype=float)  # 004:2357-2364


def max_pooling(image, pool_size=2, stride=None):
    """The largest value of each ``pool_size`` window; output side ``(H - pool) // stride + 1``."""
    return _pooling(image, pool_size, stride, np.max)


def avg_pooling(image, pool_size=2, stride=None):
    """The mean of each ``pool_size`` window."""
    return _pooling(image, pool_size, stride, np.mean)


def _pooling(image, pool_size, stride, reduce):
    # The seed writes this loop twice, once with np.max and once with np.mean (004:2327-2355).
    stride = stride or pool_size
    i_height, i_width = image.shape
    out_height = (i_height - pool_size) // stride + 1
    out_width = (i_width - pool_size) // stride + 1
    output = np.zeros((out_height, out_width))
    for i in range(out_height):
        for j in range(out_width):
            i_start, j_start = i * stride, j * stride
            output[i, j] = reduce(image[i_start:i_start + pool_size, j_start:j_start + pool_size])
    return output


def windows(image, size=2):
    """Non-overlapping ``size x size`` windows: ``(H, W) -> (H/size, W/size, size*size)``."""
    h, w = image.shape
    return image.reshape(h // size, size, w // size, size).transpose(0, 2, 1, 3).reshape(h // size, w // size, -1)


def engine_pool(T, images, kind):
    """``images (N, H, W)`` pooled 2x2, stride 2, by the engine's ``max_pool2d`` or ``avg_pool2d``."""
    pool = T.nn.functional.max_pool2d if kind == "max" else T.nn.functional.avg_pool2d
    with T.no_grad():
        return pool(T.tensor(np.asarray(images, dtype=np.float64)[:, None]), 2).numpy()[:, 0]


def show_pooled(ax, values, title, top, window=None):
    """A map on the colour scale ``[0, top]`` (shared, so dimming shows), numbers written in small maps."""
    shown = ax.imshow(values, cmap="viridis", vmin=0, vmax=top, interpolation="nearest")
    if values.size <= 36:
        for (r, c), v in np.ndenumerate(values):
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=10,
                    color="black" if v > 0.6 * top else "white")
    if window:  # thick lines between the pooling windows
        for edge in np.arange(-0.5, values.shape[0], window)[1:]:
            ax.axhline(edge, color="white", linewidth=2.5); ax.axvline(edge, color="white", linewidth=2.5)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([]); ax.set_yticks([])
    return shown


def pooling(lesson, digits, labels):
    T, image = lesson.T, POOL_MATRIX
    max_pooled, avg_pooled = max_pooling(image, 2, 2), avg_pooling(image, 2, 2)
    max_engine, avg_engine = engine_pool(T, image[None], "max")[0], engine_pool(T, image[None], "avg")[0]
    window_values = windows(image)  # (3, 3, 4): the four values under each output
    hand_equals_engine = all(np.array_equal(a, b) for a, b in [
        (max_pooled, max_engine), (avg_pooled, avg_engine),
        (max_pooled, window_values.max(-1)), (avg_pooled, window_values.mean(-1))])
    # Each max-pool output is one of its window's values and at least all of them.
    max_are_window_maxima = bool(np.all(max_pooled[..., None] >= window_values)
                                 and np.all((max_pooled[..., None] == window_values).any(axis=-1)))
    with T.no_grad():
        side_100 = T.nn.functional.max_pool2d(T.zeros(1, 1, 100, 100), 2).shape[-1]  # 004:2315

    count, shown = len(digits), int(np.flatnonzero(labels == 4)[0])
    digit_max, digit_avg = engine_pool(T, digits, "max"), engine_pool(T, digits, "avg")
    lesson.check("E23: the seed's loops equal the engine's pooling on a digit",
                 np.array_equal(max_pooling(digits[0]), digit_max[0])
                 and np.abs(avg_pooling(digits[0]) - digit_avg[0]).max() <= ROUNDING)
    peak = digits.max(axis=(1, 2))

    fig = new_figure(12.0, 8.0)
    axes = fig.subplots(2, 3)
    show_pooled(axes[0, 0], image, "seed's 6x6 matrix (2x2 windows)", 9, window=2)
    show_pooled(axes[0, 1], max_pooled, "max pooling 2x2 -> 3x3 (both 9s kept)", 9)
    top = show_pooled(axes[0, 2], avg_pooled, "average pooling 2x2 -> 3x3 (top value 5)", 9)
    fig.colorbar(top, ax=axes[0, :], fraction=0.03, label="value")
    show_pooled(axes[1, 0], digits[shown], "MNIST '4', 28x28", 1)
    show_pooled(axes[1, 1], digit_max[shown], "max pooling -> 14x14 (strokes stay bright)", 1)
    top = show_pooled(axes[1, 2], digit_avg[shown], "average pooling -> 14x14 (edges dimmed)", 1)
    fig.colorbar(top, ax=axes[1, :], fraction=0.03, label="brightness")
    fig.suptitle("Pooling keeps 1 value in 4: the maximum or the mean of each 2x2 window", fontsize=11)
    path = lesson.figure("pooling", fig, shows="V18")

    lesson.claim(
        id="E23", seed_ref="004:2321-2401",
        claim="2x2 pooling with stride 2 turns the 6x6 matrix into 3x3 (4 times fewer values; 100x100 into "
              "50x50); max pooling "
              "keeps the strongest feature of each window, average pooling keeps the overall brightness.",
        measured={"max_pooled": max_pooled, "avg_pooled": avg_pooled,
                  "hand_equals_engine": bool(hand_equals_engine),
                  "reduction": image.size / max_pooled.size, "pooled_side_of_100": int(side_100),
                  "max_are_window_maxima": max_are_window_maxima,
                  "global_max": float(image.max()), "max_pooled_top": float(max_pooled.max()),
                  "avg_pooled_top": float(avg_pooled.max()),
                  "global_max_kept": bool(max_pooled.max() == image.max()),
                  "avg_keeps_mean": bool(np.isclose(avg_pooled.mean(), image.mean(), rtol=0, atol=ROUNDING)),
                  "digits": count, "digit_peak_kept_by_max": int((digit_max.max(axis=(1, 2)) == peak).sum()),
                  "digit_peak_ratio_avg_mean": float(np.mean(digit_avg.max(axis=(1, 2)) / peak)),
                  "digit_mean_change_avg_max": float(np.abs(digit_avg.mean(axis=(1, 2))
                                                            - digits.mean(axis=(1, 2))).max())},
        rule=all_of(is_true("hand_equals_engine"), close("reduction", 4.0, 0), close("pooled_side_of_100", 50, 0),
                    is_true("max_are_window_maxima"),
                    is_true("global_max_kept"), below("avg_pooled_top", "global_max"), is_true("avg_keeps_mean")),
        figures=[path])


# %%
def run(lesson):
    test = data.load("mnist").test  # real images for the zoo and the pools: the first MNIST test digits
    count = lesson.pick(1000, 200)
    digits, labels = test.x[:count, 0].astype(np.float64), test.y[:count]
    convolution_claim(lesson, digits, labels)
    pooling(lesson, digits, labels)


# %%
if __name__ == "__main__":
    from neuralab.lessons.runner import run_and_show

    run_and_show("convolution")
