"""The forms of an order after issue: a revision (a row per line, empty rows for new
lines), a return (a quantity per received line) and a receipt's reversal. Each reads
what a person typed into the services' data and names the service's fields
(``lines.2.quantity``) by the form's (``line-7-quantity``)."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..models import PurchaseOrder
from ..money import MoneyError, parse_money, parse_quantity
from .forms import QuantityField
from .proposals import LineChange, RevisionData
from .returns import ReturnLineData

TEXT_MAX = 10_000
NEW_ROWS = 3
GIVE_REASON = "Give the reason."  # as the services say it
LINE_PARTS = ("description", "quantity", "unit_price")
NEW_PARTS = ("description", "quantity", "unit", "unit_price")


def _sentence(subject: str, exc: MoneyError) -> str:
    """Money's message as a sentence: "must be a number" has its subject put first,
    "an amount may have at most 2 decimal places" is one already."""
    words = str(exc)
    if words.startswith("must"):
        return f"{subject} {words}."
    return f"{words[:1].upper()}{words[1:]}."


class AmountField(StringField):
    """An amount in the order's currency; empty is None."""

    def __init__(self, label: str | None = None, currency: str | None = None, **kwargs):
        super().__init__(label, **kwargs)
        self.currency = currency

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        raw = (self.data or "").strip()
        self.data = None
        if raw:
            try:
                self.data = parse_money(raw, currency=self.currency)
            except MoneyError as exc:
                raise ValueError(_sentence("The amount", exc)) from exc

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


class RevisionQuantityField(StringField):
    """A line's quantity in a revision: zero removes the line; empty is None."""

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        raw = (self.data or "").strip()
        self.data = None
        if raw:
            try:
                self.data = parse_quantity(raw, allow_zero=True)
            except MoneyError as exc:
                raise ValueError(_sentence("The quantity", exc)) from exc

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{Decimal(self.data).normalize():f}"


def _changed(value, before):  # type: ignore[no-untyped-def]
    return None if value is None or value == before else value


def _text(value: str | None) -> str:
    """A text area as the service stores it: one kind of line break, no edges."""
    return (value or "").replace("\r\n", "\n").strip()


class RevisionForm(FlaskForm):
    needed_by = DateField("Needed by", validators=[Optional()])
    delivery_address = TextAreaField(
        "Delivery address",
        validators=[Length(max=TEXT_MAX)],
        description="Empty: the organisation's address.",
    )
    payment_terms = StringField("Payment terms", validators=[Length(max=200)])
    terms = TextAreaField("Terms", validators=[Length(max=TEXT_MAX)])
    reason = TextAreaField(
        "Reason for the revision",
        validators=[DataRequired(GIVE_REASON), Length(max=TEXT_MAX)],
        description="Required. The vendor reads it on the change order.",
    )
    version = HiddenField()
    submit = SubmitField("Issue the revision")

    def line(self, line_id: int, part: str):  # type: ignore[no-untyped-def]
        return self[f"line-{line_id}-{part}"]

    def new(self, row: int, part: str):  # type: ignore[no-untyped-def]
        return self[f"new-{row}-{part}"]

    def revision_data(self, order: PurchaseOrder) -> tuple[RevisionData, dict[str, str]]:
        """What the revision changes (what is typed as it was is left out), and the
        form field of each of the service's field names."""
        changes: list[LineChange] = []
        aliases: dict[str, str] = {}
        for line in order.lines:
            description = _text(self.line(line.id, "description").data)
            change = LineChange(
                line_id=line.id,
                description=_changed(description or None, line.description),
                quantity=_changed(self.line(line.id, "quantity").data, line.quantity),
                unit_price=_changed(self.line(line.id, "unit_price").data, line.unit_price),
            )
            if change.description or change.quantity is not None or change.unit_price is not None:
                index = len(changes)
                changes.append(change)
                for part in LINE_PARTS:
                    aliases[f"lines.{index}.{part}"] = f"line-{line.id}-{part}"
                aliases[f"lines.{index}.line_id"] = f"line-{line.id}-quantity"
                aliases[f"lines.{index}.unit"] = f"line-{line.id}-description"
        for row in range(1, NEW_ROWS + 1):
            description = _text(self.new(row, "description").data)
            unit = _text(self.new(row, "unit").data)
            quantity, price = self.new(row, "quantity").data, self.new(row, "unit_price").data
            if not (description or quantity is not None or price is not None):
                continue
            index = len(changes)
            changes.append(LineChange(None, description, quantity, price, unit or None))
            for part in NEW_PARTS:
                aliases[f"lines.{index}.{part}"] = f"new-{row}-{part}"
        data = RevisionData(
            reason=self.reason.data or "",
            lines=changes,
            shipping=_changed(self.shipping.data, order.shipping),
            tax=_changed(self.tax.data, order.tax),
            needed_by=_changed(self.needed_by.data, order.needed_by),
            delivery_address=_changed(
                _text(self.delivery_address.data), _text(order.delivery_address)
            ),
            terms=_changed(_text(self.terms.data), _text(order.terms)),
            payment_terms=_changed(_text(self.payment_terms.data), _text(order.payment_terms)),
        )
        return data, aliases


