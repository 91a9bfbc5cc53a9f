"""A vendor's bank details (issue 21, point 4): entered by procurement or finance,
validated (schwifty for IBANs and BICs, the ABA check digit for routing numbers), shown
masked, used only once a second person from finance confirms them, and the vendor told."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import sqlalchemy as sa

from procure.invoices import actions as invoice_actions
from procure.invoices import services as invoices
from procure.models import AuditEvent, BankStatus, Notification, VendorBankAccount
from procure.vendors.services import bank

from .documents import issued_order
from .pages import csrf_token, field_errors, flashes, text

IBAN = "DE89 3704 0044 0532 0130 00"
OTHER_IBAN = "GB29 NWBK 6016 1331 9268 19"


def _rows(db):
    return db.session.scalars(sa.select(VendorBankAccount).order_by(VendorBankAccount.id)).all()


def test_a_change_waits_for_a_second_person_and_the_vendor_is_told(make, db, api):
    vendor = make.vendor(email="accounts@vendor.example")
    buyer = make.user(["procurement"])
    clerk = make.user(["finance"])
    controller = make.user(["finance"])

    entered = api(clerk).put(f"/api/v1/vendors/{vendor.id}/bank", json={"iban": IBAN})
    assert entered.status_code == 200, entered.get_json()
    shown = entered.get_json()["bank"]
    assert shown["iban"] == "DE•••• 3000"
    assert shown["bic"] == "COBADEFFXXX"  # from the IBAN's bank code
    assert shown["status"] == "pending"
    assert bank.for_payment([vendor.id]) == {}  # nothing to pay to yet

    refused = api(clerk).post(f"/api/v1/vendors/{vendor.id}/bank/confirm")
    assert refused.status_code == 403
    assert "second person" in refused.get_json()["error"]["message"]
    assert api(buyer).post(f"/api/v1/vendors/{vendor.id}/bank/confirm").status_code == 403

    confirmed = api(controller).post(f"/api/v1/vendors/{vendor.id}/bank/confirm")
    assert confirmed.status_code == 200
    assert confirmed.get_json()["bank"]["status"] == "confirmed"
    [row] = _rows(db)
    assert (row.status, row.confirmed_by_id) == (BankStatus.CONFIRMED, controller.id)
    assert bank.for_payment([vendor.id])[vendor.id].iban == "DE89370400440532013000"

    [mail] = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "bank_details_changed")
    ).all()
    assert mail.email == "accounts@vendor.example"
    assert "DE•••• 3000" in mail.body_text and "did not ask for this change" in mail.body_text
    assert "0532013000" not in mail.body_text

    # Nothing in the audit log spells the whole number.
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "bank_account")
    ).all()
    assert [e.action for e in events] == ["create", "confirm"]
    assert all("0532013000" not in str(e.changes) for e in events)


def test_newer_details_supersede_the_confirmed_ones_only_once_confirmed(make, db, api):
    vendor = make.vendor()
    clerk, controller = make.user(["finance"]), make.user(["finance"])
    api(clerk).put(f"/api/v1/vendors/{vendor.id}/bank", json={"iban": IBAN})
    api(controller).post(f"/api/v1/vendors/{vendor.id}/bank/confirm")
    api(clerk).put(f"/api/v1/vendors/{vendor.id}/bank", json={"iban": OTHER_IBAN})
    # A second change before confirmation withdraws the first pending one.
    api(clerk).put(f"/api/v1/vendors/{vendor.id}/bank", json={"iban": OTHER_IBAN})
    assert [r.status for r in _rows(db)] == [
        BankStatus.CONFIRMED,
        BankStatus.WITHDRAWN,
        BankStatus.PENDING,
    ]
    assert bank.for_payment([vendor.id])[vendor.id].iban.startswith("DE")  # still the old
    api(controller).post(f"/api/v1/vendors/{vendor.id}/bank/confirm")
    assert [r.status for r in _rows(db)] == [
        BankStatus.SUPERSEDED,
        BankStatus.WITHDRAWN,
        BankStatus.CONFIRMED,
    ]
    assert bank.for_payment([vendor.id])[vendor.id].iban.startswith("GB")
    nothing = api(controller).post(f"/api/v1/vendors/{vendor.id}/bank/confirm")
    assert nothing.status_code == 409


def test_bad_details_are_refused_and_nothing_is_stored(make, db, api):
    vendor = make.vendor()
    clerk = make.user(["finance"])
    cases = [
        ({"iban": "DE89 3704 0044 0532 0130 01"}, "iban"),  # check digits wrong
        ({"iban": "XX00 1234"}, "iban"),
        ({}, "iban"),
        ({"iban": IBAN, "bic": "NOTABIC"}, "bic"),
        ({"account_number": "12", "routing_number": "021000021"}, "account_number"),
        ({"account_number": "123456789", "routing_number": "021000022"}, "routing_number"),
        ({"iban": IBAN, "account_number": "123456789"}, "account_number"),
    ]
    for body, field in cases:
        answer = api(clerk).put(f"/api/v1/vendors/{vendor.id}/bank", json=body)
        assert answer.status_code == 422, (body, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], (body, answer.get_json())
    assert _rows(db) == []
    requester = make.user(["requester"])
    assert (
        api(requester).put(f"/api/v1/vendors/{vendor.id}/bank", json={"iban": IBAN}).status_code
        == 403
    )
    assert _rows(db) == []


def test_a_us_account_with_its_routing_number_and_who_sees_the_details(make, db, api):
    vendor = make.vendor()
    clerk = make.user(["finance"])
    answer = api(clerk).put(
        f"/api/v1/vendors/{vendor.id}/bank",
        json={"account_number": "000123456789", "routing_number": "021000021"},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["bank"]["account_number"] == "•••• 6789"
    assert answer.get_json()["bank"]["routing_number"] == "021000021"
    requester = make.user(["requester"])
    assert api(requester).get(f"/api/v1/vendors/{vendor.id}").get_json()["bank"] is None
    listed = api(clerk).get("/api/v1/vendors").get_json()["items"]
    assert next(v for v in listed if v["id"] == vendor.id)["bank"]["status"] == "pending"


def test_the_bank_details_page_takes_a_change_and_its_confirmation(make, db, client, auth):
    vendor = make.vendor(email="accounts@vendor.example")
    clerk, controller = make.user(["finance"]), make.user(["finance"])
    auth.login(clerk.email)
    page = client.get(f"/vendors/{vendor.id}/bank-details")
    assert page.status_code == 200
    assert "None confirmed yet" in text(page)
    refused = client.post(
        f"/vendors/{vendor.id}/bank-details",
        data={"csrf_token": csrf_token(page), "iban": "DE89 3704 0044 0532 0130 01"},
    )
    assert refused.status_code == 422
    assert field_errors(refused, "iban")
    done = client.post(
        f"/vendors/{vendor.id}/bank-details",
        data={"csrf_token": csrf_token(page), "iban": IBAN},
        follow_redirects=True,
    )
    assert "wait for a second person" in " ".join(flashes(done))
    assert "DE•••• 3000" in text(done)
    assert "so a second person must confirm them" in text(done)  # not the clerk's to confirm
    auth.logout()
    auth.login(controller.email)
    page = client.get(f"/vendors/{vendor.id}/bank-details")
    confirmed = client.post(
        f"/vendors/{vendor.id}/bank-details/confirm",
        data={"csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    assert "are confirmed" in " ".join(flashes(confirmed))
    assert bank.for_payment([vendor.id])[vendor.id].confirmed_by_id == controller.id
    auth.logout()
    auth.login(make.user(["requester"]).email)
    assert client.get(f"/vendors/{vendor.id}/bank-details").status_code == 403


def test_the_vendor_page_shows_the_details_masked_to_finance_only(make, db, client, auth):
    vendor = make.vendor()
    clerk = make.user(["finance"])
    bank.change(vendor, bank.BankData(iban=IBAN), actor=clerk)
    db.session.commit()
    auth.login(clerk.email)
    shown = text(client.get(f"/vendors/{vendor.id}"))
    assert "DE•••• 3000" in shown and "Waiting for confirmation" in shown
    auth.logout()
    auth.login(make.user(["requester"]).email)
    assert "Bank details" not in text(client.get(f"/vendors/{vendor.id}"))


def test_the_payment_file_pays_to_confirmed_details_only(make, db, api):
    clerk, controller = make.user(["finance"]), make.user(["finance"])
    order = issued_order(make, title_lines=(("Support", "1", "500.00"),), category="services")
    invoice = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="PAY-1",
            invoice_date=dt.date.today(),
            lines=[invoices.LineData(order.lines[0].id, Decimal(1), Decimal("500.00"))],
        ),
        actor=clerk,
    )
    invoice_actions.submit(invoice, actor=clerk)
    invoice_actions.approve(invoice, actor=controller)
    confirmed = bank.change(order.vendor, bank.BankData(iban=OTHER_IBAN), actor=clerk)
    bank.confirm(confirmed, actor=controller)
    bank.change(order.vendor, bank.BankData(iban=IBAN), actor=clerk)  # "our account changed"
    db.session.commit()

    answer = api(controller).get("/api/v1/invoices/export.csv?status=approved")
    [row] = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert (row["vendor_iban"], row["vendor_bic"]) == ("GB29NWBK60161331926819", "NWBKGB2LXXX")
    assert "DE89" not in answer.get_data(as_text=True)
