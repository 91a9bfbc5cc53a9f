"""The buying organisation's details: admin sets them, everyone reads them, the
change is audited, and bad input changes nothing."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from procure import demo, organisation, settings
from procure.models import AuditEvent

from .factories import PASSWORD
from .pages import csrf_token, field_errors, flashes, text

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
        sa.select(AuditEvent).where(AuditEvent.entity == "settings").order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_id == admin.id
    assert json.loads(event.changes)["organisation"][1]["name"] == DETAILS["name"]

    # The audit API names the entity as API.md does.
    listed = api(admin).get("/api/v1/audit?entity=settings").get_json()["items"]
    assert [item["id"] for item in listed][-1] == event.id
    assert {item["entity"] for item in listed} == {"settings"}


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


# The admin page --------------------------------------------------------------------------


@pytest.fixture
def admin(client, make):
    user = make.user(["admin"])
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    return user


def _setting_events(db) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == "settings").order_by(AuditEvent.id)
        )
    )


def test_admin_edits_the_details_on_a_page_and_the_change_is_audited(client, admin, db):
    page = client.get("/admin/organisation")
    assert page.status_code == 200
    assert "Organisation and agreements" in text(page)
    assert "Organisation and agreements" in text(client.get("/admin/"))  # linked

    response = client.post("/admin/organisation", data=DETAILS, follow_redirects=True)
    assert response.status_code == 200
    assert flashes(response) == ["The organisation's details are saved: new documents show them."]
    assert organisation.current().as_dict() == {**DETAILS, "email": "Buying@northwind.example"}
    shown = client.get("/admin/organisation").get_data(as_text=True)
    assert "Portsmouth PO1 3AX</textarea>" in shown and 'value="GB 123 4567 89"' in shown
    event = _setting_events(db)[-1]
    assert event.actor_id == admin.id
    assert json.loads(event.changes)["organisation"][1]["tax_id"] == DETAILS["tax_id"]


def test_bad_details_on_the_page_are_shown_beside_their_fields_and_change_nothing(
    client, admin, db
):
    before = organisation.current()
    events = len(_setting_events(db))
    response = client.post(
        "/admin/organisation", data={**DETAILS, "name": "", "email": "not-an-address"}
    )
    assert response.status_code == 422
    assert field_errors(response, "name") == ["Give the organisation's name."]
    assert field_errors(response, "email")[0].startswith("This is not a valid e-mail address")
    assert "Portsmouth PO1 3AX" in text(response)  # what was typed is kept
    assert organisation.current() == before
    assert len(_setting_events(db)) == events


def test_admin_edits_the_agreement_clauses_on_the_page(client, admin, db):
    clauses = dict(settings.DEFAULTS[organisation.AGREEMENT_SETTING])
    clauses["governing_law"] = "The laws of the State of Oregon govern this agreement."
    response = client.post("/admin/organisation/agreement", data=clauses)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/organisation#agreement")
    texts = {clause.key: clause.text for clause in organisation.agreement_clauses()}
    assert texts["governing_law"] == "The laws of the State of Oregon govern this agreement."
    assert "The laws of the State of Oregon" in text(client.get("/admin/organisation"))
    assert _setting_events(db)[-1].actor_id == admin.id

    refused = client.post("/admin/organisation/agreement", data={**clauses, "liability": " "})
    assert refused.status_code == 422
    assert field_errors(refused, "liability") == ["Give the text of the “Liability” clause."]
    assert organisation.agreement_clauses()[5].text == clauses["liability"]


def test_only_admin_opens_the_page(client, make):
    user = make.user(["procurement"])
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/admin/organisation").status_code == 403
    assert client.post("/admin/organisation", data=DETAILS).status_code == 403
    assert organisation.current().name != DETAILS["name"]


def test_the_forms_need_their_csrf_token(client, admin, csrf):
    page = client.get("/admin/organisation")
    forms = re.findall(
        r'<form method="post" action="/admin/organisation[^"]*".*?</form>',
        page.get_data(as_text=True),
        re.S,
    )
    assert len(forms) == 2 and all('name="csrf_token"' in form for form in forms)
    assert client.post("/admin/organisation", data=DETAILS).status_code == 400
    assert organisation.current().name != DETAILS["name"]
    response = client.post("/admin/organisation", data={**DETAILS, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    shown = client.get("/admin/organisation").get_data(as_text=True)
    assert f'value="{DETAILS["name"]}"' in shown


def test_a_hostile_name_is_text_on_the_page(client, admin):
    client.post("/admin/organisation", data={**DETAILS, "name": "<script>alert(1)</script>"})
    body = client.get("/admin/organisation").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_demo_sets_a_believable_organisation_once(app, make):
    demo.seed_organisation()
    seeded = organisation.current()
    assert seeded.name == demo.ORGANISATION["name"] != app.config["PROCURE_ORGANISATION"]
    assert seeded.phone and seeded.tax_id and seeded.bill_to and seeded.terms
    law = {clause.key: clause.text for clause in organisation.agreement_clauses()}
    assert law["governing_law"] == demo.AGREEMENT_CLAUSES["governing_law"]

    organisation.update(DETAILS, actor=make.user(["admin"]))
    demo.seed_organisation()  # seeding again keeps what admin set
    assert organisation.current().name == DETAILS["name"]
