"""The order's pages after issue: revising it (down at once, up through the request's
approvers), sending goods back, reversing a wrong receipt, the revision tolerance on
/admin/orders, and what the order, request and vendor pages show of them. Bad input
shows beside its field with 422 and stores nothing; only procurement opens the forms."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import settings
from procure.models import AuditEvent, OrderStatus, RevisionStatus
from procure.orders import returns, revisions, tolerances
from procure.orders import services as orders

from . import checkers, invoice_support
from .documents import issued_order
from .pages import field_errors, flashes, text
from .vendor_support import signed_in

D = Decimal


@pytest.fixture
def world(make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(make, buyer=buyer)  # 2 × Laptop 1,000 + 3 × Dock 150 = 2,450.00
    approver_id = db.session.scalar(
        sa.select(AuditEvent.actor_id).where(
            AuditEvent.entity == "request",
            AuditEvent.entity_id == order.request_id,
            AuditEvent.action == "approve",
        )
    )
    laptops, docks = sorted(order.lines, key=lambda line: line.position)
    return {
        "order": order,
        "buyer": buyer,
        "approver": db.session.get(type(buyer), approver_id),
        "laptops": laptops,
        "docks": docks,
    }


def _events(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def _revise_form(order, **changes: str) -> dict[str, str]:
    """The revision form as the page fills it, with ``changes`` typed over it."""
    data = {
        "version": str(order.version),
        "shipping": str(order.shipping),
        "tax": str(order.tax),
        "needed_by": order.needed_by.isoformat() if order.needed_by else "",
        "delivery_address": order.delivery_address,
        "payment_terms": order.payment_terms,
        "terms": order.terms,
        "reason": "",
    }
    for line in order.lines:
        data[f"line-{line.id}-description"] = line.description
        data[f"line-{line.id}-quantity"] = f"{line.quantity.normalize():f}"
        data[f"line-{line.id}-unit_price"] = str(line.unit_price)
    data.update(changes)
    return data


def _receive_all(order, buyer, db):
    receipt = orders.receive(
        order,
        [orders.ReceiptLineData(line.id, line.quantity) for line in order.lines],
        received_on=None,
        actor=buyer,
    )
    db.session.commit()
    return receipt


# Revising ----------------------------------------------------------------------------------


def test_the_revise_form_shows_every_line_new_rows_and_the_order_terms(app, world):
    order, laptops = world["order"], world["laptops"]
    client = signed_in(app, world["buyer"])
    page = client.get(f"/orders/{order.id}")
    assert f'href="/orders/{order.id}/revise"' in page.get_data(as_text=True)
    form = client.get(f"/orders/{order.id}/revise")
    assert form.status_code == 200
    body = form.get_data(as_text=True)
    assert f'name="line-{laptops.id}-quantity"' in body and 'value="2"' in body
    assert f'name="line-{laptops.id}-unit_price"' in body and 'value="1000.00"' in body
    for row in (1, 2, 3):
        assert f'name="new-{row}-description"' in body
    for name in ("shipping", "tax", "needed_by", "delivery_address", "payment_terms", "terms"):
        assert f'name="{name}"' in body
    assert 'name="reason"' in body and 'name="csrf_token"' in body


def test_a_revision_down_is_issued_and_both_pdfs_download(app, world, db):
    order, docks = world["order"], world["docks"]
    first_sha = order.pdf_sha256
    client = signed_in(app, world["buyer"])
    response = client.post(
        f"/orders/{order.id}/revise",
        data=_revise_form(
            order, **{f"line-{docks.id}-quantity": "2", "reason": "Only two docks <in stock>."}
        ),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"{order.number} rev 1 is issued and sent to the vendor." in flashes(response)
    db.session.refresh(order)
    assert order.revision == 1 and order.total == D("2300.00")
    shown = text(response)
    assert "Revisions" in shown and "Rev 1" in shown and "Line 2 quantity 3 → 2" in shown
    assert "Only two docks &lt;in stock&gt;." in response.get_data(as_text=True)  # escaped
    for number, sha in ((0, first_sha), (1, order.pdf_sha256)):
        pdf = client.get(f"/orders/{order.id}/pdf?revision={number}")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert hashlib.sha256(pdf.data).hexdigest() == sha
        assert pdf.headers["ETag"] == f'"{sha}"'
    assert "-rev1.pdf" in client.get(f"/orders/{order.id}/pdf").headers["Content-Disposition"]
    for bad in ("7", "abc", "-1", "99999999999"):
        missing = client.get(f"/orders/{order.id}/pdf?revision={bad}")
        assert missing.status_code == 404, bad
        assert missing.mimetype == "text/html"


@pytest.mark.parametrize(
    "typed, field",
    [
        ({"reason": ""}, "reason"),
        ({"line-L-quantity": "-1"}, "line-L-quantity"),
        ({"line-L-quantity": "lots"}, "line-L-quantity"),
        ({"line-L-unit_price": "1.001"}, "line-L-unit_price"),
        ({"line-L-description": " "}, "line-L-description"),
        ({"new-1-quantity": "1", "new-1-unit_price": "10.00"}, "new-1-description"),
        ({"new-2-description": "Mouse", "new-2-unit_price": "10.00"}, "new-2-quantity"),
        ({"shipping": "-5"}, "shipping"),
        ({"needed_by": "2001-01-01"}, "needed_by"),
        ({"payment_terms": "x" * 201}, "payment_terms"),
    ],
)
def test_bad_revisions_show_beside_their_fields_and_store_nothing(app, world, db, typed, field):
    order, laptops = world["order"], world["laptops"]
    typed = {key.replace("-L-", f"-{laptops.id}-"): value for key, value in typed.items()}
    field = field.replace("-L-", f"-{laptops.id}-")
    typed.setdefault("reason", "Because.")
    if field != "line-L-description" and "shipping" not in typed:
        typed.setdefault("shipping", "10.00")  # something changes besides the bad field
    before = _events(db)
    client = signed_in(app, world["buyer"])
    response = client.post(f"/orders/{order.id}/revise", data=_revise_form(order, **typed))
    assert response.status_code == 422
    assert field_errors(response, field), text(response)
    db.session.expire_all()
    assert order.revision == 0 and len(order.revisions) == 1
    assert order.shipping == D("0.00")
    assert _events(db) == before


def test_a_revision_that_changes_nothing_is_refused_above_the_form(app, world):
    order = world["order"]
    client = signed_in(app, world["buyer"])
    response = client.post(f"/orders/{order.id}/revise", data=_revise_form(order, reason="No."))
    assert response.status_code == 422
    assert "Nothing changes" in text(response)


def test_a_received_line_cannot_be_removed_and_the_error_is_on_its_row(app, world, db):
    order, buyer, laptops = world["order"], world["buyer"], world["laptops"]
    orders.receive(
        order, [orders.ReceiptLineData(laptops.id, D("1"))], received_on=None, actor=buyer
    )
    db.session.commit()
    client = signed_in(app, buyer)
    response = client.post(
        f"/orders/{order.id}/revise",
        data=_revise_form(order, **{f"line-{laptops.id}-quantity": "0", "reason": "Drop it"}),
    )
    assert response.status_code == 422
    assert "has receipts" in " ".join(field_errors(response, f"line-{laptops.id}-quantity"))


def test_a_new_line_and_a_removed_line_in_one_revision(app, world, db):
    order, docks = world["order"], world["docks"]
    client = signed_in(app, world["buyer"])
    response = client.post(
        f"/orders/{order.id}/revise",
        data=_revise_form(
            order,
            **{
                f"line-{docks.id}-quantity": "0",
                "new-1-description": "USB-C hub",
                "new-1-quantity": "3",
                "new-1-unit": "box",
                "new-1-unit_price": "120.00",
                "reason": "Hubs instead of docks.",
            },
        ),
    )
    assert response.status_code == 302
    db.session.refresh(order)
    assert [(line.description, line.unit) for line in order.lines] == [
        ("Laptop", "each"),
        ("USB-C hub", "box"),
    ]
    assert order.total == D("2360.00")


def test_an_increase_beyond_the_tolerance_waits_and_the_request_says_so(app, world, db):
    order, laptops = world["order"], world["laptops"]
    client = signed_in(app, world["buyer"])
    response = client.post(
        f"/orders/{order.id}/revise",
        data=_revise_form(
            order, **{f"line-{laptops.id}-quantity": "4", "reason": "Two new starters."}
        ),
        follow_redirects=True,
    )
    assert any("waits for approval of the increase of $2,000.00" in f for f in flashes(response))
    shown = text(response)
    assert "Revision waits for approval of an increase of $2,000.00" in shown
    assert "Line 1 quantity 2 → 4" in shown and order.request.number in shown
    assert f'href="/orders/{order.id}/revise"' not in response.get_data(as_text=True)
    assert client.get(f"/orders/{order.id}/revise").status_code == 409

    approver = signed_in(app, world["approver"])
    inbox = text(approver.get("/approvals"))
    assert order.request.number in inbox and "Increase of its order" in inbox
    request_page = approver.get(f"/requests/{order.request_id}")
    said = text(request_page)
    assert "These steps approve an increase of $2,000.00 on " + order.number in said
    assert f'href="/orders/{order.id}"' in request_page.get_data(as_text=True)
    # An increase is approved or rejected; it does not go back to the requester.
    assert "Return for changes" not in said and "Reject" in said
    approved = approver.post(
        f"/requests/{order.request_id}/approve",
        data={"version": str(order.request.version), "comment": ""},
    )
    assert approved.status_code in (302, 303)
    db.session.expire_all()
    assert order.revision == 1 and revisions.issued(order)[-1].status == RevisionStatus.ISSUED
    assert "Approved: issued as " + order.number + " rev 1" in text(
        approver.get(f"/requests/{order.request_id}")
    )


# Returns and reversals ---------------------------------------------------------------------


def test_goods_go_back_on_the_return_form(app, world, db):
    order, buyer, laptops = world["order"], world["buyer"], world["laptops"]
    _receive_all(order, buyer, db)
    client = signed_in(app, buyer)
    assert f'href="/orders/{order.id}/return"' in client.get(f"/orders/{order.id}").get_data(
        as_text=True
    )
    form = client.get(f"/orders/{order.id}/return")
    assert form.status_code == 200 and f'name="line-{laptops.id}"' in form.get_data(as_text=True)
    before = _events(db)
    too_many = client.post(
        f"/orders/{order.id}/return",
        data={f"line-{laptops.id}": "3", "reason": "Broken", "version": str(order.version)},
    )
    assert too_many.status_code == 422
    assert "no more can go back" in " ".join(field_errors(too_many, f"line-{laptops.id}"))
    no_reason = client.post(
        f"/orders/{order.id}/return",
        data={f"line-{laptops.id}": "1", "reason": " ", "version": str(order.version)},
    )
    assert no_reason.status_code == 422 and field_errors(no_reason, "reason")
    future = client.post(
        f"/orders/{order.id}/return",
        data={f"line-{laptops.id}": "1", "reason": "x", "returned_on": "2999-01-01"},
    )
    assert future.status_code == 422 and field_errors(future, "returned_on")
    assert _events(db) == before
    done = client.post(
        f"/orders/{order.id}/return",
        data={
            f"line-{laptops.id}": "2",
            "reason": "Cracked screens <both>.",
            "rma": "RMA-7781",
            "version": str(order.version),
        },
        follow_redirects=True,
    )
    assert "The return is recorded" in " ".join(flashes(done))
    shown = text(done)
    assert "Returns to the vendor" in shown and "RMA-7781" in shown
    assert "2 × Laptop" in shown.split("Returns to the vendor", 1)[1]
    assert "Cracked screens &lt;both&gt;." in done.get_data(as_text=True)
    db.session.expire_all()
    assert order.status == OrderStatus.PARTIALLY_RECEIVED and laptops.returned_quantity == 2

    vendor_page = text(client.get(f"/vendors/{order.vendor_id}"))
    assert "Returns 2 of 5 units (40.0%)" in vendor_page


def test_a_wrong_receipt_is_reversed_on_its_page(app, world, db):
    order, buyer = world["order"], world["buyer"]
    receipt = _receive_all(order, buyer, db)
    client = signed_in(app, buyer)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    url = f"/orders/{order.id}/receipts/{receipt.id}/reverse"
    assert f'href="{url}"' in page
    form = client.get(url)
    assert form.status_code == 200 and "2 × Laptop" in text(form)
    empty = client.post(url, data={"reason": "", "version": str(order.version)})
    assert empty.status_code == 422 and field_errors(empty, "reason")
    done = client.post(
        url, data={"reason": "Booked twice.", "version": str(order.version)}, follow_redirects=True
    )
    assert any("is reversed" in f for f in flashes(done))
    assert "Reversed on" in text(done) and "Booked twice." in text(done)
    db.session.expire_all()
    assert order.status == OrderStatus.ISSUED
    assert f'href="{url}"' not in done.get_data(as_text=True)
    again = client.post(url, data={"reason": "Again", "version": str(order.version)})
    assert again.status_code == 409 and "This receipt was reversed on" in text(again)
    assert client.get(url).status_code == 409
    assert client.get(f"/orders/{order.id}/receipts/999999/reverse").status_code == 404


def test_a_receipt_goods_of_which_went_back_cannot_be_reversed(app, world, db):
    order, buyer, laptops = world["order"], world["buyer"], world["laptops"]
    receipt = _receive_all(order, buyer, db)
    returns.record_return(
        order,
        [returns.ReturnLineData(laptops.id, D("1"))],
        returned_on=None,
        reason="Dead on arrival",
        actor=buyer,
    )
    db.session.commit()
    client = signed_in(app, buyer)
    url = f"/orders/{order.id}/receipts/{receipt.id}/reverse"
    assert "cannot be reversed now" in text(client.get(url))
    before = _events(db)
    refused = client.post(url, data={"reason": "Wrong", "version": str(order.version)})
    assert refused.status_code == 409
    assert "returned to the vendor since" in text(refused)
    assert _events(db) == before


# Who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["requester", "approver", "finance"])
def test_only_procurement_opens_the_forms(app, world, db, make, role):
    order, buyer = world["order"], world["buyer"]
    receipt = _receive_all(order, buyer, db)
    other = make.user([role], department="IT")
    client = signed_in(app, other)
    paths = [
        f"/orders/{order.id}/revise",
        f"/orders/{order.id}/return",
        f"/orders/{order.id}/receipts/{receipt.id}/reverse",
    ]
    for path in paths:
        assert client.get(path).status_code in (403, 404), path
        assert client.post(path, data={"reason": "x"}).status_code in (403, 404), path
    db.session.expire_all()
    assert order.revision == 0 and not order.returns and receipt.reversed_at is None


def test_a_draft_order_cannot_be_revised(app, make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(make, buyer=buyer)
    client = signed_in(app, buyer)
    assert client.get(f"/orders/{order.id}/return").status_code == 409  # nothing received


# The setting ---------------------------------------------------------------------------------


def test_admin_sets_the_revision_tolerance(app, make, db):
    admin = make.user(["admin"])
    client = signed_in(app, admin)
    page = client.get("/admin/orders")
    assert page.status_code == 200 and "Revision tolerance, percent" in text(page)
    assert 'value="5"' in page.get_data(as_text=True)
    bad = client.post("/admin/orders", data={"percent": "101", "amount": "ten"})
    assert bad.status_code == 422
    assert field_errors(bad, "percent") and field_errors(bad, "amount")
    assert tolerances.current().percent == D("5")
    saved = client.post("/admin/orders", data={"percent": "2.5", "amount": "250.00"})
    assert saved.status_code == 302
    settings.forget(db.session)  # the test's session read them before the page saved them
    assert tolerances.current() == tolerances.Tolerances(D("2.5"), D("250.00"))
    assert "Order revisions" in text(client.get("/admin/"))
    buyer = signed_in(app, make.user(["procurement"]))
    assert buyer.get("/admin/orders").status_code == 403
    assert buyer.post("/admin/orders", data={"percent": "1", "amount": "1"}).status_code == 403


# Valid HTML in every state -----------------------------------------------------------------


def test_the_pages_after_issue_pass_the_nu_html_checker(app, world, db, make, tmp_path):
    checkers.require_nu()
    order, buyer, laptops, docks = (world[k] for k in ("order", "buyer", "laptops", "docks"))
    client = signed_in(app, buyer)
    pages: dict[str, str] = {}

    def keep(name: str, response) -> None:
        pages[name] = response.get_data(as_text=True)

    keep("revise", client.get(f"/orders/{order.id}/revise"))
    keep(
        "revise-errors",
        client.post(
            f"/orders/{order.id}/revise",
            data=_revise_form(order, **{f"line-{laptops.id}-unit_price": "x", "new-1-unit": "y"}),
        ),
    )
    client.post(
        f"/orders/{order.id}/revise",
        data=_revise_form(order, **{f"line-{docks.id}-quantity": "2", "reason": "Fewer"}),
    )
    db.session.expire_all()
    client.post(
        f"/orders/{order.id}/revise",
        data=_revise_form(order, **{f"line-{laptops.id}-quantity": "4", "reason": "More"}),
    )
    keep("order-waiting", client.get(f"/orders/{order.id}"))
    keep(
        "request-increase", signed_in(app, world["approver"]).get(f"/requests/{order.request_id}")
    )
    orders.receive(
        order, [orders.ReceiptLineData(laptops.id, D("2"))], received_on=None, actor=buyer
    )
    dock = orders.receive(
        order, [orders.ReceiptLineData(docks.id, D("1"))], received_on=None, actor=buyer
    )
    db.session.commit()
    keep("return", client.get(f"/orders/{order.id}/return"))
    keep("return-errors", client.post(f"/orders/{order.id}/return", data={"reason": ""}))
    client.post(
        f"/orders/{order.id}/return",
        data={f"line-{laptops.id}": "1", "reason": "Broken", "rma": "R-1"},
    )
    reverse = f"/orders/{order.id}/receipts/{dock.id}/reverse"
    keep("reverse", client.get(reverse))
    keep("reverse-errors", client.post(reverse, data={"reason": ""}))
    client.post(reverse, data={"reason": "Wrong"})
    keep("reverse-done", client.get(reverse))
    keep("order-after", client.get(f"/orders/{order.id}"))
    first = order.receipts[0].id
    keep(
        "reverse-refused",
        client.post(f"/orders/{order.id}/receipts/{first}/reverse", data={"reason": "x"}),
    )
    keep("vendor", client.get(f"/vendors/{order.vendor_id}"))
    admin = signed_in(app, make.user(["admin"]))
    keep("admin-orders", admin.get("/admin/orders"))
    keep("admin-orders-errors", admin.post("/admin/orders", data={"percent": "x"}))
    assert "Revision waits for approval" in pages["order-waiting"]
    assert "These steps approve an increase" in pages["request-increase"]
    for said in ("Reversed on", "Returns to the vendor", "Rev 1", "Returned"):
        assert said in pages["order-after"], said
    assert "cannot be reversed" in pages["reverse-refused"]
    files = []
    for name, body in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(body, encoding="utf-8")
        files.append(path)
    errors = checkers.nu_errors(files)
    assert not errors, "\n".join(
        f"{e.path.name}:{e.line}: {e.message} {e.extract}" for e in errors
    )


def test_goods_returned_after_they_were_invoiced_expect_a_credit_note(app, make, db):
    people = invoice_support.People(make)
    order = invoice_support.issued_order(people, make.vendor(categories=("hardware",)))
    invoice_support.receive(order, people)
    invoice_support.approved(order, people, "INV-1", quantities=["2", "0"])
    laptops = next(line for line in order.lines if line.position == 1)
    db.session.commit()
    client = signed_in(app, people.buyer)
    assert "Credit note expected" not in text(client.get(f"/orders/{order.id}"))
    returns.record_return(
        order,
        [returns.ReturnLineData(laptops.id, D("1"))],
        returned_on=None,
        reason="Dead on arrival",
        actor=people.buyer,
    )
    db.session.commit()
    assert "Credit note expected: $1,000.00" in text(client.get(f"/orders/{order.id}"))
