from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import access, reference, web
from . import bp, services
from .forms import (
    CategoryForm,
    DepartmentForm,
    NewUserForm,
    RenameDepartmentForm,
    ResetPasswordForm,
    ToggleForm,
    UserForm,
)


@bp.before_request
@login_required
def _admins_only():
    access.require(current_user, "administer", action="open the administration")


def _department_choices(form: UserForm) -> None:
    form.department.choices = [
        SelectChoice(d.code, f"{d.code} — {d.name}") for d in reference.list_departments()
    ]


def _user_form(user, form: UserForm | None = None) -> UserForm:  # type: ignore[no-untyped-def]
    """The user's form: as posted, or filled in from the user."""
    if form is None:
        form = UserForm(obj=user)
        form.department.data = user.department.code
        form.roles.data = sorted(role.value for role in user.roles)
    _department_choices(form)
    return form


@bp.get("/")
def index():
    return _render_index()


def _render_index(department_form=None, category_form=None):
    failed = department_form if department_form is not None else category_form
    return render_template(
        "admin/index.html",
        page=services.overview(),
        department_form=department_form or DepartmentForm(),
        category_form=category_form or CategoryForm(),
        toggle_form=ToggleForm(),
    ), web.form_status(failed) if failed is not None else 200


@bp.get("/users")
def users():
    """Every account, where it comes from, when it last signed in and was last synced."""
    return render_template("admin/users.html", users=services.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    _department_choices(form)
    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            user = services.create_user(
                form.email.data,
                name=form.name.data,
                password=form.password.data,
                department=reference.department_by_code(form.department.data),
                roles=services.parse_roles(form.roles.data),
                actor=current_user,
            )
        if outcome.ok:
            flash(f"{user.name} can now sign in as {user.email}.", "success")
            return redirect(url_for(".index"))
    return render_template("admin/user_new.html", form=form), web.form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = services.get_user(user_id)
    form = _user_form(user, UserForm() if request.method == "POST" else None)
    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            services.update_user(
                user,
                name=form.name.data,
                department=reference.department_by_code(form.department.data),
                roles=services.parse_roles(form.roles.data),
                active=form.active.data,
                actor=current_user,
            )
        if outcome.ok:
            flash(f"{user.name} is saved.", "success")
            return redirect(url_for(".index"))
    return render_template(
        "admin/user_edit.html", user=user, form=form, reset_form=ResetPasswordForm()
    ), web.form_status(form)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    user = services.get_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            services.reset_password(user, form.password.data, actor=current_user)
        if outcome.ok:
            flash(f"The password of {user.name} is reset; their sessions are ended.", "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    return render_template(
        "admin/user_edit.html", user=user, form=_user_form(user), reset_form=form
    ), 422


@bp.post("/departments")
def create_department():
    form = DepartmentForm()
    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            department = reference.create_department(
                form.code.data, form.name.data, actor=current_user
            )
        if outcome.ok:
            flash(f"Department {department.code} is added.", "success")
            return redirect(url_for(".index", _anchor="departments"))
    return _render_index(department_form=form)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int):
    department = services.get_department(department_id)
    form = RenameDepartmentForm(obj=department)
    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            reference.rename_department(department, form.name.data, actor=current_user)
        if outcome.ok:
            flash(f"Department {department.code} is saved.", "success")
            return redirect(url_for(".index", _anchor="departments"))
    return render_template(
        "admin/department_edit.html", department=department, form=form
    ), web.form_status(form)


@bp.post("/categories")
def add_category():
    form = CategoryForm()
    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            category = reference.add_category(form.name.data, form.label.data, actor=current_user)
        if outcome.ok:
            flash(f"Category {category.label} is added.", "success")
            return redirect(url_for(".index", _anchor="categories"))
    return _render_index(category_form=form)


@bp.post("/categories/<int:category_id>/toggle")
def toggle_category(category_id: int):
    category = services.get_category(category_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    reference.set_category_active(category, not category.active, actor=current_user)
    flash(f"Category {category.label} is {'in use' if category.active else 'retired'}.", "success")
    return redirect(url_for(".index", _anchor="categories"))
