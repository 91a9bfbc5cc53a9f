"""The asset register's settings on ``/admin/assets`` (admin only): which purchase
categories become assets and which licence pools, the locations offered, how long
before a warranty ends its reminder goes out. ``registry.update`` checks, saves and
audits.

The page is the asset blueprint's rather than the admin blueprint's: the identity area
(which admin imports) lists a leaver's assets, so the assets area may not import admin
back. Its guard is the same: ``administer``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access, reference, web
from . import bp, registry
from .forms import RegistryForm


def _choices(form: RegistryForm) -> None:
    categories = [(c.name, c.label) for c in reference.list_categories(active_only=False)]
    form.hardware_categories.choices = categories
    form.licence_categories.choices = categories


@bp.route("/admin/assets", methods=["GET", "POST"])
@login_required
def settings():
    access.require(current_user, "administer", action="open the administration")
    if request.method == "GET":
        now = registry.current()
        form = RegistryForm(
            formdata=None,
            data={
                "hardware_categories": now.hardware_categories,
                "licence_categories": now.licence_categories,
                "locations": "\n".join(now.locations),
                "warranty_reminder_days": str(now.warranty_reminder_days),
            },
        )
        _choices(form)
        return render_template("assets/settings.html", form=form)
    form = RegistryForm()
    _choices(form)
    if form.validate():
        places = form.location_list()
        aliases = {f"locations.{index}": "locations" for index in range(len(places))}
        with web.form_errors(form, aliases=aliases) as outcome:
            registry.update(
                hardware_categories=form.hardware_categories.data or [],
                licence_categories=form.licence_categories.data or [],
                locations=places,
                warranty_reminder_days=form.warranty_reminder_days.data or "",
                actor=current_user,
            )
        if outcome.ok:
            flash("The asset register's settings are saved.", "success")
            return redirect(url_for(".settings"))
    return render_template("assets/settings.html", form=form), web.form_status(form)
