from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import attachments, web
from ..extensions import db
from ..forms import submitted_version
from ..models import Quote, Rfq, RfqStatus
from ..money import format_money
from ..pagination import paginate_page
from . import bp, services
from .forms import RFQ_FIELDS, ActionForm, AwardForm, DeclineForm, QuoteForm, RfqForm


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
        awaiting=services.awaiting_for(current_user),
        may_source=services.may_source(current_user),
    )


@bp.route("/rfqs/new", methods=["GET", "POST"])
@login_required
def new():
    raw = request.args.get("request_id", "")
    if not raw and request.method == "GET":
        # No request chosen yet: offer those waiting to be sourced.
        page = paginate_page(services.requests_to_source(current_user))
        return render_template("sourcing/pick_request.html", page=page)
    if not raw.isdigit():
        abort(404)
    pr = services.request_to_source(int(raw), current_user)
    choices = services.vendor_choices(pr)
    form = RfqForm().offer(choices)
    if form.validate_on_submit():
        with web.form_errors(form, aliases=RFQ_FIELDS) as outcome:
            rfq = services.create_rfq(form.rfq_data(pr), actor=current_user)
        if outcome.ok:
            flash(f"{rfq.number} is a draft: check it and send it to the vendors.", "success")
            return redirect(url_for(".detail", rfq_id=rfq.id))
    return render_template(
        "sourcing/new.html", pr=pr, form=form, choices=choices
    ), web.form_status(form)


