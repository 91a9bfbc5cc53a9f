"""gunicorn's settings for Procure (procure-web.service runs ``gunicorn -c`` with it).

Options given on gunicorn's command line win over these, so the tests start it with
``-c deploy/gunicorn.conf.py -w 1 -b 127.0.0.1:<port>``.
"""

import os

from prometheus_client import multiprocess

bind = "127.0.0.1:8000"
workers = 4
worker_class = "sync"
graceful_timeout = 30


def child_exit(server, worker):  # noqa: ARG001 -- gunicorn's hook signature
    """A worker that ended leaves its live gauges (pool use) in the shared folder; drop
    them, or ``/metrics`` would go on adding a dead process's connections."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
