from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import attachments
from ..errors import DomainError, ValidationError
from ..extensions import db
from ..forms import apply_errors, submitted_version
from ..models import PurchaseRequest, Quote, Rfq, RfqStatus, Vendor, VendorStatus, utcnow
from ..money import MoneyError, parse_money
from ..pagination import paginate_page
from ..purchasing import services as purchasing
from . import bp, services
from .forms import ActionForm, AwardForm, QuoteForm, RfqForm


@bp.get("/rfqs")
@login_required
def index():
    status = request.args.get("status") or None
    if status not in {s.value for s in RfqStatus}:
        status = None
    page = paginate_page(services.list_query(current_user, status=status), key=Rfq.id)
    return render_template(
        "sourcing/index.html",
        page=page,
        status=status,
        statuses=[s.value for s in RfqStatus],
        awaiting=_awaiting_sourcing() if current_user.has_role("procurement") else [],
    )


def _awaiting_sourcing() -> list[PurchaseRequest]:
    return list(db.session.scalars(services.awaiting_sourcing().limit(20)))


def _vendor_choices(pr: PurchaseRequest) -> list[tuple[Vendor, list[str]]]:
    """Approved vendors of the request's categories, with anything that stops them."""
    wanted = services.request_categories(pr)
    vendors = db.session.scalars(
        sa.select(Vendor).where(Vendor.status == VendorStatus.APPROVED).order_by(Vendor.name)
    )
    result = []
    for vendor in vendors:
        if wanted and vendor.categories and not wanted & set(vendor.categories):
            continue
        result.append((vendor, services.flag_reasons(vendor)))
    return result


@bp.route("/rfqs/new", methods=["GET", "POST"])
@login_required
def new():
    raw = request.args.get("request_id", "")
    pr = purchasing.get(int(raw), current_user) if raw.isdigit() else abort(404)
    services.require_buyer(current_user)
    form = RfqForm()
    choices = _vendor_choices(pr)
    form.vendors.choices = [SelectChoice(v.id, v.name) for v, _ in choices]
    if form.validate_on_submit():
        weights = {
            "price": form.weight_price.data,
            "lead_time": form.weight_lead_time.data,
            "rating": form.weight_rating.data,
            "warranty": form.weight_warranty.data,
        }
        try:
            rfq = services.create_rfq(
                services.RfqData(
                    request_id=pr.id,
                    vendor_ids=form.vendors.data,
                    due_date=form.due_date.data,
                    weights={k: Decimal(v or 0) for k, v in weights.items()},
                    notes=form.notes.data or "",
                ),
                actor=current_user,
            )
        except ValidationError as exc:
            db.session.rollback()
            exc.fields = {
                (
                    "vendors"
                    if k.startswith("vendor_ids")
                    else "weight_" + k.split(".")[1]
                    if k.startswith("weights.")
                    else k
                ): v
                for k, v in exc.fields.items()
            }
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"{rfq.number} is a draft: check it and send it to the vendors.", "success")
            return redirect(url_for(".detail", rfq_id=rfq.id))
    return render_template(
        "sourcing/new.html", pr=pr, form=form, choices=choices
    ), 422 if form.errors else 200


def _quote_form(rfq, form: QuoteForm | None = None) -> QuoteForm:
    form = form or QuoteForm()
    form.vendor_id.choices = [SelectChoice(i.vendor_id, i.vendor.name) for i in rfq.invitations]
    if not form.lines.entries:
        for line in rfq.request.lines:
            form.lines.append_entry({"request_line_id": str(line.id), "unit_price": ""})
    return form


def _render_detail(rfq, *, quote_form=None, award_form=None, links=None, status=200):
    comparison = services.compare(rfq) if rfq.status != RfqStatus.DRAFT else None
    return render_template(
        "sourcing/detail.html",
        rfq=rfq,
        comparison=comparison,
        actions=services.allowed_actions(rfq, current_user),
        quote_form=_quote_form(rfq, quote_form) if rfq.status == RfqStatus.OPEN else None,
        award_form=award_form or AwardForm(version=rfq.version),
        action_form=ActionForm(version=rfq.version),
        history=services.quote_history(rfq),
        order=services.order_for(rfq),
        links=links,
        weights=services.weights_of(rfq),
        threshold_rule=services.quote_rule(),
        today=utcnow().date(),
    ), status


@bp.get("/rfqs/<int:rfq_id>")
@login_required
def detail(rfq_id: int):
    return _render_detail(services.get(rfq_id, current_user))


