"""The tables, one module per area."""

from .base import utcnow
from .budgets import Budget, Delegation, Notification, NotificationStatus
from .core import (
    DEFAULT_CATEGORIES,
    AuditEvent,
    AuditHead,
    Category,
    NumberSequence,
    Setting,
)
from .purchasing import (
    OPEN_STEP_STATUSES,
    ApprovalStep,
    PolicyRule,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
    StepStatus,
)
from .users import ApiToken, Department, LoginAttempt, Role, User, UserRole, UserSession

__all__ = [
    "Budget",
    "Delegation",
    "Notification",
    "NotificationStatus",
    "OPEN_STEP_STATUSES",
    "ApprovalStep",
    "PolicyRule",
    "PurchaseRequest",
    "RequestLine",
    "RequestStatus",
    "StepStatus",
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
