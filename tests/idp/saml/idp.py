"""pysaml2's identity provider on loopback, for the SAML sign-in tests.

The IdP signs with a key and a self-signed certificate made when it starts, and
writes its metadata to a file (what ``PROCURE_SAML_IDP_METADATA`` names). It reads the
service provider's metadata at each sign-in, from Procure's ``/saml/metadata`` (a URL)
or from a file, as a real IdP would have it registered.

Its people come from ``users.json``, which a test rewrites between sign-ins::

    {"users": {"ada": {"name_id": "…", "mail": "…", "displayName": "…",
                       "groups": ["…"], "department": "IT"}},
     "response": {}}

Every key of a user but ``name_id`` is released as an attribute (a key may be a claim
URI). ``response`` bends the next answers, for the tampering tests: ``sign_assertion``
(false: unsigned), ``foreign_key`` (true: signed by a key that is not in the metadata),
``audience`` (another service provider's entity id), ``valid_minutes`` (negative:
already expired), ``in_response_to`` (another request id, or null: unsolicited),
``deny`` (true: a signed "request denied" status instead of an assertion),
``destination`` (another ACS named as the response's Destination and Recipient),
``rewrap`` (true: the envelope answers the real request while the assertion answers
``in_response_to``), ``transient`` (true: a one-time NameID), ``encrypt`` (true: the
assertion encrypted to the SP's certificate).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import json
import shutil
import threading
import warnings
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.samlp import STATUS_REQUEST_DENIED
from saml2.time_util import in_a_while
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

with warnings.catch_warnings():
    # pysaml2 7.5's IdP module names cryptography's CFB mode, which cryptography has
    # moved to its "decrepit" corner (the IdP never uses it); the suite's warnings are errors.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2.server import Server

ABSENT = object()


def make_key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate for it, as PEM files in ``folder``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name}.idp.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class BentPolicy(Policy):
    """The IdP's release policy (everything released) with the test's bends: another
    audience, or a validity window that ended before the assertion was made."""

    def __init__(self, mds: Any, *, audience: str | None, valid_minutes: int | None) -> None:
        super().__init__(mds=mds)
        self.audience = audience
        self.valid_minutes = valid_minutes

    def not_on_or_after(self, sp_entity_id: str) -> str:
        if self.valid_minutes is None:
            return super().not_on_or_after(sp_entity_id)
        return in_a_while(minutes=self.valid_minutes)

    def conditions(self, sp_entity_id: str) -> Any:
        conditions = super().conditions(sp_entity_id)
        if self.audience:
            conditions.audience_restriction[0].audience[0].text = self.audience
        if self.valid_minutes is not None and self.valid_minutes < 0:
            conditions.not_before = in_a_while(minutes=2 * self.valid_minutes)
        return conditions


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP · Sign in</title></head>
<body><h1>Test identity provider</h1>
<form method="post" action="/sso/login">
<input type="hidden" name="SAMLRequest" value="{request}">
<input type="hidden" name="RelayState" value="{relay_state}">
<input type="hidden" name="SigAlg" value="{sig_alg}">
<input type="hidden" name="Signature" value="{signature}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required>
<button type="submit">Sign in at the IdP</button>
</form></body></html>
"""

