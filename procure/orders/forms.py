"""The order forms, and how the receipt form reads a quantity per order line."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ..assets import intake
from ..models import PurchaseOrder
from ..money import MoneyError, parse_quantity
from . import services

SERIALS_HELP = "Serial numbers — one per line, or scan them; add a tag after a comma."
MAX_UNIT_ROWS = 10_000


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


class SerialsField(TextAreaField):
    """The units of a hardware line as the receiver types or scans them: one per line,
    ``SERIAL`` or ``SERIAL, TAG`` (or ``, TAG`` for a unit without a serial). ``rows``
    holds ``(serial, tag)`` pairs, those with both first: the receipt gives a line's
    units its serials and its tags each in order, so a pair stays one asset."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[str, str]] = []

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        self.rows = []
        typed = [row.strip() for row in (self.data or "").splitlines() if row.strip()]
        if len(typed) > MAX_UNIT_ROWS:
            raise ValueError(f"At most {MAX_UNIT_ROWS:,} rows at once.")
        rows = []
        for row in typed:
            serial, _comma, tag = row.partition(",")
            rows.append((serial.strip(), tag.strip()))
        both = [row for row in rows if row[0] and row[1]]
        serial_only = [row for row in rows if row[0] and not row[1]]
        tag_only = [row for row in rows if row[1] and not row[0]]
        if serial_only and tag_only:
            raise ValueError(
                "Some rows have only a serial and others only a tag: the receipt would pair "
                "them up. Give both on a row, or add the tags later on the assets."
            )
        self.rows = both + serial_only + tag_only

    def _value(self) -> str:
        return self.data or ""


class ReceiveForm(FlaskForm):
    received_on = DateField("Received on", validators=[Optional()])
    note = StringField("Note", validators=[Length(max=10_000)])
    version = HiddenField()
    submit = SubmitField("Record receipt")

    def line_field(self, line_id: int) -> QuantityField:
        return self[f"line-{line_id}"]

    def serials_field(self, line_id: int) -> SerialsField | None:
        """The serial numbers of a hardware line (None for a line of another kind)."""
        return self._fields.get(f"serials-{line_id}")

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        for name, field in self._fields.items():
            if not name.startswith("serials-") or not field.rows:
                continue
            if self[f"line-{name.removeprefix('serials-')}"].data is None:
                field.errors = [*field.errors, "Say how many units arrived."]
                valid = False
        return valid

    def receipt_lines(self) -> list[services.ReceiptLineData]:
        """What arrived, in the order's line order, lines with nothing left out."""
        quantities: list[tuple[int, Decimal | None]] = [
            (int(name.removeprefix("line-")), field.data)
            for name, field in self._fields.items()
            if name.startswith("line-")
        ]
        lines = []
        for line_id, quantity in quantities:
            if quantity is None:
                continue
            units = self.serials_field(line_id)
            rows = units.rows if units is not None else []
            lines.append(
                services.ReceiptLineData(
                    line_id=line_id,
                    quantity=quantity,
                    serials=[serial for serial, _tag in rows],
                    tags=[tag for _serial, tag in rows],
                )
            )
        return lines

    @staticmethod
    def error_fields(lines: list[services.ReceiptLineData]) -> dict[str, str]:
        """The receipt service names a line by its place in ``lines``; the page by its id."""
        names = {
            f"lines.{index}.{part}": f"line-{item.line_id}"
            for index, item in enumerate(lines)
            for part in ("line_id", "quantity")
        }
        names.update(
            (f"lines.{index}.{part}", f"serials-{item.line_id}")
            for index, item in enumerate(lines)
            for part in ("serials", "tags")
        )
        return names


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
        if intake.kind(line) == "asset":
            setattr(
                OrderReceiveForm,
                f"serials-{line.id}",
                SerialsField(
                    f"Serial numbers of line {line.position}",
                    description=SERIALS_HELP,
                    validators=[Length(max=1_000_000)],
                ),
            )
    return OrderReceiveForm(**kwargs)


class ActionForm(FlaskForm):
    comment = TextAreaField("Reason", validators=[Length(max=10_000)])
    version = HiddenField()
