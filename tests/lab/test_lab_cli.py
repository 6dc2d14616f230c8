"""`neuralab lab` from the command line: its options, its warnings, a clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from neuralab.cli import main
from neuralab.lab.server import LabServer


@pytest.fixture
def no_serving(monkeypatch):
    """Build the server and print its URL, but return at once instead of serving."""
    made = []
    monkeypatch.setattr(LabServer, "serve_forever", lambda self: made.append(self) or self.socket.close())
    return made


def test_lab_prints_a_url_with_the_token_and_keeps_to_loopback(no_serving, capsys):
    assert main(["lab", "--port", "0", "--no-browser", "--runs", "my-runs"]) == 0
    out, err = capsys.readouterr()
    server = no_serving[0]
    assert f"http://127.0.0.1:{server.port}/?token={server.token}" in out
    assert server.app.state.runs_dir == "my-runs" and server.host == "127.0.0.1"
    assert "warning" not in err


def test_another_host_prints_a_warning(no_serving, capsys):
    assert main(["lab", "--port", "0", "--no-browser", "--host", "0.0.0.0"]) == 0
    assert "warning: --host 0.0.0.0" in capsys.readouterr().err


def test_a_port_in_use_is_one_clear_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["lab", "--port", str(port), "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err and "Traceback" not in err


def test_a_bad_port_is_refused(capsys):
    assert main(["lab", "--port", "70000", "--no-browser"]) == 2
    assert "expected 0..65535" in capsys.readouterr().err


def test_ctrl_c_stops_the_server_and_its_training_workers():
    process = subprocess.Popen([sys.executable, "-m", "neuralab", "lab", "--port", "0", "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            found = re.search(r"(http://\S+)/\?token=(\S+)", line)
            if found:
                url, token = found.groups()
        assert url, "the lab printed no URL"
        headers = {"X-Neuralab-Token": token}
        for _ in range(2):  # two pages, both training when Ctrl-C comes
            sid = httpx.post(f"{url}/api/sessions", json={"kind": "network"}, headers=headers, timeout=30).json()["id"]
            assert httpx.post(f"{url}/api/sessions/{sid}/play", headers=headers, timeout=30).json()["playing"]
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)  # it takes about 2 s; the margin is for a loaded machine
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "neuralab lab: stopped" in rest and "Traceback" not in rest


def test_the_server_answers_without_the_delayed_ack_wait():
    """With Nagle on, each response's body waited ~40 ms for the client's delayed ACK of its
    headers; the listening socket sets TCP_NODELAY, which accepted connections inherit."""
    from neuralab.lab.server import LabServer

    server = LabServer("127.0.0.1", 0, quiet=True)
    try:
        assert server.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.socket.close()
