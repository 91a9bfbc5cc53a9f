"""Request types, their fields, the policy's conditions on them, the security step and
steps skipped for requests of catalogue items (issue 23, point 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure.admin import policy as admin_policy
from procure.errors import ValidationError
from procure.models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    AuditEvent,
    Notification,
    PolicyRule,
    PurchaseRequest,
    RequestType,
    Role,
)

SAAS_FIELDS = [
    {
        "name": "personal_data",
        "label": "Handles personal data",
        "kind": "yes_no",
        "required": True,
    },
    {"name": "users", "label": "Users", "kind": "number"},
    {"name": "integrates_with", "label": "Integrates with", "kind": "text"},
    {"name": "hosting", "label": "Hosting", "kind": "choice", "choices": ["EU", "US"]},
]


def line(price="100.00", quantity="1", **extra):
    return {"description": "Licence", "quantity": quantity, "unit_price": price, **extra}


@pytest.fixture
def people(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "security": make.user(["security"], department="SEC"),
        "finance": make.user(["finance"], department="FIN"),
        "procurement": make.user(["procurement"], department="PROC"),
        "admin": make.user(["admin"], department="IT"),
    }


@pytest.fixture
def saas(api, people, db):
    response = api(people["admin"]).post(
        "/api/v1/request-types",
        json={"code": "saas", "name": "Software or SaaS", "fields": SAAS_FIELDS},
    )
    assert response.status_code == 201, response.get_json()
    admin_policy.add_rule(
        admin_policy.RuleData(
            step="security",
            role=Role.SECURITY,
            step_order=15,
            request_type="saas",
            field_name="personal_data",
            field_value="yes",
        ),
        actor=people["admin"],
    )
    db.session.commit()
    return response.get_json()


def file(api, user, **body):
    payload = {"title": "CRM subscription", "lines": [line()], **body}
    return api(user).post("/api/v1/requests", json=payload)


def submitted(api, user, **body):
    created = file(api, user, **body)
    assert created.status_code == 201, created.get_json()
    response = api(user).post(f"/api/v1/requests/{created.get_json()['id']}/submit")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# The types ------------------------------------------------------------------------------


def test_admin_defines_a_type_listed_with_its_fields_and_audited(api, people, saas, db):
    listing = api(people["requester"]).get("/api/v1/request-types").get_json()
    assert listing["total"] == 1
    item = listing["items"][0]
    assert item["code"] == "saas" and item["name"] == "Software or SaaS" and item["active"]
    assert [field["name"] for field in item["fields"]] == [
        "personal_data",
        "users",
        "integrates_with",
        "hosting",
    ]
    assert item["fields"][0] == {
        "name": "personal_data",
        "label": "Handles personal data",
        "kind": "yes_no",
        "required": True,
        "choices": None,
    }
    assert item["fields"][3]["choices"] == ["EU", "US"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "request_type"))
    assert event is not None and event.action == "create"


def test_only_admin_defines_types(api, people):
    response = api(people["procurement"]).post(
        "/api/v1/request-types", json={"code": "x", "name": "X", "fields": []}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "Bad Code", "name": "X"}, "code"),
        ({"code": "", "name": "X"}, "code"),
        ({"code": "saas", "name": "Again"}, "code"),
        ({"code": "ok", "name": ""}, "name"),
        ({"code": "ok", "name": "X", "fields": "nope"}, "fields"),
        ({"code": "ok", "name": "X", "fields": ["nope"]}, "fields.0"),
        (
            {"code": "ok", "name": "X", "fields": [{"name": "A b", "kind": "text"}]},
            "fields.0.name",
        ),
        ({"code": "ok", "name": "X", "fields": [{"name": "a", "kind": "date"}]}, "fields.0.kind"),
        (
            {
                "code": "ok",
                "name": "X",
                "fields": [{"name": "a", "kind": "text"}, {"name": "a", "kind": "number"}],
            },
            "fields.1.name",
        ),
        (
            {"code": "ok", "name": "X", "fields": [{"name": "a", "kind": "choice"}]},
            "fields.0.choices",
        ),
        (
            {
                "code": "ok",
                "name": "X",
                "fields": [{"name": "a", "kind": "text", "choices": ["x"]}],
            },
            "fields.0.choices",
        ),
        (
            {
                "code": "ok",
                "name": "X",
                "fields": [{"name": "a", "kind": "text", "required": "y"}],
            },
            "fields.0.required",
        ),
    ],
)
def test_bad_type_definitions_are_422_on_the_field(api, people, saas, db, body, field):
    response = api(people["admin"]).post("/api/v1/request-types", json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestType)) == 1


# Requests of a type ---------------------------------------------------------------------


def test_a_request_carries_its_type_and_fields(api, people, saas):
    response = file(
        api,
        people["requester"],
        type="saas",
        fields={
            "personal_data": True,
            "users": "25",
            "integrates_with": " Okta ",
            "hosting": "EU",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["type"] == "saas"
    assert body["fields"] == {
        "personal_data": "yes",
        "users": "25",
        "integrates_with": "Okta",
        "hosting": "EU",
    }
    patched = api(people["requester"]).patch(
        f"/api/v1/requests/{body['id']}", json={"fields": {"personal_data": "no"}}
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["fields"] == {"personal_data": "no"}
    plain = file(api, people["requester"]).get_json()
    assert plain["type"] is None and plain["fields"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "nope"}, "type"),
        ({"type": "saas", "fields": {}}, "fields.personal_data"),
        ({"type": "saas", "fields": {"personal_data": "maybe"}}, "fields.personal_data"),
        ({"type": "saas", "fields": {"personal_data": 3}}, "fields.personal_data"),
        ({"type": "saas", "fields": {"personal_data": "yes", "users": "many"}}, "fields.users"),
        ({"type": "saas", "fields": {"personal_data": "yes", "users": "NaN"}}, "fields.users"),
        (
            {"type": "saas", "fields": {"personal_data": "yes", "hosting": "Mars"}},
            "fields.hosting",
        ),
        (
            {"type": "saas", "fields": {"personal_data": "yes", "integrates_with": "x" * 2000}},
            "fields.integrates_with",
        ),
        ({"type": "saas", "fields": {"personal_data": "yes", "colour": "red"}}, "fields.colour"),
        ({"fields": {"personal_data": "yes"}}, "fields.personal_data"),
    ],
)
def test_bad_type_or_field_values_are_422_and_store_nothing(api, people, saas, db, body, field):
    response = file(api, people["requester"], **body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseRequest)) == 0


def test_a_deactivated_type_is_not_offered_to_new_requests(api, people, saas, db):
    from_before = file(
        api, people["requester"], type="saas", fields={"personal_data": "no"}
    ).get_json()
    request_type = db.session.scalar(sa.select(RequestType).where(RequestType.code == "saas"))
    request_type.active = False
    db.session.commit()
    refused = file(api, people["requester"], type="saas", fields={"personal_data": "no"})
    assert refused.status_code == 422 and "type" in refused.get_json()["error"]["fields"]
    kept = api(people["requester"]).patch(
        f"/api/v1/requests/{from_before['id']}", json={"title": "Still SaaS"}
    )
    assert kept.status_code == 200 and kept.get_json()["type"] == "saas"


# The policy -----------------------------------------------------------------------------


def test_saas_with_personal_data_gets_the_security_step_and_its_reason(api, people, saas):
    body = submitted(api, people["requester"], type="saas", fields={"personal_data": "yes"})
    steps = [(step["name"], step["role"]) for step in body["approvals"]]
    assert steps == [("department", "approver"), ("security", "security")]
    assert body["approvals"][1]["reason"] == "Request type saas and personal_data = yes"


def test_saas_without_personal_data_has_no_security_step(api, people, saas):
    body = submitted(api, people["requester"], type="saas", fields={"personal_data": "no"})
    assert [step["name"] for step in body["approvals"]] == ["department"]
    other = submitted(api, people["requester"])
    assert [step["name"] for step in other["approvals"]] == ["department"]


def test_the_security_user_decides_the_security_step_and_a_requester_cannot(
    api, people, saas, make, db
):
    body = submitted(api, people["requester"], type="saas", fields={"personal_data": "yes"})
    url = f"/api/v1/requests/{body['id']}"
    assert api(people["security"]).post(f"{url}/approve").status_code == 403
    assert api(people["approver"]).post(f"{url}/approve").status_code == 200
    inbox = api(people["security"]).get("/api/v1/requests?awaiting_me=1").get_json()
    assert [item["id"] for item in inbox["items"]] == [body["id"]]
    told = sa.select(sa.func.count()).select_from(Notification)
    assert db.session.scalar(told.where(Notification.user_id == people["security"].id)) == 1
    assert api(people["security"]).get(url).status_code == 200
    other_requester = make.user(["requester"], department="IT")
    assert api(other_requester).post(f"{url}/approve").status_code in (403, 404)
    assert api(people["requester"]).post(f"{url}/approve").status_code == 403
    decided = api(people["security"]).post(f"{url}/approve")
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == "approved"
    assert decided.get_json()["approvals"][1]["decided_by"]["id"] == people["security"].id


def test_the_preview_on_the_request_page_explains_the_security_step(
    api, people, saas, auth, client
):
    draft = file(api, people["requester"], type="saas", fields={"personal_data": "yes"})
    auth.login(people["requester"].email)
    page = client.get(f"/requests/{draft.get_json()['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Request type saas and personal_data = yes" in html
    assert "Software or SaaS" in html and "Handles personal data" in html


# Conditions on the policy page's service ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"request_type": "nope"}, "request_type"),
        ({"field_name": "personal_data", "field_value": "yes"}, "request_type"),
        ({"request_type": "saas", "field_name": "colour", "field_value": "red"}, "field_name"),
        ({"request_type": "saas", "field_name": "personal_data"}, "field_value"),
        (
            {"request_type": "saas", "field_name": "personal_data", "field_value": "perhaps"},
            "field_value",
        ),
        ({"request_type": "saas", "field_value": "yes"}, "field_name"),
        (
            {"step": "department", "role": Role.APPROVER, "skip_for_catalogue": True},
            "skip_for_catalogue",
        ),
        (
            {"step": "signoff", "role": Role.APPROVER, "skip_for_catalogue": True},
            "skip_for_catalogue",
        ),
    ],
)
def test_bad_rule_conditions_are_refused(people, saas, db, data, field):
    fields = {"step": "review", "role": Role.SECURITY, **data}
    with pytest.raises(ValidationError) as raised:
        admin_policy.add_rule(admin_policy.RuleData(**fields), actor=people["admin"])
    assert field in raised.value.fields


def test_the_policy_page_describes_the_conditions(people, saas):
    lines = [line.description for line in admin_policy.page().rules]
    assert (
        "security step, decided by security: it is of request type saas and its "
        "personal_data is yes" in lines
    )


# Catalogue requests ---------------------------------------------------------------------


@pytest.fixture
def catalogue_item(make, people, db):
    vendor = make.vendor()
    agreement = Agreement(
        number="FA-2026-00001",
        vendor=vendor,
        title="Laptops",
        status=AgreementStatus.ACTIVE,
        start_date=dt.date.today() - dt.timedelta(days=1),
        end_date=dt.date.today() + dt.timedelta(days=365),
        currency="USD",
        created_by=people["procurement"],
    )
    item = AgreementItem(
        agreement=agreement,
        position=1,
        description="Standard laptop",
        category="hardware",
        unit="each",
        unit_price=Decimal("1000.00"),
    )
    db.session.add_all([agreement, item])
    db.session.commit()
    return item


def _catalogue_draft(api, people, db, item, *, catalogue_lines: int, lines: int = 2):
    created = file(api, people["requester"], lines=[line("1000.00")] * lines)
    assert created.status_code == 201, created.get_json()
    pr = db.session.get(PurchaseRequest, created.get_json()["id"])
    for request_line in pr.lines[:catalogue_lines]:
        request_line.catalogue_item_id = item.id
    db.session.commit()
    return pr.id


def test_a_step_marked_skip_for_catalogue_is_skipped_when_every_line_is_a_catalogue_item(
    api, people, db, catalogue_item, auth, client
):
    finance = db.session.scalars(sa.select(PolicyRule).where(PolicyRule.step == "finance"))
    for rule in finance:
        admin_policy.update_rule(
            rule,
            admin_policy.RuleData(
                step=rule.step,
                role=rule.role,
                step_order=rule.step_order,
                min_total=rule.min_total,
                when_over_budget=rule.when_over_budget,
                skip_for_catalogue=True,
            ),
            actor=people["admin"],
        )
    rule = db.session.scalar(sa.select(PolicyRule).where(PolicyRule.step == "department"))
    rule.skip_for_catalogue = True  # even if the database says so, never the department
    db.session.commit()
    # Six lines of 1,000.00: above finance's threshold of 5,000.00.
    mixed = _catalogue_draft(api, people, db, catalogue_item, catalogue_lines=5, lines=6)
    only = _catalogue_draft(api, people, db, catalogue_item, catalogue_lines=6, lines=6)

    auth.login(people["requester"].email)
    page = client.get(f"/requests/{only}").get_data(as_text=True)
    assert "Finance: skipped, every line is a pre-approved catalogue item" in page

    client_api = api(people["requester"])
    mixed_body = client_api.post(f"/api/v1/requests/{mixed}/submit").get_json()
    assert [step["name"] for step in mixed_body["approvals"]] == ["department", "finance"]
    only_body = client_api.post(f"/api/v1/requests/{only}/submit").get_json()
    assert [step["name"] for step in only_body["approvals"]] == ["department"]


# The request form -----------------------------------------------------------------------


def form_data(**extra):
    return {
        "title": "CRM",
        "justification": "Sales",
        "needed_by": "",
        "currency": "USD",
        "lines-0-description": "Seats",
        "lines-0-category": "software",
        "lines-0-quantity": "10",
        "lines-0-unit": "each",
        "lines-0-unit_price": "30.00",
        **extra,
    }


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def test_the_form_shows_the_chosen_types_fields_without_javascript(app, people, saas, db):
    client = signed_in(app, people["requester"])
    plain = client.get("/requests/new").get_data(as_text=True)
    assert '<option value="saas">Software or SaaS</option>' in plain
    assert 'name="fields-personal_data"' not in plain
    chosen = client.post("/requests/new", data=form_data(type="saas", choose_type="1"))
    assert chosen.status_code == 200
    html = chosen.get_data(as_text=True)
    assert 'name="fields-personal_data"' in html and 'name="fields-hosting"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseRequest)) == 0


def test_the_form_says_a_bad_field_beside_it_and_saves_a_good_one(app, people, saas, db):
    client = signed_in(app, people["requester"])
    refused = client.post("/requests/new", data=form_data(type="saas", **{"fields-users": "lots"}))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="fields-personal_data-errors"' in html and 'id="fields-users-errors"' in html
    unknown = client.post("/requests/new", data=form_data(type="nope"))
    assert unknown.status_code == 422 and 'id="type-errors"' in unknown.get_data(as_text=True)
    saved = client.post(
        "/requests/new",
        data=form_data(type="saas", **{"fields-personal_data": "yes", "fields-users": "12"}),
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    pr = db.session.scalar(sa.select(PurchaseRequest))
    assert pr.type_code == "saas" and pr.fields == {"personal_data": "yes", "users": "12"}
    page = client.get(f"/requests/{pr.id}").get_data(as_text=True)
    assert "Software or SaaS" in page and "Users" in page
    edit = client.get(f"/requests/{pr.id}/edit").get_data(as_text=True)
    assert '<option selected value="saas">' in edit or 'value="saas" selected' in edit
    assert 'name="fields-users" type="text" value="12"' in edit


# The admin pages ------------------------------------------------------------------------


def test_admin_lists_defines_and_switches_off_types_on_their_page(app, people, saas, db):
    assert signed_in(app, people["requester"]).get("/admin/request-types").status_code == 403
    client = signed_in(app, people["admin"])
    page = client.get("/admin/request-types")
    assert page.status_code == 200 and "Software or SaaS" in page.get_data(as_text=True)
    bad = client.post(
        "/admin/request-types",
        data={"code": "laptop", "name": "Laptop", "fields": "colour; Colour; choice; required"},
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="fields-errors"' in html and "Line 1: A choice field needs its choices." in html
    again = client.post("/admin/request-types", data={"code": "saas", "name": "Again"})
    assert again.status_code == 422 and 'id="code-errors"' in again.get_data(as_text=True)
    created = client.post(
        "/admin/request-types",
        data={
            "code": "laptop",
            "name": "Laptop",
            "fields": "colour; Colour; choice; required; silver, black\n\nnotes; Notes; text",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    laptop = db.session.scalar(sa.select(RequestType).where(RequestType.code == "laptop"))
    assert laptop.fields == [
        {
            "name": "colour",
            "label": "Colour",
            "kind": "choice",
            "required": True,
            "choices": ["silver", "black"],
        },
        {"name": "notes", "label": "Notes", "kind": "text", "required": False, "choices": None},
    ]
    assert client.post(f"/admin/request-types/{laptop.id}/toggle").status_code == 302
    db.session.refresh(laptop)
    assert laptop.active is False
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.entity == "request_type", AuditEvent.entity_id == laptop.id
        )
    )
    assert sorted(events) == ["create", "update"]


def test_the_policy_page_edits_type_and_field_conditions(app, people, saas, db):
    client = signed_in(app, people["admin"])
    form = client.get("/admin/policy").get_data(as_text=True)
    assert 'name="request_type"' in form and 'name="skip_for_catalogue"' in form
    base = {"step": "privacy", "role": "security", "step_order": "16"}
    refused = client.post(
        "/admin/policy",
        data={**base, "request_type": "saas", "field_name": "personal_data", "field_value": "x"},
    )
    assert refused.status_code == 422
    assert 'id="field_value-errors"' in refused.get_data(as_text=True)
    department = client.post(
        "/admin/policy",
        data={
            "step": "department",
            "role": "approver",
            "step_order": "10",
            "skip_for_catalogue": "y",
        },
    )
    assert department.status_code == 422
    assert 'id="skip_for_catalogue-errors"' in department.get_data(as_text=True)
    saved = client.post(
        "/admin/policy",
        data={
            **base,
            "request_type": "saas",
            "field_name": "personal_data",
            "field_value": "Yes",
            "skip_for_catalogue": "y",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    rule = db.session.scalar(sa.select(PolicyRule).where(PolicyRule.step == "privacy"))
    assert (rule.role, rule.request_type, rule.field_name, rule.field_value) == (
        Role.SECURITY,
        "saas",
        "personal_data",
        "yes",
    )
    assert rule.skip_for_catalogue is True
    edit = client.get(f"/admin/policy/{rule.id}").get_data(as_text=True)
    assert 'value="personal_data"' in edit and '<option selected value="saas">' in edit


def test_a_draft_keeps_its_switched_off_type_on_the_form(app, api, people, saas, db):
    draft = file(api, people["requester"], type="saas", fields={"personal_data": "no"})
    pr_id = draft.get_json()["id"]
    request_type = db.session.scalar(sa.select(RequestType).where(RequestType.code == "saas"))
    request_type.active = False
    db.session.commit()
    client = signed_in(app, people["requester"])
    form = client.get(f"/requests/{pr_id}/edit").get_data(as_text=True)
    assert '<option selected value="saas">Software or SaaS</option>' in form
    saved = client.post(
        f"/requests/{pr_id}/edit",
        data=form_data(type="saas", version="1", **{"fields-personal_data": "yes"}),
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    pr = db.session.get(PurchaseRequest, pr_id)
    db.session.refresh(pr)
    assert pr.type_code == "saas" and pr.fields == {"personal_data": "yes"}
    new = client.get("/requests/new").get_data(as_text=True)
    assert 'value="saas"' not in new
