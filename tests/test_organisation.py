"""The buying organisation's details: admin sets them, everyone reads them, the
change is audited, and bad input changes nothing."""

from __future__ import annotations

import json

import sqlalchemy as sa

from procure import organisation
from procure.models import AuditEvent

DETAILS = {
    "name": "Northwind Traders Ltd",
    "address": "12 Harbour Road\nPortsmouth PO1 3AX",
    "phone": "+44 23 9200 1234",
    "email": "Buying@Northwind.example",
    "tax_id": "GB 123 4567 89",
    "bill_to": "Accounts payable\nPO Box 77\nPortsmouth PO1 9ZZ",
    "terms": "Deliveries are accepted Monday to Friday, 9:00 to 16:00.",
}


def test_until_admin_sets_them_the_configured_name_and_address_stand_in(app, api, make):
    body = api(make.user(["requester"])).get("/api/v1/settings/organisation").get_json()
    assert body["name"] == app.config["PROCURE_ORGANISATION"]
    assert body["address"] == app.config["PROCURE_ORGANISATION_ADDRESS"]
    assert body["phone"] == body["email"] == body["tax_id"] == body["terms"] == ""


def test_admin_sets_the_details_and_everyone_reads_them(api, make, db):
    admin = make.user(["admin"])
    response = api(admin).put("/api/v1/settings/organisation", json=DETAILS)
    assert response.status_code == 200
    assert response.get_json()["email"] == "Buying@northwind.example"

    read = api(make.user(["requester"])).get("/api/v1/settings/organisation").get_json()
    assert read == {**DETAILS, "email": "Buying@northwind.example"}
    assert organisation.current().invoice_address.startswith("Accounts payable")

    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "setting").order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_id == admin.id
    assert json.loads(event.changes)["organisation"][1]["name"] == DETAILS["name"]


def test_only_admin_sets_them(api, make):
    response = api(make.user(["finance"])).put("/api/v1/settings/organisation", json=DETAILS)
    assert response.status_code == 403
    assert organisation.current().name != DETAILS["name"]


def test_bad_details_are_refused_by_field_and_change_nothing(api, make):
    admin = make.user(["admin"])
    response = api(admin).put(
        "/api/v1/settings/organisation", json={**DETAILS, "name": "  ", "email": "not-an-address"}
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["name"] == ["Give the organisation's name."]
    assert fields["email"][0].startswith("This is not a valid e-mail address")
    assert organisation.current().name != DETAILS["name"]


def test_the_invoice_address_is_the_address_without_a_bill_to(app):
    org = organisation.Organisation(name="X", address="1 Road")
    assert org.invoice_address == "1 Road"
