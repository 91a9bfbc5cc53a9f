"""Purchase requests: filing, editing and deciding them, and reading them back.
Services check, change, audit and flush; the caller commits once.

- ``filing``: what a request may contain, and the drafts written from it;
- ``decisions``: submitting, approving, rejecting, returning, cancelling;
- ``queries``: one request, the lists, the approval inbox, the dashboard's figures;
- ``page``: what a request's page shows, in one call.

Callers use the names below (``services.approve(...)``), not the modules.
"""

from .decisions import (
    ACTIONS,
    act,
    allowed_actions,
    approve,
    budget_check,
    cancel,
    preview_steps,
    reject,
    return_for_changes,
    submit,
    todays_rate,
)
from .filing import (
    MAX_LINES,
    TEXT_MAX,
    TITLE_MAX,
    LineData,
    RequestData,
    create_request,
    problems,
    require_filer,
    update_request,
    validate,
)
from .page import RequestPage, base_note, detail, draft_estimate, rate_text
from .queries import (
    Dashboard,
    awaiting,
    dashboard,
    get,
    history,
    inbox_page,
    list_query,
    waiting_since,
)

__all__ = [
    "ACTIONS",
    "MAX_LINES",
    "TEXT_MAX",
    "TITLE_MAX",
    "Dashboard",
    "LineData",
    "RequestData",
    "RequestPage",
    "act",
    "allowed_actions",
    "approve",
    "awaiting",
    "base_note",
    "budget_check",
    "cancel",
    "create_request",
    "dashboard",
    "detail",
    "draft_estimate",
    "get",
    "history",
    "inbox_page",
    "list_query",
    "preview_steps",
    "problems",
    "rate_text",
    "reject",
    "require_filer",
    "return_for_changes",
    "submit",
    "todays_rate",
    "update_request",
    "validate",
    "waiting_since",
]
