"""A small U-Net noise predictor eps_theta(x_t, t[, y]) for diffusion on images (MNIST: 28 -> 14 -> 7).

    e   = MLP(sinusoid(t)) [+ Embed(y)]                 the step (and label) embedding, (N, E)
    ResBlock(h, e) = h' + skip(h),   h' = Conv(SiLU(GN(Conv(SiLU(GN(h))) + W e)))
    down path: stem conv at 28 -> [ResBlock]*blocks at each level, stride-2 conv between levels
    up path:   ConvTranspose(2, stride 2) back up, concat the down path's output (skip), ResBlock
    eps_hat = Conv(SiLU(GN(h)))                         (N, C, H, W), the shape of x_t

``channels = (c_0, c_1, ..., c_L)`` are the widths at resolutions 28, 14, 7 (each level halves
the size, so H and W must be divisible by 2^L; 28 -> 14 -> 7 needs no padding). The step
embedding is the fixed sinusoid of the denoiser MLP (``models/diffusion.py``) followed by a
learned two-layer MLP; each residual block adds its own projection of it after the first conv.

Class conditioning (``num_classes > 0``): a label embedding with ``num_classes + 1`` rows is
added to the step embedding; the extra row ``null_label = num_classes`` means "no label", so
one network learns both eps(x_t, t, y) and eps(x_t, t) when training drops labels to
``null_label`` now and then (classifier-free guidance, Ho & Salimans 2021; see
``neuralab.generative.diffusion.guided_noise``). ``labels=None`` asks for the unconditional
prediction.
"""

from __future__ import annotations

from types import ModuleType

from neuralab.models.diffusion import sinusoidal_frequencies


def build(T: ModuleType, image_channels: int = 1, channels: tuple[int, ...] = (32, 64, 64), blocks: int = 1,
          time_dim: int = 64, embed_dim: int = 128, groups: int = 8, num_classes: int = 0):
    """A U-Net mapping ``x_t: (N, image_channels, H, W)`` and integer steps ``t: (N,)`` (and
    optional labels ``(N,)``) to predicted noise of the same shape as ``x_t``.

    Args:
        image_channels: channels of the images (1 for MNIST).
        channels: widths per resolution level, top (full size) first; ``len(channels) - 1``
            down-samplings by 2.
        blocks: residual blocks per level on the way down (the way up has one per level).
        time_dim: size of the fixed sinusoidal step embedding (even).
        embed_dim: size of the learned step (+ label) embedding fed to every block.
        groups: GroupNorm groups; must divide every width.
        num_classes: 0 for an unconditional model, else the number of labels (plus a null label).
    """
    channels = tuple(int(c) for c in channels)
    if len(channels) < 2 or min(channels) < 1 or blocks < 1 or image_channels < 1:
        raise ValueError(f"U-Net needs at least two levels of channels >= 1, blocks >= 1 and image_channels >= 1; got "
                         f"channels={channels}, blocks={blocks}, image_channels={image_channels}")
    if time_dim < 2 or time_dim % 2 or embed_dim < 1:
        raise ValueError(f"U-Net needs an even time_dim >= 2 and embed_dim >= 1; got {time_dim}, {embed_dim}")
    if groups < 1 or any(c % groups for c in channels):
        raise ValueError(f"groups={groups} must divide every width in channels={channels}")
    if num_classes < 0:
        raise ValueError(f"num_classes must be 0 (unconditional) or positive; got {num_classes}")

    class ResidualBlock(T.nn.Module):
        """Two GroupNorm-SiLU-Conv3x3 layers with the embedding added in between, plus a skip."""

        def __init__(self, inputs: int, outputs: int):
            super().__init__()
            self.norm1 = T.nn.GroupNorm(groups, inputs)
            self.conv1 = T.nn.Conv2d(inputs, outputs, 3, padding=1)
            self.embed = T.nn.Linear(embed_dim, outputs)
            self.norm2 = T.nn.GroupNorm(groups, outputs)
            self.conv2 = T.nn.Conv2d(outputs, outputs, 3, padding=1)
            self.act = T.nn.SiLU()
            self.skip = T.nn.Identity() if inputs == outputs else T.nn.Conv2d(inputs, outputs, 1)

        def forward(self, x, embedding):
            h = self.conv1(self.act(self.norm1(x)))
            h = h + self.embed(embedding).reshape(h.shape[0], h.shape[1], 1, 1)
            h = self.conv2(self.act(self.norm2(h)))
            return h + self.skip(x)

    class UNet(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.num_classes = num_classes
            self.null_label = num_classes if num_classes else None
            self.register_buffer("frequencies", T.from_numpy(sinusoidal_frequencies(time_dim)), persistent=False)
            self.time_mlp = T.nn.Sequential(T.nn.Linear(time_dim, embed_dim), T.nn.SiLU(), T.nn.Linear(embed_dim, embed_dim))
            if num_classes:
                self.label_embedding = T.nn.Embedding(num_classes + 1, embed_dim)
            self.embed_act = T.nn.SiLU()
            self.stem = T.nn.Conv2d(image_channels, channels[0], 3, padding=1)
            self.down = T.nn.ModuleList()
            self.downsample = T.nn.ModuleList()
            width = channels[0]
            for level, out in enumerate(channels):
                stage = T.nn.ModuleList()
                for _ in range(blocks):
                    stage.append(ResidualBlock(width, out))
                    width = out
                self.down.append(stage)
                if level + 1 < len(channels):
                    self.downsample.append(T.nn.Conv2d(width, width, 3, stride=2, padding=1))
            self.middle = ResidualBlock(width, width)
            self.upsample = T.nn.ModuleList()
            self.up = T.nn.ModuleList()
            for level in reversed(range(len(channels) - 1)):
                self.upsample.append(T.nn.ConvTranspose2d(width, channels[level], 2, stride=2))
                self.up.append(ResidualBlock(2 * channels[level], channels[level]))
                width = channels[level]
            self.out_norm = T.nn.GroupNorm(groups, width)
            self.out = T.nn.Conv2d(width, image_channels, 3, padding=1)

        def embedding(self, t, labels, dtype):
            """The step (+ label) embedding ``(N, embed_dim)``, passed through SiLU once for all blocks."""
            angles = t.to(dtype).reshape(-1, 1) * self.frequencies.reshape(1, -1)
            embedding = self.time_mlp(T.cat([T.sin(angles), T.cos(angles)], dim=1))
            if self.num_classes:
                if labels is None:
                    labels = T.full((t.shape[0],), self.null_label, dtype=T.int64, device=t.device)
                embedding = embedding + self.label_embedding(labels)
            elif labels is not None:
                raise ValueError("this U-Net is unconditional (num_classes=0): call it without labels")
            return self.embed_act(embedding)

        def forward(self, x, t, labels=None):
            size = 2 ** (len(channels) - 1)
            if x.dim() != 4 or x.shape[1] != image_channels or x.shape[2] % size or x.shape[3] % size:
                raise ValueError(f"U-Net expects x_t of shape (N, {image_channels}, H, W) with H and W divisible by {size}; "
                                 f"got {tuple(x.shape)}")
            embedding = self.embedding(t, labels, x.dtype)
            h = self.stem(x)
            skips = []
            for level, stage in enumerate(self.down):
                for block in stage:
                    h = block(h, embedding)
                if level < len(self.downsample):
                    skips.append(h)
                    h = self.downsample[level](h)
            h = self.middle(h, embedding)
            for upsample, block in zip(self.upsample, self.up):
                h = block(T.cat([upsample(h), skips.pop()], dim=1), embedding)
            return self.out(self.embed_act(self.out_norm(h)))

    return UNet()
