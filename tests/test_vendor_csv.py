"""Vendors in and out as CSV: all-or-nothing import (page and command line) and an
export that spreadsheets cannot turn into formulas."""

from __future__ import annotations

import csv
import io

import pytest

from procure.extensions import db
from procure.models import AuditEvent, Vendor, VendorStatus
from procure.vendors import csvio

from .vendor_support import (
    count,
    document,
    people_fixture,  # noqa: F401 -- the people fixture
    require,
    signed_in,
    vendor,
)

GOOD = "\n".join(
    [
        "name,legal_name,email,phone,website,categories,rating,contact_name,contact_email,address",
        "Northwind Hardware,Northwind Ltd.,sales@northwind.example.com,+1 555 0100,"
        "https://northwind.example.com,hardware; peripherals,4,Grace Kim,"
        'grace@northwind.example.com,"200 Market Street',
        'San Francisco"',
        "Contoso Cloud,,,,,cloud,,,,",
        "Müller Software GmbH,,info@mueller.example.de,,,software;licence,5,,,",
        "",
    ]
)

BAD = """name,email,website,categories,rating
Good Vendor,good@example.com,https://good.example.com,hardware,3
Bad Email,not-an-address,,,
Existing Vendor,,,,
Bad Category,,,furniture,
"Multi-line
Address Co",,,,9
{long_name},,,,
Good Vendor,,,,
,,,hardware,
Bad Site,,www.bad.example.com,,
"""


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# Import -----------------------------------------------------------------------------------


def test_a_good_file_is_imported_whole(people):
    vendors = csvio.import_text(GOOD, actor=people["procurement"])
    db.session.commit()
    assert [v.name for v in vendors] == [
        "Northwind Hardware",
        "Contoso Cloud",
        "Müller Software GmbH",
    ]
    northwind = vendors[0]
    assert northwind.status == VendorStatus.PROSPECT
    assert northwind.categories == ["hardware", "peripherals"] and northwind.rating == 4
    assert northwind.address == "200 Market Street\nSan Francisco"
    assert [(c.name, c.email, c.is_primary) for c in northwind.contacts] == [
        ("Grace Kim", "grace@northwind.example.com", True)
    ]
    assert vendors[1].contacts == [] and vendors[1].rating is None
    assert count(Vendor) == 3
    created = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.entity == "vendor", AuditEvent.action == "create")
    ).all()
    assert len(created) == 3 and {e.actor_id for e in created} == {people["procurement"].id}


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_stored(people):
    vendor(people["procurement"], "Existing Vendor")
    text = BAD.format(long_name="L" * 201)
    with pytest.raises(csvio.ImportRefused) as caught:
        csvio.import_text(text, actor=people["procurement"])
    db.session.rollback()
    report = {problem.line: " ".join(problem.messages) for problem in caught.value.problems}
    assert sorted(report) == [3, 4, 5, 6, 8, 9, 10, 11], report
    assert report[3].startswith("email: This is not a valid e-mail address")
    assert report[4] == "name: there is a vendor 'Existing Vendor' already"
    assert report[5] == "categories: There is no category 'furniture'."
    assert report[6].startswith("rating:")  # the record starting on line 6 spans two lines
    assert report[8] == "name: Use at most 200 characters."
    assert report[9] == "name: the same vendor is on line 2"
    assert report[10] == "name: This field is required."
    assert report[11].startswith("website: Give a web address that starts with https://")
    assert "Nothing was imported: 8 lines need correcting" in caught.value.message
    assert count(Vendor) == 1  # the existing one only: not even the good rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("name,e-mail\nX,x@example.com\n", "unknown column 'e-mail'"),
        ("legal_name\nX\n", "no 'name' column"),
        ("name,name\nX,Y\n", "appear twice"),
        ("name\n", "no vendors"),
        ("name\n\n\n", "no vendors"),
        ("name,email\nX,x@example.com,extra\n", "3 cells, but the header has 2 columns"),
        ('name\n"unterminated\n', "not valid CSV"),
    ],
)
def test_files_that_cannot_be_read_are_refused(people, text, expected):
    with pytest.raises(csvio.ImportRefused) as caught:
        csvio.import_text(text, actor=people["procurement"])
    assert expected in str(caught.value.problems[0])
    assert count(Vendor) == 0


def test_only_procurement_imports(people):
    from procure.errors import Forbidden

    with pytest.raises(Forbidden):
        csvio.import_text(GOOD, actor=people["requester"])


