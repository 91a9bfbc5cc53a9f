"""The organisation of the generated history: departments and their people, the
vendor register, and the budgets; as rows for the bulk writer and as the plain
objects the history draws from."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from ..models import Role, Vendor
from . import catalog
from .chain import AuditStream
from .clock import Clock
from .draw import Weighted, pick
from .errors import SeedRefused

# The fixed logins the other benchmarks rely on.
REQUESTER = "bench.requester@example.org"
APPROVER = "bench.approver@example.org"
FINANCE = "bench.finance@example.org"
PROCUREMENT = "bench.procurement@example.org"
ADMIN = "bench.admin@example.org"
FIXED_LOGINS = [
    (REQUESTER, "requester"),
    (APPROVER, "approver"),
    (FINANCE, "finance"),
    (PROCUREMENT, "procurement"),
    (ADMIN, "admin"),
]


class Ids:
    """Ids handed out from after the largest one in use, per table."""

    def __init__(self, start: dict[str, int]) -> None:
        self._last = dict(start)

    def next(self, table: str) -> int:
        value = self._last.get(table, 0) + 1
        self._last[table] = value
        return value

    def take(self, table: str, count: int) -> int:
        """``count`` ids at once; returns the first."""
        first = self._last.get(table, 0) + 1
        self._last[table] = first + count - 1
        return first

    def last(self, table: str) -> int:
        return self._last.get(table, 0)


class Department:
    __slots__ = ("id", "code", "name", "weight", "approvers", "requesters", "requester_weights")

    def __init__(self, code: str, name: str, weight: float) -> None:
        self.id = 0
        self.code = code
        self.name = name
        self.weight = weight
        self.approvers: list[Person] = []
        self.requesters: list[Person] = []
        self.requester_weights: list[float] = []


class Person:
    __slots__ = ("id", "email", "name", "department", "roles", "ip", "created_at")

    def __init__(self, email: str, name: str, department: Department, roles: set[Role]) -> None:
        self.id = 0
        self.email = email
        self.name = name
        self.department = department
        self.roles = roles
        self.ip = ""
        self.created_at = dt.datetime.min


class VendorEntry:
    """A vendor, with the periods in which it was approved (it may be invited then)."""

    __slots__ = (
        "id",
        "name",
        "categories",
        "status",
        "rating",
        "email",
        "contact_email",
        "price_factor",
        "lead_days",
        "created_at",
        "approved",
        "ip",
    )

    def __init__(self) -> None:
        self.id = 0
        self.approved: list[tuple[dt.datetime, dt.datetime | None]] = []

    def approved_at(self, moment: dt.datetime) -> bool:
        for start, end in self.approved:
            if start <= moment and (end is None or moment < end):
                return True
        return False

    @property
    def approved_now(self) -> bool:
        return self.status == "approved"

    @property
    def address(self) -> str:
        """Where RFQ invitations go (``sourcing.vendor_address``)."""
        return self.contact_email or self.email


class Organisation:
    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        ids: Ids,
        stream: AuditStream,
        *,
        departments: int,
        vendors: int,
        taken_codes: set[str],
        taken_emails: set[str],
        taken_vendor_keys: set[str],
        password_hash: str,
        currency: str,
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.ids = ids
        self.stream = stream
        self.password_hash = password_hash
        self.currency = currency
        self.founded = clock.start - dt.timedelta(days=400)
        self.departments = self._departments(departments, taken_codes)
        self.people: list[Person] = []
        self.by_email: dict[str, Person] = {}
        self.finance: list[Person] = []
        self.executives: list[Person] = []
        self.procurement: list[Person] = []
        self.owners: list[Person] = []
        self._emails = set(taken_emails)
        self._people()
        self.vendors: list[VendorEntry] = []
        self._vendor_keys = set(taken_vendor_keys)
        self.pools: dict[str, tuple[list[dt.datetime], list[VendorEntry]]] = {}
        self._vendors(vendors)
        self._department_draw = Weighted(self.departments, [d.weight for d in self.departments])
        self._requester_draws: dict[str, Weighted[Person]] = {}

    # Departments and people -----------------------------------------------------------

    def _departments(self, count: int, taken: set[str]) -> list[Department]:
        result = []
        for index in range(count):
            if index < len(catalog.DEPARTMENTS):
                code, name = catalog.DEPARTMENTS[index]
            else:
                code, name = f"D{index + 1:03d}", f"Department {index + 1}"
            base, suffix = code, 2
            while code in taken:
                code, suffix = f"{base}{suffix}", suffix + 1
            taken.add(code)
            # The first departments file the most requests (a gentle Zipf curve).
            result.append(Department(code, name, 1 / (index + 1) ** 0.6))
        return result

    def department(self, code: str) -> Department:
        """The department with ``code``, or the first one when there are fewer."""
        return next((d for d in self.departments if d.code == code), self.departments[0])

    def _email(self, first: str, last: str) -> str:
        base = f"{first}.{last}".lower()
        email, number = f"{base}@example.org", 2
        while email in self._emails:
            email, number = f"{base}{number}@example.org", number + 1
        self._emails.add(email)
        return email

    def _add(
        self,
        department: Department,
        roles: set[Role],
        email: str | None = None,
        name: str | None = None,
    ) -> Person:
        rng = self.rng
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        if email is None:
            email = self._email(first, last)
        elif email in self._emails:
            raise SeedRefused(
                f"A user {email} exists already; seed-bench needs an empty database."
            )
        else:
            self._emails.add(email)
        person = Person(email, name or f"{first} {last}", department, roles)
        person.id = self.ids.next("users")
        person.ip = f"10.{(person.id >> 16) & 255}.{(person.id >> 8) & 255}.{person.id & 255 or 1}"
        self.people.append(person)
        self.by_email[email] = person
        if Role.APPROVER in roles:
            department.approvers.append(person)
        if Role.REQUESTER in roles:
            department.requesters.append(person)
            department.requester_weights.append(1.0)
        if Role.FINANCE in roles:
            self.finance.append(person)
        if Role.EXECUTIVE in roles:
            self.executives.append(person)
        if Role.PROCUREMENT in roles:
            self.procurement.append(person)
        return person

    def _people(self) -> None:
        rng = self.rng
        first = self.departments[0]
        admin = self._add(first, {Role.ADMIN}, ADMIN, "Bench Admin")
        self._add(first, {Role.ADMIN})
        requester = self._add(first, {Role.REQUESTER}, REQUESTER, "Bench Requester")
        self._add(first, {Role.APPROVER}, APPROVER, "Bench Approver")
        finance = self.department("FIN")
        self._add(finance, {Role.FINANCE}, FINANCE, "Bench Finance")
        for index in range(6):
            self._add(finance, {Role.FINANCE, Role.REQUESTER} if index < 2 else {Role.FINANCE})
        buying = self.department("PROC")
        self._add(buying, {Role.PROCUREMENT}, PROCUREMENT, "Bench Procurement")
        for index in range(8):
            self._add(
                buying, {Role.PROCUREMENT, Role.REQUESTER} if index < 3 else {Role.PROCUREMENT}
            )
        executive = self.department("EXEC")
        for index in range(3):
            self._add(
                executive, {Role.EXECUTIVE, Role.REQUESTER} if index == 0 else {Role.EXECUTIVE}
            )
        for department in self.departments:
            size = 24 if department is first else rng.randint(16, 24)
            # A head who files requests too, and another approver to decide them.
            head = self._add(department, {Role.APPROVER, Role.REQUESTER})
            self.owners.append(head)
            if department is not first:
                self._add(department, {Role.APPROVER})
            if size > 21:
                self._add(department, {Role.APPROVER})
            for _ in range(size - len(department.approvers) - 1):
                self._add(department, {Role.REQUESTER})
        # The bench requester files a quarter of the first department's requests.
        weights = first.requester_weights
        index = first.requesters.index(requester)
        weights[index] = max(1.0, (sum(weights) - 1.0) / 3)
        when = self.founded
        for person in self.people:
            when = when + dt.timedelta(minutes=5 + rng.random() * 120)
            person.created_at = when
        self.admin = admin
        self.owners.extend(self.procurement)

    def person_rows(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """Rows of departments, users and user_roles, and their creation events."""
        stream = self.stream
        departments = []
        moment = self.founded - dt.timedelta(hours=2)
        for department in self.departments:
            department.id = self.ids.next("departments")
            moment += dt.timedelta(seconds=20 + self.rng.random() * 60)
            departments.append((department.id, department.code, department.name, moment))
            stream.add(
                moment,
                "department",
                department,
                "create",
                changes={"code": department.code, "name": department.name},
            )
        users, roles = [], []
        for person in self.people:
            users.append(
                (
                    person.id,
                    person.email,
                    person.name,
                    self.password_hash,
                    person.department.id,
                    True,
                    person.created_at,
                )
            )
            roles.extend((person.id, role.value) for role in sorted(person.roles))
            by_admin = person is not self.admin
            stream.add(
                person.created_at,
                "user",
                person,
                "create",
                actor=self.admin if by_admin else None,
                changes={
                    "email": person.email,
                    "name": person.name,
                    "department": person.department.code,
                    "roles": sorted(role.value for role in person.roles),
                    "active": True,
                },
                remote_addr=self.admin.ip if by_admin else None,
            )
        return departments, users, roles

    def pick_department(self) -> Department:
        return self._department_draw.pick(self.rng)

    def pick_requester(self, department: Department) -> Person:
        draw = self._requester_draws.get(department.code)
        if draw is None:
            draw = Weighted(department.requesters, department.requester_weights)
            self._requester_draws[department.code] = draw
        return draw.pick(self.rng)

    def deciders(self, role: Role, department: Department) -> list[Person]:
        if role == Role.APPROVER:
            return department.approvers
        return {
            Role.FINANCE: self.finance,
            Role.EXECUTIVE: self.executives,
            Role.PROCUREMENT: self.procurement,
        }.get(role, [])

    def buyer(self) -> Person:
        # The bench procurement login does a quarter of the buying.
        if self.rng.random() < 0.25:
            return self.procurement[0]
        return pick(self.rng, self.procurement)

    # Vendors --------------------------------------------------------------------------

    def _vendor_name(self, index: int) -> tuple[str, list[str]]:
        rng = self.rng
        while True:
            prefix = rng.choice(catalog.VENDOR_PREFIXES)
            trade, categories = rng.choice(catalog.VENDOR_TRADES)
            form = rng.choice(catalog.VENDOR_FORMS)
            name = f"{prefix} {trade}{form}"
            if index > 4000 and rng.random() < 0.5:
                name = f"{prefix} {trade} {rng.choice(catalog.REGIONS)}{form}"
            key = Vendor.fold(name)
            if key in self._vendor_keys:
                name = (
                    f"{prefix} {trade} {rng.choice(catalog.REGIONS)} {rng.randint(2, 999)}{form}"
                )
                key = Vendor.fold(name)
            if key not in self._vendor_keys:
                self._vendor_keys.add(key)
                return name, list(categories)

    def _vendors(self, count: int) -> None:
        rng, clock = self.rng, self.clock
        span = (clock.now - clock.start).total_seconds()
        for index in range(count):
            vendor = VendorEntry()
            vendor.name, categories = self._vendor_name(index)
            extra = rng.choice(list(catalog.CATEGORY_WEIGHTS))
            if rng.random() < 0.3 and extra not in categories:
                categories.append(extra)
            vendor.categories = sorted(categories)
            vendor.rating = (
                None if rng.random() < 0.2 else rng.choices([1, 2, 3, 4, 5], [2, 6, 25, 45, 22])[0]
            )
            slug = "-".join(vendor.name.lower().replace("&", "and").replace("'", "").split())
            vendor.email = f"sales@{slug}.example.com"
            vendor.contact_email = ""
            vendor.price_factor = rng.gauss(1.0, 0.06)
            vendor.lead_days = rng.choice([2, 3, 5, 7, 10, 14, 21, 30])
            # Most vendors were on the register before the history starts.
            if rng.random() < 0.8:
                created = self.founded + dt.timedelta(days=rng.random() * 390)
            else:
                created = clock.start + dt.timedelta(seconds=rng.random() * span * 0.95)
            vendor.created_at = clock.working(created)
            roll = rng.random()
            vendor.status = (
                "approved"
                if roll < 0.85
                else "prospect"
                if roll < 0.93
                else "suspended"
                if roll < 0.97
                else "blocked"
            )
            self.vendors.append(vendor)
        self.vendors.sort(key=lambda v: v.created_at)

    def vendor_rows(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """Rows of vendors, vendor_categories and vendor_contacts, with their events:
        created as prospects, approved, and for some suspended, reinstated or blocked."""
        rng, stream = self.rng, self.stream
        vendors, categories, contacts = [], [], []
        for vendor in self.vendors:
            vendor.id = self.ids.next("vendors")
            vendor.ip = f"203.0.113.{vendor.id % 254 + 1}"
            buyer = self.buyer()
            city, phone = rng.choice(catalog.CITIES)
            address = f"{rng.randint(1, 400)} {rng.choice(catalog.STREETS)}\n{city}"
            slug = vendor.email.split("@", 1)[1]
            website = f"https://www.{slug}"
            vendor_phone = f"{phone} {rng.randint(100, 9999):04d}"
            legal = "" if rng.random() < 0.3 else f"{vendor.name.rstrip('.')}".strip()
            tax_id = (
                ""
                if rng.random() < 0.3
                else f"US-{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"
            )
            people = []
            for number in range(1 if rng.random() < 0.8 else 2):
                first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
                email = f"{first}.{last}@{slug}".lower() if rng.random() < 0.9 else ""
                people.append(
                    [
                        f"{first} {last}",
                        rng.choice(catalog.CONTACT_TITLES),
                        email,
                        f"{phone} {rng.randint(100, 9999):04d}",
                        number == 0,
                    ]
                )
            vendor.contact_email = next((p[2] for p in people if p[2]), "")
            snapshot = {
                "name": vendor.name,
                "legal_name": legal,
                "tax_id": tax_id,
                "address": address,
                "website": website,
                "email": vendor.email,
                "phone": vendor_phone,
                "categories": vendor.categories,
                "rating": vendor.rating,
                "notes": "",
                "contacts": people,
                "status": "prospect",
            }
            stream.add(
                vendor.created_at,
                "vendor",
                vendor,
                "create",
                actor=buyer,
                changes=snapshot,
                remote_addr=buyer.ip,
            )
            updated, version = self._vendor_life(vendor)
            vendors.append(
                (
                    vendor.id,
                    vendor.name,
                    Vendor.fold(vendor.name),
                    legal,
                    tax_id,
                    address,
                    website,
                    vendor.email,
                    vendor_phone,
                    vendor.rating,
                    "",
                    vendor.status,
                    vendor.created_at,
                    updated,
                    version,
                )
            )
            categories.extend((vendor.id, category) for category in vendor.categories)
            for person in people:
                contacts.append((self.ids.next("vendor_contacts"), vendor.id, *person))
        self._pools()
        return vendors, categories, contacts

    def _vendor_life(self, vendor: VendorEntry) -> tuple[dt.datetime, int]:
        """The vendor's moves through its life cycle up to its status today, as events;
        fills in when it was approved. Returns when it last changed, and its version."""
        rng, clock = self.rng, self.clock
        moves: list[tuple[str, str, str, dt.datetime, str]] = []
        final = vendor.status
        if final != "prospect" and not (final == "blocked" and rng.random() < 0.3):
            # A vendor registered in the last months may have waited long for its
            # review: whatever it came to happened by now.
            approved = min(clock.after(vendor.created_at, 72), clock.now - dt.timedelta(hours=1))
            moves.append(("approve", "prospect", "approved", approved, ""))
            vendor.approved = [(approved, None)]
            if final == "approved" and rng.random() < 0.03:
                # Suspended for a while, then reinstated.
                suspended = clock.after(approved + dt.timedelta(days=rng.random() * 600), 1)
                reinstated = clock.after(suspended, 24 * 40)
                if reinstated < clock.now:
                    moves.append(
                        ("suspend", "approved", "suspended", suspended, "Missed delivery dates.")
                    )
                    moves.append(("reinstate", "suspended", "approved", reinstated, ""))
                    vendor.approved = [(approved, suspended), (reinstated, None)]
            elif final in ("suspended", "blocked"):
                ends = min(
                    clock.now - dt.timedelta(hours=1),
                    clock.after(approved + dt.timedelta(days=rng.random() * 1500), 1),
                )
                ends = max(ends, approved + dt.timedelta(minutes=5))
                if final == "suspended":
                    moves.append(
                        ("suspend", "approved", "suspended", ends, "Missed response times twice.")
                    )
                else:
                    reason = "Invoices for services never delivered."
                    moves.append(("block", "approved", "blocked", ends, reason))
                vendor.approved = [(approved, ends)]
        elif final == "blocked":
            moment = min(
                clock.after(vendor.created_at, 24 * 20), clock.now - dt.timedelta(hours=1)
            )
            moves.append(("block", "prospect", "blocked", moment, "Failed the due diligence."))
        for action, old, new, moment, comment in moves:
            who = self.buyer()
            self.stream.add(
                moment,
                "vendor",
                vendor,
                action,
                actor=who,
                changes={"status": [old, new]},
                comment=comment,
                remote_addr=who.ip,
            )
        return (moves[-1][3] if moves else vendor.created_at), 1 + len(moves)

    def _pools(self) -> None:
        """Per category, the vendors ever approved, by the start of their first approval."""
        by_category: dict[str, list[tuple[dt.datetime, int, VendorEntry]]] = {}
        for vendor in self.vendors:
            if not vendor.approved:
                continue
            for category in vendor.categories:
                by_category.setdefault(category, []).append(
                    (vendor.approved[0][0], vendor.id, vendor)
                )
        for category, entries in by_category.items():
            entries.sort(key=lambda entry: (entry[0], entry[1]))
            self.pools[category] = ([e[0] for e in entries], [e[2] for e in entries])

    def invitable(
        self, categories: Sequence[str], moment: dt.datetime, count: int, *, still_approved: bool
    ) -> list[VendorEntry]:
        """Up to ``count`` vendors approved at ``moment`` supplying one of ``categories``
        (and approved today, with ``still_approved``), drawn at random."""
        rng = self.rng
        chosen: list[VendorEntry] = []
        seen: set[int] = set()
        options = [c for c in dict.fromkeys(categories) if c in self.pools]
        if not options:
            return chosen
        for _attempt in range(count * 6):
            times, entries = self.pools[rng.choice(options)]
            available = bisect.bisect_right(times, moment)
            if not available:
                continue
            vendor = entries[int(rng.random() * available)]
            if vendor.id in seen or not vendor.approved_at(moment):
                continue
            if still_approved and not vendor.approved_now:
                continue
            seen.add(vendor.id)
            chosen.append(vendor)
            if len(chosen) == count:
                break
        return chosen

    # Budgets --------------------------------------------------------------------------

    def budget_rows(
        self,
        fiscal_year: Callable[[dt.date], int],
        fiscal_start: Callable[[int], dt.date],
        annual_spend: Callable[[Department, int], float],
        category_share: dict[str, float],
    ) -> tuple[list[tuple], dict[tuple, list[tuple[str | None, int]]]]:
        """A budget per department and fiscal year of the history (and for some, per
        category), set by finance around the start of the year. Returns the rows and,
        per (department id, year), the (category, amount in cents) of its budgets."""
        rng, clock, stream = self.rng, self.clock, self.stream
        rows: list[tuple] = []
        budgets: dict[tuple, list[tuple[str | None, int]]] = {}
        first, last = fiscal_year(clock.start.date()), fiscal_year(clock.today)
        for year in range(first, last + 1):
            opens = dt.datetime.combine(fiscal_start(year), dt.time(9))
            for department in self.departments:
                spend = annual_spend(department, year)
                if spend <= 0:
                    continue
                entries: list[tuple[str | None, int]] = [
                    (None, _round_budget(spend * rng.uniform(0.9, 1.45)))
                ]
                for category in ("licence", "cloud", "software"):
                    if rng.random() < 0.25:
                        share = spend * category_share.get(category, 0.0)
                        if share > 1000_00:
                            entries.append(
                                (category, _round_budget(share * rng.uniform(0.9, 1.6)))
                            )
                budgets[(department.id, year)] = entries
                author = rng.choice(self.finance)
                moment = clock.working(opens - dt.timedelta(days=rng.random() * 20))
                for category, amount in entries:
                    ident = self.ids.next("budgets")
                    moment = clock.soon(moment, 5)
                    rows.append(
                        (
                            ident,
                            department.id,
                            year,
                            category,
                            amount,
                            self.currency,
                            moment,
                            moment,
                            1,
                        )
                    )
                    stream.add(
                        moment,
                        "budget",
                        _Id(ident),
                        "create",
                        actor=author,
                        changes={
                            "department": department.code,
                            "fiscal_year": year,
                            "category": category,
                            "amount": money(amount),
                        },
                        remote_addr=author.ip,
                    )
        return rows, budgets


class _Id:
    __slots__ = ("id",)

    def __init__(self, ident: int) -> None:
        self.id = ident


def _round_budget(cents: float) -> int:
    """Budgets are round figures: thousands."""
    return max(1000_00, int(math.ceil(cents / 1000_00)) * 1000_00)


def money(cents: int) -> str:
    """Cents as the services write money in the audit log: ``1650.00``."""
    return f"{cents // 100}.{cents % 100:02d}"


def token_hash(seed: int, number: int) -> str:
    return hashlib.sha256(f"seed-bench:{seed}:{number}".encode()).hexdigest()


def ip_of(obj: Any) -> str | None:
    return getattr(obj, "ip", None)
