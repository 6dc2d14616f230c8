"""One session per open page: its playground, the worker thread that trains it, its feed.

A session's worker steps the playground while it plays and publishes a frame at most
``fps`` times a second; every control (step, reset, update, ...) runs under the same
lock, so the playground is never touched by two threads at once. Messages go out through
a feed that SSE readers poll: the latest frame (readers may skip frames), plus a short
queue of events no reader may miss (new points, settings, errors, play state).
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import sys
import threading
import time
import traceback
import uuid

from neuralab import playground as playgrounds
from neuralab.playground import PlaygroundError

MAX_SESSIONS = 16  # open pages; the least recently used one is closed beyond this
FPS = 25
# One lock for every playground of the process: the scratch engine's grad mode is one global
# flag (torch's is per thread), so one page's frame() under no_grad would break another page's
# backward() running at the same moment. Steps are short, so pages take turns step by step.
PLAYGROUND_LOCK = threading.RLock()


def to_json(obj) -> str:
    """JSON text for the page; NaN/inf (a diverged loss) become null, which JSON allows."""
    try:
        return json.dumps(obj, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(obj), separators=(",", ":"))


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(value) for value in obj]
    return obj


def error_text(error: BaseException) -> str:
    """The user's message for a PlaygroundError; a short tagged one for anything else."""
    if isinstance(error, PlaygroundError):
        return str(error)
    return f"internal error ({type(error).__name__}: {error}); the server keeps running"


class Feed:
    """Numbered messages: the latest frame plus the last ``keep`` other events."""

    def __init__(self, keep: int = 64):
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._events: collections.deque = collections.deque(maxlen=keep)
        self._frame: tuple[int, str] | None = None

    def publish(self, event: str, data: str) -> None:
        with self._lock:
            number = next(self._numbers)
            if event == "frame":
                self._frame = (number, data)
            else:
                self._events.append((number, event, data))

    def after(self, seen: int) -> tuple[int, list[tuple[str, str]]]:
        """Messages numbered above ``seen``, oldest first, and the new highest number."""
        with self._lock:
            out = [(n, e, d) for n, e, d in self._events if n > seen]
            if self._frame and self._frame[0] > seen:
                out.append((self._frame[0], "frame", self._frame[1]))
        out.sort()
        return (out[-1][0] if out else seen), [(e, d) for _, e, d in out]


class LabSession:
    """A playground, the lock that guards it (shared by all pages), and the worker thread that trains it."""

    def __init__(self, playground, *, fps: int = FPS):
        self.id = uuid.uuid4().hex
        self.playground = playground
        self.lock = PLAYGROUND_LOCK
        self.feed = Feed()
        self.frame_interval = 1.0 / fps
        self.last_used = time.monotonic()
        self._playing = threading.Event()
        self._closed = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._work, name=f"lab-session-{self.id[:8]}", daemon=True)
        self._thread.start()

    # -- controls (each under the lock; the caller turns PlaygroundError into HTTP 400) --
    @property
    def playing(self) -> bool:
        return self._playing.is_set()

    def play(self) -> None:
        self._playing.set()
        self._wake.set()
        self.publish_state()

    def pause(self) -> None:
        # under the lock, so no step lands after the page is told it paused, and the frame
        # it is told about is the one it keeps
        with self.lock:
            self._playing.clear()
            self.publish_frame()
            self.publish_state()

    def run(self, action, *, points: bool = False):
        """Run ``action(playground)`` under the lock, then publish a frame (and points)."""
        self.last_used = time.monotonic()
        with self.lock:
            result = action(self.playground)
            if points:
                self.publish_points()
            self.publish_frame()
        return result

    def snapshot(self) -> dict:
        """Settings, URL hash, points and the current frame, for a page that (re)connects."""
        with self.lock:
            settings = self.playground.settings
            return {"id": self.id, "kind": self.playground.kind, "settings": settings,
                    "hash": playgrounds.to_hash(settings, self.playground.kind), "playing": self.playing,
                    "points": self.playground.points(), "frame": self.playground.frame()}

    # -- feed --
    def publish_frame(self) -> None:
        frame = dict(self.playground.frame(), playing=self.playing)
        self.feed.publish("frame", to_json(frame))

    def publish_points(self) -> None:
        settings = self.playground.settings
        self.feed.publish("points", to_json({"points": self.playground.points(), "settings": settings,
                                             "hash": playgrounds.to_hash(settings, self.playground.kind)}))

    def publish_state(self) -> None:
        self.feed.publish("state", to_json({"playing": self.playing}))

    def publish_error(self, error: BaseException) -> None:
        self.feed.publish("failure", to_json({"error": error_text(error)}))

    # -- worker --
    def _work(self) -> None:
        frame_cost = 0.0
        while not self._closed.is_set():
            if not self._playing.is_set():
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            # train for one frame interval, or thrice as long as a frame takes, so drawing
            # never eats more than a quarter of the time
            deadline = time.monotonic() + max(self.frame_interval, 3 * frame_cost)
            try:
                while not self._closed.is_set():
                    with self.lock:  # one step at a time, so controls never wait long
                        if not self._playing.is_set():
                            break
                        self.playground.step(1)
                    if time.monotonic() >= deadline:
                        break
                started = time.monotonic()
                with self.lock:
                    self.publish_frame()
                frame_cost = time.monotonic() - started
            except Exception as error:  # noqa: BLE001 - a failed step pauses this page only
                if not isinstance(error, PlaygroundError):
                    traceback.print_exc(file=sys.stderr)
                self._playing.clear()
                self.publish_error(error)
                self.publish_state()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker and wait for it (a step in progress finishes first)."""
        self._closed.set()
        self._playing.clear()
        self._wake.set()
        self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


class SessionStore:
    """The open sessions by id, at most ``limit``; the oldest idle one is closed beyond it."""

    def __init__(self, limit: int = MAX_SESSIONS):
        self.limit = limit
        self._sessions: dict[str, LabSession] = {}
        self._lock = threading.Lock()

    def add(self, session: LabSession) -> None:
        with self._lock:
            self._sessions[session.id] = session
            evicted = []
            while len(self._sessions) > self.limit:
                oldest = min(self._sessions.values(), key=lambda s: s.last_used)
                evicted.append(self._sessions.pop(oldest.id))
        for old in evicted:
            old.close()

    def get(self, session_id: str) -> LabSession | None:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is not None:
            session.last_used = time.monotonic()
        return session

    def remove(self, session_id: str) -> bool:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is not None:
            session.close()
        return session is not None

    def close_all(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def __len__(self) -> int:
        return len(self._sessions)
