"""`neuralab tune RECIPE --trials N [...]`: an Optuna study whose trials are recipe runs."""

from __future__ import annotations

import argparse

from neuralab import tune


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tune", help="tune a recipe's hyperparameters with Optuna (SQLite study, pruning, best config)",
        description="Run an Optuna study on RECIPE: each trial trains the recipe (one run folder each) with values drawn "
                    "from the search space, reports its validation metric after each epoch so poor trials are pruned, "
                    "and the best trial's config is written for `neuralab train --config FILE`. The same --study on the "
                    "same --storage continues the study.")
    parser.add_argument("recipe", help="recipe name, e.g. mnist-mlp")
    parser.add_argument("--trials", type=int, required=True, metavar="N", help="trials to add to the study")
    parser.add_argument("--timeout", type=float, metavar="S", help="stop starting trials after S seconds")
    parser.add_argument("--storage", metavar="URL",
                        help="Optuna storage URL (default: sqlite:///RUNS/tune.db; postgresql://..., mysql://... work too)")
    parser.add_argument("--study", metavar="NAME", help="study name (default: the recipe name); an existing one continues")
    parser.add_argument("--space", action="append", default=[], metavar="KEY=SPEC",
                        help="tune config KEY over SPEC: log:LOW:HIGH, float:LOW:HIGH, int:LOW:HIGH[:log], choice:A,B,... "
                             "(repeatable; replaces the recipe's default space)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="trials in parallel, one process each (default: 1)")
    parser.add_argument("--sampler", choices=tune.SAMPLERS, default="tpe", help="how values are drawn (default: tpe)")
    parser.add_argument("--pruner", choices=tune.PRUNERS, default="median", help="how poor trials stop early (default: median)")
    parser.add_argument("--engine", choices=("torch", "scratch"), help="engine every trial trains with (default: torch)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="fixed config change for every trial, e.g. --set train.epochs=4 (repeatable)")
    parser.add_argument("--out", default="runs", help="runs folder: trial runs, tune.db and tune/<study>/ (default: runs)")
    parser.add_argument("--top", type=int, default=5, metavar="K", help="rows of the best-trials table (default: 5)")
    parser.set_defaults(func=tune_command)


def tune_command(args: argparse.Namespace) -> int:
    plan = tune.plan(args.recipe, space=args.space, storage=args.storage, study_name=args.study, runs_root=args.out,
                     sampler=args.sampler, pruner=args.pruner, engine=args.engine, overrides=args.overrides)
    print(f"study {plan.study_name!r} in {plan.storage}: {plan.direction} {plan.metric} of {plan.recipe} "
          f"({plan.sampler} sampler, {plan.pruner} pruner)")
    for key, dimension in plan.space.items():
        print(f"  {key:<28} {dimension.spec}")
    result = tune.tune(plan, trials=args.trials, timeout=args.timeout, jobs=args.jobs,
                       on_trial=tune.print_trial)
    report = tune.write_report(plan, result["study"], wall_time_s=result["wall_time_s"],
                               new_trials=result["new_trials"], top=args.top)
    print(report_lines(report))
    return 0


def report_lines(report: dict) -> str:
    """The end of a study: counts, the best trials as a table, where the files are."""
    states = ", ".join(f"{n} {state}" for state, n in report["trials"].items())
    lines = [f"{report['new_trials']} new trials in {report['wall_time_s']:.0f} s; the study holds {states}"]
    if not report["best"]:
        lines.append("no trial completed yet: no best config")
        return "\n".join(lines)
    keys = list(report["best"][0]["params"])
    twin = "test_" + report["metric"].split("_", 1)[1]  # val_accuracy -> test_accuracy, for the record only
    header = ["trial", report["metric"], *([twin] if any(twin in row["test"] for row in report["best"]) else [])]
    lines.append("  ".join(f"{h:>14}" for h in header + keys))
    for row in report["best"]:
        cells = [str(row["number"]), f"{row['value']:.4f}", *(_cell(row["test"].get(k)) for k in header[2:]),
                 *(_cell(row["params"].get(k)) for k in keys)]
        lines.append("  ".join(f"{c:>14}" for c in cells))
    lines.append(f"best run folder: {report['best'][0]['run_dir']}")
    lines.append(f"best config: {report['best_config']}  (neuralab train --config {report['best_config']})")
    for path in report["figures"]:
        lines.append(f"figure: {path}")
    for name, why in report["figures_skipped"].items():
        lines.append(f"figure {name} skipped: {why}")
    return "\n".join(lines)


def _cell(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
