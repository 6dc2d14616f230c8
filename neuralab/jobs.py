"""A queue of training (and lesson) jobs, each a child process of the caller.

The lab starts trainings here: ``JobQueue.train(...)`` validates the request exactly as
``neuralab train`` does (``recipes.resolve``: the same errors and suggestions) and queues
``python -m neuralab train RECIPE ... --out ROOT --quiet``; ``resume(run)`` queues
``neuralab train --resume ROOT/RUN``; ``lesson(name)`` queues ``neuralab lesson NAME --json``;
``sample(run, ...)`` queues ``neuralab sample`` into the run's ``figures/``.
At most ``max_jobs`` run at once (one by default); the rest wait in order.

A child is its own process, so a crash, a segfault or a memory blow-up in a training ends
that job alone: its exit code and the tail of its output are kept on the job. ``stop(id)``
sends SIGINT, which the trainer turns into an ``interrupted`` summary with a resumable
checkpoint (what Ctrl-C in a terminal does); a queued job is just dropped.

A new training's run folder is named by the child at start (``recipe-<time>``); the queue
finds it as the first new folder for that recipe that appeared after the child started and
that no other job claimed.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from neuralab.runs_index import RunsError, run_folder

TAIL_LINES = 40
POLL_S = 0.1
STOP_GRACE_S = 20.0  # after SIGINT: time to write the summary before the child is killed


class JobError(ValueError):
    """A job request that cannot be served (unknown job, run already training, ...)."""


class Job:
    """One child process: what it runs, its state and the tail of what it printed."""

    def __init__(self, job_id: str, kind: str, argv: list[str], *, recipe: str | None = None, run: str | None = None,
                 lesson: str | None = None):
        self.id, self.kind, self.argv = job_id, kind, argv
        self.recipe, self.run, self.lesson = recipe, run, lesson
        self.state = "queued"  # -> running -> completed | failed | stopped | cancelled
        self.returncode: int | None = None
        self.process: subprocess.Popen | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.stop_requested = False
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self.output: list[str] = []  # full stdout of a lesson job (its JSON record)
        self.image: str | None = None  # a sample job's figure, under the run's figures/
        self._known: set[str] = set()
        self._readers: list[threading.Thread] = []

    def describe(self) -> dict[str, Any]:
        out = {"id": self.id, "kind": self.kind, "state": self.state, "recipe": self.recipe, "run": self.run,
               "lesson": self.lesson, "returncode": self.returncode, "command": " ".join(self.argv[2:]),
               "started_at": self.started_at, "ended_at": self.ended_at, "tail": list(self.tail), "image": self.image}
        if self.state == "failed":
            out["error"] = f"exit code {self.returncode}: " + ("\n".join(list(self.tail)[-12:]) or "no output")
        if self.kind == "lesson" and self.state in ("completed", "failed"):
            try:
                out["record"] = json.loads("".join(self.output))
            except json.JSONDecodeError:
                out["record"] = None
        return out


class JobQueue:
    """Child-process jobs under ``runs_root``, ``max_jobs`` at a time; ``close()`` stops them all."""

    def __init__(self, runs_root: str | Path, max_jobs: int = 1, *, lessons_out: str | Path | None = None,
                 python: str = sys.executable):
        if not isinstance(max_jobs, int) or max_jobs < 1:
            raise ValueError(f"--jobs must be an integer >= 1; got {max_jobs!r}")
        self.root = Path(runs_root)
        self.max_jobs = max_jobs
        self.python = python
        self.lessons_out = Path(lessons_out) if lessons_out else Path(tempfile.mkdtemp(prefix="neuralab-lessons-"))
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lab-jobs", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ requests

    def train(self, recipe: str, *, engine: str | None = None, epochs: int | None = None, seed: int | None = None,
              overrides: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
        """Queue ``neuralab train``; bad settings raise the CLI's own ``ValueError``/``KeyError``."""
        from neuralab import recipes  # noqa: PLC0415 - the catalog is only needed to start jobs

        recipes.resolve(recipe, engine=engine, epochs=epochs, seed=seed, overrides=list(overrides))
        argv = [self.python, "-m", "neuralab", "train", recipe]
        for flag, value in (("--engine", engine), ("--epochs", epochs), ("--seed", seed)):
            if value is not None:
                argv += [flag, str(value)]
        for item in overrides:
            argv += ["--set", item]
        argv += ["--out", str(self.root), "--quiet"]
        return self._add("train", argv, recipe=recipe)

    def resume(self, run: str) -> dict[str, Any]:
        """Queue ``neuralab train --resume ROOT/RUN`` for a run that is not training now."""
        try:
            folder = run_folder(self.root, run)
        except RunsError as error:
            raise JobError(str(error)) from None
        if not (folder / "checkpoints" / "last.json").exists():
            raise JobError(f"run {run!r} has no checkpoint (checkpoints/last.json) to resume from")
        if self.active_runs() & {run}:
            raise JobError(f"run {run!r} is already training or queued; stop it first")
        argv = [self.python, "-m", "neuralab", "train", "--resume", str(folder), "--quiet"]
        return self._add("resume", argv, run=run)

    def sample(self, run: str, *, n: int = 64, label: int | None = None, seed: int = 0, steps: int | None = None,
               guidance: float | None = None, prior: str = "run") -> dict[str, Any]:
        """Queue ``neuralab sample ROOT/RUN --out ROOT/RUN/figures/lab-sample-<id>.png``: a sample grid
        (or a scatter, for a 2-D run) of a GAN, diffusion or VAE run; the CLI checks the options."""
        try:
            folder = run_folder(self.root, run)
        except RunsError as error:
            raise JobError(str(error)) from None
        task = _task(folder)
        if task not in ("gan", "diffusion", "vae"):
            raise JobError(f"run {run!r} is a {task!r} run; samples come from gan, diffusion and vae runs")
        out = folder / "figures" / f"lab-sample-{time.strftime('%Y%m%d-%H%M%S')}-{next(self._ids)}.png"
        argv = [self.python, "-m", "neuralab", "sample", str(folder), "--n", str(n), "--seed", str(seed), "--out", str(out)]
        for flag, value in (("--label", label), ("--steps", steps), ("--guidance", guidance)):
            if value is not None:
                argv += [flag, str(value)]
        if prior != "run":
            argv += ["--prior", prior]
        job = self._add("sample", argv, run=run)
        with self._lock:
            self.jobs[job["id"]].image = out.name
        return self.get(job["id"])

    def lesson(self, name: str, *, quick: bool = True) -> dict[str, Any]:
        """Queue ``neuralab lesson NAME --json`` (``--quick`` by default: seconds, not minutes)."""
        from neuralab import lessons  # noqa: PLC0415

        lessons.load(name)  # unknown name -> ValueError with a suggestion
        argv = [self.python, "-m", "neuralab", "lesson", name, "--json", "--out", str(self.lessons_out)]
        return self._add("lesson", argv + (["--quick"] if quick else []), lesson=name)

    def stop(self, job_id: str) -> dict[str, Any]:
        """SIGINT to a running job (it leaves a resumable ``interrupted`` run); a queued one is cancelled."""
        with self._lock:
            job = self._job(job_id)
            if job.state == "queued":
                job.state, job.ended_at = "cancelled", time.time()
            elif job.state == "running" and job.process is not None:
                job.stop_requested = True
                _signal(job.process, signal.SIGINT)
            return job.describe()

    def get(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            return self._job(job_id).describe()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [job.describe() for job in self.jobs.values()]

    def active_runs(self) -> set[str]:
        """Run folders that a queued or running training of this queue is writing."""
        with self._lock:
            return {j.run for j in self.jobs.values()
                    if j.run and j.kind in ("train", "resume") and j.state in ("queued", "running")}

    def job_of_run(self, run: str) -> dict[str, Any] | None:
        """The latest job that wrote ``run`` (its error shows on the run's page)."""
        with self._lock:
            matches = [j for j in self.jobs.values() if j.run == run]
            return matches[-1].describe() if matches else None

    def close(self, timeout: float = STOP_GRACE_S) -> None:
        """Stop every job (SIGINT, then kill after ``timeout``) and the scheduler."""
        self._closing.set()
        with self._lock:
            running = [j for j in self.jobs.values() if j.state == "running" and j.process]
            for job in self.jobs.values():
                if job.state == "queued":
                    job.state = "cancelled"
            for job in running:
                job.stop_requested = True
                _signal(job.process, signal.SIGINT)
        for job in running:
            try:
                job.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal(job.process, signal.SIGKILL)
                job.process.wait()
        self._thread.join(5)

    # ------------------------------------------------------------------ internals

    def _job(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise JobError(f"no job {job_id!r}: the lab was restarted, or the id is wrong")
        return self.jobs[job_id]

    def _add(self, kind: str, argv: list[str], **fields: Any) -> dict[str, Any]:
        if self._closing.is_set():
            raise JobError("the lab is shutting down; no new jobs")
        with self._lock:
            job = Job(str(next(self._ids)), kind, argv, **fields)
            self.jobs[job.id] = job
            return job.describe()

    def _start(self, job: Job) -> None:
        job._known = {p.name for p in self.root.iterdir()} if self.root.is_dir() else set()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # a session of its own: Ctrl-C in the lab's terminal reaches the lab, which stops jobs in order
        job.process = subprocess.Popen(job.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       env=env, start_new_session=True)
        job.state, job.started_at = "running", time.time()
        for stream, keep in ((job.process.stdout, job.kind == "lesson"), (job.process.stderr, False)):
            reader = threading.Thread(target=self._read, args=(job, stream, keep), daemon=True)
            reader.start()
            job._readers.append(reader)

    @staticmethod
    def _read(job: Job, stream, keep: bool) -> None:
        for line in stream:
            if keep:
                job.output.append(line)
            else:
                job.tail.append(line.rstrip("\n")[-300:])
        stream.close()

    def _claim_folder(self, job: Job) -> None:
        if job.run or job.kind != "train" or not self.root.is_dir():
            return
        claimed = {j.run for j in self.jobs.values() if j.run}
        for folder in sorted(self.root.iterdir(), key=lambda p: p.name):
            if folder.name in job._known or folder.name in claimed or not folder.is_dir():
                continue
            if folder.name.startswith(f"{job.recipe}-"):
                job.run = folder.name
                return

    def _loop(self) -> None:
        while not self._closing.is_set():
            with self._lock:
                running = [j for j in self.jobs.values() if j.state == "running"]
                for job in running:
                    self._claim_folder(job)
                    code = job.process.poll()
                    if code is not None:
                        self._claim_folder(job)
                        for reader in job._readers:  # the output ends with the process: read it all first
                            reader.join(2.0)
                        job.returncode, job.ended_at = code, time.time()
                        job.state = "completed" if code == 0 else "stopped" if job.stop_requested else "failed"
                        if job.kind == "lesson" and code == 1 and job.output:
                            job.state = "completed"  # exit 1: a check failed; the verdicts are in the record
                running = [j for j in running if j.state == "running"]
                for job in [j for j in self.jobs.values() if j.state == "queued"]:
                    if len(running) >= self.max_jobs:
                        break
                    try:
                        self._start(job)
                        running.append(job)
                    except OSError as error:
                        job.state, job.returncode = "failed", None
                        job.tail.append(f"could not start: {error}")
            self._closing.wait(POLL_S)


def _task(folder: Path) -> str | None:
    try:
        return json.loads((folder / "config.json").read_text()).get("task")
    except (OSError, json.JSONDecodeError, AttributeError):
        return None


def _signal(process: subprocess.Popen, number: int) -> None:
    """Signal the child's whole process group (its own session), as Ctrl-C in a terminal would:
    data-loader workers or a shell's children get it too."""
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass  # it has just ended
