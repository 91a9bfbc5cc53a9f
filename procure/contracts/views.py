"""Contract pages: the register, filing and editing drafts, the life cycle, the
renewal calendar and each user's private iCalendar feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import access, attachments, currencies, web
from ..assets import pages as register
from ..forms import submitted_version
from ..models import Contract, ContractKind, ContractStatus
from ..pagination import paginate_page
from ..security import external_url
from . import bp, calendar, document, pages, services
from .forms import ActionForm, ContractForm


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.get("/")
@login_required
def index():
    status = request.args.get("status") or None
    if status not in {s.value for s in ContractStatus}:
        status = None
    kind = request.args.get("kind") or None
    if kind not in {k.value for k in ContractKind}:
        kind = None
    vendor_id = _int(request.args.get("vendor_id"))
    within = _int(request.args.get("notice_within"))
    page = paginate_page(
        services.list_query(
            current_user, status=status, kind=kind, vendor_id=vendor_id, expiring_within=within
        )
    )
    return render_template(
        "contracts/index.html",
        page=page,
        status=status,
        kind=kind,
        vendor_id=vendor_id,
        within=within,
        vendors=pages.vendors(),
        statuses=[s.value for s in ContractStatus],
        kinds=[k.value for k in ContractKind],
        deadline=services.notice_deadline,
        can_file=pages.may_file(current_user),
        can_read_agreements=pages.may_read_agreements(current_user),
    )


def _vendor_choices(form: ContractForm) -> ContractForm:
    """The form's choices: the vendors, and the enabled currencies (the base first)."""
    form.vendor_id.choices = [SelectChoice(0, "Choose a vendor")] + [
        SelectChoice(v.id, v.name) for v in pages.vendors()
    ]
    form.currency.choices = [SelectChoice(code, label) for code, label in currencies.choices()]
    if not form.currency.data:
        form.currency.data = currencies.base()
    return form