def test_the_import_page(app, people):
    client = signed_in(app, people["procurement"])
    assert "Import vendors from CSV" in client.get("/vendors/import").get_data(as_text=True)
    response = client.post(
        "/vendors/import", data={"file": (io.BytesIO(GOOD.encode("utf-8-sig")), "v.csv")}
    )
    assert response.status_code == 302
    assert "Imported 3 vendors" in client.get(response.location).get_data(as_text=True)
    assert count(Vendor) == 3

    bad = client.post(
        "/vendors/import",
        data={"file": (io.BytesIO(BAD.format(long_name="x").encode()), "bad.csv")},
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert '<tr data-line="3"><td>3</td>' in page and "not a valid e-mail address" in page
    assert '<tr data-line="5"><td>5</td>' in page and "furniture" in page
    assert count(Vendor) == 3

    latin1 = client.post(
        "/vendors/import", data={"file": (io.BytesIO("name\nMüller\n".encode("latin-1")), "l.csv")}
    )
    assert latin1.status_code == 422
    assert 'id="file-errors"' in latin1.get_data(as_text=True)
    empty = client.post("/vendors/import", data={})
    assert empty.status_code == 422 and "Choose the CSV file" in empty.get_data(as_text=True)


def test_the_import_page_is_for_procurement(app, people):
    client = signed_in(app, people["requester"])
    response = client.post("/vendors/import", data={"file": (io.BytesIO(GOOD.encode()), "v.csv")})
    assert response.status_code == 403
    assert count(Vendor) == 0


# Export -------------------------------------------------------------------------------------


def test_export_is_utf8_with_a_header_and_the_lists_filters(app, people):
    buyer = people["procurement"]
    vendor(buyer, "Northwind Hardware", status="approved", rating=4, phone="555 0100")
    vendor(buyer, "Müller Software", categories=["software"], status="approved")
    vendor(buyer, "Contoso Cloud", categories=["cloud"])
    client = signed_in(app, people["requester"])  # what the list shows, anyone may export
    response = client.get("/vendors/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="vendors-')
    rows = rows_of(response.data.decode("utf-8"))
    assert rows[0] == list(csvio.EXPORT_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["Contoso Cloud", "Müller Software", "Northwind Hardware"]
    filtered = rows_of(client.get("/vendors/export.csv?status=approved&q=soft").data.decode())
    assert [r[0] for r in filtered[1:]] == ["Müller Software"]
    by_category = rows_of(client.get("/vendors/export.csv?category=cloud").data.decode())
    assert [r[0] for r in by_category[1:]] == ["Contoso Cloud"]
    # The list's page links to the export with the same filters.
    page = client.get("/vendors?status=approved&q=soft&page=1").get_data(as_text=True)
    assert 'href="/vendors/export.csv?status=approved&amp;q=soft"' in page


def test_export_neutralises_formulas(app, people):
    buyer = people["procurement"]
    vendor(
        buyer,
        '=HYPERLINK("http://evil.example","x")',
        legal_name="@SUM(A1:A9)",
        phone="+1 555 0100",
        notes="-2+3",
        tax_id="\t=1+1",
        address="Safe = fine",
    )
    rows = rows_of(signed_in(app, people["requester"]).get("/vendors/export.csv").data.decode())
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["legal_name"] == "'@SUM(A1:A9)"
    assert row["phone"] == "'+1 555 0100"
    assert row["notes"] == "'-2+3"
    assert row["address"] == "Safe = fine"
    dangerous = tuple("=+-@")
    for cell in rows[1]:
        assert not cell.startswith(dangerous), cell


def test_an_export_imports_back_as_it_was(app, people):
    buyer = people["procurement"]
    original = vendor(
        buyer,
        "Northwind Hardware",
        phone="+1 555 0100",
        rating=3,
        categories=["hardware", "services"],
        contacts=[{"name": "Grace Kim", "email": "grace@example.com", "phone": "-"}],
    )
    text = signed_in(app, buyer).get("/vendors/export.csv").data.decode()
    [row] = csvio.parse(text)
    assert row.line == 2
    assert row.data.name == original.name and row.data.phone == "+1 555 0100"
    assert row.data.categories == ["hardware", "services"] and row.data.rating == 3
    assert row.data.contacts[0].phone == "-" and row.data.contacts[0].name == "Grace Kim"
    # Importing it again is refused, since the vendor exists, and says so.
    with pytest.raises(csvio.ImportRefused) as caught:
        csvio.import_vendors([row], actor=buyer)
    assert "already" in str(caught.value.problems[0])


def test_the_export_says_which_vendors_are_flagged(app, people):
    buyer = people["procurement"]
    flagged = vendor(buyer, "Fabrikam")
    document(buyer, flagged, "insurance", days=-1)
    require("insurance")
    rows = rows_of(signed_in(app, buyer).get("/vendors/export.csv").data.decode())
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["flagged"] == "yes" and "expired" in row["flag_reasons"]


# The command line ------------------------------------------------------------------------------


def test_the_command_imports_a_file(runner, tmp_path, people):
    path = tmp_path / "vendors.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(args=["import-vendors", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 3 vendors as prospects." in result.output
    assert count(Vendor) == 3
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity == "vendor")).all()
    assert len(events) == 3 and {e.actor_id for e in events} == {None}


def test_the_command_refuses_a_bad_file_whole(runner, tmp_path, people):
    vendor(people["procurement"], "Existing Vendor")
    path = tmp_path / "bad.csv"
    path.write_text(BAD.format(long_name="x" * 201), encoding="utf-8")
    result = runner.invoke(args=["import-vendors", str(path)])
    assert result.exit_code == 1
    output = result.output
    assert "line 3: email:" in output and "line 5: categories:" in output
    assert "line 9: name: the same vendor is on line 2" in output
    assert "Nothing was imported" in output
    assert count(Vendor) == 1
    missing = runner.invoke(args=["import-vendors", str(tmp_path / "missing.csv")])
    assert missing.exit_code == 2
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("name\nMüller\n".encode("latin-1"))
    result = runner.invoke(args=["import-vendors", str(binary)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


def _fields(vendor: Vendor) -> dict:
    contact = vendor.contacts[0] if vendor.contacts else None
    return {
        "name": vendor.name,
        "legal_name": vendor.legal_name,
        "tax_id": vendor.tax_id,
        "email": vendor.email,
        "phone": vendor.phone,
        "website": vendor.website,
        "address": vendor.address,
        "categories": sorted(vendor.categories),
        "rating": vendor.rating,
        "notes": vendor.notes,
        "contact": (contact.name, contact.title, contact.email, contact.phone)
        if contact
        else None,
    }


def test_export_then_import_changes_no_field(app, people):
    """Values that begin with =, +, -, @, a tab, a carriage return or a real
    apostrophe come back exactly (surrounding whitespace aside), while the exported
    file keeps every formula cell neutralised."""
    buyer = people["procurement"]
    originals = [
        vendor(
            buyer,
            "=Formula Supplies",
            legal_name="@SUM(A1:A9)",
            tax_id="-12-345",
            phone="+1 555 0100",
            address="'s-Hertogenbosch\nNetherlands",
            notes="'=1+1 is how we write it, apostrophe included",
            categories=["hardware", "services"],
            rating=3,
            contacts=[
                {"name": "'Quoted' Kim", "email": "kim@example.com", "phone": "+44 20 7946 0000"}
            ],
        ),
        vendor(buyer, "'Apostrophe & Sons", notes="''two apostrophes", phone="-"),
        vendor(buyer, "Tabs and Returns"),
    ]
    # A tab or a carriage return inside a value: set as an older import may have left it.
    tabbed = originals[2]
    tabbed.legal_name = '\t=HYPERLINK("http://evil.example")'
    tabbed.notes = "\r\n=cmd|' /C calc'!A0\nsecond line"
    db.session.commit()
    before = {v.id: _fields(v) for v in originals}

    exported = signed_in(app, buyer).get("/vendors/export.csv").data.decode()
    rows = rows_of(exported)
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(dangerous), cell
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name["'=Formula Supplies"]["phone"] == "'+1 555 0100"
    assert by_name["'=Formula Supplies"]["notes"].startswith("''=1+1")
    assert by_name["''Apostrophe & Sons"]["notes"] == "'''two apostrophes"
    assert by_name["Tabs and Returns"]["legal_name"] == '\'\t=HYPERLINK("http://evil.example")'
    assert by_name["Tabs and Returns"]["notes"].startswith("'\r\n=cmd")

    # Make room for the same names, then import the file as it was exported.
    for original in originals:
        original.name = f"Old {original.id}"
        original.name_key = Vendor.fold(original.name)
    db.session.commit()
    imported = csvio.import_text(exported, actor=buyer)
    db.session.commit()
    after = {_fields(v)["name"]: _fields(v) for v in imported}
    for fields in before.values():
        again = after[fields["name"]]
        for key, value in fields.items():
            if isinstance(value, str):
                assert again[key] == value.strip(), key
            else:
                assert again[key] == value, key
    assert after["=Formula Supplies"]["address"] == "'s-Hertogenbosch\nNetherlands"
    assert after["'Apostrophe & Sons"]["notes"] == "''two apostrophes"
