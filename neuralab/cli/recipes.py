"""`neuralab recipes`: the table of named recipes with their targets."""

from __future__ import annotations

import argparse

from neuralab import recipes
from neuralab.cli.table import format_table
from neuralab.recipes.targets import comparison


def register(subparsers) -> None:
    parser = subparsers.add_parser("recipes", help="list the recipes and the results they must reach")
    parser.add_argument("name", nargs="?", help="show one recipe's resolved config")
    parser.set_defaults(func=recipes_command)


def recipes_command(args: argparse.Namespace) -> int:
    if args.name:
        import json  # noqa: PLC0415

        recipe = recipes.get(args.name)
        print(f"{recipe.name}: {recipe.summary}\n  curriculum: {recipe.curriculum}\n  {recipe.notes}".rstrip())
        print(json.dumps(recipes.resolve(args.name), indent=2))
        return 0
    rows = []
    for name in recipes.names():
        recipe = recipes.get(name)
        target = ", ".join(f"{metric} {comparison(metric)} {goal:g}" for metric, goal in recipe.targets.items())
        config = recipe.config
        rows.append((name, config["data"]["name"], recipe.summary, target, config["train"]["epochs"]))
    print(format_table(("recipe", "dataset", "model", "target", "epochs"), rows, align="lllll"))
    return 0