def revision_form(order: PurchaseOrder, *, initial: bool = False) -> RevisionForm:
    """The revision form of ``order``: ``line-<id>-description|quantity|unit_price`` per
    line, ``new-<n>-description|quantity|unit|unit_price`` for new lines; ``initial``
    fills it with the order as it stands."""
    currency = order.currency

    class OrderRevisionForm(RevisionForm):
        shipping = AmountField("Shipping", currency=currency)
        tax = AmountField("Tax", currency=currency)

    for line in order.lines:
        name = f"line-{line.id}"
        setattr(
            OrderRevisionForm,
            f"{name}-description",
            StringField(
                f"Description of line {line.position}",
                validators=[DataRequired("A line keeps a description."), Length(max=TEXT_MAX)],
            ),
        )
        setattr(
            OrderRevisionForm,
            f"{name}-quantity",
            RevisionQuantityField(f"Quantity of line {line.position}"),
        )
        setattr(
            OrderRevisionForm,
            f"{name}-unit_price",
            AmountField(f"Unit price of line {line.position}", currency=currency),
        )
    for row in range(1, NEW_ROWS + 1):
        name = f"new-{row}"
        setattr(
            OrderRevisionForm,
            f"{name}-description",
            StringField(f"Description of new line {row}", validators=[Length(max=TEXT_MAX)]),
        )
        setattr(
            OrderRevisionForm,
            f"{name}-quantity",
            RevisionQuantityField(f"Quantity of new line {row}"),
        )
        setattr(
            OrderRevisionForm,
            f"{name}-unit",
            StringField(f"Unit of new line {row}", validators=[Length(max=200)]),
        )
        setattr(
            OrderRevisionForm,
            f"{name}-unit_price",
            AmountField(f"Unit price of new line {row}", currency=currency),
        )
    if not initial:
        return OrderRevisionForm()
    data: dict[str, object] = {
        "shipping": order.shipping,
        "tax": order.tax,
        "needed_by": order.needed_by,
        "delivery_address": order.delivery_address,
        "payment_terms": order.payment_terms,
        "terms": order.terms,
        "version": order.version,
    }
    for line in order.lines:
        data[f"line-{line.id}-description"] = line.description
        data[f"line-{line.id}-quantity"] = line.quantity
        data[f"line-{line.id}-unit_price"] = line.unit_price
    return OrderRevisionForm(formdata=None, data=data)


class ReturnForm(FlaskForm):
    returned_on = DateField("Returned on", validators=[Optional()])
    rma = StringField(
        "RMA number",
        validators=[Length(max=100)],
        description="The vendor's return authorisation, if it gave one.",
    )
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(GIVE_REASON), Length(max=TEXT_MAX)],
        description="Required: why the goods go back.",
    )
    version = HiddenField()
    submit = SubmitField("Record the return")

    def line_field(self, line_id: int) -> QuantityField:
        return self[f"line-{line_id}"]

    def return_lines(self) -> list[ReturnLineData]:
        return [
            ReturnLineData(line_id=int(name.removeprefix("line-")), quantity=field.data)
            for name, field in self._fields.items()
            if name.startswith("line-") and field.data is not None
        ]

    @staticmethod
    def error_fields(lines: list[ReturnLineData]) -> dict[str, str]:
        return {
            f"lines.{index}.{part}": f"line-{item.line_id}"
            for index, item in enumerate(lines)
            for part in ("line_id", "quantity")
        }


def return_form(order: PurchaseOrder, **kwargs: object) -> ReturnForm:
    """A quantity field ``line-<id>`` per line with something received."""

    class OrderReturnForm(ReturnForm):
        pass

    for line in order.lines:
        if line.received_quantity > 0:
            setattr(
                OrderReturnForm,
                f"line-{line.id}",
                QuantityField(f"Quantity of line {line.position} to send back"),
            )
    return OrderReturnForm(**kwargs)


class ReverseForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=TEXT_MAX)],
        description="Required: what was wrong with the receipt.",
    )
    version = HiddenField()
    submit = SubmitField("Reverse the receipt")
