"""Sign-in through OpenID Connect: the authorization code flow with PKCE (S256).

Procure is the relying party of one provider, named by its issuer URL
(``PROCURE_OIDC_ISSUER``); everything else — the endpoints, the signing keys — comes
from the provider's discovery document, so that no other address is ever called.
:func:`begin` sends the browser to the provider with a fresh state, nonce and PKCE
verifier kept in the Flask session; :func:`complete` checks what comes back and
turns the verified ID token (and the userinfo answer) into :class:`Claims`.
Everything wrong raises :class:`SignInRefused` with a word for the security log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from flask import current_app, session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key
from joserfc.jws import extract_compact

from ..models import utcnow
from ..security import external_url
from . import mapping, providers, replay
from .accounts import Claims, SignInRefused

log = logging.getLogger(__name__)

# Seconds to wait for the provider; a sign-in page must not hang on it.
TIMEOUT = 5
# How long a discovery document is trusted before it is fetched again.
DISCOVERY_SECONDS = 300
# Clock difference tolerated between Procure and the provider (exp, iat).
LEEWAY_SECONDS = 60
# The longest a used nonce is remembered, whatever the token's expiry says.
NONCE_DAYS = 1
# The sign-in under way in this browser: state, nonce, PKCE verifier, where to go after.
PENDING = "oidc_pending"
# Asymmetric signatures only: "none" and the HMAC family (which a public key could be
# abused as the secret of) are never accepted, whatever the token's header says.
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

UNREACHABLE = (
    "The company sign-in service cannot be used just now: it did not answer, or not as "
    "expected. Try again in a few minutes; if it goes on, tell your IT department."
)
START_AGAIN = "Start the sign-in again from the sign-in page."
BAD_SIGNATURE = "The ID token's signature does not verify. " + START_AGAIN


@dataclasses.dataclass(frozen=True)
class Result:
    """A verified sign-in: who (``claims``), the raw ID token (the hint for signing out
    at the provider later) and where the person was going."""

    claims: Claims
    id_token: str
    next_url: str | None


class ProviderUnavailable(SignInRefused):
    """The provider did not answer, or answered something unusable: not the person's
    fault, and not an attack; 502."""

    def __init__(self, detail: str) -> None:
        super().__init__("provider_unreachable", UNREACHABLE, 502)
        self.detail = detail
        # What went wrong, for whoever runs Procure (the page says only "try again").
        log.warning("OpenID Connect provider unusable: %s", detail)


# Per process: issuer → (fetched at, document); JWKS URL → its signature keys.
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_key_sets: dict[str, list[Key]] = {}
_lock = threading.Lock()


def begin(next_url: str | None) -> str:
    """Where to send the browser to sign in at the provider; remembers the attempt in
    the session, whose Lax cookie comes back with the provider's top-level redirect."""
    metadata = discovery()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = generate_token(64)
    session[PENDING] = {"state": state, "nonce": nonce, "verifier": verifier, "next": next_url}
    url, _ = _client().create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    return url


def complete(args: Mapping[str, str]) -> Result:
    """Check the provider's answer (the callback's query) and the tokens it leads to."""
    pending = session.pop(PENDING, None)
    _check_state(args, pending)
    if args.get("error"):
        raise SignInRefused("provider_error", _provider_error(args), 400)
    metadata = discovery()
    issuer = metadata["issuer"]
    # RFC 9207: a provider that names itself in the answer must be the one we asked.
    if "iss" in args and args["iss"] != issuer:
        raise SignInRefused("bad_issuer", "The answer came from another provider. " + START_AGAIN)
    if not args.get("code"):
        raise SignInRefused("bad_request", "The provider's answer had no code. " + START_AGAIN)
    tokens = _exchange(metadata, args["code"], pending["verifier"])
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise SignInRefused("bad_token", "The provider sent no ID token. " + START_AGAIN)
    verified = verify_id_token(id_token, nonce=pending["nonce"], metadata=metadata)
    info = _userinfo(metadata, tokens.get("access_token"), verified["sub"])
    _consume_nonce(verified)
    return Result(_claims(issuer, {**verified, **info}), id_token, pending.get("next"))


