"""Kill anywhere: SIGKILL a training run at seeded random moments, resume it, and compare the end
with an uninterrupted run, bit for bit (weights, optimizer and RNG states, per-epoch log, measures).

    python tests/reliability/kill_anywhere.py --moments 20 --seed 17 [--families classify gan] [--report FILE]

One interpreter imports neuralab once; every run (the reference, each killed run, each resume) is
a ``fork`` of it, so a run costs its training, not an interpreter start. The reference run counts
the *moments* a kill can land on, in order: after each optimizer step (inside epochs), inside
each checkpoint write (tensors in a temporary file not yet renamed; tensors renamed to
``.pending`` before the JSON; JSON written before the ``.pending`` rename), after each
``metrics.jsonl`` write, at the start of each evaluation pass (validation and the final test
measures) and each ``summary.json`` write. A seeded draw picks one moment per kill; one in four
kills is instead a timer, a uniform delay after the fit started. The killed child sends itself
SIGKILL at that moment (no handler runs, nothing is flushed), the parent then runs
``neuralab train --resume RUN`` in a new child and compares. Figures are placeholders (a 1-pixel
PNG; drawing them is most of a tiny run's time and no state depends on them).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TEXT = "".join(f"{name}: the quick brown fox jumps over the lazy dog {i}.\n" for i in range(60) for name in ("ROMEO", "JULIET"))
FAMILIES = {
    "classify": ["iris-mlp", "--set", "model.dropout=0.2"],
    "gan": ["ring-gan", "--set", "data.options.n=128", "--set", "model.hidden=16", "--set", "eval.samples=200"],
    "language_model": ["shakespeare-rnn", "--set", "train.batch_size=4", "--set", "lm.context=16", "--set", "lm.steps_per_epoch=3",
                       "--set", "lm.eval_tokens=128", "--set", "lm.final_eval_tokens=256", "--set", "lm.sample_tokens=10",
                       "--set", "model.embed=8", "--set", "model.hidden=16", "--set", "model.layers=1"],
}
COMMON = ["--epochs", "3", "--seed", "3", "--quiet", "--set", "threads=1"]
TIMING = {"tokens_per_second", "elapsed_s", "train_time_s", "train_cpu_s", "epoch_time_s", "wall_time_s", "time_s"}
TIMER_SHARE = 0.25


# ---------------------------------------------------------------------------- in the child


class Moments:
    """Counts the moments of a run; kills the process at moment ``target`` (None: only count)."""

    def __init__(self, target: int | None):
        self.target, self.seen, self.fit_started = target, [], None

    def tick(self, kind: str) -> None:
        if len(self.seen) == self.target:
            os.kill(os.getpid(), signal.SIGKILL)
        self.seen.append(kind)


def instrument(moments: Moments, timer_s: float | None) -> None:
    """Hooks at every moment a kill may land on (see the module docstring)."""
    from matplotlib.figure import Figure  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    from neuralab.train import Callback, Trainer, checkpoint, runs  # noqa: PLC0415

    png = io.BytesIO()
    Image.new("L", (1, 1)).save(png, format="png")
    Figure.savefig = lambda self, target, **options: Path(target).write_bytes(png.getvalue())

    class Steps(Callback):
        def on_fit_start(self, trainer):
            moments.fit_started = time.perf_counter()
            if timer_s is not None:
                threading.Timer(timer_s, os.kill, (os.getpid(), signal.SIGKILL)).start()

        def on_batch_end(self, trainer, step, logs):
            moments.tick("optimizer step")

    build = Trainer.__init__

    def with_steps(self, *args, callbacks=(), **kwargs):
        build(self, *args, callbacks=[*callbacks, Steps()], **kwargs)

    Trainer.__init__ = with_steps

    atomic_path = checkpoint.atomic_path

    @contextlib.contextmanager
    def torn(path):
        with atomic_path(path) as tmp:
            yield tmp
            moments.tick("checkpoint: tensors in a temporary file")

    checkpoint.atomic_path = torn
    write_json = checkpoint.atomic_write_json

    def json_write(path, obj):
        moments.tick("checkpoint: tensors .pending, JSON not written")
        write_json(path, obj)
        moments.tick("checkpoint: JSON written, .pending not renamed")

    checkpoint.atomic_write_json = json_write
    evaluate = Trainer._evaluate_arrays

    def evaluation(self, *args, **kwargs):
        moments.tick("evaluation")
        return evaluate(self, *args, **kwargs)

    Trainer._evaluate_arrays = evaluation
    write_metrics = runs.RunRecord._write_metrics

    def metrics(self):
        write_metrics(self)
        moments.tick("metrics.jsonl written")

    runs.RunRecord._write_metrics = metrics
    update_summary = runs.RunRecord.update_summary

    def summary(self, *args, **kwargs):
        moments.tick("summary.json write")
        return update_summary(self, *args, **kwargs)

    runs.RunRecord.update_summary = summary


def in_child(work, *args) -> int:
    """``work(*args)`` in a forked child; returns its wait status (the child never returns)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                code = work(*args)
        except BaseException as error:  # noqa: BLE001 - reported through the exit code
            print(f"child failed: {type(error).__name__}: {error}", file=sys.stderr)
        finally:
            sys.stderr.flush()
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def train(argv: list[str], target: int | None, timer_s: float | None, seen_file: str | None) -> int:
    from neuralab import cli  # noqa: PLC0415

    moments = Moments(target)
    instrument(moments, timer_s)
    code = cli.main(argv)
    if seen_file:  # the reference: its moments, and the seconds from the fit's start to the end of the run
        Path(seen_file).write_text(json.dumps({"moments": moments.seen,
                                               "fit_to_end_s": time.perf_counter() - moments.fit_started}))
    return code


