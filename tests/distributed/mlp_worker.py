"""One process of the DDP parity test: a small MLP trained 20 steps by the Trainer.

Run alone it trains in one process; under ``torch.distributed.run`` each process trains on its
share of every global batch. Rank 0 saves the final parameters to ``sys.argv[1]`` (.npz)."""

from __future__ import annotations

import sys

import numpy as np
import torch

from neuralab.train import Trainer, distributed

SAMPLES, BATCH, EPOCHS = 160, 16, 2  # 10 steps per epoch: 20 optimizer steps in all


def train_small_mlp(way: str = "loss_fn") -> dict[str, np.ndarray]:
    """The parameters after 20 SGD steps of a 4-32-3 MLP (no dropout) on fixed random data, trained
    through ``way``: ``"loss_fn"`` (classify), ``"compute_loss"`` (the VAE/diffusion path) or
    ``"batch_source"`` (``batches(epoch, rng)``, the language-model path)."""
    torch.set_num_threads(1)
    distributed.init_process_group("cpu")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(SAMPLES, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    torch.manual_seed(5)
    model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(), torch.nn.Linear(32, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cross_entropy = torch.nn.functional.cross_entropy
    if way == "loss_fn":
        trainer = Trainer(model, optimizer, cross_entropy, seed=11, progress=False)
        trainer.fit((x, y), epochs=EPOCHS, batch_size=BATCH)
    else:
        trainer = Trainer(model, optimizer, compute_loss=lambda m, xb, yb: (cross_entropy(m(xb), yb), None),
                          seed=11, progress=False)
        if way == "compute_loss":
            trainer.fit((x, y), epochs=EPOCHS, batch_size=BATCH)
        else:
            def batches(epoch, batch_rng):
                while True:
                    index = batch_rng.choice(SAMPLES, size=BATCH, replace=False)
                    yield x[index], y[index]
            trainer.fit(batches, epochs=EPOCHS, batch_size=BATCH, steps_per_epoch=SAMPLES // BATCH)
    assert trainer.global_step == 20
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


WAYS = ("loss_fn", "compute_loss", "batch_source")

if __name__ == "__main__":
    trained = {f"{way}/{name}": value for way in WAYS for name, value in train_small_mlp(way).items()}
    distributed.close_process_group()
    if distributed.rank() == 0:
        np.savez(sys.argv[1], **trained)
