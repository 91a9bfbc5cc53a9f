"""The reports' filter form: a GET form, validated like any other."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from .. import reference
from ..extensions import db
from ..models import Vendor
from ..money import format_date
from .common import Dimension, Filters

SUGGESTED_VENDORS = 300
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2999, 12, 31)


class KnownChoice(SelectField):
    """A select whose refusal names the unknown value: "There is no department 'X'."."""

    def __init__(self, label: str, noun: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(label, validators=[Optional()], **kwargs)
        self.noun = noun

    def pre_validate(self, form: FlaskForm) -> None:
        if self.data in (None, ""):
            return
        if not any(choice.selected for choice in self.iter_choices()):
            raise ValidationError(f"There is no {self.noun} {self.data!r}.")


def _in_range(_form: FlaskForm, field: DateField) -> None:
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(
            f"Give a date between {format_date(EARLIEST)} and {format_date(LATEST)}."
        )


DATE_MESSAGE = "Give a date as YYYY-MM-DD."


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(
        "From", validators=[Optional(), _in_range], invalid_value_message=DATE_MESSAGE
    )
    end = DateField("To", validators=[Optional(), _in_range], invalid_value_message=DATE_MESSAGE)
    department = KnownChoice("Department", "department")
    category = KnownChoice("Category", "category")
    vendor = StringField("Vendor", validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.department.choices = [SelectChoice("", "Any department")] + [
            SelectChoice(d.code, f"{d.code} — {d.name}") for d in reference.list_departments()
        ]
        if self.category is not None:  # a report without categories removes the field
            self.category.choices = [SelectChoice("", "Any category")] + [
                SelectChoice(c.name, c.label) for c in reference.list_categories()
            ]
        # The names to suggest while typing, when there are few enough to list.
        names = list(
            db.session.scalars(
                sa.select(Vendor.name).order_by(Vendor.name_key).limit(SUGGESTED_VENDORS + 1)
            )
        )
        self.vendor_names = names if len(names) <= SUGGESTED_VENDORS else []
        self.vendor.render_kw = {"placeholder": "Name or number"}
        if self.vendor_names:
            self.vendor.render_kw.update({"list": "vendor-names", "autocomplete": "off"})
        self.vendor_id: int | None = None

    def validate_vendor(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if not text:
            return
        # A number is the vendor's (the report tables link by it), else its name.
        if text.isascii() and text.isdigit() and len(text) < 10:
            self.vendor_id = db.session.scalar(sa.select(Vendor.id).where(Vendor.id == int(text)))
        if self.vendor_id is None:
            self.vendor_id = db.session.scalar(
                sa.select(Vendor.id).where(Vendor.name_key == Vendor.fold(text))
            )
        if self.vendor_id is None:
            raise ValidationError(f"There is no vendor {text!r}.")

    def value(self, name: str):  # type: ignore[no-untyped-def]
        """The data of the filter ``name``; None for a filter this report does without."""
        field = self._fields.get(name)
        return None if field is None else field.data

    @property
    def dated(self) -> bool:
        """Whether the report has a date range (else it is of today)."""
        return "start" in self._fields

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date.")

    def check_names(self, names: set[str]) -> None:
        """Refuse parameters that are no filter of this report (a typo would otherwise
        show unfiltered figures as if filtered)."""
        known = set(self._fields)
        unknown = sorted(names - known)
        if unknown:
            self.form_errors.append(
                f"Unknown filter {', '.join(repr(u) for u in unknown)}; the filters are "
                f"{', '.join(sorted(known))}."
            )

    def filters(self) -> Filters:
        """The validated form as the services' filters (call after ``validate``)."""
        code = self.department.data
        department = reference.department_by_code(code) if code else None
        return Filters(
            date_from=self.value("start"),
            date_to=self.value("end"),
            department_id=department.id if department else None,
            category=self.value("category") or None,
            vendor_id=self.vendor_id,
        )

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        names = ("start", "end", "department", "category", "vendor")
        return any(self.value(name) not in (None, "") for name in names)


class SpendFilterForm(FilterForm):
    by = SelectField(
        "By",
        choices=[SelectChoice(d.value, d.label) for d in Dimension],
        default=Dimension.VENDOR.value,
        validate_choice=False,
    )

    def validate_by(self, field: SelectField) -> None:
        if field.data not in {d.value for d in Dimension}:
            raise ValidationError(
                f"There is no grouping {field.data!r}; group by "
                f"{', '.join(d.value for d in Dimension)}."
            )


class PaymentsFilterForm(FilterForm):
    """Payments in a date range, by department and vendor: no category (a payment
    settles a whole invoice, whatever its lines' categories)."""

    category = None


class PayablesFilterForm(PaymentsFilterForm):
    """What is owed today, by department and vendor: no date range."""

    start = None
    end = None
