"""A vendor's bank details: entered by procurement or finance, in use only once a second
person — finance, not whoever entered them — confirms them; the vendor is then told, by
e-mail to its primary contact, that its details changed (masked). Payment exports use
the confirmed details only. Every step goes through ``workflow.BANK`` and is audited
with the numbers masked.

IBANs and BICs are checked with schwifty (country format, check digits, the bank
code's BIC where the registry knows it); a US-style account needs its ABA routing
number, whose check digit is verified."""

from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from ... import access, audit, permissions, workflow
from ...errors import Forbidden, InvalidTransition
from ...extensions import db
from ...models import BankStatus, User, Vendor, VendorBankAccount, utcnow
from ...notifications import vendors as vendor_mail
from ...validation import FieldErrors
from ...workflow import BANK, BankAction

_ACCOUNT = re.compile(r"[0-9]{4,17}")
_ROUTING = re.compile(r"[0-9]{9}")


@dataclasses.dataclass
class BankData:
    iban: str = ""
    bic: str = ""
    account_number: str = ""
    routing_number: str = ""


def _rows(vendor: Vendor, status: BankStatus) -> list[VendorBankAccount]:
    return list(
        db.session.scalars(
            sa.select(VendorBankAccount)
            .where(VendorBankAccount.vendor_id == vendor.id, VendorBankAccount.status == status)
            .order_by(VendorBankAccount.id)
        )
    )


def confirmed(vendor: Vendor) -> VendorBankAccount | None:
    """The details payments go to."""
    rows = _rows(vendor, BankStatus.CONFIRMED)
    return rows[-1] if rows else None


def pending(vendor: Vendor) -> VendorBankAccount | None:
    rows = _rows(vendor, BankStatus.PENDING)
    return rows[-1] if rows else None


def shown(vendor: Vendor) -> VendorBankAccount | None:
    """What the vendor's page and the API show: a change waiting to be confirmed, else
    the details in use."""
    return pending(vendor) or confirmed(vendor)


def history(vendor: Vendor) -> list[VendorBankAccount]:
    return list(
        db.session.scalars(
            sa.select(VendorBankAccount)
            .where(VendorBankAccount.vendor_id == vendor.id)
            .order_by(VendorBankAccount.id.desc())
        )
    )


@dataclasses.dataclass
class BankPage:
    vendor: Vendor
    confirmed: VendorBankAccount | None
    pending: VendorBankAccount | None
    history: list[VendorBankAccount]
    may_enter: bool
    may_confirm: bool
    # Why the signed-in person may not confirm the pending change (shown beside it).
    confirm_refusal: str | None


def page(vendor: Vendor, user: User) -> BankPage:
    """The vendor's bank details page: finance, procurement and admin."""
    access.require(user, "see_bank_details", action="see a vendor's bank details")
    waiting = pending(vendor)
    refusal = permissions.may_confirm_bank(user, waiting) if waiting is not None else None
    return BankPage(
        vendor=vendor,
        confirmed=confirmed(vendor),
        pending=waiting,
        history=history(vendor),
        may_enter=permissions.books_invoices(user, vendor) is None,
        may_confirm=waiting is not None and refusal is None,
        confirm_refusal=refusal,
    )


def routing_number_valid(number: str) -> bool:
    """The ABA routing number's check digit: 3·7·1 weights, a multiple of ten."""
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 10 == 0


def _checked(data: BankData) -> BankData:
    errors = FieldErrors()
    iban_text = "".join((data.iban or "").split()).upper()
    bic_text = "".join((data.bic or "").split()).upper()
    account = "".join((data.account_number or "").split())
    routing = "".join((data.routing_number or "").split())
    checked = BankData()
    if iban_text:
        try:
            iban = IBAN(iban_text)
        except SchwiftyException as exc:
            errors.add("iban", f"This is not a valid IBAN: {exc}.")
        else:
            checked.iban = iban.compact
            if not bic_text and iban.bic is not None:
                bic_text = str(iban.bic)
        if account or routing:
            errors.add("account_number", "Give an IBAN or an account number, not both.")
    elif account or routing:
        if not _ACCOUNT.fullmatch(account):
            errors.add("account_number", "An account number has 4 to 17 digits.")
        if not _ROUTING.fullmatch(routing) or not routing_number_valid(routing):
            errors.add("routing_number", "This is not a valid 9-digit ABA routing number.")
        checked.account_number, checked.routing_number = account, routing
    else:
        errors.add("iban", "Give an IBAN, or an account and routing number.")
    if bic_text:
        try:
            checked.bic = str(BIC(bic_text))
        except SchwiftyException as exc:
            errors.add("bic", f"This is not a valid BIC: {exc}.")
    errors.raise_if_any()
    return checked


