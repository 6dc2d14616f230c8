"""What every fuzz target shares: the crash rule, the limits, the seed corpus, the entry point.

A *crash* is any of:

* an exception outside the target's documented error types (a bad input must be refused
  with the error its docstring names, whose message says what was expected and what came);
* a hang: one input running longer than :data:`TIMEOUT_S` (libFuzzer's ``-timeout``);
* memory over a bound: the process's resident memory over :data:`RSS_LIMIT_MB`
  (libFuzzer's ``-rss_limit_mb``), or a target's own size check (an array bigger than the
  bytes that describe it) failing;
* a broken property a target asserts (for example decode(encode(x)) == x).

Inputs are at most :data:`MAX_LEN` bytes, so a harmless parser stays far below the RSS
limit; anything near it is an allocation driven by a declared size, not by the data.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

MAX_LEN = 4096
TIMEOUT_S = 1
RSS_LIMIT_MB = 2048


@dataclass(frozen=True)
class Target:
    """A fuzz target: ``test_one_input(data)`` raises only on a crash; ``seeds()`` are valid
    (or nearly valid) inputs that start the corpus; ``documented`` names the refusals."""

    name: str
    test_one_input: Callable[[bytes], None]
    seeds: Callable[[], Iterable[bytes]]
    documented: str


def instrumented(include: tuple[str, ...] = ("neuralab",)):
    """A context that instruments, for coverage, the modules of ``include`` imported inside it
    when atheris is installed (imports stay plain without it, so the regression tests need
    no atheris). Libraries outside ``include`` stay uninstrumented: fast, and not ours to fix."""
    try:
        import atheris  # noqa: PLC0415 - optional: only the fuzzer needs it
    except ImportError:
        return contextlib.nullcontext()
    return atheris.instrument_imports(include=list(include), enable_loader_override=False)


def instrument_functions(functions: Iterable[Callable]) -> None:
    """Instrument already-imported functions (for example the pure-Python pickle opcodes)."""
    try:
        import atheris  # noqa: PLC0415
    except ImportError:
        return
    for function in functions:
        atheris.instrument_func(function)


def scratch_dir(name: str) -> Path:
    """A per-process folder for targets that must go through files (in RAM when /dev/shm exists)."""
    root = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=f"neuralab-fuzz-{name}-", dir=root))


def write_seeds(target: Target, folder: Path) -> int:
    """Write the target's seeds into ``folder`` (one file each); returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for index, seed in enumerate(target.seeds()):
        if len(seed) > MAX_LEN:
            raise ValueError(f"seed {index} of {target.name} is {len(seed)} bytes; the limit is {MAX_LEN}")
        (folder / f"seed-{index:03d}").write_bytes(seed)
        count += 1
    return count


def libfuzzer_flags(argv: list[str]) -> list[str]:
    """``argv`` plus this project's limits wherever the caller did not set them."""
    defaults = {"-max_len": MAX_LEN, "-timeout": TIMEOUT_S, "-rss_limit_mb": RSS_LIMIT_MB}
    given = {arg.split("=", 1)[0] for arg in argv if arg.startswith("-")}
    return argv + [f"{flag}={value}" for flag, value in defaults.items() if flag not in given]


def main(target: Target, argv: list[str] | None = None) -> None:
    """Fuzz ``target`` with atheris: ``argv`` holds libFuzzer flags and corpus folders.

    The first corpus folder (a fresh temporary one when none is given) receives the seeds
    first, so every run starts from valid inputs; libFuzzer adds what it finds there.
    """
    import atheris  # noqa: PLC0415

    argv = list(sys.argv if argv is None else argv)
    folders = [arg for arg in argv[1:] if not arg.startswith("-")]
    if not folders:
        folders = [tempfile.mkdtemp(prefix=f"neuralab-corpus-{target.name}-")]
        argv.append(folders[0])
    write_seeds(target, Path(folders[0]))
    atheris.Setup(libfuzzer_flags(argv), target.test_one_input)
    atheris.Fuzz()
