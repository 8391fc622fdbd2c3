"""Whether this API process is draining: it got SIGTERM and serves on for
`RAPPORT_API_DRAIN_SECONDS` while Kubernetes removes the pod from its Services and Ingresses.

A process-wide flag because the signal arrives at the server (rapport.api.server), outside any
app, and `/readyz` (rapport.api.health) reads it: a draining process reports not-ready so that
anything still routing by readiness stops sending it requests.
"""

from __future__ import annotations

import threading

__all__ = ["DRAINING"]

DRAINING = threading.Event()