# ---------------------------------------------------------------------------- comparing


def same(ours, theirs, where="") -> str | None:
    """None when two trees of dicts, lists, arrays and numbers are equal bit for bit (timings left out),
    else the first place they differ."""
    if isinstance(theirs, dict):
        if not isinstance(ours, dict) or ours.keys() != theirs.keys():
            return f"{where}: keys differ"
        for key in theirs:
            if key not in TIMING and (problem := same(ours[key], theirs[key], f"{where}.{key}")):
                return problem
        return None
    if isinstance(theirs, (list, tuple)):
        if len(ours) != len(theirs):
            return f"{where}: lengths differ"
        return next((p for i, (a, b) in enumerate(zip(ours, theirs)) if (p := same(a, b, f"{where}[{i}]"))), None)
    if isinstance(theirs, np.ndarray):
        return None if (isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
                        and ours.tobytes() == theirs.tobytes()) else f"{where}: arrays differ"
    if isinstance(theirs, float) and isinstance(ours, float) and np.isnan(theirs) and np.isnan(ours):
        return None
    return None if ours == theirs else f"{where}: {ours!r} != {theirs!r}"


def end_state(run: Path) -> dict:
    """What an uninterrupted run ends with: the last and best checkpoints, the epoch log, the measures."""
    from neuralab.train import load_checkpoint  # noqa: PLC0415

    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    summary = json.loads((run / "summary.json").read_text())
    return {"last": load_checkpoint(run / "checkpoints" / "last"),
            "best": load_checkpoint(run / "checkpoints" / "best") if (run / "checkpoints" / "best.json").exists() else None,
            "log": lines, "status": summary.get("status"), "epochs": summary.get("epochs"),
            "metrics": summary.get("metrics"), "targets": summary.get("targets")}


def only_run(root: Path) -> Path:
    (run,) = [p for p in root.iterdir() if p.is_dir()]
    return run


# ---------------------------------------------------------------------------- the loop


