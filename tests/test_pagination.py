"""List pages: keyset pages (?after= / ?before=) walk the whole list both ways without
a gap or a repeat, keep the filters, survive stale links, and stop counting early."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import pagination
from procure.models import PurchaseRequest
from procure.purchasing import services as purchasing

from .factories import PASSWORD
from .vendor_support import counting_queries

NUMBER = re.compile(r"PR-\d{4}-\d{5}")


@pytest.fixture
def requests_60(make, db):
    requester = make.user(["requester"], department="IT")
    make.user(["approver"], department="IT")
    numbers = []
    for n in range(60):
        pr = purchasing.create_request(
            purchasing.RequestData(
                title=f"Item {n}",
                lines=[
                    purchasing.LineData(
                        description="Cable", quantity=Decimal(1), unit_price=Decimal("9.00")
                    )
                ],
            ),
            actor=requester,
        )
        if n % 2:
            purchasing.submit(pr, actor=requester)
        numbers.append(pr.number)
    db.session.commit()
    return requester, numbers


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a class="page-link" href="([^"#]+)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def signed_in(new_client, user):
    client = new_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def walk(client, start: str, rel: str) -> tuple[list[list[str]], list[str]]:
    """Follow ``rel`` links from ``start``: the request numbers of each page, the URLs."""
    pages, urls, url = [], [], start
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        pages.append(list(dict.fromkeys(NUMBER.findall(page))))
        urls.append(url)
        url = link(page, rel)
        assert len(urls) < 10, "the pages do not end"
    return pages, urls


def test_next_links_walk_every_request_once_newest_first(requests_60, new_client):
    requester, numbers = requests_60
    client = signed_in(new_client, requester)
    pages, urls = walk(client, "/requests", "next")
    assert [len(p) for p in pages] == [25, 25, 10]
    assert sum(pages, []) == list(reversed(numbers))
    assert all("after=" in url for url in urls[1:])
    last = client.get(urls[-1]).get_data(as_text=True)
    assert "60 in all · page 3 of 3" in last


def test_previous_links_walk_back_to_the_first_page(requests_60, new_client):
    requester, numbers = requests_60
    client = signed_in(new_client, requester)
    forward, urls = walk(client, "/requests", "next")
    backward, back_urls = walk(client, urls[-1], "prev")
    assert backward == list(reversed(forward))
    assert back_urls[-1] == "/requests"  # the first page has no cursor


def test_the_status_filter_is_kept_from_page_to_page(requests_60, new_client):
    requester, numbers = requests_60
    client = signed_in(new_client, requester)
    pages, urls = walk(client, "/requests?status=pending_approval", "next")
    assert sum(pages, []) == list(reversed(numbers[1::2]))
    assert all("status=pending_approval" in url for url in urls)


def test_a_stale_cursor_shows_an_empty_page_with_a_way_back(requests_60, new_client, db):
    requester, _numbers = requests_60
    client = signed_in(new_client, requester)
    page = client.get("/requests?after=1&page=9").get_data(as_text=True)
    assert not NUMBER.findall(page.split("<main", 1)[1])
    back = link(page, "prev")
    assert back is not None and "before=1" in back
    assert len(set(NUMBER.findall(client.get(back).get_data(as_text=True)))) == 25


@pytest.mark.parametrize(
    "junk", ["after=abc", "after=-5", "before=99999999999999999999999", "page=0"]
)
def test_junk_cursors_show_the_first_page(requests_60, new_client, junk):
    requester, numbers = requests_60
    client = signed_in(new_client, requester)
    answer = client.get(f"/requests?{junk}")
    assert answer.status_code == 200
    assert NUMBER.findall(answer.get_data(as_text=True))[0] == numbers[-1]


def test_the_count_stops_early_on_long_lists(requests_60, new_client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 40)
    requester, numbers = requests_60
    client = signed_in(new_client, requester)
    pages, urls = walk(client, "/requests", "next")
    assert sum(pages, []) == list(reversed(numbers))  # every row is still reachable
    first = client.get("/requests").get_data(as_text=True)
    assert "40+ in all · page 1<" in first


def test_a_capped_list_paged_by_number_ends_at_its_last_row(
    requests_60, make, new_client, monkeypatch
):
    """The inbox pages by number and counts no further than its limit: past the count,
    the page that comes up short is the last, with no "Next" to an empty page."""
    from procure.purchasing.services import queries

    monkeypatch.setattr(queries, "INBOX_COUNT_LIMIT", 10)
    _requester, numbers = requests_60
    client = signed_in(new_client, make.user(["approver"], department="IT"))
    pages, urls = walk(client, "/approvals", "next")
    assert [len(numbers_on) for numbers_on in pages] == [25, 5]
    assert sorted(sum(pages, [])) == sorted(numbers[1::2])  # the 30 submitted
    assert "10+ in all · page 2<" in client.get(urls[-1]).get_data(as_text=True)


def test_a_deep_page_costs_the_queries_of_the_first(requests_60, new_client):
    requester, _numbers = requests_60
    client = signed_in(new_client, requester)
    _pages, urls = walk(client, "/requests", "next")
    costs = []
    for url in (urls[0], urls[-1]):
        client.get(url)
        with counting_queries() as calls:
            client.get(url)
        costs.append(len(calls))
    assert costs[0] == costs[1]


def test_old_page_links_still_work(requests_60, new_client):
    requester, numbers = requests_60
    client = signed_in(new_client, requester)
    page = client.get("/requests?page=2").get_data(as_text=True)
    assert list(dict.fromkeys(NUMBER.findall(page))) == list(reversed(numbers))[25:50]
    assert "page 2 of 3" in page


def test_a_count_through_indexes_counts_the_same_and_then_scans_again(requests_60, db):
    """A search's count may be kept off table scans (``by_index``): the same figures,
    and on PostgreSQL the setting is back as it was for the rest of the transaction."""
    query = sa.select(PurchaseRequest).where(PurchaseRequest.title.ilike("%item 1%"))

    # "Item 1" and "Item 10" to "Item 19".
    assert pagination.bounded_count(query, 100, by_index=True) == (11, False)
    assert pagination.bounded_count(query, 5, by_index=True) == (5, True)
    assert pagination.bounded_count(query, 5) == (5, True)
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(sa.text("SHOW enable_seqscan")) == "on"
