"""The admin's webhook pages: ``/admin/webhooks`` (the endpoints and a form to add one)
and ``/admin/webhooks/<id>`` (one endpoint and its delivery log). Admin only: the
services refuse everyone else (``endpoints.require_admin``), as the other admin pages do."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import web
from . import bp, endpoints, pages
from .events import TYPES
from .forms import DeleteForm, WebhookForm


def _render(form: WebhookForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "webhooks/index.html",
        endpoints=pages.listing(current_user),
        form=form,
        types=TYPES,
    ), status


@bp.get("/admin/webhooks")
@login_required
def index():
    return _render(WebhookForm())


@bp.post("/admin/webhooks")
@login_required
def create():
    endpoints.require_admin(current_user)
    form = WebhookForm()
    if form.validate():
        # The service names a wrong event by its position ("events.2"): said beside the group.
        aliases = {f"events.{index}": "events" for index in range(len(form.events.data or []))}
        with web.form_errors(form, aliases=aliases) as outcome:
            endpoint = endpoints.create(
                url=form.url.data,
                secret=form.secret.data,
                events=form.events.data,
                kind=form.kind.data,
                description=form.description.data,
                actor=current_user,
            )
        if outcome.ok:
            # Not the URL: a long one would not wrap in the message on a phone; the page names it.
            flash("The webhook endpoint is added: the events it wants are sent to it.", "success")
            return redirect(url_for(".detail", endpoint_id=endpoint.id))
    return _render(form, 422)


@bp.get("/admin/webhooks/<int:endpoint_id>")
@login_required
def detail(endpoint_id: int):
    return render_template(
        "webhooks/detail.html",
        page=pages.detail(endpoint_id, current_user),
        delete_form=DeleteForm(),
    )


@bp.post("/admin/webhooks/<int:endpoint_id>/delete")
@login_required
def delete(endpoint_id: int):
    endpoint = endpoints.get(endpoint_id, current_user)
    if DeleteForm().validate_on_submit():
        endpoints.delete(endpoint, actor=current_user)
        flash("The webhook endpoint is deleted: nothing more is sent to it.", "success")
        return redirect(url_for(".index"))
    flash("The form has expired; please send it again.", "danger")
    return redirect(url_for(".detail", endpoint_id=endpoint.id))
