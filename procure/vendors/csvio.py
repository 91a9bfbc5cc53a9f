"""Vendors in and out as CSV.

Import checks every row before it stores any: one bad row and nothing is stored,
and the report names each bad row by its line in the file. Export writes what the
vendor list shows, UTF-8 with a header row, and neutralises cells that a
spreadsheet would run as a formula.

The neutralisation is reversible, so that an exported file imports as it was: the
export puts an apostrophe before every value that begins with a formula character
*or with an apostrophe*, and the import takes exactly one leading apostrophe off
every cell (API.md, "Vendors CSV").
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Sequence

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage

# Re-exported: the vendor CSV was where these lived first.
from ..csvcells import ESCAPED_STARTS, FORMULA_STARTS, neutralise, unneutralise  # noqa: F401
from ..errors import ValidationError
from ..extensions import db
from ..imports import ImportRefused, Problem
from ..models import User, Vendor
from ..reference import category_names
from . import services

MAX_ROWS = 5000
# The columns of a file to import; "name" is the only one required.
IMPORT_COLUMNS = (
    "name",
    "legal_name",
    "tax_id",
    "email",
    "phone",
    "website",
    "address",
    "categories",
    "rating",
    "notes",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
)
# Columns the export adds; an import reads past them, so an export can be re-imported.
EXPORT_ONLY = ("status", "flagged", "flag_reasons")
EXPORT_COLUMNS = ("name", *EXPORT_ONLY, *IMPORT_COLUMNS[1:])
CONTACT_FIELDS = {
    "name": "contact_name",
    "title": "contact_title",
    "email": "contact_email",
    "phone": "contact_phone",
}


@dataclasses.dataclass
class Row:
    line: int
    data: services.VendorData


# Writing -------------------------------------------------------------------------------


def export_rows(vendors: Iterable[Vendor]) -> Iterable[list[str]]:
    vendors = list(vendors)
    reasons = services.flags(vendors)
    yield list(EXPORT_COLUMNS)
    for vendor in vendors:
        primary = vendor.contacts[0] if vendor.contacts else None
        values = {
            "name": vendor.name,
            "status": vendor.status.value,
            "flagged": "yes" if reasons[vendor.id] else "no",
            "flag_reasons": " ".join(reasons[vendor.id]),
            "legal_name": vendor.legal_name,
            "tax_id": vendor.tax_id,
            "email": vendor.email,
            "phone": vendor.phone,
            "website": vendor.website,
            "address": vendor.address,
            "categories": "; ".join(vendor.categories),
            "rating": "" if vendor.rating is None else str(vendor.rating),
            "notes": vendor.notes,
            "contact_name": primary.name if primary else "",
            "contact_title": primary.title if primary else "",
            "contact_email": primary.email if primary else "",
            "contact_phone": primary.phone if primary else "",
        }
        yield [neutralise(values[column]) for column in EXPORT_COLUMNS]


def export_csv(query: sa.Select) -> str:
    """The vendors of ``query`` (the list's filters), as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(export_rows(db.session.scalars(query)))
    return out.getvalue()


# Reading -------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.field(
            "file", 'The file is not UTF-8 text: save it as "CSV UTF-8" and try again.'
        ) from None


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in cells]
    unknown = [
        original
        for original, name in zip(cells, names, strict=True)
        if name and name not in IMPORT_COLUMNS and name not in EXPORT_ONLY
    ]
    problems = []
    if unknown:
        problems.append(
            "unknown column"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join(repr(u) for u in unknown)
            + "; the columns are "
            + ", ".join(IMPORT_COLUMNS)
        )
    if "name" not in names:
        problems.append("the header row has no 'name' column")
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        problems.append("the columns " + ", ".join(duplicated) + " appear twice")
    if problems:
        raise ImportRefused([Problem(1, problems)])
    return names


