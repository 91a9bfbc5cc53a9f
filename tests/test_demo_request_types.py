"""The demo's request types: Sam Security signs in, the SaaS type asks its questions,
and Ada's survey-tool subscription handling personal data waits for Sam's security
review, its reason said."""

from __future__ import annotations

import sqlalchemy as sa

from procure import demo, demo_request_types
from procure.models import PolicyRule, PurchaseRequest, RequestStatus, RequestType


def _state(db) -> list:
    return [
        [(t.code, t.name, t.fields) for t in db.session.scalars(sa.select(RequestType))],
        db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRule)),
        db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseRequest)),
    ]


def test_seed_demo_prints_sams_login_and_he_reviews_the_survey_tool(runner, new_client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "sam@example.org" in line)
    assert demo.DEMO_PASSWORD in line and "security" in line
    browser = new_client()
    answer = browser.post(
        "/login", data={"email": "sam@example.org", "password": demo.DEMO_PASSWORD}
    )
    assert answer.status_code == 302
    inbox = browser.get("/approvals").get_data(as_text=True)
    assert demo_request_types.SURVEY in inbox
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and again.output == result.output


def test_the_survey_tool_waits_at_its_security_step(db):
    demo.seed_all()
    db.session.commit()
    before = _state(db)
    assert [code for code, _name, _fields in before[0]] == ["hardware", "saas"]
    pr = db.session.scalar(
        sa.select(PurchaseRequest).where(PurchaseRequest.title == demo_request_types.SURVEY)
    )
    assert pr.status is RequestStatus.PENDING_APPROVAL and pr.type_code == "saas"
    assert pr.fields["personal_data"] == "yes"
    step = pr.pending_step
    assert step.name == "security" and step.role.value == "security"
    assert step.reason == "Request type saas and personal_data = yes"
    demo.seed_all()
    db.session.commit()
    assert _state(db) == before