def end_session_url(id_token_hint: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's sign-out address (RP-initiated logout), or None when the provider
    has none or cannot be asked: signing out of Procure never waits on it."""
    if not providers.oidc_configured():
        return None
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    params = {
        "client_id": current_app.config["PROCURE_OIDC_CLIENT_ID"],
        "post_logout_redirect_uri": post_logout_redirect_uri,
    }
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def discovery() -> dict[str, Any]:
    """The provider's discovery document, cached for a few minutes; its ``issuer`` must be
    the configured one (else any document could speak for the provider)."""
    issuer = current_app.config["PROCURE_OIDC_ISSUER"].rstrip("/")
    cached = _discovered.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    document = _get_json(issuer + "/.well-known/openid-configuration")
    if not isinstance(document.get("issuer"), str) or document["issuer"].rstrip("/") != issuer:
        raise ProviderUnavailable("the discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise ProviderUnavailable(f"the discovery document has no {key}")
    with _lock:
        _discovered[issuer] = (time.monotonic(), document)
    return document


def verify_id_token(id_token: str, *, nonce: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce hold."""
    try:
        header = extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError):
        raise SignInRefused("bad_token", "The ID token is malformed. " + START_AGAIN) from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise SignInRefused(
            "bad_signature",
            f"The ID token is not signed acceptably ({str(alg)[:20]}). " + START_AGAIN,
        )
    claims = _signed_claims(id_token, alg, metadata["jwks_uri"], header.get("kid"))
    _check_claims(claims, issuer=metadata["issuer"], nonce=nonce)
    return claims


def _check_claims(claims: dict[str, Any], *, issuer: str, nonce: str) -> None:
    client_id = current_app.config["PROCURE_OIDC_CLIENT_ID"]
    if claims.get("iss") != issuer:
        raise SignInRefused("bad_issuer", "The ID token comes from another issuer. " + START_AGAIN)
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise SignInRefused(
            "bad_audience", "The ID token is meant for another application." + START_AGAIN
        )
    # Several audiences: the token must say it was issued to us (OIDC Core 3.1.3.7).
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInRefused(
            "bad_audience", "The ID token was issued to another application." + START_AGAIN
        )
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_number(exp) or not _is_number(iat):
        raise SignInRefused("bad_token", "The ID token has no validity period. " + START_AGAIN)
    if exp < now - LEEWAY_SECONDS:
        raise SignInRefused("expired_token", "The ID token has expired. " + START_AGAIN)
    if iat > now + LEEWAY_SECONDS:
        raise SignInRefused("bad_token", "The ID token is dated in the future. " + START_AGAIN)
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise SignInRefused("bad_nonce", "The ID token is not for this sign-in. " + START_AGAIN)
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignInRefused("bad_token", "The ID token names nobody. " + START_AGAIN)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _consume_nonce(claims: dict[str, Any]) -> None:
    """A nonce serves one sign-in: the same ID token (or a copy of the session that asked
    for it) cannot sign in twice."""
    # Kept while the token could still be accepted (a day at most, whatever it says).
    lifetime = min(max(claims["exp"] - time.time(), 0), NONCE_DAYS * 86400) + LEEWAY_SECONDS
    expires = utcnow() + dt.timedelta(seconds=lifetime)
    if not replay.remember("oidc_nonce", claims["nonce"], expires):
        raise SignInRefused("replay", "This sign-in was already used. " + START_AGAIN)


def _check_state(args: Mapping[str, str], pending: Any) -> None:
    """The answer must belong to the sign-in this browser started (CSRF on the callback)."""
    state = args.get("state") or ""
    if not isinstance(pending, dict) or not hmac.compare_digest(
        state.encode(), str(pending.get("state", "")).encode()
    ):
        raise SignInRefused(
            "bad_state",
            "This sign-in answer does not belong to a sign-in started in this browser. "
            + START_AGAIN,
        )


def _provider_error(args: Mapping[str, str]) -> str:
    if args.get("error") == "access_denied":
        return "The identity provider did not sign you in (access denied). " + START_AGAIN
    # The description is the provider's own text; the page escapes it.
    described = (args.get("error_description") or args["error"])[:200]
    return f"The identity provider refused the sign-in: {described}. " + START_AGAIN


def _client() -> OAuth2Session:
    config = current_app.config
    return OAuth2Session(
        client_id=config["PROCURE_OIDC_CLIENT_ID"],
        client_secret=config["PROCURE_OIDC_CLIENT_SECRET"],
        scope=config["PROCURE_OIDC_SCOPES"],
        redirect_uri=external_url("auth.oidc_callback"),
        code_challenge_method="S256",
    )


