"""OpenID Connect providers for the sign-in tests, both on loopback.

- :class:`NodeProvider`: the certified ``oidc-provider`` package under Node.js
  (``tests/idp/oidc/provider.mjs``), with one client and the accounts of a JSON file
  that :meth:`NodeProvider.set_account` rewrites between sign-ins.
- :class:`RogueProvider`: a provider written here that issues the ID tokens a test
  asks for — signed by another key, for another audience, expired, unsigned — to
  prove that Procure refuses each.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_SCRIPT = ROOT / "tests" / "idp" / "oidc" / "provider.mjs"
CLIENT_ID = "procure"
CLIENT_SECRET = secrets.token_urlsafe(24)
# The groups of the tests' mapping and the roles they give.
GROUP_ROLES = (
    "procure-requesters=requester,procure-approvers=approver,"
    "procure-finance=finance,procure-buyers=procurement"
)
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procure_settings(issuer: str) -> dict[str, Any]:
    """Procure's settings for signing in at ``issuer`` with the tests' client and mapping."""
    return {
        "PROCURE_OIDC_ISSUER": issuer,
        "PROCURE_OIDC_CLIENT_ID": CLIENT_ID,
        "PROCURE_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "PROCURE_OIDC_NAME": "Example Corp sign-in",
        "PROCURE_GROUP_ROLES": GROUP_ROLES,
    }


class NodeProvider:
    """oidc-provider on a free loopback port; stop() ends the process."""

    def __init__(
        self,
        directory: Path,
        *,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str],
        port: int | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.accounts_file = self.directory / "accounts.json"
        self.log_file = self.directory / "provider.log"
        self.accounts: dict[str, dict[str, Any]] = {}
        self.client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": post_logout_redirect_uris,
        }
        self.process: subprocess.Popen | None = None

    def set_account(
        self,
        login: str,
        *,
        groups: list[str],
        department: str | None = "IT",
        email: str | None = None,
        name: str | None = None,
        email_verified: bool = True,
        password: str = "provider-password",
        sub: str | None = None,
    ) -> dict[str, Any]:
        """Add or change an account; the provider reads the file again at the next sign-in."""
        previous = self.accounts.get(login, {})
        self.accounts[login] = {
            "password": password,
            "sub": sub or previous.get("sub") or f"sub-{secrets.token_hex(6)}",
            "email": email or f"{login}@corp.example",
            "email_verified": email_verified,
            "name": name or login.replace(".", " ").title(),
            "groups": groups,
            "department": department,
        }
        self.accounts_file.write_text(json.dumps(self.accounts))
        return self.accounts[login]

    def start(self) -> NodeProvider:
        node = shutil.which("node")
        if node is None:
            pytest.fail("Node.js is missing: `make install-test` installs it", pytrace=False)
        if not (ROOT / "node_modules" / "oidc-provider").is_dir():
            pytest.fail("oidc-provider is missing: run `npm ci`", pytrace=False)
        self.accounts_file.write_text(json.dumps(self.accounts))
        settings = self.directory / "settings.json"
        settings.write_text(
            json.dumps(
                {
                    "issuer": self.issuer,
                    "port": self.port,
                    "accounts": str(self.accounts_file),
                    "client": self.client,
                }
            )
        )
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own script, no shell
                [node, str(PROVIDER_SCRIPT), str(settings)],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        """oidc-provider says little: ready is when its discovery document answers."""
        deadline = time.monotonic() + STARTUP_SECONDS
        url = self.issuer + "/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"oidc-provider did not start:\n{self.log_file.read_text()}", pytrace=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def sign_in_at_provider(
    authorize_url: str,
    login: str,
    password: str = "provider-password",
    browser: requests.Session | None = None,
) -> str:
    """Do what a person does at the provider's sign-in page, with ``requests`` (``browser``
    keeps the provider's cookies); returns the address the provider sends the browser
    back to (Procure's callback)."""
    browser = browser or requests.Session()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    url, method, data = authorize_url, "GET", None
    for _ in range(10):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            target = urljoin(url, response.headers["Location"])
            if not target.startswith(origin):
                return target
            url, method, data = target, "GET", None
            continue
        assert response.status_code == 200, response.text
        assert 'name="password"' in response.text, response.text
        action = response.text.split('action="', 1)[1].split('"', 1)[0]
        url, method = urljoin(url, action), "POST"
        data = {"login": login, "password": password}
    raise AssertionError("the provider never sent the browser back")


class RogueProvider:
    """A provider whose ID tokens the test shapes: ``claims`` and ``header`` override
    what a correct token would say, ``signer`` signs (None: ``alg`` "none")."""

    def __init__(self) -> None:
        self.key = self._new_key("rogue-1")
        self.published: list[RSAKey] = [self.key]
        self.signer: RSAKey | None = self.key
        self.claims: dict[str, Any] = {}
        self.header: dict[str, Any] = {}
        self.subject = f"rogue-{secrets.token_hex(4)}"
        self.groups = ["procure-requesters"]
        self.codes: dict[str, dict[str, str]] = {}
        self.jwks_requests = 0
        # Published beside the keys: entries a relying party must pass over.
        self.extra_jwks: list[dict[str, Any]] = []
        self.with_kid = True
        # What the discovery document says on top of a correct one.
        self.discovery_overrides: dict[str, Any] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _new_key(kid: str) -> RSAKey:
        return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})

    def start(self) -> RogueProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def reset(self) -> None:
        self.signer, self.published = self.key, [self.key]
        self.claims, self.header = {}, {}
        self.extra_jwks, self.with_kid = [], True
        self.token_answer = None
        self.subject = f"rogue-{secrets.token_hex(4)}"

    def rotate(self, kid: str) -> None:
        """Publish a new key in place of the old one and sign with it."""
        self.signer = self._new_key(kid)
        self.published = [self.signer]

    def sign_with_unpublished_key(self, kid: str) -> None:
        """Sign with a key of the attacker's, claiming the kid of the published one."""
        self.signer = self._new_key(kid)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            **self.discovery_overrides,
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": f"{self.subject}@corp.example",
            "email_verified": True,
            "name": "Rogue Tester",
            "groups": self.groups,
            "department": "IT",
            **self.claims,
        }
        if self.signer is None:
            header = {"alg": "none", "typ": "JWT", **self.header}
            return f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}."
        header = {"alg": "RS256", **self.header}
        if self.with_kid:
            header["kid"] = self.signer.kid
        return jwt.encode(header, claims, self.signer)

    def authorize(self, query: dict[str, str]) -> str:
        """Sign the person in at once; the address to send the browser back to."""
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"]}
        answer = {"code": code, "state": query["state"]}
        return query["redirect_uri"] + "?" + urlencode(answer)

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != expected:
            return 401, {"error": "invalid_client"}
        # Codes are not used up here: a rogue provider is what a replayed nonce needs.
        grant = self.codes.get(form.get("code", ""))
        if grant is None:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        if self.token_answer is not None:
            return self.token_answer
        token = self.id_token(grant["nonce"])
        return 200, {"access_token": "rogue", "token_type": "Bearer", "id_token": token}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        rogue = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    self._json(200, rogue.discovery())
                elif parts.path == "/jwks":
                    rogue.jwks_requests += 1
                    self._json(
                        200, {"keys": [key.as_dict(private=False) for key in rogue.published]}
                    )
                elif parts.path == "/authorize":
                    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
                    self.send_response(302)
                    self.send_header("Location", rogue.authorize(query))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                form = {name: values[0] for name, values in parse_qs(body).items()}
                if urlsplit(self.path).path != "/token":
                    self._json(404, {"error": "not_found"})
                    return
                self._json(*rogue.token(form, self.headers.get("Authorization", "")))

        return Handler


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
