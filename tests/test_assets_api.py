"""The asset register through the JSON API (API.md, "Assets and licences"): issue 22's
"Done when" as a CMDB client drives it — three laptops received with their serials
become assets with the quote's warranty, one is deployed and later retired, a support
contract covers two and `uncovered=1` finds the third, fifty seats are assigned and the
51st refused, the CSV exports and the label sheet —, every bad input refused with
nothing stored, and who may. Runs on either database (``--db postgres``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from procure.models import Asset, AssetStatus, AuditEvent, Licence, Receipt
from procure.reference import add_months
from tests.documents import issued_order

TODAY = dt.date.today()
SNIPEIT_START = (
    "Asset Tag,Serial Number,Model Name,Category,Status,Supplier,Purchase Date,"
    "Purchase Cost,Order Number,Warranty Months"
)


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "keeper": make.user(["asset_manager"], department="IT"),
        "clerk": make.user(["finance"], department="FIN"),
        "admin": make.user(["admin"], department="ADM"),
        "grace": make.user(["requester"], department="IT", name="Grace Hopper"),
        "alan": make.user(["requester"], department="IT", name="Alan Turing"),
    }


@pytest.fixture
def as_(api, people):
    clients = {}

    def caller(who):
        user = people[who] if isinstance(who, str) else who
        if user.id not in clients:
            clients[user.id] = api(user)
        return clients[user.id]

    return caller


@pytest.fixture
def laptops(make, people):
    """An issued order for 3 laptops, the quote giving 36 months' warranty."""
    return issued_order(
        make,
        buyer=people["buyer"],
        title_lines=(("ThinkPad T14", "3", "1500.00"),),
        warranty_months=36,
    )


@pytest.fixture
def seats(make, people):
    return issued_order(
        make,
        buyer=people["buyer"],
        title_lines=(("Office suite, 1 year", "50", "12.00"),),
        category="licence",
    )


def call(caller, method, path, expect=200, **body):
    answer = getattr(caller, method)(path, **({"json": body} if method != "get" else {}))
    assert answer.status_code == expect, answer.get_json()
    return answer.get_json()


def receive(caller, order, expect=200, **line):
    first = order.lines[0]
    body = {"lines": [{"line_id": first.id, **line}]}
    return call(caller, "post", f"/api/v1/orders/{order.id}/receive", expect, **body)


def assets_of(caller, order, query=""):
    found = call(caller, "get", f"/api/v1/assets?order_id={order.id}{query}")
    return sorted(found["items"], key=lambda item: item["id"])


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def tool(tmp_path: Path, data: bytes, *command: str) -> subprocess.CompletedProcess:
    path = tmp_path / "labels.pdf"
    path.write_bytes(data)
    extra = ["-"] if command[0] == "pdftotext" else []
    return subprocess.run(  # noqa: S603 -- fixed tools on a file of ours
        [*command, str(path), *extra], capture_output=True, text=True, timeout=60, check=False
    )


# Issue 22's "Done when" ---------------------------------------------------------------------


