"""Each role's home page shows what needs them, and every tile links to the list
behind it, which shows the same documents."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from procure import reference
from procure.budgets import services as budgets
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from .factories import PASSWORD
from .test_query_counts import World


@pytest.fixture
def world(make, db) -> World:
    world = World(make, db)
    world.grow(2)
    # One order issued (awaiting receipt), one approved request left unsourced.
    orders.issue(world.orders[0], actor=world.buyer)
    world.unsourced = make.approved_request(world.requester, world.approver)
    budgets.create(
        budgets.BudgetData(
            department="IT", fiscal_year=reference.current_fiscal_year(), amount=Decimal("9000")
        ),
        actor=None,
    )
    db.session.commit()
    return world


def home(new_client, user):
    client = new_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    answer = client.get("/")
    assert answer.status_code == 200
    return client, answer.get_data(as_text=True)


def tile(page: str, name: str) -> str:
    found = re.search(rf'data-tile="{name}">(.*?)</div></div>', page, re.S)
    assert found, f"no {name} tile"
    return found.group(1)


def link_in(html: str, label: str) -> str:
    found = re.search(rf'href="([^"]+)">{label}', html)
    assert found, f"no link {label!r}"
    return found.group(1).replace("&amp;", "&")


def test_the_requester_sees_their_requests_and_what_waits(world, new_client):
    client, page = home(new_client, world.requester)
    waiting = tile(page, "waiting")
    assert all(pr.number in waiting for pr in world.pending)
    behind = client.get(link_in(waiting, r"All \(2\)")).get_data(as_text=True)
    assert all(pr.number in behind for pr in world.pending)
    mine = tile(page, "mine")
    assert "/requests?status=pending_approval&amp;mine=1" in mine
    for absent in ("inbox", "to-source", "budgets"):
        assert f'data-tile="{absent}"' not in page


def test_the_approver_sees_the_inbox_and_delegations(world, new_client, make, db):
    from procure import delegation

    stand_in = make.user(["approver"], department="IT", name="Stella Standin")
    delegation.create(
        world.approver,
        stand_in,
        starts_on=dt.date.today(),
        ends_on=dt.date.today() + dt.timedelta(days=5),
        actor=world.approver,
    )
    db.session.commit()
    client, page = home(new_client, world.approver)
    inbox = tile(page, "inbox")
    assert all(pr.number in inbox for pr in world.pending)
    assert "Stella Standin stands in for you" in tile(page, "delegations")
    behind = client.get(link_in(inbox, r"Open your inbox \(2\)")).get_data(as_text=True)
    assert all(pr.number in behind for pr in world.pending)


def test_a_backlog_past_the_inbox_count_limit_is_shown_as_more(world, new_client, monkeypatch):
    """The inbox counts no further than ``INBOX_COUNT_LIMIT`` (a thousand): beyond, the
    dashboard and the inbox page say "1,000+". Two waiting requests against a limit of
    one show the same."""
    from procure.purchasing.services import queries

    monkeypatch.setattr(queries, "INBOX_COUNT_LIMIT", 1)
    client, page = home(new_client, world.approver)
    inbox = tile(page, "inbox")
    behind = client.get(link_in(inbox, r"Open your inbox \(1\+\)")).get_data(as_text=True)
    assert "1+ in all" in behind
    assert all(pr.number in behind for pr in world.pending)


def test_procurement_sees_what_to_source_quotes_due_and_goods_to_receive(world, new_client, db):
    # An RFQ due in 3 days, open.
    pr = world.make.approved_request(world.requester, world.approver)
    rfq = sourcing.create_rfq(
        sourcing.RfqData(
            request_id=pr.id,
            vendor_ids=[world.vendors[0].id],
            due_date=dt.date.today() + dt.timedelta(days=3),
        ),
        actor=world.buyer,
    )
    sourcing.send(rfq, actor=world.buyer)
    db.session.commit()
    client, page = home(new_client, world.buyer)
    to_source = tile(page, "to-source")
    assert world.unsourced.number in to_source
    behind = client.get(link_in(to_source, r"All \(1\)")).get_data(as_text=True)
    assert world.unsourced.number in behind.split('id="awaiting-sourcing"')[1]
    assert rfq.number in tile(page, "rfqs-due")
    receipts = tile(page, "receipts")
    issued = world.orders[0]
    assert issued.number in receipts and world.orders[1].number is None
    behind = client.get(link_in(receipts, r"All \(1\)")).get_data(as_text=True)
    assert issued.number in behind and "Draft #" not in behind
    contracts = tile(page, "contracts")
    assert world.contracts[0].number in contracts


def test_finance_sees_department_budgets_with_bars(world, new_client):
    client, page = home(new_client, world.finance)
    board = tile(page, "budgets")
    it_row = board.split(">IT</a>")[1].split("</tr>")[0]
    assert "$9,000.00" in it_row and 'class="budget-bar"' in it_row
    # The IT department's pending and approved requests are committed estimates.
    assert "Spent" in board and 'aria-label="Spent' in it_row
    assert client.get(link_in(board, "All budgets")).status_code == 200


def test_admin_sees_the_budgets_and_no_personal_tiles(make, new_client):
    admin = make.user(["admin"], department="ADM")
    _client, page = home(new_client, admin)
    assert re.findall(r'data-tile="([\w-]+)"', page) == ["budgets"]
    assert "No department budget is set for this year." in page