def _described(account: VendorBankAccount) -> dict:
    """What the audit log keeps: masked, never the whole number."""
    return {
        "vendor": account.vendor.name,
        "account": account.masked,
        "bic": account.bic,
        "routing_number": account.routing_number,
    }


def change(vendor: Vendor, data: BankData, *, actor: User) -> VendorBankAccount:
    """Enter new bank details for ``vendor``: pending until finance confirms them. A
    change still waiting is withdrawn by the newer one."""
    reason = permissions.books_invoices(actor, vendor)
    if reason is not None:
        raise Forbidden(reason)
    checked = _checked(data)
    for waiting in _rows(vendor, BankStatus.PENDING):
        workflow.apply(
            BANK, waiting, BankAction.WITHDRAW, actor=actor, comment="Replaced by newer details."
        )
    account = VendorBankAccount(
        vendor=vendor,
        iban=checked.iban,
        bic=checked.bic,
        account_number=checked.account_number,
        routing_number=checked.routing_number,
        status=BankStatus.PENDING,
        entered_by_id=actor.id,
        entered_at=utcnow(),
    )
    db.session.add(account)
    db.session.flush()
    audit.record("bank_account", account.id, "create", actor=actor, changes=_described(account))
    return account


def confirm(
    account: VendorBankAccount, *, actor: User, expected_version: int | None = None
) -> None:
    """A second person confirms: payments go to these details from now; the details in
    use until now are superseded, and the vendor is told."""
    workflow.check(BANK, account, BankAction.CONFIRM, actor)
    workflow.check_version(account, expected_version, "bank account")
    earlier = confirmed(account.vendor)

    def alongside(_new: object) -> None:
        account.confirmed_by_id, account.confirmed_at = actor.id, utcnow()

    workflow.apply(
        BANK,
        account,
        BankAction.CONFIRM,
        actor=actor,
        alongside=alongside,
        changes=_described(account),
    )
    if earlier is not None:
        workflow.apply(
            BANK, earlier, BankAction.SUPERSEDE, actor=actor, comment="Newer details confirmed."
        )
    vendor = account.vendor
    contact = next((c for c in vendor.contacts if c.email), None)
    address = contact.email if contact is not None else vendor.email
    if address:
        vendor_mail.queue_bank_change(vendor, account, address)


def shown_for(vendor_ids: list[int]) -> dict[int, VendorBankAccount | None]:
    """:func:`shown` for many vendors in one statement (a page of the vendor list)."""
    found: dict[int, VendorBankAccount | None] = dict.fromkeys(vendor_ids)
    if not vendor_ids:
        return found
    rows = db.session.scalars(
        sa.select(VendorBankAccount)
        .where(
            VendorBankAccount.vendor_id.in_(vendor_ids),
            VendorBankAccount.status.in_((BankStatus.PENDING, BankStatus.CONFIRMED)),
        )
        .order_by(VendorBankAccount.id)
    )
    for row in rows:
        current = found[row.vendor_id]
        if current is None or current.status != BankStatus.PENDING:
            found[row.vendor_id] = row
    return found


def confirm_pending(
    vendor: Vendor, *, actor: User, expected_version: int | None = None
) -> VendorBankAccount:
    """Confirm the change waiting on ``vendor`` (``InvalidTransition`` when none)."""
    reason = permissions.finance(actor, vendor)
    if reason is not None:
        raise Forbidden(reason)
    account = pending(vendor)
    if account is None:
        raise InvalidTransition(f"No bank details of {vendor.name} wait for confirmation.")
    confirm(account, actor=actor, expected_version=expected_version)
    return account


def for_payment(vendor_ids: list[int]) -> dict[int, VendorBankAccount]:
    """The confirmed details of many vendors at once: what a payment file pays to."""
    if not vendor_ids:
        return {}
    rows = db.session.scalars(
        sa.select(VendorBankAccount)
        .where(
            VendorBankAccount.vendor_id.in_(vendor_ids),
            VendorBankAccount.status == BankStatus.CONFIRMED,
        )
        .order_by(VendorBankAccount.id)
    )
    return {row.vendor_id: row for row in rows}
