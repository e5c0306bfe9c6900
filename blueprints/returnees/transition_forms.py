"""One form per target status, asking exactly the facts lifecycle.REQUIRED_FACTS names for it.

The legal date of the event is the status's own date fact when it has one (the notice, the release,
the work session, the opening of the dossier, the closure decision); the other statuses ask for it.
Whether a fact is required is lifecycle.check's decision, so its messages are the ones shown.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.returnees import facts, lifecycle
from blueprints.returnees.forms import DATE_FORMATS, blank_to_none, choices, date_field, not_in_future
from blueprints.returnees.labels import FACT_LABELS

# Where the legal date of the event comes from; None: the form asks for it as `on`.
EVENT_DAY = {
    "expected": "notice_received_on",
    "released_not_reported": "release_date",
    "overdue": None,
    "received": "reported_on",
    "under_management": "dossier_opened_on",
    "in_custody": None,
    "transferring": None,
    "closed": "closure_decision_date",
}
# Dates of things that have happened; a deadline printed on a certificate may lie ahead.
PAST_DATES = {"notice_received_on", "reported_on", "dossier_opened_on", "closure_decision_date"}


def _fact_field(name: str):
    label = FACT_LABELS[name]
    if name in ("overdue_state", "group", "closure_ground"):
        labels = {
            "overdue_state": lifecycle.OVERDUE_LABELS,
            "group": lifecycle.GROUP_LABELS,
            "closure_ground": lifecycle.CLOSURE_LABELS,
        }[name]
        return SelectField(label, choices=choices(labels, _l("Choose")), default="")
    if name == "work_session_minutes":
        return TextAreaField(label, filters=[blank_to_none], validators=[Optional(), Length(max=5000)])
    if name == "commitment_signed":
        return BooleanField(label)
    if name == "closure_decision_number":
        return StringField(label, filters=[blank_to_none], validators=[Optional(), Length(max=60)])
    if name in PAST_DATES:
        return date_field(label, validators=[Optional(), not_in_future])
    return date_field(label)


class TransitionForm(FlaskForm):
    version = HiddenField()

    target: str = ""

    def facts(self) -> dict:
        return {name: self[name].data for name in lifecycle.REQUIRED_FACTS[self.target]}

    def event_day(self):
        source = EVENT_DAY[self.target]
        return self[source].data if source else self["on"].data

    def fact_fields(self):
        return [self[name] for name in lifecycle.REQUIRED_FACTS[self.target]]


_CLASSES: dict[str, type] = {}


def form_class(to: str) -> type:
    """The form class for target status `to` (built once per status)."""
    if to not in _CLASSES:
        fields = {name: _fact_field(name) for name in lifecycle.REQUIRED_FACTS[to]}
        if EVENT_DAY[to] is None:
            fields["on"] = DateField(
                _l("Date of the change"), format=DATE_FORMATS,
                validators=[DataRequired(_l("Enter the date.")), not_in_future],
                default=facts.today,
            )
        _CLASSES[to] = type(f"TransitionForm_{to}", (TransitionForm,), {"target": to, **fields})
    return _CLASSES[to]


def transition_form(to: str, **kwargs) -> TransitionForm:
    return form_class(to)(**kwargs)
