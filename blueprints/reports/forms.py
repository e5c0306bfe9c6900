"""The unit report pages' forms: opening the report of a period, the free-text sections (with the
version they were read at), and the leader's return with a reason.

The period a user asks for is checked here, against the kind chosen, so a bad one is refused next to
the field with what was typed kept."""

from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.reports import periods
from blueprints.reports.models import SECTION_LABELS, SECTIONS
from blueprints.reports.services import MAX_SECTION
from blueprints.returnees.forms import choice

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
MAX_REASON = 2000
EXAMPLES = {"month": "2026-09", "quarter": "2026-Q3", "half": "2026-H1", "year": "2026"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def just_ended(today: date) -> dict[str, periods.Period]:
    """The period of each regular kind that ended most recently (what a unit reports on next)."""
    return {kind: periods.containing(kind, today).previous() for kind in EXAMPLES}


class OpenForm(FlaskForm):
    kind = SelectField(_l("Kind of report"), choices=[choice(k, periods.KIND_LABELS[k]) for k in periods.KINDS])
    period = StringField(_l("Reporting period"), filters=[_strip], validators=[Length(max=24)])
    start = DateField(_l("From"), format=DATE_FORMATS, validators=[Optional()])
    end = DateField(_l("To"), format=DATE_FORMATS, validators=[Optional()])
    title = StringField(_l("Title (ad hoc report)"), filters=[_strip], validators=[Optional(), Length(max=200)])

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.chosen: periods.Period | None = None

    def fill_defaults(self) -> None:
        """On a fresh page: the month just ended, the most frequent report (monthly statistics)."""
        self.kind.data = "month"
        self.period.data = just_ended(self.today)["month"].key

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            self.chosen = self._period()
        except periods.BadPeriod as exc:
            target = self.start if self.kind.data == "adhoc" else self.period
            target.errors = [*target.errors, str(exc)]
            return False
        if self.chosen.start > self.today:
            target = self.start if self.kind.data == "adhoc" else self.period
            target.errors = [*target.errors, gettext("This period has not begun yet.")]
            return False
        return True

    def _period(self) -> periods.Period:
        kind = self.kind.data
        if kind == "adhoc":
            if self.start.data is None or self.end.data is None:
                raise periods.BadPeriod(gettext("Give the first and the last day of an ad hoc period."))
            return periods.adhoc(self.start.data, self.end.data)
        period = periods.parse(self.period.data)
        if period.kind != kind:
            raise periods.BadPeriod(gettext(
                "Write a period of the kind chosen, for example %(example)s.", example=EXAMPLES[kind]
            ))
        return period


class SectionsForm(FlaskForm):
    """The four free-text sections; `version` is the report's version when the page was read."""

    version = HiddenField()
    situation = TextAreaField(SECTION_LABELS["situation"], filters=[_strip], validators=[Length(max=MAX_SECTION)])
    results = TextAreaField(SECTION_LABELS["results"], filters=[_strip], validators=[Length(max=MAX_SECTION)])
    shortcomings = TextAreaField(
        SECTION_LABELS["shortcomings"], filters=[_strip], validators=[Length(max=MAX_SECTION)]
    )
    proposals = TextAreaField(SECTION_LABELS["proposals"], filters=[_strip], validators=[Length(max=MAX_SECTION)])

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in SECTIONS}


class ReturnForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(
        _l("Reason for returning the report"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Say why the report is returned.")),
            Length(max=MAX_REASON, message=_l("At most %(max)d characters.")),
        ],
    )


class ActionForm(FlaskForm):
    """Submit and approve: only the version the user saw (an action on a report that changed since
    the page was read is refused)."""

    version = HiddenField()
