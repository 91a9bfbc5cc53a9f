"""The catalogue: the items of active agreements, to request from."""

from __future__ import annotations

from flask import abort, render_template, request
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
    return render_template(
        "catalogue/index.html",
        items=pages.catalogue(text, category),
        text=text,
        category=category,
        categories=pages.categories(),
        limit=pages.CATALOGUE_LIMIT,
        can_request=access.may(current_user, "file_requests"),
        can_read_agreements=pages.may_read(current_user),
    )
