"""Architectures written once against the torch API.

Every model module exposes ``build(T, **hparams) -> T.nn.Module`` where ``T`` is
an engine module (``torch`` or ``neuralab.scratch``). Models use only what both
engines share: ``T.nn``, ``T.nn.functional``, ``T.cat`` and friends.
"""

from __future__ import annotations

import difflib
import importlib
from types import ModuleType
from typing import Any

MODELS = {
    "mlp": "neuralab.models.mlp",
    "cnn": "neuralab.models.cnn",
    "gan": "neuralab.models.gan",
    "denoiser": "neuralab.models.diffusion",
    "autoencoder": "neuralab.models.autoencoder",
}
MODELS["char_rnn"] = "neuralab.models.char_rnn"
MODELS["gpt"] = "neuralab.models.gpt"
MODELS["seq2seq_transformer"] = "neuralab.models.seq2seq_transformer"
MODELS["forecaster"] = "neuralab.models.forecaster"
MODELS["vae"] = "neuralab.models.vae"
MODELS["dcgan"] = "neuralab.models.dcgan"
MODELS["unet"] = "neuralab.models.unet"


def build(name: str, T: ModuleType, **hparams: Any):
    """Build model ``name`` for engine ``T`` with ``hparams``."""
    if name not in MODELS:
        hint = difflib.get_close_matches(name, MODELS, n=1)
        raise KeyError(f"unknown model {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else f"; known: {sorted(MODELS)}"))
    return importlib.import_module(MODELS[name]).build(T, **hparams)


def count_parameters(model) -> int:
    """Number of trainable scalars in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
