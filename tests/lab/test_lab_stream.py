"""The frame stream over a real server: server-sent events as a browser's EventSource reads them."""

from __future__ import annotations

import json

import httpx

from lab_helpers import TOKEN


def read_events(response, wanted: int):
    """The first ``wanted`` (event, data) pairs of an SSE response."""
    events, event = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            events.append((event, json.loads(line[6:])))
            if len(events) >= wanted:
                break
    return events


def test_a_playing_session_streams_frames_as_server_sent_events(lab_server):
    base, headers = lab_server.base_url, {"X-Neuralab-Token": TOKEN}
    sid = httpx.post(f"{base}/api/sessions", json={"kind": "network"}, headers=headers).json()["id"]
    httpx.post(f"{base}/api/sessions/{sid}/play", headers=headers)
    with httpx.stream("GET", f"{base}/api/sessions/{sid}/events", headers=headers, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response, 6)
    frames = [data for event, data in events if event == "frame"]
    assert len(frames) >= 2 and frames[-1]["step"] > frames[0]["step"] >= 0
    assert all(frame["playing"] for frame in frames)
    httpx.post(f"{base}/api/sessions/{sid}/close", headers=headers)


def test_the_stream_needs_the_token(lab_server):
    response = httpx.get(f"{lab_server.base_url}/api/sessions/any/events")
    assert response.status_code == 403
