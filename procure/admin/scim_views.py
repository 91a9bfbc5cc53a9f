"""SCIM tokens on ``/admin/scim``: admin issues the bearer token a directory (Entra ID,
Okta) provisions with, sees it once, and revokes it (admin only: the blueprint's guard
in ``views.py``). docs/scim.md says what to do with it."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .. import web
from ..auth.forms import RevokeForm
from ..scim import tokens
from ..security import external_url
from . import bp


class ScimTokenForm(FlaskForm):
    name = StringField(
        "Directory",
        validators=[DataRequired(), Length(max=200)],
        description='Which directory the token is for, e.g. "Entra ID production".',
    )
    submit = SubmitField("Issue token")


def _render(form: ScimTokenForm | None = None, new_secret: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "admin/scim_tokens.html",
        form=form or ScimTokenForm(),
        tokens=tokens.all_tokens(),
        scim_url=external_url("scim.user_collection").removesuffix("/Users"),
        new_secret=new_secret,
    ), status


@bp.get("/scim")
def scim_tokens():
    return _render()


@bp.post("/scim")
def issue_scim_token():
    form = ScimTokenForm()
    if not form.validate_on_submit():
        return _render(form, status=422)
    with web.form_errors(form) as outcome:
        _token, secret = tokens.issue(form.name.data, actor=current_user)
    if not outcome.ok:
        return _render(form, status=422)
    # Shown once, in this answer only: never stored, never put in the cookie.
    return _render(new_secret=secret)


@bp.post("/scim/<int:token_id>/revoke")
def revoke_scim_token(token_id: int):
    if RevokeForm().validate_on_submit():
        token = tokens.revoke(token_id, actor=current_user)
        flash(
            f"The token for {token.name} is revoked: the directory can no longer provision.",
            "success",
        )
    return redirect(url_for(".scim_tokens"))
