"""Hostile input in every field of every form and API body (corpus: ``tests/hostile.py``).

Each value is either refused (422; 413 over the body limit; 400 for a body no parser
should descend into) or stored exactly as sent (or with surrounding blanks stripped,
as the services document). Never a 500. And what is stored never comes out as markup:
not in a page, an e-mail, a CSV export or a PDF, and a PDF fetches nothing it names.

The fields are generated, not listed: the API bodies from the pydantic models behind
``procure.api.spec.OPERATIONS`` (the OpenAPI document's bodies), the forms from every
``FlaskForm`` subclass in the app. A new body or form without a target below fails
``test_every_*_has_a_target`` by name; a new field is fuzzed without a change here.

The organisation is the access matrix's (``tests/access_org.py``); every hostile call
runs in a savepoint rolled back afterwards.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import re
import socket
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pydantic
import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectFieldBase,
    SubmitField,
)
from wtforms.csrf.core import CSRFTokenField

from procure import organisation
from procure.api.spec import OPERATIONS
from procure.extensions import db as _db
from procure.models import Notification

from . import access_org, hostile
from .access_org import (
    CONTRACT_FORM,
    DELEGATION_FORM,
    DUE,
    INVOICE_LINK_FORM,
    PDF_BYTES,
    QUOTE_FORM,
    QUOTE_JSON,
    REQUEST_FORM,
    RULE_FORM,
    VENDOR_FORM,
)
from .factories import PASSWORD

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def org(app, migration_seeds) -> Iterator[access_org.Organisation]:
    with access_org.signed_in(app, migration_seeds) as organisation:
        yield organisation


@dataclasses.dataclass
class Target:
    """Where a body or form goes, as whom, and a value that succeeds there."""

    endpoint: str
    method: str
    principal: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    query: dict[str, Any] = dataclasses.field(default_factory=dict)
    form: dict[str, Any] | None = None
    json: Any = None
    # Fields the view reads itself (not declared on the form), fuzzed like the others.
    extra_fields: dict[str, str] = dataclasses.field(default_factory=dict)
    # Answers that are right here besides a refusal by validation (bad credentials: 401).
    also: frozenset[int] = frozenset()
    # Answers that mean "refused" although below 400 (the sign-in form shown again).
    refusing: frozenset[int] = frozenset()


# Counted for docs/reliability.md; printed at the end of the module.
TRIED: dict[str, int] = {"api": 0, "forms": 0, "rendered": 0}


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and any(TRIED.values()):
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nhostile input: {TRIED['api']} API values, {TRIED['forms']} form values, "
                f"{TRIED['rendered']} pages and documents read back"
            )


# Sending and judging --------------------------------------------------------------------


def _send_raw(app, org, target: Target, raw: str | None, form: Any = None):
    me = org.principals[target.principal]
    path = access_org.path_for(app, target, org, target.principal)
    headers = {}
    if me.token and path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {me.token}"
    client = app.test_client()
    if me.cookie and not path.startswith("/api/"):
        client.set_cookie("procure_session", me.cookie)
    if raw is not None:
        body = raw.encode("utf-8", "surrogatepass")  # a lone surrogate, as a script sends it
        return client.open(
            path, method=target.method, data=body, headers=headers, content_type="application/json"
        )
    if target.method == "GET":
        return client.open(path, method="GET", query_string=_urlencoded(form), headers=headers)
    if any(isinstance(value, tuple) for value in form.values()):
        # Multipart, encoded in memory (the test client would spool a large body to a
        # temporary file nobody closes). Parts are decoded replacing what is not UTF-8,
        # so a lone surrogate is sent as what the server would read.
        values = MultiDict()
        for key, value in form.items():
            if isinstance(value, tuple):
                values.add(key, FileStorage(stream=value[0], filename=value[1]))
            else:
                for item in value if isinstance(value, list) else [value]:
                    values.add(key, _as_decoded(item))
        boundary, body = encode_multipart(values)
        return client.open(
            path,
            method=target.method,
            data=body,
            headers=headers,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    return client.open(
        path,
        method=target.method,
        data=_urlencoded(form),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )


def _urlencoded(form: dict) -> str:
    """Form data as a client may send it: UTF-8, lone surrogates and all."""
    return urllib.parse.urlencode(form, doseq=True, encoding="utf-8", errors="surrogatepass")


def _as_decoded(value: Any) -> Any:
    if isinstance(value, list):
        return [_as_decoded(item) for item in value]
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return value


def _text_columns() -> list[tuple[sa.Table, list[sa.Column]]]:
    found = []
    for table in _db.metadata.sorted_tables:
        columns = [
            column
            for column in table.columns
            if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
        ]
        if columns:
            found.append((table, columns))
    return found


def _json_columns() -> list[sa.Column]:
    return [
        column
        for table in _db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.JSON)
    ]


def _holds(document: Any, value: str) -> bool:
    if isinstance(document, list):
        return any(_holds(item, value) for item in document)
    if isinstance(document, dict):
        return any(_holds(item, value) for item in document.values())
    return document == value


def stored(connection, value: str) -> bool:
    """Whether some text column of some row (or a string in a JSON column) is ``value``."""
    for table, columns in _text_columns():
        match = sa.or_(*(column == value for column in columns))
        if connection.execute(sa.select(sa.literal(1)).select_from(table).where(match)).first():
            return True
    return any(
        _holds(document, value)
        for column in _json_columns()
        for document in connection.execute(sa.select(column)).scalars()
    )


def _as_read(value: str) -> set[str]:
    """What a server reads from ``value`` sent as UTF-8: the same, unless it holds a lone
    surrogate (not UTF-8), which a JSON or multipart reader turns into U+FFFD and a
    form-encoded reader leaves percent-encoded."""
    if not LONE_SURROGATE.search(value):
        return {value}
    return {
        value.encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        LONE_SURROGATE.sub(
            lambda m: urllib.parse.quote(m.group().encode("utf-8", "surrogatepass")), value
        ),
    }


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _stored_as_sent(connection, value: str) -> bool:
    # Names and titles are documented as stripped of surrounding blanks.
    return any(
        stored(connection, read) or (read.strip() != read and stored(connection, read.strip()))
        for read in _as_read(value)
    )


def _judge(
    response, payload, kind, allowed, connection, before, after, where, refusing=frozenset()
) -> list[str]:
    """What is wrong with the answer to ``payload`` in the field ``where`` (of ``kind``:
    only ``text`` fields that keep what they are given are checked for storage)."""
    problems = []
    status = response.status_code
    if status >= 500 or status not in allowed:
        problems.append(f"{where}: {payload.kind} {_short(payload.value)} -> {status}")
        return problems
    if response.is_json and status >= 400:
        error = (response.get_json(silent=True) or {}).get("error") or {}
        if not {"code", "message"} <= set(error):
            problems.append(f"{where}: {status} without the documented error body")
    refused = status >= 400 or status == 303 or status in refusing
    if refused and after != before:
        problems.append(f"{where}: refused ({status}) but the audit log grew")
    if (
        not refused
        and kind == "text"
        and payload.text
        and payload.kind != "huge"
        and not _stored_as_sent(connection, payload.value)
    ):
        problems.append(f"{where}: {payload.kind} {_short(payload.value)} accepted but altered")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _keeps(app, org, target, value: str, *, raw=None, form=None) -> bool:
    """Whether the route stores a plain ``value`` sent in a field at all (an action's
    comment, say, may be accepted and not recorded): only then is storage checked."""
    connection = _db.engine
    savepoint = connection.begin_nested()
    try:
        response = _send_raw(app, org, target, raw, form)
        response.close()
        status = response.status_code
        refused = status >= 400 or status == 303 or status in target.refusing
        return not refused and stored(connection, value)
    finally:
        savepoint.rollback()


def _attempt(app, org, target, payload, kind, allowed, where, *, raw=None, form=None) -> list:
    allowed = set(allowed) | target.also
    if payload.kind == "huge":
        allowed.add(413)  # a form field over Werkzeug's in-memory limit is refused whole
    connection = _db.engine
    savepoint = connection.begin_nested()
    try:
        before = access_org.audit_head(connection)
        told = _newest_notification(connection)
        response = _send_raw(app, org, target, raw, form)
        body = response.get_json(silent=True) if response.is_json else None
        response.close()
        after = access_org.audit_head(connection)
        problems = _judge(
            response, payload, kind, allowed, connection, before, after, where, target.refusing
        )
        if not problems and payload.kind == "markup" and after != before:
            # Stored: the pages that show it, and the e-mails it caused, keep it inert.
            problems += _read_back(app, org, target, response, body, where)
            problems += _emails(connection, since=told)
        return problems
    finally:
        savepoint.rollback()


# Where an API collection's documents are shown as pages.
PAGES = {
    "requests": "/requests/{}",
    "rfqs": "/rfqs/{}",
    "orders": "/orders/{}",
    "invoices": "/invoices/{}",
    "vendors": "/vendors/{}",
    "contracts": "/contracts/{}",
    "budgets": "/budgets/",
    "departments": "/admin/",
    "delegations": "/profile",
    "auth": "/profile",
    "settings": "/admin/organisation",
    "licences": "/licences/{}",
    "agreements": "/agreements/{}",
    "request-types": "/admin/request-types",
    "assets": "/assets/{}",  # by tag, which the answer carries
    "webhooks": "/admin/webhooks/{}",
}


def _pages_of(app, org, target, response, body) -> list[str]:
    """The pages showing what ``target`` just stored: the document (the page a form
    redirected to; for the API, the page of the document it answered with), and lists."""
    path = access_org.path_for(app, target, org, target.principal)
    if not path.startswith("/api/"):
        pages = [response.location] if response.status_code == 302 else [path]
    else:
        parts = path.removeprefix("/api/v1/").split("/")
        ident = parts[1] if len(parts) > 1 and parts[1].isdigit() else (body or {}).get("id")
        if parts[0] == "assets":
            ident = (body or {}).get("tag")
        pages = [PAGES[parts[0]].format(ident)]
        if parts[0] == "rfqs" and (body or {}).get("order_id"):
            pages.append(f"/orders/{body['order_id']}")
    return pages + [
        "/", "/requests", "/rfqs", "/orders/", "/vendors", "/contracts/", "/assets", "/licences",
    ]  # fmt: skip


def _read_back(app, org, target, response, body, where) -> list[str]:
    problems = []
    readers = [target.principal] if target.principal != "anonymous" else []
    for principal in readers + ["admin/owner"]:
        client = app.test_client()
        client.set_cookie("procure_session", org.principals[principal].cookie)
        for page in _pages_of(app, org, target, response, body):
            shown = client.get(page)
            html = shown.get_data(as_text=True)
            shown.close()
            TRIED["rendered"] += 1
            if shown.status_code >= 500:
                problems.append(f"{where}: {page} answers {shown.status_code}")
            leaked = hostile.active_markup(html)
            if leaked:
                problems.append(f"{where}: {page} renders {leaked}")
    return problems


def _newest_notification(connection) -> int:
    return connection.scalar(sa.select(sa.func.max(Notification.id))) or 0


# API bodies -------------------------------------------------------------------------------

LINE_JSON = {
    "description": "Headset",
    "category": "hardware",
    "quantity": "2",
    "unit": "each",
    "unit_price": "80.00",
}
REQUEST_BODY = {
    "title": "Headsets",
    "justification": "Calls all day.",
    "department": "IT",
    "needed_by": (TODAY + dt.timedelta(days=30)).isoformat(),
    "currency": "USD",
    "lines": [LINE_JSON],
}
CONTRACT_BODY = {
    "vendor_id": "@vendor",
    "title": "Printer maintenance",
    "kind": "maintenance",
    "start_date": TODAY.isoformat(),
    "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
    "value": "600.00",
    "currency": "USD",
    "billing_period": "yearly",
    "auto_renew": False,
    "notice_days": 30,
    "renewal_term_months": 12,
    "sla_response_hours": 4,
    "sla_resolution_hours": 24,
    "covered_items": ["Printer"],
    "terms": "Standard terms.",
}
VENDOR_BODY = {
    "name": "Hostile Vendor",
    "legal_name": "Hostile Vendor Ltd",
    "tax_id": "GB123",
    "email": "sales@hostile.example",
    "phone": "+1 555 0100",
    "website": "https://hostile.example",
    "address": "1 Street",
    "categories": ["hardware"],
    "rating": 3,
    "notes": "Notes.",
    "contacts": [
        {
            "name": "Ann",
            "title": "Sales",
            "email": "ann@hostile.example",
            "phone": "1",
            "primary": True,
        }
    ],
}
ACTION = {"comment": "Checked.", "version": None}

INVOICE_BODY = {
    "order_id": "@order_issued",
    "vendor_invoice_number": "MX-NEW-1",
    "invoice_date": TODAY.isoformat(),
    "due_date": (TODAY + dt.timedelta(days=30)).isoformat(),
    "lines": [{"order_line_id": "@order_line", "quantity": "1", "unit_price": "800.00"}],
    "shipping": "0.00",
    "tax": "0.00",
    "total": "800.00",
    "note": "Typed in from the vendor's PDF.",
}

API_TARGETS: dict[str, Target] = {
    "api.create_invoice": Target("api.create_invoice", "POST", "finance/owner", json=INVOICE_BODY),
    "api.submit_invoice": Target(
        "api.submit_invoice",
        "POST",
        "finance/owner",
        {"invoice_id": "@invoice_draft"},
        json={"version": None},
    ),
    "api.resolve_invoice": Target(
        "api.resolve_invoice",
        "POST",
        "procurement/owner",
        {"invoice_id": "@invoice_held"},
        json={"reason": "Arrived late; the receipt is recorded.", "version": None},
    ),
    "api.release_invoice": Target(
        "api.release_invoice",
        "POST",
        "finance/owner",
        {"invoice_id": "@invoice_held"},
        json={"justification": "Prepaid under the contract.", "version": None},
    ),
    "api.approve_invoice": Target(
        "api.approve_invoice",
        "POST",
        "finance/owner",
        {"invoice_id": "@invoice_matched"},
        json={"version": None},
    ),
    "api.reject_invoice": Target(
        "api.reject_invoice",
        "POST",
        "finance/owner",
        {"invoice_id": "@invoice_matched"},
        json={"comment": "Not ours.", "version": None},
    ),
    "api.cancel_invoice": Target(
        "api.cancel_invoice",
        "POST",
        "finance/owner",
        {"invoice_id": "@invoice_draft"},
        json={"comment": "Entered twice.", "version": None},
    ),
    "api.pay_invoice": Target(
        "api.pay_invoice",
        "POST",
        "finance/owner",
        {"invoice_id": "@invoice_approved"},
        json={"paid_on": TODAY.isoformat(), "reference": "BANK-1", "version": None},
    ),
    "api.pay_invoices": Target(
        "api.pay_invoices",
        "POST",
        "finance/owner",
        json={
            "invoice_ids": ["@invoice_approved"],
            "paid_on": TODAY.isoformat(),
            "reference": "RUN-1",
        },
    ),
    "api.put_vendor_bank": Target(
        "api.put_vendor_bank",
        "PUT",
        "finance/owner",
        {"vendor_id": "@vendor"},
        json={"iban": "GB29 NWBK 6016 1331 9268 19", "bic": "NWBKGB2L"},
    ),
    "api.put_invoice_settings": Target(
        "api.put_invoice_settings",
        "PUT",
        "admin/owner",
        json={
            "price_tolerance_percent": "3",
            "price_tolerance_amount": "10.00",
            "two_way_categories": ["services"],
        },
    ),
    "api.put_order_settings": Target(
        "api.put_order_settings",
        "PUT",
        "admin/owner",
        json={"revision_tolerance_percent": "4", "revision_tolerance_amount": "400.00"},
    ),
    "api.patch_asset": Target(
        "api.patch_asset",
        "PATCH",
        "procurement/owner",
        {"asset_id": "@asset"},
        json={
            "serial": "HOSTILE-SN-1",
            "tag": "HOSTILE-TAG-1",
            "location": "Lab",
            "warranty_end": (TODAY + dt.timedelta(days=400)).isoformat(),
            "version": None,
        },
    ),
    "api.deploy_asset": Target(
        "api.deploy_asset",
        "POST",
        "asset_manager/owner",
        {"asset_id": "@asset_in_stock"},
        json={
            "holder": "@target_user",
            "location": "HQ",
            "comment": "New starter.",
            "version": None,
        },
    ),
    **{
        f"api.{action}_asset": Target(
            f"api.{action}_asset",
            "POST",
            "asset_manager/owner",
            {"asset_id": "@asset"},
            json={"location": "Stores", "comment": "Checked.", "version": None},
        )
        for action in ("return", "repair", "retire")
    },
    # Disposing of an asset takes a retired one; the owner's dock is deployed: the
    # baseline is a refusal of the move, and no hostile value may turn it into a 500.
    "api.dispose_asset": Target(
        "api.dispose_asset",
        "POST",
        "asset_manager/owner",
        {"asset_id": "@asset"},
        json={"location": "Skip", "comment": "Checked.", "version": None},
        also=frozenset({409}),
    ),
    "api.assign_seat": Target(
        "api.assign_seat",
        "POST",
        "asset_manager/owner",
        {"licence_id": "@licence"},
        json={"user_id": "@target_user", "version": None},
    ),
    "api.patch_licence": Target(
        "api.patch_licence",
        "PATCH",
        "asset_manager/owner",
        {"licence_id": "@licence"},
        json={
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
            "contract_id": None,
            "version": None,
        },
    ),
    "api.release_seat": Target(
        "api.release_seat",
        "POST",
        "asset_manager/owner",
        {"licence_id": "@licence"},
        json={"user_id": "@licence_holder", "version": None},
    ),
    "api.put_asset_settings": Target(
        "api.put_asset_settings",
        "PUT",
        "admin/owner",
        json={
            "hardware_categories": ["hardware"],
            "licence_categories": ["licence"],
            "locations": ["HQ", "Annex"],
            "warranty_reminder_days": 45,
        },
    ),
    "api.create_agreement": Target(
        "api.create_agreement",
        "POST",
        "procurement/owner",
        json={
            "vendor_id": "@vendor",
            "title": "Hostile monitors",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=200)).isoformat(),
            "currency": None,
            "ceiling": "5000.00",
            "rfq_id": None,
            "terms": "Delivered within a week.",
            "items": [
                {
                    "description": "Monitor",
                    "category": "hardware",
                    "unit": "each",
                    "unit_price": "199.00",
                    "max_quantity": "10",
                }
            ],
        },
    ),
    "api.activate_agreement": Target(
        "api.activate_agreement",
        "POST",
        "procurement/owner",
        {"agreement_id": "@agreement_draft"},
        json=ACTION,
    ),
    "api.close_agreement": Target(
        "api.close_agreement",
        "POST",
        "procurement/owner",
        {"agreement_id": "@agreement"},
        json=ACTION,
    ),
    "api.call_off": Target(
        "api.call_off",
        "POST",
        "procurement/owner",
        {"agreement_id": "@agreement"},
        json={"request_id": "@catalogue_request"},
    ),
    "api.create_request_type": Target(
        "api.create_request_type",
        "POST",
        "admin/owner",
        json={
            "code": "hostile",
            "name": "Hostile kind",
            "fields": [
                {"name": "users", "label": "Users", "kind": "number", "required": False},
                {
                    "name": "tier",
                    "label": "Tier",
                    "kind": "choice",
                    "required": True,
                    "choices": ["gold", "silver"],
                },
            ],
        },
    ),
    "api.create_webhook": Target(
        "api.create_webhook",
        "POST",
        "admin/owner",
        json={
            "url": access_org.WEBHOOK_URL + "/hostile",
            "secret": access_org.WEBHOOK_SECRET,
            "events": ["request.approved", "order.issued"],
            "kind": "slack",
            "description": "The service desk",
        },
    ),
    "api.put_sourcing_settings": Target(
        "api.put_sourcing_settings", "PUT", "admin/owner", json={"two_to_open": True}
    ),
    "api.put_currencies": Target(
        "api.put_currencies", "PUT", "admin/owner", json={"enabled": ["EUR", "GBP", "JPY"]}
    ),
    "api.post_rate": Target(
        "api.post_rate",
        "POST",
        "finance/owner",
        json={"currency": "EUR", "date": TODAY.isoformat(), "rate": "1.0825"},
    ),
    "api.create_request": Target(
        "api.create_request", "POST", "requester/owner", json=REQUEST_BODY
    ),
    "api.patch_request": Target(
        "api.patch_request",
        "PATCH",
        "requester/owner",
        params={"pr_id": "@pr_draft"},
        json={k: v for k, v in REQUEST_BODY.items() if k != "department"},
    ),
    "api.submit_request": Target(
        "api.submit_request", "POST", "requester/owner", {"pr_id": "@pr_draft"}, json=ACTION
    ),
    "api.approve_request": Target(
        "api.approve_request", "POST", "approver/same", {"pr_id": "@pr_pending"}, json=ACTION
    ),
    "api.reject_request": Target(
        "api.reject_request", "POST", "approver/same", {"pr_id": "@pr_pending"}, json=ACTION
    ),
    "api.return_request": Target(
        "api.return_request", "POST", "approver/same", {"pr_id": "@pr_pending"}, json=ACTION
    ),
    "api.cancel_request": Target(
        "api.cancel_request", "POST", "requester/owner", {"pr_id": "@pr_pending"}, json=ACTION
    ),
    "api.create_budget": Target(
        "api.create_budget",
        "POST",
        "finance/owner",
        json={
            "department": "OPS",
            "fiscal_year": TODAY.year,
            "amount": "5000",
            "currency": "USD",
            "category": "hardware",
        },
    ),
    "api.patch_budget": Target(
        "api.patch_budget",
        "PATCH",
        "finance/owner",
        {"budget_id": "@budget"},
        json={"amount": "900000", "version": None},
    ),
    "api.create_contract": Target(
        "api.create_contract", "POST", "procurement/owner", json=CONTRACT_BODY
    ),
    "api.patch_contract": Target(
        "api.patch_contract",
        "PATCH",
        "procurement/owner",
        {"contract_id": "@contract_draft"},
        json={**CONTRACT_BODY, "version": None},
    ),
    "api.activate_contract": Target(
        "api.activate_contract",
        "POST",
        "procurement/owner",
        {"contract_id": "@contract_draft"},
        json=ACTION,
    ),
    "api.renew_contract": Target(
        "api.renew_contract",
        "POST",
        "procurement/owner",
        {"contract_id": "@contract_active"},
        json={**ACTION, "end_date": (TODAY + dt.timedelta(days=700)).isoformat()},
    ),
    "api.terminate_contract": Target(
        "api.terminate_contract",
        "POST",
        "procurement/owner",
        {"contract_id": "@contract_active"},
        json=ACTION,
    ),
    "api.create_token": Target(
        "api.create_token",
        "POST",
        "anonymous",
        json={"email": "requester.owner@matrix.example", "password": PASSWORD, "name": "script"},
        also=frozenset({401}),  # a hostile address or password is a failed sign-in
    ),
    "api.create_delegation": Target(
        "api.create_delegation",
        "POST",
        "approver/owner",
        json={**DELEGATION_FORM, "delegate": "approver.same@matrix.example"},
    ),
    "api.create_department": Target(
        "api.create_department", "POST", "admin/owner", json={"code": "LAB", "name": "Lab"}
    ),
    "api.put_organisation": Target(
        "api.put_organisation",
        "PUT",
        "admin/owner",
        json={
            "name": "Northwind Traders Ltd",
            "address": "12 Harbour Road",
            "phone": "+44 23 9200 1234",
            "email": "buying@northwind.example",
            "tax_id": "GB 123 4567 89",
            "bill_to": "PO Box 77",
            "terms": "Net 30.",
        },
    ),
    "api.patch_order": Target(
        "api.patch_order",
        "PATCH",
        "procurement/owner",
        {"order_id": "@order_draft"},
        json={
            "delivery_address": "Dock 4",
            "needed_by": (TODAY + dt.timedelta(days=20)).isoformat(),
            "payment_terms": "30 days net",
            "terms": "Deliver in working hours.",
            "version": None,
        },
    ),
    "api.issue_order": Target(
        "api.issue_order", "POST", "procurement/owner", {"order_id": "@order_draft"}, json=ACTION
    ),
    "api.receive_order": Target(
        "api.receive_order",
        "POST",
        "procurement/owner",
        {"order_id": "@order_issued"},
        json={
            "lines": [{"line_id": "@order_line", "quantity": "1"}],
            "received_on": TODAY.isoformat(),
            "note": "Complete.",
            "version": None,
        },
    ),
    "api.revise_order": Target(
        "api.revise_order",
        "POST",
        "procurement/owner",
        {"order_id": "@order_issued"},
        json={
            "reason": "The vendor charges delivery.",
            "lines": [
                {"line_id": "@order_line", "description": "Laptop", "quantity": "2"},
                {"description": "Dock", "quantity": "1", "unit_price": "10.00", "unit": "each"},
            ],
            "shipping": "12.00",
            "tax": "0.00",
            "needed_by": (TODAY + dt.timedelta(days=20)).isoformat(),
            "delivery_address": "Dock 4",
            "terms": "Deliver in working hours.",
            "payment_terms": "30 days net",
            "version": None,
        },
    ),
    "api.return_goods": Target(
        "api.return_goods",
        "POST",
        "procurement/owner",
        {"order_id": "@order_received"},
        json={
            "lines": [{"line_id": "@order_received_line", "quantity": "1"}],
            "returned_on": TODAY.isoformat(),
            "reason": "Arrived broken.",
            "rma": "RMA-1",
            "version": None,
        },
    ),
    "api.reverse_receipt": Target(
        "api.reverse_receipt",
        "POST",
        "procurement/owner",
        {"order_id": "@order_partial", "receipt_id": "@receipt"},
        json={"reason": "Booked against the wrong order.", "version": None},
    ),
    "api.close_order": Target(
        "api.close_order",
        "POST",
        "procurement/owner",
        {"order_id": "@order_received"},
        json=ACTION,
    ),
    "api.cancel_order": Target(
        "api.cancel_order", "POST", "procurement/owner", {"order_id": "@order_issued"}, json=ACTION
    ),
    "api.create_rfq": Target(
        "api.create_rfq",
        "POST",
        "procurement/owner",
        json={
            "request_id": "@pr_approved",
            "vendor_ids": ["@vendor"],
            "due_date": DUE.isoformat(),
            "weights": {"price": 0.6, "lead_time": 0.2, "rating": 0.2, "warranty": 0},
            "notes": "Quote by Friday.",
        },
    ),
    "api.send_rfq": Target(
        "api.send_rfq", "POST", "procurement/owner", {"rfq_id": "@rfq_draft"}, json=ACTION
    ),
    "api.cancel_rfq": Target(
        "api.cancel_rfq", "POST", "procurement/owner", {"rfq_id": "@rfq_open"}, json=ACTION
    ),
    "api.award_rfq": Target(
        "api.award_rfq",
        "POST",
        "procurement/owner",
        {"rfq_id": "@rfq_open"},
        json={"quote_id": "@quote", "justification": "Best value.", "version": None},
    ),
    "api.create_quote": Target(
        "api.create_quote",
        "POST",
        "procurement/owner",
        {"rfq_id": "@rfq_open"},
        json={
            **QUOTE_JSON,
            "currency": "USD",
            "warranty_months": 12,
            "payment_terms": "30 days net",
            "shipping": "10.00",
            "tax": "5.00",
            "notes": "Stock available.",
            "lines": [
                {
                    "description": "Laptop",
                    "quantity": "1",
                    "unit_price": "840.00",
                    "unit": "each",
                    "request_line_id": "@rfq_open_line0",
                },
                {"description": "Dock", "quantity": "1", "unit_price": "85.00"},
            ],
        },
    ),
    "api.create_vendor": Target(
        "api.create_vendor", "POST", "procurement/owner", json=VENDOR_BODY
    ),
    "api.patch_vendor": Target(
        "api.patch_vendor",
        "PATCH",
        "procurement/owner",
        {"vendor_id": "@vendor"},
        json={**VENDOR_BODY, "name": "Matrix Vendor 1"},
    ),
    "api.approve_vendor": Target(
        "api.approve_vendor", "POST", "procurement/owner", {"vendor_id": "@prospect"}, json=ACTION
    ),
    "api.suspend_vendor": Target(
        "api.suspend_vendor", "POST", "procurement/owner", {"vendor_id": "@vendor"}, json=ACTION
    ),
    "api.reinstate_vendor": Target(
        "api.reinstate_vendor",
        "POST",
        "procurement/owner",
        {"vendor_id": "@suspended_vendor"},
        json=ACTION,
    ),
    "api.block_vendor": Target(
        "api.block_vendor", "POST", "procurement/owner", {"vendor_id": "@vendor"}, json=ACTION
    ),
}
BODY_OPERATIONS = {op.endpoint: op for op in OPERATIONS if op.body is not None}
QUERY_OPERATIONS = [op for op in OPERATIONS if op.query is not None]


def _schema(model: type[pydantic.BaseModel]) -> tuple[dict, dict]:
    schema = model.model_json_schema(mode="validation")
    return schema, schema.get("$defs", {})


def test_every_api_body_has_a_target():
    missing = sorted(set(BODY_OPERATIONS) - set(API_TARGETS))
    stale = sorted(set(API_TARGETS) - set(BODY_OPERATIONS))
    assert not missing, f"API bodies without a hostile-input target: {missing}"
    assert not stale, f"targets of API bodies that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint", sorted(API_TARGETS))
def test_api_body(app, org, endpoint):
    target = API_TARGETS[endpoint]
    baseline = access_org.resolve(target.json, org, target.principal)
    sane = _attempt(
        app, org, target, hostile.Payload("baseline", None), "", {200, 201}, "baseline",
        raw=hostile.dumps(baseline),
    )  # fmt: skip
    assert not sane, sane
    schema, defs = _schema(BODY_OPERATIONS[endpoint].body)
    problems = []
    for index, (path, kind) in enumerate(hostile.json_fields(schema, defs)):
        where = ".".join(map(str, path))
        plain = f"plain {where}"
        if kind == "text" and not _keeps(
            app, org, target, plain, raw=hostile.dumps(hostile.with_value(baseline, path, plain))
        ):
            kind = "text, not kept"
        for payload in hostile.for_json_field(index, kind.split(",")[0]):
            body = hostile.with_value(baseline, path, payload.value)
            problems += _attempt(
                app, org, target, payload, kind, {200, 201, 409, 422}, where,
                raw=hostile.dumps(body),
            )  # fmt: skip
            TRIED["api"] += 1
    # The whole body: nested past any sane depth (not parsed: 400), over the limit (413).
    deep = hostile.Payload("nesting", "deep")
    problems += _attempt(app, org, target, deep, "", {400}, "body", raw=hostile.deep_body())
    padded = {**baseline, "padding": "x" * hostile.OVER_LIMIT}
    over = hostile.Payload("huge", "over the limit")
    problems += _attempt(app, org, target, over, "", {413}, "body", raw=hostile.dumps(padded))
    TRIED["api"] += 2
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("op", QUERY_OPERATIONS, ids=lambda op: op.endpoint)
def test_api_query(app, org, op):
    target = Target(op.endpoint, "GET", "admin/owner", params=_any_params(op.path))
    schema, defs = _schema(op.query)
    problems = []
    for index, (name, _kind) in enumerate(hostile.json_fields(schema, defs)):
        for payload in hostile.for_form_field(index, "query"):
            query = {name[0]: payload.value}
            problems += _attempt(
                app, org, target, payload, "query", {200, 422}, name[0], form=query
            )
            TRIED["api"] += 1
    assert not problems, "\n".join(problems)


def _any_params(path: str) -> dict[str, str]:
    names = re.findall(r"<(?:\w+:)?(\w+)>", path)
    return {name: {"rfq_id": "@rfq_open"}.get(name, "@pr_pending") for name in names}


# Forms ----------------------------------------------------------------------------------

FORM_TARGETS: dict[str, list[Target]] = {
    "admin.forms.UserForm": [
        Target(
            "admin.edit_user",
            "POST",
            "admin/owner",
            {"user_id": "@target_user"},
            form={
                "name": "Target Renamed",
                "department": "OPS",
                "roles": ["approver"],
                "active": "y",
            },
        )
    ],
    "admin.forms.NewUserForm": [
        Target(
            "admin.new_user",
            "POST",
            "admin/owner",
            form={
                "email": "new.person@matrix.example",
                "name": "New Person",
                "password": "a long enough password",
                "department": "IT",
                "roles": ["requester"],
                "active": "y",
            },
        )
    ],
    "admin.forms.ResetPasswordForm": [
        Target(
            "admin.reset_password",
            "POST",
            "admin/owner",
            {"user_id": "@target_user"},
            form={"password": "a long enough password"},
        )
    ],
    "admin.forms.DepartmentForm": [
        Target(
            "admin.create_department", "POST", "admin/owner", form={"code": "LAB", "name": "Lab"}
        )
    ],
    "admin.forms.RenameDepartmentForm": [
        Target(
            "admin.edit_department",
            "POST",
            "admin/owner",
            {"department_id": "@department"},
            form={"name": "Operations and Facilities"},
        )
    ],
    "admin.forms.CategoryForm": [
        Target(
            "admin.add_category", "POST", "admin/owner", form={"name": "lab", "label": "Lab kit"}
        )
    ],
    "admin.forms.ToggleForm": [
        Target(
            "admin.toggle_category", "POST", "admin/owner", {"category_id": "@category"}, form={}
        )
    ],
    "admin.policy_views.RuleForm": [
        Target("admin.policy_rules", "POST", "admin/owner", form={**RULE_FORM, "department": "IT"})
    ],
    "admin.policy_views.QuoteRuleForm": [
        Target(
            "admin.quote_rule",
            "POST",
            "admin/owner",
            form={"threshold": "10000", "min_quotes": "3"},
        )
    ],
    "admin.scim_views.ScimTokenForm": [
        Target("admin.issue_scim_token", "POST", "admin/owner", form={"name": "Entra ID"})
    ],
    "exchange.forms.RateForm": [
        Target(
            "exchange.record_rate",
            "POST",
            "finance/owner",
            form={"currency": "EUR", "date": TODAY.isoformat(), "rate": "1.0825"},
        )
    ],
    "exchange.forms.ImportForm": [
        Target(
            "exchange.import_rates",
            "POST",
            "finance/owner",
            form={"file": ("@file", b"date,currency,rate\n2026-12-01,EUR,1.0825\n", "r.csv")},
        )
    ],
    "exchange.forms.EnableForm": [
        Target("exchange.enable_currency", "POST", "admin/owner", form={"code": "JPY"})
    ],
    "exchange.forms.ActionForm": [
        Target("exchange.disable_currency", "POST", "admin/owner", {"code": "GBP"}, form={})
    ],
    "admin.sign_in_views.SignInMappingForm": [
        Target(
            "admin.sign_in_settings",
            "POST",
            "admin/owner",
            form={
                "group_roles": "procure-finance = finance",
                "groups_claim": "groups",
                "department_attribute": "department",
                "department_values": "Ops team = OPS",
                "default_department": "IT",
                "contact": "the service desk",
            },
        )
    ],
    "admin.organisation_views.OrganisationForm": [
        Target(
            "admin.organisation_details",
            "POST",
            "admin/owner",
            form={"name": "Northwind Traders Ltd", "email": "buying@northwind.example"},
        )
    ],
    "admin.invoice_views.ToleranceForm": [
        Target(
            "admin.invoice_settings",
            "POST",
            "admin/owner",
            form={"percent": "3", "amount": "10.00", "two_way_categories": ["services"]},
        )
    ],
    "admin.organisation_views.AgreementForm": [
        Target(
            "admin.agreement",
            "POST",
            "admin/owner",
            form={key: f"The {heading} clause." for key, heading in organisation.CLAUSES},
        )
    ],
    "admin.policy_views.SlaForm": [
        Target("admin.approval_sla", "POST", "admin/owner", form={"days": "3"})
    ],
    "admin.policy_views.SplitWindowForm": [
        Target("admin.split_window", "POST", "admin/owner", form={"days": "30"})
    ],
    "admin.policy_views.ToggleRuleForm": [
        Target("admin.toggle_rule", "POST", "admin/owner", {"rule_id": "@policy_rule"}, form={})
    ],
    "auth.forms.LoginForm": [
        Target(
            "auth.login",
            "POST",
            "anonymous",
            form={"email": "requester.owner@matrix.example", "password": PASSWORD, "next": "/"},
            refusing=frozenset({200}),  # the form again, with "not right"
        )
    ],
    "auth.forms.ChangePasswordForm": [
        Target(
            "auth.change_password",
            "POST",
            "requester/owner",
            form={
                "current_password": PASSWORD,
                "new_password": "a new long password",
                "confirm": "a new long password",
            },
        )
    ],
    "auth.forms.TokenForm": [
        Target(
            "auth.create_token",
            "POST",
            "requester/owner",
            form={"name": "reporting script", "once": "abc"},
        )
    ],
    "auth.forms.RevokeForm": [
        Target("auth.revoke_token", "POST", "requester/owner", {"token_id": "@token"}, form={})
    ],
    "auth.forms.DelegationForm": [
        Target("auth.delegate", "POST", "approver/owner", form=DELEGATION_FORM)
    ],
    "budgets.forms.BudgetForm": [
        Target(
            "budgets.create",
            "POST",
            "finance/owner",
            form={
                "department": "OPS",
                "fiscal_year": str(TODAY.year),
                "amount": "5000",
                "category": "hardware",
            },
        )
    ],
    "budgets.forms.AmountForm": [
        Target(
            "budgets.set_amount",
            "POST",
            "finance/owner",
            {"budget_id": "@budget"},
            form={"amount": "900000", "version": ""},
        )
    ],
    "budgets.forms.YearForm": [
        Target("budgets.index", "GET", "finance/owner", form={"year": str(TODAY.year)})
    ],
    "contracts.forms.ContractForm": [
        Target(
            "contracts.new",
            "POST",
            "procurement/owner",
            form={
                **CONTRACT_FORM,
                "auto_renew": "y",
                "sla_response_hours": "4",
                "sla_resolution_hours": "24",
                "covered_items": "Printer\nScanner",
                "terms": "Standard terms.",
                "order_id": "",
            },
        )
    ],
    "contracts.forms.ActionForm": [
        Target(
            "contracts.act",
            "POST",
            "procurement/owner",
            {"contract_id": "@contract_active", "action": "renew"},
            form={
                "comment": "Another year.",
                "end_date": (TODAY + dt.timedelta(days=700)).isoformat(),
                "version": "",
            },
        )
    ],
    "contracts.forms.FilterDays": [
        Target("contracts.index", "GET", "procurement/owner", form={"notice_within": "30"})
    ],
    "agreements.forms.AgreementForm": [
        Target(
            "agreements.new",
            "POST",
            "procurement/owner",
            form={
                "vendor_id": "@vendor",
                "title": "Hostile monitors",
                "start_date": TODAY.isoformat(),
                "end_date": (TODAY + dt.timedelta(days=200)).isoformat(),
                "currency": "",
                "ceiling": "5000.00",
                "rfq_id": "",
                "terms": "Delivered within a week.",
                "save": "Save draft",
            },
            extra_fields={
                "items-0-description": "Monitor",
                "items-0-category": "hardware",
                "items-0-unit": "each",
                "items-0-unit_price": "199.00",
                "items-0-max_quantity": "10",
            },
        )
    ],
    "agreements.forms.ActionForm": [
        Target(
            "agreements.act",
            "POST",
            "procurement/owner",
            {"agreement_id": "@agreement", "action": "close"},
            form={"comment": "Replaced.", "version": ""},
        )
    ],
    "agreements.forms.CallOffForm": [
        Target(
            "agreements.call_off",
            "POST",
            "procurement/owner",
            {"agreement_id": "@agreement"},
            form={"request_number": "", "request_id": "@catalogue_request"},
        )
    ],
    "purchasing.forms_act.LinkDecisionForm": [
        Target(
            "purchasing.by_email.decide",
            "POST",
            "anonymous",
            {"token": "@act_token"},
            form={"decision": "approve", "comment": "Fine by me."},
        )
    ],
    "webhooks.forms.WebhookForm": [
        Target(
            "webhooks.create",
            "POST",
            "admin/owner",
            form={
                "url": access_org.WEBHOOK_URL + "/hostile",
                "kind": "json",
                "secret": access_org.WEBHOOK_SECRET,
                "events": "order.issued",
                "description": "The service desk",
            },
        )
    ],
    "webhooks.forms.DeleteForm": [
        Target("webhooks.delete", "POST", "admin/owner", {"endpoint_id": "@webhook"}, form={})
    ],
    "admin.request_type_views.RequestTypeForm": [
        Target(
            "admin.request_types_page",
            "POST",
            "admin/owner",
            form={"code": "hostile", "name": "Hostile kind", "fields": "notes; Notes; text"},
        )
    ],
    "admin.request_type_views.ToggleTypeForm": [
        Target(
            "admin.toggle_request_type",
            "POST",
            "admin/owner",
            {"type_id": "@request_type"},
            form={},
        )
    ],
    "assets.forms.DeployForm": [
        Target(
            "assets.deploy",
            "POST",
            "asset_manager/owner",
            {"asset_id": "@asset_in_stock"},
            form={
                "holder": "target@matrix.example",
                "location": "HQ",
                "comment": "New starter.",
                "version": "",
            },
        )
    ],
    "assets.forms.MoveForm": [
        Target(
            "assets.act",
            "POST",
            "asset_manager/owner",
            {"asset_id": "@asset", "move": "repair"},
            form={"location": "Workshop", "comment": "Broken hinge.", "version": ""},
        )
    ],
    "assets.forms.EditForm": [
        Target(
            "assets.edit",
            "POST",
            "asset_manager/owner",
            {"asset_id": "@asset"},
            form={
                "serial": "HOSTILE-SN-2",
                "tag": "HOSTILE-TAG-2",
                "location": "Lab",
                "warranty_end": (TODAY + dt.timedelta(days=400)).isoformat(),
                "version": "",
            },
        )
    ],
    "assets.forms.AssignForm": [
        Target(
            "assets.assign_seat",
            "POST",
            "asset_manager/owner",
            {"licence_id": "@licence"},
            form={"user": "target@matrix.example", "version": ""},
        )
    ],
    "assets.forms.TermForm": [
        Target(
            "assets.save_term",
            "POST",
            "asset_manager/owner",
            {"licence_id": "@licence"},
            form={
                "start_date": TODAY.isoformat(),
                "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
                "contract": "",
                "version": "",
            },
        )
    ],
    "assets.forms.ReleaseForm": [
        Target(
            "assets.release_seat",
            "POST",
            "asset_manager/owner",
            {"licence_id": "@licence"},
            form={"user_id": "@licence_holder", "version": ""},
        )
    ],
    "assets.forms.RegistryForm": [
        Target(
            "assets.settings",
            "POST",
            "admin/owner",
            form={
                "hardware_categories": "hardware",
                "licence_categories": "licence",
                "locations": "HQ\nAnnex",
                "warranty_reminder_days": "45",
            },
        )
    ],
    "assets.forms.CoverageForm": [
        Target(
            "contracts.save_coverage",
            "POST",
            "procurement/owner",
            {"contract_id": "@contract_active"},
            form={"assets": "@asset_in_stock"},
        )
    ],
    "assets.report_views.WarrantyFilterForm": [
        Target("assets.report_warranty", "GET", "finance/owner", form={"days": "90"})
    ],
    "orders.forms.DraftForm": [
        Target(
            "orders.edit",
            "POST",
            "procurement/owner",
            {"order_id": "@order_draft"},
            form={
                "delivery_address": "Dock 4",
                "needed_by": (TODAY + dt.timedelta(days=20)).isoformat(),
                "payment_terms": "30 days net",
                "terms": "Deliver in working hours.",
                "version": "",
            },
        )
    ],
    "orders.forms.ReceiveForm": [
        Target(
            "orders.receive",
            "POST",
            "procurement/owner",
            {"order_id": "@order_issued"},
            form={"received_on": TODAY.isoformat(), "note": "Complete.", "version": ""},
            extra_fields={"line-@order_line": "1", "serials-@order_line": "HOSTILE-SN-3, HT-3"},
        )
    ],
    "orders.after_forms.RevisionForm": [
        Target(
            "orders.revise",
            "POST",
            "procurement/owner",
            {"order_id": "@order_issued"},
            form={
                "needed_by": (TODAY + dt.timedelta(days=20)).isoformat(),
                "delivery_address": "Dock 4",
                "payment_terms": "30 days net",
                "terms": "Deliver in working hours.",
                "reason": "The vendor charges delivery.",
                "version": "",
            },
            extra_fields={
                "line-@order_line-description": "Laptop",
                "line-@order_line-quantity": "1",
                "line-@order_line-unit_price": "800.00",
                "line-@order_line_b-description": "Dock",
                "shipping": "12.00",
                "tax": "0.00",
            },
        )
    ],
    "orders.after_forms.ReturnForm": [
        Target(
            "orders.send_back",
            "POST",
            "procurement/owner",
            {"order_id": "@order_received"},
            form={
                "returned_on": TODAY.isoformat(),
                "rma": "RMA-1",
                "reason": "Arrived broken.",
                "version": "",
            },
            extra_fields={"line-@order_received_line": "1"},
        )
    ],
    "orders.after_forms.ReverseForm": [
        Target(
            "orders.reverse",
            "POST",
            "procurement/owner",
            {"order_id": "@order_partial", "receipt_id": "@receipt"},
            form={"reason": "Booked against the wrong order.", "version": ""},
        )
    ],
    "orders.settings_views.RevisionToleranceForm": [
        Target(
            "admin.order_settings",
            "POST",
            "admin/owner",
            form={"percent": "4", "amount": "400.00"},
        )
    ],
    "orders.forms.ActionForm": [
        Target(
            "orders.act",
            "POST",
            "procurement/owner",
            {"order_id": "@order_issued", "action": "cancel"},
            form={"comment": "The vendor cannot deliver.", "version": ""},
        )
    ],
    "purchasing.forms.RequestForm": [
        Target(
            "purchasing.new",
            "POST",
            "requester/owner",
            form={**REQUEST_FORM, "needed_by": (TODAY + dt.timedelta(days=30)).isoformat()},
        ),
        Target(
            "purchasing.edit",
            "POST",
            "requester/owner",
            {"pr_id": "@pr_draft"},
            form={**REQUEST_FORM, "version": ""},
        ),
    ],
    "purchasing.forms.DecisionForm": [
        Target(
            "purchasing.act",
            "POST",
            "approver/same",
            {"pr_id": "@pr_pending", "action": "reject"},
            form={"comment": "Not this year.", "version": ""},
        )
    ],
    "purchasing.forms.ListFilterForm": [
        Target("purchasing.index", "GET", "requester/owner", form={"status": "draft", "mine": "1"})
    ],
    "reports.forms.FilterForm": [
        Target(
            "reports.cycle_time",
            "GET",
            "finance/owner",
            form={
                "start": TODAY.replace(month=1, day=1).isoformat(),
                "end": TODAY.isoformat(),
                "department": "IT",
                "category": "hardware",
                "vendor": "",
            },
        )
    ],
    "reports.forms.SpendFilterForm": [
        Target(
            "reports.spend",
            "GET",
            "finance/owner",
            form={"by": "vendor", "department": "IT", "category": "hardware"},
        )
    ],
    "sourcing.forms.RfqForm": [
        Target(
            "sourcing.new",
            "POST",
            "procurement/owner",
            query={"request_id": "@pr_approved"},
            form={
                "vendors": ["@vendor"],
                "due_date": DUE.isoformat(),
                "weight_price": "0.6",
                "weight_lead_time": "0.2",
                "weight_rating": "0.2",
                "weight_warranty": "0",
                "notes": "Quote by Friday.",
            },
        )
    ],
    "sourcing.forms.QuoteForm": [
        Target(
            "sourcing.record_quote",
            "POST",
            "procurement/owner",
            {"rfq_id": "@rfq_open"},
            form={**QUOTE_FORM, "notes": "Stock available."},
        ),
        Target(
            "sourcing.vendor_quote",
            "POST",
            "anonymous",
            {"token": "@quote_token"},
            form={**QUOTE_FORM, "notes": "Stock available."},
        ),
    ],
    "sourcing.forms.DeclineForm": [
        Target(
            "sourcing.vendor_decline",
            "POST",
            "anonymous",
            {"token": "@quote_token"},
            form={"decline-reason": "We do not stock these."},
        )
    ],
    "sourcing.forms.AwardForm": [
        Target(
            "sourcing.award",
            "POST",
            "procurement/owner",
            {"rfq_id": "@rfq_open"},
            form={"quote_id": "@quote", "justification": "Best value.", "version": ""},
        )
    ],
    "sourcing.forms.ActionForm": [
        Target(
            "sourcing.cancel",
            "POST",
            "procurement/owner",
            {"rfq_id": "@rfq_open"},
            form={"comment": "Not needed.", "version": ""},
        )
    ],
    "vendors.forms.VendorForm": [
        Target(
            "vendors.new",
            "POST",
            "procurement/owner",
            form={
                **VENDOR_FORM,
                "legal_name": "New Vendor Ltd",
                "tax_id": "GB1",
                "website": "https://new-vendor.example",
                "phone": "+1 555 0101",
                "address": "2 Street",
                "notes": "Notes.",
                "contacts-0-name": "Ann",
                "contacts-0-title": "Sales",
                "contacts-0-email": "ann@new-vendor.example",
                "contacts-0-phone": "1",
                "contacts-0-is_primary": "y",
            },
        )
    ],
    "vendors.forms.ActionForm": [
        Target(
            "vendors.act",
            "POST",
            "procurement/owner",
            {"vendor_id": "@vendor", "action": "suspend"},
            form={"comment": "Late deliveries.", "version": ""},
        )
    ],
    "invoices.vendor_views.VendorInvoiceForm": [
        Target(
            "invoice_link.vendor_invoice",
            "POST",
            "procurement/owner",  # the token is the credential: whoever holds it
            {"token": "@invoice_token"},
            form=INVOICE_LINK_FORM,
        )
    ],
    "invoices.vendor_views.VendorEinvoiceForm": [
        Target(
            "invoice_link.vendor_einvoice_upload",
            "POST",
            "procurement/owner",
            {"token": "@invoice_token"},
            form={
                "einvoice-xml": ("@file", "@ubl_invoice", "invoice.xml"),
                "einvoice-pdf": ("@file", PDF_BYTES, "invoice.pdf"),
            },
        )
    ],
    "invoices.forms.InvoiceForm": [
        Target(
            "invoices.new",
            "POST",
            "procurement/owner",
            query={"order_id": "@order_issued"},
            form={
                "vendor_invoice_number": "V-HOSTILE-1",
                "invoice_date": TODAY.isoformat(),
                "due_date": "",
                "shipping": "0.00",
                "tax": "0.00",
                "total": "",
                "credit_for": "",
                "note": "From the vendor's PDF.",
                "save": "Save draft",
            },
            extra_fields={
                "lines-0-order_line_id": "@order_line",
                "lines-0-quantity": "1",
                "lines-0-unit_price": "1.00",
            },
        )
    ],
    "invoices.forms.ImportForm": [
        Target(
            "invoices.import_einvoice",
            "POST",
            "procurement/owner",
            form={"file": ("@file", "@ubl_invoice", "invoice.xml")},
        )
    ],
    "invoices.forms.VersionForm": [
        Target(
            "invoices.act",
            "POST",
            "finance/owner",
            {"invoice_id": "@invoice_matched", "action": "approve"},
            form={"version": ""},
        )
    ],
    "invoices.forms.ResolveForm": [
        Target(
            "invoices.act",
            "POST",
            "procurement/owner",
            {"invoice_id": "@invoice_held", "action": "resolve"},
            form={"reason": "Late receipt recorded.", "version": ""},
        )
    ],
    "invoices.forms.ReleaseForm": [
        Target(
            "invoices.act",
            "POST",
            "finance/owner",
            {"invoice_id": "@invoice_held", "action": "release"},
            form={"justification": "Agreed with the vendor.", "version": ""},
        )
    ],
    "invoices.forms.RejectForm": [
        Target(
            "invoices.act",
            "POST",
            "finance/owner",
            {"invoice_id": "@invoice_held", "action": "reject"},
            form={"comment": "Not our order.", "version": ""},
        )
    ],
    "invoices.forms.CancelForm": [
        Target(
            "invoices.act",
            "POST",
            "procurement/owner",
            {"invoice_id": "@invoice_draft", "action": "cancel"},
            form={"cancel_reason": "Entered twice.", "version": ""},
        )
    ],
    "invoices.forms.PayForm": [
        Target(
            "invoices.act",
            "POST",
            "finance/owner",
            {"invoice_id": "@invoice_approved", "action": "pay"},
            form={"paid_on": TODAY.isoformat(), "reference": "BANK-1", "version": ""},
        )
    ],
    "invoices.forms.BatchPayForm": [
        Target(
            "invoices.pay_batch",
            "POST",
            "finance/owner",
            form={
                "invoice_ids": "@invoice_approved",
                "paid_on": TODAY.isoformat(),
                "reference": "RUN-1",
                "version": "",
            },
        )
    ],
    "reports.forms.PayablesFilterForm": [
        Target("reports.payables", "GET", "finance/owner", form={"department": "IT", "vendor": ""})
    ],
    "reports.forms.PaymentsFilterForm": [
        Target(
            "reports.exchange_differences",
            "GET",
            "finance/owner",
            form={
                "start": TODAY.replace(month=1, day=1).isoformat(),
                "end": TODAY.isoformat(),
                "department": "IT",
                "vendor": "",
            },
        )
    ],
    "vendors.bank_views.BankForm": [
        Target(
            "vendors.change_bank_details",
            "POST",
            "finance/owner",
            {"vendor_id": "@vendor"},
            form={"iban": "GB29 NWBK 6016 1331 9268 19", "bic": ""},
        )
    ],
    "vendors.forms.DocumentForm": [
        Target(
            "vendors.upload_document",
            "POST",
            "procurement/owner",
            {"vendor_id": "@vendor"},
            form={
                "kind": "insurance",
                "title": "Insurance 2",
                "expires_on": (TODAY + dt.timedelta(days=90)).isoformat(),
                "file": ("@file", PDF_BYTES, "insurance.pdf"),
            },
        )
    ],
    "vendors.forms.ImportForm": [
        Target(
            "vendors.import_csv",
            "POST",
            "procurement/owner",
            form={"file": ("@file", b"name,email\nImported,sales@imported.example\n", "v.csv")},
        )
    ],
    "vendors.forms.RequiredDocumentsForm": [
        Target("vendors.required_documents", "POST", "admin/owner", form={"kinds": ["insurance"]})
    ],
    "vendors.forms.ListFilterForm": [
        Target(
            "vendors.index",
            "GET",
            "requester/owner",
            form={"q": "Matrix", "status": "approved", "category": "hardware", "flagged": "0"},
        )
    ],
}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def form_classes() -> dict[str, type[FlaskForm]]:
    """Every form of the app, by module and name (``purchasing.forms.RequestForm``).

    A form class made for one document at a time (the receipt's quantity field per
    order line) is tried through its base class, whose target posts those fields."""
    return {
        f"{cls.__module__.removeprefix('procure.')}.{cls.__qualname__}": cls
        for cls in _subclasses(FlaskForm)
        if cls.__module__.startswith("procure.") and "<locals>" not in cls.__qualname__
    }


def _kind(field) -> str:
    if isinstance(field, PasswordField):
        return "secret"  # stored as a hash, never as typed
    if isinstance(field, HiddenField):
        return "hidden"
    if isinstance(field, IntegerField | DecimalField):
        return "number"
    if isinstance(field, DateField):
        return "date"
    if isinstance(field, BooleanField):
        return "bool"
    if isinstance(field, SelectFieldBase):
        return "choice"
    if isinstance(field, FileField):
        return "file"
    return "text"


def form_fields(app, cls: type[FlaskForm]) -> list[tuple[str, str]]:
    """``(name as posted, kind)`` of every input of the form, rows of lists included."""
    with app.test_request_context():
        form = cls(meta={"csrf": False})
        fields = []
        for field in form:
            if isinstance(field, SubmitField | CSRFTokenField):
                continue
            if isinstance(field, FieldList):
                entry = field.entries[0] if field.entries else field.append_entry()
                subfields = entry.form if isinstance(entry, FormField) else [entry]
                fields += [
                    (sub.name, _kind(sub))
                    for sub in subfields
                    if not isinstance(sub, SubmitField | CSRFTokenField)
                ]
            else:
                fields.append((field.name, _kind(field)))
        return fields


def test_every_form_has_a_target(app):
    with app.app_context():
        names = set(form_classes())
    missing = sorted(names - set(FORM_TARGETS))
    stale = sorted(set(FORM_TARGETS) - names)
    assert not missing, f"forms without a hostile-input target: {missing}"
    assert not stale, f"targets of forms that no longer exist: {stale}"


FORM_ALLOWED = {200, 302, 303, 400, 409, 422}
FILE_NAMES = [
    "..\\..\\..\\etc\\passwd.pdf",
    "<script>alert(1)</script>.pdf",
    "invoice\u202efdp.exe.pdf",
    "nul\x00.pdf",
    "x" * 5000 + ".pdf",
]
FILE_BODIES = [b"<html><script>alert(1)</script></html>", b"", b"%PDF-" + b"\x00" * 100]


def _form_payloads(index: int, kind: str, name: str) -> list[hostile.Payload]:
    if kind == "file":
        payloads = [
            hostile.Payload("filename", ("@file", PDF_BYTES, FILE_NAMES[index % len(FILE_NAMES)]))
        ]
        if name == "file" and index == 0:
            # The CSV import: hostile cells, as the import reads them.
            cells = "\n".join(f'"{v}"' for v in hostile.TEXT["formula"])
            payloads.append(
                hostile.Payload("csv", ("@file", f"name\n{cells}\n".encode(), "v.csv"))
            )
        payloads += [
            hostile.Payload("content", ("@file", body, "doc.pdf")) for body in FILE_BODIES
        ]
        return payloads
    return hostile.for_form_field(index, "text" if kind == "text" else kind)


@pytest.mark.parametrize(
    "target",
    [target for targets in FORM_TARGETS.values() for target in targets],
    ids=lambda target: target.endpoint,
)
def test_form(app, org, target: Target):
    [cls_name] = [name for name, targets in FORM_TARGETS.items() if target in targets]
    with app.app_context():
        cls = form_classes()[cls_name]
    base = {**(target.form or {}), **target.extra_fields}
    fields = form_fields(app, cls) + [(name, "number") for name in target.extra_fields]

    def data(overrides: dict) -> dict:
        """The baseline with ``overrides``, taken literally (a payload may start with @)."""
        sent = access_org.resolve(base, org, target.principal)
        for name, value in overrides.items():
            name = access_org.resolve(name, org, target.principal)
            if isinstance(value, tuple):
                value = access_org.resolve(value, org, target.principal)  # a fresh upload
            sent[name] = value
        return sent

    sane = _attempt(
        app, org, target, hostile.Payload("baseline", None), "", {200, 302}, "baseline",
        form=data({}),
    )  # fmt: skip
    assert not sane, sane
    problems = []
    for index, (name, kind) in enumerate(fields):
        plain = f"plain {name}"
        if kind == "text" and not _keeps(app, org, target, plain, form=data({name: plain})):
            kind = "text, not kept"
        for payload in _form_payloads(index, kind.split(",")[0], name):
            problems += _attempt(
                app, org, target, payload, kind, FORM_ALLOWED, name,
                form=data({name: payload.value}),
            )  # fmt: skip
            TRIED["forms"] += 1
    if target.method == "POST" and fields:
        over = hostile.Payload("huge", "over the limit")
        limit = app.config["MAX_CONTENT_LENGTH"]
        view = app.view_functions[target.endpoint]
        if getattr(view, "procure_accepts_uploads", False):
            limit = app.config["MAX_UPLOAD_BYTES"] + 256 * 1024
        padding = {fields[0][0]: "x" * (limit + 1)}
        problems += _attempt(app, org, target, over, "", {413}, "body", form=data(padding))
        TRIED["forms"] += 1
    assert not problems, "\n".join(problems)


# What stored hostile text looks like on the way out --------------------------------------


def shown(port: int) -> str:
    """Hostile text that is accepted (no control characters): formula start, markup, a
    URL for WeasyPrint to fetch, template syntax, a right-to-left override."""
    return (
        '=HX<script>alert("hx")</script>"><img src=x onerror=alert(1)>'
        f'<img src="http://127.0.0.1:{port}/hx.png">{{{{7*7}}}} {{{{ config }}}}'
        "\u202eevil\u202c zero\u200bwidth"
    )


class Session:
    """One principal's browser and API client."""

    def __init__(self, app, org, principal: str) -> None:
        self.me = org.principals[principal]
        self.client = app.test_client()
        self.client.set_cookie("procure_session", self.me.cookie)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.open(
            f"/api/v1{path}",
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {self.me.token}"},
        )
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()

    def post(self, path: str, data: dict, status: int = 302) -> None:
        response = self.client.post(path, data=data)
        assert response.status_code == status, (path, response.status_code)


