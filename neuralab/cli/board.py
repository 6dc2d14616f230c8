"""`neuralab board [RUNS]`: TensorBoard on the runs folder, until Ctrl-C."""

from __future__ import annotations

import argparse
from pathlib import Path

from neuralab import board


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "board", help="start TensorBoard on the runs folder (scalars, figures, hparams, weights)",
        description="Start TensorBoard on RUNS: every run's RUN/tensorboard/ events (losses per step and per epoch, "
                    "the run's figures, hyperparameters with the final metrics, weight histograms with "
                    "--set log.histograms=true). Needs pip install 'neuralab[tensorboard]'. Ctrl-C stops it.")
    parser.add_argument("runs", nargs="?", default="runs", help="runs folder (or one run folder); default: runs")
    parser.add_argument("--port", type=int, default=board.DEFAULT_PORT, help=f"port (default {board.DEFAULT_PORT})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens it to the network)")
    parser.set_defaults(func=board_command)


def board_command(args: argparse.Namespace) -> int:
    folders = board.event_folders(args.runs) if Path(args.runs).is_dir() else []
    started = board.start(args.runs, host=args.host, port=args.port)
    try:
        started.wait_ready()
        found = f"{len(folders)} run(s) with TensorBoard events" if folders else \
            "no TensorBoard events yet (each run writes RUN/tensorboard/; they appear as runs train)"
        print(f"TensorBoard at {started.url} on {args.runs}: {found}. Ctrl-C stops it.", flush=True)
        return started.process.wait()  # TensorBoard's own exit code if it stops by itself
    except KeyboardInterrupt:
        return 0
    finally:
        started.stop()
