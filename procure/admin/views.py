from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import access, reference
from ..errors import ValidationError
from ..extensions import db
from ..forms import apply_errors
from ..models import Category, Department, Role
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
    access.require_role(current_user, Role.ADMIN, action="open the administration")


def _department_choices(form: UserForm) -> None:
    form.department.choices = [
        SelectChoice(d.code, f"{d.code} — {d.name}") for d in reference.list_departments()
    ]


@bp.get("/")
def index():
    return _render_index()


def _render_index(department_form=None, category_form=None, status=200):
    return render_template(
        "admin/index.html",
        users=services.list_users(),
        departments=reference.list_departments(),
        categories=reference.list_categories(),
        department_form=department_form or DepartmentForm(),
        category_form=category_form or CategoryForm(),
        toggle_form=ToggleForm(),
    ), status


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    _department_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data,
                name=form.name.data,
                password=form.password.data,
                department=reference.department_by_code(form.department.data),
                roles=services.parse_roles(form.roles.data),
                actor=current_user,
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"{user.name} can now sign in as {user.email}.", "success")
            return redirect(url_for(".index"))
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = services.get_user(user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    _department_choices(form)
    if request.method == "GET":
        form.department.data = user.department.code
        form.roles.data = sorted(role.value for role in user.roles)
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                name=form.name.data,
                department=reference.department_by_code(form.department.data),
                roles=services.parse_roles(form.roles.data),
                active=form.active.data,
                actor=current_user,
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"{user.name} is saved.", "success")
            return redirect(url_for(".index"))
    return render_template(
        "admin/user_edit.html", user=user, form=form, reset_form=ResetPasswordForm()
    ), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    user = services.get_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data, actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"The password of {user.name} is reset; their sessions are ended.", "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    user_form = UserForm(obj=user)
    _department_choices(user_form)
    user_form.department.data = user.department.code
    user_form.roles.data = sorted(role.value for role in user.roles)
    return render_template("admin/user_edit.html", user=user, form=user_form, reset_form=form), 422


@bp.post("/departments")
def create_department():
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = reference.create_department(
                form.code.data, form.name.data, actor=current_user
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Department {department.code} is added.", "success")
            return redirect(url_for(".index", _anchor="departments"))
    return _render_index(department_form=form, status=422)


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int):
    department = db.session.get(Department, department_id) or abort(404)
    form = RenameDepartmentForm(obj=department)
    if form.validate_on_submit():
        try:
            reference.rename_department(department, form.name.data, actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Department {department.code} is saved.", "success")
            return redirect(url_for(".index", _anchor="departments"))
    return render_template(
        "admin/department_edit.html", department=department, form=form
    ), 422 if form.errors else 200


@bp.post("/categories")
def add_category():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = reference.add_category(form.name.data, form.label.data, actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"Category {category.label} is added.", "success")
            return redirect(url_for(".index", _anchor="categories"))
    return _render_index(category_form=form, status=422)


@bp.post("/categories/<int:category_id>/toggle")
def toggle_category(category_id: int):
    category = db.session.get(Category, category_id) or abort(404)
    if not ToggleForm().validate_on_submit():
        abort(400)
    reference.set_category_active(category, not category.active, actor=current_user)
    db.session.commit()
    flash(f"Category {category.label} is {'in use' if category.active else 'retired'}.", "success")
    return redirect(url_for(".index", _anchor="categories"))
