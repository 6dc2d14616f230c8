"""The on-disk dataset cache: one folder per dataset plus a JSON manifest.

Layout (root: ``$NEURALAB_DATA``, else ``~/.cache/neuralab``)::

    <root>/<name>/<file>            data files, each written atomically
    <root>/<name>/manifest.json     {"name", "format", "source", "created",
                                     "files": {<file>: {"sha256", "bytes"}}, ...}

The manifest is written last, after every data file, and removed first when a dataset
is rebuilt, so a folder without a manifest is an interrupted fetch, never a valid cache.
Reading a file checks its SHA-256; a mismatch raises :class:`ChecksumError` naming the
file and both checksums, and the bytes are not returned.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from neuralab.data.checksums import ChecksumError, check_bytes, sha256_bytes
from neuralab.io import atomic_write_bytes, atomic_write_json, sha256_file

MANIFEST = "manifest.json"
FORMAT = 1


class NotCachedError(FileNotFoundError):
    """A dataset (or one of its files) is not in the cache."""


class SourceUnavailableError(FileNotFoundError):
    """No source of a dataset could be reached (no files, offline, missing package...)."""


def data_home() -> Path:
    """The cache root: ``$NEURALAB_DATA`` if set, else ``~/.cache/neuralab``."""
    root = os.environ.get("NEURALAB_DATA")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "neuralab"


def dataset_dir(name: str) -> Path:
    """The cache folder of dataset ``name`` (it may not exist)."""
    return data_home() / name


@contextlib.contextmanager
def dataset_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock on dataset ``name`` (``<root>/.<name>.lock``, ``flock``) while inside:
    two fetches at once run one after the other, so the second finds the first's cache instead of
    removing its manifest while it is being read. A cache folder that cannot be written (read-only
    ``$NEURALAB_DATA``) is not locked: nothing can be written into it either."""
    try:
        data_home().mkdir(parents=True, exist_ok=True)
        handle = open(data_home() / f".{name}.lock", "a+b")  # noqa: SIM115 - closed below
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the file is closed, also by a killed process
        yield


def refetch_hint(name: str) -> str:
    return f"run `neuralab data fetch {name} --force` to rebuild it"


def write_dataset(name: str, files: dict[str, bytes], source: str, **extra: Any) -> dict:
    """Store ``files`` (file name -> bytes) as dataset ``name`` and return its manifest."""
    folder = dataset_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # the folder is invalid until we finish
    entries = {}
    for file_name, data in files.items():
        atomic_write_bytes(folder / file_name, data)
        entries[file_name] = {"sha256": sha256_bytes(data), "bytes": len(data)}
    manifest = {
        "name": name,
        "format": FORMAT,
        "source": source,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": entries,
        **extra,
    }
    atomic_write_json(folder / MANIFEST, manifest)
    return manifest


def read_manifest(name: str) -> dict:
    """The manifest of a cached dataset; :class:`NotCachedError` if there is none."""
    path = dataset_dir(name) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise NotCachedError(
            f"{name} is not cached (no {path}); run `neuralab data fetch {name}`"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: unreadable manifest ({error}); {refetch_hint(name)}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "files" not in manifest:
        raise ValueError(f"{path}: not a neuralab manifest of format {FORMAT}; {refetch_hint(name)}")
    return manifest


def read_verified(name: str, file_name: str, expected: str | None = None) -> bytes:
    """The bytes of a cached file, after checking them against ``expected`` (default: the
    manifest's checksum, which must agree with ``expected`` when both are given)."""
    manifest = read_manifest(name)
    path = dataset_dir(name) / file_name
    entry = manifest["files"].get(file_name)
    if entry is None:
        raise ValueError(f"{path}: not listed in {MANIFEST}; {refetch_hint(name)}")
    if expected is not None and entry.get("sha256") != expected:
        raise ChecksumError(dataset_dir(name) / MANIFEST, expected, str(entry.get("sha256")),
                            f"the manifest disagrees with the built-in checksum of {file_name}; {refetch_hint(name)}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotCachedError(f"{path} is missing from the cache; {refetch_hint(name)}") from None
    size = entry.get("bytes")
    expected_size = f"{size:,}" if isinstance(size, int) else "?"
    hint = f"the cached file is corrupt or truncated ({len(data):,} bytes, expected {expected_size}); {refetch_hint(name)}"
    check_bytes(data, entry["sha256"], path, hint)
    return data


class CacheRow(NamedTuple):
    """One cached dataset as shown by ``neuralab data list``.

    ``sizes`` are the sizes on disk (-1: missing); ``sha256`` the manifest's checksums;
    ``status`` per file is ``OK``, ``CORRUPT`` or ``MISSING``; ``verified`` is True when
    every file is ``OK``. A folder without manifest has ``problem`` set.
    """

    name: str
    path: Path
    files: tuple[str, ...]
    sizes: tuple[int, ...]
    sha256: tuple[str, ...]
    status: tuple[str, ...]
    verified: bool
    source: str
    problem: str | None = None


def inspect(name: str) -> CacheRow:
    """Check every file of one cached dataset against its manifest (reads them all)."""
    folder = dataset_dir(name)
    try:
        manifest = read_manifest(name)
    except (NotCachedError, ValueError) as error:
        found = tuple(sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
                      ) if folder.is_dir() else ()
        sizes = tuple((folder / f).stat().st_size for f in found)
        problem = "incomplete: no manifest (interrupted fetch?)" if isinstance(error, NotCachedError) else str(error)
        return CacheRow(name, folder, found, sizes, ("",) * len(found), ("UNVERIFIED",) * len(found), False, "", problem)
    files, sizes, sums, status = [], [], [], []
    for file_name, entry in manifest["files"].items():
        path = folder / file_name
        files.append(file_name)
        sums.append(entry["sha256"])
        if not path.is_file():
            sizes.append(-1)
            status.append("MISSING")
            continue
        sizes.append(path.stat().st_size)
        status.append("OK" if sha256_file(path) == entry["sha256"] else "CORRUPT")
    verified = all(s == "OK" for s in status)
    return CacheRow(name, folder, tuple(files), tuple(sizes), tuple(sums), tuple(status), verified,
                    str(manifest.get("source", "")))


def cached() -> list[CacheRow]:
    """A row per dataset folder in the cache, every file verified."""
    root = data_home()
    if not root.is_dir():
        return []
    return [inspect(p.name) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
