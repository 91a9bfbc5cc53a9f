"""The demo organisation of ``seed-demo``: small, realistic, idempotent."""

from __future__ import annotations

from .admin import services as admin_services
from .models import Role

DEMO_PASSWORD = "procure-demo"  # noqa: S105 -- printed for the demo, by design

DEPARTMENTS = [
    ("IT", "Information Technology"),
    ("FIN", "Finance"),
    ("EXEC", "Executive Office"),
    ("PROC", "Procurement"),
    ("OPS", "Operations"),
]

# e-mail, name, department, roles
PEOPLE = [
    ("ada@example.org", "Ada Lovelace", "IT", [Role.REQUESTER]),
    ("ian@example.org", "Ian Approver", "IT", [Role.APPROVER]),
    ("fiona@example.org", "Fiona Finance", "FIN", [Role.FINANCE]),
    ("eve@example.org", "Eve Executive", "EXEC", [Role.EXECUTIVE]),
    ("paul@example.org", "Paul Procurement", "PROC", [Role.PROCUREMENT]),
    ("adam@example.org", "Adam Admin", "IT", [Role.ADMIN]),
    ("oscar@example.org", "Oscar Operations", "OPS", [Role.REQUESTER]),
    ("olivia@example.org", "Olivia Ops Lead", "OPS", [Role.APPROVER, Role.REQUESTER]),
    ("frank@example.org", "Frank Finance", "FIN", [Role.FINANCE, Role.REQUESTER]),
]


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing; returns the logins (e-mail, password, roles)."""
    departments = {}
    for code, name in DEPARTMENTS:
        department = admin_services.department_by_code(code)
        if department is None:
            department = admin_services.create_department(code, name, actor=None)
        departments[code] = department

    from .auth.services import find_user_by_email

    logins = []
    for email, name, code, roles in PEOPLE:
        if find_user_by_email(email) is None:
            admin_services.create_user(
                email,
                name=name,
                password=DEMO_PASSWORD,
                department=departments[code],
                roles=set(roles),
                actor=None,
            )
        logins.append((email, DEMO_PASSWORD, ", ".join(role.value for role in roles)))
    return logins
