"""The invoice forms, and how the recording form turns what was typed into the
service's ``InvoiceData`` (each amount a sum of money in the order's currency)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
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
from wtforms.validators import Length, Optional

from ..models import Invoice, PurchaseOrder, utcnow
from ..money import MoneyError, parse_money, parse_quantity
from ..validation import FieldErrors
from . import services
from .actions import Payment


class InvoiceLineForm(Form):
    order_line_id = HiddenField()
    quantity = StringField("Quantity")
    unit_price = StringField("Unit price")


class InvoiceForm(FlaskForm):
    vendor_invoice_number = StringField("Vendor's invoice number", validators=[Length(max=100)])
    invoice_date = DateField("Invoice date", validators=[Optional()])
    due_date = DateField("Due date", validators=[Optional()])
    lines = FieldList(FormField(InvoiceLineForm), min_entries=0, max_entries=1000)
    shipping = StringField("Shipping", default="0.00")
    tax = StringField("Tax", default="0.00")
    total = StringField(
        "Total on the vendor's invoice",
        description="Optional: when given, it must equal the lines, shipping and tax.",
    )
    credit_for = SelectField("Credit note", validate_choice=False, default="")
    pdf = FileField("The vendor's invoice (PDF)")
    note = TextAreaField("Note", validators=[Length(max=10_000)])
    save = SubmitField("Save draft")
    save_submit = SubmitField("Save and submit")

    def for_order(
        self, order: PurchaseOrder, remaining: dict[int, Decimal], creditable: list[Invoice]
    ) -> InvoiceForm:
        """A quantity and price field per order line, prefilled with what remains to
        invoice at the order's price; the order's submitted invoices to credit."""
        self.credit_for.choices = [SelectChoice("", "No: an invoice")] + [
            SelectChoice(
                str(i.id), f"Yes, a credit note for {i.number} ({i.vendor_invoice_number})"
            )
            for i in creditable
        ]
        if not self.lines.entries:
            for line in order.lines:
                left = max(remaining.get(line.id, line.quantity), Decimal(0))
                self.lines.append_entry(
                    {
                        "order_line_id": str(line.id),
                        "quantity": f"{left.normalize():f}" if left else "",
                        "unit_price": str(line.unit_price),
                    }
                )
        return self

    def invoice_data(self, order: PurchaseOrder) -> tuple[services.InvoiceData, dict[str, str]]:
        """The invoice as typed, and where the service's line fields stand on the form
        (a line left empty is not invoiced, so the service counts lines differently).
        Raises ``ValidationError`` naming each field that is not a number."""
        errors = FieldErrors()
        currency = order.currency

        def money(raw: str | None, name: str, label: str) -> Decimal | None:
            text = (raw or "").strip()
            if not text:
                return None
            try:
                return parse_money(text, currency=currency)
            except MoneyError as exc:
                errors.add(name, f"{label} {exc}.")
                return None

        lines: list[services.LineData] = []
        aliases: dict[str, str] = {}
        for index, entry in enumerate(self.lines):
            raw_quantity = (entry.form.quantity.data or "").strip()
            if raw_quantity in {"", "0", "0.0", "0.00", "0.000"}:
                continue
            quantity = None
            try:
                quantity = parse_quantity(raw_quantity)
            except MoneyError as exc:
                errors.add(f"lines.{index}.quantity", f"The quantity {exc}.")
            price = money(entry.form.unit_price.data, f"lines.{index}.unit_price", "The price")
            line_id = (entry.form.order_line_id.data or "").strip()
            for part in ("order_line_id", "quantity", "unit_price"):
                aliases[f"lines.{len(lines)}.{part}"] = f"lines.{index}.{part}"
            lines.append(
                services.LineData(
                    order_line_id=int(line_id)
                    if line_id.isdigit() and len(line_id) < 12
                    else None,
                    quantity=quantity,
                    unit_price=price,
                )
            )
        shipping = money(self.shipping.data, "shipping", "Shipping")
        tax = money(self.tax.data, "tax", "Tax")
        total = money(self.total.data, "total", "The total")
        errors.raise_if_any()
        credit = (self.credit_for.data or "").strip()
        return services.InvoiceData(
            order_id=order.id,
            vendor_invoice_number=self.vendor_invoice_number.data or "",
            invoice_date=self.invoice_date.data,
            due_date=self.due_date.data,
            lines=lines,
            shipping=shipping,
            tax=tax,
            total=total,
            credit_for=int(credit) if credit.isdigit() and len(credit) < 12 else None,
            note=self.note.data or "",
        ), aliases


class ImportForm(FlaskForm):
    file = FileField(
        "E-invoice (UBL 2.1 or Peppol BIS Billing 3.0 XML)",
        description="The order is found by its number in the file, the vendor by its tax id.",
    )
    submit = SubmitField("Import as a draft")


# Actions on one invoice: each form's fields are named as the service names them, but
# the cancel form's reason (named apart from the reject form's on the same page).


class VersionForm(FlaskForm):
    version = HiddenField()


class ResolveForm(VersionForm):
    reason = TextAreaField(
        "How was it resolved?", validators=[Length(max=10_000)], description="Required."
    )


class ReleaseForm(VersionForm):
    justification = TextAreaField(
        "Justification",
        validators=[Length(max=10_000)],
        description="Required: why the invoice is approved despite its hold.",
    )


class RejectForm(VersionForm):
    comment = TextAreaField(
        "Why is it rejected?", validators=[Length(max=10_000)], description="Required."
    )


class CancelForm(VersionForm):
    cancel_reason = TextAreaField("Reason (optional)", validators=[Length(max=10_000)])


def _today() -> dt.date:
    return utcnow().date()


class PayForm(VersionForm):
    paid_on = DateField("Paid on", validators=[Optional()], default=_today)
    reference = StringField("Payment reference", validators=[Length(max=200)])

    def payment(self) -> Payment:
        return Payment(paid_on=self.paid_on.data, reference=self.reference.data or "")


ACTION_FORMS: dict[str, type[VersionForm]] = {
    "submit": VersionForm,
    "approve": VersionForm,
    "resolve": ResolveForm,
    "release": ReleaseForm,
    "reject": RejectForm,
    "cancel": CancelForm,
    "pay": PayForm,
}
# Where the services' field names stand on the action forms.
ACTION_ALIASES = {"cancel": {"comment": "cancel_reason"}}


class InvoiceChoices(SelectMultipleField):
    """The invoices ticked for a batch payment: ids, checked against what may be paid by
    the service, not against a list of choices."""

    def pre_validate(self, form: object) -> None:
        pass


class BatchPayForm(PayForm):
    invoice_ids = InvoiceChoices("Invoices to pay", coerce=str)

    def chosen_ids(self) -> list[int]:
        return sorted(
            {int(raw) for raw in self.invoice_ids.data or [] if raw.isdigit() and len(raw) < 12}
        )
