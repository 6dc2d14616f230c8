"""``neuralab.jobs``: the queue validates as the CLI does, runs one child at a time, keeps a
crash's output on its job, stops with SIGINT and refuses what it cannot resume.

Children here are small scripts standing in for ``python`` (the queue runs
``PYTHON -m neuralab ...``): fast, and able to crash on purpose. A real training through the
queue is in the browser test (start, stop, resume).
"""

from __future__ import annotations

import os
import stat
import time

import pytest

from neuralab.jobs import JobError, JobQueue
from neuralab.train import RunRecord


def fake_python(tmp_path, body: str) -> str:
    """An executable that runs ``body`` (sh) whatever its arguments."""
    path = tmp_path / "fake-python"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def wait_for(queue, job_id, states, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = queue.get(job_id)
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stayed {queue.get(job_id)['state']}")


@pytest.fixture
def queue_of(tmp_path):
    queues = []

    def make(body, **options):
        queue = JobQueue(tmp_path / "runs", python=fake_python(tmp_path, body), **options)
        queues.append(queue)
        return queue
    yield make
    for queue in queues:
        queue.close(timeout=5)


def test_bad_settings_get_the_cli_errors(queue_of):
    queue = queue_of("exit 0")
    with pytest.raises(KeyError, match="did you mean 'digits-mlp'"):
        queue.train("digits-mlpp")
    with pytest.raises(KeyError, match="did you mean .model.dropout."):
        queue.train("digits-mlp", overrides=["model.dropot=0.1"])
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        queue.train("digits-mlp", epochs=0)
    with pytest.raises(ValueError, match="unknown lesson"):
        queue.lesson("perceptrn")
    assert queue.list() == []
    with pytest.raises(ValueError, match="--jobs"):
        JobQueue("runs", max_jobs=0)


def test_the_command_is_neuralab_train(queue_of, tmp_path):
    queue = queue_of("exit 0")
    job = queue.train("digits-mlp", engine="scratch", epochs=2, seed=5, overrides=["model.dropout=0.1"])
    assert job["command"] == (f"neuralab train digits-mlp --engine scratch --epochs 2 --seed 5 --set model.dropout=0.1 "
                              f"--out {tmp_path / 'runs'} --quiet")
    assert wait_for(queue, job["id"], ("completed",))["returncode"] == 0


def test_a_crash_stays_in_its_job(queue_of):
    queue = queue_of('echo "Traceback: something broke" >&2; exit 3')
    job = wait_for(queue, queue.train("digits-mlp")["id"], ("failed",))
    assert job["returncode"] == 3 and "something broke" in job["error"]
    assert wait_for(queue, queue.train("digits-mlp")["id"], ("failed",))  # the queue goes on


def test_one_at_a_time_and_stop(queue_of):
    queue = queue_of("trap 'exit 130' INT; sleep 30 & wait")
    first, second = queue.train("digits-mlp"), queue.train("digits-mlp")
    wait_for(queue, first["id"], ("running",))
    time.sleep(0.3)
    assert queue.get(second["id"])["state"] == "queued"
    assert queue.stop(second["id"])["state"] == "cancelled"
    queue.stop(first["id"])
    assert wait_for(queue, first["id"], ("stopped",))["returncode"] == 130


def test_two_at_once_with_max_jobs(queue_of):
    queue = queue_of("sleep 30", max_jobs=2)
    jobs = [queue.train("digits-mlp") for _ in range(3)]
    for job in jobs[:2]:
        wait_for(queue, job["id"], ("running",))
    assert queue.get(jobs[2]["id"])["state"] == "queued"


def test_a_new_run_folder_is_claimed_by_its_job(queue_of, tmp_path):
    queue = queue_of(f'mkdir -p "{tmp_path}/runs/digits-mlp-20990101-000000"; sleep 1')
    job = queue.train("digits-mlp")
    assert wait_for(queue, job["id"], ("completed",))["run"] == "digits-mlp-20990101-000000"
    assert queue.job_of_run("digits-mlp-20990101-000000")["id"] == job["id"]


def test_resume_needs_a_checkpoint_and_refuses_what_is_not_a_run(queue_of, tmp_path):
    queue = queue_of("exit 0")
    record = RunRecord.create(tmp_path / "runs", name="digits-mlp", config={"recipe": "digits-mlp", "task": "classify"})
    with pytest.raises(JobError, match="no checkpoint"):
        queue.resume(record.path.name)
    for name in ("../x", "absent"):
        with pytest.raises(JobError):
            queue.resume(name)
    (record.checkpoints_dir / "last.json").write_text("{}")
    job = queue.resume(record.path.name)
    assert job["command"].endswith(f"--resume {record.path} --quiet") and job["run"] == record.path.name


def test_a_lesson_job_returns_its_record(queue_of):
    queue = queue_of("""echo '{"name": "perceptron", "claims": [{"id": "E1", "verdict": "holds"}], "ok": true}'""")
    job = wait_for(queue, queue.lesson("perceptron")["id"], ("completed",))
    assert job["record"]["claims"][0]["verdict"] == "holds" and "--json" in job["command"]


def test_a_sample_job_draws_into_the_run_figures(queue_of, tmp_path):
    queue = queue_of('for a; do case "$prev" in --out) printf "png" > "$a";; esac; prev="$a"; done')
    record = RunRecord.create(tmp_path / "runs", name="mnist-ddpm", config={"recipe": "mnist-ddpm", "task": "diffusion"})
    job = queue.sample(record.path.name, n=16, label=3, seed=2, steps=5, guidance=1.5)
    assert f"neuralab sample {record.path} --n 16 --seed 2 --out " in job["command"]
    assert job["command"].endswith("--label 3 --steps 5 --guidance 1.5") and job["image"].startswith("lab-sample-")
    assert wait_for(queue, job["id"], ("completed",))
    assert (record.figures_dir / job["image"]).read_text() == "png"
    assert record.path.name not in queue.active_runs()  # sampling is not training: resume stays possible
    classify = RunRecord.create(tmp_path / "runs", name="digits-mlp", config={"recipe": "digits-mlp", "task": "classify"})
    with pytest.raises(JobError, match="samples come from gan, diffusion and vae runs"):
        queue.sample(classify.path.name)
