"""A real OpenLDAP server (Debian's ``slapd``) on loopback, for the directory tests.

``start_directory(folder)`` writes a ``slapd.conf`` (mdb backend, the memberof
overlay, a TLS certificate made here with ``cryptography``), starts slapd on two
free ports (``ldap://`` with StartTLS, ``ldaps://``) and loads the base entries
over LDAP, so that the memberof overlay sees every group change. The ``Directory``
it returns adds, changes and removes people and groups between test steps, as the
directory's administrator, with ldap3.

A tiny schema adds what Active Directory has and OpenLDAP lacks — ``department``,
``userAccountControl``, ``objectGUID`` — so that the AD code paths run against a
real server too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Imported through the app's module, which keeps ldap3's import-time warnings quiet.
from procure.identity.ldap import ldap3

BASE_DN = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "directory-admin-secret"
SEARCH_DN = f"cn=procure,ou=services,{BASE_DN}"
SEARCH_PASSWORD = "search-account-secret"
PEOPLE = f"ou=people,{BASE_DN}"
GROUPS = f"ou=groups,{BASE_DN}"
# AD's "account disabled" bit of userAccountControl, and a normal account.
ACCOUNTDISABLE = 2
NORMAL_ACCOUNT = 512

# People only (not the search account), by mail or uid.
USER_FILTER = "(&(objectClass=inetOrgPerson)(|(mail={login})(uid={login})))"

SLAPD = "/usr/sbin/slapd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

# What Active Directory has and OpenLDAP's schemas do not; the OIDs are AD's own.
AD_SCHEMA = """\
attributetype ( 1.2.840.113556.1.2.141 NAME 'department'
    EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID'
    EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'procureTestAccount' AUXILIARY
    MAY ( department $ userAccountControl $ objectGUID ) )
"""

SLAPD_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {folder}/ad.schema

modulepath {modules}
moduleload back_mdb
moduleload memberof

pidfile {folder}/slapd.pid
argsfile {folder}/slapd.args

TLSCACertificateFile {folder}/ca.pem
TLSCertificateFile {folder}/server.pem
TLSCertificateKeyFile {folder}/server.key

database mdb
maxsize 104857600
suffix "{base}"
rootdn "{admin}"
rootpw {admin_password}
directory {folder}/data

overlay memberof
memberof-refint TRUE

access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by dn.exact="{search}" read
    by self read
    by * none
"""


@dataclasses.dataclass
class Person:
    uid: str
    password: str
    mail: str
    cn: str
    department: str | None = None
    groups: tuple[str, ...] = ()
    # Where the entry lives: a test may give its people a unit of their own.
    unit: str = PEOPLE

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{self.unit}"


