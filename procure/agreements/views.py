"""Pages of framework agreements: the register and one agreement's page.

Each page view runs as one transaction (``procure.web``): nothing here commits."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from .. import access
from ..models import Agreement, AgreementStatus
from ..pagination import paginate_page
from . import bp, pages


@bp.get("/agreements")
@login_required
def index():
    if not pages.may_read(current_user):
        abort(403)
    status = request.args.get("status") or None
    if status not in {s.value for s in AgreementStatus}:
        status = None
    page = paginate_page(pages.list_query(current_user, status), key=Agreement.id)
    return render_template(
        "agreements/index.html",
        page=page,
        status=status,
        statuses=[s.value for s in AgreementStatus],
        can_manage=pages.may_manage(current_user),
    )


@bp.get("/agreements/<int:agreement_id>")
@login_required
def detail(agreement_id: int):
    agreement = access.load(Agreement, agreement_id, current_user)
    return render_template(
        "agreements/detail.html",
        page=pages.agreement_page(agreement, current_user),
        is_cancelled=pages.is_cancelled,
    )
