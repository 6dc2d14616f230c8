"""A small convolutional classifier: [Conv -> (BatchNorm) -> ReLU] x k -> MaxPool, per block.

The curriculum's canonical pattern (Input -> [Conv -> ReLU -> Pool] x N -> Flatten
-> Dense -> Output, seed 004:2519) with BatchNorm and Dropout, its own listed
improvements (004:2782).

    x: (N, C, H, W)
    block b: convs_per_block x [Conv3x3(pad 1) -> BN -> ReLU], then MaxPool 2x2  (H, W halve)
    head: Flatten -> Linear(hidden) -> ReLU -> Dropout -> Linear(num_classes)
"""

from __future__ import annotations

from types import ModuleType


def build(
    T: ModuleType,
    in_channels: int = 1,
    image_size: int = 28,
    num_classes: int = 10,
    channels=(32, 64),
    convs_per_block: int = 1,
    kernel_size: int = 3,
    hidden: int = 128,
    dropout: float = 0.25,
    batchnorm: bool = True,
):
    """Build the CNN; ``image_size`` must stay divisible by 2 for every block."""
    channels = [int(c) for c in channels]
    if not channels or min(channels) < 1:
        raise ValueError(f"cnn channels must list at least one block width >= 1; got {channels}")
    if kernel_size % 2 != 1:
        raise ValueError(f"cnn kernel_size must be odd so 'same' padding keeps the size; got {kernel_size}")
    layers, width, size = [], int(in_channels), int(image_size)
    for out_channels in channels:
        for _ in range(int(convs_per_block)):
            # BatchNorm follows immediately, so the conv bias would be redundant.
            layers.append(T.nn.Conv2d(width, out_channels, kernel_size, padding=kernel_size // 2, bias=not batchnorm))
            if batchnorm:
                layers.append(T.nn.BatchNorm2d(out_channels))
            layers.append(T.nn.ReLU())
            width = out_channels
        layers.append(T.nn.MaxPool2d(2))
        size //= 2
    if size < 1:
        raise ValueError(f"cnn: {len(channels)} pooling blocks shrink a {image_size}px image below 1px")
    layers += [T.nn.Flatten(), T.nn.Linear(width * size * size, hidden), T.nn.ReLU()]
    if dropout:
        layers.append(T.nn.Dropout(dropout))
    layers.append(T.nn.Linear(hidden, num_classes))
    return T.nn.Sequential(*layers)
