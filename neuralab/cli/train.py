"""`neuralab train RECIPE [...]` and `neuralab train --resume RUN`."""

from __future__ import annotations

import argparse
from pathlib import Path

from neuralab import recipes
from neuralab.train import RunRecord, determinism, distributed


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a recipe and write a run folder",
                                   description="Train a named recipe (see `neuralab recipes`) and write runs/<recipe>-<time>/.")
    parser.add_argument("recipe", nargs="?", help="recipe name, e.g. mnist-mlp")
    parser.add_argument("--engine", choices=("torch", "scratch"), help="engine to train with (default: torch)")
    parser.add_argument("--epochs", type=int, help="number of epochs")
    parser.add_argument("--batch-size", type=int, help="training batch size")
    parser.add_argument("--lr", type=float, help="learning rate (the peak for one-cycle schedules)")
    parser.add_argument("--seed", type=int, help="fixes data order, initial weights, dropout and augmentation")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:1 ... (torch engine)")
    parser.add_argument("--out", default="runs", help="folder that receives the run folder (default: runs)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set model.dropout=0.2 (repeatable)")
    parser.add_argument("--resume", metavar="RUN", help="continue an interrupted run from its last checkpoint")
    parser.add_argument("--config", metavar="FILE",
                        help="train the config in FILE (a run's config.json, a study's best-config.json); "
                             "the other flags and --set change it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    parser.add_argument("--deterministic", action="store_true",
                        help="torch engine: deterministic kernels only (torch.use_deterministic_algorithms, cuDNN "
                             "benchmark off); an operation without one stops the run with an error")
    parser.add_argument("--nproc", type=int, metavar="N",
                        help="data-parallel training in N processes on this machine through torch.distributed.run "
                             "(torch engine; the recipe's batch is the global batch). See docs/scale.md")
    parser.set_defaults(func=train_command)


def train_command(args: argparse.Namespace) -> int:
    if args.nproc is not None:
        return launch_command(args)
    if args.resume:
        config = RunRecord.open(args.resume).read_config()
        if args.recipe and args.recipe != config["recipe"]:
            raise ValueError(f"--resume {args.resume} is a {config['recipe']!r} run, not {args.recipe!r}")
        print(f"resuming {config['recipe']} in {args.resume}")
    elif args.config:
        config = recipes.load_config(args.config, engine=args.engine, device=args.device, seed=args.seed,
                                     epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, overrides=args.overrides)
        if args.recipe and args.recipe != config["recipe"]:
            raise ValueError(f"--config {args.config} is a {config['recipe']!r} config, not {args.recipe!r}")
    elif args.recipe:
        config = recipes.resolve(args.recipe, engine=args.engine, device=args.device, seed=args.seed,
                                 epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, overrides=args.overrides)
    else:
        raise ValueError("name a recipe (see `neuralab recipes`), pass --config FILE or --resume RUN")
    if args.deterministic:
        determinism.enable()
    lead = distributed.rank() == 0  # in a distributed run only rank 0 prints and writes the run
    try:
        summary = recipes.run(config, runs_root=args.out, resume=args.resume, progress=lead and not args.quiet)
    finally:
        distributed.close_process_group()
    if lead:
        print(result_lines(summary))
    return 0


def launch_command(args: argparse.Namespace) -> int:
    """``--nproc N``: the same command without ``--nproc``, in N processes started by torch.distributed.run."""
    if args.nproc < 1:
        raise ValueError(f"--nproc must be a whole number of processes, at least 1; got {args.nproc}")
    if distributed.is_distributed():
        raise ValueError("--nproc starts its own processes; under torchrun leave it out (torchrun --nproc_per_node N -m neuralab train ...)")
    engine = args.engine or (RunRecord.open(args.resume).read_config()["engine"] if args.resume else "torch")
    if engine != "torch":
        raise ValueError(f"--nproc {args.nproc} needs the torch engine (DistributedDataParallel); got --engine {engine}. "
                         f"The scratch engine trains in one process: leave out --nproc")
    return distributed.launch(args.nproc, process_arguments(args))


def process_arguments(args: argparse.Namespace) -> list[str]:
    """The ``neuralab train`` arguments of each launched process: these ``args`` without ``--nproc``."""
    argv = [args.recipe] if args.recipe else []
    for option in ("engine", "epochs", "batch_size", "lr", "seed", "device", "out", "resume", "config"):
        value = getattr(args, option)
        if value is not None:
            argv += [f"--{option.replace('_', '-')}", str(value)]
    for override in args.overrides:
        argv += ["--set", override]
    flags = [flag for flag, on in (("--quiet", args.quiet), ("--deterministic", args.deterministic)) if on]
    return argv + flags


def result_lines(summary: dict) -> str:
    """Human summary of a finished run: metrics, targets met or missed, where the files are."""
    lines = [f"{summary['recipe']} ({summary['engine']}, {summary['device']}, seed {summary['seed']}): "
             f"{summary['epochs']} epochs in {summary['wall_time_s']:.1f} s"]
    for name, value in summary.get("metrics", {}).items():
        if name.startswith("test_"):
            lines.append(f"  {name:<22} {value:.4f}")
    for name, verdict in summary.get("targets", {}).items():
        mark = "met" if verdict["met"] else "MISSED"
        measured = "not measured" if verdict["measured"] is None else f"{verdict['measured']:.4f}"
        lines.append(f"  target {name} {verdict.get('op', '>=')} {verdict['target']}: {mark} ({measured})")
    if summary.get("run_dir"):
        lines.append(f"  run folder: {summary['run_dir']}")
    return "\n".join(lines)
