"""Sign-in by bind against an LDAP directory or Active Directory, and reading its people.

Procure never reads passwords from the directory: it searches for the person with a
search account (``PROCURE_LDAP_BIND_DN``), then binds as the entry found with the
password typed. The login typed goes into ``PROCURE_LDAP_USER_FILTER`` escaped
(RFC 4515), so ``*)(uid=*`` looks for someone literally called that. Certificates are
checked (``PROCURE_LDAP_CA_FILE``, else the system's) for ``ldaps://`` and StartTLS.

A directory that cannot be asked raises ``DirectoryUnavailable`` with a sentence the
sign-in page and ``sync-directory`` show as they are; nobody is signed in then.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

from flask import current_app

from . import mapping
from .accounts import Claims

# ldap3 2.9.1 reads names pyasn1 0.6 deprecates (tagMap, typeMap) when it is imported:
# nothing Procure could change, and the test suite makes every warning an error.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"(tagMap|typeMap) is deprecated", DeprecationWarning)
    import ldap3
    from ldap3.core import exceptions as ldap_errors
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import parse_dn

SOURCE = "ldap"
CONNECT_TIMEOUT = 5
RECEIVE_TIMEOUT = 15
PAGE_SIZE = 500
# userAccountControl's ACCOUNTDISABLE bit: Active Directory's "disabled".
ACCOUNT_DISABLED = 0x2
# What Procure reads of a person; the department attribute is added from the mapping.
PERSON_ATTRIBUTES = (
    "mail",
    "displayName",
    "cn",
    "uid",
    "sAMAccountName",
    "memberOf",
    "entryUUID",
    "objectGUID",
    "userAccountControl",
)
GROUPS_OF_MEMBER = (
    "(|(&(objectClass=groupOfNames)(member={dn}))"
    "(&(objectClass=groupOfUniqueNames)(uniqueMember={dn})))"
)


class DirectoryUnavailable(Exception):
    """The directory could not be asked: its message is a sentence for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class Person:
    """One user entry as read: its DN and its attributes, names case-folded."""

    dn: str
    attributes: dict[str, list[bytes]]

    def text(self, name: str) -> str | None:
        values = self.attributes.get(name.casefold())
        if not values:
            return None
        return values[0].decode("utf-8", "replace").strip() or None

    def texts(self, name: str) -> list[str]:
        return [
            value.decode("utf-8", "replace") for value in self.attributes.get(name.casefold(), [])
        ]

    @property
    def disabled(self) -> bool:
        """Active Directory marks a disabled account in userAccountControl."""
        flags = self.text("userAccountControl")
        return bool(flags and flags.lstrip("-").isdigit() and int(flags) & ACCOUNT_DISABLED)

    @property
    def subject(self) -> str:
        """The entry's stable id: AD's objectGUID, else the entryUUID; the DN when neither
        is readable (it changes on a rename, so the others come first)."""
        guid = self.attributes.get("objectguid")
        if guid and len(guid[0]) == 16:
            return str(uuid.UUID(bytes_le=guid[0]))
        return self.text("entryUUID") or self.dn


def configured() -> bool:
    return bool(current_app.config.get("PROCURE_LDAP_URL"))


def issuer() -> str:
    """What the accounts' external identities name as their provider."""
    return current_app.config["PROCURE_LDAP_URL"]


class _CheckedTls(ldap3.Tls):
    """TLS as the standard library checks it: the certificate against the CA file (or
    the system's authorities) and the host name, by ``SSLContext.check_hostname``.
    ldap3 2.9 turns that off and checks the name with ``ssl.match_hostname``, which is
    deprecated since Python 3.7 and gone in 3.12."""

    def wrap_socket(self, connection: ldap3.Connection, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(cafile=self.ca_certs_file)
        connection.socket = context.wrap_socket(
            connection.socket,
            server_hostname=connection.server.host,
            do_handshake_on_connect=do_handshake,
        )


def _server() -> ldap3.Server:
    config = current_app.config
    url = config["PROCURE_LDAP_URL"]
    tls = _CheckedTls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=config.get("PROCURE_LDAP_CA_FILE") or None,
    )
    return ldap3.Server(
        url,
        use_ssl=url.lower().startswith("ldaps://"),
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=CONNECT_TIMEOUT,
    )


