"""Forms of the breach register: the record itself, and the notification sent to the authority.

Moments are typed in Hải Phòng time as dd/mm/yyyy hh:mm in plain text inputs (so a rejected form
shows exactly what was typed; the ISO form of a datetime-local input is accepted too) and stored as
naive UTC like every other timestamp of the app: `LocalDateTimeField` converts both ways.
"""

from datetime import datetime

from flask_babel import gettext, to_utc
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import TextInput

from blueprints.admin.forms import _strip, choice
from portal.auth.sessions import utcnow
from portal.i18n import local_moment

FORMATS = ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]  # the first is how a saved moment is shown
MAX_TEXT = 10_000
MAX_PEOPLE = 10_000_000
TOO_LONG = _l("At most %(max)d characters.")
FIELDS = (
    "title", "description", "occurred_at", "detected_at", "people_count", "data_categories", "actions",
    "notified_at", "notification_reference",
)


class LocalDateTimeField(DateTimeField):
    """A moment typed in local time; `data` is naive UTC, None when left blank (a required moment
    says so with InputRequired, so a mistyped one gets one message, not two)."""

    widget = TextInput()

    def __init__(self, label, validators=None, **kwargs):
        render_kw = {"placeholder": "dd/mm/yyyy hh:mm", "inputmode": "numeric", "autocomplete": "off"}
        super().__init__(label, validators, format=FORMATS, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return local_moment(self.data).strftime(FORMATS[0]) if self.data else ""

    def process_formdata(self, valuelist):
        typed = " ".join(valuelist).strip()
        self.data = None
        if not typed:
            return
        for pattern in FORMATS:
            try:
                self.data = to_utc(datetime.strptime(typed, pattern))
                return
            except ValueError:
                continue
        # WTForms' own message ("Not a valid datetime value.") says nothing of the expected form.
        raise ValueError(gettext("Type the date and time as dd/mm/yyyy hh:mm, e.g. 25/11/2026 14:30."))


class CountField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(gettext("Enter a whole number.")) from None


def _not_in_future(field) -> None:
    if field.data and field.data > utcnow():
        raise ValidationError(_l("This moment is in the future."))


def _text(label):
    return TextAreaField(label, filters=[_strip], validators=[Length(max=MAX_TEXT, message=TOO_LONG)],
                         render_kw={"rows": 3})


class VersionForm(FlaskForm):
    """The version the administrator started from: a change saved meanwhile is not overwritten.
    Alone, it is the form of the close and reopen buttons."""

    version = HiddenField()


class NotificationForm(VersionForm):
    """When the authority was notified and the number of the dispatch: both, or (on the record's own
    form) neither."""

    required = False
    notified_at = LocalDateTimeField(_l("Authority notified at"))
    notification_reference = StringField(
        _l("Notification dispatch: number and reference"), filters=[_strip],
        validators=[Length(max=120, message=TOO_LONG)], render_kw={"placeholder": "123/CAHP-PV01"},
    )

    def detected(self) -> datetime | None:
        raise NotImplementedError

    def validate_notified_at(self, field):
        _not_in_future(field)
        detected = self.detected()
        if field.data and detected and field.data < detected:
            raise ValidationError(_l("The authority cannot have been notified before the breach was detected."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        when, reference = self.notified_at, self.notification_reference
        if (reference.data or self.required) and not when.data and not when.errors:
            when.errors.append(_l("Enter when the notification was sent."))
            ok = False
        if (when.data or self.required) and not reference.data and not reference.errors:
            reference.errors.append(_l("Enter the number of the notification dispatch."))
            ok = False
        return ok


class BreachForm(NotificationForm):
    title = StringField(
        _l("Title"), filters=[_strip],
        validators=[DataRequired(_l("Enter a short title.")), Length(max=200, message=TOO_LONG)],
    )
    description = _text(_l("What happened"))
    occurred_at = LocalDateTimeField(_l("Occurred at (if known)"))
    detected_at = LocalDateTimeField(_l("Detected at"), [InputRequired(_l("Enter when the breach was detected."))])
    # Choices (every unit, by name) are set per request by the view, through `offer_units`.
    units = SelectMultipleField(_l("Affected units"), choices=[], validate_choice=False, render_kw={"size": 8})
    people_count = CountField(
        _l("Number of people affected"),
        validators=[InputRequired(_l("Enter the number of people affected; an estimate can be corrected later.")),
                    NumberRange(0, MAX_PEOPLE, message=_l("Enter a number from 0 to 10,000,000."))],
        render_kw={"inputmode": "numeric"},
    )
    data_categories = _text(_l("Categories of personal data"))
    actions = _text(_l("Actions taken"))

    def detected(self):
        return self.detected_at.data

    def validate_detected_at(self, field):
        _not_in_future(field)

    def validate_occurred_at(self, field):
        _not_in_future(field)
        if field.data and self.detected_at.data and field.data > self.detected_at.data:
            raise ValidationError(_l("A breach cannot be detected before it occurred."))

    def offer_units(self, units) -> None:
        self.units.choices = [choice(t.slug, t.name) for t in units]
        self._slugs = {t.slug: t for t in units}

    def validate_units(self, field):
        # WTForms' own check would answer in English; an unknown unit is refused here instead.
        if any(slug not in self._slugs for slug in field.data or ()):
            raise ValidationError(_l("Choose the units from the list."))

    def chosen_units(self) -> list:
        return [self._slugs[slug] for slug in dict.fromkeys(self.units.data or ())]

    def record_data(self) -> dict:
        return {name: self[name].data for name in FIELDS}

    @classmethod
    def of(cls, record) -> "BreachForm":
        form = cls(formdata=None, obj=record)
        form.units.data = [t.slug for t in record.units]
        return form


class NotifyForm(NotificationForm):
    """Marking a record notified: both fields are required."""

    required = True

    def __init__(self, *args, detected_at: datetime, **kwargs):
        # Its fields share names with the record's form on the same page: the prefix keeps ids unique.
        super().__init__(*args, prefix="notify", **kwargs)
        self._detected = detected_at

    def detected(self):
        return self._detected
