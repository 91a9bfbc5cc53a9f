"""People, departments and requests of a journey's own, written straight into the
live server's database: a test then depends neither on the demo data's state nor
on what other tests did. Each department gets a fresh code, so an approver's
inbox holds only what the test put there.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from procure import reference
from procure.admin import services as admin
from procure.auth.services import find_user_by_email
from procure.budgets import services as budgets
from procure.db import write_intent
from procure.extensions import db
from procure.models import Role
from procure.purchasing import services as purchasing

from .live import LiveServer

PASSWORD = "journey-password-1"  # noqa: S105 -- throwaway people of a throwaway database


@dataclasses.dataclass(frozen=True)
class Person:
    email: str
    name: str
    department: str
    password: str = PASSWORD


@dataclasses.dataclass(frozen=True)
class Filed:
    id: int
    number: str
    title: str


def tag() -> str:
    """A short random tag that keeps names of one test apart from every other's."""
    return secrets.token_hex(3).upper()


@contextmanager
def writing(live_server: LiveServer) -> Iterator[None]:
    """A committed write to the live server's database, as a command would do it."""
    with live_server.app.app_context(), write_intent():
        yield
        db.session.commit()


def add_department(live_server: LiveServer, prefix: str, name: str) -> str:
    code = f"{prefix}{tag()}"
    with writing(live_server):
        reference.create_department(code, f"{name} {code}", actor=None)
    return code


def add_person(live_server: LiveServer, name: str, department: str, *roles: Role) -> Person:
    email = f"{name.split()[0].lower()}.{tag().lower()}@example.org"
    with writing(live_server):
        admin.create_user(
            email,
            name=name,
            password=PASSWORD,
            department=reference.department_by_code(department),
            roles=set(roles),
            actor=None,
        )
    return Person(email=email, name=name, department=department)


def file_request(
    live_server: LiveServer,
    requester: Person,
    title: str,
    lines: list[tuple[str, str, str]],
    *,
    approved_by: Person | None = None,
) -> Filed:
    """File and submit a request through the services (lines: description, quantity,
    unit price); ``approved_by`` then decides its only step."""
    with writing(live_server):
        pr = purchasing.create_request(
            purchasing.RequestData(
                title=title,
                lines=[
                    purchasing.LineData(
                        description=description,
                        quantity=Decimal(quantity),
                        unit_price=Decimal(price),
                        category="hardware",
                    )
                    for description, quantity, price in lines
                ],
            ),
            actor=find_user_by_email(requester.email),
        )
        purchasing.submit(pr, actor=pr.requester)
        if approved_by is not None:
            purchasing.approve(pr, actor=find_user_by_email(approved_by.email))
        filed = Filed(id=pr.id, number=pr.number, title=pr.title)
    return filed


def add_budget(live_server: LiveServer, department: str, amount: str) -> None:
    with writing(live_server):
        budgets.create(
            budgets.BudgetData(
                department=department,
                fiscal_year=reference.current_fiscal_year(),
                amount=Decimal(amount),
            ),
            actor=None,
        )


def fiscal_year(live_server: LiveServer) -> int:
    with live_server.app.app_context():
        return reference.current_fiscal_year()
