"""The X connector's recorded responses served over real HTTP on loopback, for a worker that
runs as a subprocess; one path can be held open, to kill the worker in the middle of a job."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.deadlines import scaled
from tests.jobs.helpers import Handler

_SKIP = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})


@dataclass
class ReplayServer:
    base_url: str
    hold: str | None
    #: Set when a request for `hold` arrived (and is being held).
    held: threading.Event = field(default_factory=threading.Event)
    #: Set to let held requests go on.
    release: threading.Event = field(default_factory=threading.Event)
    paths: list[str] = field(default_factory=list)


@contextmanager
def replay_server(handler: Handler, *, hold: str | None = None) -> Iterator[ReplayServer]:
    state = ReplayServer(base_url="", hold=hold)

    class Serve(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            if state.hold is not None and state.hold in self.path and not state.held.is_set():
                state.held.set()
                state.release.wait(scaled(60))
            request = httpx.Request("GET", state.base_url + self.path, headers=dict(self.headers))
            response = handler(request)
            body = response.content
            try:
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    if name.lower() not in _SKIP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the worker was killed while we held its request

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