def test_laptops_received_deployed_covered_and_retired(as_, people, laptops, db):
    order = call(as_("buyer"), "get", f"/api/v1/orders/{laptops.id}")
    assert order["lines"][0]["category"] == "hardware"
    receive(as_("buyer"), laptops, quantity="3", serials=["PF-1", "PF-2", "PF-3"])
    a, b, c = assets_of(as_("keeper"), laptops)
    assert [x["serial"] for x in (a, b, c)] == ["PF-1", "PF-2", "PF-3"]
    for asset in (a, b, c):
        assert asset["status"] == "in_stock" and asset["holder"] is None
        assert asset["purchase_date"] == TODAY.isoformat()
        assert asset["warranty_end"] == add_months(TODAY, 36).isoformat()
        assert asset["cost"] == "1500.00" and asset["model"] == "ThinkPad T14"
        assert asset["order_id"] == laptops.id and asset["request_id"] == laptops.request_id
        assert asset["vendor_id"] == laptops.vendor_id and asset["category"] == "hardware"
        assert asset["tag"].startswith("AT-") and asset["covered_by"] == []
    assert set(a["allowed_actions"]) == {"deploy", "retire"}

    grace = people["grace"]
    deployed = call(
        as_("keeper"),
        "post",
        f"/api/v1/assets/{a['id']}/deploy",
        holder=grace.id,
        location="Room 4.12",
        version=a["version"],
    )
    assert deployed["status"] == "deployed" and deployed["location"] == "Room 4.12"
    assert deployed["holder"] == {"id": grace.id, "name": "Grace Hopper", "email": grace.email}
    held = call(as_("grace"), "get", "/api/v1/assets")
    assert [item["id"] for item in held["items"]] == [a["id"]]
    assert held["items"][0]["allowed_actions"] == []
    mine = call(as_("keeper"), "get", f"/api/v1/assets?holder={grace.id}")
    assert [item["id"] for item in mine["items"]] == [a["id"]]

    contract = call(
        as_("buyer"),
        "post",
        "/api/v1/contracts",
        201,
        vendor_id=laptops.vendor_id,
        title="Laptop support",
        kind="support",
        start_date=TODAY.isoformat(),
        end_date=(TODAY + dt.timedelta(days=365)).isoformat(),
        covered_assets=[a["id"], b["id"]],
    )
    assert sorted(contract["covered_assets"]) == [a["id"], b["id"]]
    call(as_("buyer"), "post", f"/api/v1/contracts/{contract['id']}/activate", comment="")
    uncovered = call(as_("keeper"), "get", "/api/v1/assets?uncovered=1")
    assert [item["id"] for item in uncovered["items"]] == [c["id"]]
    assert call(as_("keeper"), "get", f"/api/v1/assets/{a['id']}")["covered_by"] == [
        contract["id"]
    ]
    listed = call(as_("buyer"), "get", "/api/v1/contracts")
    [same] = [item for item in listed["items"] if item["id"] == contract["id"]]
    assert sorted(same["covered_assets"]) == [a["id"], b["id"]]

    retired = call(as_("keeper"), "post", f"/api/v1/assets/{a['id']}/retire", comment="Broken")
    assert retired["status"] == "retired" and retired["holder"] is None
    assert retired["allowed_actions"] == ["dispose"]
    assert call(as_("grace"), "get", "/api/v1/assets")["items"] == []
    moves = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity == "asset", AuditEvent.entity_id == a["id"])
        .order_by(AuditEvent.id)
    ).all()
    assert moves == ["create", "deploy", "retire"]
    soon = call(
        as_("keeper"),
        "get",
        f"/api/v1/assets?warranty_before={add_months(TODAY, 37).isoformat()}&status=in_stock",
    )
    assert {item["id"] for item in soon["items"]} == {b["id"], c["id"]}
    found = call(as_("keeper"), "get", "/api/v1/assets?q=pf-2")
    assert [item["id"] for item in found["items"]] == [b["id"]]


def test_fifty_seats_are_assigned_and_the_51st_refused(as_, make, people, seats, db):
    order = call(as_("buyer"), "get", f"/api/v1/orders/{seats.id}")
    assert order["lines"][0]["category"] == "licence"
    receive(as_("buyer"), seats, quantity="50")
    [pool] = call(as_("keeper"), "get", f"/api/v1/licences?order_id={seats.id}")["items"]
    assert (pool["product"], pool["seats"], pool["used"], pool["free"]) == (
        "Office suite, 1 year",
        50,
        0,
        50,
    )
    assert pool["start_date"] == TODAY.isoformat() and pool["assignments"] == []
    users = [make.user(["requester"], department="IT") for _ in range(51)]
    for user in users[:50]:
        call(as_("keeper"), "post", f"/api/v1/licences/{pool['id']}/assign", user_id=user.id)
    full = call(as_("keeper"), "get", f"/api/v1/licences/{pool['id']}")
    assert (full["used"], full["free"], len(full["assignments"])) == (50, 0, 50)
    refused = call(
        as_("keeper"),
        "post",
        f"/api/v1/licences/{pool['id']}/assign",
        409,
        user_id=users[50].id,
    )
    assert refused["error"]["code"] == "invalid_transition"
    assert count(db, Licence) == 1
    assert db.session.get(Licence, pool["id"]).used == 50
    again = call(
        as_("keeper"), "post", f"/api/v1/licences/{pool['id']}/assign", 422, user_id=users[0].id
    )
    assert "user_id" in again["error"]["fields"]
    released = call(
        as_("keeper"), "post", f"/api/v1/licences/{pool['id']}/release", user_id=users[0].id
    )
    assert released["used"] == 49
    assert users[0].id not in {seat["user_id"] for seat in released["assignments"]}
    last = call(
        as_("keeper"), "post", f"/api/v1/licences/{pool['id']}/assign", user_id=users[50].id
    )
    seat = next(s for s in last["assignments"] if s["user_id"] == users[50].id)
    assert seat["email"] == users[50].email and seat["assigned_at"].endswith("Z")
    # A holder sees the pool they hold a seat of, and no other.
    assert call(as_(users[50]), "get", f"/api/v1/licences/{pool['id']}")["id"] == pool["id"]
    call(as_(users[0]), "get", f"/api/v1/licences/{pool['id']}", 404)
    call(as_(users[50]), "post", f"/api/v1/licences/{pool['id']}/release", 403, user_id=1)


