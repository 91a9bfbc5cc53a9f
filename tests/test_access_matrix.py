"""The access matrix: every route of the app × every principal, against a table.

The routes come from ``app.url_map``: a route (endpoint and method) missing from
``CASES`` fails ``test_every_route_is_in_the_table`` by name, so a new page or API
operation cannot be forgotten. The principals (see ``tests/access_org.py``) are each
role as the owner of a document, a colleague of the owner's department and someone
of another department, plus ``anonymous`` and a since-deactivated ``inactive`` user.

Each case names the route, the documents that fill its URL (``@key``: a document of
the principal's role set, else a shared one) and, for a change, a body that would
succeed if the principal were allowed. The expected status of every principal is
spelled out from DESIGN.md's "Roles" section with the helpers below: ``page(...)``
and ``api(...)`` give the answer of those allowed (``who``), 403 to those who may see
the document but not do this (``sees``), and 404 to those who may not see it at all
(existence is private). Whatever a refused change was, it changed nothing: the audit
head (the newest event's sequence and hash) is the same before and after.

The organisation is built and committed once for the module; every call runs in a
savepoint rolled back afterwards, so an allowed change does not disturb the next one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from procure import organisation
from procure.extensions import db as _db

from . import access_org
from .access_org import (
    CONTRACT_FORM,
    CONTRACT_JSON,
    DELEGATION_FORM,
    INVOICE_LINK_FORM,
    PDF_UPLOAD,
    PRINCIPALS,
    QUOTE_FORM,
    QUOTE_JSON,
    RELATIONS,
    REQUEST_FORM,
    REQUEST_JSON,
    ROLES,
    RULE_FORM,
    VENDOR_FORM,
)
from .factories import PASSWORD

TODAY = dt.date.today()
SIGNED_IN = tuple(p for p in PRINCIPALS if "/" in p)
REFUSED = {400, 401, 403, 404, 405, 409, 410, 422, 303}


# Who, by DESIGN.md ----------------------------------------------------------------------


def _matches(principal: str, pattern: str) -> bool:
    role, relation = principal.split("/")
    want_role, want_relation = pattern.split("/")
    return want_role in ("*", role) and want_relation in ("*", relation)


def members(*patterns: str) -> frozenset[str]:
    """Signed-in principals matching ``role/relation`` patterns (``*`` for any)."""
    return frozenset(p for p in SIGNED_IN if any(_matches(p, pat) for pat in patterns))


EVERYONE = members("*/*")
OWNER = members("*/owner")
REQUESTERS = members("requester/*", "*/owner")  # every owner also holds the requester role
# A request (and its RFQs, quotes and orders) is visible to its requester, the approvers
# of its department, whoever holds one of its steps, and finance, procurement and admin.
REQUEST_READERS = members("*/owner", "approver/same", "finance/*", "procurement/*", "admin/*")
# The department step of the approver owner's pending request: an IT approver who did
# not file it (the owner filed it: separation of duties).
DEPARTMENT_DECIDER = members("approver/same")
PROCUREMENT = members("procurement/*")
FINANCE = members("finance/*")
RATE_KEEPERS = members("finance/*", "admin/*")
# Vendor invoices: finance, procurement and admin read them all; the order's requester
# (every owner files the orders of its role's documents) reads theirs.
INVOICE_READERS = members("*/owner", "finance/*", "procurement/*", "admin/*")
BOOKERS = members("finance/*", "procurement/*")
QUANTITY_RESOLVERS = members("*/owner", "procurement/*")  # the order's requester, procurement
INVOICE_FORM = {
    "vendor_invoice_number": "MATRIX-1",
    "invoice_date": TODAY.isoformat(),
    "lines-0-order_line_id": "@order_line",
    "lines-0-quantity": "1",
    "lines-0-unit_price": "1.00",
    "shipping": "0.00",
    "tax": "0.00",
    "save": "Save draft",
}
ADMIN = members("admin/*")
CONTRACT_READERS = members("*/owner", "procurement/*", "finance/*", "admin/*")
# Budgets: finance, admin and the department's approvers (the budget is IT's).
BUDGET_OPENERS = members("finance/*", "admin/*", "approver/*")
BUDGET_READERS = members("finance/*", "admin/*", "approver/owner", "approver/same")
REPORT_READERS = members("finance/*", "procurement/*", "admin/*")
LOG_READERS = members("finance/*", "admin/*")
# The asset register: procurement and asset managers keep it; finance and admin read it
# all; the holder of an asset (each owner holds its role's dock, and a seat of its role's
# licence pool) sees that one.
ASSET_KEEPERS = members("procurement/*", "asset_manager/*")
ASSET_READERS = members("procurement/*", "asset_manager/*", "finance/*", "admin/*")
ASSET_SEERS = ASSET_READERS | OWNER
# Framework agreements: procurement keeps them; finance and admin read them.
AGREEMENT_READERS = members("procurement/*", "finance/*", "admin/*")
DELEGATORS = members("approver/*", "finance/*", "executive/*")
# The delegation of a deciding role's owner; its delegate is the same-department colleague.
DELEGATION_PARTIES = members(
    "approver/owner", "approver/same", "finance/owner", "finance/same",
    "executive/owner", "executive/same",
)  # fmt: skip


def _table(
    ok: int,
    who: frozenset[str],
    sees: frozenset[str] | None,
    outsider: int,
    also: dict[str, int] | None,
) -> dict[str, int]:
    sees = EVERYONE if sees is None else sees
    expected = {}
    for principal in SIGNED_IN:
        if principal in who:
            expected[principal] = ok
        elif principal in sees:
            expected[principal] = 403
        else:
            expected[principal] = 404
    expected["anonymous"] = expected["inactive"] = outsider
    expected.update(also or {})
    assert set(expected) == set(PRINCIPALS), sorted(set(expected) ^ set(PRINCIPALS))
    return expected


def page(ok: int, who=EVERYONE, sees=None, also=None) -> dict[str, int]:
    """A page behind the sign-in: anonymous (and a deactivated user's dead session) is
    sent to /login (302)."""
    return _table(ok, who, sees, 302, also)


def api(ok: int, who=EVERYONE, sees=None, also=None) -> dict[str, int]:
    """An API operation behind a bearer token: no token or a dead one is 401."""
    return _table(ok, who, sees, 401, also)


def public(status: int) -> dict[str, int]:
    return dict.fromkeys(PRINCIPALS, status)


def _link_holder(ok: int) -> dict[str, int]:
    """An e-mail link of approver/same's: ``ok`` for them and for a browser where nobody
    is signed in; 409 for anybody else signed in."""
    return {**public(409), "anonymous": ok, "inactive": ok, "approver/same": ok}


# The cases --------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    endpoint: str
    method: str
    expect: dict[str, int]
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    query: dict[str, Any] = dataclasses.field(default_factory=dict)
    form: dict[str, Any] | None = None
    json: Any = None
    label: str = ""
    # An allowed change writes an audit event; a few changes are not audited (signing
    # in or out, marking notifications read, a calendar feed) and say so.
    audited: bool = True

    @property
    def id(self) -> str:
        return " ".join(filter(None, [self.endpoint, self.method, self.label]))


def C(endpoint: str, method: str, expect: dict[str, int], **kwargs: Any) -> Case:
    return Case(endpoint, method, expect, **kwargs)


CASES: list[Case] = [
    # Public -----------------------------------------------------------------------------
    C("main.healthz", "GET", public(200)),
    C("main.livez", "GET", public(200)),
    C("main.readyz", "GET", public(200)),
    # No PROCURE_METRICS_TOKEN here: the path does not exist (tests/test_metrics.py).
    C("metrics", "GET", public(404)),
    C("static", "GET", public(200), params={"filename": "css/app.css"}),
    C("api.openapi", "GET", public(200)),
    C("auth.login", "GET", {**public(302), "anonymous": 200, "inactive": 200}),
    # Signing in with one's own credentials: the signed-in are sent on; the deactivated
    # may not sign in again; an unknown address is refused.
    C(
        "auth.login",
        "POST",
        {**public(302), "anonymous": 200, "inactive": 200},
        form={"email": "@me.email", "password": PASSWORD},
        audited=False,
    ),
    C(
        "api.create_token",
        "POST",
        {**public(201), "anonymous": 401, "inactive": 401},
        json={"email": "@me.email", "password": PASSWORD},
    ),
    C("auth.logout", "POST", page(302), audited=False),
    C("auth.logout_page", "GET", page(200)),
    # Single sign-on: this installation configures no identity provider, so the paths of
    # OpenID Connect and SAML do not exist (tests/test_oidc.py and test_saml.py drive them).
    C("auth.oidc_login", "GET", public(404)),
    C("auth.oidc_callback", "GET", public(404), query={"state": "x", "code": "y"}),
    C("auth.saml_metadata", "GET", public(404)),
    C("auth.saml_login", "GET", public(404)),
    C("auth.saml_acs", "POST", public(404), form={"SAMLResponse": "PHNhbWxwOlJlc3BvbnNlLz4="}),
    # The vendor's private quote link: the token is the credential, whoever holds it.
    C("sourcing.vendor_quote", "GET", public(200), params={"token": "@quote_token"}),
    C(
        "sourcing.vendor_quote",
        "POST",
        public(200),
        params={"token": "@quote_token"},
        form={k: v for k, v in QUOTE_FORM.items() if k != "vendor_id"},
    ),
    C(
        "sourcing.vendor_quote",
        "GET",
        public(410),
        params={"token": "not-a-real-token"},
        label="bad token",
    ),
    # The vendor's private invoice link: the token is the credential, whoever holds it.
    C("invoice_link.vendor_invoice", "GET", public(200), params={"token": "@invoice_token"}),
    C(
        "invoice_link.vendor_invoice",
        "POST",
        public(200),
        params={"token": "@invoice_token"},
        form=INVOICE_LINK_FORM,
    ),
    C(
        "invoice_link.vendor_invoice",
        "GET",
        public(404),
        params={"token": "not-a-real-token"},
        label="bad token",
    ),
    C(
        "invoice_link.vendor_einvoice_upload",
        "POST",
        public(422),
        params={"token": "@invoice_token"},
        form={"einvoice-xml": ("@file", b"<Invoice/>", "invoice.xml")},
        audited=False,
    ),
    C(
        "invoice_link.vendor_einvoice_upload",
        "POST",
        public(404),
        params={"token": "not-a-real-token"},
        form={"einvoice-xml": ("@file", b"<Invoice/>", "invoice.xml")},
        label="bad token",
    ),
    C(
        "invoice_link.reissue",
        "POST",
        page(303, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
    ),
    C(
        "sourcing.vendor_decline",
        "POST",
        public(200),
        params={"token": "@quote_token"},
        form={"decline-reason": "Out of stock."},
    ),
    C(
        "sourcing.vendor_decline",
        "POST",
        public(410),
        params={"token": "not-a-real-token"},
        form={"decline-reason": "Out of stock."},
        label="bad token",
    ),
    C("contracts.feed", "GET", public(200), query={"token": "@feed_token"}),
    C("contracts.feed", "GET", public(404), label="no token"),
    # SCIM: the directory's own bearer token, which no principal here holds (a session
    # cookie or a personal API token opens nothing); tests/test_scim.py drives it.
    *[
        C(f"scim.{endpoint}", "GET", public(401), params=params)
        for endpoint, params in (
            ("service_provider_config", {}),
            ("resource_types", {}),
            ("resource_type", {"type_id": "User"}),
            ("schemas", {}),
            ("schema", {"schema_id": "urn:ietf:params:scim:schemas:core:2.0:User"}),
        )
    ],
    C("scim.search_everything", "POST", public(401), json={}),
    *[C("scim.user_collection", m, public(401), json={}) for m in ("GET", "POST")],
    *[C("scim.group_collection", m, public(401), json={}) for m in ("GET", "POST")],
    *[
        C("scim.user_resource", m, public(401), params={"resource_id": "1"}, json={})
        for m in ("GET", "PUT", "PATCH", "DELETE")
    ],
    *[
        C("scim.group_resource", m, public(401), params={"resource_id": "group-1"}, json={})
        for m in ("GET", "PUT", "PATCH", "DELETE")
    ],
    *[
        C("scim.unknown", m, public(404), params={"rest": "nothing"})
        for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ],
    # Everyone signed in ---------------------------------------------------------------------
    C("main.dashboard", "GET", page(200)),
    C("auth.profile", "GET", page(200)),
    C(
        "auth.change_password",
        "POST",
        page(302),
        form={
            "current_password": PASSWORD,
            "new_password": "a new long password",
            "confirm": "a new long password",
        },
    ),
    C("auth.create_token", "POST", page(200), form={"name": "reporting script"}),
    C(
        "auth.revoke_token",
        "POST",
        page(302, who=OWNER, sees=OWNER),
        params={"token_id": "@token"},
    ),
    C("purchasing.index", "GET", page(200)),
    C("purchasing.approvals", "GET", page(200)),
    C("sourcing.index", "GET", page(200)),
    C("orders.index", "GET", page(200)),
    C("vendors.index", "GET", page(200)),
    C("vendors.export", "GET", page(200)),
    C("vendors.detail", "GET", page(200), params={"vendor_id": "@vendor"}),
    C(
        "vendors.bank_details",
        "GET",
        page(200, who=members("finance/*", "procurement/*", "admin/*")),
        params={"vendor_id": "@vendor_pending_bank"},
    ),
    C(
        "vendors.change_bank_details",
        "POST",
        page(302, who=members("finance/*", "procurement/*")),
        params={"vendor_id": "@vendor"},
        form={"iban": "GB29 NWBK 6016 1331 9268 19"},
    ),
    C(
        "vendors.confirm_bank_details",
        "POST",
        page(302, who=FINANCE),
        params={"vendor_id": "@vendor_pending_bank"},
    ),
    C(
        "vendors.document",
        "GET",
        page(200),
        params={"vendor_id": "@vendor_with_document", "document_id": "@vendor_document"},
    ),
    C("contracts.index", "GET", page(200)),
    C("contracts.calendar", "GET", page(200)),
    C("contracts.create_feed", "POST", page(302)),
    C("contracts.revoke_feed", "POST", page(302), audited=False),
    C("notifications.index", "GET", page(200)),
    C("notifications.read_all", "POST", page(302), audited=False),
    C(
        "notifications.open_notification",
        "POST",
        page(303, who=OWNER, sees=OWNER),
        params={"notification_id": "@notification"},
        audited=False,
    ),
    # Purchase requests ------------------------------------------------------------------
    C("purchasing.new", "GET", page(200, who=REQUESTERS)),
    C("purchasing.new", "POST", page(302, who=REQUESTERS), form=REQUEST_FORM),
    C(
        "purchasing.detail",
        "GET",
        page(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"pr_id": "@pr_pending"},
    ),
    C(
        "purchasing.edit",
        "GET",
        page(200, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_draft"},
    ),
    C(
        "purchasing.edit",
        "POST",
        page(302, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_draft"},
        form=REQUEST_FORM,
    ),
    C(
        "purchasing.act",
        "POST",
        page(302, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_draft", "action": "submit"},
        label="submit",
    ),
    *[
        C(
            "purchasing.act",
            "POST",
            page(302, who=DEPARTMENT_DECIDER, sees=REQUEST_READERS),
            params={"pr_id": "@pr_pending", "action": action},
            form={"comment": "Checked."},
            label=action,
        )
        for action in ("approve", "reject", "return")
    ],
    C(
        "purchasing.act",
        "POST",
        page(302, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_pending", "action": "cancel"},
        label="cancel",
    ),
    C(
        "purchasing.act",
        "POST",
        page(404, who=EVERYONE),
        params={"pr_id": "@pr_pending", "action": "explode"},
        label="no such action",
    ),
    C("api.list_requests", "GET", api(200)),
    C("api.create_request", "POST", api(201, who=REQUESTERS), json=REQUEST_JSON),
    C(
        "api.get_request",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"pr_id": "@pr_pending"},
    ),
    C(
        "api.patch_request",
        "PATCH",
        api(200, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_draft"},
        json={"title": "Renamed"},
    ),
    C(
        "api.submit_request",
        "POST",
        api(200, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_draft"},
    ),
    *[
        C(
            f"api.{action}_request",
            "POST",
            api(200, who=DEPARTMENT_DECIDER, sees=REQUEST_READERS),
            params={"pr_id": "@pr_pending"},
            json={"comment": "Checked."},
        )
        for action in ("approve", "reject", "return")
    ],
    C(
        "api.cancel_request",
        "POST",
        api(200, who=OWNER, sees=REQUEST_READERS),
        params={"pr_id": "@pr_pending"},
    ),
    C("api.list_audit", "GET", api(200, who=LOG_READERS)),
    C(
        "api.list_audit",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        query={"entity": "request", "entity_id": "@pr_pending"},
        label="one request",
    ),
    # Sourcing -----------------------------------------------------------------------------
    C(
        "sourcing.new",
        "GET",
        page(200, who=PROCUREMENT, sees=REQUEST_READERS),
        query={"request_id": "@pr_approved"},
    ),
    # Without a request: the approved requests waiting to be sourced, to pick from.
    C("sourcing.new", "GET", page(200, who=PROCUREMENT), label="picker"),
    C(
        "sourcing.new",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        query={"request_id": "@pr_approved"},
        form={
            "vendors": ["@vendor"],
            "due_date": access_org.DUE.isoformat(),
            "weight_price": "0.6",
            "weight_lead_time": "0.2",
            "weight_rating": "0.2",
            "weight_warranty": "0",
        },
    ),
    C(
        "sourcing.detail",
        "GET",
        page(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
    ),
    # Sending and re-issuing a link answer See Other: back to the RFQ's page.
    C(
        "sourcing.send",
        "POST",
        page(303, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_draft"},
    ),
    C(
        "sourcing.reissue_link",
        "POST",
        page(303, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open", "vendor_id": "@quoteless_vendor"},
    ),
    C(
        "sourcing.cancel",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        form={"comment": "Not needed."},
    ),
    C(
        "sourcing.award",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        form={"quote_id": "@quote", "justification": "Best value."},
    ),
    C(
        "sourcing.record_quote",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        form=QUOTE_FORM,
    ),
    C(
        "sourcing.quote_attachment",
        "GET",
        page(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open", "quote_id": "@quote"},
    ),
    C("api.list_rfqs", "GET", api(200)),
    C(
        "api.create_rfq",
        "POST",
        api(201, who=PROCUREMENT),
        json={
            "request_id": "@pr_approved",
            "vendor_ids": ["@vendor"],
            "due_date": access_org.DUE.isoformat(),
        },
    ),
    C(
        "api.get_rfq",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
    ),
    C(
        "api.send_rfq",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_draft"},
    ),
    C(
        "api.reissue_rfq_link",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open", "vendor_id": "@quoteless_vendor"},
    ),
    C(
        "api.cancel_rfq",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
    ),
    C(
        "api.award_rfq",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        json={"quote_id": "@quote", "justification": "Best value."},
    ),
    C(
        "api.create_quote",
        "POST",
        api(201, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        json=QUOTE_JSON,
    ),
    C(
        "api.list_quotes",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
    ),
    C(
        "api.comparison",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
    ),
    # Purchase orders ----------------------------------------------------------------------
    C(
        "orders.detail",
        "GET",
        page(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
    ),
    C(
        "orders.pdf",
        "GET",
        page(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
    ),
    C(
        "orders.edit",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_draft"},
        form={"delivery_address": "Dock 4", "payment_terms": "30 days net", "terms": ""},
    ),
    C(
        "orders.issue",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_draft"},
    ),
    C(
        "orders.receive",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
        form={"line-@order_line": "1", "received_on": TODAY.isoformat()},
    ),
    C(
        "orders.act",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_received", "action": "close"},
        label="close",
    ),
    C(
        "orders.act",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued", "action": "cancel"},
        form={"comment": "The vendor cannot deliver."},
        label="cancel",
    ),
    C("api.list_orders", "GET", api(200)),
    C(
        "api.get_order",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
    ),
    C(
        "api.order_pdf",
        "GET",
        api(200, who=REQUEST_READERS, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
    ),
    C(
        "api.patch_order",
        "PATCH",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_draft"},
        json={"delivery_address": "Dock 4"},
    ),
    C(
        "api.issue_order",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_draft"},
    ),
    C(
        "api.receive_order",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
        json={"lines": [{"line_id": "@order_line", "quantity": "1"}]},
    ),
    C(
        "api.close_order",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_received"},
    ),
    C(
        "api.cancel_order",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
        json={"comment": "The vendor cannot deliver."},
    ),
    # Orders after issue: revisions, returns, reversed receipts (procurement's).
    C(
        "orders.revise",
        "GET",
        page(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
    ),
    C(
        "orders.revise",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
        form={
            "line-@order_line-description": "Laptop",
            "line-@order_line_b-description": "Dock",
            "reason": "The vendor charges delivery.",
            "shipping": "12.00",
        },
    ),
    C(
        "orders.send_back",
        "GET",
        page(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_received"},
    ),
    C(
        "orders.send_back",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_received"},
        form={
            "line-@order_received_line": "1",
            "returned_on": TODAY.isoformat(),
            "reason": "Arrived broken.",
            "rma": "RMA-1",
        },
    ),
    C(
        "orders.reverse",
        "GET",
        page(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_partial", "receipt_id": "@receipt"},
    ),
    C(
        "orders.reverse",
        "POST",
        page(302, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_partial", "receipt_id": "@receipt"},
        form={"reason": "Booked against the wrong order."},
    ),
    C(
        "api.revise_order",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_issued"},
        json={"reason": "The vendor charges delivery.", "shipping": "12.00"},
    ),
    C(
        "api.return_goods",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_received"},
        json={
            "lines": [{"line_id": "@order_received_line", "quantity": "1"}],
            "reason": "Arrived broken.",
            "rma": "RMA-1",
        },
    ),
    C(
        "api.reverse_receipt",
        "POST",
        api(200, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"order_id": "@order_partial", "receipt_id": "@receipt"},
        json={"reason": "Booked against the wrong order."},
    ),
    # Vendors ------------------------------------------------------------------------------
    C("vendors.new", "GET", page(200, who=PROCUREMENT)),
    C("vendors.new", "POST", page(302, who=PROCUREMENT), form=VENDOR_FORM),
    C("vendors.edit", "GET", page(200, who=PROCUREMENT), params={"vendor_id": "@vendor"}),
    C(
        "vendors.edit",
        "POST",
        page(302, who=PROCUREMENT),
        params={"vendor_id": "@vendor"},
        form={**VENDOR_FORM, "name": "Matrix Vendor Renamed"},
    ),
    C(
        "vendors.act",
        "POST",
        page(302, who=PROCUREMENT),
        params={"vendor_id": "@prospect", "action": "approve"},
        label="approve",
    ),
    C(
        "vendors.act",
        "POST",
        page(302, who=PROCUREMENT),
        params={"vendor_id": "@vendor", "action": "suspend"},
        form={"comment": "Late deliveries."},
        label="suspend",
    ),
    C(
        "vendors.act",
        "POST",
        page(404),
        params={"vendor_id": "@vendor", "action": "explode"},
        label="no such action",
    ),
    C(
        "vendors.upload_document",
        "POST",
        page(302, who=PROCUREMENT),
        params={"vendor_id": "@vendor"},
        form={"kind": "insurance", "title": "Insurance 2", "file": PDF_UPLOAD},
    ),
    C(
        "vendors.remove_document",
        "POST",
        page(302, who=PROCUREMENT),
        params={"vendor_id": "@vendor_with_document", "document_id": "@vendor_document"},
    ),
    C("vendors.import_csv", "GET", page(200, who=PROCUREMENT)),
    C(
        "vendors.import_csv",
        "POST",
        page(302, who=PROCUREMENT),
        form={"file": ("@file", b"name,email\nImported Vendor,sales@imported.example\n", "v.csv")},
    ),
    C("vendors.required_documents", "GET", page(200, who=ADMIN)),
    C("vendors.required_documents", "POST", page(302, who=ADMIN), form={"kinds": ["insurance"]}),
    C("api.list_vendors", "GET", api(200)),
    C("api.get_vendor", "GET", api(200), params={"vendor_id": "@vendor"}),
    C(
        "api.put_vendor_bank",
        "PUT",
        api(200, who=members("finance/*", "procurement/*")),
        params={"vendor_id": "@vendor"},
        json={"iban": "GB29 NWBK 6016 1331 9268 19"},
    ),
    C(
        "api.confirm_vendor_bank",
        "POST",
        api(200, who=FINANCE),
        params={"vendor_id": "@vendor_pending_bank"},
    ),
    C("api.create_vendor", "POST", api(201, who=PROCUREMENT), json={"name": "Matrix API Vendor"}),
    C(
        "api.patch_vendor",
        "PATCH",
        api(200, who=PROCUREMENT),
        params={"vendor_id": "@vendor"},
        json={"phone": "+1 555 0100"},
    ),
    C("api.approve_vendor", "POST", api(200, who=PROCUREMENT), params={"vendor_id": "@prospect"}),
    C("api.suspend_vendor", "POST", api(200, who=PROCUREMENT), params={"vendor_id": "@vendor"}),
    C("api.block_vendor", "POST", api(200, who=PROCUREMENT), params={"vendor_id": "@vendor"}),
    C(
        "api.reinstate_vendor",
        "POST",
        api(200, who=PROCUREMENT),
        params={"vendor_id": "@suspended_vendor"},
    ),
    # Contracts ----------------------------------------------------------------------------
    C("contracts.new", "GET", page(200, who=PROCUREMENT)),
    C("contracts.new", "POST", page(302, who=PROCUREMENT), form=CONTRACT_FORM),
    C(
        "contracts.detail",
        "GET",
        page(200, who=CONTRACT_READERS, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "contracts.pdf",
        "GET",
        page(200, who=CONTRACT_READERS, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "contracts.signed_copy",
        "GET",
        page(200, who=CONTRACT_READERS, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "contracts.upload_signed_copy",
        "POST",
        page(302, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
        form={"signed_copy": PDF_UPLOAD},
    ),
    C(
        "contracts.edit",
        "GET",
        page(200, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_draft"},
    ),
    C(
        "contracts.edit",
        "POST",
        page(302, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_draft"},
        form=CONTRACT_FORM,
    ),
    C(
        "contracts.act",
        "POST",
        page(302, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_draft", "action": "activate"},
        label="activate",
    ),
    C(
        "contracts.act",
        "POST",
        page(302, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active", "action": "renew"},
        label="renew",
    ),
    C(
        "contracts.act",
        "POST",
        page(302, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active", "action": "terminate"},
        form={"comment": "Replaced."},
        label="terminate",
    ),
    C("api.list_contracts", "GET", api(200)),
    C("api.create_contract", "POST", api(201, who=PROCUREMENT), json=CONTRACT_JSON),
    C(
        "api.get_contract",
        "GET",
        api(200, who=CONTRACT_READERS, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "api.contract_pdf",
        "GET",
        api(200, who=CONTRACT_READERS, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "api.patch_contract",
        "PATCH",
        api(200, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_draft"},
        json={"title": "Renamed"},
    ),
    C(
        "api.activate_contract",
        "POST",
        api(200, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_draft"},
    ),
    C(
        "api.renew_contract",
        "POST",
        api(200, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "api.terminate_contract",
        "POST",
        api(200, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
        json={"comment": "Replaced."},
    ),
    # Budgets ------------------------------------------------------------------------------
    C("budgets.index", "GET", page(200, who=BUDGET_OPENERS)),
    C(
        "budgets.create",
        "POST",
        page(302, who=FINANCE),
        form={"department": "OPS", "fiscal_year": str(TODAY.year), "amount": "5000"},
    ),
    C(
        "budgets.set_amount",
        "POST",
        # The budget pages are closed (403) to whoever opens no budget at all; an
        # approver of another department may open them, but this budget is not theirs.
        page(302, who=FINANCE, sees=BUDGET_READERS | (EVERYONE - BUDGET_OPENERS)),
        params={"budget_id": "@budget"},
        form={"amount": "900000"},
    ),
    C("api.list_budgets", "GET", api(200)),
    C(
        "api.create_budget",
        "POST",
        api(201, who=FINANCE),
        json={"department": "OPS", "fiscal_year": TODAY.year, "amount": "5000"},
    ),
    C(
        "api.get_budget",
        "GET",
        api(200, who=BUDGET_READERS, sees=BUDGET_READERS),
        params={"budget_id": "@budget"},
    ),
    C(
        "api.patch_budget",
        "PATCH",
        api(200, who=FINANCE, sees=BUDGET_READERS),
        params={"budget_id": "@budget"},
        json={"amount": "900000"},
    ),
    # Delegations, notifications, departments, the caller ---------------------------------
    C("auth.delegate", "POST", page(302, who=DELEGATORS), form=DELEGATION_FORM),
    C(
        "auth.end_delegation",
        "POST",
        page(302, who=members("*/owner") & DELEGATORS, sees=DELEGATION_PARTIES),
        params={"delegation_id": "@delegation"},
    ),
    C("api.list_delegations", "GET", api(200)),
    C(
        "api.create_delegation",
        "POST",
        api(201, who=DELEGATORS),
        json={**DELEGATION_FORM, "delegate": "@colleague.email"},
    ),
    C(
        "api.end_delegation",
        "POST",
        api(200, who=members("*/owner") & DELEGATORS, sees=DELEGATION_PARTIES),
        params={"delegation_id": "@delegation"},
    ),
    C("api.list_notifications", "GET", api(200)),
    C(
        "api.read_notification",
        "POST",
        api(200, who=OWNER, sees=OWNER),
        params={"notification_id": "@notification"},
        audited=False,
    ),
    C("api.read_all_notifications", "POST", api(200), audited=False),
    C("api.me", "GET", api(200)),
    C("api.list_departments", "GET", api(200)),
    C("api.create_department", "POST", api(201, who=ADMIN), json={"code": "LAB", "name": "Lab"}),
    C("api.get_organisation", "GET", api(200)),
    C(
        "api.put_organisation",
        "PUT",
        api(200, who=ADMIN),
        json={"name": "Northwind Traders Ltd", "email": "buying@northwind.example"},
    ),
    C("api.get_order_settings", "GET", api(200)),
    C(
        "api.put_order_settings",
        "PUT",
        api(200, who=ADMIN),
        json={"revision_tolerance_percent": "4", "revision_tolerance_amount": "400.00"},
    ),
    C("api.get_invoice_settings", "GET", api(200)),
    C(
        "api.put_invoice_settings",
        "PUT",
        api(200, who=ADMIN),
        json={
            "price_tolerance_percent": "3",
            "price_tolerance_amount": "10.00",
            "two_way_categories": ["services"],
        },
    ),
    # Currencies and exchange rates --------------------------------------------------------
    C("api.get_currencies", "GET", api(200)),
    C("api.put_currencies", "PUT", api(200, who=ADMIN), json={"enabled": ["EUR", "GBP", "JPY"]}),
    C(
        "api.post_rate",
        "POST",
        api(201, who=RATE_KEEPERS),
        json={"currency": "EUR", "date": TODAY.isoformat(), "rate": "1.0825"},
    ),
    C("api.get_rate", "GET", api(200), query={"currency": "USD"}),
    C("exchange.rates", "GET", page(200, who=RATE_KEEPERS)),
    C(
        "exchange.record_rate",
        "POST",
        page(302, who=RATE_KEEPERS),
        form={"currency": "EUR", "date": TODAY.isoformat(), "rate": "1.0825"},
    ),
    C(
        "exchange.import_rates",
        "POST",
        page(302, who=RATE_KEEPERS),
        form={"file": ("@file", b"date,currency,rate\n2026-12-01,EUR,1.0825\n", "rates.csv")},
    ),
    C("exchange.currencies_admin", "GET", page(200, who=ADMIN)),
    C("exchange.enable_currency", "POST", page(302, who=ADMIN), form={"code": "JPY"}),
    C("exchange.disable_currency", "POST", page(302, who=ADMIN), params={"code": "GBP"}),
    # Administration -------------------------------------------------------------------------
    C("admin.index", "GET", page(200, who=ADMIN)),
    C("admin.new_user", "GET", page(200, who=ADMIN)),
    C(
        "admin.new_user",
        "POST",
        page(302, who=ADMIN),
        form={
            "email": "new.person@matrix.example",
            "name": "New Person",
            "password": "a long enough password",
            "department": "IT",
            "roles": ["requester"],
            "active": "y",
        },
    ),
    C("admin.edit_user", "GET", page(200, who=ADMIN), params={"user_id": "@target_user"}),
    C(
        "admin.edit_user",
        "POST",
        page(302, who=ADMIN),
        params={"user_id": "@target_user"},
        form={"name": "Target Renamed", "department": "OPS", "roles": ["approver"], "active": "y"},
    ),
    C(
        "admin.reset_password",
        "POST",
        page(302, who=ADMIN),
        params={"user_id": "@target_user"},
        form={"password": "a long enough password"},
    ),
    C(
        "admin.create_department",
        "POST",
        page(302, who=ADMIN),
        form={"code": "LAB", "name": "Laboratory"},
    ),
    C(
        "admin.edit_department",
        "GET",
        page(200, who=ADMIN),
        params={"department_id": "@department"},
    ),
    C(
        "admin.edit_department",
        "POST",
        page(302, who=ADMIN),
        params={"department_id": "@department"},
        form={"name": "Operations and Facilities"},
    ),
    C(
        "admin.add_category",
        "POST",
        page(302, who=ADMIN),
        form={"name": "lab", "label": "Lab kit"},
    ),
    C(
        "admin.toggle_category",
        "POST",
        page(302, who=ADMIN),
        params={"category_id": "@category"},
    ),
    C("admin.policy_rules", "GET", page(200, who=ADMIN)),
    C("admin.policy_rules", "POST", page(302, who=ADMIN), form=RULE_FORM),
    C("admin.edit_rule", "GET", page(200, who=ADMIN), params={"rule_id": "@policy_rule"}),
    C(
        "admin.edit_rule",
        "POST",
        page(302, who=ADMIN),
        params={"rule_id": "@policy_rule"},
        form={"step": "department", "role": "approver", "step_order": "15"},
    ),
    C("admin.toggle_rule", "POST", page(302, who=ADMIN), params={"rule_id": "@policy_rule"}),
    C(
        "admin.quote_rule",
        "POST",
        page(302, who=ADMIN),
        form={"threshold": "10000", "min_quotes": "3"},
    ),
    C("admin.approval_sla", "POST", page(302, who=ADMIN), form={"days": "3"}),
    C("admin.split_window", "POST", page(302, who=ADMIN), form={"days": "30"}),
    C("admin.users", "GET", page(200, who=ADMIN)),
    C("admin.scim_tokens", "GET", page(200, who=ADMIN)),
    C("admin.issue_scim_token", "POST", page(200, who=ADMIN), form={"name": "Entra ID"}),
    C(
        "admin.revoke_scim_token",
        "POST",
        page(302, who=ADMIN),
        params={"token_id": "@scim_token"},
    ),
    C("admin.sign_in_settings", "GET", page(200, who=ADMIN)),
    C(
        "admin.sign_in_settings",
        "POST",
        page(302, who=ADMIN),
        form={"group_roles": "procure-finance = finance", "contact": "the service desk"},
    ),
    C("admin.organisation_details", "GET", page(200, who=ADMIN)),
    C(
        "admin.organisation_details",
        "POST",
        page(302, who=ADMIN),
        form={"name": "Northwind Traders Ltd", "email": "buying@northwind.example"},
    ),
    C("admin.order_settings", "GET", page(200, who=ADMIN)),
    C(
        "admin.order_settings",
        "POST",
        page(302, who=ADMIN),
        form={"percent": "4", "amount": "400.00"},
    ),
    C("admin.invoice_settings", "GET", page(200, who=ADMIN)),
    C(
        "admin.invoice_settings",
        "POST",
        page(302, who=ADMIN),
        form={"percent": "3", "amount": "10.00", "two_way_categories": ["services"]},
    ),
    C(
        "admin.agreement",
        "POST",
        page(302, who=ADMIN),
        form={key: f"The {heading} clause." for key, heading in organisation.CLAUSES},
    ),
    # Vendor invoices (API) ------------------------------------------------------------------
    C("api.list_invoices", "GET", api(200)),
    C(
        "api.create_invoice",
        "POST",
        api(201, who=BOOKERS),
        json={
            "order_id": "@order_issued",
            "vendor_invoice_number": "MX-NEW-1",
            "invoice_date": TODAY.isoformat(),
            "lines": [{"order_line_id": "@order_line", "quantity": "1", "unit_price": "800.00"}],
        },
    ),
    # Not XML: refused (400) to who may import, after the permission (403) for others.
    C("api.import_invoice", "POST", api(400, who=BOOKERS), json={}),
    C("api.export_invoices", "GET", api(200, who=RATE_KEEPERS), query={"status": "approved"}),
    C(
        "api.get_invoice",
        "GET",
        api(200, who=INVOICE_READERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft"},
    ),
    C(
        "api.invoice_pdf",
        "GET",
        api(200, who=INVOICE_READERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft"},
    ),
    C(
        "api.attach_invoice_pdf",
        "POST",
        api(200, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft"},
        form={"file": PDF_UPLOAD},
    ),
    C(
        "api.submit_invoice",
        "POST",
        api(200, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft"},
    ),
    C(
        "api.cancel_invoice",
        "POST",
        api(200, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft"},
    ),
    C(
        "api.reject_invoice",
        "POST",
        api(200, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_matched"},
        json={"comment": "Not ours."},
    ),
    C(
        "api.approve_invoice",
        "POST",
        api(200, who=FINANCE, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_matched"},
    ),
    C(
        "api.resolve_invoice",
        "POST",
        api(200, who=QUANTITY_RESOLVERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held"},
        json={"reason": "Arrived late; the receipt is recorded."},
    ),
    C(
        "api.release_invoice",
        "POST",
        api(200, who=FINANCE, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held"},
        json={"justification": "Prepaid under the contract."},
    ),
    C(
        "api.pay_invoice",
        "POST",
        api(200, who=FINANCE, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_approved"},
        json={"paid_on": TODAY.isoformat(), "reference": "BANK-1"},
    ),
    C(
        "api.pay_invoices",
        "POST",
        api(200, who=FINANCE, sees=INVOICE_READERS),
        json={
            "invoice_ids": ["@invoice_approved"],
            "paid_on": TODAY.isoformat(),
            "reference": "RUN-1",
        },
    ),
    # Vendor invoices -------------------------------------------------------------------------
    C("invoices.index", "GET", page(200)),
    C(
        "invoices.detail",
        "GET",
        page(200, who=INVOICE_READERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held"},
    ),
    C(
        "invoices.pdf",
        "GET",
        page(200, who=INVOICE_READERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held"},
    ),
    C("invoices.new", "GET", page(200, who=BOOKERS), query={"order_id": "@order_issued"}),
    C(
        "invoices.new",
        "POST",
        page(302, who=BOOKERS),
        query={"order_id": "@order_issued"},
        form=INVOICE_FORM,
    ),
    C("invoices.import_einvoice", "GET", page(200, who=BOOKERS)),
    C(
        "invoices.import_einvoice",
        "POST",
        page(302, who=BOOKERS),
        form={"file": ("@file", "@ubl_invoice", "invoice.xml")},
    ),
    C(
        "invoices.pay_batch",
        "POST",
        page(302, who=FINANCE, sees=INVOICE_READERS),
        form={
            "invoice_ids": "@invoice_approved",
            "paid_on": TODAY.isoformat(),
            "reference": "RUN-1",
        },
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft", "action": "submit"},
        label="submit",
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=QUANTITY_RESOLVERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held", "action": "resolve"},
        form={"reason": "The rest arrived on Monday."},
        label="resolve",
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=FINANCE, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held", "action": "release"},
        form={"justification": "Agreed with the vendor."},
        label="release",
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=FINANCE, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_matched", "action": "approve"},
        label="approve",
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_held", "action": "reject"},
        form={"comment": "Not our order."},
        label="reject",
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=BOOKERS, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_draft", "action": "cancel"},
        form={"cancel_reason": "Entered twice."},
        label="cancel",
    ),
    C(
        "invoices.act",
        "POST",
        page(302, who=FINANCE, sees=INVOICE_READERS),
        params={"invoice_id": "@invoice_approved", "action": "pay"},
        form={"paid_on": TODAY.isoformat(), "reference": "BANK-1"},
        label="pay",
    ),
    # Reports --------------------------------------------------------------------------------
    *[
        C(f"reports.{name}", "GET", page(200, who=REPORT_READERS))
        for name in (
            "index",
            "spend",
            "spend_csv",
            "cycle_time",
            "cycle_time_csv",
            "savings",
            "savings_csv",
            "vendors",
            "vendors_csv",
            "split_purchases",
            "split_purchases_csv",
            "price_variance",
            "price_variance_csv",
        )
    ],
    # Finance's and admin's only (capability read_payables).
    *[
        C(f"reports.{name}", "GET", page(200, who=RATE_KEEPERS))
        for name in (
            "payables",
            "payables_csv",
            "exchange_differences",
            "exchange_differences_csv",
        )
    ],
    # The asset register --------------------------------------------------------------
    C("assets.index", "GET", page(200, who=ASSET_READERS)),
    C("assets.export_csv", "GET", page(200, who=ASSET_READERS), query={"format": "snipeit"}),
    C(
        "assets.labels_pdf",
        "GET",
        page(200, who=ASSET_READERS),
        query={"ids": "@asset_in_stock"},
    ),
    C(
        "assets.detail",
        "GET",
        page(200, who=ASSET_SEERS, sees=ASSET_SEERS),
        params={"tag": "@asset_tag"},
    ),
    C(
        "assets.deploy",
        "POST",
        page(302, who=ASSET_KEEPERS, sees=ASSET_READERS),
        params={"asset_id": "@asset_in_stock"},
        form={"holder": "target@matrix.example", "location": "HQ"},
    ),
    C(
        "assets.act",
        "POST",
        page(302, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"asset_id": "@asset", "move": "return"},
        form={"comment": "Back from the owner."},
    ),
    C(
        "assets.edit",
        "POST",
        page(302, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"asset_id": "@asset"},
        form={"serial": "MATRIX-SN", "tag": "MATRIX-TAG", "location": "Lab"},
    ),
    C("assets.licences", "GET", page(200, who=ASSET_READERS)),
    C(
        "assets.licence",
        "GET",
        page(200, who=ASSET_SEERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
    ),
    C(
        "assets.assign_seat",
        "POST",
        page(302, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
        form={"user": "target@matrix.example"},
    ),
    C(
        "assets.save_term",
        "POST",
        page(302, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
        form={
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
            "contract": "",
        },
    ),
    C(
        "assets.release_seat",
        "POST",
        page(302, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
        form={"user_id": "@licence_holder"},
    ),
    *[
        C(f"assets.{name}", "GET", page(200, who=ASSET_READERS))
        for name in (
            "reports_index",
            "report_warranty",
            "report_warranty_csv",
            "report_costs",
            "report_licences",
            "report_leavers",
        )
    ],
    C("assets.settings", "GET", page(200, who=ADMIN)),
    C(
        "assets.settings",
        "POST",
        page(302, who=ADMIN),
        form={
            "hardware_categories": ["hardware", "peripherals"],
            "licence_categories": ["licence"],
            "locations": "HQ\nAnnex",
            "warranty_reminder_days": "45",
        },
    ),
    C(
        "contracts.coverage",
        "GET",
        page(200, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
    ),
    C(
        "contracts.save_coverage",
        "POST",
        page(302, who=PROCUREMENT, sees=CONTRACT_READERS),
        params={"contract_id": "@contract_active"},
        form={"assets": ["@asset_in_stock"]},
    ),
    C("api.list_assets", "GET", api(200)),
    # The API's export is the list's, as a file: each reads what they may see.
    C("api.export_assets", "GET", api(200), query={"format": "glpi"}),
    # Labels of an asset one may not see: no such asset (422 on ids).
    C(
        "api.asset_labels",
        "GET",
        api(200, who=ASSET_READERS, also=dict.fromkeys(EVERYONE - ASSET_READERS, 422)),
        query={"ids": "@asset_in_stock"},
    ),
    C(
        "api.get_asset",
        "GET",
        api(200, who=ASSET_SEERS, sees=ASSET_SEERS),
        params={"asset_id": "@asset"},
    ),
    C(
        "api.patch_asset",
        "PATCH",
        api(200, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"asset_id": "@asset"},
        json={"serial": "MATRIX-SN", "location": "Lab"},
    ),
    C(
        "api.deploy_asset",
        "POST",
        api(200, who=ASSET_KEEPERS, sees=ASSET_READERS),
        params={"asset_id": "@asset_in_stock"},
        json={"holder": "@target_user", "location": "HQ"},
    ),
    *[
        C(
            f"api.{action}_asset",
            "POST",
            api(200, who=ASSET_KEEPERS, sees=ASSET_SEERS),
            params={"asset_id": "@asset"},
            json={"comment": "Matrix."},
        )
        for action in ("return", "repair", "retire")
    ],
    C(
        "api.dispose_asset",
        "POST",
        api(409, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"asset_id": "@asset"},
        json={},
        label="not retired",
    ),
    C("api.list_licences", "GET", api(200)),
    C(
        "api.get_licence",
        "GET",
        api(200, who=ASSET_SEERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
    ),
    C(
        "api.assign_seat",
        "POST",
        api(200, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
        json={"user_id": "@target_user"},
    ),
    C(
        "api.patch_licence",
        "PATCH",
        api(200, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
        json={"end_date": (TODAY + dt.timedelta(days=365)).isoformat()},
    ),
    C(
        "api.release_seat",
        "POST",
        api(200, who=ASSET_KEEPERS, sees=ASSET_SEERS),
        params={"licence_id": "@licence"},
        json={"user_id": "@licence_holder"},
    ),
    C("api.get_asset_settings", "GET", api(200)),
    C(
        "api.put_asset_settings",
        "PUT",
        api(200, who=ADMIN),
        json={
            "hardware_categories": ["hardware"],
            "licence_categories": ["licence", "software"],
            "locations": ["HQ"],
            "warranty_reminder_days": 45,
        },
    ),
    # Framework agreements, the catalogue, request types, sealed bids -----------------
    C("agreements.index", "GET", page(200, who=AGREEMENT_READERS)),
    C("agreements.new", "GET", page(200, who=PROCUREMENT)),
    C(
        "agreements.new",
        "POST",
        page(302, who=PROCUREMENT),
        form={
            "vendor_id": "@vendor",
            "title": "Matrix monitors",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=200)).isoformat(),
            "currency": "",
            "ceiling": "",
            "rfq_id": "",
            "terms": "",
            "items-0-description": "Monitor",
            "items-0-category": "hardware",
            "items-0-unit": "each",
            "items-0-unit_price": "199.00",
            "items-0-max_quantity": "10",
            "save": "Save draft",
        },
    ),
    C(
        "agreements.detail",
        "GET",
        page(200, who=AGREEMENT_READERS, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement"},
    ),
    C(
        "agreements.act",
        "POST",
        page(302, who=PROCUREMENT, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement_draft", "action": "activate"},
        form={"comment": ""},
    ),
    C(
        "agreements.call_off",
        "POST",
        page(302, who=PROCUREMENT, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement"},
        form={"request_id": "@catalogue_request", "request_number": ""},
    ),
    C("agreements.catalogue", "GET", page(200)),
    C(
        "agreements.request_item",
        "GET",
        page(302),
        query={"item": "@catalogue_item", "quantity": "2"},
    ),
    C("api.list_agreements", "GET", api(200, who=AGREEMENT_READERS)),
    C(
        "api.create_agreement",
        "POST",
        api(201, who=PROCUREMENT),
        json={
            "vendor_id": "@vendor",
            "title": "Matrix monitors",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY + dt.timedelta(days=200)).isoformat(),
            "items": [{"description": "Monitor", "category": "hardware", "unit_price": "199.00"}],
        },
    ),
    C(
        "api.get_agreement",
        "GET",
        api(200, who=AGREEMENT_READERS, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement"},
    ),
    C(
        "api.activate_agreement",
        "POST",
        api(200, who=PROCUREMENT, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement_draft"},
        json={},
    ),
    C(
        "api.close_agreement",
        "POST",
        api(200, who=PROCUREMENT, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement"},
        json={"comment": "Replaced."},
    ),
    C(
        "api.call_off",
        "POST",
        api(201, who=PROCUREMENT, sees=AGREEMENT_READERS),
        params={"agreement_id": "@agreement"},
        json={"request_id": "@catalogue_request"},
    ),
    C("api.search_catalogue", "GET", api(200), query={"q": "laptop"}),
    C("admin.request_types_page", "GET", page(200, who=ADMIN)),
    C(
        "admin.request_types_page",
        "POST",
        page(302, who=ADMIN),
        form={
            "code": "matrix-new",
            "name": "Matrix new",
            "fields": "users; Users; number; optional",
        },
    ),
    C(
        "admin.toggle_request_type",
        "POST",
        page(302, who=ADMIN),
        params={"type_id": "@request_type"},
        form={},
    ),
    C("api.list_request_types", "GET", api(200)),
    C(
        "api.create_request_type",
        "POST",
        api(201, who=ADMIN),
        json={
            "code": "matrix-new",
            "name": "Matrix new",
            "fields": [{"name": "users", "label": "Users", "kind": "number", "required": False}],
        },
    ),
    # The matrix's RFQs are not sealed: opening their bids is refused by the rule.
    C(
        "api.open_bids",
        "POST",
        api(409, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        json={},
    ),
    C(
        "sourcing.open_bids",
        "POST",
        page(303, who=PROCUREMENT, sees=REQUEST_READERS),
        params={"rfq_id": "@rfq_open"},
        form={"comment": ""},
        audited=False,  # procurement is told why not (a flash), and nothing changes
    ),
    C("api.get_sourcing_settings", "GET", api(200)),
    # The e-mail's decision link: the token is the credential, of one person only. Nobody
    # signed in (or a dead session) and that person may use it; anybody else signed in
    # in the browser is told it is not theirs (409).
    C("purchasing.by_email.confirm", "GET", _link_holder(200), params={"token": "@act_token"}),
    C(
        "purchasing.by_email.confirm",
        "GET",
        public(404),
        params={"token": "not-a-real-token"},
        label="bad token",
    ),
    C(
        "purchasing.by_email.decide",
        "POST",
        _link_holder(200),
        params={"token": "@act_token"},
        form={"decision": "approve", "comment": ""},
    ),
    C(
        "purchasing.by_email.decide",
        "POST",
        public(404),
        params={"token": "not-a-real-token"},
        form={"decision": "approve", "comment": ""},
        label="bad token",
    ),
    C("webhooks.index", "GET", page(200, who=ADMIN)),
    C(
        "webhooks.create",
        "POST",
        page(302, who=ADMIN),
        form={
            "url": access_org.WEBHOOK_URL + "/new",
            "kind": "json",
            "secret": access_org.WEBHOOK_SECRET,
            "events": "order.issued",
            "description": "Matrix",
        },
    ),
    C("webhooks.detail", "GET", page(200, who=ADMIN), params={"endpoint_id": "@webhook"}),
    C(
        "webhooks.delete",
        "POST",
        page(302, who=ADMIN),
        params={"endpoint_id": "@webhook"},
        form={},
    ),
    C("api.list_webhooks", "GET", api(200, who=ADMIN)),
    C(
        "api.create_webhook",
        "POST",
        api(201, who=ADMIN),
        json={
            "url": access_org.WEBHOOK_URL + "/new",
            "secret": access_org.WEBHOOK_SECRET,
            "events": ["order.issued"],
        },
    ),
    C("api.delete_webhook", "DELETE", api(204, who=ADMIN), params={"webhook_id": "@webhook"}),
    C("api.list_deliveries", "GET", api(200, who=ADMIN), params={"webhook_id": "@webhook"}),
    C("api.put_sourcing_settings", "PUT", api(200, who=ADMIN), json={"two_to_open": True}),
]


# Running a case -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def org(app, migration_seeds) -> Iterator[access_org.Organisation]:
    with access_org.signed_in(app, migration_seeds) as organisation:
        yield organisation


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_route(app, org, case: Case):
    connection = _db.engine  # the test's connection (see conftest's _transaction)
    mismatches = []
    for principal in PRINCIPALS:
        savepoint = connection.begin_nested()
        try:
            before = access_org.audit_head(connection)
            response = access_org.call(app, case, org, principal)
            response.close()  # a file answer holds its file open until closed
            after = access_org.audit_head(connection)
        finally:
            savepoint.rollback()
        status = response.status_code
        if status != case.expect[principal]:
            mismatches.append(
                f"{principal}: expected {case.expect[principal]}, got {status} "
                f"{response.headers.get('Location', '')}"
            )
        # A refused change on a page answers See Other too; an allowed one may as well.
        succeeded = status == 303 == case.expect[principal] and principal in SIGNED_IN
        refused = (status in REFUSED and not succeeded) or (
            status == 302 and "/login" in response.location
        )
        if case.method == "GET" or (refused and case.endpoint != "auth.login"):
            if after != before:
                mismatches.append(f"{principal}: {status}, yet the audit log grew")
        elif case.audited and after == before:
            mismatches.append(f"{principal}: {status}, yet nothing was recorded")
    assert not mismatches, "\n".join(mismatches)


def test_every_route_is_in_the_table(app):
    in_app = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    in_table = {(case.endpoint, case.method) for case in CASES}
    missing = sorted(in_app - in_table)
    stale = sorted(in_table - in_app)
    assert not missing, f"routes missing from the access table: {missing}"
    assert not stale, f"the access table names routes the app no longer has: {stale}"


def test_the_table_covers_every_principal():
    for case in CASES:
        assert set(case.expect) == set(PRINCIPALS), case.id
    assert len(ROLES) * len(RELATIONS) + 2 == len(PRINCIPALS)
