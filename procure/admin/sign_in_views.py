"""How people sign in, on ``/admin/sign-in`` (admin only: the blueprint's guard in
``views.py``): the identity providers configured and what to give them (redirect URI,
metadata, ACS), and the mapping admin edits — provider groups to roles, the attribute
that names the department, linking by e-mail, whom a person without a role should ask.

``identity.mapping.update`` checks the form (every problem beside its field) and
audits the change as a setting."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .. import reference, web
from ..identity import mapping, providers
from ..security import external_url
from . import bp


class SignInMappingForm(FlaskForm):
    group_roles = TextAreaField(
        "Groups and the roles they give",
        render_kw={"rows": 8, "spellcheck": "false"},
        description=(
            "One per line: group = role, for example procure-approvers = approver. A group "
            "may give several roles (one line each). Roles: requester, approver, finance, "
            "executive, procurement, admin, asset_manager, security. Read again at every "
            "sign-in."
        ),
    )
    groups_claim = StringField(
        "Groups claim (OpenID Connect)",
        description="The ID token or userinfo claim that lists the person's groups.",
    )
    department_attribute = StringField(
        "Department attribute",
        description="The claim or attribute that names the person's department.",
    )
    department_values = TextAreaField(
        "Department values that are not codes",
        render_kw={"rows": 3, "spellcheck": "false"},
        description=(
            "One per line: value = department code, for example Information Technology = IT. "
            "A value that is a department's code or name needs no line."
        ),
    )
    # The service checks the code (an unknown one is refused beside the field).
    default_department = SelectField(
        "Department of a new account whose attribute names none",
        choices=[],
        default="",
        validate_choice=False,
    )
    link_by_email = BooleanField(
        "Link a first sign-in to an existing account with the same verified e-mail address",
        description=(
            "Off: an existing local account is never taken over by a company sign-in; the "
            "person is refused and asked to see an administrator."
        ),
    )
    contact = StringField(
        "Whom to ask for access",
        description="Shown to someone whose groups give no role, e.g. the IT service desk.",
    )
    save = SubmitField("Save the sign-in mapping")


MAPPING_FIELDS = (
    "group_roles",
    "groups_claim",
    "department_attribute",
    "department_values",
    "default_department",
    "link_by_email",
    "contact",
)


def _form(form: SignInMappingForm | None = None) -> SignInMappingForm:
    if form is None:
        current = mapping.current()
        form = SignInMappingForm(
            data={
                "group_roles": "\n".join(
                    f"{group} = {role.value}" for group, role in current.group_roles
                ),
                "groups_claim": current.groups_claim,
                "department_attribute": current.department_attribute,
                "department_values": "\n".join(
                    f"{value} = {code}" for value, code in current.department_values
                ),
                "default_department": current.default_department,
                "link_by_email": current.link_by_email,
                "contact": current.contact,
            }
        )
    form.default_department.choices = [SelectChoice("", "The first department")] + [
        SelectChoice(department.code, f"{department.code} — {department.name}")
        for department in reference.list_departments()
    ]
    return form


def _endpoints() -> dict[str, str]:
    """What an identity provider's administrator needs from Procure."""
    return {
        "oidc_redirect": external_url("auth.oidc_callback"),
        "oidc_logout": external_url("auth.login"),
        "saml_metadata": external_url("auth.saml_metadata"),
        "saml_acs": external_url("auth.saml_acs"),
        "saml_entity": current_app.config["PROCURE_SAML_SP_ENTITY_ID"]
        or external_url("auth.saml_metadata"),
    }


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_settings():
    if request.method == "GET":
        return _render(_form())
    form = _form(SignInMappingForm())
    if form.validate():
        with web.form_errors(form) as outcome:
            mapping.update(
                {name: form[name].data for name in MAPPING_FIELDS},
                actor=current_user,
            )
        if outcome.ok:
            flash(
                "The sign-in mapping is saved: it applies at each person's next sign-in.",
                "success",
            )
            return redirect(url_for(".sign_in_settings"))
    return _render(form)


def _render(form: SignInMappingForm):  # type: ignore[no-untyped-def]
    return render_template(
        "admin/sign_in.html",
        form=form,
        endpoints=_endpoints(),
        oidc=providers.oidc_configured(),
        saml=providers.saml_configured(),
        ldap=providers.ldap_configured(),
        break_glass=sorted(providers.break_glass()),
    ), web.form_status(form)