def _seed(app, org, text: str) -> list[str]:
    """Put ``text`` into every free-text field a person can fill, through the API and
    the pages; returns the pages of the documents it went into."""
    requester = Session(app, org, "requester/owner")
    approver = Session(app, org, "approver/same")
    buyer = Session(app, org, "procurement/owner")
    admin = Session(app, org, "admin/owner")
    line = {
        "description": text,
        "category": "hardware",
        "quantity": "1",
        "unit_price": "900.00",
        "unit": text,
    }
    pr = requester.api(
        "POST", "/requests", {"title": text, "justification": text, "lines": [line]}
    )
    requester.api("POST", f"/requests/{pr['id']}/submit", {"comment": text})
    approver.api("POST", f"/requests/{pr['id']}/approve", {"comment": text})
    vendor = buyer.api(
        "POST",
        "/vendors",
        {
            "name": text,
            "legal_name": text,
            "tax_id": text[:50],
            "phone": text[:50],
            "email": "sales@hostile.example",
            "address": text,
            "notes": text,
            "categories": ["hardware"],
            "contacts": [{"name": text, "title": text, "email": "ann@hostile.example"}],
        },
    )
    buyer.api("POST", f"/vendors/{vendor['id']}/approve", {"comment": text})
    buyer.post(
        f"/vendors/{vendor['id']}/documents",
        {"kind": "insurance", "title": text, "file": (io.BytesIO(PDF_BYTES), "insurance.pdf")},
    )
    rfq = buyer.api(
        "POST",
        "/rfqs",
        {"request_id": pr["id"], "vendor_ids": [vendor["id"]], "due_date": DUE.isoformat(),
         "notes": text},
    )  # fmt: skip
    buyer.api("POST", f"/rfqs/{rfq['id']}/send", {})
    quote = buyer.api(
        "POST",
        f"/rfqs/{rfq['id']}/quotes",
        {
            "vendor_id": vendor["id"],
            "valid_until": DUE.isoformat(),
            "lead_time_days": 5,
            "payment_terms": text,
            "notes": text,
            "lines": [
                {"description": text, "quantity": "1", "unit_price": "880.00", "unit": text}
            ],
        },
    )
    awarded = buyer.api(
        "POST", f"/rfqs/{rfq['id']}/award", {"quote_id": quote["id"], "justification": text}
    )
    order_id = awarded["order_id"]
    buyer.api(
        "PATCH",
        f"/orders/{order_id}",
        {"delivery_address": text, "payment_terms": text, "terms": text},
    )
    order = buyer.api("POST", f"/orders/{order_id}/issue", {})
    buyer.api(
        "POST",
        f"/orders/{order_id}/receive",
        {"lines": [{"line_id": order["lines"][0]["id"], "quantity": "1"}], "note": text},
    )
    contract = buyer.api(
        "POST",
        "/contracts",
        {
            "vendor_id": vendor["id"],
            "title": text,
            "kind": "support",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=40)).isoformat(),
            "notice_days": 30,
            "covered_items": [text, text],
            "terms": text,
            "order_id": order_id,
        },
    )
    buyer.api("POST", f"/contracts/{contract['id']}/activate", {"comment": text})
    department = admin.api("POST", "/departments", {"code": "HX", "name": text})
    admin.post("/admin/categories", {"name": "hostile", "label": text})
    admin.post(
        "/admin/users/new",
        {
            "email": "hostile@matrix.example",
            "name": text,
            "password": "a long enough password",
            "department": "HX",
            "roles": ["requester"],
            "active": "y",
        },
    )
    Session(app, org, "approver/owner").api(
        "POST",
        "/delegations",
        {
            "delegate": "approver.same@matrix.example",
            "starts_on": (TODAY + dt.timedelta(days=20)).isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=25)).isoformat(),
            "note": text,
        },
    )
    requester.post("/profile/tokens", {"name": text}, status=200)  # shows the secret once
    return [
        f"/requests/{pr['id']}",
        f"/rfqs/{rfq['id']}",
        f"/orders/{order_id}",
        f"/orders/{order_id}/pdf",
        f"/vendors/{vendor['id']}",
        f"/vendors/{vendor['id']}/edit",
        f"/contracts/{contract['id']}",
        f"/contracts/{contract['id']}/pdf",
        f"/admin/departments/{department['id']}",
        "/vendors/export.csv",
        *[f"/reports/{name}.csv" for name in ("spend", "cycle-time", "savings", "vendors")],
        *[
            f"/reports/{name}.csv"
            for name in ("price-variance", "payables", "exchange-differences")
        ],
        "/reports/split-purchases.csv",
    ]


