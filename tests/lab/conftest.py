"""Fixtures of the lab tests: a real server for the session, the screenshots folder."""

from __future__ import annotations

import pytest

from lab_helpers import TOKEN, csv_of_two_blobs


@pytest.fixture
def blobs_csv() -> str:
    return csv_of_two_blobs()


@pytest.fixture(scope="session")
def lab_server():
    """A real uvicorn server on a free port, in a background thread, for the whole session."""
    from neuralab.lab.server import LabServer
    server = LabServer("127.0.0.1", 0, token=TOKEN, quiet=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """The folder every browser test saves its page screenshots into."""
    return tmp_path_factory.mktemp("lab-screenshots")
