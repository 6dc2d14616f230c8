"""`neuralab predict RUN [FILE...] [--json]`: a trained run on a user's own input.

* classify runs: pictures (PNG/JPEG) or CSV rows -> the likeliest classes;
* language-model runs: ``--prompt TEXT`` or one ``.txt`` file -> the prompt continued
  (``--length`` characters, ``--temperature``, ``--top-k``, ``--seed``: the draw of ``neuralab sample``);
* forecast runs: CSV series files -> the next ``--length`` values.
"""

from __future__ import annotations

import argparse
import json

DEFAULT_LENGTH = {"language_model": 200, "forecast": 1}  # characters to generate, values to forecast


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="use a trained run on your own pictures, CSV rows, prompt or series",
        description="Prepare each input as RUN's training data was and print what the model makes of it: classify runs "
                    "take pictures or CSV rows (top classes), language models a prompt (its continuation), forecasters "
                    "a CSV series (the next values).")
    parser.add_argument("run", help="a run folder, e.g. runs/mnist-cnn-20261202-013700")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="pictures or CSV rows (classify), one .txt prompt (language model), CSV series (forecast)")
    parser.add_argument("--top", type=int, default=3, help="classify: how many classes to show per input (default: 3)")
    parser.add_argument("--checkpoint", choices=("best", "last"), default=None,
                        help="which weights (default: best for classify runs; last for forecasters, the weights their "
                             "summary measured; language models always read last)")
    parser.add_argument("--json", action="store_true", help="print the predictions as JSON")
    text = parser.add_argument_group("language models and forecasters")
    text.add_argument("--prompt", help="language model: the text to continue (\\n is a newline); or give a .txt FILE")
    text.add_argument("--length", type=int, help=f"characters to generate (default: {DEFAULT_LENGTH['language_model']}) "
                                                 f"or values to forecast (default: {DEFAULT_LENGTH['forecast']})")
    text.add_argument("--temperature", type=float, default=0.8, help="language model: softmax temperature (default: 0.8)")
    text.add_argument("--top-k", type=int, default=None, help="language model: draw only among the k likeliest characters")
    text.add_argument("--seed", type=int, default=0, help="language model: seed of the draws (default: 0)")
    text.add_argument("--column", help="forecast: the series column of a CSV with several columns of numbers (name or 1-based number)")
    parser.set_defaults(func=predict_command)


def predict_command(args: argparse.Namespace) -> int:
    from neuralab.trained import run_config  # noqa: PLC0415 - keep `neuralab --help` fast

    task = run_config(args.run)[1].get("task", "classify")
    if task == "language_model":
        return predict_text(args)
    if args.prompt is not None:
        raise ValueError(f"--prompt is for language-model runs; {args.run} is a {task!r} run")
    if task == "forecast":
        return predict_series(args)
    return predict_classes(args)


def predict_classes(args: argparse.Namespace) -> int:
    from neuralab.predict import predict_files  # noqa: PLC0415

    if args.top < 1:
        raise ValueError(f"--top must be at least 1; got {args.top}")
    results = predict_files(args.run, args.files, top=args.top, checkpoint=args.checkpoint or "best")
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        ranked = ", ".join(f"{entry['class']} {entry['probability']:.1%}" for entry in result["top"])
        print(f"{result['input']}: {ranked}" + ("  (grey levels inverted to match the training images)" if result.get("inverted") else ""))
    return 0


def predict_text(args: argparse.Namespace) -> int:
    from neuralab.predict_text import continue_text, read_prompt  # noqa: PLC0415

    if (args.prompt is None) == (len(args.files) != 1):
        raise ValueError("a language model continues one prompt: give --prompt TEXT or one .txt FILE "
                         f"(got {'both' if args.prompt is not None else f'{len(args.files)} files'})")
    prompt = args.prompt.replace("\\n", "\n") if args.prompt is not None else read_prompt(args.files[0])
    length = DEFAULT_LENGTH["language_model"] if args.length is None else args.length
    result = continue_text(args.run, prompt, length, temperature=args.temperature, top_k=args.top_k, seed=args.seed)
    print(json.dumps(result, indent=2) if args.json else result["text"])
    return 0


def predict_series(args: argparse.Namespace) -> int:
    from neuralab.predict_series import forecast_file  # noqa: PLC0415

    if not args.files:
        raise ValueError("a forecaster continues a series: give one or more CSV files of values")
    steps = DEFAULT_LENGTH["forecast"] if args.length is None else args.length
    results = [forecast_file(args.run, path, steps, column=args.column, checkpoint=args.checkpoint or "last") for path in args.files]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        values = ", ".join(f"{v:.6g}" for v in result["next"])
        print(f"{result['input']}: next {len(result['next'])} after {result['values_read']} values of "
              f"{result['column']!r} (last {result['last_value']:.6g}): {values}")
    return 0
