"""The demo's request types and security review (docs/request-types.md), made through
the services so that the audit trail and e-mails are real:

- Sam Security, who reviews requests the policy sends to security, signs in with the
  demo password;
- two request types: "Standard hardware" (``hardware``) and "Software or SaaS"
  (``saas``: personal_data yes/no, required; users, a number; integrates_with, text);
- a policy rule: a security step for a SaaS request handling personal data;
- Ada's survey-tool subscription, handling personal data: Ian has approved its
  department step, and it waits for Sam at the security step.

Once: skipped when the types exist, or when the people it builds on are missing.
"""

from __future__ import annotations

from decimal import Decimal

from . import reference, request_types
from .admin import policy as admin_policy
from .admin import services as admin_services
from .auth.services import find_user_by_email
from .models import Role, User
from .purchasing import services as purchasing

# e-mail, name, department, roles — printed with the other logins.
SECURITY = ("sam@example.org", "Sam Security", "IT", [Role.SECURITY])

HARDWARE = ("hardware", "Standard hardware", [])
SAAS = (
    "saas",
    "Software or SaaS",
    [
        {
            "name": "personal_data",
            "label": "Handles personal data",
            "kind": "yes_no",
            "required": True,
        },
        {"name": "users", "label": "Number of users", "kind": "number", "required": False},
        {
            "name": "integrates_with",
            "label": "Integrates with",
            "kind": "text",
            "required": False,
        },
    ],
)
SURVEY = "Survey tool subscription for the staff survey"


def _account(password: str) -> User | None:
    email, name, code, roles = SECURITY
    user = find_user_by_email(email)
    department = reference.department_by_code(code)
    if user is None and department is not None:
        user = admin_services.create_user(
            email,
            name=name,
            password=password,
            department=department,
            roles=set(roles),
            actor=None,
        )
    return user


def seed(password: str) -> list[tuple[str, str, str]]:
    """Sam's login (made when missing), then the types, the rule and the request, once."""
    email, _name, _code, roles = SECURITY
    sam = _account(password)
    logins = [(email, password, ", ".join(role.value for role in roles))] if sam else []
    admin = find_user_by_email("adam@example.org")
    ada, ian = find_user_by_email("ada@example.org"), find_user_by_email("ian@example.org")
    if sam is None or None in (admin, ada, ian) or request_types.by_code(SAAS[0]):
        return logins
    assert admin and ada and ian  # noqa: S101 -- checked above
    for code, name, fields in (HARDWARE, SAAS):
        request_types.create(code, name, fields, actor=admin)
    admin_policy.add_rule(
        admin_policy.RuleData(
            step="security",
            role=Role.SECURITY,
            step_order=15,
            request_type="saas",
            field_name="personal_data",
            field_value="yes",
        ),
        actor=admin,
    )
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=SURVEY,
            justification="The annual staff survey; answers name people and their teams.",
            lines=[
                purchasing.LineData(
                    description="Survey tool, annual subscription per user",
                    category="software",
                    quantity=Decimal("40"),
                    unit="user",
                    unit_price=Decimal("9.50"),
                )
            ],
            type_code="saas",
            fields={"personal_data": "yes", "users": "40", "integrates_with": "Okta, HR system"},
        ),
        actor=ada,
    )
    purchasing.submit(pr, actor=ada)
    purchasing.approve(pr, actor=ian, comment="Needed for the survey in March.")
    return logins
