"""The tables, one module per area."""

from .base import utcnow
from .core import (
    DEFAULT_CATEGORIES,
    AuditEvent,
    AuditHead,
    Category,
    NumberSequence,
    Setting,
)
from .users import ApiToken, Department, LoginAttempt, Role, User, UserRole, UserSession

__all__ = [
    "DEFAULT_CATEGORIES",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Category",
    "Department",
    "LoginAttempt",
    "NumberSequence",
    "Role",
    "Setting",
    "User",
    "UserRole",
    "UserSession",
    "utcnow",
]
