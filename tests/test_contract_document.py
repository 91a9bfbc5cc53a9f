"""The contract PDF: the fees schedule, the renewal clause in words, hostile text."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest

from procure import organisation
from procure.contracts import document, services
from procure.errors import ValidationError
from procure.models import BillingPeriod

from .network import loopback_trap

D = dt.date
TODAY = dt.date.today()


def test_quarterly_fees_for_a_yearly_value():
    schedule = document.fees_schedule(
        Decimal("12000"), BillingPeriod.QUARTERLY, D(2026, 1, 1), D(2026, 12, 31)
    )
    assert [(i.number, i.due, i.amount) for i in schedule] == [
        (1, D(2026, 1, 1), Decimal("3000.00")),
        (2, D(2026, 4, 1), Decimal("3000.00")),
        (3, D(2026, 7, 1), Decimal("3000.00")),
        (4, D(2026, 10, 1), Decimal("3000.00")),
    ]


def test_monthly_yearly_and_one_time():
    monthly = document.fees_schedule(Decimal("12000"), "monthly", D(2026, 1, 31), D(2027, 1, 30))
    assert len(monthly) == 12 and {i.amount for i in monthly} == {Decimal("1000.00")}
    assert monthly[1].due == D(2026, 2, 28)  # clamped to the month's last day
    assert all(D(2026, 1, 31) <= i.due <= D(2027, 1, 30) for i in monthly)
    yearly = document.fees_schedule(Decimal("500"), "yearly", D(2026, 3, 1), D(2027, 2, 28))
    assert [(i.due, i.amount) for i in yearly] == [(D(2026, 3, 1), Decimal("500.00"))]
    once = document.fees_schedule(Decimal("99.99"), "one_time", D(2026, 3, 1), D(2028, 2, 28))
    assert [(i.due, i.amount) for i in once] == [(D(2026, 3, 1), Decimal("99.99"))]


def test_the_remainder_goes_on_the_last_instalment():
    schedule = document.fees_schedule(Decimal("100"), "quarterly", D(2026, 1, 1), D(2026, 12, 31))
    assert [i.amount for i in schedule] == [Decimal("25.00")] * 4
    odd = document.fees_schedule(Decimal("100"), "monthly", D(2026, 1, 1), D(2026, 3, 31))
    assert [i.amount for i in odd] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(i.amount for i in odd) == Decimal("100.00")


@pytest.fixture
def buyer(make):
    return make.user(["procurement"], department="PROC")


def make_contract(make, buyer, db, **extra):
    vendor = make.vendor("Fabrikam Networks")
    vendor.address = "12 Harbour Road\nPort Town"
    values = {
        "vendor_id": vendor.id,
        "title": "Core switch support",
        "kind": "support",
        "start_date": D(2026, 3, 15),
        "end_date": D(2027, 3, 14),
        "value": Decimal("12000.00"),
        "billing_period": "quarterly",
        "auto_renew": True,
        "notice_days": 30,
        "renewal_term_months": 12,
        "sla_response_hours": 4,
        "sla_resolution_hours": 24,
        "covered_items": ["Core switch SW-01", "Core switch SW-02"],
        "terms": "Next business day parts replacement.",
    }
    values.update(extra)
    contract = services.create(services.ContractData(**values), actor=buyer)
    db.session.commit()
    return contract


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_clause_in_words(app, make, buyer, db):
    contract = make_contract(make, buyer, db)
    with app.test_request_context():
        assert document.renewal_clause(contract) == (
            "This contract renews automatically on March 14, 2027 for 12 months unless "
            "notice is given 30 days before the end date, i.e. by February 12, 2027."
        )
        contract.auto_renew = False
        assert document.renewal_clause(contract) == (
            "This contract ends on March 14, 2027 and does not renew automatically."
        )


def test_the_pdf_reads_as_an_agreement(app, make, buyer, db, tmp_path):
    contract = make_contract(make, buyer, db)
    with app.test_request_context():
        data, filename = document.render(contract)
    if (out := os.environ.get("PROCURE_CONTRACT_PDF")) is not None:
        Path(out).write_bytes(data)
    assert filename == f"{contract.number}.pdf"
    text = " ".join(pdf_text(data).split())
    for expected in (
        app.config["PROCURE_ORGANISATION"],
        "Fabrikam Networks",
        "12 Harbour Road",
        contract.number,
        "Support agreement",
        "Core switch support",
        "by February 12, 2027",
        "1 of 4",
        "4 of 4",
        "$3,000.00",
        "December 15, 2026",
        "4 hours",
        "24 hours",
        "Core switch SW-02",
        "Next business day parts replacement.",
        "Name, title, date, signature",
        "Page 1 of",
    ):
        assert expected in text, expected


def test_hostile_text_is_printed_never_fetched(app, make, buyer, db):
    with loopback_trap(timeout=0.3) as (port, hits):
        hostile = f'<img src="http://127.0.0.1:{port}/x.png"><img src="file:///etc/passwd">'
        contract = make_contract(
            make,
            buyer,
            db,
            title=f'<b>Bold</b><link rel="stylesheet" href="http://127.0.0.1:{port}/a.css">'[:200],
            terms=hostile,
            covered_items=[hostile],
        )
        with app.test_request_context():
            data, _ = document.render(contract)
    assert hits == []
    assert b"root:x:0:0" not in data
    text = " ".join(pdf_text(data).split())
    assert "<b>Bold</b>" in text
    assert "file:///etc/passwd" in text


CLAUSE_HEADINGS = (
    "Covered items",
    "Term and renewal",
    "Service hours",
    "Service levels",
    "Fees schedule",
    "Invoicing and payment",
    "Price change on renewal",
    "Notices",
    "Termination for cause",
    "Liability",
    "Confidentiality",
    "Governing law",
)
ORGANISATION = {
    "name": "Lakeview County Public Schools",
    "address": "2400 Harbor Boulevard\nLakeview, OR 97630",
    "phone": "+1 541 555 0142",
    "email": "procurement@lakeview.example",
    "tax_id": "EIN 93-1234567",
    "bill_to": "Accounts Payable\nPO Box 1180\nLakeview, OR 97630",
    "terms": "Our general terms: goods are accepted once inspected.",
}


def test_the_agreement_has_the_clauses_of_a_real_one_numbered(app, make, buyer, db):
    contract = make_contract(make, buyer, db)
    with app.test_request_context():
        text = " ".join(pdf_text(document.render(contract)[0]).split())
    for number, heading in enumerate(CLAUSE_HEADINGS, start=1):
        assert f"{number}. {heading}" in text, heading
    # The clauses' default texts, and the facts the agreement adds to them.
    assert "from 08:00 to 18:00, Monday to Friday" in text
    assert "To the Customer" in text and "To the Supplier" in text
    assert "Invoices quote " + contract.number in text
    assert "Special terms Next business day parts replacement." in text


def test_the_agreement_prints_the_clauses_as_admin_edited_them(app, make, buyer, db):
    admin = make.user(["admin"])
    clauses = {clause.key: clause.text for clause in organisation.agreement_clauses()}
    clauses["governing_law"] = "This agreement is governed by the laws of the State of Oregon."
    clauses["liability"] = "Liability is capped at twice the yearly fees."
    organisation.update_agreement_clauses(clauses, actor=admin)
    contract = make_contract(make, buyer, db)
    with app.test_request_context():
        text = " ".join(pdf_text(document.render(contract)[0]).split())
    assert "Governing law This agreement is governed by the laws of the State of Oregon." in text
    assert "Liability Liability is capped at twice the yearly fees." in text
    assert "whose courts alone decide" not in text  # the default governing law, replaced


def test_the_agreement_shows_the_organisation_as_admin_set_it(app, make, buyer, db):
    organisation.update(ORGANISATION, actor=None)
    contract = make_contract(make, buyer, db)
    with app.test_request_context():
        data, _ = document.render(contract)
    text = " ".join(pdf_text(data).split())
    for expected in (
        "Lakeview County Public Schools",
        "2400 Harbor Boulevard Lakeview, OR 97630",
        "Phone: +1 541 555 0142",
        "E-mail: procurement@lakeview.example",
        "Tax id: EIN 93-1234567",
        "Invoice to Lakeview County Public Schools Accounts Payable PO Box 1180",
        "General terms of purchase",
        ORGANISATION["terms"],
        "Signed for Lakeview County Public Schools",
    ):
        assert expected in text, expected
    assert app.config["PROCURE_ORGANISATION"] not in text


@pytest.mark.parametrize("activate", [False, True], ids=["draft", "active, unsigned"])
def test_an_unsigned_agreement_claims_no_status(app, make, buyer, db, activate):
    contract = make_contract(make, buyer, db)
    if activate:
        services.activate(contract, actor=buyer)
        db.session.commit()
    with app.test_request_context():
        text = " ".join(pdf_text(document.render(contract)[0]).split())
    assert "Status" not in text
    assert "Active" not in text
    if activate:
        assert "For signature by both parties" in text and "DRAFT" not in text
    else:
        assert "Draft for review — not for signature" in text and "DRAFT" in text


def test_a_clause_left_empty_is_refused_beside_it_and_changes_nothing(app, make):
    admin = make.user(["admin"])
    before = organisation.agreement_clauses()
    clauses = {clause.key: clause.text for clause in before}
    with pytest.raises(ValidationError) as refused:
        organisation.update_agreement_clauses(
            {**clauses, "notices": "  ", "liability": "x" * 5_001}, actor=admin
        )
    assert refused.value.fields == {
        "notices": ["Give the text of the “Notices” clause."],
        "liability": ["Use at most 5,000 characters."],
    }
    assert organisation.agreement_clauses() == before
