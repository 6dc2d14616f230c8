"""`neuralab lr-find RECIPE`: the learning-rate range test (Smith; fastai's lr_find) on a recipe."""

from __future__ import annotations

import argparse

from neuralab import recipes
from neuralab.recipes.lr_find import find_lr


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lr-find", help="sweep the learning rate on a recipe and suggest one (loss-against-lr figure)",
        description="Train RECIPE one mini-batch per learning rate, from --start to --end in --steps exponential "
                    "steps, until the smoothed loss passes 4x its best; suggest the lr of the steepest descent of "
                    "the smoothed loss (and report the minimum / 10). Writes runs/lr-find-RECIPE-<time>/ "
                    "(lr_find.json, figures/lr-find.png); no run is written or changed.")
    parser.add_argument("recipe", help="recipe name, e.g. mnist-mlp")
    parser.add_argument("--engine", choices=("torch", "scratch"), help="engine to train with (default: torch)")
    parser.add_argument("--batch-size", type=int, help="training batch size (the lr depends on it)")
    parser.add_argument("--seed", type=int, help="fixes data order and initial weights")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:1 ... (torch engine)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set optimizer.name=sgd (repeatable)")
    parser.add_argument("--start", type=float, default=1e-7, help="first learning rate (default 1e-7)")
    parser.add_argument("--end", type=float, default=10.0, help="last learning rate (default 10)")
    parser.add_argument("--steps", type=int, default=100, help="learning rates in the sweep, one batch each (default 100)")
    parser.add_argument("--out", default="runs", help="folder that receives the sweep's folder (default: runs)")
    parser.set_defaults(func=lr_find_command)


def lr_find_command(args: argparse.Namespace) -> int:
    config = recipes.resolve(args.recipe, engine=args.engine, device=args.device, seed=args.seed,
                             batch_size=args.batch_size, overrides=args.overrides)
    found = find_lr(config, start=args.start, end=args.end, steps=args.steps, runs_root=args.out)
    print(f"lr-find {found['recipe']} ({found['engine']}, {found['optimizer']}, batch {found['batch_size']}): "
          f"{len(found['lrs'])} of {found['steps']} lrs from {found['start']:.3g} to {found['end']:.3g}; "
          f"stopped: {found['stopped']}")
    if found["suggested_lr"] is None:
        print("  no suggestion: the smoothed loss did not fall after the first tenth of the sweep "
              "(lower --start or raise --end)")
    else:
        print(f"  suggested lr   {found['suggested_lr']:.3g}   ({found['rule']})")
    print(f"  minimum / 10   {found['minimum_over_10']:.3g}   (the smoothed loss is lowest at {found['minimum_lr']:.3g})")
    print(f"  recipe's lr    {found['recipe_lr']:.3g}")
    print(f"  figure         {found['figure']}")
    print(f"  sweep          {found['folder']}/lr_find.json")
    return 0
