"""What a maintenance or support contract covers: the assets chosen on its page
(``/contracts/<id>/coverage``), its order's assets offered first, a search for others.
``assets.services.set_coverage`` checks, saves and audits."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access, web
from ..assets import pages as register
from ..assets import services as assets
from ..assets.forms import CoverageForm
from ..models import Contract
from . import bp


def _load(contract_id: int) -> Contract:
    """The contract, for someone who may change it and keeps the asset register."""
    contract = access.load(Contract, contract_id, current_user, change=True)
    access.require(current_user, "manage_assets", action="choose what a contract covers")
    return contract


def _render(page: register.CoveragePage, form: CoverageForm, status: int = 200):
    form.assets.choices = [(asset.id, asset.tag) for asset in page.choices]
    if request.method == "GET":
        form.assets.data = [asset.id for asset in page.covered]
    return render_template("contracts/coverage.html", page=page, form=form), status


@bp.get("/<int:contract_id>/coverage")
@login_required
def coverage(contract_id: int):
    contract = _load(contract_id)
    page = register.coverage_page(contract, current_user, (request.args.get("q") or "")[:200])
    return _render(page, CoverageForm(formdata=None))


@bp.post("/<int:contract_id>/coverage")
@login_required
def save_coverage(contract_id: int):
    contract = _load(contract_id)
    page = register.coverage_page(contract, current_user)
    form = CoverageForm()
    if form.validate():
        with web.form_errors(form, aliases={"covered_assets": "assets"}) as outcome:
            covered = assets.set_coverage(contract, form.assets.data or [], actor=current_user)
        if outcome.ok:
            plural = "" if len(covered) == 1 else "s"
            flash(f"{contract.number} covers {len(covered)} asset{plural}.", "success")
            return redirect(url_for(".detail", contract_id=contract.id))
    return _render(page, form, 422)