def test_the_exports_open_with_their_headers(as_, people, laptops, db):
    receive(as_("buyer"), laptops, quantity="3", serials=["=cmd|' /C calc'!A0", "+X-2", "X-3"])
    snipe = as_("keeper").get("/api/v1/assets/export.csv?format=snipeit")
    assert snipe.status_code == 200, snipe.get_json()
    assert snipe.mimetype == "text/csv"
    assert "assets-snipeit-" in snipe.headers["Content-Disposition"]
    text = snipe.data.decode("utf-8")
    assert text.startswith(SNIPEIT_START)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 4 and all(len(row) == len(rows[0]) for row in rows)
    serials = {row[1] for row in rows[1:]}
    assert serials == {"'=cmd|' /C calc'!A0", "'+X-2", "X-3"}
    assert all(row[9] == "36" for row in rows[1:])
    glpi = as_("keeper").get("/api/v1/assets/export.csv?format=glpi&status=in_stock")
    assert glpi.status_code == 200
    rows = list(csv.reader(io.StringIO(glpi.data.decode("utf-8"), newline="")))
    assert rows[0][:3] == ["Name", "Serial number", "Inventory number"]
    assert len(rows) == 4 and all(len(row) == len(rows[0]) for row in rows)
    # What a requester exports is what they may see: nothing here.
    mine = as_("grace").get("/api/v1/assets/export.csv?format=snipeit")
    assert mine.status_code == 200 and len(mine.data.decode().splitlines()) == 1
    bad = call(as_("keeper"), "get", "/api/v1/assets/export.csv?format=xlsx", 422)
    assert "format" in bad["error"]["fields"]
    call(as_("keeper"), "get", "/api/v1/assets/export.csv", 422)


def test_labels_print_the_tags(as_, people, laptops, db, tmp_path):
    receive(as_("buyer"), laptops, quantity="3", serials=["L-1", "L-2", "L-3"])
    a, b, c = assets_of(as_("keeper"), laptops)
    answer = as_("keeper").get(f"/api/v1/assets/labels.pdf?ids={c['id']},{a['id']}")
    assert answer.status_code == 200, answer.get_json()
    assert answer.mimetype == "application/pdf" and answer.data.startswith(b"%PDF")
    check = tool(tmp_path, answer.data, "qpdf", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    text = tool(tmp_path, answer.data, "pdftotext", "-layout").stdout
    assert a["tag"] in text and c["tag"] in text and b["tag"] not in text
    assert text.index(c["tag"]) < text.index(a["tag"])
    for ids in ("", "1,x", "0", "-1", f"{a['id']},,{10**12}", f"{a['id']},999999"):
        bad = call(as_("keeper"), "get", f"/api/v1/assets/labels.pdf?ids={ids}", 422)
        assert "ids" in bad["error"]["fields"], ids
    many = ",".join(str(i) for i in range(1, 242))
    bad = call(as_("keeper"), "get", f"/api/v1/assets/labels.pdf?ids={many}", 422)
    assert "240" in bad["error"]["fields"]["ids"][0]
    # Not visible to a requester: as if it did not exist.
    hidden = call(as_("grace"), "get", f"/api/v1/assets/labels.pdf?ids={a['id']}", 422)
    assert "ids" in hidden["error"]["fields"]


# Bad input: refused, nothing stored ------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": "2", "serials": ["S-1", "s-1"]},  # twice in one receipt
        {"quantity": "2", "serials": ["S-1", "S-2", "S-3"]},  # more serials than units
        {"quantity": "1", "serials": ["X" * 101]},
        {"quantity": "1", "tags": ["AT-000999"]},  # the sequence's form, typed
    ],
)
def test_a_refused_receipt_stores_nothing(as_, laptops, db, line):
    refused = receive(as_("buyer"), laptops, 422, **line)
    field = "lines.0.tags" if "tags" in line else "lines.0.serials"
    assert field in refused["error"]["fields"], refused
    assert count(db, Receipt) == count(db, Asset) == 0
    order = call(as_("buyer"), "get", f"/api/v1/orders/{laptops.id}")
    assert order["status"] == "issued" and order["lines"][0]["received_quantity"] == "0"


