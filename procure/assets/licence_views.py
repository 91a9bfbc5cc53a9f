"""Pages of the licence pools: how full each is, and giving seats to people and back."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access, web
from ..forms import submitted_version
from ..models import Licence
from . import bp, licences, pages
from .forms import AssignForm, ReleaseForm, TermForm


@bp.get("/licences", endpoint="licences")
@login_required
def licence_pools():
    access.require(current_user, "read_assets", action="open the licence pools")
    order = request.args.get("order_id", "")
    return render_template(
        "licences/index.html",
        view=pages.licence_list(
            current_user,
            q=(request.args.get("q") or "")[:200],
            order_id=int(order) if order.isdigit() and len(order) < 12 else None,
        ),
    )


def _render(
    licence: Licence,
    *,
    assign: AssignForm | None = None,
    term: TermForm | None = None,
    status: int = 200,
):
    return render_template(
        "licences/detail.html",
        page=pages.licence_page(licence, current_user),
        licence=licence,
        assign_form=assign or AssignForm(formdata=None, version=licence.version),
        release_form=ReleaseForm(formdata=None),
        term_form=term
        or TermForm(
            formdata=None,
            start_date=licence.start_date,
            end_date=licence.end_date,
            contract=licence.contract.number if licence.contract else "",
            version=licence.version,
        ),
    ), status


@bp.get("/licences/<int:licence_id>")
@login_required
def licence(licence_id: int):
    return _render(licences.get(licence_id, current_user))


@bp.post("/licences/<int:licence_id>/assign")
@login_required
def assign_seat(licence_id: int):
    pool = licences.get(licence_id, current_user)
    form = AssignForm()
    if form.validate():
        person = pages.person(form.user.data)
        if person is None:
            form.user.errors = ["No account has this e-mail address."]
        else:
            with web.form_errors(form, aliases={"user_id": "user"}) as outcome:
                licences.assign(
                    pool, person.id, actor=current_user, expected_version=submitted_version(form)
                )
            if outcome.ok:
                flash(f"{person.name} has a seat of {pool.product}.", "success")
                return redirect(url_for(".licence", licence_id=pool.id))
    return _render(pool, assign=form, status=422)


@bp.post("/licences/<int:licence_id>/release")
@login_required
def release_seat(licence_id: int):
    pool = licences.get(licence_id, current_user)
    form = ReleaseForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            seat = licences.release(
                pool,
                form.user_id.data or "",
                actor=current_user,
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            flash(f"{seat.user.name}'s seat of {pool.product} is released.", "success")
            return redirect(url_for(".licence", licence_id=pool.id))
    # A seat that is not there (released meanwhile, a forged id): say so on the page.
    problems = [*form.form_errors, *form.user_id.errors]
    flash(" ".join(problems) or "The form has expired; please send it again.", "danger")
    return redirect(url_for(".licence", licence_id=pool.id), 303)


@bp.post("/licences/<int:licence_id>/term")
@login_required
def save_term(licence_id: int):
    pool = licences.get(licence_id, current_user)
    form = TermForm()
    if form.validate():
        # The form shows the term as it is: dates left as shown give way to those of
        # a contract newly linked.
        shown = {"start_date": pool.start_date, "end_date": pool.end_date}
        dates = {
            name: value if value != shown[name] else licences.KEEP
            for name, value in (
                ("start_date", form.start_date.data),
                ("end_date", form.end_date.data),
            )
        }
        with web.form_errors(form) as outcome:
            licences.update_term(
                pool,
                actor=current_user,
                contract_number=form.contract.data or "",
                expected_version=submitted_version(form),
                **dates,
            )
        if outcome.ok:
            flash(f"The term of {pool.product} is saved.", "success")
            return redirect(url_for(".licence", licence_id=pool.id))
    return _render(pool, term=form, status=422)
