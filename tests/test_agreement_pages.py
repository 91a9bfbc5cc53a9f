"""The pages of framework agreements and the catalogue: who sees what, and what they
show."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from procure.models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    PurchaseOrder,
    PurchaseRequest,
)

from . import agreement_support as support

TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "finance": make.user(["finance"], department="FIN"),
        "admin": make.user(["admin"], department="ADM"),
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
    }


def agreement(
    make, db, buyer, *, status=AgreementStatus.ACTIVE, number="AG-2026-0001", vendor=None
):
    """An agreement row as the services would leave it (status set directly)."""
    made = Agreement(
        number=number,
        vendor_id=(
            vendor or make.vendor("Northwind <Traders>" if number.endswith("1") else None)
        ).id,
        title="Laptops & docks",
        status=status,
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=335),
        currency="USD",
        ceiling=Decimal("100000.00"),
        consumed=Decimal("25000.00"),
        created_by_id=buyer.id,
        items=[
            AgreementItem(
                position=1,
                description="Laptop 14in",
                category="hardware",
                unit="each",
                unit_price=Decimal("1250.00"),
                max_quantity=Decimal("50"),
                ordered=Decimal("20"),
            ),
            AgreementItem(
                position=2,
                description="USB-C dock",
                category="accessories",
                unit="each",
                unit_price=Decimal("180.00"),
            ),
        ],
    )
    db.session.add(made)
    db.session.commit()
    return made


@pytest.mark.parametrize("who", ["buyer", "finance", "admin"])
def test_readers_see_the_list_and_the_page(client, auth, make, db, people, who):
    made = agreement(make, db, people["buyer"])
    auth.login(people[who].email)
    listing = client.get("/agreements")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert made.number in text and "Northwind &lt;Traders&gt;" in text
    page = client.get(f"/agreements/{made.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Laptop 14in" in text and "USB-C dock" in text
    assert "30 of 50" in text  # remaining of the laptop's maximum
    assert "rate only" in text  # the dock has no maximum
    assert "25%" in text  # consumed of the ceiling
    assert "Laptops &amp; docks" in text


@pytest.mark.parametrize("who", ["requester", "approver"])
def test_others_may_not_read_agreements(client, auth, make, db, people, who):
    made = agreement(make, db, people["buyer"])
    auth.login(people[who].email)
    assert client.get("/agreements").status_code == 403
    assert client.get(f"/agreements/{made.id}").status_code == 404


def test_unknown_agreement_is_404(client, auth, people):
    auth.login(people["buyer"].email)
    assert client.get("/agreements/999999").status_code == 404


def test_list_filters_by_status(client, auth, make, db, people):
    active = agreement(make, db, people["buyer"])
    draft = agreement(
        make, db, people["buyer"], status=AgreementStatus.DRAFT, number="AG-2026-0002"
    )
    auth.login(people["buyer"].email)
    text = client.get("/agreements?status=draft").get_data(as_text=True)
    assert draft.number in text and active.number not in text
    assert client.get("/agreements?status=nonsense").status_code == 200


def test_catalogue_lists_active_items_for_everyone(client, auth, make, db, people):
    active = agreement(make, db, people["buyer"])
    agreement(make, db, people["buyer"], status=AgreementStatus.DRAFT, number="AG-2026-0002")
    auth.login(people["requester"].email)
    page = client.get("/catalogue")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<td>Laptop 14in") == 1  # the draft's items are not offered
    assert "Northwind &lt;Traders&gt;" in text
    assert f'name="item" value="{active.items[0].id}"' in text
    assert active.number not in text  # requesters do not read agreements


def test_catalogue_searches_by_text_and_category(client, auth, make, db, people):
    agreement(make, db, people["buyer"])
    auth.login(people["buyer"].email)
    text = client.get("/catalogue?q=dock").get_data(as_text=True)
    assert "USB-C dock" in text and "Laptop 14in" not in text
    text = client.get("/catalogue?category=hardware").get_data(as_text=True)
    assert "Laptop 14in" in text and "USB-C dock" not in text
    text = client.get("/catalogue?q=northwind").get_data(as_text=True)
    assert "Laptop 14in" in text and "USB-C dock" in text
    text = client.get("/catalogue?q=%25_").get_data(as_text=True)
    assert "No catalogue item matches." in text


def test_catalogue_needs_a_login(client):
    assert client.get("/catalogue").status_code in (302, 401)


def _count(db, model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _line(item_id, *, price="1250.00", quantity="5") -> dict[str, str]:
    return {
        "title": "Laptops for the new starters",
        "currency": "USD",
        "lines-0-description": "Laptop 14in",
        "lines-0-category": "hardware",
        "lines-0-quantity": quantity,
        "lines-0-unit": "each",
        "lines-0-unit_price": price,
        "lines-0-catalogue_item_id": str(item_id),
    }


def test_request_from_the_catalogue_starts_a_filled_form(client, auth, make, db, people):
    made = agreement(make, db, people["buyer"])
    laptop = made.items[0]
    auth.login(people["requester"].email)
    answer = client.get(f"/catalogue/request?item={laptop.id}&quantity=5")
    assert answer.status_code == 302
    assert f"/requests/new?item={laptop.id}&quantity=5" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'name="lines-0-catalogue_item_id" type="hidden" value="{laptop.id}"' in page
    assert 'name="lines-0-quantity" type="text" value="5"' in page
    assert re.search(r'name="lines-0-unit_price"[^>]*readonly[^>]*value="1250.00"', page)
    assert "Catalogue" in page


def test_a_catalogue_request_keeps_the_item_and_its_price(client, auth, make, db, people):
    made = agreement(make, db, people["buyer"])
    laptop = made.items[0]
    auth.login(people["requester"].email)
    answer = client.post("/requests/new", data=_line(laptop.id))
    assert answer.status_code == 302
    pr = db.session.scalar(db.select(PurchaseRequest))
    assert pr.lines[0].catalogue_item_id == laptop.id
    assert pr.lines[0].unit_price == Decimal("1250.00")
    assert pr.total == Decimal("6250.00")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"lines-0-unit_price": "999.00"}, "lines-0-unit_price", "agreed price"),
        ({"lines-0-catalogue_item_id": "abc"}, "lines-0-catalogue_item_id", "no such"),
        ({"lines-0-catalogue_item_id": "999999"}, "lines-0-catalogue_item_id", "no such"),
    ],
)
def test_a_wrong_catalogue_line_is_said_beside_it(
    client, auth, make, db, people, change, field, message
):
    made = agreement(make, db, people["buyer"])
    auth.login(people["requester"].email)
    answer = client.post("/requests/new", data={**_line(made.items[0].id), **change})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f'id="{field}-errors"' in page
    assert message in page.lower()
    assert _count(db, PurchaseRequest) == 0


def test_an_item_of_an_agreement_not_active_cannot_be_requested(client, auth, make, db, people):
    made = agreement(make, db, people["buyer"], status=AgreementStatus.CLOSED)
    auth.login(people["requester"].email)
    page = client.get(f"/requests/new?item={made.items[0].id}").get_data(as_text=True)
    assert "cannot be ordered now" in page
    answer = client.post("/requests/new", data=_line(made.items[0].id))
    assert answer.status_code == 422
    assert 'id="lines-0-catalogue_item_id-errors"' in answer.get_data(as_text=True)
    assert _count(db, PurchaseRequest) == 0


def test_more_items_go_to_the_same_draft(client, auth, make, db, people):
    made = agreement(make, db, people["buyer"])
    laptop, dock = made.items
    auth.login(people["requester"].email)
    client.post("/requests/new", data=_line(laptop.id))
    pr = db.session.scalar(db.select(PurchaseRequest))
    catalogue = client.get("/catalogue").get_data(as_text=True)
    assert f'<option value="{pr.id}">{pr.number}' in catalogue
    answer = client.get(f"/catalogue/request?item={dock.id}&quantity=5&to={pr.id}")
    assert f"/requests/{pr.id}/edit?" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'name="lines-1-catalogue_item_id" type="hidden" value="{dock.id}"' in page
    assert 'value="USB-C dock"' in page and 'value="Laptop 14in"' in page


def _new_form(vendor, **change) -> dict[str, str]:
    data = {
        "vendor_id": str(vendor),
        "title": "Laptops 2027",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
        "currency": "USD",
        "ceiling": "50000.00",
        "rfq_id": "",
        "terms": "Delivery within 10 days.",
        "items-0-description": "Laptop 14in",
        "items-0-category": "hardware",
        "items-0-unit": "each",
        "items-0-unit_price": "1250.00",
        "items-0-max_quantity": "50",
    }
    data.update(change)
    return data


def test_procurement_drafts_an_agreement_and_activates_it(client, auth, make, db, people):
    vendor = make.vendor("Contoso")
    auth.login(people["buyer"].email)
    assert 'href="/agreements/new"' in client.get("/agreements").get_data(as_text=True)
    form = client.get("/agreements/new").get_data(as_text=True)
    assert 'name="items-0-max_quantity"' in form
    data = _new_form(vendor.id, **{"items-1-description": "Dock", "items-1-unit_price": "180"})
    answer = client.post("/agreements/new", data=data)
    assert answer.status_code == 302
    made = db.session.scalar(db.select(Agreement))
    assert made.status is AgreementStatus.DRAFT
    assert [i.description for i in made.items] == ["Laptop 14in", "Dock"]
    assert made.items[1].max_quantity is None and made.ceiling == Decimal("50000.00")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Activate" in page
    answer = client.post(f"/agreements/{made.id}/activate", data={"version": str(made.version)})
    assert answer.status_code == 302
    db.session.refresh(made)
    assert made.status is AgreementStatus.ACTIVE
    assert "Call off for a request" in client.get(f"/agreements/{made.id}").get_data(as_text=True)
    client.post(f"/agreements/{made.id}/close", data={"version": str(made.version)})
    db.session.refresh(made)
    assert made.status is AgreementStatus.CLOSED


def test_rows_are_added_and_removed_without_javascript(client, auth, make, people):
    vendor = make.vendor("Contoso")
    auth.login(people["buyer"].email)
    page = client.post("/agreements/new", data=_new_form(vendor.id, add_item="Add a row"))
    assert 'name="items-1-description"' in page.get_data(as_text=True)
    data = _new_form(vendor.id, **{"items-1-description": "Dock", "remove_item": "0"})
    page = client.post("/agreements/new", data=data).get_data(as_text=True)
    assert 'value="Laptop 14in"' not in page and 'value="Dock"' in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"vendor_id": ""}, "vendor_id"),
        ({"end_date": (TODAY - dt.timedelta(days=1)).isoformat()}, "end_date"),
        ({"ceiling": "12.345"}, "ceiling"),
        ({"ceiling": "0"}, "ceiling"),
        ({"rfq_id": "RFQ-1999-0001"}, "rfq_id"),
        ({"items-0-unit_price": "abc"}, "items-0-unit_price"),
        ({"items-0-unit_price": ""}, "items-0-unit_price"),
        ({"items-0-max_quantity": "-3"}, "items-0-max_quantity"),
        ({"items-0-description": ""}, "items-0-description"),
    ],
)
def test_bad_input_is_said_beside_its_field(client, auth, make, db, people, change, field):
    vendor = make.vendor("Contoso")
    auth.login(people["buyer"].email)
    answer = client.post("/agreements/new", data=_new_form(vendor.id, **change))
    assert answer.status_code == 422
    assert f'id="{field}-errors"' in answer.get_data(as_text=True)
    assert _count(db, Agreement) == 0


@pytest.mark.parametrize("who", ["finance", "admin", "requester"])
def test_only_procurement_changes_agreements(client, auth, make, db, people, who):
    made = agreement(make, db, people["buyer"], status=AgreementStatus.DRAFT)
    auth.login(people[who].email)
    assert client.get("/agreements/new").status_code == 403
    assert client.post("/agreements/new", data=_new_form(made.vendor_id)).status_code == 403
    answer = client.post(f"/agreements/{made.id}/activate", data={"version": "1"})
    assert answer.status_code in (403, 404)
    answer = client.post(f"/agreements/{made.id}/call-off", data={"request_number": "PR-1"})
    assert answer.status_code in (403, 404)
    db.session.refresh(made)
    assert made.status is AgreementStatus.DRAFT
    if who != "requester":
        assert "Call off for a request" not in client.get(f"/agreements/{made.id}").get_data(
            as_text=True
        )


def test_call_off_by_request_number(client, auth, make, db, people):
    made = support.agreement(make, people["buyer"], items=(("Laptop 14in", "1250.00", "50"),))
    pr = support.catalogue_request(
        make, people["requester"], people["approver"], [(made.items[0], "5")]
    )
    db.session.commit()
    auth.login(people["buyer"].email)
    answer = client.post(
        f"/agreements/{made.id}/call-off", data={"request_number": pr.number.lower()}
    )
    assert answer.status_code == 302
    order = db.session.scalar(
        db.select(PurchaseOrder).where(PurchaseOrder.agreement_id == made.id)
    )
    assert f"/orders/{order.id}" in answer.headers["Location"]
    page = client.get(f"/agreements/{made.id}").get_data(as_text=True)
    assert "45 of 50" in page and "Draft #" in page
    # A second call-off for the same request is refused and said on the page.
    answer = client.post(
        f"/agreements/{made.id}/call-off",
        data={"request_number": pr.number},
        follow_redirects=True,
    )
    assert "already has a call-off order" in answer.get_data(as_text=True)
    assert _count(db, PurchaseOrder) == 1


@pytest.mark.parametrize(("number", "message"), [("", "Give an approved"), ("PR-0", "no such")])
def test_call_off_needs_a_request(client, auth, make, db, people, number, message):
    made = support.agreement(make, people["buyer"])
    db.session.commit()
    auth.login(people["buyer"].email)
    answer = client.post(f"/agreements/{made.id}/call-off", data={"request_number": number})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="request_number-errors"' in page and message in page
    assert _count(db, PurchaseOrder) == 0


def test_an_approved_catalogue_request_offers_procurement_the_call_off(
    client, auth, make, db, people
):
    made = support.agreement(make, people["buyer"], items=(("Laptop 14in", "1250.00", "50"),))
    pr = support.catalogue_request(
        make, people["requester"], people["approver"], [(made.items[0], "5")]
    )
    db.session.commit()
    auth.login(people["requester"].email)
    assert "Call off from" not in client.get(f"/requests/{pr.id}").get_data(as_text=True)
    auth.logout()
    auth.login(people["buyer"].email)
    page = client.get(f"/requests/{pr.id}").get_data(as_text=True)
    assert f"Call off from {made.number}" in page
    answer = client.post(f"/agreements/{made.id}/call-off", data={"request_id": str(pr.id)})
    assert answer.status_code == 302
    order = db.session.scalar(db.select(PurchaseOrder))
    assert order.agreement_id == made.id and order.total == Decimal("6250.00")
    assert "Call off from" not in client.get(f"/requests/{pr.id}").get_data(as_text=True)


def test_a_request_not_all_from_the_catalogue_offers_no_call_off(client, auth, make, db, people):
    support.agreement(make, people["buyer"])
    pr = make.approved_request(people["requester"], people["approver"])
    auth.login(people["buyer"].email)
    assert "Call off from" not in client.get(f"/requests/{pr.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/agreements/99999999999",
        "/requests/new?item=99999999999&quantity=1e400",
        "/catalogue/request?item=1&to=99999999999",
    ],
)
def test_huge_numbers_are_not_found_not_errors(client, auth, people, path):
    auth.login(people["buyer"].email if "agreements" in path else people["requester"].email)
    answer = client.get(path, follow_redirects=True)
    assert answer.status_code in (200, 404)


def test_an_agreement_past_its_end_date_leaves_the_catalogue(client, auth, make, db, people):
    made = agreement(make, db, people["buyer"])
    made.end_date = made.start_date = TODAY - dt.timedelta(days=1)
    db.session.commit()
    auth.login(people["requester"].email)
    assert "No catalogue item matches." in client.get("/catalogue").get_data(as_text=True)
    page = client.get(f"/requests/new?item={made.items[0].id}").get_data(as_text=True)
    assert "cannot be ordered now" in page
