"""The sourcing forms, and how each turns what was typed into a service's input."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .. import currencies
from ..forms import IntegerField
from ..models import PurchaseRequest, Rfq, RfqInvitation, Vendor
from ..money import MoneyError, parse_money
from ..validation import FieldErrors
from . import scoring, services

# Where the RFQ service's field names stand on the form.
RFQ_FIELDS = {"vendor_ids": "vendors", **{f"weights.{c}": f"weight_{c}" for c in scoring.CRITERIA}}


class VendorChoices(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RfqForm(FlaskForm):
    vendors = VendorChoices(
        "Vendors to invite",
        coerce=int,
        validators=[DataRequired(message="Invite at least one vendor.")],
    )
    due_date = DateField("Quotes due by", validators=[DataRequired()])
    weight_price = DecimalField("Price", places=3, default=0.6, validators=[NumberRange(0, 1)])
    weight_lead_time = DecimalField(
        "Lead time", places=3, default=0.2, validators=[NumberRange(0, 1)]
    )
    weight_rating = DecimalField("Rating", places=3, default=0.2, validators=[NumberRange(0, 1)])
    weight_warranty = DecimalField("Warranty", places=3, default=0, validators=[NumberRange(0, 1)])
    notes = TextAreaField("Notes for the vendors", validators=[Length(max=10_000)])
    sealed = BooleanField("Sealed bids")
    submit = SubmitField("Create RFQ")

    def offer(self, choices: list[tuple[Vendor, list[str]]]) -> RfqForm:
        self.vendors.choices = [SelectChoice(vendor.id, vendor.name) for vendor, _ in choices]
        return self

    def rfq_data(self, pr: PurchaseRequest) -> services.RfqData:
        weights = {
            "price": self.weight_price.data,
            "lead_time": self.weight_lead_time.data,
            "rating": self.weight_rating.data,
            "warranty": self.weight_warranty.data,
        }
        return services.RfqData(
            request_id=pr.id,
            vendor_ids=self.vendors.data,
            due_date=self.due_date.data,
            weights={k: Decimal(v or 0) for k, v in weights.items()},
            notes=self.notes.data or "",
            sealed=bool(self.sealed.data),
        )


class QuoteLineForm(Form):
    request_line_id = HiddenField()
    unit_price = StringField("Unit price")


@dataclasses.dataclass(frozen=True)
class RunningTotal:
    """What the quote adds up to as typed: each line's total (None where the price is
    missing or not a sum of money), and the total of what could be read."""

    lines: list[Decimal | None]
    subtotal: Decimal
    shipping: Decimal | None
    tax: Decimal | None
    total: Decimal
    # Every price, shipping and tax could be read: the total is the quote's.
    complete: bool


def _readable_money(value: str | None, currency: str) -> Decimal | None:
    try:
        return parse_money((value or "").strip() or "0", currency=currency)
    except MoneyError:
        return None


class QuoteForm(FlaskForm):
    vendor_id = SelectField("Vendor", coerce=int, validators=[DataRequired()])
    currency = SelectField(
        "Currency", description="The vendor's currency; the comparison converts it."
    )
    lines = FieldList(FormField(QuoteLineForm), min_entries=0, max_entries=1000)
    shipping = StringField("Shipping", default="0.00")
    tax = StringField("Tax", default="0.00")
    lead_time_days = IntegerField(
        "Lead time (days)",
        validators=[InputRequired(message="Give the lead time."), NumberRange(0, 3650)],
    )
    warranty_months = IntegerField(
        "Warranty (months)", default=0, validators=[Optional(), NumberRange(0, 600)]
    )
    payment_terms = StringField(
        "Payment terms", validators=[Length(max=200)], default="30 days net"
    )
    valid_until = DateField("Valid until", validators=[DataRequired()])
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])
    attachment = FileField("Quote document (PDF or image)")
    submit = SubmitField("Save quote")

    def for_rfq(self, rfq: Rfq) -> QuoteForm:
        """Offer the invited vendors, and a price field for each request line."""
        self.vendor_id.choices = [
            SelectChoice(i.vendor_id, i.vendor.name) for i in rfq.invitations
        ]
        self.currency.choices = [SelectChoice(code, label) for code, label in currencies.choices()]
        if not self.currency.data:
            self.currency.data = currencies.base()
        if not self.lines.entries:
            for line in rfq.request.lines:
                self.lines.append_entry({"request_line_id": str(line.id), "unit_price": ""})
        return self

    def for_vendor(self, invitation: RfqInvitation) -> QuoteForm:
        """The vendor's own page: the link decides the vendor, whatever is posted."""
        self.for_rfq(invitation.rfq)
        self.vendor_id.choices = [SelectChoice(invitation.vendor_id, invitation.vendor.name)]
        self.vendor_id.data = invitation.vendor_id
        return self

    def chosen_currency(self) -> str:
        """The currency the prices are typed in: the one chosen when it is offered (a
        tampered choice is refused by ``validate``), else the base currency."""
        offered = currencies.enabled()
        return self.currency.data if self.currency.data in offered else currencies.base()

    def running_total(self, rfq: Rfq) -> RunningTotal:
        """The total as the vendor's page shows it before "Send", computed here (the
        page's script only mirrors it while typing): after a refused attempt too."""
        currency = self.chosen_currency()
        quantities = {line.id: line.quantity for line in rfq.request.lines}
        totals: list[Decimal | None] = []
        priced: list[tuple[Decimal, Decimal]] = []
        for entry in self.lines:
            line_id = entry.form.request_line_id.data or ""
            quantity = quantities.get(int(line_id)) if line_id.isdigit() else None
            raw = (entry.form.unit_price.data or "").strip()
            price = _readable_money(raw, currency) if raw else None
            if quantity is None or price is None or price < 0:
                totals.append(None)
                continue
            totals.append(services.line_total(quantity, price, currency))
            priced.append((quantity, price))
        shipping = _readable_money(self.shipping.data, currency)
        tax = _readable_money(self.tax.data, currency)
        extras = [value for value in (shipping, tax) if value is not None and value >= 0]
        subtotal = services.quote_total(priced, Decimal(0), Decimal(0), currency)
        return RunningTotal(
            lines=totals,
            subtotal=subtotal,
            shipping=shipping,
            tax=tax,
            total=subtotal + sum(extras, Decimal("0.00")),
            complete=bool(totals) and None not in totals and len(extras) == 2,
        )

    def quote_data(self, rfq: Rfq) -> services.QuoteData:
        """The quote as typed: each price a sum of money (``ValidationError`` names the
        fields that are not), each line the request line it prices."""
        errors = FieldErrors()
        currency = self.chosen_currency()

        def money(field: StringField, label: str, name: str) -> Decimal:
            try:
                return parse_money((field.data or "").strip() or "0", currency=currency)
            except MoneyError as exc:
                errors.add(name, f"{label} {exc}.")
                return Decimal("0")  # never used: the errors are raised below

        lines = []
        request_lines = {line.id: line for line in rfq.request.lines}
        for index, entry in enumerate(self.lines):
            line_id = entry.form.request_line_id.data or ""
            line = request_lines.get(int(line_id)) if line_id.isdigit() else None
            if line is None:
                continue
            name = f"lines.{index}.unit_price"
            if not (entry.form.unit_price.data or "").strip():
                errors.add(name, "Give the unit price.")
                continue
            lines.append(
                services.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=money(entry.form.unit_price, "The unit price", name),
                    request_line_id=line.id,
                )
            )
        shipping = money(self.shipping, "Shipping", "shipping")
        tax = money(self.tax, "Tax", "tax")
        errors.raise_if_any()
        return services.QuoteData(
            vendor_id=self.vendor_id.data,
            currency=currency,
            valid_until=self.valid_until.data,
            lead_time_days=self.lead_time_days.data,
            warranty_months=self.warranty_months.data or 0,
            payment_terms=self.payment_terms.data or "",
            shipping=shipping,
            tax=tax,
            notes=self.notes.data or "",
            lines=lines,
        )


class AwardForm(FlaskForm):
    quote_id = HiddenField(validators=[DataRequired()])
    justification = TextAreaField("Justification", validators=[Length(max=10_000)])
    version = HiddenField()
    submit = SubmitField("Award")


class ActionForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Length(max=10_000)])
    version = HiddenField()


class DeclineForm(FlaskForm):
    """Beside the quote form on the vendor's page: its fields are prefixed, so that
    neither form's names nor ids collide."""

    reason = TextAreaField("Why not? (optional)", validators=[Length(max=2_000)])
    submit = SubmitField("Decline to quote")

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "decline")
        super().__init__(*args, **kwargs)
