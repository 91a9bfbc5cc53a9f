"""Dates and amounts read the same everywhere people see them — pages, flash messages,
errors, notes, e-mails: Babel's formats in the installation's locale, amounts with
their currency. The API and CSV files keep ISO dates and decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import render_template

from procure import reference
from procure.budgets import services as budgets
from procure.contracts import services as contracts
from procure.errors import ValidationError
from procure.models import Notification, Quote, RfqInvitation
from procure.money import format_date
from procure.sourcing import services as sourcing

from .report_support import Shop, fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .vendor_support import signed_in


@pytest.fixture
def shop(make, db, fast_pdf):  # noqa: F811 -- fast_pdf is a fixture
    return Shop(make, db)


def two_quotes(shop):
    """An RFQ of a 2 × 1,000.00 request quoted by Acme (× 1.1) and Globex (× 0.95)."""
    acme, globex = shop.vendor("Acme"), shop.vendor("Globex")
    pr = shop.approved("IT", [("Laptop", "2", "1000.00", "hardware")])
    rfq = sourcing.create_rfq(
        sourcing.RfqData(
            request_id=pr.id,
            vendor_ids=[acme.id, globex.id],
            due_date=dt.date.today() + dt.timedelta(days=30),
        ),
        actor=shop.buyer,
    )
    sourcing.send(rfq, actor=shop.buyer)
    quotes = {
        vendor.name: shop.quote(rfq, vendor, factor)
        for vendor, factor in ((acme, "1.1"), (globex, "0.95"))
    }
    shop.db.session.commit()
    return rfq, quotes


def test_an_award_refused_for_its_total_names_the_amount_with_its_currency(shop):
    rfq, quotes = two_quotes(shop)
    with pytest.raises(ValidationError) as refused:
        sourcing.award(rfq, quotes["Acme"].id, actor=shop.buyer, justification="")
    assert refused.value.fields["justification"] == [
        "This is not the lowest total (Globex quotes $1,900.00); say why this quote is "
        "the better choice."
    ]


def test_an_expired_quote_says_when_in_the_pages_date_format(shop):
    rfq, quotes = two_quotes(shop)
    expired = dt.date.today() - dt.timedelta(days=3)
    shop.set(Quote, quotes["Globex"].id, valid_until=expired)
    ranking = {r.candidate.quote_id: r.candidate for r in sourcing.compare(rfq).ranking}
    assert ranking[quotes["Globex"].id].why_not == f"expired on {format_date(expired)}"
    assert expired.isoformat() not in ranking[quotes["Globex"].id].why_not


def test_a_flash_gives_an_amount_with_its_currency(app, shop, db):
    budget = budgets.create(
        budgets.BudgetData(
            department="IT", fiscal_year=reference.current_fiscal_year(), amount=Decimal("1000")
        ),
        actor=None,
    )
    db.session.commit()
    client = signed_in(app, shop.finance)
    page = client.post(
        f"/budgets/{budget.id}/amount",
        data={"amount": "12345.5", "version": str(budget.version)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The budget of IT is now $12,345.50." in page


def test_a_flash_gives_dates_as_the_pages_do(app, make):
    approver = make.user(["approver"], department="IT", name="Anna Away")
    deputy = make.user(["approver"], department="IT", name="Dan Deputy")
    starts = dt.date.today() + dt.timedelta(days=1)
    ends = starts + dt.timedelta(days=13)
    client = signed_in(app, approver)
    page = client.post(
        "/profile/delegations",
        data={
            "delegate": str(deputy.id),
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert (
        f"Dan Deputy decides your steps from {format_date(starts)} to {format_date(ends)}."
    ) in page


def test_an_error_gives_a_date_as_the_pages_do(make):
    buyer = make.user(["procurement"], department="PROC")
    today = dt.date.today()
    contract = contracts.create(
        contracts.ContractData(
            vendor_id=make.vendor("Fabrikam").id,
            title="Core switch support",
            kind="support",
            start_date=today - dt.timedelta(days=300),
            end_date=today + dt.timedelta(days=65),
            value=Decimal("12000.00"),
            renewal_term_months=12,
        ),
        actor=buyer,
    )
    contracts.activate(contract, actor=buyer)
    with pytest.raises(ValidationError) as refused:
        contracts.renew(contract, actor=buyer, end_date=contract.end_date)
    assert refused.value.fields["end_date"] == [
        f"The new term must end after the current one ({format_date(contract.end_date)})."
    ]


def test_the_vendors_thank_you_page_gives_dates_and_the_amount_as_the_pages_do(app, shop):
    rfq, quotes = two_quotes(shop)
    quote = quotes["Globex"]
    with app.test_request_context():
        page = render_template("sourcing/vendor_thanks.html", quote=quote, rfq=rfq)
    assert (
        f"Globex quotes $1,900.00 for {rfq.number}, valid until {format_date(quote.valid_until)}."
    ) in page
    assert f"The buyer compares the quotes after {format_date(rfq.due_date)}." in page
    assert rfq.due_date.isoformat() not in page


def test_an_expired_quote_link_gives_the_due_date_as_the_pages_do(app, shop, db):
    rfq, _quotes = two_quotes(shop)
    invitation = db.session.scalars(
        sa.select(RfqInvitation).where(RfqInvitation.rfq_id == rfq.id)
    ).first()
    invitation.token_hash = sourcing.hash_token("an-expired-link")
    invitation.token_used_at = None
    invitation.token_expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    page = app.test_client().get("/quote/an-expired-link")
    assert page.status_code == 410
    assert (
        f"This link has expired: quotes were due by {format_date(rfq.due_date)}."
    ) in page.get_data(as_text=True)


def test_the_vendors_invitation_gives_the_due_date_as_the_pages_do(make, shop, db):
    vendor = make.vendor("Acme", categories=("hardware",), email="sales@acme.example")
    pr = shop.approved("IT", [("Laptop", "2", "1000.00", "hardware")])
    due = dt.date.today() + dt.timedelta(days=30)
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=due),
        actor=shop.buyer,
    )
    sourcing.send(rfq, actor=shop.buyer)
    db.session.commit()
    invitation = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "rfq_invitation")
    ).one()
    assert invitation.subject.endswith(f", due {format_date(due)}")
    assert f"by {format_date(due)}:" in invitation.body_text
    assert due.isoformat() not in invitation.body_text