CRAWLERS = (
    "admin/owner",
    "procurement/owner",
    "finance/owner",
    "requester/owner",
    "approver/same",
)
START = ["/", "/requests", "/approvals", "/rfqs", "/orders/", "/vendors", "/contracts/",
         "/contracts/calendar", "/budgets/", "/reports/", "/admin/", "/admin/policy",
         "/admin/vendors", "/profile", "/notifications"]  # fmt: skip
LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/static/", "/logout", "/notifications/", "/contracts/calendar.ics")
PER_PATTERN = 2  # pages of one shape (digits aside) visited besides the seeded ones


def _crawl(client, seeds: list[str], check) -> int:
    """Visit the seeded pages and what they link to (GET only, a few of each shape)."""
    queue = list(dict.fromkeys(seeds + START))
    must = set(seeds)
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        shape = re.sub(r"\d+", "N", path)
        if path not in must and shapes.get(shape, 0) >= PER_PATTERN:
            continue
        seen.add(path)
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(path)
        body = response.get_data()
        response.close()
        check(path, response, body)
        if response.mimetype == "text/html":
            for link in LINK.findall(body.decode()):
                link = link.replace("&amp;", "&")
                if not link.startswith(SKIP) and link not in seen:
                    queue.append(link)
    return len(seen)


