"""SCIM's own error: RFC 7644 §3.12's body, ``status`` as a string and a ``scimType``."""

from __future__ import annotations

from typing import Any

from scim2_models import Error


class ScimError(Exception):
    """A refusal a SCIM client reads; ``detail`` is safe to show and says what to fix."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.detail, self.scim_type)


def error_body(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    return Error(status=status, scim_type=scim_type, detail=detail).model_dump()


def not_found(what: str) -> ScimError:
    return ScimError(404, f"No such {what}.")


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def uniqueness(detail: str) -> ScimError:
    return ScimError(409, detail, "uniqueness")
