"""`neuralab demo`: the short tour that `make demo` runs, ending in a results table."""

from __future__ import annotations

import argparse

from neuralab.cli.table import format_table
from neuralab.recipes.tour import TOUR, run_tour


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="train the tour recipes and print a results table",
                                   description="Trains " + ", ".join(name for name, _ in TOUR) + " with default settings.")
    parser.add_argument("--out", default="runs", help="folder that receives the run folders (default: runs)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")
    parser.set_defaults(func=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    rows = run_tour(args.out, progress=not args.quiet)
    table = [(r["recipe"], r["engine"], f"{r['parameters']:,}", f"{r['test_accuracy']:.2%}",
              f">= {r['target']:.1%}" + (" met" if r["met"] else " MISSED"), f"{r['train_s']:.0f}", r["run_dir"])
             for r in rows]
    print("\nneuralab tour: test accuracy on MNIST (10,000 test digits)")
    print(format_table(("recipe", "engine", "params", "test acc", "target", "train s", "run folder (figures/ inside)"),
                       table, align="llrrlrl"))
    return 0 if all(r["met"] for r in rows) else 1
