from __future__ import annotations

import sqlalchemy as sa
from pydantic import Field

from .. import reference
from ..models import Department
from . import bp
from .schemas import Input, Name, Output, Page, PageQuery
from .spec import current_user, operation, paginate


class DepartmentIn(Input):
    code: str = Field(min_length=1, max_length=20, examples=["IT"])
    name: Name


class DepartmentOut(Output):
    id: int
    code: str
    name: str


@operation(
    bp,
    "GET",
    "/departments",
    query=PageQuery,
    response=Page[DepartmentOut],
    summary="List departments",
    tag="Departments",
)
def list_departments(query: PageQuery):
    """Every department, by code, for every signed-in user: the codes requests, budgets
    and users refer to."""
    return paginate(
        sa.select(Department).order_by(Department.code), query, DepartmentOut.model_validate
    )


@operation(
    bp,
    "POST",
    "/departments",
    body=DepartmentIn,
    response=DepartmentOut,
    status=201,
    summary="Create a department (admin)",
    tag="Departments",
    errors=(403,),
)
def create_department(body: DepartmentIn):
    """The code is upper-cased: letters, digits, `-` or `_`, up to 20, starting with a
    letter or digit. A code in use is a 422 on `code`."""
    department = reference.create_department(body.code, body.name, actor=current_user())
    return DepartmentOut.model_validate(department)