def test_stored_hostile_text_is_rendered_inert(app, org):
    problems: list[str] = []
    pdfs: list[str] = []

    shown_escaped: set[str] = set()
    neutralised: set[str] = set()

    def check(path: str, response, body: bytes) -> None:
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
        elif response.mimetype == "text/html":
            html = body.decode()
            if hostile.active_markup(html):
                problems.append(f"{path} renders {hostile.active_markup(html)}")
            if "Config {" in html:
                problems.append(f"{path} evaluated template syntax")
            if "&lt;script&gt;alert(" in html:
                shown_escaped.add(path)
        elif response.mimetype == "text/csv":
            text = body.decode("utf-8-sig")
            problems.extend(_csv_problems(text, path))
            if "'=HX<script>" in text:
                neutralised.add(path)
        elif response.mimetype == "application/pdf" and path in seeds:
            # The order and contract Procure rendered (uploads are the uploader's bytes).
            text = re.sub(r"\s+", "", _pdf_text(body))
            if '<script>alert("hx")</script>' not in text:
                problems.append(f"{path}: the typed markup is not printed as text")
            pdfs.append(path)

    told = _newest_notification(_db.engine)
    with listening() as (port, connected):
        seeds = _seed(app, org, shown(port))
        for principal in CRAWLERS:
            client = app.test_client()
            client.set_cookie("procure_session", org.principals[principal].cookie)
            TRIED["rendered"] += _crawl(client, seeds, check)
        assert not connected(), "rendering a PDF fetched a URL a user typed"
    assert _newest_notification(_db.engine) > told, "the seeded changes told nobody"
    problems += _emails(_db.engine, since=told)
    # The checks saw the text: on every seeded page, escaped; in the vendor export, defused.
    assert {p for p in seeds if "." not in p and not p.endswith("/pdf")} <= shown_escaped
    assert "/vendors/export.csv" in neutralised
    assert set(pdfs) == {p for p in seeds if p.endswith("/pdf")}
    assert not problems, "\n".join(problems)


