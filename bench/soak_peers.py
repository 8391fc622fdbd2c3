"""The soak test's two outside parties, in a process of their own: the X platform replayed from
its recorded responses, and a webhook receiver that checks every delivery's signature.

    python bench/soak_peers.py      # prints one JSON line {"platform": URL, "receiver": URL}

They run apart from the load generator (`bench/soak.py`) so that their threads never compete
with it for the GIL: a latency the soak reports is the API's, not the receiver's.

- The platform is `tests.jobs.replay_server` serving `tests.connectors.twitter.replay`'s full
  replay of @Twitter (the same recordings the job tests use), so a refresh job really fetches
  its ~10 pages over HTTP.
- The receiver accepts `POST /hook`. It looks up the secret of the body's `webhook_id`
  (registered by the soak with `POST /_secret {"webhook": id, "secret": s}`), recomputes
  `Rapport-Signature`'s HMAC-SHA256 over `"<t>." + body` in constant time, refuses a stale
  `t` (5 minutes) or a bad signature with 401, which the worker retries, as it would a real
  receiver, and records the `Rapport-Delivery` id. A delivery id seen twice is a duplicate.
  `GET /_stats` returns the counts and `GET /_report` every accepted delivery as
  `[delivery id, webhook, platform, account, previous score, score, as_of]`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.connectors.twitter.replay import full_replay
from tests.jobs.replay_server import replay_server

SIGNATURE_MAX_AGE = 300
SIGNATURE_HEADER = "Rapport-Signature"
DELIVERY_HEADER = "Rapport-Delivery"


def verify(secret: str, header: str, body: bytes, now: float) -> bool:
    """Whether `header` (`t=<unix>,v1=<hex>`) signs `body` with `secret`, recently enough."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        claimed = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > SIGNATURE_MAX_AGE:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), claimed)


@dataclass
class Ledger:
    """What the receiver saw; guarded by `lock` (the server is threaded)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    secrets: dict[str, str] = field(default_factory=dict)
    accepted: dict[str, list[Any]] = field(default_factory=dict)
    duplicates: int = 0
    bad_signatures: int = 0
    posts: int = 0

    def receive(self, delivery: str, signature: str, body: bytes) -> int:
        """Record one POST; the HTTP status to answer."""
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        with self.lock:
            self.posts += 1
            secret = self.secrets.get(str(doc.get("webhook_id")))
            if secret is None or not delivery or not verify(secret, signature, body, time.time()):
                self.bad_signatures += 1
                return 401
            if delivery in self.accepted:
                self.duplicates += 1
                return 200
            self.accepted[delivery] = [
                delivery,
                doc["webhook_id"],
                doc["platform"],
                doc["account"],
                doc["previous_score"],
                doc["score"],
                doc["as_of"],
            ]
            return 200

    def stats(self) -> dict[str, int]:
        with self.lock:
            return {
                "posts": self.posts,
                "accepted": len(self.accepted),
                "duplicates": self.duplicates,
                "bad_signatures": self.bad_signatures,
            }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    #: The worker opens up to RAPPORT_WORKER_MAX_JOBS connections at once; the default
    #: backlog of 5 would make the kernel drop SYNs and the worker wait a second to retry.
    request_queue_size = 128


@contextmanager
def webhook_receiver(ledger: Ledger) -> Iterator[str]:
    """Serve the receiver on a free loopback port; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, payload: object = None) -> None:
            body = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/_secret":
                doc = json.loads(body)
                with ledger.lock:
                    ledger.secrets[doc["webhook"]] = doc["secret"]
                self._answer(204)
                return
            status = ledger.receive(
                self.headers.get(DELIVERY_HEADER, ""),
                self.headers.get(SIGNATURE_HEADER, ""),
                body,
            )
            self._answer(status)

        def do_GET(self) -> None:
            if self.path == "/_stats":
                self._answer(200, ledger.stats())
            elif self.path == "/_report":
                with ledger.lock:
                    rows = list(ledger.accepted.values())
                self._answer(200, {**ledger.stats(), "deliveries": rows})
            else:
                self._answer(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def platform_handler() -> Any:
    """The full @Twitter replay; it forgets the requests it saw (the tests keep them; a soak
    would grow without bound)."""
    replay = full_replay()

    def handle(request: httpx.Request) -> httpx.Response:
        response = replay(request)
        replay.requests.clear()
        return response

    return handle


def main() -> None:
    ledger = Ledger()
    with (
        replay_server(platform_handler()) as platform,
        webhook_receiver(ledger) as receiver,
    ):
        print(json.dumps({"platform": platform.base_url, "receiver": receiver}), flush=True)
        # Until the soak closes our stdin (or dies, which closes it too).
        sys.stdin.read()


if __name__ == "__main__":
    main()
