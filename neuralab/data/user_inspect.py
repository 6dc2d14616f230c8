"""What ``neuralab data inspect PATH`` shows: a user's data read as training would read it."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from neuralab.data import user_arrays, user_csv, user_images
from neuralab.data.user import describe, to_splits

READERS = {"csv": user_csv, "folder": user_images, "npz": user_arrays}


def guess_kind(path: str | Path) -> str:
    """``folder`` for a directory, ``npz`` for a ``.npz`` file, else ``csv``."""
    path = Path(path)
    if path.is_dir():
        return "folder"
    return "npz" if path.suffix.lower() == ".npz" else "csv"


def inspect_data(path: str | Path, kind: str | None = None, **options: Any) -> dict[str, Any]:
    """Read ``path`` as dataset ``kind`` (default: :func:`guess_kind`) with the loader's ``options``
    and describe the result (:func:`neuralab.data.user.describe`); bad data raise the loader's error."""
    kind = kind or guess_kind(path)
    if kind not in READERS:
        raise ValueError(f"kind must be one of {', '.join(READERS)}; got {kind!r}")
    module = READERS[kind]
    allowed = [name for name in inspect.signature(module.load).parameters if name != "path"]
    unknown = [name for name in options if name not in allowed]
    if unknown:
        raise ValueError(f"{kind} has no option {unknown[0]!r} (options: {', '.join(allowed)})")
    read_names = set(inspect.signature(module.read).parameters) - {"path"}
    data = module.read(path, **{k: v for k, v in options.items() if k in read_names})
    splits = to_splits(data, **{k: v for k, v in options.items() if k not in read_names})
    return describe(data, splits, {"path": str(path), **options})
