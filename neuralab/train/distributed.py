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
from typing import Any, Sequence

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


def wrap(model: Any, device: str) -> Any:
    """``DistributedDataParallel(model)`` in a distributed torch run, else ``None``."""
    if not is_distributed():
        return None
    import torch  # noqa: PLC0415

    if not isinstance(model, torch.nn.Module):
        raise ValueError("distributed training needs the torch engine; this model is not a torch.nn.Module")
    ids = [torch.device(device).index] if device.startswith("cuda") else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


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


def launch(nproc: int, train_args: Sequence[str]) -> int:
    """Run ``python -m neuralab train <train_args>`` in ``nproc`` processes on this machine
    through ``torch.distributed.run`` (what ``torchrun --standalone`` does). Returns 0, or
    raises the launcher's error when a process failed."""
    if nproc < 1:
        raise ValueError(f"--nproc must be at least 1; got {nproc}")
    from torch.distributed import run as torchrun  # noqa: PLC0415

    torchrun.main(["--standalone", f"--nproc_per_node={nproc}", "-m", "neuralab", "train", *train_args])
    return 0


def discard_throwaway(run_dir: str) -> None:
    """Remove the throwaway run folder of a rank other than 0 (and the temporary folder holding it)."""
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    folder = os.path.dirname(os.path.abspath(run_dir))
    if rank() > 0 and os.path.basename(folder).startswith("neuralab-rank") and folder.startswith(tempfile.gettempdir()):
        shutil.rmtree(folder, ignore_errors=True)
