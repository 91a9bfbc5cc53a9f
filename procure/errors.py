"""Domain errors. Services raise them; one handler per interface turns them into
a flash message and a redirect (pages) or the JSON error of API.md (API)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause. ``message`` is safe to show."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """Role, ownership or separation of duties forbids it; the message says why."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"


class Conflict(DomainError):
    """The document changed concurrently: somebody else's change won."""

    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    """Refused for now (the sign-in throttle); the message says how long to wait."""

    status = 429
    code = "too_many_requests"


class ValidationError(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, name: str, message: str) -> ValidationError:
        return cls(message, fields={name: [message]})


class Sealed(DomainError):
    """The RFQ's bids are sealed: no quoted amount is shown, compared or awarded until a
    procurement user opens them."""

    status = 409
    code = "sealed"
