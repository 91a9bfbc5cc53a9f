"""Scale benchmark: the read endpoints of the HTTP benchmark (``bench/throughput.py``)
on PostgreSQL at 10,000 and at 1,000,000 requests, measured back to back per endpoint
in one run; each endpoint's large/small req/s and p99 ratios. Goal: every read at
the large size within 1.5× of its 10,000 figure (req/s at least 1/1.5 of it, p99 at
most 1.5× it).

The databases are ``seedbench_10k`` and ``seedbench_1m`` (``flask seed-bench``), reused
when they exist and hold that many requests, created and seeded otherwise — seeding a
million requests takes a long while, so it is done once per machine. Only reads are
measured: the databases are used as they are, not copied. The last line reads
``scale small=… large=… max_ratio=… goals=…``.

Environment: ``BENCH_SCALE_LARGE`` (1000000), ``BENCH_SCALE_SMALL`` (10000),
``BENCH_RESEED=1`` (seed both again), ``BENCH_SCALE_DATABASES=SMALL,LARGE`` (measure
these filled databases instead; the sizes then only label the figures),
``BENCH_SECONDS`` (10), ``BENCH_CONNECTIONS`` (16), ``BENCH_ROUNDS`` (1), ``BENCH_PG``,
``BENCH_NO_DOCS=1``, ``BENCH_ENDPOINTS=name,name`` (only these reads; the docs are then
left alone); see ``bench/throughput.py``. The searches (vendor, asset, catalogue) look
for the same words at both sizes, those picked in the small database.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent
]

from bench import harness  # noqa: E402
from bench import throughput as httpbench  # noqa: E402
from bench.harness import BenchError  # noqa: E402

GOAL = 1.5
# Endpoints whose search words are picked from the data, and the knobs that pin them.
SEARCHES = [
    ("vendor search", "BENCH_VENDOR_Q"),
    ("asset search", "BENCH_ASSET_Q"),
    ("catalogue search", "BENCH_CATALOGUE_Q"),
]


@contextlib.contextmanager
def pinned_searches(words: dict[str, str]) -> Iterator[None]:
    """The environment with these search words pinned, for the large database's picks."""
    saved = {key: os.environ.get(key) for key in words}
    os.environ.update(words)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> None:
    small_size = harness.env_int("BENCH_SCALE_SMALL", 10_000)
    large_size = harness.env_int("BENCH_SCALE_LARGE", 1_000_000)
    if large_size <= small_size:
        raise BenchError("BENCH_SCALE_LARGE must be larger than BENCH_SCALE_SMALL")
    seconds = harness.env_int("BENCH_SECONDS", 10)
    connections = harness.env_int("BENCH_CONNECTIONS", 16)
    rounds = harness.env_int("BENCH_ROUNDS", 1)
    reseed = harness.env_flag("BENCH_RESEED")
    named = os.environ.get("BENCH_SCALE_DATABASES", "")
    if named:
        small_db, _, large_db = named.partition(",")
        for name in (small_db, large_db):
            if not name or not harness.database_exists(name):
                raise BenchError(f"BENCH_SCALE_DATABASES: no database {name!r} (SMALL,LARGE)")
            harness.flask(name, "init-db")
    else:
        small_db = harness.ensure_seeded(small_size, reseed=reseed)
        large_db = harness.ensure_seeded(large_size, reseed=reseed)
    results: dict[str, dict[str, list[harness.WrkResult]]] = {}
    with httpbench.start_procure(small_db) as small, httpbench.start_procure(large_db) as large:
        small_site = httpbench.prepare(small, small_db, small_db, writes=False)
        # The same searches at both sizes: the words found in the small database.
        pinned = {
            key: urllib.parse.unquote(e.path.split("q=", 1)[1])
            for e in small_site.endpoints
            for prefix, key in SEARCHES
            if e.name.startswith(prefix)
        }
        with pinned_searches(pinned):
            large_site = httpbench.prepare(
                large, large_db, large_db, writes=False, vendor_query=pinned.get("BENCH_VENDOR_Q")
            )
        print(
            f"{len(small_site.endpoints)} reads at {small_size:,} and {large_size:,} requests, "
            f"{seconds} s each at {connections} connections, {rounds} round(s)",
            flush=True,
        )
        for _ in range(rounds):
            for mine, theirs in zip(small_site.endpoints, large_site.endpoints, strict=True):
                for label, server, endpoint in (("small", small, mine), ("large", large, theirs)):
                    result = httpbench.load(server, endpoint, seconds, connections)
                    results.setdefault(mine.name, {}).setdefault(label, []).append(result)
                    print(
                        f"  {mine.name} at {label}: {result.rps:.1f} req/s, "
                        f"p99 {result.p99_ms:.1f} ms",
                        flush=True,
                    )
    report(results, small_size, large_size, small_site, large_site, seconds, connections, rounds)


