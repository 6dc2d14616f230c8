"""`neuralab lessons`, `neuralab lesson NAME` and `neuralab verify`: the course, measured."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from neuralab import engines, lessons
from neuralab.cli.table import format_table
from neuralab.lessons import runner
from neuralab.lessons.text import format_record


def register(subparsers) -> None:
    listing = subparsers.add_parser("lessons", help="list the lessons: seed section, claims, typical seconds")
    listing.set_defaults(func=lessons_command)

    one = subparsers.add_parser("lesson", help="run one lesson and print each claim with its measured verdict")
    one.add_argument("name", help="a lesson from `neuralab lessons`")
    one.add_argument("--engine", choices=engines.ENGINES, default=None, help="default: the lesson's first engine (scratch)")
    one.add_argument("--seed", type=int, default=0)
    one.add_argument("--out", default="lessons-out", help="writes OUT/NAME/lesson.json and OUT/NAME/figures/")
    one.add_argument("--quick", action="store_true", help="fewer seeds and epochs (for tests)")
    one.add_argument("--json", action="store_true", help="print the lesson.json record instead of text")
    one.add_argument("--notebook", metavar="PATH", help="write the lesson as a Jupyter notebook (.ipynb) and exit")
    one.set_defaults(func=lesson_command)

    every = subparsers.add_parser("verify", help="run every lesson; write report.html and verdicts.json")
    every.add_argument("--only", metavar="GLOB", help="lessons whose names match (comma-separated globs)")
    every.add_argument("--out", default="lessons-out")
    every.add_argument("--quick", action="store_true")
    every.add_argument("--jobs", type=int, default=1, help="lessons run at once, each in its own process")
    every.add_argument("--seed", type=int, default=0)
    every.set_defaults(func=verify_command)


def lessons_command(args: argparse.Namespace) -> int:
    rows = []
    for name in lessons.names():
        about = lessons.about(name)
        rows.append((name, about["title"], about["section"], " ".join(about["claims"]), f"{about['seconds']:g}"))
    print(format_table(("lesson", "title", "seed section", "claims", "typical s"), rows, align="llllr"))
    return 0


def lesson_command(args: argparse.Namespace) -> int:
    about = lessons.about(args.name)
    if args.notebook:
        from neuralab.lessons.notebook import write_notebook  # noqa: PLC0415

        path = write_notebook(args.name, args.notebook)
        print(f"wrote {path}")
        return 0
    engine = args.engine or about["engines"][0]
    record = runner.run_lesson(args.name, engine=engine, seed=args.seed, out=args.out, quick=args.quick)
    folder = Path(args.out) / args.name
    print(json.dumps(record, indent=2) if args.json else format_record(record, folder))
    if not args.json:
        print(f"\nwrote {folder / 'lesson.json'}")
    return 0 if record["ok"] else 1


def verify_command(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1; got {args.jobs}")
    names = runner.select(args.only)

    def progress(record):
        counts = runner.tally(record)
        state = "CRASHED" if record.get("error") else "ok" if record["ok"] else "CHECK FAILED"
        print(f"  {record['name']:<20} {record['seconds']:6.1f} s  holds {counts['holds']}, partly {counts['partly']}, "
              f"fails {counts['fails']}  {state}", file=sys.stderr, flush=True)

    records = runner.verify(names, out=args.out, quick=args.quick, jobs=args.jobs, seed=args.seed, progress=progress)
    rows = []
    for r in records:
        counts = runner.tally(r)
        state = "crashed" if r.get("error") else "ok" if r["ok"] else "check failed"
        rows.append((r["name"], len(r["claims"]), counts["holds"], counts["partly"], counts["fails"], f"{r['seconds']:.1f}", state))
    total = [sum(row[i] for row in rows) for i in range(1, 5)]
    rows.append(("total", *total, f"{sum(r['seconds'] for r in records):.1f}", ""))
    print(format_table(("lesson", "claims", "holds", "partly", "fails", "seconds", "status"), rows, align="lrrrrrl"))
    print(f"\nwrote {Path(args.out) / 'report.html'}, verdicts.json and curriculum-map.md")
    for r in records:
        if r.get("error"):
            print(f"\n{r['name']} crashed:\n{r['error']}", file=sys.stderr)
        for check in r["checks"]:
            if not check["passed"]:
                print(f"{r['name']}: check failed: {check['name']}: {check['detail']}", file=sys.stderr)
    return 0 if all(r["ok"] for r in records) else 1
