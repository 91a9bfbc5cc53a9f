"""Purchase requests through the API: filing, the policy's steps, deciding, errors."""

from __future__ import annotations

import pytest


def line(price="100.00", quantity="1", **extra):
    return {"description": "Laptop", "quantity": quantity, "unit_price": price, **extra}


@pytest.fixture
def people(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "other_approver": make.user(["approver"], department="OPS"),
        "finance": make.user(["finance"], department="FIN"),
        "executive": make.user(["executive"], department="EXEC"),
        "procurement": make.user(["procurement"], department="PROC"),
        "admin": make.user(["admin"], department="IT"),
        "outsider": make.user(["requester"], department="OPS"),
    }


def create(api, user, **body):
    payload = {"title": "New laptops", "lines": [line()], **body}
    return api(user).post("/api/v1/requests", json=payload)


def test_create_defaults_and_total(api, people):
    response = create(
        api,
        people["requester"],
        lines=[line("1200.00", "2", category="hardware", unit="pc"), line("19.99", "3")],
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft"
    assert body["number"].startswith("PR-") and body["number"].endswith("00001")
    assert body["total"] == "2459.97"
    assert body["department"] == "IT"
    assert body["currency"] == "USD"
    assert body["lines"][1]["category"] == "other" and body["lines"][1]["unit"] == "each"
    assert body["lines"][0]["quantity"] == "2"
    assert body["version"] == 1
    assert body["allowed_actions"] == ["submit", "cancel"]
    assert body["approvals"] == []


def test_numbers_are_sequential(api, people):
    first = create(api, people["requester"]).get_json()["number"]
    second = create(api, people["requester"]).get_json()["number"]
    assert int(second[-5:]) == int(first[-5:]) + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 100_000}, "title"),
        ({"lines": []}, "lines"),
        ({"lines": [line(quantity="0")]}, "lines.0.quantity"),
        ({"lines": [line(quantity="-1")]}, "lines.0.quantity"),
        ({"lines": [line(price="-5")]}, "lines.0.unit_price"),
        ({"lines": [line(price="1.005")]}, "lines.0.unit_price"),
        ({"lines": [line(price="NaN")]}, "lines.0.unit_price"),
        ({"lines": [line(price="Infinity")]}, "lines.0.unit_price"),
        ({"lines": [line(price="1e30")]}, "lines.0.unit_price"),
        ({"lines": [{"quantity": "1", "unit_price": "5"}]}, "lines.0.description"),
        ({"lines": [line(category="furniture")]}, "lines.0.category"),
        ({"department": "NOPE"}, "department"),
        ({"department": "OPS"}, "department"),
        ({"currency": "EUR"}, "currency"),
        ({"needed_by": "2026-02-30"}, "needed_by"),
        ({"needed_by": "2001-01-01"}, "needed_by"),
    ],
)
def test_bad_input_is_422_and_stores_nothing(api, people, body, field):
    client = api(people["requester"])
    response = create(api, people["requester"], **body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert client.get("/api/v1/requests").get_json()["total"] == 0


def test_only_requesters_file(api, people):
    response = create(api, people["finance"])
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_someone_elses_request_is_404(api, people):
    pr = create(api, people["requester"]).get_json()
    assert api(people["outsider"]).get(f"/api/v1/requests/{pr['id']}").status_code == 404
    assert api(people["other_approver"]).get(f"/api/v1/requests/{pr['id']}").status_code == 404
    for viewer in ("approver", "finance", "procurement", "admin"):
        assert api(people[viewer]).get(f"/api/v1/requests/{pr['id']}").status_code == 200


def test_small_request_needs_department_step_only(api, people):
    pr = create(api, people["requester"]).get_json()
    submitted = api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    body = submitted.get_json()
    assert body["status"] == "pending_approval"
    assert [(a["name"], a["status"]) for a in body["approvals"]] == [("department", "pending")]
    assert "IT" in body["approvals"][0]["reason"]
    approved = api(people["approver"]).post(
        f"/api/v1/requests/{pr['id']}/approve", json={"comment": "ok"}
    )
    assert approved.status_code == 200
    body = approved.get_json()
    assert body["status"] == "approved"
    assert body["approvals"][0]["decided_by"]["id"] == people["approver"].id
    assert body["approvals"][0]["comment"] == "ok"


def test_large_request_walks_three_steps(api, people):
    pr = create(api, people["requester"], lines=[line("60000.00")]).get_json()
    body = api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit").get_json()
    assert [(a["name"], a["role"], a["status"]) for a in body["approvals"]] == [
        ("department", "approver", "pending"),
        ("finance", "finance", "waiting"),
        ("executive", "executive", "waiting"),
    ]
    assert "5,000.00" in body["approvals"][1]["reason"]
    assert "50,000.00" in body["approvals"][2]["reason"]
    # finance cannot jump the queue
    early = api(people["finance"]).post(f"/api/v1/requests/{pr['id']}/approve")
    assert early.status_code == 403
    for who in ("approver", "finance", "executive"):
        response = api(people[who]).post(f"/api/v1/requests/{pr['id']}/approve")
        assert response.status_code == 200, (who, response.get_json())
    assert response.get_json()["status"] == "approved"


def test_separation_of_duties(api, people, make):
    both = make.user(["requester", "approver"], department="IT")
    pr = create(api, both).get_json()
    api(both).post(f"/api/v1/requests/{pr['id']}/submit")
    own = api(both).post(f"/api/v1/requests/{pr['id']}/approve")
    assert own.status_code == 403
    assert "filed" in own.get_json()["error"]["message"]
    # an admin does not bypass the workflow
    assert api(people["admin"]).post(f"/api/v1/requests/{pr['id']}/approve").status_code == 403
    # an approver of another department cannot decide (and cannot even see it)
    assert (
        api(people["other_approver"]).post(f"/api/v1/requests/{pr['id']}/approve").status_code
        == 404
    )


def test_nobody_decides_two_steps(api, people, make):
    multi = make.user(["approver", "finance"], department="IT")
    pr = create(api, people["requester"], lines=[line("7500.00")]).get_json()
    api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")

    def awaiting(user) -> list[int]:
        answer = api(user).get("/api/v1/requests?awaiting_me=1").get_json()
        assert answer["total"] == len(answer["items"])
        return [item["id"] for item in answer["items"]]

    assert awaiting(multi) == [pr["id"]]  # the department step
    assert api(multi).post(f"/api/v1/requests/{pr['id']}/approve").status_code == 200
    # The finance step waits now: not in the inbox of who decided the first.
    assert awaiting(multi) == [] and awaiting(people["finance"]) == [pr["id"]]
    second = api(multi).post(f"/api/v1/requests/{pr['id']}/approve")
    assert second.status_code == 403
    assert "another step" in second.get_json()["error"]["message"]
    assert api(people["finance"]).post(f"/api/v1/requests/{pr['id']}/approve").status_code == 200


def test_reject_and_return_need_a_comment(api, people):
    pr = create(api, people["requester"]).get_json()
    api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")
    for action in ("reject", "return"):
        response = api(people["approver"]).post(
            f"/api/v1/requests/{pr['id']}/{action}", json={"comment": "  "}
        )
        assert response.status_code == 422
        assert "comment" in response.get_json()["error"]["fields"]
    back = api(people["approver"]).post(
        f"/api/v1/requests/{pr['id']}/return", json={"comment": "Add the docking stations"}
    )
    assert back.status_code == 200
    assert back.get_json()["status"] == "draft"
    # edit and resubmit: the approvals start again
    patched = api(people["requester"]).patch(
        f"/api/v1/requests/{pr['id']}", json={"lines": [line(), line("250.00")]}
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["total"] == "350.00"
    again = api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit").get_json()
    assert [(a["name"], a["status"]) for a in again["approvals"]] == [("department", "pending")]
    rejected = api(people["approver"]).post(
        f"/api/v1/requests/{pr['id']}/reject", json={"comment": "Not this year"}
    )
    assert rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["approvals"][0]["status"] == "rejected"


def test_invalid_transition_is_409(api, people):
    pr = create(api, people["requester"]).get_json()
    response = api(people["approver"]).post(f"/api/v1/requests/{pr['id']}/approve")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_transition"
    api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/cancel")
    again = api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")
    assert again.status_code == 409


def test_stale_version_is_conflict(api, people):
    pr = create(api, people["requester"]).get_json()
    api(people["requester"]).patch(f"/api/v1/requests/{pr['id']}", json={"title": "Renamed"})
    stale = api(people["requester"]).post(
        f"/api/v1/requests/{pr['id']}/submit", json={"version": pr["version"]}
    )
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"


def test_submit_with_the_version_just_read(api, people):
    # Submitting reads budgets and the policy; that must not move the version first.
    pr = create(api, people["requester"], lines=[line("9000.00")]).get_json()
    response = api(people["requester"]).post(
        f"/api/v1/requests/{pr['id']}/submit", json={"version": pr["version"]}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending_approval"
    approve = api(people["approver"]).post(
        f"/api/v1/requests/{pr['id']}/approve", json={"version": body["version"]}
    )
    assert approve.status_code == 200, approve.get_json()


def test_patch_only_in_draft_by_owner(api, people):
    pr = create(api, people["requester"]).get_json()
    other = api(people["approver"]).patch(f"/api/v1/requests/{pr['id']}", json={"title": "x"})
    assert other.status_code == 403
    api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")
    late = api(people["requester"]).patch(f"/api/v1/requests/{pr['id']}", json={"title": "x"})
    assert late.status_code == 409


def test_filters_and_inbox(api, people):
    small = create(api, people["requester"]).get_json()
    big = create(api, people["requester"], lines=[line("9000")]).get_json()
    create(api, people["requester"])
    for pr in (small, big):
        api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")
    inbox = api(people["approver"]).get("/api/v1/requests?awaiting_me=1").get_json()
    assert [item["id"] for item in inbox["items"]] == [small["id"], big["id"]]
    assert api(people["finance"]).get("/api/v1/requests?awaiting_me=1").get_json()["total"] == 0
    api(people["approver"]).post(f"/api/v1/requests/{big['id']}/approve")
    finance_inbox = api(people["finance"]).get("/api/v1/requests?awaiting_me=1").get_json()
    assert [item["id"] for item in finance_inbox["items"]] == [big["id"]]
    drafts = api(people["requester"]).get("/api/v1/requests?status=draft&mine=1").get_json()
    assert drafts["total"] == 1
    bad = api(people["requester"]).get("/api/v1/requests?status=bogus")
    assert bad.status_code == 422


def test_audit_history_of_a_request(api, people):
    pr = create(api, people["requester"]).get_json()
    api(people["requester"]).post(f"/api/v1/requests/{pr['id']}/submit")
    api(people["approver"]).post(f"/api/v1/requests/{pr['id']}/approve", json={"comment": "fine"})
    history = (
        api(people["requester"])
        .get(f"/api/v1/audit?entity=request&entity_id={pr['id']}")
        .get_json()
    )
    actions = [event["action"] for event in history["items"]]
    assert actions == ["create", "submit", "approve"]
    approve = history["items"][-1]
    assert approve["actor"]["id"] == people["approver"].id
    assert approve["changes"]["status"] == ["pending_approval", "approved"]
    assert approve["comment"] == "fine"
    ids = [event["id"] for event in history["items"]]
    assert ids == sorted(ids)
    assert all(len(event["hash"]) == 64 for event in history["items"])
    from procure import audit

    assert audit.verify().ok
    outsider = api(people["outsider"]).get(f"/api/v1/audit?entity=request&entity_id={pr['id']}")
    assert outsider.status_code == 404
    assert api(people["requester"]).get("/api/v1/audit").status_code == 403
    assert api(people["finance"]).get("/api/v1/audit").status_code == 200
