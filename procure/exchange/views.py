"""``/rates`` (finance and admin: the latest rates, recording one, a currency's history,
the CSV import) and ``/admin/currencies`` (admin: which currencies documents may be in).
Each view parses, calls one service and renders; the services say who may."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import attachments, currencies, web
from ..errors import ValidationError
from . import bp, import_csv, services
from .forms import ActionForm, EnableForm, ImportForm, RateForm


def _rate_form(form: RateForm | None = None) -> RateForm:
    form = form or RateForm(formdata=None)
    form.currency.choices = services.foreign_choices()
    if form.date.errors:
        # A date input holds a date or nothing: what was typed is said in the error.
        form.date.raw_data = []
    return form


def _rates_page(
    rate_form: RateForm | None = None,
    import_form: ImportForm | None = None,
    problems: list[import_csv.Problem] | None = None,
):  # type: ignore[no-untyped-def]
    """The page; a form given is the one posted, shown with its errors."""
    rows = services.overview(current_user)
    chosen = request.args.get("currency", "").strip().upper()
    history = services.history(current_user, chosen) if chosen else None
    return render_template(
        "exchange/rates.html",
        rows=rows,
        base=currencies.base(),
        chosen=chosen,
        history=history,
        rate_form=_rate_form(rate_form),
        import_form=import_form or ImportForm(formdata=None),
        problems=problems or [],
        rate_text=services.rate_text,
    )


@bp.get("/rates")
@login_required
def rates():
    return _rates_page()


@bp.post("/rates")
@login_required
def record_rate():
    form = _rate_form(RateForm())
    if form.validate():
        with web.form_errors(form) as outcome:
            row = services.record_rate(
                form.currency.data, form.date.data, form.rate.data, actor=current_user
            )
        if outcome.ok:
            flash(
                f"Recorded: one {row.currency} is worth {services.rate_text(row.rate)} "
                f"{currencies.base()} from {row.day.isoformat()}.",
                "success",
            )
            return redirect(url_for(".rates", currency=row.currency))
    return _rates_page(rate_form=form), 422


@bp.post("/rates/import")
@login_required
@attachments.accepts_uploads
def import_rates():
    form = ImportForm()
    problems: list[import_csv.Problem] = []
    if form.validate():
        with web.form_errors(form) as outcome:
            try:
                summary = import_csv.import_upload(form.file.data, actor=current_user)
            except import_csv.ImportRefused as exc:
                # Each wrong line beside the file field, and listed in full beside the form.
                problems = exc.problems
                raise ValidationError(exc.message, fields=exc.fields) from None
        if outcome.ok:
            flash(f"The file is imported: {summary}.", "success")
            return redirect(url_for(".rates"))
    return _rates_page(import_form=form, problems=problems), 422


# Currencies (admin) -----------------------------------------------------------------------


def _currencies_page(form: EnableForm | None = None):  # type: ignore[no-untyped-def]
    rows = services.currencies_page(current_user)
    return render_template(
        "exchange/currencies.html",
        rows=rows,
        known=services.known_currencies(),
        form=form or EnableForm(formdata=None),
        action_form=ActionForm(),
        rate_text=services.rate_text,
    )


@bp.get("/admin/currencies")
@login_required
def currencies_admin():
    return _currencies_page()


@bp.post("/admin/currencies")
@login_required
def enable_currency():
    form = EnableForm()
    if form.validate():
        with web.form_errors(form, aliases={"enabled": "code"}) as outcome:
            code = services.enable(form.code.data, actor=current_user)
        if outcome.ok:
            flash(
                f"{code} ({currencies.name(code)}) is enabled: documents may be in it, "
                "once finance has entered its rates.",
                "success",
            )
            return redirect(url_for(".currencies_admin"))
    return _currencies_page(form), 422


@bp.post("/admin/currencies/<code>/disable")
@login_required
def disable_currency(code: str):
    if ActionForm().validate():
        disabled = services.disable(code, actor=current_user)
        flash(
            f"{disabled} is disabled: new documents cannot be in it; those in it keep it.",
            "success",
        )
    return redirect(url_for(".currencies_admin"))
