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
    parser.add_argument("--checkpoint", choices=("best", "last", "ema"), default="best",
                        help="which weights (default: best; a diffusion run's weight average, ema, when it kept one)")
    parser.add_argument("--samples", type=int, default=None, help="generative runs: how many images to generate "
                        "(default: the run's eval.samples, else 10,000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(func=eval_command)


def eval_command(args: argparse.Namespace) -> int:
    results = evaluate_run(args.run, checkpoint=args.checkpoint, samples=args.samples)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    if "metrics" in results:  # a generative run: sample measures, also in RUN/eval.json
        print(f"{results['recipe']} ({results['task']}) from {results['weights']}: {results['samples']:,} samples")
        for name, value in results["metrics"].items():
            print(f"  {name:<22} {value:.4f}" if isinstance(value, float) else f"  {name:<22} {value}")
        if "fid_floor" in results["metrics"]:
            print(f"  (fid_floor: as many real training images vs the test set; feature net test accuracy "
                  f"{results['feature_net_accuracy']:.4f})")
        return 0
    print(f"{results['recipe']} from {results['weights']}")
    for name in ("test_accuracy", "test_loss", "test_macro_precision", "test_macro_recall", "test_macro_f1"):
        print(f"  {name:<22} {results[name]:.4f}")
    rows = [(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", m["support"])
            for name, m in results["per_class"].items()]
    print(format_table(("class", "precision", "recall", "f1", "support"), rows, align="lrrrr"))
    return 0
