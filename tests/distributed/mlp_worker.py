"""One process of the DDP parity test: a small MLP trained 20 steps by the Trainer.

Run alone it trains in one process; under ``torch.distributed.run`` each process trains on its
share of every global batch. Rank 0 saves the final parameters to ``sys.argv[1]`` (.npz)."""

from __future__ import annotations

import sys

import numpy as np
import torch

from neuralab.train import Trainer, distributed

SAMPLES, BATCH, EPOCHS = 160, 16, 2  # 10 steps per epoch: 20 optimizer steps in all


def train_small_mlp() -> dict[str, np.ndarray]:
    """The parameters after 20 SGD steps of a 4-32-3 MLP (no dropout) on fixed random data."""
    torch.set_num_threads(1)
    distributed.init_process_group("cpu")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(SAMPLES, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    torch.manual_seed(5)
    model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(), torch.nn.Linear(32, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, optimizer, torch.nn.functional.cross_entropy, seed=11, progress=False)
    trainer.fit((x, y), epochs=EPOCHS, batch_size=BATCH)
    assert trainer.global_step == 20
    distributed.close_process_group()
    return {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}


if __name__ == "__main__":
    parameters = train_small_mlp()
    if distributed.rank() == 0:
        np.savez(sys.argv[1], **parameters)
