"""The pages of framework agreements and the catalogue: who sees what, and what they
show."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from procure.models import Agreement, AgreementItem, AgreementStatus, PurchaseRequest

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