def family_argv(family: str, work: Path) -> list[str]:
    argv = ["train", *FAMILIES[family], *COMMON]
    if family == "language_model":
        corpus = work / "corpus.txt"
        corpus.write_text(TEXT, encoding="utf-8")
        argv += ["--set", f"data.path={corpus}"]
    return argv


def kill_loop(family: str, moments: int, seed: int, work: Path) -> list[dict]:
    """Reference, then ``moments`` kill-and-resume rounds; one result row per round."""
    argv = family_argv(family, work)
    status = in_child(train, [*argv, "--out", str(work / "reference")], None, None, str(work / "moments.json"))
    if status != 0:
        raise SystemExit(f"{family}: the uninterrupted run failed (wait status {status})")
    counted = json.loads((work / "moments.json").read_text())
    kinds, reference_s = counted["moments"], counted["fit_to_end_s"]
    reference = end_state(only_run(work / "reference"))
    rng = np.random.default_rng([seed, sorted(FAMILIES).index(family)])
    rows = []
    for round_ in range(moments):
        out = work / f"kill-{round_:02d}"
        if rng.random() < TIMER_SHARE:
            target, timer_s = None, float(rng.uniform(0.0, reference_s * 0.8))
            where = f"timer {timer_s:.3f} s after the fit started"
        else:
            target, timer_s = int(rng.integers(len(kinds))), None
            where = f"moment {target}/{len(kinds)}: {kinds[target]}"
        status = in_child(train, [*argv, "--out", str(out)], target, timer_s, None)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        row = {"family": family, "round": round_, "where": where, "killed": killed}
        run = only_run(out)
        if killed:
            status = in_child(train, ["train", "--resume", str(run), "--quiet"], None, None, None)
        row["resume_status"] = status
        row["problem"] = same(end_state(run), reference) if status == 0 else f"resume failed (wait status {status})"
        row["identical"] = row["problem"] is None
        rows.append(row)
        print(f"{family:<15} {round_:>2}  {'killed' if killed else 'ran to the end'}  {where:<70} "
              f"{'identical' if row['identical'] else 'DIFFERS: ' + str(row['problem'])}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moments", type=int, default=20, help="kills per family (default 20)")
    parser.add_argument("--seed", type=int, default=17, help="seed of the moments drawn (default 17)")
    parser.add_argument("--families", nargs="+", default=["classify", "gan"], choices=sorted(FAMILIES))
    parser.add_argument("--work", default=None, help="folder for the runs (default: a temporary folder)")
    parser.add_argument("--report", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    import tempfile  # noqa: PLC0415

    import importlib  # noqa: PLC0415

    # Imported once, before the forks (each child would import them again); nothing is computed
    # here, so no thread pool exists yet that a fork could leave locked.
    import matplotlib.figure  # noqa: F401, PLC0415
    import torch  # noqa: F401, PLC0415

    from neuralab import cli, recipes  # noqa: F401, PLC0415

    for module in recipes.TASKS.values():
        importlib.import_module(module)
    import pkgutil  # noqa: PLC0415

    import neuralab.viz  # noqa: PLC0415

    for module in pkgutil.iter_modules(neuralab.viz.__path__):  # figures, confusion matrices: scikit-learn, ...
        importlib.import_module(f"neuralab.viz.{module.name}")
    for family in args.families:  # a dataset's loader imports its library (scikit-learn for iris)
        recipes.common.load_splits(recipes.resolve(FAMILIES[family][0]))

    rows = []
    with tempfile.TemporaryDirectory(prefix="neuralab-kill-") as temporary:
        work = Path(args.work or temporary)
        for family in args.families:
            (work / family).mkdir(parents=True, exist_ok=True)
            rows += kill_loop(family, args.moments, args.seed, work / family)
    if args.report:
        Path(args.report).write_text(json.dumps(rows, indent=2))
    bad = [row for row in rows if not (row["identical"] and row["killed"])]
    killed = sum(row["killed"] for row in rows)
    print(f"{killed} of {len(rows)} runs killed; {sum(row['identical'] for row in rows)} resumed bit-identical")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
