"""Run an ordinary PyTorch script unchanged, on PyTorch or on the scratch engine.

    python examples/compat/run.py torch   examples/compat/mnist_cnn.py --epochs 2
    python examples/compat/run.py scratch examples/compat/mnist_cnn.py --epochs 2

With ``scratch``, every ``import torch`` / ``import torch.nn.functional as F`` / ``from
torch.utils.data import DataLoader`` in the script resolves to ``neuralab.scratch`` and its
submodules (an import hook placed first on ``sys.meta_path``), so the file runs as written
and real PyTorch is never imported.  With ``torch`` the script runs as it is.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import types


class ScratchAsTorch(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``torch`` and ``torch.X.Y`` with ``neuralab.scratch`` and ``neuralab.scratch.X.Y``."""

    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        target = "neuralab.scratch" + spec.name[len("torch"):]
        try:
            return importlib.import_module(target)
        except ModuleNotFoundError:
            # a submodule bound as an attribute (torch.autograd.function, torch.autograd.functional)
            parent, _, attr = target.rpartition(".")
            value = getattr(importlib.import_module(parent), attr)
            if not isinstance(value, types.ModuleType):
                raise ModuleNotFoundError(f"No module named {spec.name!r} in the scratch engine") from None
            return value

    def exec_module(self, module):
        return None  # the scratch module is already initialised


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("torch", "scratch"):
        raise SystemExit("usage: run.py {torch|scratch} SCRIPT.py [script arguments...]")
    engine, script = argv[0], argv[1]
    if not os.path.isfile(script):
        raise SystemExit(f"run.py: no script at {script!r}")
    if engine == "scratch":
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
        sys.meta_path.insert(0, ScratchAsTorch())
    sys.argv = [script, *argv[2:]]
    runpy.run_path(script, run_name="__main__")
    if engine == "scratch":
        real = [m for m in sys.modules.values() if getattr(m, "__name__", "").split(".")[0] == "torch"]
        if real:
            raise SystemExit(f"run.py: real torch was imported ({real[0].__name__})")


if __name__ == "__main__":
    main(sys.argv[1:])
