"""Purchase requests through the pages: the form, the detail page, the inbox."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from procure import reference
from procure.budgets import services as budgets
from procure.models import PurchaseRequest, RequestStatus, utcnow
from procure.money import format_date
from procure.orders import services as orders

from .report_support import Shop, fast_pdf  # noqa: F401 -- fast_pdf is a fixture


def form_data(
    title="Docking stations", lines=(("Dock", "hardware", "2", "each", "199.50"),), **extra
):
    data = {"title": title, "justification": "Hot desks", "needed_by": ""}
    for index, (description, category, quantity, unit, price) in enumerate(lines):
        data[f"lines-{index}-description"] = description
        data[f"lines-{index}-category"] = category
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit"] = unit
        data[f"lines-{index}-unit_price"] = price
    data.update(extra)
    return data


@pytest.fixture
def team(make):
    return {
        "requester": make.user(["requester"], department="IT", name="Rita Requester"),
        "approver": make.user(["approver"], department="IT", name="Alan Approver"),
        "finance": make.user(["finance"], department="FIN", name="Fay Finance"),
        "outsider": make.user(["requester"], department="OPS"),
    }


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_new_request_form_creates_a_draft(app, team, db):
    client = signed_in(app, team["requester"])
    assert client.get("/requests/new").status_code == 200
    response = client.post(
        "/requests/new",
        data=form_data(
            lines=[
                ("Dock", "hardware", "2", "each", "199.50"),
                ("Cable", "peripherals", "4", "each", "12.25"),
            ]
        ),
    )
    assert response.status_code == 302
    pr = db.session.scalars(db.select(PurchaseRequest)).one()
    assert pr.status == RequestStatus.DRAFT
    assert str(pr.total) == "448.00"
    page = text(client.get(response.location))
    assert "Docking stations" in page
    assert "$448.00" in page
    assert "Submit for approval" in page
    # the policy preview says which steps submitting will need, and why
    assert "Submitting will need these approvals" in page
    assert "approver of IT" in page


def test_form_errors_stand_beside_their_fields_and_nothing_is_stored(app, team, db):
    client = signed_in(app, team["requester"])
    response = client.post(
        "/requests/new", data=form_data(title="", lines=[("", "hardware", "0", "each", "12.345")])
    )
    assert response.status_code == 422
    page = text(response)
    assert re.search(r'id="title-errors"', page)
    assert re.search(r'id="lines-0-quantity-errors"', page)
    assert re.search(r'id="lines-0-unit_price-errors"', page)
    assert "at most 2 decimal places" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(PurchaseRequest)) == 0


def test_lines_are_added_and_removed_without_javascript(app, team):
    client = signed_in(app, team["requester"])
    data = form_data(add_line="Add a line")
    page = text(client.post("/requests/new", data=data))
    assert 'name="lines-1-description"' in page
    assert 'value="Dock"' in page  # what was typed is kept
    two = form_data(
        lines=[
            ("Keep me", "hardware", "1", "each", "5"),
            ("Drop me", "hardware", "1", "each", "5"),
        ],
        remove_line="1",
    )
    page = text(client.post("/requests/new", data=two))
    assert "Keep me" in page and "Drop me" not in page


def test_approval_through_the_pages(app, team, db):
    requester = signed_in(app, team["requester"])
    location = requester.post(
        "/requests/new", data=form_data(lines=[("Switch", "hardware", "1", "each", "7500")])
    ).location
    pr_id = int(location.rsplit("/", 1)[1])
    requester.post(f"/requests/{pr_id}/submit")
    approver = signed_in(app, team["approver"])
    inbox = text(approver.get("/approvals"))
    assert "Docking stations" in inbox
    assert "Docking stations" in text(approver.get("/"))
    # rejecting without a comment: an error beside the comment, nothing decided
    refused = approver.post(f"/requests/{pr_id}/reject", data={"comment": ""})
    assert refused.status_code == 422
    assert 'id="comment-errors"' in text(refused)
    assert approver.post(f"/requests/{pr_id}/approve", data={"comment": "Fine"}).status_code == 302
    finance = signed_in(app, team["finance"])
    page = text(finance.get(f"/requests/{pr_id}"))
    assert "Your decision: finance step" in page
    finance.post(f"/requests/{pr_id}/approve", data={"comment": "Budgeted"})
    page = text(requester.get(f"/requests/{pr_id}"))
    assert 'data-status="approved"' in page
    assert "Alan Approver" in page and "Fay Finance" in page and "Budgeted" in page


def test_each_decision_says_what_was_decided_and_what_comes_next(app, team, db):
    requester = signed_in(app, team["requester"])
    location = requester.post(
        "/requests/new", data=form_data(lines=[("Switch", "hardware", "1", "each", "7500")])
    ).location
    pr_id = int(location.rsplit("/", 1)[1])
    number = db.session.get(PurchaseRequest, pr_id).number
    page = text(requester.post(f"/requests/{pr_id}/submit", follow_redirects=True))
    assert (
        f"{number}: Submitted for approval. The department step waits for an approver of IT."
    ) in page
    # A step that is not the last: which step was approved, and which one waits for whom.
    approver = signed_in(app, team["approver"])
    page = text(
        approver.post(f"/requests/{pr_id}/approve", data={"comment": ""}, follow_redirects=True)
    )
    assert (
        f"{number}: the department step is approved; the finance step now waits for finance."
    ) in page
    assert "Approved." not in page
    # The last step: the request is approved, and procurement sources it next.
    finance = signed_in(app, team["finance"])
    page = text(
        finance.post(f"/requests/{pr_id}/approve", data={"comment": ""}, follow_redirects=True)
    )
    assert f"{number}: Approved. Procurement can now source it." in page
    assert "step now waits" not in page


def test_submit_button_sends_the_version_of_the_page(app, team, db):
    requester = signed_in(app, team["requester"])
    location = requester.post("/requests/new", data=form_data()).location
    pr_id = int(location.rsplit("/", 1)[1])
    page = text(requester.get(f"/requests/{pr_id}"))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = requester.post(
        f"/requests/{pr_id}/submit",
        data={"version": version},
        headers={"Referer": f"http://localhost/requests/{pr_id}"},
    )
    assert response.status_code == 302
    assert db.session.get(PurchaseRequest, pr_id).status == RequestStatus.PENDING_APPROVAL


def test_only_the_right_buttons(app, team):
    requester = signed_in(app, team["requester"])
    pr_id = int(requester.post("/requests/new", data=form_data()).location.rsplit("/", 1)[1])
    requester.post(f"/requests/{pr_id}/submit")
    page = text(requester.get(f"/requests/{pr_id}"))
    assert "Cancel request" in page
    assert "Your decision" not in page
    finance = signed_in(app, team["finance"])
    page = text(finance.get(f"/requests/{pr_id}"))
    assert "Your decision" not in page and "Cancel request" not in page
    # the page refuses what the button would not offer, and says why
    response = finance.post(
        f"/requests/{pr_id}/approve",
        data={"comment": ""},
        headers={"Referer": f"http://localhost/requests/{pr_id}"},
    )
    assert response.status_code == 403
    assert "approver of IT" in text(response)


def test_someone_elses_request_is_404(app, team):
    requester = signed_in(app, team["requester"])
    pr_id = int(requester.post("/requests/new", data=form_data()).location.rsplit("/", 1)[1])
    outsider = signed_in(app, team["outsider"])
    assert outsider.get(f"/requests/{pr_id}").status_code == 404
    assert outsider.get(f"/requests/{pr_id}/edit").status_code == 404
    assert outsider.post(f"/requests/{pr_id}/cancel").status_code == 404


def test_list_filters(app, team):
    requester = signed_in(app, team["requester"])
    first = requester.post("/requests/new", data=form_data(title="Alpha")).location
    requester.post("/requests/new", data=form_data(title="Beta"))
    requester.post(f"/requests/{first.rsplit('/', 1)[1]}/submit")
    page = text(requester.get("/requests?status=pending_approval"))
    assert "Alpha" in page and "Beta" not in page
    page = text(requester.get("/requests?status=nonsense"))
    assert "Alpha" in page and "Beta" in page


def test_edit_keeps_the_version(app, team, db):
    requester = signed_in(app, team["requester"])
    location = requester.post("/requests/new", data=form_data()).location
    pr_id = int(location.rsplit("/", 1)[1])
    assert 'name="version"' in text(requester.get(f"/requests/{pr_id}/edit"))
    response = requester.post(
        f"/requests/{pr_id}/edit", data=form_data(title="Renamed", version="1")
    )
    assert response.status_code == 302
    stale = requester.post(
        f"/requests/{pr_id}/edit",
        data=form_data(title="Again", version="1"),
        headers={"Referer": f"http://localhost/requests/{pr_id}/edit"},
    )
    assert stale.status_code == 303
    assert db.session.get(PurchaseRequest, pr_id).title == "Renamed"


def test_only_requesters_open_the_new_request_form(app, team, db):
    # The approver sees no "New request" button; typing the address is refused too.
    client = signed_in(app, team["approver"])
    assert client.get("/requests/new").status_code == 403
    assert client.post("/requests/new", data=form_data()).status_code == 403
    assert db.session.scalars(db.select(PurchaseRequest)).all() == []


def test_the_request_shows_how_far_its_order_is_received_and_drops_the_over_budget_badge(
    app,
    make,
    db,
    fast_pdf,  # noqa: F811 -- fast_pdf is a fixture
):
    shop = Shop(make, db)
    budgets.create(
        budgets.BudgetData(
            department="IT", fiscal_year=reference.current_fiscal_year(), amount=Decimal("100")
        ),
        actor=None,
    )
    pr = shop.approved(
        "IT", [("Laptop", "3", "1000.00", "hardware"), ("Dock", "2", "150.00", "hardware")]
    )
    assert pr.over_budget
    requester = signed_in(app, shop.requesters["IT"])

    def header() -> str:
        page = text(requester.get(f"/requests/{pr.id}"))
        return page.split("<h1", 1)[1].split('class="d-flex flex-wrap gap-2 request-actions"')[0]

    assert "Over budget" in header()  # approved, not yet ordered: still worth saying
    vendor = shop.vendor("Acme")
    _rfq, order = shop.rfq(pr, [(vendor, "1")], award=vendor)
    orders.issue(order, actor=shop.buyer)
    db.session.commit()
    shown = header()
    assert 'data-status="ordered"' in shown and "Over budget" not in shown
    assert f"— {order.number} issued, nothing received yet" in shown

    def receive(*quantities):
        orders.receive(
            order,
            [
                orders.ReceiptLineData(line_id=line.id, quantity=Decimal(quantity))
                for line, quantity in zip(order.lines, quantities, strict=True)
                if Decimal(quantity)
            ],
            received_on=None,
            actor=shop.buyer,
        )
        db.session.commit()

    receive("3", "0")
    assert f"— {order.number} partially received (3 of 5)" in header()
    receive("0", "2")
    shown = header()
    assert f"— {order.number} received in full on {format_date(utcnow().date())}" in shown
    assert "Over budget" not in shown