@bp.post("/rfqs/<int:rfq_id>/send")
@login_required
def send(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    links = services.send(rfq, actor=current_user, expected_version=submitted_version(form))
    db.session.commit()
    flash(
        f"{rfq.number} is open. Vendors with an e-mail address get their invitation; "
        "give the others their link below.",
        "success",
    )
    # The links are shown once, in this answer: they are the vendors' secrets.
    by_vendor = {i.vendor: links[i.vendor_id] for i in rfq.invitations}
    return _render_detail(rfq, links=by_vendor)


@bp.post("/rfqs/<int:rfq_id>/cancel")
@login_required
def cancel(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    services.cancel(
        rfq,
        actor=current_user,
        comment=form.comment.data or "",
        expected_version=submitted_version(form),
    )
    db.session.commit()
    flash(f"{rfq.number} is cancelled.", "success")
    return redirect(url_for(".detail", rfq_id=rfq.id))


@bp.post("/rfqs/<int:rfq_id>/award")
@login_required
def award(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = AwardForm()
    if not form.validate() or not (form.quote_id.data or "").isdigit():
        abort(400)
    try:
        order = services.award(
            rfq,
            int(form.quote_id.data),
            actor=current_user,
            justification=form.justification.data or "",
            expected_version=submitted_version(form),
        )
    except ValidationError as exc:
        db.session.rollback()
        rfq = services.get(rfq_id, current_user)
        form.justification.errors = list(exc.fields.get("justification", []))
        if not form.justification.errors:
            form.form_errors.append(exc.message)
        return _render_detail(rfq, award_form=form, status=422)
    db.session.commit()
    flash(f"{rfq.number} is awarded. The purchase order is ready as a draft.", "success")
    return redirect(url_for("orders.detail", order_id=order.id))


def _money_or_error(form_field, label: str, errors: dict, name: str) -> Decimal | None:
    raw = (form_field.data or "").strip()
    try:
        return parse_money(raw or "0")
    except MoneyError as exc:
        errors.setdefault(name, []).append(f"{label} {exc}.")
        return None


def _quote_data(rfq, form: QuoteForm) -> services.QuoteData:
    errors: dict[str, list[str]] = {}
    lines = []
    request_lines = {line.id: line for line in rfq.request.lines}
    for index, entry in enumerate(form.lines):
        line_id = entry.form.request_line_id.data or ""
        line = request_lines.get(int(line_id)) if line_id.isdigit() else None
        if line is None:
            continue
        if not (entry.form.unit_price.data or "").strip():
            errors.setdefault(f"lines.{index}.unit_price", []).append("Give the unit price.")
            continue
        price = _money_or_error(
            entry.form.unit_price, "The unit price", errors, f"lines.{index}.unit_price"
        )
        if price is not None:
            lines.append(
                services.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=price,
                    request_line_id=line.id,
                )
            )
    shipping = _money_or_error(form.shipping, "Shipping", errors, "shipping")
    tax = _money_or_error(form.tax, "Tax", errors, "tax")
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    return services.QuoteData(
        vendor_id=form.vendor_id.data,
        valid_until=form.valid_until.data,
        lead_time_days=form.lead_time_days.data,
        warranty_months=form.warranty_months.data or 0,
        payment_terms=form.payment_terms.data or "",
        shipping=shipping,
        tax=tax,
        notes=form.notes.data or "",
        lines=lines,
    )


def _show_quote_errors(form: QuoteForm, exc: ValidationError) -> None:
    for name, messages in exc.fields.items():
        parts = name.split(".")
        if (
            parts[0] == "lines"
            and len(parts) == 3
            and parts[1].isdigit()
            and int(parts[1]) < len(form.lines.entries)
        ):
            field = form.lines.entries[int(parts[1])].form.unit_price
            field.errors = list(field.errors) + messages
        elif hasattr(getattr(form, parts[0], None), "errors"):
            field = getattr(form, parts[0])
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


@bp.post("/rfqs/<int:rfq_id>/quotes")
@attachments.accepts_uploads
@login_required
def record_quote(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = _quote_form(rfq, QuoteForm())
    if form.validate():
        try:
            data = _quote_data(rfq, form)
            attachment = attachments.store_upload(
                request.files.get("attachment"), user=current_user
            )
            quote = services.record_quote(
                rfq, data, actor=current_user, attachment_id=attachment.id if attachment else None
            )
        except ValidationError as exc:
            db.session.rollback()
            rfq = services.get(rfq_id, current_user)
            _show_quote_errors(form, exc)
        else:
            db.session.commit()
            flash(
                f"The quote of {quote.vendor.name} is recorded "
                f"({quote.total:,.2f} {quote.currency}).",
                "success",
            )
            return redirect(url_for(".detail", rfq_id=rfq.id, _anchor="comparison"))
    return _render_detail(rfq, quote_form=form, status=422)


@bp.get("/rfqs/<int:rfq_id>/quotes/<int:quote_id>/attachment")
@login_required
def quote_attachment(rfq_id: int, quote_id: int):
    rfq = services.get(rfq_id, current_user)
    quote = db.session.get(Quote, quote_id)
    if quote is None or quote.rfq_id != rfq.id or quote.attachment is None:
        abort(404)
    return attachments.send(quote.attachment)


# The vendor's page, reached through the private link, without an account --------------


@bp.route("/quote/<token>", methods=["GET", "POST"])
@attachments.accepts_uploads
def vendor_quote(token: str):
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkRefused as exc:
        return render_template("sourcing/link_refused.html", message=str(exc)), 410
    rfq = invitation.rfq
    form = _quote_form(rfq, QuoteForm() if request.method == "POST" else None)
    form.vendor_id.choices = [SelectChoice(invitation.vendor_id, invitation.vendor.name)]
    form.vendor_id.data = invitation.vendor_id
    if request.method == "POST" and form.validate():
        try:
            data = _quote_data(rfq, form)
            data.vendor_id = invitation.vendor_id
            attachment = attachments.store_upload(request.files.get("attachment"), user=None)
            quote = services.record_quote(
                rfq, data, actor=None, attachment_id=attachment.id if attachment else None
            )
        except DomainError as exc:
            db.session.rollback()
            if isinstance(exc, ValidationError):
                _show_quote_errors(form, exc)
            else:
                form.form_errors.append(exc.message)
        else:
            db.session.commit()
            return render_template("sourcing/vendor_thanks.html", quote=quote, rfq=rfq)
    return render_template(
        "sourcing/vendor_quote.html", rfq=rfq, invitation=invitation, form=form
    ), 422 if form.errors else 200