def _unavailable(exc: Exception) -> DirectoryUnavailable:
    """Say in one sentence why the directory could not be asked."""
    url = current_app.config["PROCURE_LDAP_URL"]
    detail = str(exc).lower()
    if (
        isinstance(exc, ldap_errors.LDAPStartTLSError)
        or "ssl" in detail
        or "certificate" in detail
    ):
        return DirectoryUnavailable(
            f"The directory at {url} could not be reached securely: its TLS certificate was "
            "not accepted (check PROCURE_LDAP_CA_FILE). Nobody was signed in."
        )
    return DirectoryUnavailable(
        f"The directory at {url} cannot be reached right now. Try again later, "
        "or ask your administrator."
    )


def _open(user: str | None, password: str | None) -> ldap3.Connection:
    """A connection, secured as configured, not yet bound."""
    connection = ldap3.Connection(
        _server(),
        user=user,
        password=password,
        authentication=ldap3.SIMPLE,
        receive_timeout=RECEIVE_TIMEOUT,
        raise_exceptions=False,
        read_only=True,
    )
    try:
        connection.open()
        if current_app.config.get("PROCURE_LDAP_STARTTLS") and not connection.tls_started:
            if not connection.start_tls():
                raise ldap_errors.LDAPStartTLSError(str(connection.result))
    except ldap_errors.LDAPException as exc:
        _close(connection)
        raise _unavailable(exc) from exc
    return connection


def _close(connection: ldap3.Connection) -> None:
    """Unbind and close. A connection whose TLS failed has no socket left to say so on,
    and ldap3 leaves the socket of a connection that was refused open: close it too."""
    with contextlib.suppress(ldap_errors.LDAPException, OSError):
        connection.unbind()
    if connection.socket is not None:
        connection.socket.close()


@contextlib.contextmanager
def search_connection() -> Iterator[ldap3.Connection]:
    """A connection bound as the search account; DirectoryUnavailable when it cannot be."""
    config = current_app.config
    connection = _open(
        config["PROCURE_LDAP_BIND_DN"] or None, config["PROCURE_LDAP_BIND_PASSWORD"]
    )
    try:
        try:
            bound = connection.bind()
        except ldap_errors.LDAPException as exc:
            raise _unavailable(exc) from exc
        if not bound:
            raise DirectoryUnavailable(
                "The directory refused Procure's search account (PROCURE_LDAP_BIND_DN and "
                "PROCURE_LDAP_BIND_PASSWORD): ask your administrator. Nobody was signed in."
            )
        yield connection
    finally:
        _close(connection)


def user_filter(login: str) -> str:
    """The configured filter with ``{login}`` replaced by the escaped login."""
    return current_app.config["PROCURE_LDAP_USER_FILTER"].replace(
        "{login}", escape_filter_chars(login)
    )


def every_user_filter() -> str:
    """The configured filter matching every login: what ``sync-directory`` reads."""
    return current_app.config["PROCURE_LDAP_USER_FILTER"].replace("{login}", "*")


def _attributes() -> list[str]:
    return [*PERSON_ATTRIBUTES, mapping.current().department_attribute]


def _person(response: dict[str, Any]) -> Person:
    raw = response.get("raw_attributes") or {}
    return Person(
        dn=response["dn"],
        attributes={name.casefold(): list(values) for name, values in raw.items()},
    )


