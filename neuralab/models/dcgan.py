"""DCGAN for 28x28 images (Radford et al. 2015), optionally conditional on a class or a code.

``build`` returns ``T.nn.ModuleDict({"generator": G, "discriminator": D})`` like ``models.gan``;
both networks take ``(x, condition=None)``, the condition being class labels ``(N,)`` int64
(``num_classes`` > 0) or real-valued codes ``(N, code_dim)`` (``code_dim`` > 0):

    G: z (N, noise_dim) [++ e(c)] -> Linear -> (width, 7, 7) -> BN -> ReLU
       -> ConvT 4x4/2 -> (width/2, 14, 14) -> BN -> ReLU -> ConvT 4x4/2 -> (C, 28, 28) -> sigmoid
    D: x (N, C, 28, 28) -> Conv 4x4/2 -> (width/2, 14, 14) -> LeakyReLU(0.2)
       -> Conv 4x4/2 -> (width, 7, 7) [-> BN] -> LeakyReLU(0.2) -> Flatten -> h -> [Dropout]
       score = Linear(h) [+ <p(c), h> / sqrt(dim h)]                (N, 1) raw score

with e(c) a label embedding (``embed_dim``) or the code itself, and p(c) an embedding of the
label or a Linear map of the code into h's space. The generator ends in a sigmoid so samples
live in [0, 1] like the data. The conditional discriminator is a projection discriminator
(Miyato & Koyama 2018): the condition enters through an inner product with the features, so
D can judge whether image and condition agree (one concatenated before the last Linear would
only shift the score).
"""

from __future__ import annotations

from types import ModuleType


def build(T: ModuleType, noise_dim: int = 64, channels: int = 1, width: int = 64, num_classes: int = 0,
          embed_dim: int = 16, d_batchnorm: bool = True, d_dropout: float = 0.0, code_dim: int = 0):
    """Generator and discriminator for (channels, 28, 28) images in [0, 1].

    Args:
        noise_dim: size of z ~ N(0, I).
        channels: image channels (1 for MNIST).
        width: channels at 7x7 in both networks (halved at 14x14).
        num_classes: 0, or the number of class labels G and D are given.
        embed_dim: size of the generator's label embedding (class-conditional only).
        d_batchnorm: BatchNorm in D (turn off for WGAN-GP: the penalty is per sample).
        d_dropout: dropout before D's last layer.
        code_dim: 0, or the size of a real-valued code G and D are given (e.g. a coarse
            description of the image such as its leading PCA coefficients); not with num_classes.
    """
    if min(noise_dim, channels, width) < 1 or width % 2 or num_classes < 0 or code_dim < 0 or (num_classes and code_dim):
        raise ValueError(f"dcgan needs noise_dim, channels >= 1, an even width >= 2, num_classes >= 0 and code_dim >= 0, "
                         f"not both > 0; got noise_dim={noise_dim}, channels={channels}, width={width}, "
                         f"num_classes={num_classes}, code_dim={code_dim}")
    half, nn = width // 2, T.nn
    features = width * 7 * 7
    condition_width = embed_dim if num_classes else code_dim  # what G gets beside z

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.noise_dim, self.num_classes, self.code_dim = int(noise_dim), int(num_classes), int(code_dim)
            self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
            self.net = nn.Sequential(
                nn.Linear(noise_dim + condition_width, features, bias=False),
                nn.Unflatten(1, (width, 7, 7)), nn.BatchNorm2d(width), nn.ReLU(),
                nn.ConvTranspose2d(width, half, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
                nn.ConvTranspose2d(half, channels, 4, stride=2, padding=1), nn.Sigmoid(),
            )

        def forward(self, z, condition=None):
            if self.embed is not None:
                z = T.cat([z, self.embed(condition)], dim=1)
            elif self.code_dim:
                z = T.cat([z, condition], dim=1)
            return self.net(z)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.num_classes = int(num_classes)
            layers = [nn.Conv2d(channels, half, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                      nn.Conv2d(half, width, 4, stride=2, padding=1, bias=not d_batchnorm)]
            layers += [nn.BatchNorm2d(width)] if d_batchnorm else []
            layers += [nn.LeakyReLU(0.2), nn.Flatten()]
            layers += [nn.Dropout(d_dropout)] if d_dropout else []
            self.features = nn.Sequential(*layers)
            self.score = nn.Linear(features, 1)
            self.project = (nn.Embedding(num_classes, features) if num_classes
                            else nn.Linear(code_dim, features, bias=False) if code_dim else None)
            self.project_scale = features ** -0.5

        def forward(self, x, condition=None):
            h = self.features(x)
            score = self.score(h)
            if self.project is not None:
                # Scaled so the condition term starts as small as the Linear's score (embeddings start at N(0, 1)).
                score = score + (self.project(condition) * h).sum(dim=1, keepdim=True) * self.project_scale
            return score

    return nn.ModuleDict({"generator": Generator(), "discriminator": Discriminator()})
