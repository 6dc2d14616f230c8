"""`neuralab export RUN --format onnx [--out FILE]`: a run's model as a file other tools read."""

from __future__ import annotations

import argparse
import json

from neuralab.export import export_run


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a run's model to ONNX, checked by onnxruntime",
        description="Rebuild RUN's model on the torch engine from its weights (scratch runs too), export it "
                    "with a dynamic batch dimension and compare onnxruntime with the run's engine on the test split.")
    parser.add_argument("run", help="run folder, e.g. runs/mnist-cnn-20261202-013712")
    parser.add_argument("--format", choices=("onnx",), default="onnx", help="file format (default: onnx)")
    parser.add_argument("--out", metavar="FILE", help="where to write (default: RUN/model.onnx)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which weights (default: best)")
    parser.add_argument("--json", action="store_true", help="print the check as JSON")
    parser.set_defaults(func=export_command)


def export_command(args: argparse.Namespace) -> int:
    result = export_run(args.run, out=args.out, checkpoint=args.checkpoint)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    part = f" {result['part']}" if "part" in result else ""
    print(f"{result['recipe']}{part} ({result['engine']} weights) -> {result['onnx']} "
          f"({result['onnx_bytes'] / 1024:.0f} KiB, dynamic batch)")
    print(f"  checked by onnxruntime on {result['checked_inputs']:,} inputs ({result['checked_on']}):")
    print(f"  max |onnx - engine|      {result['max_abs_diff']:.3g}")
    if "agreement" not in result:
        return 0
    print(f"  same top class           {result['agreement']:.2%}")
    print(f"  test accuracy            engine {result['engine_test_accuracy']:.4f}   onnx {result['onnx_test_accuracy']:.4f}")
    print(f"  latency per input (b=1)  engine {result['engine_latency_s'] * 1e3:.3f} ms   "
          f"onnxruntime {result['onnx_latency_s'] * 1e3:.3f} ms")
    return 0
