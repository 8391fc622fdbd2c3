"""Background work: refresh accounts through their connectors, ingest uploaded archives,
recompute scores that decay has moved, deliver webhooks.

The API and the CLI reach the queue only through `rapport.jobs.queue.JobQueue` (enqueue, status,
dead letters); `rapport.jobs.arq_queue` is the one module that knows arq, so replacing arq (it is
in maintenance mode) touches that module and `rapport.jobs.worker`. Jobs are serialised with
msgpack (`rapport.jobs.serialization`), never pickle.

Modules, one concept each: `queue` (the seam and its records), `serialization`, `arq_queue`,
`context` (what a running job may use), `runner` (tries, back-off, timeouts, dead letters,
outcome counts), `refresh`, `archive`, `rescore`, `delivery` (the jobs), `scoring` (the
recompute-and-notify step they share), `paths` (data and upload directories), `worker` (arq
worker settings built from `Settings`).
"""
