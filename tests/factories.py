"""Factory functions for tests: ``make.user(roles=["approver"], department="IT")``."""

from __future__ import annotations

import itertools

from procure.admin import services as admin_services
from procure.auth import services as auth_services
from procure.models import Department, Role, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


class Factories:
    def __init__(self, db) -> None:
        self.db = db

    def department(self, code: str = "IT", name: str | None = None) -> Department:
        existing = admin_services.department_by_code(code)
        if existing is not None:
            return existing
        department = admin_services.create_department(
            code, name or f"{code} department", actor=None
        )
        self.db.session.commit()
        return department

    def user(
        self,
        roles: list[str] | tuple[str, ...] = ("requester",),
        *,
        department: str = "IT",
        email: str | None = None,
        name: str | None = None,
        password: str = PASSWORD,
        active: bool = True,
    ) -> User:
        number = next(_counter)
        user = admin_services.create_user(
            email or f"user{number}@example.org",
            name=name or f"User {number}",
            password=password,
            department=self.department(department),
            roles={Role(role) for role in roles},
            actor=None,
        )
        user.active = active
        self.db.session.commit()
        return user

    def token(self, user: User) -> str:
        _token, secret = auth_services.create_token(user, "test", actor=user)
        self.db.session.commit()
        return secret