def _render_detail(rfq, *, quote_form=None, award_form=None, status=200):
    page = services.rfq_page(rfq, current_user)
    quote_form = (quote_form or QuoteForm()).for_rfq(rfq) if page.may_record_quotes else None
    return render_template(
        "sourcing/detail.html",
        page=page,
        rfq=rfq,
        quote_form=quote_form,
        running=quote_form.running_total(rfq) if quote_form else None,
        award_form=award_form or AwardForm(version=rfq.version),
        action_form=ActionForm(version=rfq.version),
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
    services.send(rfq, actor=current_user, expected_version=submitted_version(form))
    flash(
        f"{rfq.number} is open. Vendors with an e-mail address get their invitation; "
        "give the others their link, shown with each vendor below.",
        "success",
    )
    # See Other: reloading the page reads it again, never sends twice.
    return redirect(url_for(".detail", rfq_id=rfq.id, _anchor="invitations"), 303)


@bp.post("/rfqs/<int:rfq_id>/invitations/<int:vendor_id>/reissue")
@login_required
def reissue_link(rfq_id: int, vendor_id: int):
    rfq = services.get(rfq_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    invitation, _link = services.reissue_link(rfq, vendor_id, actor=current_user)
    where = (
        f"It is e-mailed to {invitation.emailed_to}"
        if invitation.emailed_to
        else "Give it to the vendor: it is shown with the vendor below"
    )
    flash(
        f"{invitation.vendor.name} has a new quote link; the earlier one no longer works. "
        f"{where}.",
        "success",
    )
    return redirect(url_for(".detail", rfq_id=rfq.id, _anchor="invitations"), 303)


@bp.post("/rfqs/<int:rfq_id>/open-bids")
@login_required
def open_bids(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    if services.open_bids(rfq, actor=current_user):
        flash(f"The bids of {rfq.number} are open: the quotes are compared below.", "success")
    else:
        flash(
            f"You asked to open the bids of {rfq.number}; a second procurement user opens them.",
            "success",
        )
    return redirect(url_for(".detail", rfq_id=rfq.id, _anchor="comparison"), 303)


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
    flash(f"{rfq.number} is cancelled.", "success")
    return redirect(url_for(".detail", rfq_id=rfq.id))


@bp.post("/rfqs/<int:rfq_id>/award")
@login_required
def award(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = AwardForm()
    if not form.validate() or not (form.quote_id.data or "").isdigit():
        abort(400)
    with web.form_errors(form) as outcome:
        order = services.award(
            rfq,
            int(form.quote_id.data),
            actor=current_user,
            justification=form.justification.data or "",
            expected_version=submitted_version(form),
        )
    if not outcome.ok:
        return _render_detail(rfq, award_form=form, status=422)
    flash(f"{rfq.number} is awarded. The purchase order is ready as a draft.", "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/rfqs/<int:rfq_id>/quotes")
@attachments.accepts_uploads
@login_required
def record_quote(rfq_id: int):
    rfq = services.get(rfq_id, current_user)
    form = QuoteForm().for_rfq(rfq)
    if not form.validate():
        _price_errors(form, rfq)
    else:
        with web.form_errors(form) as outcome:
            data = form.quote_data(rfq)
            attachment = attachments.store_upload(
                request.files.get("attachment"), user=current_user
            )
            quote = services.record_quote(
                rfq, data, actor=current_user, attachment_id=attachment.id if attachment else None
            )
        if outcome.ok:
            amount = (
                "sealed until the bids are opened"
                if services.is_sealed(rfq)
                else format_money(quote.total, quote.currency)
            )
            flash(f"The quote of {quote.vendor.name} is recorded ({amount}).", "success")
            return redirect(url_for(".detail", rfq_id=rfq.id, _anchor="comparison"))
    return _render_detail(rfq, quote_form=form, status=422)


def _price_errors(form: QuoteForm, rfq: Rfq) -> None:
    """A form refused for another field says what is wrong with its prices too: every
    problem at once."""
    with web.form_errors(form):
        form.quote_data(rfq)


@bp.get("/rfqs/<int:rfq_id>/quotes/<int:quote_id>/attachment")
@login_required
def quote_attachment(rfq_id: int, quote_id: int):
    rfq = services.get(rfq_id, current_user)
    quote = db.session.get(Quote, quote_id)
    if quote is None or quote.rfq_id != rfq.id or quote.attachment is None:
        abort(404)
    # The vendor's document carries its prices: sealed like them.
    services.require_unsealed(rfq)
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
    form = QuoteForm().for_vendor(invitation)
    if request.method == "POST" and not form.validate():
        _price_errors(form, rfq)
    elif request.method == "POST":
        with web.form_errors(form) as outcome:
            data = form.quote_data(rfq)
            # The link decides the vendor, whatever the form says.
            data.vendor_id = invitation.vendor_id
            attachment = attachments.store_upload(request.files.get("attachment"), user=None)
            quote = services.record_quote(
                rfq, data, actor=None, attachment_id=attachment.id if attachment else None
            )
        if outcome.ok:
            return render_template(
                "sourcing/vendor_thanks.html", quote=quote, rfq=rfq, sealed=rfq.sealed
            )
    # A quote that was sent and not recorded is refused (422), whether the form or the
    # service found the problem: a price's error sits in the lines, which the form's
    # own error list reads only as validate() left it.
    status = 422 if request.method == "POST" else 200
    return render_template(
        "sourcing/vendor_quote.html",
        page=services.vendor_quote_page(invitation),
        rfq=rfq,
        invitation=invitation,
        form=form,
        running=form.running_total(rfq),
        decline_form=DeclineForm(),
    ), status


@bp.post("/quote/<token>/decline")
def vendor_decline(token: str):
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkRefused as exc:
        return render_template("sourcing/link_refused.html", message=str(exc)), 410
    form = DeclineForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            services.decline(invitation, form.reason.data or "")
        if outcome.ok:
            return render_template(
                "sourcing/vendor_declined.html",
                page=services.vendor_quote_page(invitation),
                rfq=invitation.rfq,
            )
    quote_form = QuoteForm().for_vendor(invitation)
    return render_template(
        "sourcing/vendor_quote.html",
        page=services.vendor_quote_page(invitation),
        rfq=invitation.rfq,
        invitation=invitation,
        form=quote_form,
        running=quote_form.running_total(invitation.rfq),
        decline_form=form,
    ), 422