def test_a_serial_of_an_existing_asset_is_refused(as_, laptops, db):
    receive(as_("buyer"), laptops, quantity="1", serials=["DUP-1"])
    receipts, assets = count(db, Receipt), count(db, Asset)
    refused = receive(as_("buyer"), laptops, 422, quantity="2", serials=["NEW-1", "dup-1"])
    assert "DUP-1" in refused["error"]["fields"]["lines.0.serials"][0]
    assert (count(db, Receipt), count(db, Asset)) == (receipts, assets)
    order = call(as_("buyer"), "get", f"/api/v1/orders/{laptops.id}")
    assert order["lines"][0]["received_quantity"] == "1"


def test_corrections_and_moves_refused_leave_the_asset_as_it_was(as_, people, laptops, db):
    receive(as_("buyer"), laptops, quantity="2", serials=["K-1", "K-2"])
    a, b = assets_of(as_("keeper"), laptops)
    path = f"/api/v1/assets/{a['id']}"
    for body, field in (
        ({"serial": "k-2"}, "serial"),
        ({"tag": b["tag"]}, "tag"),
        ({"tag": ""}, "tag"),
        ({"warranty_end": (TODAY - dt.timedelta(days=1)).isoformat()}, "warranty_end"),
        ({"location": "x" * 201}, "location"),
        ({"warranty_end": "31.12.2030"}, "warranty_end"),
    ):
        refused = call(as_("keeper"), "patch", path, 422, **body)
        assert field in refused["error"]["fields"], body
    unknown = call(as_("keeper"), "post", f"{path}/deploy", 422, holder=999_999)
    assert "holder" in unknown["error"]["fields"]
    nobody = call(as_("keeper"), "post", f"{path}/deploy", 422)
    assert "holder" in nobody["error"]["fields"]
    for action in ("dispose", "return", "repair"):
        refused = call(as_("keeper"), "post", f"{path}/{action}", 409)
        assert refused["error"]["code"] == "invalid_transition", action
    stale = call(
        as_("keeper"), "post", f"{path}/retire", 409, version=a["version"] + 5, comment="x"
    )
    assert stale["error"]["code"] == "conflict"
    assert call(as_("keeper"), "get", path) == a
    fixed = call(
        as_("keeper"),
        "patch",
        path,
        serial="K-1b",
        tag="IT-LAP-1",
        location="Store",
        warranty_end=add_months(TODAY, 48).isoformat(),
        version=a["version"],
    )
    assert (fixed["serial"], fixed["tag"], fixed["location"]) == ("K-1b", "IT-LAP-1", "Store")
    assert fixed["warranty_end"] == add_months(TODAY, 48).isoformat()
    assert fixed["version"] == a["version"] + 1
    stale = call(as_("keeper"), "patch", path, 409, location="Desk", version=a["version"])
    assert stale["error"]["code"] == "conflict"


# Who may ---------------------------------------------------------------------------------------