def _rating(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 4 else text


def _vendor_data(values: dict[str, str]) -> services.VendorData:
    contact = services.ContactData(
        name=values.get("contact_name", ""),
        title=values.get("contact_title", ""),
        email=values.get("contact_email", ""),
        phone=values.get("contact_phone", ""),
        is_primary=True,
    )
    has_contact = any(
        (getattr(contact, field) or "").strip() for field in ("name", "title", "email", "phone")
    )
    categories = values.get("categories", "").replace(",", ";").split(";")
    return services.VendorData(
        name=values.get("name", ""),
        legal_name=values.get("legal_name", ""),
        tax_id=values.get("tax_id", ""),
        address=values.get("address", ""),
        website=values.get("website", ""),
        email=values.get("email", ""),
        phone=values.get("phone", ""),
        categories=[c.strip() for c in categories if c.strip()],
        rating=_rating(values.get("rating", "")),  # type: ignore[arg-type]
        notes=values.get("notes", ""),
        contacts=[contact] if has_contact else [],
    )


def parse(text: str) -> list[Row]:
    """The rows of a CSV file; a file that cannot be read at all is refused."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[Row] = []
    problems: list[Problem] = []
    names: list[str] | None = None
    line = 1  # where the next record starts
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportRefused(
                [*problems, Problem(line, [f"this is not valid CSV: {exc}"])]
            ) from None
        start, line = line, reader.line_num + 1
        if names is None:
            names = _header(cells)
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names):
            problems.append(
                Problem(start, [f"{len(cells)} cells, but the header has {len(names)} columns"])
            )
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            raise ImportRefused([Problem(start, [f"a file has at most {MAX_ROWS:,} vendors"])])
        values = {
            name: unneutralise(cell)
            for name, cell in zip(names, cells, strict=False)
            if name in IMPORT_COLUMNS
        }
        rows.append(Row(start, _vendor_data(values)))
    if names is None:
        raise ImportRefused([Problem(1, ["the file is empty: it needs a header row"])])
    if problems:
        raise ImportRefused(sorted(problems + check(rows)[0], key=lambda p: p.line))
    if not rows:
        raise ImportRefused([Problem(2, ["the file has a header row but no vendors"])])
    return rows


def _column(field: str) -> str:
    """The CSV column of a service's field name (contacts.0.email: contact_email)."""
    if field.startswith("contacts.0."):
        return CONTACT_FIELDS.get(field.rsplit(".", 1)[1], field)
    return field


def check(
    rows: Sequence[Row], progress: Callable[[], None] | None = None
) -> tuple[list[Problem], list[services.VendorData]]:
    """Every problem of every row, by line, and the rows as they would be stored."""
    categories = set(category_names(active_only=True))
    keys = {Vendor.fold(row.data.name) for row in rows}
    keys.discard("")
    existing: dict[str, str] = {}
    key_list = sorted(keys)
    for offset in range(0, len(key_list), 500):
        chunk = key_list[offset : offset + 500]
        existing.update(
            db.session.execute(
                sa.select(Vendor.name_key, Vendor.name).where(Vendor.name_key.in_(chunk))
            ).all()
        )
    seen: dict[str, int] = {}
    problems = []
    cleaned = []
    for row in rows:
        messages = []
        try:
            clean = services.validate(row.data, check_name=False, categories=categories)
            cleaned.append(clean)
        except ValidationError as exc:
            clean = None
            for field, field_messages in exc.fields.items():
                messages.extend(f"{_column(field)}: {message}" for message in field_messages)
        if clean is not None or not any(m.startswith("name:") for m in messages):
            key = Vendor.fold(row.data.name)
            if key in existing:
                messages.append(f"name: there is a vendor {existing[key]!r} already")
            elif key in seen:
                messages.append(f"name: the same vendor is on line {seen[key]}")
            else:
                seen[key] = row.line
        if messages:
            problems.append(Problem(row.line, messages))
        if progress is not None:
            progress()
    return problems, cleaned


def import_vendors(
    rows: Sequence[Row], *, actor: User | None, progress: Callable[[], None] | None = None
) -> list[Vendor]:
    """Check every row, then store them all; or store nothing and say why.

    ``progress`` is called once per row checked and once per row stored."""
    services.require_manager(actor, "import vendors")
    problems, cleaned = check(rows, progress)
    if problems:
        raise ImportRefused(problems)
    vendors = []
    for row, clean in zip(rows, cleaned, strict=True):
        vendors.append(services.create_vendor(row.data, actor=actor, _checked=clean))
        if progress is not None:
            progress()
    return vendors


def import_text(text: str, *, actor: User | None) -> list[Vendor]:
    services.require_manager(actor, "import vendors")
    return import_vendors(parse(text), actor=actor)


def import_upload(upload: FileStorage | None, *, actor: User) -> list[Vendor]:
    """Import an uploaded CSV file of at most ``MAX_UPLOAD_BYTES``."""
    if upload is None or not upload.filename:
        raise ValidationError.field("file", "Choose the CSV file to import.")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError.field(
            "file", f"The file is larger than {limit // (1024 * 1024)} MB."
        )
    return import_text(decode(data), actor=actor)
