"""The pages behind the e-mail's decision buttons: ``/act/<token>``.

Nobody need be signed in: the token is the credential, for one decision by one person.
``GET`` shows what is to be decided and changes nothing (mail scanners follow links);
``POST`` decides. Every refusal is a page saying why, with the way to sign in: 404 for
a token that does not verify, 409 (410 once expired) for one that can no longer
decide, 409 for a decision lost to a concurrent one, 422 for the form again. A
blueprint of its own (under ``purchasing``) so that these answers stay on these pages.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from .. import errors, web
from ..models import User
from . import bp as purchasing_bp
from . import email_decisions
from .forms_act import LinkDecisionForm

bp = Blueprint("by_email", __name__)


def _viewer() -> User | None:
    """Whoever is signed in in this browser: a link is not for somebody else's session."""
    return current_user if current_user.is_authenticated else None


def _refused(message: str, status: int):  # type: ignore[no-untyped-def]
    return render_template(
        "act/refused.html", message=message, status=status, login=url_for("auth.login")
    ), status


@bp.errorhandler(errors.DomainError)
def _domain_error(exc: errors.DomainError):  # type: ignore[no-untyped-def]
    """A refused link (its own status), an unknown one (404), and a decision that lost
    to somebody else's or that the rules refuse now (409)."""
    if isinstance(exc, errors.NotFound | email_decisions.LinkRefused):
        return _refused(exc.message, exc.status)
    return _refused(exc.message, 409)


@bp.errorhandler(StaleDataError)
def _stale(_exc: StaleDataError):  # type: ignore[no-untyped-def]
    return _refused("Somebody else decided this request at the same time; nothing changed.", 409)


@bp.after_request
def _no_referrer(response: Response) -> Response:
    # The address carries the token: no page reached from here may learn it.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _confirmation(page: email_decisions.LinkPage, form: LinkDecisionForm, status: int):  # type: ignore[no-untyped-def]
    sign_in = url_for("auth.login", next=url_for("purchasing.detail", pr_id=page.request.id))
    return render_template("act/confirm.html", page=page, form=form, sign_in=sign_in), status


@bp.get("/act/<token>")
def confirm(token: str):  # type: ignore[no-untyped-def]
    page = email_decisions.open_link(token, viewer=_viewer())
    form = LinkDecisionForm(formdata=None, decision=page.action)
    return _confirmation(page, form, 200)


@bp.post("/act/<token>")
def decide(token: str):  # type: ignore[no-untyped-def]
    form = LinkDecisionForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            done = email_decisions.decide(
                token, form.decision.data, form.comment.data, viewer=_viewer()
            )
        if outcome.ok:
            sign_in = url_for(
                "auth.login", next=url_for("purchasing.detail", pr_id=done.request.id)
            )
            return render_template("act/done.html", done=done, sign_in=sign_in)
    # The form again, beside the link's page as it is now (the link may have gone).
    page = email_decisions.open_link(token, viewer=_viewer())
    return _confirmation(page, form, 422)


purchasing_bp.register_blueprint(bp)