def test_who_may_read_and_change_assets(as_, people, laptops, db):
    receive(as_("buyer"), laptops, quantity="2", serials=["W-1", "W-2"])
    a, b = assets_of(as_("buyer"), laptops)
    call(as_("buyer"), "post", f"/api/v1/assets/{a['id']}/deploy", holder=people["grace"].id)
    # A requester sees what they hold, and nothing else (404, as if it did not exist).
    assert call(as_("grace"), "get", f"/api/v1/assets/{a['id']}")["id"] == a["id"]
    call(as_("grace"), "get", f"/api/v1/assets/{b['id']}", 404)
    call(as_("alan"), "get", f"/api/v1/assets/{a['id']}", 404)
    assert call(as_("alan"), "get", "/api/v1/assets")["total"] == 0
    call(as_("grace"), "patch", f"/api/v1/assets/{a['id']}", 403, location="Home")
    call(as_("grace"), "post", f"/api/v1/assets/{a['id']}/return", 403)
    # Finance and admin read everything and change nothing.
    for who in ("clerk", "admin"):
        assert call(as_(who), "get", "/api/v1/assets")["total"] == 2
        answer = call(as_(who), "get", f"/api/v1/assets/{b['id']}")
        assert answer["allowed_actions"] == []
        call(as_(who), "patch", f"/api/v1/assets/{b['id']}", 403, location="Basement")
        call(as_(who), "post", f"/api/v1/assets/{b['id']}/retire", 403)
    # The asset manager acts.
    back = call(as_("keeper"), "post", f"/api/v1/assets/{a['id']}/return")
    assert back["status"] == "in_stock" and back["holder"] is None
    assert db.session.get(Asset, a["id"]).status == AssetStatus.IN_STOCK
    call(as_("keeper"), "get", "/api/v1/assets/999999", 404)
    call(as_("keeper"), "post", f"/api/v1/assets/{a['id']}/send_back", 404)


def test_the_list_reads_a_page_in_the_same_number_of_queries_however_long(
    as_, people, laptops, db
):
    receive(as_("buyer"), laptops, quantity="1", serials=["Q-1"])
    keeper, engine = as_("keeper"), db.engine

    def statements() -> int:
        seen = []

        def note(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("SELECT"):
                seen.append(statement)

        sa.event.listen(engine, "before_cursor_execute", note)
        try:
            answer = keeper.get("/api/v1/assets?per_page=50")
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
        assert answer.status_code == 200
        return len(seen)

    statements()  # the token's first use is noted once
    one = statements()
    receive(as_("buyer"), laptops, quantity="2", serials=["Q-2", "Q-3"])
    first = assets_of(as_("buyer"), laptops)[0]["id"]
    call(as_("buyer"), "post", f"/api/v1/assets/{first}/deploy", holder=people["grace"].id)
    call(
        as_("buyer"),
        "post",
        "/api/v1/contracts",
        201,
        vendor_id=laptops.vendor_id,
        title="Support",
        kind="support",
        start_date=TODAY.isoformat(),
        end_date=(TODAY + dt.timedelta(days=90)).isoformat(),
        covered_assets=[first],
    )
    assert statements() == one


# Contracts' coverage ----------------------------------------------------------------------------


def test_what_a_contract_covers_is_chosen_through_it(as_, make, people, laptops, db):
    receive(as_("buyer"), laptops, quantity="3", serials=["V-1", "V-2", "V-3"])
    a, b, c = assets_of(as_("keeper"), laptops)
    of_order = make.contract(kind="maintenance", owner=people["buyer"], order=laptops)
    answer = call(as_("buyer"), "get", f"/api/v1/contracts/{of_order.id}")
    assert sorted(answer["covered_assets"]) == [a["id"], b["id"], c["id"]]
    assert call(as_("keeper"), "get", "/api/v1/assets?uncovered=1")["items"] == []
    # Sent alone, the choice changes an active contract too; it wins over the order's.
    chosen = call(
        as_("buyer"),
        "patch",
        f"/api/v1/contracts/{of_order.id}",
        covered_assets=[c["id"]],
        version=answer["version"],
    )
    assert chosen["covered_assets"] == [c["id"]] and chosen["status"] == "active"
    uncovered = call(as_("keeper"), "get", "/api/v1/assets?uncovered=1")
    assert sorted(item["id"] for item in uncovered["items"]) == [a["id"], b["id"]]
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "contract", AuditEvent.action == "cover")
    )
    for body in ({"covered_assets": [999_999]}, {"covered_assets": [0]}):
        refused = call(as_("buyer"), "patch", f"/api/v1/contracts/{of_order.id}", 422, **body)
        assert "covered_assets" in str(refused["error"]["fields"])
    stale = call(
        as_("buyer"),
        "patch",
        f"/api/v1/contracts/{of_order.id}",
        409,
        covered_assets=[a["id"]],
        version=answer["version"],
    )
    assert stale["error"]["code"] == "conflict"
    # Other fields of an active contract still do not change (409), coverage with them.
    refused = call(
        as_("buyer"),
        "patch",
        f"/api/v1/contracts/{of_order.id}",
        409,
        title="Renamed",
        covered_assets=[a["id"]],
    )
    assert refused["error"]["code"] == "invalid_transition"
    assert call(as_("buyer"), "get", f"/api/v1/contracts/{of_order.id}")["covered_assets"] == [
        c["id"]
    ]
    # A licence contract covers no assets: refused, and the contract is not even filed.
    contracts_before = call(as_("buyer"), "get", "/api/v1/contracts")["total"]
    refused = call(
        as_("buyer"),
        "post",
        "/api/v1/contracts",
        422,
        vendor_id=laptops.vendor_id,
        title="Seats",
        kind="licence",
        start_date=TODAY.isoformat(),
        end_date=(TODAY + dt.timedelta(days=365)).isoformat(),
        covered_assets=[a["id"]],
    )
    assert "covered_assets" in refused["error"]["fields"]
    assert call(as_("buyer"), "get", "/api/v1/contracts")["total"] == contracts_before
    # Only procurement chooses.
    call(
        as_("keeper"),
        "patch",
        f"/api/v1/contracts/{of_order.id}",
        404,
        covered_assets=[a["id"]],
    )