def _data(form: ContractForm) -> services.ContractData:
    items = [line.strip() for line in (form.covered_items.data or "").splitlines()]
    return services.ContractData(
        vendor_id=form.vendor_id.data or None,
        title=form.title.data or "",
        kind=form.kind.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        value=form.value.data if form.value.data is not None else Decimal("0.00"),
        currency=form.currency.data,
        billing_period=form.billing_period.data,
        auto_renew=bool(form.auto_renew.data),
        notice_days=form.notice_days.data if form.notice_days.data is not None else 0,
        renewal_term_months=form.renewal_term_months.data
        if form.renewal_term_months.data is not None
        else 12,
        sla_response_hours=form.sla_response_hours.data,
        sla_resolution_hours=form.sla_resolution_hours.data,
        covered_items=[item for item in items if item],
        terms=form.terms.data or "",
        order_id=_int(form.order_id.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    access.require(current_user, "file_contracts", action="file contracts")
    form = _vendor_choices(ContractForm())
    if request.method == "GET":
        draft = pages.draft_from_order(_int(request.args.get("order_id")), current_user)
        if draft is not None:
            form.vendor_id.data = draft.vendor_id
            form.order_id.data = str(draft.order_id)
            form.title.data = draft.title
            form.kind.data = draft.kind
            form.covered_items.data = "\n".join(draft.covered_items)
        form.start_date.data = form.start_date.data or dt.date.today()
        return render_template("contracts/form.html", form=form, contract=None)
    if form.validate():
        with web.form_errors(form) as outcome:
            contract = services.create(_data(form), actor=current_user)
        if outcome.ok:
            flash(f"{contract.number} is filed as a draft.", "success")
            return redirect(url_for(".detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=None), 422


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contract_id: int):
    contract = services.get(contract_id, current_user)
    access.require(current_user, "file_contracts", action="edit contracts")
    if contract.status != ContractStatus.DRAFT:
        abort(409)
    if request.method == "GET":
        form = _vendor_choices(ContractForm(obj=contract, version=contract.version))
        form.kind.data = contract.kind.value
        form.billing_period.data = contract.billing_period.value
        form.covered_items.data = "\n".join(contract.covered_items or [])
        form.order_id.data = str(contract.order_id or "")
        return render_template("contracts/form.html", form=form, contract=contract)
    form = _vendor_choices(ContractForm())
    if form.validate():
        data = _data(form)
        data.owner_id = contract.owner_id
        with web.form_errors(form) as outcome:
            services.update(
                contract, data, actor=current_user, expected_version=submitted_version(form)
            )
        if outcome.ok:
            flash("The draft is saved.", "success")
            return redirect(url_for(".detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=contract), 422


def _render(contract: Contract, *, form: ActionForm | None = None, failed: str = "", status=200):
    return render_template(
        "contracts/detail.html",
        page=pages.contract_page(contract, current_user),
        covers=register.coverage_summary(contract, current_user),
        contract=contract,
        form=form or ActionForm(version=contract.version),
        failed=failed,
    ), status


@bp.get("/<int:contract_id>")
@login_required
def detail(contract_id: int):
    return _render(services.get(contract_id, current_user))


@bp.post("/<int:contract_id>/<any(activate, renew, terminate):action>")
@login_required
def act(contract_id: int, action: str):
    contract = services.get(contract_id, current_user)
    form = ActionForm()
    if not form.validate():
        return _render(contract, form=form, failed=action, status=422)
    kwargs = {
        "actor": current_user,
        "comment": form.comment.data or "",
        "expected_version": submitted_version(form),
    }
    with web.form_errors(form) as outcome:
        if action == "renew":
            services.renew(contract, end_date=form.end_date.data, **kwargs)
        else:
            getattr(services, action)(contract, **kwargs)
    if not outcome.ok:
        return _render(contract, form=form, failed=action, status=422)
    flash(f"{contract.number} is {contract.status.value}.", "success")
    return redirect(url_for(".detail", contract_id=contract.id))


@bp.post("/<int:contract_id>/signed-copy")
@attachments.accepts_uploads
@login_required
def upload_signed_copy(contract_id: int):
    contract = services.get(contract_id, current_user)
    access.require(current_user, "file_contracts", action="attach signed copies")
    form = ActionForm()
    if not form.validate():
        abort(400)
    with web.form_errors(form) as outcome:
        services.attach_signed_copy(contract, request.files.get("signed_copy"), actor=current_user)
    if not outcome.ok:
        return _render(contract, form=form, failed="upload", status=422)
    flash("The signed copy is attached.", "success")
    return redirect(url_for(".detail", contract_id=contract.id))


@bp.get("/<int:contract_id>/signed-copy")
@login_required
def signed_copy(contract_id: int):
    contract = services.get(contract_id, current_user)
    if contract.signed_copy is None:
        abort(404)
    return attachments.send(contract.signed_copy)


@bp.get("/<int:contract_id>/pdf")
@login_required
def pdf(contract_id: int):
    contract = services.get(contract_id, current_user)
    data, filename = document.render(contract)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The renewal calendar and the iCalendar feed --------------------------------------------


@bp.get("/calendar", endpoint="calendar")
@login_required
def calendar_page():
    page = calendar.calendar_page(current_user)
    return render_template(
        "contracts/calendar.html", months=page.months, feed=page.feed, form=ActionForm()
    )


@bp.post("/calendar/feed")
@login_required
def create_feed():
    if not ActionForm().validate():
        abort(400)
    token = calendar.issue_feed_token(current_user)
    url = external_url("contracts.feed", token=token)
    flash(f"Your calendar feed address (shown once): {url}", "success")
    return redirect(url_for(".calendar"))


@bp.post("/calendar/feed/revoke")
@login_required
def revoke_feed():
    if not ActionForm().validate():
        abort(400)
    calendar.revoke_feed_token(current_user)
    flash("The calendar feed is revoked.", "success")
    return redirect(url_for(".calendar"))


@bp.get("/calendar.ics")
def feed():
    user = calendar.feed_owner(request.args.get("token", ""))
    if user is None:
        abort(404)
    response = Response(calendar.ical(user), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response
