"""The benchmarks still run: each bench program is imported, and the in-process ones run
their whole ``main`` once at the smallest size, on SQLite in their own temporary folder
(whatever ``--db`` says), without writing docs/performance.md (``BENCH_NO_DOCS``).

Benchmarks call the services the way the pages do; when a service moves or changes
its signature, the suite fails here instead of the next ``make bench``. No figure is
checked: speed is measured by the benchmarks themselves, never by a test.

Not run here: Tryton's side of the workflow benchmark (bench/tryton_worker.py) needs
its own venv (``make .venv-tryton/.installed``) and a ``trytond-admin`` run of half a
minute; ``make bench`` runs it. The HTTP, scale, memory, reports and audit benchmarks
need gunicorn, wrk or a seeded PostgreSQL database: they are imported only, which
catches what they import at the top.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
PROGRAMS = sorted(
    path.stem
    for path in BENCH.glob("*.py")
    if path.stem != "__init__" and path.stem != "tryton_worker"
)


@pytest.fixture
def no_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_NO_DOCS", "1")


@pytest.mark.parametrize("name", PROGRAMS)
def test_bench_program_imports(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert module.__name__ == f"bench.{name}"


def test_workflow_benchmark_runs_procure_and_the_bare_sketch(
    no_docs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    workflow = importlib.import_module("bench.workflow")
    monkeypatch.setattr(workflow, "REQUESTS", 1)
    monkeypatch.setattr(workflow, "BATCH", 1)
    monkeypatch.setattr(workflow, "TRYTON_PYTHON", tmp_path / "no-tryton-venv" / "python")
    workflow.main()  # raises SystemExit if a request does not end approved
    out = capsys.readouterr().out
    assert "Tryton: not measured" in out
    assert re.search(
        r"^workflow procure_ms=[\d.]+ bare_ms=[\d.]+ ratio=[\d.]+$", out, re.MULTILINE
    ), out


def test_workflow_benchmark_sketch_counts_its_statements(tmp_path: Path) -> None:
    workflow = importlib.import_module("bench.workflow")
    bare = workflow.BareRun(str(tmp_path))
    bare.one()
    assert workflow.statements_per_request(bare.engine, bare) == 31


def test_pdf_benchmark_builds_its_order_and_renders_it(
    no_docs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    pdf_bench = importlib.import_module("bench.pdf")
    monkeypatch.setattr(pdf_bench, "RUNS", 1)
    pdf_bench.main()
    out = capsys.readouterr().out
    assert re.search(r"^pdf procure_ms=[\d.]+ bare_ms=[\d.]+ ratio=[\d.]+$", out, re.MULTILINE), (
        out
    )


@pytest.mark.parametrize(
    ("tryton_ms", "tryton_cells"),
    [
        (190.0, "| 190.00 ms | 60 / 31 / 126 | 6.667 | ≤ 1.6: NOT met | 2.1 | ≥ 15: NOT met |"),
        (None, "| not measured | 60 / 31 | 6.667 | ≤ 1.6: NOT met | — | ≥ 15: not measured |"),
    ],
)
def test_workflow_benchmark_writes_both_goals_into_its_table(
    monkeypatch: pytest.MonkeyPatch, tryton_ms: float | None, tryton_cells: str
) -> None:
    workflow = importlib.import_module("bench.workflow")
    written = {}
    monkeypatch.setattr(workflow.harness, "machine", lambda: "Machine: the test's.")
    monkeypatch.setattr(
        workflow.harness, "write_section", lambda name, body, _title: written.update({name: body})
    )
    statements = {"procure": 60, "bare": 31}
    versions = {}
    if tryton_ms is not None:
        statements["tryton"] = 126
        versions = {"trytond": "8.2.1", "purchase_requisition": "8.2.0"}
    workflow.write_docs(300, 90.0, 13.5, tryton_ms, statements, versions)
    header, _rule, row = written["workflow"].splitlines()[:3]
    assert "| Tryton |" in header and "| Tryton/Procure | goal |" in header
    assert row.endswith(f"| 90.00 ms | 13.50 ms {tryton_cells}"), row
    assert ("trytond 8.2.1" in written["workflow"]) == (tryton_ms is not None)