def _exchange(metadata: dict[str, Any], code: str, verifier: str) -> dict[str, Any]:
    """The code for tokens, at the token endpoint, with the client secret and verifier."""
    client = _client()
    try:
        with client:
            return dict(
                client.fetch_token(
                    metadata["token_endpoint"],
                    code=code,
                    code_verifier=verifier,
                    timeout=TIMEOUT,
                )
            )
    except OAuthError as exc:
        raise SignInRefused(
            "bad_code", f"The provider refused the sign-in code ({exc.error}). " + START_AGAIN
        ) from None
    except (requests.RequestException, AuthlibBaseError, ValueError, TypeError) as exc:
        # Unreachable, or an answer that is no token response.
        raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from None


def _userinfo(metadata: dict[str, Any], access_token: Any, subject: str) -> dict[str, Any]:
    """The userinfo endpoint's claims, when the provider has one; they must be about
    the person the ID token names (OIDC Core 5.3.2)."""
    endpoint = metadata.get("userinfo_endpoint")
    if not isinstance(endpoint, str) or not isinstance(access_token, str):
        return {}
    info = _get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})
    if info.get("sub") != subject:
        raise SignInRefused("bad_token", "The provider described someone else. " + START_AGAIN)
    return info


def _signed_claims(id_token: str, alg: str, jwks_uri: str, kid: str | None) -> dict[str, Any]:
    """The claims of a token signed by one of the provider's keys: the one it names, else
    (no key id) any. The keys are fetched again once when none we hold fits: the
    provider may have rotated them."""
    held = _key_sets.get(jwks_uri)
    if held is not None:
        claims = _verify_with(id_token, alg, _candidates(held, kid))
        if claims is not None:
            return claims
        if kid is not None and _candidates(held, kid):
            # The key it names is one we hold, and it does not verify: no refetch helps.
            raise SignInRefused("bad_signature", BAD_SIGNATURE)
    fetched = _fetch_keys(jwks_uri)
    if kid is not None and not _candidates(fetched, kid):
        raise SignInRefused(
            "bad_signature",
            "The ID token is signed with a key the provider does not publish. " + START_AGAIN,
        )
    claims = _verify_with(id_token, alg, _candidates(fetched, kid))
    if claims is None:
        raise SignInRefused("bad_signature", BAD_SIGNATURE)
    return claims


def _verify_with(id_token: str, alg: str, keys: list[Key]) -> dict[str, Any] | None:
    for key in keys:
        try:
            claims = jwt.decode(id_token, key, algorithms=[alg]).claims
        except (JoseError, ValueError):
            # Not this key's signature, or a key of another type: another may fit.
            continue
        return claims if isinstance(claims, dict) else None
    return None


def _candidates(keys: list[Key], kid: str | None) -> list[Key]:
    return keys if kid is None else [key for key in keys if key.kid == kid]


def _fetch_keys(jwks_uri: str) -> list[Key]:
    """The JWKS's signature keys; a key Procure cannot use (another type, encryption)
    is left out rather than failing every sign-in."""
    entries = _get_json(jwks_uri).get("keys")
    keys = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            keys.append(JWKRegistry.import_key(entry))
        except (JoseError, ValueError, TypeError):
            continue
    with _lock:
        _key_sets[jwks_uri] = keys
    return keys


def _get_json(url: str, *, headers: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        response = requests.get(url, headers=headers, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return document


def _claims(issuer: str, claims: dict[str, Any]) -> Claims:
    """Procure's view of the person: the mapping names the groups claim and the
    department attribute; anything else is kept as it came."""
    current = mapping.current()
    groups = claims.get(current.groups_claim) or ()
    if isinstance(groups, str):
        groups = (groups,)
    department = claims.get(current.department_attribute)
    return Claims(
        source="oidc",
        issuer=issuer,
        subject=claims["sub"],
        email=_text(claims.get("email")),
        email_verified=claims.get("email_verified") in (True, "true"),
        name=_text(claims.get("name")) or _joined_name(claims),
        groups=tuple(str(group) for group in groups if isinstance(group, str | int)),
        department=_text(department),
        attributes={
            key: str(claims[key])
            for key in ("preferred_username", "given_name", "family_name", "locale")
            if isinstance(claims.get(key), str)
        },
    )


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _joined_name(claims: dict[str, Any]) -> str | None:
    parts = [_text(claims.get(key)) for key in ("given_name", "family_name")]
    return " ".join(part for part in parts if part) or None
