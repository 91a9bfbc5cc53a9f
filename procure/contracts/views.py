"""Contract pages: the register, filing and editing drafts, the life cycle, the
renewal calendar and each user's private iCalendar feed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal

import icalendar
import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import access, attachments, audit
from ..errors import ValidationError
from ..extensions import db
from ..forms import apply_errors, submitted_version
from ..models import (
    CalendarFeed,
    Contract,
    ContractKind,
    ContractStatus,
    PurchaseOrder,
    User,
    Vendor,
    utcnow,
)
from ..pagination import paginate_page
from . import bp, dates, document, services
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
    vendors = db.session.scalars(sa.select(Vendor).order_by(Vendor.name)).all()
    return render_template(
        "contracts/index.html",
        page=page,
        status=status,
        kind=kind,
        vendor_id=vendor_id,
        within=within,
        vendors=vendors,
        statuses=[s.value for s in ContractStatus],
        kinds=[k.value for k in ContractKind],
        deadline=services.notice_deadline,
        can_file=access.may(current_user, "file_contracts"),
    )


def _vendor_choices(form: ContractForm) -> ContractForm:
    form.vendor_id.choices = [SelectChoice(0, "Choose a vendor")] + [
        SelectChoice(v.id, v.name)
        for v in db.session.scalars(sa.select(Vendor).order_by(Vendor.name))
    ]
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
        order_id = _int(request.args.get("order_id"))
        order = db.session.get(PurchaseOrder, order_id) if order_id else None
        if order is not None and access.can_see(current_user, order):
            form.vendor_id.data = order.vendor_id
            form.order_id.data = str(order.id)
            form.title.data = f"Maintenance for {order.number or 'order ' + str(order.id)}"
            form.kind.data = "maintenance"
            form.covered_items.data = "\n".join(line.description for line in order.lines)
        form.start_date.data = form.start_date.data or dt.date.today()
        return render_template("contracts/form.html", form=form, contract=None)
    if form.validate():
        try:
            contract = services.create(_data(form), actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
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
        try:
            data = _data(form)
            data.owner_id = contract.owner_id
            services.update(
                contract, data, actor=current_user, expected_version=submitted_version(form)
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
            contract = services.get(contract_id, current_user)
        else:
            db.session.commit()
            flash("The draft is saved.", "success")
            return redirect(url_for(".detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=contract), 422


def _render(contract: Contract, *, form: ActionForm | None = None, failed: str = "", status=200):
    return render_template(
        "contracts/detail.html",
        contract=contract,
        actions=services.allowed_actions(contract, current_user),
        deadline=services.notice_deadline(contract),
        clause=document.renewal_clause(contract),
        form=form or ActionForm(version=contract.version),
        failed=failed,
        can_change=access.can_change(current_user, contract),
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
    try:
        kwargs = {
            "actor": current_user,
            "comment": form.comment.data or "",
            "expected_version": submitted_version(form),
        }
        if action == "renew":
            services.renew(contract, end_date=form.end_date.data, **kwargs)
        else:
            getattr(services, action)(contract, **kwargs)
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return _render(
            services.get(contract_id, current_user), form=form, failed=action, status=422
        )
    db.session.commit()
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
    try:
        stored = attachments.store_upload(
            request.files.get("signed_copy"), user=current_user, field="signed_copy"
        )
        if stored is None:
            raise ValidationError.field("signed_copy", "Choose the signed copy to upload.")
    except ValidationError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render(contract, form=form, failed="upload", status=422)
    contract.signed_copy = stored
    db.session.flush()
    audit.record(
        "contract",
        contract.id,
        "attach_signed_copy",
        actor=current_user,
        changes={"signed_copy": stored.filename},
    )
    db.session.commit()
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


def calendar_events(user: User, start: dt.date, end: dt.date) -> list[dict]:
    """Notice deadlines and end dates of the active contracts ``user`` may see, from
    ``start`` to ``end``, in date order."""
    query = services.list_query(user, status=ContractStatus.ACTIVE.value)
    events = []
    for contract in db.session.scalars(query):
        deadline = services.notice_deadline(contract)
        for day, what in ((deadline, "notice deadline"), (contract.end_date, "ends")):
            if start <= day <= end:
                events.append({"day": day, "what": what, "contract": contract})
    return sorted(events, key=lambda e: (e["day"], e["contract"].id, e["what"]))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    )


@bp.get("/calendar")
@login_required
def calendar():
    today = dt.date.today()
    first = today.replace(day=1)
    months = []
    for offset in range(12):
        month = dates.add_months(first, offset)
        months.append({"month": month, "events": []})
    end = dates.add_months(first, 12) - dt.timedelta(days=1)
    for event in calendar_events(current_user, today, end):
        index = (event["day"].year - first.year) * 12 + event["day"].month - first.month
        months[index]["events"].append(event)
    return render_template(
        "contracts/calendar.html",
        months=months,
        feed=_active_feed(current_user),
        new_token=None,
        form=ActionForm(),
    )


@bp.post("/calendar/feed")
@login_required
def create_feed():
    form = ActionForm()
    if not form.validate():
        abort(400)
    _revoke(current_user)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=current_user.id, token_hash=_token_hash(token)))
    db.session.commit()
    url = url_for(".feed", token=token, _external=True)
    flash(f"Your calendar feed address (shown once): {url}", "success")
    return redirect(url_for(".calendar"))


@bp.post("/calendar/feed/revoke")
@login_required
def revoke_feed():
    form = ActionForm()
    if not form.validate():
        abort(400)
    _revoke(current_user)
    db.session.commit()
    flash("The calendar feed is revoked.", "success")
    return redirect(url_for(".calendar"))


def _revoke(user: User) -> None:
    for feed in db.session.scalars(
        sa.select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    ):
        feed.revoked_at = utcnow()


@bp.get("/calendar.ics")
def feed():
    token = request.args.get("token", "")
    if not token or len(token) > 200:
        abort(404)
    row = db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.token_hash == _token_hash(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        abort(404)
    today = dt.date.today()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Procure//Contract renewals//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Procure contract deadlines")
    stamp = dt.datetime.now(dt.UTC)
    for event in calendar_events(
        row.user, today - dt.timedelta(days=31), dates.add_months(today, 24)
    ):
        contract = event["contract"]
        item = icalendar.Event()
        kind = "notice" if event["what"] == "notice deadline" else "end"
        item.add("uid", f"contract-{contract.id}-{kind}-{event['day'].isoformat()}@procure")
        item.add("dtstamp", stamp)
        item.add("dtstart", event["day"])
        item.add("dtend", event["day"] + dt.timedelta(days=1))
        label = "Notice deadline" if kind == "notice" else "Contract ends"
        item.add("summary", f"{label}: {contract.number} {contract.title}")
        item.add("description", f"{contract.vendor.name}. {document.renewal_clause(contract)}")
        item.add("url", url_for(".detail", contract_id=contract.id, _external=True))
        cal.add_component(item)
    response = Response(cal.to_ical(), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response
