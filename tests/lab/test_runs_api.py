"""The runs dashboard's routes through FastAPI's test client: cards, a run's data and files,
refusals (token, traversal, bad training settings), a crashing job on its run's page,
compare and the lessons listing."""

from __future__ import annotations

import http.client
import json
import stat

import pytest
from fastapi.testclient import TestClient

from lab_helpers import BASE_URL, TOKEN
from neuralab import lessons
from neuralab.jobs import JobQueue
from neuralab.lab import create_app
from test_runs_index import finished_run
from test_jobs import wait_for

AUTH = {"X-Neuralab-Token": TOKEN}


@pytest.fixture
def root(tmp_path):
    return tmp_path / "runs"


@pytest.fixture
def client(root, tmp_path):
    app = create_app(TOKEN, host="127.0.0.1", runs_dir=str(root), lessons_dir=str(tmp_path / "lessons"))
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        yield client


def test_cards_detail_and_files(client, root):
    record = finished_run(root)
    (root / "half-20990101-000000").mkdir(parents=True)
    (root / "half-20990101-000000" / "summary.json").write_text('{"status": "compl')
    runs = client.get("/api/runs", headers=AUTH).json()["runs"]
    assert [r["name"] for r in runs] == ["half-20990101-000000", record.path.name]
    assert "summary.json is not valid JSON" in runs[0]["error"] and runs[1]["status"] == "completed"
    detail = client.get(f"/api/runs/{record.path.name}", headers=AUTH).json()
    assert detail["curves"]["train_loss"][0] == [1, 1.0] and detail["job"] is None
    figure = record.figure_path("curves")
    figure.write_bytes(b"\x89PNG\r\n\x1a\n")
    response = client.get(f"/api/runs/{record.path.name}/files/figures/curves.png", headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert client.get(f"/api/runs/{record.path.name}/files/checkpoints", headers=AUTH).status_code == 404
    assert client.get("/api/runs/no-such-run", headers=AUTH).status_code == 404


def test_without_the_token_nothing_is_served(client, root):
    record = finished_run(root)
    for path in ["/api/runs", f"/api/runs/{record.path.name}", f"/api/runs/{record.path.name}/files/summary.json"]:
        response = client.get(path)
        assert response.status_code == 403 and "token" in response.json()["error"]
    assert client.post("/api/jobs/train", json={"recipe": "digits-mlp"}).status_code == 403


def test_path_traversal_is_refused(root, tmp_path):
    """Raw HTTP (a client library would normalise the ``..`` away) against a real server."""
    from neuralab.lab.server import LabServer
    record = finished_run(root)
    (tmp_path / "secret.json").write_text('{"secret": 1}')
    server = LabServer("127.0.0.1", 0, token=TOKEN, quiet=True, runs_dir=str(root)).start()
    try:
        for path in [f"/api/runs/{record.path.name}/files/../../secret.json",
                     f"/api/runs/{record.path.name}/files/%2e%2e/%2e%2e/secret.json",
                     f"/api/runs/{record.path.name}/files/..%2f..%2fsecret.json",
                     "/api/runs/../files/secret.json", "/api/runs/%2e%2e/files/secret.json"]:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", path, headers=AUTH)
            response = connection.getresponse()
            body = response.read().decode()
            assert response.status in (400, 404), (path, response.status, body)
            assert "secret" not in body.replace("secret.json", ""), (path, body)
    finally:
        server.stop()


def test_bad_training_requests_get_the_cli_errors(client):
    cases = [({"recipe": "digits-mlpp"}, "did you mean 'digits-mlp'"),
             ({"recipe": "digits-mlp", "overrides": ["model.dropot=0.1"]}, "did you mean 'model.dropout'"),
             ({"recipe": "digits-mlp", "engine": "tensorflow"}, "engine must be one of"),
             ({"recipe": "digits-mlp", "overrides": ["model.dropout"]}, "expects key=value"),
             ({"recipe": "digits-mlp", "epochs": 0}, "epochs"),
             ({"recipe": "digits-mlp", "bogus": 1}, "bogus")]
    for body, expected in cases:
        response = client.post("/api/jobs/train", json=body, headers=AUTH)
        assert response.status_code == 400 and expected in response.json()["error"], (body, response.text)
    assert client.get("/api/jobs", headers=AUTH).json()["jobs"] == []
    assert client.post("/api/jobs/resume", json={"run": "../etc"}, headers=AUTH).status_code == 400
    assert client.post("/api/jobs/77/stop", headers=AUTH).status_code == 404


def test_a_crashing_job_shows_on_its_run_and_the_server_goes_on(client, root, tmp_path):
    script = tmp_path / "crashing-python"
    script.write_text(f'#!/bin/sh\nmkdir -p "{root}/digits-mlp-20990101-000000"\n'
                      'echo "RuntimeError: the GPU caught fire" >&2\nkill -SEGV $$\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    client.app.state.jobs.close()
    client.app.state.jobs = JobQueue(root, python=str(script))
    job = client.post("/api/jobs/train", json={"recipe": "digits-mlp"}, headers=AUTH).json()
    wait_for(client.app.state.jobs, job["id"], ("failed",))
    detail = client.get("/api/runs/digits-mlp-20990101-000000", headers=AUTH).json()
    assert detail["job"]["state"] == "failed" and "caught fire" in detail["job"]["error"]
    assert client.get("/api/runs", headers=AUTH).status_code == 200
    client.app.state.jobs.close()


def test_compare_overlays_and_diffs(client, root):
    a, b = finished_run(root, name="a", lr=0.1), finished_run(root, name="b", lr=0.3, epochs=4)
    data = client.get(f"/api/compare?runs={a.path.name},{b.path.name}", headers=AUTH).json()
    assert set(data["curves"]) == {a.path.name, b.path.name} and len(data["curves"][b.path.name]["train_loss"]) == 4
    assert data["diff"]["optimizer.lr"] == {a.path.name: 0.1, b.path.name: 0.3} and "train.epochs" in data["diff"]
    assert client.get(f"/api/compare?runs={a.path.name}", headers=AUTH).status_code == 400
    assert client.get(f"/api/compare?runs={a.path.name},..", headers=AUTH).status_code == 400


def test_lessons_with_and_without_a_report(client, tmp_path):
    data = client.get("/api/lessons", headers=AUTH).json()
    assert [l["name"] for l in data["lessons"]] == list(lessons.names()) and data["report"] is None
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "verdicts.json").write_text(json.dumps(
        {"quick": True, "seed": 0, "lessons": [{"name": "xor", "claims": [{"verdict": "holds"}, {"verdict": "fails"}]}]}))
    report = client.get("/api/lessons", headers=AUTH).json()["report"]
    assert report["lessons"][0]["tally"] == {"holds": 1, "partly": 0, "fails": 1}
    assert client.post("/api/jobs/lesson", json={"name": "xr"}, headers=AUTH).json()["error"].startswith("unknown lesson")


def test_the_drawing_page_refuses_bad_input(client, root):
    record = finished_run(root)  # a classify run, but on no image data set and without weights
    cases = [({"run": record.path.name, "pixels": [0.1] * 10}, 400, "expected 784 grey levels"),
             ({"run": record.path.name, "pixels": [0.1] * 783 + [7]}, 400, "in [0, 1]; got 7"),
             ({"run": record.path.name, "pixels": ["a"] * 784}, 400, "got 'a'"),
             ({"run": "../x", "pixels": [0.0] * 784}, 400, "refused"),
             ({"run": "absent", "pixels": [0.0] * 784}, 404, "no run"),
             ({"run": record.path.name, "pixels": [0.0] * 784}, 400, "has no weights")]
    for body, status, expected in cases:
        response = client.post("/api/models/images/predict", json=body, headers=AUTH)
        assert response.status_code == status and expected in response.json()["error"], (body, response.text)
    for data, expected in [(b"", "is empty: expected a PNG"), (b"GIF89a", "not a PNG")]:
        response = client.post(f"/api/models/images/png?run={record.path.name}", content=data,
                               headers={**AUTH, "Content-Type": "image/png"})
        assert response.status_code == 400 and expected in response.json()["error"]
    response = client.post(f"/api/models/images/png?run={record.path.name}", content=b"\x89PNG" + b"0" * 3_000_000,
                           headers={**AUTH, "Content-Type": "image/png"})
    assert response.status_code == 413
    assert client.get("/api/models/images", headers=AUTH).json()["runs"] == []  # not an image data set
