"""The lab's HTTP API through FastAPI's test client: every endpoint, its bad input, its checks.

The playgrounds are the real ones (``neuralab.playground``); only one test swaps a
session's ``step`` for a failing one, to show that a failure pauses that page alone.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from neuralab import playground as playgrounds
from neuralab.lab import create_app

from lab_helpers import BASE_URL, SPIRAL_HASH, TOKEN

AUTH = {"X-Neuralab-Token": TOKEN}


@pytest.fixture
def app():
    app = create_app(TOKEN, host="127.0.0.1", runs_dir="somewhere/runs")
    yield app
    app.state.sessions.close_all()


@pytest.fixture
def client(app):
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        yield client


def new_session(client, kind="network", **body):
    response = client.post("/api/sessions", json=dict(kind=kind, **body), headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# ---------- pages, token, Host, Origin ----------
@pytest.mark.parametrize("path", ["/", "/network", "/gan", "/diffusion", "/static/lab.js", "/static/style.css"])
def test_pages_and_static_files_load_without_a_token(client, path):
    response = client.get(path)
    assert response.status_code == 200 and len(response.content) > 200
    assert "set-cookie" not in response.headers


def test_a_page_opened_with_the_token_stores_it_in_a_strict_http_only_cookie(client):
    response = client.get(f"/network?token={TOKEN}")
    cookie = response.headers["set-cookie"]
    assert f"neuralab_token={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "set-cookie" not in client.get("/network?token=wrong").headers


def test_the_page_html_loads_nothing_from_outside(client):
    for path in ["/", "/network", "/gan", "/diffusion"]:
        html = client.get(path).text
        assert "http://" not in html and "https://" not in html and "//cdn" not in html


@pytest.mark.parametrize("headers", [{}, {"X-Neuralab-Token": "wrong"}])
def test_api_requests_without_the_right_token_are_refused(client, headers):
    for method, path in [("post", "/api/sessions"), ("get", "/api/defaults/network"),
                         ("post", "/api/sessions/abc/play"), ("get", "/api/sessions/abc/events")]:
        response = getattr(client, method)(path, headers=headers, **({"json": {"kind": "network"}} if method == "post" else {}))
        assert response.status_code == 403, (method, path)
        assert "token" in response.json()["error"]


def test_the_token_cookie_and_the_query_token_on_get_both_work(client):
    client.cookies.set("neuralab_token", TOKEN)
    assert client.get("/api/defaults/network").status_code == 200
    client.cookies.clear()
    assert client.get(f"/api/defaults/network?token={TOKEN}").status_code == 200
    # a POST must carry it in the header or the cookie, not in the URL
    assert client.post(f"/api/sessions?token={TOKEN}", json={"kind": "network"}).status_code == 403


def test_a_foreign_host_name_is_refused_even_with_the_token(client):
    response = client.get("/api/defaults/network", headers=dict(AUTH, Host="evil.example:8765"))
    assert response.status_code == 403 and "DNS rebinding" in response.json()["error"]
    assert client.get("/network", headers={"Host": "evil.example"}).status_code == 403
    assert client.get("/api/defaults/network", headers=dict(AUTH, Host="localhost:8765")).status_code == 200


def test_a_cross_origin_request_is_refused_even_with_the_token(client):
    response = client.post("/api/sessions", json={"kind": "network"}, headers=dict(AUTH, Origin="http://evil.example"))
    assert response.status_code == 403 and "evil.example" in response.json()["error"]
    ok = client.post("/api/sessions", json={"kind": "network"}, headers=dict(AUTH, Origin=BASE_URL))
    assert ok.status_code == 200


def test_the_runs_folder_is_kept_on_the_app(app):
    assert app.state.runs_dir == "somewhere/runs"


# ---------- sessions ----------
def test_defaults_and_limits_of_every_kind(client):
    for kind in ("network", "gan", "diffusion"):
        data = client.get(f"/api/defaults/{kind}", headers=AUTH).json()
        assert data["settings"] == playgrounds.defaults(kind)
        assert data["limits"] == playgrounds.LIMITS
    response = client.get("/api/defaults/perceptron", headers=AUTH)
    assert response.status_code == 400 and "kind" in response.json()["error"]


def test_a_tf_playground_hash_opens_the_same_experiment(client):
    data = new_session(client, hash=SPIRAL_HASH)
    settings = data["settings"]
    assert settings["dataset"] == "spiral" and settings["networkShape"] == [8, 8] and settings["activation"] == "tanh"
    assert [k for k in ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY", "cosX", "cosY") if settings[k]] == \
        ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"]
    assert playgrounds.parse_tf_hash(data["hash"])["networkShape"] == [8, 8]
    assert data["frame"]["step"] == 0 and len(data["points"]["train"]) > 0


def test_step_update_weight_reset_and_play(client):
    sid = new_session(client)["id"]
    assert client.post(f"/api/sessions/{sid}/step", json={"n": 5}, headers=AUTH).json()["step"] == 5
    updated = client.post(f"/api/sessions/{sid}/update", json={"changes": {"learningRate": 0.1}}, headers=AUTH).json()
    assert updated["settings"]["learningRate"] == 0.1 and "learningRate=0.1" in updated["hash"]
    assert updated["step"] == 5  # a live setting keeps the training going
    assert client.post(f"/api/sessions/{sid}/weight", json={"layer": 0, "i": 0, "j": 1, "value": 1.5},
                       headers=AUTH).status_code == 200
    assert client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]["weights"][0][0][1] == pytest.approx(1.5)
    assert client.post(f"/api/sessions/{sid}/reset", headers=AUTH).json()["step"] == 0
    assert client.post(f"/api/sessions/{sid}/play", headers=AUTH).json()["playing"] is True
    assert wait_for(lambda: client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]["step"] > 10)
    paused = client.post(f"/api/sessions/{sid}/pause", headers=AUTH).json()
    assert paused["playing"] is False
    time.sleep(0.2)
    still = client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]["step"]
    time.sleep(0.3)
    assert client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]["step"] == still


def test_the_torch_engine_serves_too(client):
    data = new_session(client, hash=SPIRAL_HASH, engine="torch")
    assert data["engine"] == "torch"
    assert client.post(f"/api/sessions/{data['id']}/step", json={"n": 3}, headers=AUTH).json()["step"] == 3


def test_gan_steps_one_network_at_a_time(client):
    sid = new_session(client, kind="gan")["id"]
    client.post(f"/api/sessions/{sid}/step", json={"n": 3, "part": "d"}, headers=AUTH)
    frame = client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]
    assert (frame["d_steps"], frame["g_steps"]) == (3, 0)
    client.post(f"/api/sessions/{sid}/step", json={"n": 2, "part": "g"}, headers=AUTH)
    frame = client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]
    assert (frame["d_steps"], frame["g_steps"]) == (3, 2)


# ---------- bad input: 400 with a message, 404 for unknown sessions ----------
@pytest.mark.parametrize("body, words", [
    ({"kind": "perceptron"}, ["kind"]),
    ({"kind": "network", "settings": {"networkShape": [8] * 99}}, ["networkShape"]),
    ({"kind": "network", "settings": {"networkShape": [100000]}}, ["networkShape"]),
    ({"kind": "network", "settings": {"learningRat": 0.1}}, ["learningRat", "learningRate"]),
    ({"kind": "network", "settings": {"activation": "swish"}}, ["activation"]),
    ({"kind": "network", "engine": "jax"}, ["engine"]),
    ({"kind": "network", "seed": -1}, ["seed"]),
    ({"kind": "network", "speed": 3}, ["speed"]),
    ({"kind": "network", "hash": "#networkShape=8,banana"}, ["networkShape"]),
])
def test_bad_session_requests_answer_400_naming_the_problem(client, body, words):
    response = client.post("/api/sessions", json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert all(word in message for word in words), message
    assert "Traceback" not in message


def test_a_body_that_is_not_json_answers_400(client):
    response = client.post("/api/sessions", content=b"{not json", headers=dict(AUTH, **{"Content-Type": "application/json"}))
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.parametrize("action, body, words", [
    ("step", {"n": 0}, ["n"]),
    ("step", {"n": 10**9}, ["n"]),
    ("step", {"part": "x"}, ["part"]),
    ("update", {"changes": {"networkShape": [0]}}, ["networkShape"]),
    ("update", {"changes": {"noise": "loud"}}, ["noise"]),
    ("update", {"changes": {"bogus": 1}}, ["bogus"]),
    ("update", {"learningRate": 0.1}, ["changes"]),
    ("weight", {"layer": 0, "i": 0, "j": 0}, ["value"]),
    ("weight", {"layer": 99, "i": 0, "j": 0, "value": 1.0}, ["layer"]),
])
def test_bad_controls_answer_400_and_leave_the_session_working(client, action, body, words):
    sid = new_session(client)["id"]
    response = client.post(f"/api/sessions/{sid}/{action}", json=body, headers=AUTH)
    assert response.status_code == 400, response.text
    assert all(word in response.json()["error"] for word in words), response.json()
    assert client.post(f"/api/sessions/{sid}/step", json={"n": 1}, headers=AUTH).json()["step"] == 1


@pytest.mark.parametrize("method, action", [("post", "play"), ("post", "pause"), ("post", "step"), ("post", "reset"),
                                            ("post", "update"), ("post", "weight"), ("post", "upload"),
                                            ("post", "close"), ("get", "export"), ("get", "events"), ("get", "")])
def test_an_unknown_session_answers_404(client, method, action):
    body = {"changes": {}} if action == "update" else {"layer": 0, "i": 0, "j": 0, "value": 0} if action == "weight" else {}
    kwargs = {"content": b"a,b,c\n"} if action == "upload" else ({"json": body} if method == "post" else {})
    response = getattr(client, method)(f"/api/sessions/nope/{action}".rstrip("/"), headers=AUTH, **kwargs)
    assert response.status_code == 404 and "nope" in response.json()["error"]


def test_an_oversize_json_body_answers_413(client):
    sid = new_session(client)["id"]
    huge = json.dumps({"changes": {"points": [[0.0, 0.0, 1.0]] * 200_000}})
    response = client.post(f"/api/sessions/{sid}/update", content=huge, headers=dict(AUTH, **{"Content-Type": "application/json"}))
    assert response.status_code == 413 and "limit" in response.json()["error"]


# ---------- uploads and export ----------
def test_a_csv_upload_becomes_the_data(client, blobs_csv):
    sid = new_session(client)["id"]
    response = client.post(f"/api/sessions/{sid}/upload", content=blobs_csv.encode(), headers=AUTH)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["settings"]["dataset"] == "upload" and data["rows"] == 60
    points = client.get(f"/api/sessions/{sid}", headers=AUTH).json()["points"]
    assert len(points["train"]) + len(points["test"]) == 60


@pytest.mark.parametrize("content, status, words", [
    (b"", 400, ["empty"]),
    (b"x1,x2,label\n1,2,0\n3,banana,1\n", 400, ["banana"]),
    (b"x1,x2\n1,2\n3,4\n", 400, []),
])
def test_a_bad_upload_answers_with_its_error(client, content, status, words):
    sid = new_session(client)["id"]
    response = client.post(f"/api/sessions/{sid}/upload", content=content, headers=AUTH)
    assert response.status_code == status, response.text
    assert all(word in response.json()["error"] for word in words), response.json()


def test_an_oversize_upload_answers_413_before_it_is_read(client):
    sid = new_session(client)["id"]
    limit = playgrounds.LIMITS["max_upload_bytes"]
    body = b"x1,x2,label\n" + b"1.0,2.0,1\n" * (limit // 10 + 10)
    response = client.post(f"/api/sessions/{sid}/upload", content=body, headers=AUTH)
    assert response.status_code == 413 and f"{limit:,}" in response.json()["error"]


def test_export_is_a_zip_of_safetensors_json_and_python(client):
    sid = new_session(client, hash=SPIRAL_HASH)["id"]
    client.post(f"/api/sessions/{sid}/step", json={"n": 3}, headers=AUTH)
    response = client.get(f"/api/sessions/{sid}/export", headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert {"model.safetensors", "model.json", "model.py"} <= names


# ---------- isolation: one page's failure, eviction, closing ----------
def test_a_failing_step_pauses_that_page_alone(client, app):
    broken, healthy = new_session(client)["id"], new_session(client)["id"]

    def explode(*args, **kwargs):
        raise RuntimeError("the engine fell over")

    app.state.sessions.get(broken).playground.step = explode
    for sid in (broken, healthy):
        client.post(f"/api/sessions/{sid}/play", headers=AUTH)
    session = app.state.sessions.get(broken)
    assert wait_for(lambda: not session.playing)
    _, messages = session.feed.after(0)
    failures = [json.loads(data)["error"] for event, data in messages if event == "failure"]
    assert failures and "the engine fell over" in failures[0]
    assert wait_for(lambda: client.get(f"/api/sessions/{healthy}", headers=AUTH).json()["frame"]["step"] > 5)
    response = client.post(f"/api/sessions/{broken}/step", json={"n": 1}, headers=AUTH)
    assert response.status_code == 500 and "the server keeps running" in response.json()["error"]
    assert client.get("/network").status_code == 200


def test_pages_of_every_kind_train_at_the_same_time(client, app):
    ids = [new_session(client, kind=kind)["id"] for kind in ("network", "network", "gan", "diffusion")]
    for sid in ids:
        client.post(f"/api/sessions/{sid}/play", headers=AUTH)
    assert wait_for(lambda: all(client.get(f"/api/sessions/{sid}", headers=AUTH).json()["frame"]["step"] >= 3 for sid in ids))
    for sid in ids:
        session = app.state.sessions.get(sid)
        assert session.playing, sid
        assert not [data for event, data in session.feed.after(0)[1] if event == "failure"]


def test_closing_a_session_stops_its_worker(client, app):
    sid = new_session(client)["id"]
    client.post(f"/api/sessions/{sid}/play", headers=AUTH)
    session = app.state.sessions.get(sid)
    assert client.post(f"/api/sessions/{sid}/close", headers=AUTH).json() == {"closed": sid}
    assert session.closed and not session._thread.is_alive()
    assert client.get(f"/api/sessions/{sid}", headers=AUTH).status_code == 404


def test_the_oldest_session_is_closed_past_the_limit(client, app):
    app.state.sessions.limit = 2
    first, second, third = (new_session(client)["id"] for _ in range(3))
    assert client.get(f"/api/sessions/{first}", headers=AUTH).status_code == 404
    assert client.get(f"/api/sessions/{third}", headers=AUTH).status_code == 200
    assert len(app.state.sessions) == 2
