"""The dossier's forms: identity and release (create, edit), and the list's GET filters.

Convictions and lifecycle transitions have their own modules (conviction_forms, transition_forms).
Required-ness of the lifecycle's facts is lifecycle.check's to decide, so its field messages are the
ones shown; these forms only parse and check formats.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, Regexp

from blueprints.returnees import facts, lifecycle
from blueprints.returnees.labels import (
    FACT_LABELS,
    NEED_LABELS,
    NEED_STATE_LABELS,
    RELEASE_KIND_LABELS,
    SEX_LABELS,
)
from blueprints.returnees.models import NEED_DOMAINS

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


# Browsers send ISO dates from <input type=date>; a typed dd/mm/yyyy is accepted as well.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
NATIONAL_ID = re.compile(r"^[0-9]{12}$")
PHONE = re.compile(r"^[0-9+() .-]{6,20}$")

IDENTITY_FIELDS = (
    "full_name", "other_names", "sex", "date_of_birth", "national_id", "ethnicity", "nationality", "hamlet",
    "address", "phone", "family_contacts",
)
RELEASE_FIELDS = (
    "release_kind", "prison", "notice_received_on", "expected_release_date", "residence_checked_on",
    "certificate_number", "certificate_date", "certificate_issuer", "release_date", "reporting_deadline",
    "pardon_decision", "pardon_round",
)
WORK_SESSION_FIELDS = ("reported_on", "work_session_minutes", "commitment_signed")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    value = strip(value)
    return value or None


def digits(value):
    """A personal ID as typed, with the spaces and dots people put between groups removed."""
    if not isinstance(value, str):
        return value
    return re.sub(r"[\s.]", "", value) or None


def choices(labels: dict, blank) -> list:
    return [choice("", blank)] + [choice(k, v) for k, v in labels.items()]


def date_field(label, validators=None, **kwargs):
    return DateField(label, format=DATE_FORMATS, validators=validators or [Optional()], **kwargs)


def not_in_future(form, field):
    if field.data and field.data > facts.today():
        raise ValidationError(_l("This date is in the future."))


def text(label, length):
    return StringField(label, filters=[blank_to_none], validators=[Optional(), Length(max=length)])


class ReturneeForm(FlaskForm):
    """Identity, release and needs: the fields a dossier keeps outside its lifecycle."""

    full_name = StringField(
        _l("Full name"), filters=[strip], validators=[DataRequired(_l("Enter the full name.")), Length(max=120)]
    )
    other_names = text(_l("Other names (aliases)"), 200)
    sex = SelectField(
        _l("Sex"), choices=choices(SEX_LABELS, _l("Choose")), validators=[DataRequired(_l("Choose the sex."))]
    )
    date_of_birth = DateField(
        _l("Date of birth"), format=DATE_FORMATS,
        validators=[DataRequired(_l("Enter the date of birth.")), not_in_future],
    )
    national_id = StringField(
        _l("Personal ID number"), filters=[digits],
        validators=[Optional(), Regexp(NATIONAL_ID, message=_l("A personal ID number has exactly 12 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    ethnicity = text(_l("Ethnicity"), 40)
    nationality = StringField(
        _l("Nationality"), filters=[strip], default="Việt Nam",
        validators=[DataRequired(_l("Enter the nationality.")), Length(max=60)],
    )
    hamlet = text(_l("Hamlet or residential group"), 120)
    address = text(_l("Address"), 255)
    phone = StringField(
        _l("Phone"), filters=[blank_to_none],
        validators=[Optional(), Regexp(PHONE, message=_l("Digits, spaces and + only, 6 to 20 characters."))],
        render_kw={"inputmode": "tel"},
    )
    family_contacts = TextAreaField(
        _l("Family contacts"), filters=[blank_to_none], validators=[Optional(), Length(max=2000)]
    )

    release_kind = SelectField(
        _l("Release kind"), choices=choices(RELEASE_KIND_LABELS, _l("Choose")),
        validators=[DataRequired(_l("Choose the release kind."))],
    )
    prison = text(_l("Prison or detention camp"), 160)
    notice_received_on = date_field(FACT_LABELS["notice_received_on"], validators=[Optional(), not_in_future])
    expected_release_date = date_field(_l("Expected release date"))
    residence_checked_on = date_field(_l("Residence checked on"), validators=[Optional(), not_in_future])
    certificate_number = text(_l("Certificate number"), 60)
    certificate_date = date_field(_l("Certificate date"), validators=[Optional(), not_in_future])
    certificate_issuer = text(_l("Issued by"), 160)
    release_date = date_field(FACT_LABELS["release_date"])
    reporting_deadline = date_field(FACT_LABELS["reporting_deadline"])
    pardon_decision = text(_l("Special pardon decision"), 60)
    pardon_round = text(_l("Special pardon round"), 60)

    def validate_reporting_deadline(self, field):
        if field.data and self.release_date.data and field.data < self.release_date.data:
            raise ValidationError(_l("The deadline to present is before the release date."))

    def validate_date_of_birth(self, field):
        if field.data and field.data.year < 1900:
            raise ValidationError(_l("Check the year of birth."))

    def need_fields(self):
        return [self[f"need_{domain}"] for domain in NEED_DOMAINS]

    def data_for(self, names) -> dict:
        return {name: self[name].data for name in names}

    def returnee_data(self) -> dict:
        """Identity and release values as the Returnee columns take them, plus `needs`."""
        values = self.data_for(IDENTITY_FIELDS + RELEASE_FIELDS)
        values["needs"] = {d: self[f"need_{d}"].data for d in NEED_DOMAINS if self[f"need_{d}"].data}
        return values

    def show_needs(self, needs: dict) -> None:
        for domain in NEED_DOMAINS:
            self[f"need_{domain}"].data = (needs or {}).get(domain, "")


# One select per need domain: "needs help", "no need" and "not assessed" are three distinct answers.
for _domain in NEED_DOMAINS:
    setattr(
        ReturneeForm, f"need_{_domain}",
        SelectField(NEED_LABELS[_domain], choices=choices(NEED_STATE_LABELS, _l("Not assessed")), default=""),
    )


class CreateForm(ReturneeForm):
    initial_status = SelectField(
        _l("Status on creation"),
        choices=[choice("", _l("Choose"))]
        + [choice(s, lifecycle.STATUS_LABELS[s]) for s in lifecycle.STATUSES if s in lifecycle.allowed(None)],
        validators=[DataRequired(_l("Choose the status."))],
    )
    reported_on = date_field(FACT_LABELS["reported_on"], validators=[Optional(), not_in_future])
    work_session_minutes = TextAreaField(
        FACT_LABELS["work_session_minutes"], filters=[blank_to_none], validators=[Optional(), Length(max=5000)]
    )
    commitment_signed = BooleanField(FACT_LABELS["commitment_signed"])
    confirm_distinct = BooleanField(_l("I checked: this is a different person, create the dossier anyway"))

    def facts(self) -> dict:
        """The facts the chosen status needs (lifecycle.REQUIRED_FACTS), from the fields of the form."""
        return {name: self[name].data for name in lifecycle.REQUIRED_FACTS[self.initial_status.data]}


class EditForm(ReturneeForm):
    # The version the officer started from (Returnee.version): a change saved meanwhile is not overwritten.
    version = HiddenField()


class FilterForm(FlaskForm):
    """Read from the query string; a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Name"), filters=[strip], validators=[Optional(), Length(max=80)])
    status = SelectField(_l("Status"), choices=choices(lifecycle.STATUS_LABELS, _l("All statuses")), default="")
    group = SelectField(_l("Group"), choices=choices(lifecycle.GROUP_LABELS, _l("All groups")), default="")
    release_kind = SelectField(
        _l("Release kind"), choices=choices(RELEASE_KIND_LABELS, _l("All kinds")), default=""
    )
    hamlet = SelectField(_l("Hamlet"), choices=[], default="", validate_choice=False)
    age = SelectField(
        _l("Age"), default="",
        choices=[choice("", _l("All ages")), choice("minor", _l("Minors (under 18)")),
                 choice("child", _l("Children (under 16)"))],
    )
    overdue = BooleanField(_l("Only overdue"))

    def values(self) -> dict:
        """The filters, with invalid ones dropped (their errors show next to them)."""
        self.validate()
        return {f.name: (None if f.errors else f.data) or None for f in self}
