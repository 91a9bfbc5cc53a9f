"""The invoice matching settings: admin sets the tolerance and the two-way categories on
/admin/invoices or through the API; matching follows them; bad values change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from procure.invoices import actions, tolerances
from procure.invoices import services as invoices
from procure.models import AuditEvent, InvoiceStatus
from tests.documents import issued_order

from .pages import csrf_token, field_errors, flashes


def test_admin_sets_the_tolerance_on_the_page_and_it_is_audited(make, db, client, auth):
    admin = make.user(["admin"])
    auth.login(admin.email)
    page = client.get("/admin/invoices")
    assert page.status_code == 200
    assert b"Price tolerance, percent" in page.data
    response = client.post(
        "/admin/invoices",
        data={
            "csrf_token": csrf_token(page),
            "percent": "6",
            "amount": "100.00",
            "two_way_categories": ["services", "licence"],
        },
        follow_redirects=True,
    )
    assert "The matching settings are saved" in " ".join(flashes(response))
    saved = tolerances.current()
    assert (saved.percent, saved.amount, saved.two_way_categories) == (
        Decimal("6"),
        Decimal("100.00"),
        ["licence", "services"],
    )
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "settings").order_by(AuditEvent.id)
    ).all()
    assert any("invoices.price_tolerance_percent" in (e.changes or {}) for e in events)


def test_bad_values_are_refused_beside_their_fields(make, db, client, auth):
    auth.login(make.user(["admin"]).email)
    page = client.get("/admin/invoices")
    response = client.post(
        "/admin/invoices",
        data={
            "csrf_token": csrf_token(page),
            "percent": "120",
            "amount": "five",
            "two_way_categories": ["services", "nonsense"],
        },
    )
    assert response.status_code == 422
    assert field_errors(response, "percent") == ["A tolerance is at most 100 %."]
    assert field_errors(response, "amount") == ["Give a number, such as 2 or 2.5."]
    assert field_errors(response, "two_way_categories")
    assert tolerances.current().percent == Decimal("2")


def test_only_admin_sets_them_and_the_api_reads_and_writes_them(make, db, api):
    buyer = make.user(["procurement"])
    assert api(buyer).get("/api/v1/settings/invoices").get_json() == {
        "price_tolerance_percent": "2",
        "price_tolerance_amount": "5.00",
        "two_way_categories": [
            "software",
            "licence",
            "cloud",
            "services",
            "maintenance",
            "telecom",
        ],
    }
    body = {
        "price_tolerance_percent": "10",
        "price_tolerance_amount": "200.00",
        "two_way_categories": ["services"],
    }
    assert api(buyer).put("/api/v1/settings/invoices", json=body).status_code == 403
    admin = make.user(["admin"])
    answered = api(admin).put("/api/v1/settings/invoices", json=body)
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["price_tolerance_percent"] == "10"
    refused = api(admin).put(
        "/api/v1/settings/invoices", json={**body, "price_tolerance_amount": "-1"}
    )
    assert refused.status_code == 422
    assert "price_tolerance_amount" in refused.get_json()["error"]["fields"] or (
        "amount" in refused.get_json()["error"]["fields"]
    )


def test_a_wider_tolerance_lets_a_five_percent_price_match(make, db):
    tolerances.update("10", "200.00", ["services"], actor=None)
    buyer = make.user(["procurement"], department="PROC")
    clerk = make.user(["finance"], department="FIN")
    order = issued_order(make, buyer=buyer, title_lines=(("Laptop", "1", "1000.00"),))
    invoice = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="W-1",
            invoice_date=dt.date.today(),
            lines=[invoices.LineData(order.lines[0].id, Decimal(1), Decimal("1050.00"))],
        ),
        actor=clerk,
    )
    actions.submit(invoice, actor=clerk)
    # Nothing received (hardware is three-way): only the quantity holds it, not the price.
    assert invoice.status == InvoiceStatus.ON_HOLD
    assert [e.kind.value for e in invoice.open_exceptions] == ["quantity"]