@contextlib.contextmanager
def listening() -> Iterator[tuple[int, Any]]:
    """A loopback port that records connections without a thread: the kernel completes
    them into the backlog, and ``connected()`` looks there. (``tests/network.py``'s trap
    waits for its accept timeout; this test renders PDFs over several minutes.)"""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)

    def connected() -> bool:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return False
        connection.close()
        return True

    try:
        yield server.getsockname()[1], connected
    finally:
        server.close()


def _csv_problems(text: str, where: str) -> list[str]:
    problems = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(hostile.FORMULA_STARTS):
                problems.append(f"{where}: the cell {_short(cell)} would run as a formula")
    return problems


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _emails(connection, since: int = 0) -> list[str]:
    """What is wrong with the e-mails written after notification ``since``."""
    rows = connection.execute(
        sa.select(Notification.subject, Notification.body_html).where(Notification.id > since)
    )
    problems = []
    for subject, html in rows:
        if re.search(r"[\x00-\x1f\x7f]", subject):
            problems.append(f"e-mail subject {_short(subject)} carries a control character")
        leaked = hostile.active_markup(html)
        if leaked:
            problems.append(f"e-mail {_short(subject)} renders {leaked}")
        if "Config {" in html:
            problems.append(f"e-mail {_short(subject)} evaluated template syntax")
    return problems