@dataclasses.dataclass
class Directory:
    """A running slapd and the administrator's ways of changing it."""

    url: str
    ldaps_url: str
    ca_file: str
    process: subprocess.Popen

    def settings(self, **overrides: object) -> dict[str, object]:
        """The app's ``PROCURE_LDAP_*`` settings for this directory."""
        return {
            "PROCURE_LDAP_URL": self.url,
            "PROCURE_LDAP_BIND_DN": SEARCH_DN,
            "PROCURE_LDAP_BIND_PASSWORD": SEARCH_PASSWORD,
            "PROCURE_LDAP_BASE_DN": BASE_DN,
            "PROCURE_LDAP_USER_FILTER": USER_FILTER,
            "PROCURE_LDAP_STARTTLS": False,
            "PROCURE_LDAP_CA_FILE": "",
            **overrides,
        }

    @contextlib.contextmanager
    def admin(self) -> Iterator[ldap3.Connection]:
        """A connection as the directory's administrator, closed after. (ldap3's own
        ``with`` leaves a connection open when it was bound before it began.)"""
        server = ldap3.Server(self.url, connect_timeout=5)
        connection = ldap3.Connection(
            server, ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True
        )
        try:
            yield connection
        finally:
            connection.unbind()

    def add(self, dn: str, object_class: list[str], attributes: dict[str, object]) -> None:
        with self.admin() as connection:
            connection.add(dn, object_class, attributes)

    def delete(self, dn: str) -> None:
        with self.admin() as connection:
            connection.delete(dn)

    def replace(self, dn: str, **attributes: object) -> None:
        """Set attributes of an entry (``None`` removes one)."""
        changes = {
            name: [(ldap3.MODIFY_REPLACE, [] if value is None else [value])]
            for name, value in attributes.items()
        }
        with self.admin() as connection:
            connection.modify(dn, changes)

    def add_unit(self, name: str) -> str:
        """An organizational unit under ``ou=people``: a base DN of a test's own."""
        dn = f"ou={name},{PEOPLE}"
        self.add(dn, ["organizationalUnit"], {"ou": name})
        return dn

    def add_group(self, cn: str, members: Iterable[str] = (), *, unique: bool = False) -> str:
        """A groupOfNames (or groupOfUniqueNames, which the memberof overlay ignores:
        its people have no memberOf, so the code must search the groups)."""
        dn = f"cn={cn},{GROUPS}"
        attribute = "uniqueMember" if unique else "member"
        klass = "groupOfUniqueNames" if unique else "groupOfNames"
        # groupOfNames needs a member: the search account stands in for an empty group.
        self.add(dn, [klass], {"cn": cn, attribute: list(members) or [SEARCH_DN]})
        return dn

    def join(self, group: str, member_dn: str, *, unique: bool = False) -> None:
        attribute = "uniqueMember" if unique else "member"
        with self.admin() as connection:
            connection.modify(
                f"cn={group},{GROUPS}", {attribute: [(ldap3.MODIFY_ADD, [member_dn])]}
            )

    def leave(self, group: str, member_dn: str, *, unique: bool = False) -> None:
        attribute = "uniqueMember" if unique else "member"
        with self.admin() as connection:
            connection.modify(
                f"cn={group},{GROUPS}", {attribute: [(ldap3.MODIFY_DELETE, [member_dn])]}
            )

    def add_person(self, person: Person, *, guid: uuid.UUID | None = None) -> str:
        """A person (inetOrgPerson) and their group memberships; ``guid`` adds an AD
        objectGUID and userAccountControl, as Active Directory's users have."""
        attributes: dict[str, object] = {
            "uid": person.uid,
            "cn": person.cn,
            "sn": person.cn.split()[-1],
            "displayName": person.cn,
            "mail": person.mail,
            "userPassword": person.password,
        }
        classes = ["inetOrgPerson", "procureTestAccount"]
        if person.department is not None:
            attributes["department"] = person.department
        if guid is not None:
            attributes["objectGUID"] = guid.bytes_le
            attributes["userAccountControl"] = NORMAL_ACCOUNT
        self.add(person.dn, classes, attributes)
        for group in person.groups:
            self.join(group, person.dn)
        return person.dn

    def read(self, dn: str, *attributes: str) -> dict[str, list]:
        with self.admin() as connection:
            connection.search(dn, "(objectClass=*)", ldap3.BASE, attributes=list(attributes))
            return dict(connection.entries[0].entry_attributes_as_dict)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _write_certificates(folder: Path) -> None:
    """A CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Procure test directory CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _wait_until_answering(port: int, process: subprocess.Popen, log: Path) -> None:
    """slapd runs in the foreground here (``-d``); wait until its port accepts."""
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"slapd did not listen on port {port}:\n{log.read_text()}")


def _load_base(directory: Directory) -> None:
    directory.add(BASE_DN, ["dcObject", "organization"], {"dc": "example", "o": "Example"})
    for unit in ("people", "groups", "services"):
        directory.add(f"ou={unit},{BASE_DN}", ["organizationalUnit"], {"ou": unit})
    directory.add(
        SEARCH_DN,
        ["organizationalRole", "simpleSecurityObject"],
        {"cn": "procure", "userPassword": SEARCH_PASSWORD},
    )


def start_directory(folder: Path) -> Directory:
    """Start slapd with an empty tree under ``dc=example,dc=org`` (people, groups and
    the search account ``cn=procure`` made), listening on two free loopback ports."""
    if not Path(SLAPD).exists():
        pytest.fail("slapd is missing: `make install-test` installs the Debian package")
    (folder / "data").mkdir(parents=True)
    (folder / "ad.schema").write_text(AD_SCHEMA)
    _write_certificates(folder)
    (folder / "slapd.conf").write_text(
        SLAPD_CONF.format(
            schema=SCHEMA_DIR,
            modules=MODULE_DIR,
            folder=folder,
            base=BASE_DN,
            admin=ADMIN_DN,
            admin_password=ADMIN_PASSWORD,
            search=SEARCH_DN,
        )
    )
    port, ldaps_port = _free_port(), _free_port()
    url, ldaps_url = f"ldap://127.0.0.1:{port}", f"ldaps://127.0.0.1:{ldaps_port}"
    log = folder / "slapd.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", str(folder / "slapd.conf"), "-h", f"{url}/ {ldaps_url}/"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    directory = Directory(
        url=url, ldaps_url=ldaps_url, ca_file=str(folder / "ca.pem"), process=process
    )
    try:
        _wait_until_answering(port, process, log)
        _wait_until_answering(ldaps_port, process, log)
        _load_base(directory)
    except BaseException:
        directory.stop()
        raise
    return directory


@pytest.fixture(scope="session")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Directory]:
    """One slapd for the test session; tests add the people they need (unique uids)."""
    folder = tmp_path_factory.mktemp("slapd")
    running = start_directory(folder)
    yield running
    running.stop()
    shutil.rmtree(folder / "data", ignore_errors=True)
