"""Forms of the unit-level records: participating employers, outreach sessions, commendations.

Field names are the model's columns, so a valid form fills its row with `form.populate_obj`.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from blueprints.returnees.community import COMMENDATION_TARGETS, OUTREACH_FORMS

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


OUTREACH_FORM_LABELS = {
    "meeting": _l("Meeting"),
    "loudspeaker": _l("Loudspeaker broadcast"),
    "leaflet": _l("Leaflets and posters"),
    "social_media": _l("Social media"),
    "home_visit": _l("Home visit"),
    "other": _l("Other"),
}
COMMENDATION_TARGET_LABELS = {"person": _l("Person"), "collective": _l("Collective")}
ACTIVE_CHOICES = [choice("", _l("All")), choice("active", _l("Active")), choice("inactive", _l("Inactive"))]
# <input type=date> sends ISO; a typed dd/mm/yyyy is accepted as well.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
PHONE = r"^[0-9+() .-]{6,20}$"
DATE_MESSAGE = _l("Enter a date as dd/mm/yyyy.")


def _strip(value):
    """Trimmed text, and None for an empty field (optional columns stay NULL, not '')."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(label, max_length, required=False, **kwargs):
    validators = [DataRequired() if required else Optional(), Length(max=max_length)]
    return StringField(label, filters=[_strip], validators=validators + kwargs.pop("validators", []), **kwargs)


def _date(label):
    return DateField(label, format=DATE_FORMATS, validators=[InputRequired(DATE_MESSAGE)])


class EmployerForm(FlaskForm):
    name = _text(_l("Name"), 200, required=True)
    sector = _text(_l("Sector"), 120)
    contact_name = _text(_l("Contact person"), 120)
    phone = _text(
        _l("Phone"), 20, validators=[Regexp(PHONE, message=_l("Digits, spaces and + . - ( ) only."))],
        render_kw={"type": "tel", "autocomplete": "off"},
    )
    address = _text(_l("Address"), 255)
    offers = TextAreaField(
        _l("What it offers (jobs, training, places)"), filters=[_strip], validators=[Optional(), Length(max=4000)]
    )
    active = BooleanField(_l("Takes part now"), default=True)


class OutreachForm(FlaskForm):
    on = _date(_l("Date"))
    form = SelectField(
        _l("Form"), choices=[choice(k, OUTREACH_FORM_LABELS[k]) for k in OUTREACH_FORMS],
        validators=[DataRequired()],
    )
    topic = _text(_l("Topic"), 255, required=True)
    place = _text(_l("Place"), 160)
    participants = IntegerField(
        _l("Participants"), default=0,
        validators=[InputRequired(_l("Enter a number (0 if unknown).")),
                    NumberRange(min=0, max=1_000_000, message=_l("Enter a number from 0 to 1,000,000."))],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[Optional(), Length(max=4000)])


class CommendationForm(FlaskForm):
    on = _date(_l("Date"))
    target = SelectField(
        _l("Commended"), choices=[choice(k, COMMENDATION_TARGET_LABELS[k]) for k in COMMENDATION_TARGETS],
        validators=[DataRequired()],
    )
    name = _text(_l("Name of the person or collective"), 200, required=True)
    decision_number = _text(_l("Decision number"), 60)
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[Optional(), Length(max=4000)])


class FilterForm(FlaskForm):
    """Read from the query string (GET); a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False


class EmployerFilterForm(FilterForm):
    q = _text(_l("Name or sector"), 80)
    status = SelectField(_l("Status"), choices=ACTIVE_CHOICES, default="")


class YearFilterForm(FilterForm):
    year = IntegerField(
        _l("Year"), validators=[Optional(), NumberRange(min=2000, max=2100, message=_l("Enter a year."))],
        render_kw={"inputmode": "numeric"},
    )


def valid_filters(form: FilterForm) -> dict:
    """The filter values, with the invalid ones dropped (their errors are shown next to them)."""
    form.validate()
    return {field.name: (None if field.errors else field.data) or None for field in form}
