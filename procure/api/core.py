"""Tokens, the calling user, and the OpenAPI document."""

from __future__ import annotations

from flask import current_app, jsonify
from pydantic import Field

from ..auth import services as auth_services
from ..errors import Forbidden, TooManyRequests, Unauthorized
from ..extensions import db
from ..security import security_event
from . import bp
from .schemas import Input, Name, Output
from .spec import current_user, openapi_document, operation


class TokenIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: str = Field("API token", max_length=200, description="What the token is for.")


class TokenOut(Output):
    token: str = Field(description="Shown once; send it as 'Authorization: Bearer <token>'.")


class UserOut(Output):
    id: int
    email: str
    name: Name
    department: str
    roles: list[str]
    active: bool


def user_out(user) -> UserOut:  # type: ignore[no-untyped-def]
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        department=user.department.code,
        roles=sorted(role.value for role in user.roles),
        active=user.active,
    )


@operation(
    bp,
    "POST",
    "/auth/token",
    body=TokenIn,
    response=TokenOut,
    status=201,
    auth=False,
    summary="Exchange an e-mail and password for an API token",
    tag="Auth",
    errors=(401, 403, 429),
)
def create_token(body: TokenIn):
    """The same throttle as the sign-in page applies. With password sign-in switched
    off (``PROCURE_PASSWORD_LOGIN=0``) only the break-glass admins get a token here: 403."""
    result = auth_services.sign_in(body.email, body.password)
    if result.forbidden:
        security_event("sign_in_refused", reason="password_login_off", email=body.email)
        raise Forbidden(result.error)
    if result.user is None:
        db.session.commit()  # the failure counts towards the throttle
        security_event(
            "sign_in_throttled" if result.wait_seconds else "sign_in_failed", email=body.email
        )
        message = result.error or auth_services.GENERIC_FAILURE
        raise TooManyRequests(message) if result.wait_seconds else Unauthorized(message)
    _token, secret = auth_services.create_token(result.user, body.name, actor=result.user)
    return TokenOut(token=secret)


@operation(bp, "GET", "/me", response=UserOut, summary="The calling user", tag="Auth")
def me():
    """Who the token belongs to: e-mail, name, department code and roles."""
    return user_out(current_user())


@operation(
    bp,
    "GET",
    "/openapi.json",
    auth=False,
    response=dict,
    summary="This document: the OpenAPI 3 description of every route",
    tag="Meta",
)
def openapi():
    """Generated from the same declarations the API validates with, so it cannot drift
    from the code. Needs no token."""
    return jsonify(
        openapi_document("Procure API", "1", contact_url=current_app.config["PROCURE_BASE_URL"])
    )
