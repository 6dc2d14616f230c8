"""Data-parallel training on the torch engine: PyTorch's launcher, process group and DDP.

A run with ``N`` processes (``neuralab train RECIPE --nproc N`` or ``torchrun
--nproc_per_node N -m neuralab train RECIPE``) works like this:

* every process builds the same model from the same seed; ``DistributedDataParallel``
  broadcasts rank 0's weights once and averages the gradients after each ``backward``;
* every process draws the same epoch order ``default_rng([seed, e]).permutation(n)`` (the
  per-epoch seeding of a distributed sampler) and trains on its ``1/N`` share of each global
  batch, so the global batch is what the recipe states and the per-rank batch is ``batch / N``.
  The mean of the ``N`` per-rank mean gradients is the single-process gradient of the global
  batch when the shares are equal, so the weights follow a single-process run;
* only rank 0 writes the run folder (config, logs, checkpoints, figures); the others write
  into a throwaway folder and resume from rank 0's checkpoints.

The rank and world size come from the environment ``torch.distributed.run`` sets
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np


def rank() -> int:
    """This process's rank (0 outside a distributed launch)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes train together (1 outside a distributed launch)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed() -> bool:
    return world_size() > 1


def local_device(device: str) -> str:
    """``cuda`` becomes this process's GPU ``cuda:<LOCAL_RANK>``; other devices stay as they are."""
    if is_distributed() and device.startswith("cuda") and ":" not in device:
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return device


def init_process_group(device: str) -> None:
    """Join the process group of this launch (gloo on CPU, NCCL on CUDA); nothing outside one."""
    if not is_distributed():
        return
    import torch.distributed as dist  # noqa: PLC0415 - torch only for distributed runs

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo")


def close_process_group() -> None:
    if not is_distributed():
        return
    import torch.distributed as dist  # noqa: PLC0415

    if dist.is_initialized():
        dist.destroy_process_group()


def wrap(model: Any, device: str, loss: Callable[[Any, Any], tuple[Any, Any]], *, find_unused: bool) -> Any:
    """``DistributedDataParallel`` over ``loss(x, y) -> (loss, outputs)``, computed with ``model``.

    DDP averages only the gradients of a backward that follows its own forward, so the whole
    loss (``loss_fn(model(x), y)`` or a task's ``compute_loss``, which may call model methods
    other than ``forward``) runs inside it. ``find_unused``: let DDP skip parameters a loss
    leaves out (slower; needed when a ``compute_loss`` uses only part of the model)."""
    import torch  # noqa: PLC0415

    if not isinstance(model, torch.nn.Module):
        raise ValueError("distributed training needs the torch engine; this model is not a torch.nn.Module")

    class LossOfModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model  # a submodule: DDP sees, broadcasts and averages all its parameters

        def forward(self, x, y):
            return loss(x, y)

    ids = [torch.device(device).index] if device.startswith("cuda") else None
    return torch.nn.parallel.DistributedDataParallel(LossOfModel(), device_ids=ids, find_unused_parameters=find_unused)


def check_batches(n: int, batch_size: int) -> None:
    """Every global batch must give each of the ``N`` processes at least one sample (an empty
    share would leave the others waiting for its gradients forever)."""
    world = world_size()
    if world == 1:
        return
    if batch_size < world:
        raise ValueError(f"batch_size {batch_size} is smaller than the {world} processes: "
                         f"each process needs at least one sample of every batch")
    if 0 < n % batch_size < world:
        raise ValueError(f"the last batch of {n % batch_size} samples ({n} samples, batch_size {batch_size}) "
                         f"cannot feed {world} processes; choose a batch size that leaves at least {world}")


def share(index: np.ndarray) -> np.ndarray:
    """This rank's contiguous share of a global batch's sample indices (sizes differ by at most 1)."""
    world = world_size()
    if world == 1:
        return index
    return np.array_split(index, world)[rank()]


def share_batch(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    """This rank's share (along the first axis) of each array of a batch-source batch."""
    if world_size() == 1:
        return parts
    if any(part is not None and len(part) < world_size() for part in parts):
        raise ValueError(f"a batch of {min(len(p) for p in parts if p is not None)} samples cannot feed "
                         f"{world_size()} processes; use a batch size of at least {world_size()}")
    return tuple(None if part is None else np.asarray(part)[share(np.arange(len(part)))] for part in parts)


def launch(nproc: int, train_args: Sequence[str]) -> int:
    """Run ``python -m neuralab train <train_args>`` in ``nproc`` processes on this machine
    through ``torch.distributed.run`` (what ``torchrun --standalone`` does). Returns 0, or
    raises ``ValueError`` naming how many processes failed (each prints its own error)."""
    if nproc < 1:
        raise ValueError(f"--nproc must be at least 1; got {nproc}")
    from torch.distributed import run as torchrun  # noqa: PLC0415
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError  # noqa: PLC0415

    try:
        torchrun.main(["--standalone", f"--nproc_per_node={nproc}", "-m", "neuralab", "train", *train_args])
    except ChildFailedError as failed:  # each process has printed its own error already
        codes = sorted({failure.exitcode for failure in failed.failures.values()})
        raise ValueError(f"{len(failed.failures)} of the {nproc} training processes stopped "
                         f"(exit code {', '.join(map(str, codes))}); their errors are printed above") from None
    return 0


def throwaway_folder() -> str:
    """A temporary folder for the run record of a rank other than 0, removed when the process
    exits (also after an error; a killed process leaves it in the system's temp folder)."""
    import atexit  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    folder = tempfile.mkdtemp(prefix=f"neuralab-rank{rank()}-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