POST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP · Returning</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{action}">
<input type="hidden" name="SAMLResponse" value="{response}">
<input type="hidden" name="RelayState" value="{relay_state}">
<noscript><button type="submit">Continue</button></noscript>
</form></body></html>
"""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclasses.dataclass
class SamlIdentityProvider:
    """The IdP's files and, once started, its address and server thread."""

    folder: Path
    sp_metadata: str = ""  # a URL or a file path; set before the first sign-in
    # As an IdP does when the SP's metadata says AuthnRequestsSigned: unsigned is refused.
    require_signed_requests: bool = False
    url: str = ""
    key: Path = Path()
    cert: Path = Path()
    foreign_key: Path = Path()
    foreign_cert: Path = Path()
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None

    @property
    def entity_id(self) -> str:
        return self.url + "/metadata"

    @property
    def metadata_file(self) -> Path:
        return self.folder / "idp-metadata.xml"

    @property
    def users_file(self) -> Path:
        return self.folder / "users.json"

    def set_users(self, users: dict[str, dict[str, Any]], **response: Any) -> None:
        """Rewrite ``users.json``: the people and how the next answers are bent."""
        self.users_file.write_text(json.dumps({"users": users, "response": response}))

    def bend(self, **response: Any) -> None:
        """Keep the people, change how the next answers are bent (nothing: honest)."""
        settings = json.loads(self.users_file.read_text())
        settings["response"] = response
        self.users_file.write_text(json.dumps(settings))

    # The pysaml2 side.

    def _config(self, *, foreign: bool = False) -> IdPConfig:
        sp_metadata = self._read_sp_metadata() if self.sp_metadata else None
        settings: dict[str, Any] = {
            "entityid": self.entity_id,
            "xmlsec_binary": shutil.which("xmlsec1"),
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (self.url + "/sso/redirect", BINDING_HTTP_REDIRECT)
                        ]
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": self.require_signed_requests,
                }
            },
            "key_file": str(self.foreign_key if foreign else self.key),
            "cert_file": str(self.foreign_cert if foreign else self.cert),
            "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
        }
        config = IdPConfig()
        config.load(settings)
        return config

    def _read_sp_metadata(self) -> str:
        if self.sp_metadata.startswith(("http://", "https://")):
            answer = requests.get(self.sp_metadata, timeout=10)
            answer.raise_for_status()
            return answer.text
        return Path(self.sp_metadata).read_text()

    def write_metadata(self) -> None:
        self.metadata_file.write_text(str(entity_descriptor(self._config())))

    def _settings(self) -> dict[str, Any]:
        return json.loads(self.users_file.read_text())

    def _request(self, server: Server, values: Any) -> Any:
        """The AuthnRequest of the redirect's query (or of the login form, which carries
        it on), its signature checked against the SP's metadata when there is one."""
        return server.parse_authn_request(
            values.get("SAMLRequest", ""),
            BINDING_HTTP_REDIRECT,
            relay_state=values.get("RelayState") or None,
            sigalg=values.get("SigAlg") or None,
            signature=values.get("Signature") or None,
        )

    def _answer(self, values: Any, username: str) -> tuple[str, str]:
        """The signed (or bent) response to the request in ``values`` for ``username``,
        base64, and where to post it."""
        settings = self._settings()
        bends = settings.get("response", {})
        person = dict(settings["users"][username])
        server = Server(config=self._config(foreign=bool(bends.get("foreign_key"))))
        request = self._request(server, values)
        args = server.response_args(request.message, [BINDING_HTTP_POST])
        in_response_to = bends.get("in_response_to", ABSENT)
        name_id = NameID(
            format=NAMEID_FORMAT_TRANSIENT if bends.get("transient") else NAMEID_FORMAT_PERSISTENT,
            text=person.pop("name_id"),
            name_qualifier=self.entity_id,
            sp_name_qualifier=args["sp_entity_id"],
        )
        identity = {
            key: value if isinstance(value, list) else [value] for key, value in person.items()
        }
        if bends.get("deny"):
            denied = server.create_error_response(
                args["in_response_to"],
                args["destination"],
                info=(STATUS_REQUEST_DENIED, "Not today"),
                sign=True,
            )
            return base64.b64encode(str(denied).encode()).decode(), args["destination"]
        response = server.create_authn_response(
            identity,
            args["in_response_to"] if in_response_to is ABSENT else in_response_to,
            bends.get("destination") or args["destination"],
            args["sp_entity_id"],
            name_id=name_id,
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=bends.get("sign_assertion", True),
            sign_response=bends.get("sign_response", False),
            # To the SP's encryption certificate, from its metadata.
            encrypt_assertion=bool(bends.get("encrypt")),
            release_policy=BentPolicy(
                server.metadata,
                audience=bends.get("audience"),
                valid_minutes=bends.get("valid_minutes"),
            ),
        )
        text = str(response)
        if bends.get("rewrap") and in_response_to is not ABSENT:
            # The unsigned envelope made to answer the real request, the signed assertion
            # still answering another one (the envelope's attribute comes first).
            text = text.replace(
                f'InResponseTo="{in_response_to}"',
                f'InResponseTo="{args["in_response_to"]}"',
                1,
            )
        # The HTTP-POST binding: the response, base64, in a form field.
        return base64.b64encode(text.encode()).decode(), args["destination"]

    # The WSGI side.

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/metadata":
            response = Response(self.metadata_file.read_text(), mimetype="application/xml")
        elif request.path == "/sso/redirect" and request.method == "GET":
            response = self._login_page(request)
        elif request.path == "/sso/login" and request.method == "POST":
            response = self._sign_in(request)
        else:
            response = Response("Not found", status=404)
        return response(environ, start_response)

    def _login_page(self, request: Request) -> Response:
        try:
            self._request(Server(config=self._config()), request.args)
        except Exception as exc:  # whatever pysaml2 finds wrong
            return Response(f"Bad AuthnRequest: {exc}", status=400)
        page = LOGIN_PAGE.format(
            **{
                field: html.escape(request.args.get(name, ""))
                for field, name in [
                    ("request", "SAMLRequest"),
                    ("relay_state", "RelayState"),
                    ("sig_alg", "SigAlg"),
                    ("signature", "Signature"),
                ]
            }
        )
        return Response(page, mimetype="text/html")

    def _sign_in(self, request: Request) -> Response:
        username = request.form.get("username", "")
        if username not in self._settings()["users"]:
            return Response("Unknown user", status=403)
        saml_response, action = self._answer(request.form, username)
        page = POST_PAGE.format(
            action=html.escape(action),
            response=html.escape(saml_response),
            relay_state=html.escape(request.form.get("RelayState", "")),
        )
        return Response(page, mimetype="text/html")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.key, self.cert = make_key_pair(self.folder, "idp")
        self.foreign_key, self.foreign_cert = make_key_pair(self.folder, "foreign")
        if not self.users_file.exists():
            self.set_users({})
        self._server = make_server(
            "127.0.0.1", 0, self, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.write_metadata()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="saml-idp", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._server.server_close()


def start_identity_provider(folder: Path) -> SamlIdentityProvider:
    """A started IdP whose files live in ``folder``."""
    idp = SamlIdentityProvider(folder=folder)
    idp.start()
    return idp
