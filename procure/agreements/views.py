"""Pages of framework agreements: the register, a new draft, one agreement's page, its
life cycle and its call-offs.

Each page view runs as one transaction (``procure.web``): nothing here commits."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import currencies, web
from ..errors import ValidationError
from ..forms import submitted_version
from ..models import Agreement, AgreementStatus
from ..money import MoneyError, parse_money, parse_quantity
from ..pagination import paginate_page
from ..reference import list_categories
from . import bp, calloff, pages, services
from .forms import ActionForm, AgreementForm, CallOffForm


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


def _agreement_form() -> AgreementForm:
    form = AgreementForm()
    form.vendor_id.choices = [SelectChoice("", "Choose a vendor")] + [
        SelectChoice(str(v.id), v.name) for v in pages.vendors()
    ]
    form.currency.choices = [SelectChoice(code, label) for code, label in currencies.choices()]
    if not form.currency.data:
        form.currency.data = currencies.base()
    _offer_categories(form)
    return form


def _offer_categories(form: AgreementForm) -> None:
    choices = [SelectChoice(c.name, c.label) for c in list_categories(active_only=True)]
    for entry in form.items:
        entry.form.category.choices = choices


def _row_editing(form: AgreementForm) -> bool:
    """Add or remove an item row without JavaScript; True when that was the request."""
    if form.add_item.data:
        form.items.append_entry()
        _offer_categories(form)
        return True
    remove = request.form.get("remove_item")
    if remove is not None and remove.isdigit():
        index = int(remove)
        if 0 <= index < len(form.items.entries) and len(form.items.entries) > 1:
            del form.items.entries[index]
        return True
    return False


def _amount(raw: str | None, parse, name: str, label: str, errors: dict) -> Decimal | None:
    """``raw`` parsed, None when blank; a message on ``name`` when it does not parse."""
    if not (raw or "").strip():
        return None
    try:
        return parse(raw)
    except MoneyError as exc:
        errors.setdefault(name, []).append(f"{label} {exc}.")
        return None


def _data(form: AgreementForm) -> tuple[services.AgreementData, dict[str, list[str]]]:
    """The form as the service's input, with what does not parse, by field."""
    errors: dict[str, list[str]] = {}
    currency = form.currency.data if currencies.is_enabled(form.currency.data) else None
    money = lambda raw: parse_money(raw, currency=currency or currencies.base())  # noqa: E731
    items = []
    for index, entry in enumerate(form.items):
        price = _amount(
            entry.form.unit_price.data, money, f"items.{index}.unit_price", "Unit price", errors
        )
        if price is None and f"items.{index}.unit_price" not in errors:
            errors[f"items.{index}.unit_price"] = ["Unit price is required."]
        items.append(
            services.ItemData(
                description=entry.form.description.data or "",
                unit_price=price,  # type: ignore[arg-type]
                category=entry.form.category.data or "other",
                unit=entry.form.unit.data or "each",
                max_quantity=_amount(
                    entry.form.max_quantity.data,
                    parse_quantity,
                    f"items.{index}.max_quantity",
                    "Max quantity",
                    errors,
                ),
            )
        )
    rfq = None
    if (form.rfq_id.data or "").strip():
        rfq = pages.rfq_id(form.rfq_id.data)
        if rfq is None:
            errors["rfq_id"] = ["There is no such RFQ."]
    vendor = form.vendor_id.data or ""
    data = services.AgreementData(
        vendor_id=int(vendor) if vendor.isdigit() and len(vendor) < 10 else None,
        title=form.title.data or "",
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        currency=form.currency.data or None,
        items=items,
        ceiling=_amount(form.ceiling.data, money, "ceiling", "Ceiling", errors),
        rfq_id=rfq,
        terms=form.terms.data or "",
    )
    return data, errors


@bp.route("/agreements/new", methods=["GET", "POST"])
@login_required
def new():
    services.require_manager(current_user)
    form = _agreement_form()
    if request.method == "GET" or _row_editing(form):
        return _form_page(form)
    form_ok = form.validate()
    data, errors = _data(form)
    if errors:
        web.show_errors(form, ValidationError("Some fields are not valid.", fields=errors))
    if not form_ok or errors:
        return _form_page(form, 422)
    with web.form_errors(form) as outcome:
        agreement = services.create(data, actor=current_user)
    if not outcome.ok:
        return _form_page(form, 422)
    flash(f"{agreement.number} is saved as a draft. Activate it to open its catalogue.", "success")
    return redirect(url_for(".detail", agreement_id=agreement.id))


def _form_page(form: AgreementForm, status: int = 200):
    return render_template("agreements/form.html", form=form), status


@bp.get("/agreements/<int:agreement_id>")
@login_required
def detail(agreement_id: int):
    agreement = services.get(agreement_id, current_user)
    return _render(agreement)


def _render(agreement: Agreement, *, call_off: CallOffForm | None = None, status: int = 200):
    return render_template(
        "agreements/detail.html",
        page=pages.agreement_page(agreement, current_user),
        form=ActionForm(version=agreement.version),
        call_off=call_off or CallOffForm(),
    ), status


@bp.post("/agreements/<int:agreement_id>/<any(activate, close):action>")
@login_required
def act(agreement_id: int, action: str):
    agreement = services.get(agreement_id, current_user, change=True)
    form = ActionForm()
    if not form.validate():
        return _render(agreement, status=422)
    kwargs = {"actor": current_user, "expected_version": submitted_version(form)}
    if action == "close":
        kwargs["comment"] = form.comment.data or ""
    getattr(services, action)(agreement, **kwargs)
    flash(f"{agreement.number} is {agreement.status.value}.", "success")
    return redirect(url_for(".detail", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/call-off")
@login_required
def call_off(agreement_id: int):
    """A draft call-off order for an approved request (by its number, or its id from the
    request's page); the refusals (409s) come back as a flash on the page it came from."""
    agreement = services.get(agreement_id, current_user, change=True)
    form = CallOffForm()
    if not form.validate():
        return _render(agreement, call_off=form, status=422)
    number = (form.request_number.data or "").strip()
    if form.request_id.data:
        pr = pages.request_by_id(form.request_id.data, current_user)
    else:
        pr = pages.request_by_number(number, current_user) if number else None
    if pr is None:
        form.request_number.errors = [
            "There is no such request." if number else "Give an approved request's number."
        ]
        return _render(agreement, call_off=form, status=422)
    order = calloff.call_off(agreement, pr, current_user)
    flash(f"{pr.number} is called off {agreement.number}: a draft order to issue.", "success")
    return redirect(url_for("orders.detail", order_id=order.id))
