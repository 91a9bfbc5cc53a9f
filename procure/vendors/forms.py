"""The vendor pages' forms. They read and render; the rules live in the services,
whose errors are put beside the fields (no second set of rules here)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from ..admin.forms import MultiCheckboxField
from ..models import VendorStatus
from .services import DOCUMENT_KINDS, MAX_CONTACTS

RATING_CHOICES = [SelectChoice("", "No rating")] + [
    SelectChoice(str(n), f"{n} of 5") for n in range(1, 6)
]


class ContactForm(Form):
    name = StringField("Name")
    title = StringField("Title")
    email = StringField("E-mail")
    phone = StringField("Phone")
    is_primary = BooleanField("Primary contact")


class VendorForm(FlaskForm):
    name = StringField("Name", description="As the vendor is known; must be unique.")
    legal_name = StringField("Legal name", description="As on invoices and contracts.")
    tax_id = StringField("Tax id")
    website = StringField("Website", description="https://…")
    email = StringField("E-mail", description="Where requests for quotation go.")
    phone = StringField("Phone")
    address = TextAreaField("Address")
    categories = MultiCheckboxField("Categories", validate_choice=False)
    rating = SelectField("Rating", choices=RATING_CHOICES, validate_choice=False)
    notes = TextAreaField("Notes")
    contacts = FieldList(FormField(ContactForm), min_entries=1, max_entries=MAX_CONTACTS)
    version = HiddenField()
    add_contact = SubmitField("Add a contact")
    save = SubmitField("Save vendor")


class ActionForm(FlaskForm):
    comment = TextAreaField("Comment")
    version = HiddenField()


class DocumentForm(FlaskForm):
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(k, label) for k, label in DOCUMENT_KINDS.items()],
        validate_choice=False,
    )
    title = StringField("Title", description="Defaults to the kind.")
    expires_on = DateField("Expires on", validators=[Optional()])
    file = FileField("File", description="PDF, PNG or JPEG.")
    submit = SubmitField("Upload document")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        description="UTF-8, with a header row. Only 'name' is required; the other columns "
        "are legal_name, tax_id, email, phone, website, address, categories (separated by ';'), "
        "rating, notes, contact_name, contact_title, contact_email, contact_phone.",
    )
    submit = SubmitField("Check and import")


class RequiredDocumentsForm(FlaskForm):
    kinds = MultiCheckboxField(
        "Required documents",
        choices=[SelectChoice(k, label) for k, label in DOCUMENT_KINDS.items()],
        validate_choice=False,
    )
    submit = SubmitField("Save")


class ListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Name")
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(s.value, s.value.capitalize()) for s in VendorStatus],
        validators=[Optional()],
    )
    category = SelectField("Category", validators=[Optional()])
    flagged = SelectField(
        "Documents",
        choices=[
            SelectChoice("", "Any"),
            SelectChoice("1", "Flagged"),
            SelectChoice("0", "In order"),
        ],
        validators=[Optional()],
    )
