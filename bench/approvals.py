"""Work for the HTTP benchmark's approve row: requests filed and submitted through the
API by the bench requester, each waiting for the bench approver (the department step
of the requester's own department, under the finance threshold), until the approver
has enough to decide for the whole run. Without it the row runs out of work after the
few dozen requests ``seed-bench`` leaves waiting, and measures refusals instead."""

from __future__ import annotations

import concurrent.futures
import itertools

from bench.harness import BenchError, Client

# A standard purchase well under the default policy's finance threshold (5,000): one
# department decision, the bench approver's.
_REQUEST = {
    "title": "Docking stations for the new starters",
    "justification": "Benchmark: waiting work for the approver.",
    "currency": "USD",
    "lines": [
        {
            "description": "USB-C docking station",
            "category": "peripherals",
            "quantity": "3",
            "unit_price": "189.00",
        }
    ],
}


def _file_one(requester_api: Client, number: int) -> int:
    created = requester_api.request(
        "/api/v1/requests", {**_REQUEST, "title": f"{_REQUEST['title']} ({number})"}
    )
    if created.status != 201:
        raise BenchError(f"filing a request answered {created.status}: {created.body[:200]}")
    request_id = created.json()["id"]
    submitted = requester_api.request(f"/api/v1/requests/{request_id}/submit", {})
    if submitted.status != 200:
        raise BenchError(
            f"submitting a request answered {submitted.status}: {submitted.body[:200]}"
        )
    return request_id


def top_up(requester_api: Client, pool: list[int], wanted: int, *, threads: int = 4) -> list[int]:
    """``pool`` and as many newly submitted requests as make it ``wanted`` long."""
    missing = wanted - len(pool)
    if missing <= 0:
        return pool[:wanted]
    counter = itertools.count(1)
    with concurrent.futures.ThreadPoolExecutor(threads) as workers:
        added = list(
            workers.map(lambda _: _file_one(requester_api, next(counter)), range(missing))
        )
    return pool + added
