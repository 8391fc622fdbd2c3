"""uvicorn, stopped the way a rollout needs: on SIGTERM, serve on for a drain period, then
stop listening and let requests in flight finish.

Why: Kubernetes sends SIGTERM at the same time as it starts removing the pod from its Services'
endpoints and the Ingress controllers' upstreams; for a few seconds they still route new
connections to it. uvicorn alone closes its listening socket at once, so those connections were
refused (issue 18: requests dropped on every rollout and scale-down). The image has no shell for
a `preStop: sleep`, and the kubelet's own `sleep` hook needs Kubernetes 1.30, so the wait is
done here, for `RAPPORT_API_DRAIN_SECONDS` (the chart's `api.drainSeconds`); `/readyz` answers
503 meanwhile. Then uvicorn's graceful shutdown runs, bounded by `RAPPORT_API_SHUTDOWN_SECONDS`.
SIGINT (Ctrl-C at a terminal) skips the drain.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from rapport.api.draining import DRAINING

__all__ = ["serve"]

log = logging.getLogger("rapport.api")


def _after_drain(seconds: float, then: Callable[[], None]) -> None:
    """Mark the process draining and call `then` (the shutdown) once `seconds` have passed."""
    DRAINING.set()
    log.info("SIGTERM: serving on for %.1fs while the pod leaves its Services", seconds)
    timer = threading.Timer(seconds, then)
    timer.daemon = True
    timer.start()


class DrainingServer(uvicorn.Server):
    """One server process: SIGTERM starts the drain, the drain's end starts the shutdown."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self._draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM or self.drain_seconds <= 0 or self.should_exit:
            super().handle_exit(sig, frame)
        elif not self._draining:  # a second SIGTERM changes nothing: the drain runs
            self._draining = True
            _after_drain(
                self.drain_seconds, lambda: super(DrainingServer, self).handle_exit(sig, frame)
            )


class DrainingMultiprocess(Multiprocess):
    """Several server processes: the supervisor waits out the drain before stopping them."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], drain_seconds: float
    ) -> None:
        super().__init__(config, sockets=sockets)
        self.drain_seconds = drain_seconds
        self._draining = False

    def handle_term(self) -> None:
        if self.drain_seconds <= 0:
            super().handle_term()
        elif not self._draining:
            self._draining = True
            _after_drain(self.drain_seconds, super().handle_term)


def serve(config: uvicorn.Config, *, drain_seconds: float) -> bool:
    """Run `config` until stopped; False when the server never started (what `uvicorn.run`
    turns into exit code 3)."""
    if config.workers > 1:
        DrainingMultiprocess(config, [config.bind_socket()], drain_seconds).run()
        return True
    server = DrainingServer(config, drain_seconds)
    server.run()
    return server.started
