"""The order forms, and how the receipt form reads a quantity per order line."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ..models import PurchaseOrder
from ..money import MoneyError, parse_quantity
from . import services


class DraftForm(FlaskForm):
    delivery_address = TextAreaField("Delivery address", validators=[Length(max=10_000)])
    needed_by = DateField("Needed by", validators=[Optional()])
    payment_terms = StringField("Payment terms", validators=[Length(max=200)])
    terms = TextAreaField(
        "Terms",
        validators=[Length(max=10_000)],
        description="Printed on the order, e.g. delivery and invoicing terms.",
    )
    version = HiddenField()
    submit = SubmitField("Save draft")

    def draft_data(self) -> services.DraftData:
        return services.DraftData(
            delivery_address=self.delivery_address.data or "",
            needed_by=self.needed_by.data,
            payment_terms=self.payment_terms.data or "",
            terms=self.terms.data or "",
        )


class QuantityField(StringField):
    """A quantity received on one line: empty or zero is nothing received."""

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        raw = (self.data or "").strip()
        self.data = None
        if raw and raw not in {"0", "0.0", "0.00"}:
            try:
                self.data = parse_quantity(raw)
            except MoneyError as exc:
                raise ValueError(f"Quantity {exc}.") from exc


class ReceiveForm(FlaskForm):
    received_on = DateField("Received on", validators=[Optional()])
    note = StringField("Note", validators=[Length(max=10_000)])
    version = HiddenField()
    submit = SubmitField("Record receipt")

    def line_field(self, line_id: int) -> QuantityField:
        return self[f"line-{line_id}"]

    def receipt_lines(self) -> list[services.ReceiptLineData]:
        """What arrived, in the order's line order, lines with nothing left out."""
        quantities: list[tuple[int, Decimal | None]] = [
            (int(name.removeprefix("line-")), field.data)
            for name, field in self._fields.items()
            if name.startswith("line-")
        ]
        return [
            services.ReceiptLineData(line_id=line_id, quantity=quantity)
            for line_id, quantity in quantities
            if quantity is not None
        ]

    @staticmethod
    def error_fields(lines: list[services.ReceiptLineData]) -> dict[str, str]:
        """The receipt service names a line by its place in ``lines``; the page by its id."""
        return {
            f"lines.{index}.{part}": f"line-{item.line_id}"
            for index, item in enumerate(lines)
            for part in ("line_id", "quantity")
        }


def receive_form(order: PurchaseOrder, **kwargs: object) -> ReceiveForm:
    """The receipt form of ``order``: a quantity field ``line-<id>`` per order line."""

    class OrderReceiveForm(ReceiveForm):
        pass

    for line in order.lines:
        setattr(
            OrderReceiveForm,
            f"line-{line.id}",
            QuantityField(f"Quantity of line {line.position} received"),
        )
    return OrderReceiveForm(**kwargs)


class ActionForm(FlaskForm):
    comment = TextAreaField("Reason", validators=[Length(max=10_000)])
    version = HiddenField()