# Settings ----------------------------------------------------------------------------------------


def test_the_registers_settings(as_, people):
    current = call(as_("grace"), "get", "/api/v1/settings/assets")
    assert "hardware" in current["hardware_categories"]
    assert "licence" in current["licence_categories"]
    body = {**current, "locations": ["Store", "Room 4.12", "store"], "warranty_reminder_days": 45}
    call(as_("buyer"), "put", "/api/v1/settings/assets", 403, **body)
    saved = call(as_("admin"), "put", "/api/v1/settings/assets", **body)
    assert saved["locations"] == ["Room 4.12", "Store"] and saved["warranty_reminder_days"] == 45
    for change, field in (
        ({"hardware_categories": ["nonsense"]}, "hardware_categories"),
        ({"licence_categories": ["hardware"]}, "licence_categories"),
        ({"warranty_reminder_days": 0}, "warranty_reminder_days"),
    ):
        refused = call(as_("admin"), "put", "/api/v1/settings/assets", 422, **{**body, **change})
        assert field in refused["error"]["fields"], change
    assert call(as_("admin"), "get", "/api/v1/settings/assets") == saved


def test_a_pools_term_is_patched_and_a_wrong_one_refused(as_, make, people, seats, db):
    receive(as_("buyer"), seats, quantity="5")
    [pool] = call(as_("keeper"), "get", f"/api/v1/licences?order_id={seats.id}")["items"]
    path = f"/api/v1/licences/{pool['id']}"
    contract = make.contract(kind="subscription", owner=people["buyer"], order=seats)
    linked = call(as_("keeper"), "patch", path, contract_id=contract.id)
    assert (linked["contract_id"], linked["end_date"]) == (
        contract.id,
        contract.end_date.isoformat(),
    )
    refused = call(
        as_("keeper"),
        "patch",
        path,
        422,
        start_date=TODAY.isoformat(),
        end_date=(TODAY - dt.timedelta(days=1)).isoformat(),
    )
    assert "end_date" in refused["error"]["fields"]
    assert call(as_("clerk"), "patch", path, 403, end_date=None)["error"]["code"] == "forbidden"
    cleared = call(as_("keeper"), "patch", path, contract_id=None, end_date=None)
    assert (cleared["contract_id"], cleared["end_date"]) == (None, None)
