"""`neuralab predict RUN FILE... [--json]`: a trained classifier on a user's own pictures or CSV rows."""

from __future__ import annotations

import argparse
import json

from neuralab.predict import predict_files


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="classify your own pictures (PNG/JPEG) or CSV rows with a trained run",
        description="Prepare each FILE as RUN's training data was (grey levels, training size, [0, 1], the run's "
                    "standardization) and print the most likely classes with their probabilities.")
    parser.add_argument("run", help="a classify run folder, e.g. runs/mnist-cnn-20261202-013700")
    parser.add_argument("files", nargs="+", metavar="FILE", help="pictures for image runs; CSV files of feature rows for tabular runs")
    parser.add_argument("--top", type=int, default=3, help="how many classes to show per input (default: 3)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default: best)")
    parser.add_argument("--json", action="store_true", help="print the predictions as JSON")
    parser.set_defaults(func=predict_command)


def predict_command(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise ValueError(f"--top must be at least 1; got {args.top}")
    results = predict_files(args.run, args.files, top=args.top, checkpoint=args.checkpoint)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        ranked = ", ".join(f"{entry['class']} {entry['probability']:.1%}" for entry in result["top"])
        print(f"{result['input']}: {ranked}" + ("  (grey levels inverted to match the training images)" if result.get("inverted") else ""))
    return 0
