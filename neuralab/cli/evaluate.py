"""`neuralab eval RUN`: re-measure a finished run on its test split from saved weights."""

from __future__ import annotations

import argparse
import json

from neuralab.recipes.evaluate import evaluate_run
from neuralab.cli.table import format_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval", help="evaluate a run folder's saved weights on the test split",
                                   description="Load RUN/checkpoints/{best,last} and measure the test split.")
    parser.add_argument("run", help="run folder, e.g. runs/mnist-mlp-20261121-101500")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default: best)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=eval_command)


def eval_command(args: argparse.Namespace) -> int:
    results = evaluate_run(args.run, checkpoint=args.checkpoint)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{results['recipe']} from {results['weights']}")
    for name in ("test_accuracy", "test_loss", "test_macro_precision", "test_macro_recall", "test_macro_f1"):
        print(f"  {name:<22} {results[name]:.4f}")
    rows = [(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", m["support"])
            for name, m in results["per_class"].items()]
    print(format_table(("class", "precision", "recall", "f1", "support"), rows, align="lrrrr"))
    return 0