def report(results, small_size, large_size, small_site, large_site, seconds, connections, rounds):
    header = [
        "endpoint",
        f"req/s {small_size:,}",
        f"req/s {large_size:,}",
        "req/s ratio",
        f"p99 ms {small_size:,}",
        f"p99 ms {large_size:,}",
        "p99 ratio",
        "goal",
    ]
    rows, worst, met_count = [], 0.0, 0
    for name, by_size in results.items():
        small = httpbench.Figure.of(by_size["small"])
        large = httpbench.Figure.of(by_size["large"])
        slowdown = small.rps / large.rps if large.rps else float("inf")
        p99_ratio = large.p99_ms / small.p99_ms if small.p99_ms else float("inf")
        ratio = max(slowdown, p99_ratio)
        worst = max(worst, ratio)
        met = ratio <= GOAL and not large.failed
        met_count += met
        rows.append(
            [
                name,
                f"{small.rps:.1f}",
                f"{large.rps:.1f}",
                f"{slowdown:.2f}",
                f"{small.p99_ms:.1f}",
                f"{large.p99_ms:.1f}",
                f"{p99_ratio:.2f}",
                harness.yes_no(met)
                + (
                    f", {large.failed + small.failed} non-2xx"
                    if large.failed + small.failed
                    else ""
                ),
            ]
        )
    print()
    print(harness.text_table(header, rows))
    deep = [e.path for e in (small_site.endpoints + large_site.endpoints) if "deep" in e.name]
    if deep:
        print(f"  deep pages: {deep[0]} at {small_size:,}, {deep[1]} at {large_size:,}")
    for note in small_site.notes + large_site.notes:
        print(f"  note: {note}")
    print(
        f"  goal: each read at {large_size:,} within {GOAL}x of its {small_size:,} figure "
        f"(req/s ratio = small/large, p99 ratio = large/small): "
        f"{met_count}/{len(rows)} met"
    )
    if not harness.env_flag("BENCH_NO_DOCS") and deep and not os.environ.get("BENCH_ENDPOINTS"):
        body = "\n\n".join(
            [
                f"Measured {harness.today()} on `{small_site.source}` and `{large_site.source}`, "
                f"{seconds} s per endpoint and size at {connections} connections, {rounds} "
                "round(s) (medians), gunicorn -w 2 -k sync, wrk -t2. Ratios: small/large "
                "req/s and large/small p99; goal ≤ 1.5 for both.",
                harness.markdown_table(header, rows),
                f"Deep pages: `{deep[0]}` at {small_size:,}, `{deep[1]}` at {large_size:,}.",
                harness.machine(),
            ]
        )
        harness.write_section("scale", body, "Scale (`bench/scale.py`)")
    print(
        f"scale small={small_size} large={large_size} met={met_count}/{len(rows)} "
        f"max_ratio={worst:.2f} median_ratio="
        f"{statistics.median(max(float(r[3]), float(r[6])) for r in rows):.2f} "
        f"goals={'met' if met_count == len(rows) else 'not_met'}"
    )


if __name__ == "__main__":
    harness.run_main(main)
