"""Vendors: the register, its life cycle, compliance documents and the scorecard.

Services check, change, audit and flush; the caller commits once. Every signed-in
user may read vendors; only procurement changes them (DESIGN.md, "Roles").

The sections live in modules of their own, layered so that none imports one above
it: ``register`` (a vendor's data, checks, changes and life cycle), ``documents``
(compliance documents and flags), ``scorecard``, and ``pages`` (what the pages
show). Callers use the names re-exported here: ``services.create_vendor(...)``.
"""

from .documents import (
    DOCUMENT_KINDS,
    DOCUMENT_TYPES,
    REQUIRED_DOCUMENTS,
    add_document,
    file_document,
    flag_reasons,
    flagged_condition,
    flags,
    get_document,
    is_expired,
    is_flagged,
    kind_label,
    remove_document,
    required_documents,
    set_required_documents,
)
from .pages import (
    VendorPage,
    flagged_count,
    list_query,
    require_admin,
    timeline,
    vendor_page,
)
from .register import (
    ACTIONS,
    MAX_CATEGORIES,
    MAX_CONTACTS,
    NAME_MAX,
    TEXT_MAX,
    ContactData,
    VendorData,
    act,
    allowed_actions,
    clean_website,
    create_vendor,
    get,
    history,
    may_manage,
    name_taken,
    require_manager,
    today,
    update_vendor,
    validate,
)
from .scorecard import Scorecard, scorecard, scorecards

__all__ = [
    "ACTIONS",
    "DOCUMENT_KINDS",
    "DOCUMENT_TYPES",
    "MAX_CATEGORIES",
    "MAX_CONTACTS",
    "NAME_MAX",
    "REQUIRED_DOCUMENTS",
    "TEXT_MAX",
    "ContactData",
    "Scorecard",
    "VendorData",
    "VendorPage",
    "act",
    "add_document",
    "allowed_actions",
    "clean_website",
    "create_vendor",
    "file_document",
    "flag_reasons",
    "flagged_condition",
    "flagged_count",
    "flags",
    "get",
    "get_document",
    "history",
    "is_expired",
    "is_flagged",
    "kind_label",
    "list_query",
    "may_manage",
    "name_taken",
    "remove_document",
    "require_admin",
    "require_manager",
    "required_documents",
    "scorecard",
    "scorecards",
    "set_required_documents",
    "timeline",
    "today",
    "update_vendor",
    "validate",
    "vendor_page",
]
