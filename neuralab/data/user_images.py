"""``data.name=folder``: a folder of pictures with one sub-folder per class.

    my-pictures/
        cat/  001.png  002.jpg ...         <- the sub-folder's name is the class
        dog/  ...

* pictures are PNG, JPEG, BMP, GIF, TIFF or WebP (read by Pillow, :mod:`neuralab.data.pictures`),
  as float32 ``(N, C, H, W)`` in [0, 1];
* ``channels``: 1 (grey) or 3 (RGB); default 1 when every picture is grey, else 3;
* ``size``: ``[H, W]`` (or one number for a square) resizes every picture (Lanczos); by default
  all pictures must already have the same size, and mixed sizes are refused, naming two files;
* other files (a ``README``, ``.DS_Store``) and hidden entries are skipped and reported;
  a picture that cannot be read stops loading with its file name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuralab.data.pictures import picture_header, read_picture
from neuralab.data.splits import Splits
from neuralab.data.user import TEST_FRACTION, VAL_FRACTION, UserData, checked_path, to_splits

SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _size(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, int) and not isinstance(size, bool):
        size = [size, size]
    if not (isinstance(size, (list, tuple)) and len(size) == 2
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in size)):
        raise ValueError(f"size must be [height, width] in pixels (or one number for a square); got {size!r}")
    return int(size[0]), int(size[1])


def _is_picture(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SUFFIXES


def scan(path: str | Path) -> tuple[Path, list[tuple[str, list[Path]]], list[Path]]:
    """``(folder, [(class, pictures)], skipped files)``: the class sub-folders in name order."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (the folder dataset reads a folder with one sub-folder per class)")
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    loose = [p for p in entries if _is_picture(p)]
    if loose:
        raise ValueError(f"{folder}: pictures directly in the folder ({loose[0].name}, ...): put each class's "
                         "pictures in a sub-folder named after the class")
    classes, skipped = [], [p for p in entries if p.is_file()]
    for sub in (p for p in entries if p.is_dir()):
        files = sorted(p for p in sub.rglob("*") if not any(part.startswith(".") for part in p.relative_to(sub).parts))
        pictures = [p for p in files if _is_picture(p)]
        skipped += [p for p in files if p.is_file() and not _is_picture(p)]
        if not pictures:
            raise ValueError(f"{sub}: the class folder {sub.name!r} holds no pictures ({', '.join(SUFFIXES)})")
        classes.append((sub.name, pictures))
    if not classes:
        raise ValueError(f"{folder}: no class sub-folders (expected one sub-folder of pictures per class)")
    return folder, classes, skipped


def read(path: str | Path, size=None, channels: int | None = None) -> UserData:
    """The pictures of the folder at ``path`` (see the module docstring)."""
    size = _size(size)
    if channels not in (None, 1, 3):
        raise ValueError(f"channels must be 1 (grey), 3 (RGB) or null (1 when every picture is grey); got {channels!r}")
    folder, classes, skipped = scan(path)
    files = [(name, picture) for name, pictures in classes for picture in pictures]
    headers = [picture_header(picture) for _, picture in files]
    first = (files[0][1], headers[0][:2])
    notes = [f"skipped {len(skipped)} files that are not pictures ({', '.join(p.name for p in skipped[:3])}"
             f"{', ...' if len(skipped) > 3 else ''})"] if skipped else []
    for (_, picture), (height, width, _) in zip(files, headers):
        if size is None and (height, width) != first[1]:
            raise ValueError(f"{folder}: pictures differ in size: {first[0]} is {first[1][1]}x{first[1][0]}, {picture} is "
                             f"{width}x{height} (width x height); set data.options.size=[H, W] to resize them all")
    if size is not None:
        resized = sum(1 for height, width, _ in headers if (height, width) != size)
        if resized:
            notes.append(f"{resized} of {len(files)} pictures resized to {size[1]}x{size[0]} (width x height)")
    if channels is None:
        channels = 1 if all(grey for _, _, grey in headers) else 3
    x = np.stack([read_picture(picture, channels, size) for _, picture in files]).astype(np.float32)
    labels = np.asarray([name for name, _ in files])
    return UserData("folder", folder, x, labels, "picture", notes=tuple(notes))


def load(*, path: str | None = None, size=None, channels: int | None = None, seed: int = 0,
         val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION, sha256: str | None = None) -> Splits:
    """An image folder (one sub-folder per class) as fixed stratified splits (see
    :mod:`neuralab.data.user`); ``path`` is required."""
    pictures = read(checked_path(path, "folder", "FOLDER (one sub-folder per class)"), size, channels)
    return to_splits(pictures, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction, sha256=sha256)
