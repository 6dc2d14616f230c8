"""`neuralab lab`: serve the playgrounds (network, GAN, diffusion), the runs dashboard (live curves,
start/stop/resume trainings as child processes, overlays), the model pages and the lessons as a
local web app.

Binds 127.0.0.1 unless ``--host`` says otherwise (then it warns), prints the URL with a
fresh token (as Jupyter does) and opens it in the browser unless ``--no-browser``.
Ctrl-C stops the server and every playground's worker.
"""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser


def register(subparsers) -> None:
    """Add the ``lab`` command."""
    parser = subparsers.add_parser("lab", help="serve the playgrounds, the runs dashboard, model pages and lessons in the browser",
                                   description="Starts a local web server whose pages train small networks live: "
                                               "a TensorFlow-Playground-style network playground, a GAN playground "
                                               "and a diffusion playground; a dashboard of the runs under --runs (live curves, "
                                               "start/stop/resume, overlays), pages that use finished runs (draw a digit, "
                                               "sample a generative model) and the lessons. Ctrl-C stops it and its jobs.")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one (default: 8765)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1, this machine only; anything else is reachable "
                             "from the network and prints a warning)")
    parser.add_argument("--no-browser", action="store_true", help="print the URL but do not open a browser")
    parser.add_argument("--runs", default="runs", metavar="DIR",
                        help="folder of run records for the runs dashboard; lab-started trainings write there "
                             "(default: runs)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="trainings run at once, each a child process; the rest wait in a queue (default: 1)")
    parser.add_argument("--lessons-out", default="lessons-out", metavar="DIR",
                        help="where `neuralab verify` wrote verdicts.json, shown on the lessons page (default: lessons-out)")
    parser.set_defaults(func=lab_command)


def lab_command(args: argparse.Namespace) -> int:
    # Imported here: the lab is an extra, and `neuralab --help` must work without it.
    from neuralab.lab.server import LabServer, is_loopback  # noqa: PLC0415

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port: expected 0..65535, got {args.port}")
    if args.jobs < 1:
        raise ValueError(f"--jobs: expected an integer >= 1, got {args.jobs}")
    server = LabServer(args.host, args.port, runs_dir=args.runs, jobs=args.jobs, lessons_dir=args.lessons_out)
    if not is_loopback(args.host):
        print(f"warning: --host {args.host} makes the lab reachable from other machines; anyone with the "
              "token can train on this one. Use the default 127.0.0.1 unless you mean it.", file=sys.stderr)
    print(f"neuralab lab: serving the playgrounds at\n\n    {server.url}\n\n"
          "Open that URL (it carries this server's token). Ctrl-C stops the server.", flush=True)
    if not args.no_browser:
        threading.Timer(0.5, webbrowser.open, args=(server.url,)).start()
    server.serve_forever()
    print("neuralab lab: stopped", flush=True)
    return 0
