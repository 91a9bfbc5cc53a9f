import secrets

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from .. import delegation, web
from ..extensions import login_manager
from ..identity import ldap, providers
from ..models import User
from ..money import format_date
from ..security import safe_next, security_event
from . import bp, oidc_views, profile, services, sso_views
from .forms import ChangePasswordForm, DelegationForm, LoginForm, RevokeForm, TokenForm

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(key: str) -> User | None:
    return services.load_session_user(key)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if services.uses_directory(form.email.data):
            return _directory_sign_in(form)
        result = services.sign_in(form.email.data, form.password.data)
        if result.forbidden:
            security_event("sign_in_refused", reason="password_login_off", email=form.email.data)
            form.password.errors.append(result.error)
            return _render_login(form, 403)
        if result.user is None:
            web.keep_changes()  # the failure counts towards the throttle
            security_event(
                "sign_in_throttled" if result.wait_seconds else "sign_in_failed",
                email=form.email.data,
            )
            form.password.errors.append(result.error)
            return _render_login(form, 429 if result.wait_seconds else 200)
        # A fresh session at every sign-in: nothing from before carries over.
        session.clear()
        services.start_session(
            result.user, remote_addr=request.remote_addr, user_agent=request.user_agent.string
        )
        login_user(result.user)
        return redirect(safe_next(form.next.data, url_for("main.dashboard")))
    return _render_login(form)


def _directory_sign_in(form: LoginForm):
    """Sign in with the directory's password (LDAP), under the same throttle."""
    email = form.email.data
    throttled = services.throttle(email)
    if throttled is not None:
        security_event("sign_in_throttled", email=email, method="ldap")
        form.password.errors.append(throttled.error)
        return _render_login(form, 429)
    try:
        claims = ldap.authenticate(email, form.password.data)
    except ldap.DirectoryUnavailable as unavailable:
        security_event("sign_in_refused", reason="directory_unavailable", method="ldap")
        form.password.errors.append(unavailable.message)
        return _render_login(form, 503)
    if claims is None:
        services.record_failure(email)
        web.keep_changes()  # the failure counts towards the throttle
        security_event("sign_in_failed", email=email, method="ldap")
        form.password.errors.append(services.GENERIC_FAILURE)
        return _render_login(form)
    services.clear_failures(email)
    return sso_views.finish(claims, form.next.data)


def _render_login(form: LoginForm, status: int = 200):
    """The sign-in page: a button per identity provider, and the password form (folded
    away for the break-glass admins when password sign-in is off)."""
    return render_template(
        "auth/login.html",
        form=form,
        providers=providers.configured(),
        password_login=current_app.config["PROCURE_PASSWORD_LOGIN"],
        directory=providers.ldap_configured(),
    ), status


@bp.post("/logout")
@login_required
def logout():
    services.end_session(current_user.session_key)
    id_token = session.get("oidc_id_token")
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    # Signed in through OpenID Connect: a page takes the browser on to the provider's
    # sign-out, where it has one.
    leaving = oidc_views.leave_at_provider(id_token)
    if leaving is not None:
        return leaving
    return redirect(url_for("auth.login"))


@bp.get("/logout")
def logout_page():
    # Signing out changes state, so it is a POST; a GET shows the button.
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=RevokeForm())


@bp.get("/profile", endpoint="profile")
@login_required
def profile_page():
    return _render_profile()


def _delegation_form(
    stand_ins: list[User] | None, form: DelegationForm | None = None
) -> DelegationForm | None:
    """The delegation form offering ``stand_ins``; None for who has nothing to delegate."""
    if stand_ins is None:
        return None
    form = form or DelegationForm()
    form.delegate.choices = [SelectChoice("", "Choose a colleague")] + [
        SelectChoice(str(user.id), f"{user.name} ({user.department.code})") for user in stand_ins
    ]
    return form


def _render_profile(
    password_form=None, token_form=None, new_secret=None, status=200, delegation_form=None
):
    page = profile.profile(current_user)
    return render_template(
        "auth/profile.html",
        page=page,
        delegation_form=_delegation_form(page.stand_ins, delegation_form),
        password_form=password_form or ChangePasswordForm(),
        token_form=token_form or TokenForm(once=secrets.token_urlsafe(16)),
        revoke_form=RevokeForm(),
        new_secret=new_secret,
    ), status


@bp.post("/profile/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with web.form_errors(form) as outcome:
            # Every session ends, this one too: a copy of its cookie dies with the
            # old password. This browser goes on in a new session.
            services.change_password(
                user, form.current_password.data, form.new_password.data, keep_key=None
            )
        if outcome.ok:
            services.start_session(
                user, remote_addr=request.remote_addr, user_agent=request.user_agent.string
            )
            login_user(user)
            flash("Your password is changed. Your other sessions have been signed out.", "success")
            return redirect(url_for(".profile"))
    return _render_profile(password_form=form, status=422)


@bp.post("/profile/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_profile(token_form=form, status=422)
    used = session.get("used_token_forms", [])
    if form.once.data and form.once.data in used:
        flash("That token was created already; it is in the list below.", "info")
        return redirect(url_for(".profile", _anchor="tokens"))
    _token, secret = services.create_token(current_user, form.name.data, actor=current_user)
    if form.once.data:
        session["used_token_forms"] = (used + [form.once.data])[-20:]
    # Shown once, in this answer only: never stored, never put in the cookie.
    return _render_profile(new_secret=secret)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    services.revoke_token(token_id, actor=current_user)
    flash("The token is revoked.", "success")
    return redirect(url_for(".profile"))


@bp.post("/profile/delegations")
@login_required
def delegate():
    form = _delegation_form(profile.stand_ins(current_user), DelegationForm())
    if form is None:
        abort(403)
    if form.validate():
        with web.form_errors(form) as outcome:
            given = profile.delegate(
                current_user,
                form.delegate.data,
                form.starts_on.data,
                form.ends_on.data,
                note=form.note.data or "",
            )
        if outcome.ok:
            flash(
                f"{given.delegate.name} decides your steps from "
                f"{format_date(given.starts_on)} to {format_date(given.ends_on)}.",
                "success",
            )
            return redirect(url_for(".profile", _anchor="delegation"))
    return _render_profile(delegation_form=form, status=422)


@bp.post("/profile/delegations/<int:delegation_id>/end")
@login_required
def end_delegation(delegation_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    given = delegation.get_own(delegation_id, current_user)
    delegation.end(given, actor=current_user)
    flash(f"{given.delegate.name} no longer decides your steps.", "success")
    return redirect(url_for(".profile", _anchor="delegation"))
