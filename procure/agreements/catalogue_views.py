"""The catalogue: the items of active agreements, to request from."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from . import bp, pages


@bp.get("/catalogue")
@login_required
def catalogue():
    if not access.may(current_user, "read_catalogue"):
        abort(403)
    text = (request.args.get("q") or "")[:200]
    category = (request.args.get("category") or "")[:40]
    can_request = access.may(current_user, "file_requests")
    return render_template(
        "catalogue/index.html",
        items=pages.catalogue(text, category),
        text=text,
        category=category,
        categories=pages.categories(),
        limit=pages.CATALOGUE_LIMIT,
        can_request=can_request,
        drafts=pages.drafts(current_user) if can_request else [],
        can_read_agreements=pages.may_read(current_user),
    )


@bp.get("/catalogue/request")
@login_required
def request_item():
    """Where the catalogue's "Request" goes: a new request with the item, or the chosen
    draft's form with the item added (the request pages check the rest)."""
    args = {"item": request.args.get("item", ""), "quantity": request.args.get("quantity", "")}
    draft = (request.args.get("to") or "").strip()
    if draft.isdigit() and len(draft) < 10:
        return redirect(url_for("purchasing.edit", pr_id=int(draft), **args))
    return redirect(url_for("purchasing.new", **args))