def _search(connection: ldap3.Connection, search_filter: str, **options: Any) -> list[dict]:
    try:
        connection.search(
            current_app.config["PROCURE_LDAP_BASE_DN"],
            search_filter,
            ldap3.SUBTREE,
            **options,
        )
    except ldap_errors.LDAPException as exc:
        raise _unavailable(exc) from exc
    if connection.result.get("result") not in (0, 4):  # success, size limit exceeded
        raise DirectoryUnavailable(
            f"The directory refused the search ({connection.result.get('description')}): "
            "check PROCURE_LDAP_BASE_DN and PROCURE_LDAP_USER_FILTER."
        )
    return [entry for entry in connection.response or [] if entry.get("type") == "searchResEntry"]


def find(connection: ldap3.Connection, login: str) -> Person | None:
    """The one person the login names; None for nobody or for several (ambiguous)."""
    found = _search(connection, user_filter(login), attributes=_attributes(), size_limit=2)
    return _person(found[0]) if len(found) == 1 else None


def people(connection: ldap3.Connection) -> Iterator[Person]:
    """Every person the filter matches, read a page at a time."""
    try:
        for response in connection.extend.standard.paged_search(
            current_app.config["PROCURE_LDAP_BASE_DN"],
            every_user_filter(),
            ldap3.SUBTREE,
            attributes=_attributes(),
            paged_size=PAGE_SIZE,
            generator=True,
        ):
            if response.get("type") == "searchResEntry":
                yield _person(response)
    except ldap_errors.LDAPException as exc:
        raise _unavailable(exc) from exc
    if connection.result.get("result") not in (0, None):
        raise DirectoryUnavailable(
            f"The directory refused the search ({connection.result.get('description')}): "
            "check PROCURE_LDAP_BASE_DN and PROCURE_LDAP_USER_FILTER."
        )


def _first_value(dn: str) -> str:
    """``cn=buyers,ou=groups,…`` → ``buyers``."""
    try:
        return parse_dn(dn)[0][1]
    except (ldap_errors.LDAPInvalidDnError, IndexError):
        return dn


def groups_of(connection: ldap3.Connection, person: Person) -> tuple[str, ...]:
    """The cn of each group: from memberOf when the directory keeps it (AD, OpenLDAP with
    the memberof overlay), else by searching the groups that list the person."""
    member_of = person.texts("memberOf")
    if not member_of:
        escaped = escape_filter_chars(person.dn)
        found = _search(connection, GROUPS_OF_MEMBER.format(dn=escaped), attributes=["cn"])
        names = [_person(entry).text("cn") or _first_value(entry["dn"]) for entry in found]
        return tuple(sorted(set(names)))
    return tuple(sorted({_first_value(dn) for dn in member_of}))


def claims_for(
    connection: ldap3.Connection, person: Person, *, department_attribute: str | None = None
) -> Claims:
    """What the directory says about ``person``, as provisioning reads it (a sync passes
    the department attribute, read once for everyone)."""
    attribute = department_attribute or mapping.current().department_attribute
    email = person.text("mail")
    return Claims(
        source=SOURCE,
        issuer=issuer(),
        subject=person.subject,
        email=email.lower() if email else None,
        email_verified=bool(email),
        name=person.text("displayName") or person.text("cn"),
        groups=groups_of(connection, person),
        department=person.text(attribute),
        attributes={"dn": person.dn},
    )


def _password_accepted(dn: str, password: str) -> bool:
    """Bind as ``dn``. An empty password would be an anonymous bind, which says nothing
    about the person, so it never gets here."""
    connection = _open(dn, password)
    try:
        return bool(connection.bind())
    except ldap_errors.LDAPException as exc:
        raise _unavailable(exc) from exc
    finally:
        _close(connection)


def authenticate(login: str, password: str) -> Claims | None:
    """The person's claims when the directory accepts ``password`` for ``login``; None
    when nobody (or several) match, the password is wrong, or the account is disabled."""
    if not login.strip() or not password:
        return None
    with search_connection() as connection:
        person = find(connection, login.strip())
        if person is None or person.disabled:
            return None
        if not _password_accepted(person.dn, password):
            return None
        return claims_for(connection, person)
