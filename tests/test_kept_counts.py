"""The documents' counts kept per kind and status (``procure/kept_counts.py``, issue 25):
the API's lists of requests, orders, invoices and assets answer their exact ``total``
from them for whoever sees every document, instead of counting every row. They follow
the documents in the documents' own transaction — created, moved by the workflow,
rolled back with a savepoint — and ``verify-totals``, the migration's fill and
``seed-bench``'s rebuild agree with them. Runs on either database (``--db postgres``)."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import demo, kept_counts
from procure.db import MIGRATIONS_DIR
from procure.models import (
    AssetStatus,
    DocumentCount,
    InvoiceStatus,
    OrderStatus,
    RequestStatus,
)
from procure.purchasing import services as purchasing

LISTS = (
    ("/api/v1/requests", "purchase_requests", RequestStatus),
    ("/api/v1/orders", "purchase_orders", OrderStatus),
    ("/api/v1/invoices", "invoices", InvoiceStatus),
    ("/api/v1/assets", "assets", AssetStatus),
)


def counted(db, table: str, status: str | None = None) -> int:
    query = f"SELECT count(*) FROM {table}"  # noqa: S608 - the names above
    if status is not None:
        return db.session.scalar(sa.text(f"{query} WHERE status = :s"), {"s": status})
    return db.session.scalar(sa.text(query))


def total(client, path: str) -> int:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["total"]


@pytest.fixture
def demo_data(db):
    demo.seed_all()
    db.session.commit()


def test_every_list_answers_the_kept_count_of_the_demo(db, make, api, demo_data):
    """The demo's documents in every status, made through the services: the counts kept
    on the way are the documents', and each list's total (whole, and per status) is."""
    assert kept_counts.differences() == []
    kinds = {kind for kind, _status in kept_counts.kept()}
    assert kinds == {"purchase_requests", "purchase_orders", "invoices", "assets"}
    admin = api(make.user(["admin"], department="ADM"))
    for path, table, statuses in LISTS:
        assert total(admin, path) == counted(db, table) > 0
        for status in statuses:
            assert total(admin, f"{path}?status={status.value}") == counted(db, table, status)


def file(requester, title: str = "Docks"):
    return purchasing.create_request(
        purchasing.RequestData(
            title=title,
            lines=[
                purchasing.LineData(
                    description="Dock", quantity=Decimal(2), unit_price=Decimal("150.00")
                )
            ],
        ),
        actor=requester,
    )


def test_a_request_moves_between_counts_as_the_workflow_moves_it(db, make, api):
    it = make.department("IT")
    requester = make.user(["requester"], department=it.code)
    approver = make.user(["approver"], department=it.code)
    clerk = api(make.user(["finance"], department="FIN"))
    db.session.commit()

    pr = file(requester)
    db.session.commit()
    assert total(clerk, "/api/v1/requests?status=draft") == 1

    purchasing.submit(pr, actor=requester)
    db.session.commit()
    assert total(clerk, "/api/v1/requests?status=draft") == 0
    assert total(clerk, "/api/v1/requests?status=pending_approval") == 1

    purchasing.approve(pr, actor=approver)
    db.session.commit()
    assert total(clerk, "/api/v1/requests?status=pending_approval") == 0
    assert total(clerk, "/api/v1/requests?status=approved") == 1
    assert total(clerk, "/api/v1/requests") == 1
    assert kept_counts.kept() == {("purchase_requests", "approved"): 1}


def test_what_a_savepoint_rolls_back_is_not_counted(db, make):
    requester = make.user(["requester"], department="IT")
    db.session.commit()

    with db.session.begin_nested() as savepoint:
        file(requester, "Kept")
        with db.session.begin_nested() as inner:
            file(requester, "Rolled back")
            inner.rollback()
        db.session.flush()
        assert kept_counts.kept() == {("purchase_requests", "draft"): 1}
        savepoint.commit()
    db.session.commit()

    assert kept_counts.kept() == {("purchase_requests", "draft"): 1}
    stored = db.session.execute(sa.select(DocumentCount.kind, DocumentCount.documents)).all()
    assert stored == [("purchase_requests", 1)]


@pytest.mark.tampers_totals
def test_the_lists_read_the_kept_rows_and_verify_totals_names_a_wrong_one(
    db, make, api, runner, demo_data
):
    paid = counted(db, "invoices", "paid")
    all_invoices = counted(db, "invoices")
    assert runner.invoke(args=["verify-totals"]).exit_code == 0

    db.session.execute(
        sa.text(
            "UPDATE document_counts SET documents = documents + 5 "
            "WHERE kind = 'invoices' AND status = 'paid'"
        )
    )
    db.session.commit()

    # Who sees every invoice gets the kept rows' sum ...
    clerk = api(make.user(["finance"], department="FIN"))
    assert total(clerk, "/api/v1/invoices?status=paid") == paid + 5
    assert total(clerk, "/api/v1/invoices") == all_invoices + 5
    # ... a narrower list is counted, as are the lists of who sees only some.
    vendor_id = db.session.scalar(sa.text("SELECT vendor_id FROM invoices LIMIT 1"))
    assert total(clerk, f"/api/v1/invoices?vendor_id={vendor_id}") == db.session.scalar(
        sa.text("SELECT count(*) FROM invoices WHERE vendor_id = :v"), {"v": vendor_id}
    )
    assert total(api(make.user(["requester"], department="IT")), "/api/v1/invoices") == 0

    result = runner.invoke(args=["verify-totals"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"invoices paid: {paid + 5} kept, {paid} counted",
        "1 kept total differs from the documents",
    ]

    kept_counts.rebuild()  # what seed-bench does after its bulk writes
    db.session.commit()
    assert runner.invoke(args=["verify-totals"]).exit_code == 0
    assert total(clerk, "/api/v1/invoices?status=paid") == paid


def _migration_fill() -> tuple[tuple[str, ...], str]:
    path = MIGRATIONS_DIR / "versions" / "0034_document_counts.py"
    spec = importlib.util.spec_from_file_location("migration_0034", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.KINDS, module.FILL


def test_the_migration_counts_what_the_services_kept(db, demo_data):
    through_the_services = kept_counts.kept()

    kinds, fill = _migration_fill()
    db.session.execute(sa.delete(DocumentCount))
    for kind in kinds:
        db.session.execute(sa.text(fill.format(kind=kind)))

    assert kept_counts.kept() == through_the_services
    assert kept_counts.differences() == []
