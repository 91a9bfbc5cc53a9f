"""Budgets: figures computed from the requests' states, the over-budget step, the page
and the API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from procure import reference
from procure.budgets import services as budgets
from procure.purchasing import services as purchasing


@pytest.fixture
def org(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
        "ops_approver": make.user(["approver"], department="OPS"),
        "admin": make.user(["admin"], department="IT"),
        "plain": make.user(["requester"], department="OPS"),
    }


def file(org, *lines, submit=True):
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Kit",
            lines=[
                purchasing.LineData(
                    description=d, quantity=Decimal(q), unit_price=Decimal(p), category=c
                )
                for d, q, p, c in lines
            ],
        ),
        actor=org["requester"],
    )
    if submit:
        purchasing.submit(pr, actor=org["requester"])
    return pr


def budget(amount, category=None, code="IT"):
    return budgets.create(
        budgets.BudgetData(
            department=code,
            fiscal_year=reference.current_fiscal_year(),
            amount=Decimal(amount),
            category=category,
        ),
        actor=None,
    )


def test_figures_follow_the_requests_states(org, db):
    whole = budget("10000.00")
    licences = budget("3000.00", category="licence")
    approved = file(
        org, ("Laptop", "2", "1500.00", "hardware"), ("Office seats", "4", "250.00", "licence")
    )
    purchasing.approve(approved, actor=org["approver"])
    pending = file(org, ("Monitor", "1", "400.00", "hardware"))
    rejected = file(org, ("Chair", "1", "300.00", "other"))
    purchasing.reject(rejected, actor=org["approver"], comment="No")
    draft = file(org, ("Mouse", "1", "30.00", "peripherals"), submit=False)
    db.session.flush()
    figures = budgets.figures([whole, licences])
    # committed = approved requests' estimates only: 2 x 1500 + 4 x 250
    assert figures[whole.id].committed == Decimal("4000.00")
    assert figures[whole.id].spent == Decimal("0.00")
    assert figures[whole.id].available == Decimal("6000.00")
    assert figures[licences.id].committed == Decimal("1000.00")
    assert figures[licences.id].available == Decimal("2000.00")
    # cancelling the approved request gives its estimate back
    purchasing.cancel(approved, actor=org["requester"])
    db.session.flush()
    assert budgets.figures_of(whole).committed == Decimal("0.00")
    assert pending.status.value == "pending_approval" and draft.status.value == "draft"


def test_over_budget_adds_a_finance_step_with_its_reason(org):
    budget("1000.00")
    pr = file(org, ("Laptop", "1", "1200.00", "hardware"))
    assert pr.over_budget
    steps = [(s.name, s.reason) for s in pr.current_steps]
    assert [name for name, _ in steps] == ["department", "finance"]
    assert "IT's" in steps[1][1] and "$1,000.00 available" in steps[1][1]
    small = file(org, ("Mouse", "1", "30.00", "peripherals"))
    assert not small.over_budget
    assert [s.name for s in small.current_steps] == ["department"]


def test_a_step_with_two_reasons_reads_as_one_sentence(org):
    budget("1000.00")
    pr = file(org, ("Server", "1", "6000.00", "hardware"))
    assert pr.current_steps[1].reason == (
        "Total $6,000.00 is at least $5,000.00; it exceeds IT's "
        f"{pr.fiscal_year} budget: $1,000.00 available, $6,000.00 requested"
    )
    assert pr.current_steps[0].reason == "Every request is signed off by an approver of IT"


def test_no_budget_is_not_over_budget(org):
    pr = file(org, ("Laptop", "1", "4000.00", "hardware"))
    assert not pr.over_budget
    assert [s.name for s in pr.current_steps] == ["department"]


def test_category_budget_can_be_exceeded_alone(org):
    budget("100000.00")
    budget("500.00", category="licence")
    pr = file(org, ("Seats", "3", "200.00", "licence"))
    assert pr.over_budget
    assert "licence budget" in pr.current_steps[1].reason


def test_draft_page_warns_before_submitting(app, org, client):
    budget("100.00")
    pr = file(org, ("Laptop", "1", "1200.00", "hardware"), submit=False)
    client.post(
        "/login", data={"email": org["requester"].email, "password": "correct horse battery"}
    )
    page = client.get(f"/requests/{pr.id}").get_data(as_text=True)
    assert "Over budget:" in page
    assert "Finance" in page  # the preview shows the finance step it will add


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"department": "NOPE"}, "department"),
        ({"category": "furniture"}, "category"),
        ({"currency": "EUR"}, "currency"),
        ({"fiscal_year": 1999}, "fiscal_year"),
        ({"amount": "1.001"}, "amount"),
    ],
)
def test_bad_budgets_are_422(api, org, body, field):
    payload = {"department": "IT", "fiscal_year": 2026, "amount": "5000.00", **body}
    response = api(org["finance"]).post("/api/v1/budgets", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert api(org["finance"]).get("/api/v1/budgets").get_json()["total"] == 0


def test_budget_api(api, org):
    client = api(org["finance"])
    created = client.post(
        "/api/v1/budgets",
        json={"department": "IT", "fiscal_year": 2026, "amount": 5000, "currency": "USD"},
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["amount"] == "5000.00" and body["available"] == "5000.00"
    assert body["committed"] == "0.00" and body["spent"] == "0.00" and body["category"] is None
    duplicate = client.post(
        "/api/v1/budgets", json={"department": "IT", "fiscal_year": 2026, "amount": 1}
    )
    assert duplicate.status_code == 422
    per_category = client.post(
        "/api/v1/budgets",
        json={"department": "IT", "fiscal_year": 2026, "amount": 1, "category": "cloud"},
    )
    assert per_category.status_code == 201
    patched = client.patch(f"/api/v1/budgets/{body['id']}", json={"amount": "7500.50"})
    assert patched.get_json()["amount"] == "7500.50"
    # who sees what
    assert api(org["approver"]).get("/api/v1/budgets").get_json()["total"] == 2
    assert api(org["ops_approver"]).get("/api/v1/budgets").get_json()["total"] == 0
    assert api(org["ops_approver"]).get(f"/api/v1/budgets/{body['id']}").status_code == 404
    assert api(org["admin"]).get("/api/v1/budgets").get_json()["total"] == 2
    forbidden = api(org["approver"]).post(
        "/api/v1/budgets", json={"department": "IT", "fiscal_year": 2027, "amount": 1}
    )
    assert forbidden.status_code == 403
    assert (
        api(org["approver"]).patch(f"/api/v1/budgets/{body['id']}", json={"amount": 1}).status_code
        == 403
    )


def test_budget_page(app, org, client, db):
    budget("2000.00")
    approved = file(org, ("Laptop", "1", "1500.00", "hardware"))
    purchasing.approve(approved, actor=org["approver"])
    db.session.commit()
    client.post(
        "/login", data={"email": org["finance"].email, "password": "correct horse battery"}
    )
    page = client.get("/budgets/").get_data(as_text=True)
    assert "$1,500.00" in page and "$500.00" in page
    assert "<svg" in page and "Spent" in page
    response = client.post(
        "/budgets/",
        data={"department": "OPS", "fiscal_year": "2026", "category": "", "amount": "-5"},
    )
    assert response.status_code == 422
    assert 'id="amount-errors"' in response.get_data(as_text=True)
    plain = app.test_client()
    plain.post("/login", data={"email": org["plain"].email, "password": "correct horse battery"})
    assert plain.get("/budgets/").status_code == 403


def test_an_overspent_budget_shows_one_negative_figure_everywhere(app, org, api, db):
    # Approved while the department had no budget; the budget set afterwards is
    # overspent by what the approved request commits.
    approved = file(org, ("Switches", "1", "3324.50", "hardware"))
    purchasing.approve(approved, actor=org["approver"])
    overspent = budget("1000.00")
    draft = file(org, ("Cable", "1", "50.00", "peripherals"), submit=False)
    db.session.commit()
    assert budgets.figures_of(overspent).available == Decimal("-2324.50")

    def page(user, path):
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        response = client.get(path)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    draft_page = page(org["requester"], f"/requests/{draft.id}")
    assert "-$2,324.50 available, $50.00 requested" in draft_page
    assert "$0.00 available" not in draft_page
    budget_row = page(org["finance"], "/budgets/").split(f'id="budget-{overspent.id}"')[1]
    assert "-$2,324.50" in budget_row.split("</tr>")[0]
    dashboard = page(org["finance"], "/").split('data-tile="budgets"')[1]
    assert "-$2,324.50" in dashboard.split("</table>")[0]
    listed = api(org["finance"]).get("/api/v1/budgets").get_json()["items"]
    assert [item["available"] for item in listed if item["id"] == overspent.id] == ["-2324.50"]
