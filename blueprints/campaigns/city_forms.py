"""The city's campaign form: the decisions, the city's plan, the units' deadline and the task template.

Dates are typed as they are printed on the decisions (dd/mm/yyyy; ISO is accepted too) in plain text
inputs, so a rejected form shows exactly what was typed. The task template is a list of rows without
script: the rows saved so far, then a few blank ones; a row whose text is emptied is dropped (by
`services.clean_template`), and "More rows" shows the form again with more blank rows.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from blueprints.campaigns.models import AGENCIES, AGENCY_LABELS, Campaign
from blueprints.campaigns.services import clean_template
from blueprints.returnees.forms import choice

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]  # the first is how a saved date is shown again
BLANK_ROWS = 3
MORE_ROWS = 5
MAX_ROWS = 80
FIELDS = (
    "name", "year", "round", "pardon_decision_number", "pardon_decision_date", "release_decision_number",
    "release_effective_on", "city_plan_number", "city_plan_date", "report_due_on",
)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def blank_to_none(value):
    return strip(value) or None


def day(label, required_message=None):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    return DateField(
        label, format=DATE_FORMATS, validators=validators, widget=TextInput(),
        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
    )


def _date_message(field) -> None:
    # WTForms' own message ("Not a valid date value.") says nothing of the expected form.
    if field.errors and field.raw_data and field.data is None and any(field.raw_data):
        field.errors[:] = [_l("Type the date as dd/mm/yyyy, e.g. 03/07/2025.")]


class TaskRow(Form):
    """One assignment of the template: the agency that carries it out and what it does."""

    agency = SelectField(_l("Agency"), choices=[choice(a, AGENCY_LABELS[a]) for a in AGENCIES], default=AGENCIES[0])
    text = TextAreaField(_l("Task"), filters=[strip], validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2})
    remove = BooleanField(_l("Remove"))


class CampaignForm(FlaskForm):
    name = StringField(_l("Name of the campaign"), filters=[strip],
                       validators=[DataRequired(_l("Enter the name of the campaign.")), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[DataRequired(_l("Enter the year.")), NumberRange(2000, 2100)])
    round = IntegerField(_l("Round"), default=1,
                         validators=[DataRequired(_l("Enter the round.")), NumberRange(1, 20)])
    pardon_decision_number = StringField(
        _l("President's decision on special pardon: number"), filters=[strip],
        validators=[DataRequired(_l("Enter the number of the President's decision.")), Length(max=60)],
        render_kw={"placeholder": "1244/QĐ-CTN"},
    )
    pardon_decision_date = day(_l("President's decision: date"), _l("Enter the date of the President's decision."))
    release_decision_number = StringField(
        _l("Release decision: number"), filters=[blank_to_none], validators=[Optional(), Length(max=60)],
        render_kw={"placeholder": "1693/QĐ-CTN"},
    )
    release_effective_on = day(_l("Release decision: effective on"))
    city_plan_number = StringField(_l("City plan: number"), filters=[blank_to_none],
                                   validators=[Optional(), Length(max=60)])
    city_plan_date = day(_l("City plan: date"))
    report_due_on = day(_l("Units' report deadline"), _l("Enter the date by which units report."))
    tasks = FieldList(FormField(TaskRow), min_entries=0, max_entries=MAX_ROWS)
    # The version the officer started from: a change saved meanwhile is not overwritten.
    version = HiddenField()

    def validate_release_effective_on(self, field):
        if field.data and self.pardon_decision_date.data and field.data < self.pardon_decision_date.data:
            raise ValidationError(_l("The release cannot take effect before the President's decision."))

    def validate_report_due_on(self, field):
        if not field.data:
            return
        if self.release_effective_on.data and field.data < self.release_effective_on.data:
            raise ValidationError(_l("The deadline cannot be before the release takes effect."))
        if self.pardon_decision_date.data and field.data < self.pardon_decision_date.data:
            raise ValidationError(_l("The deadline cannot be before the President's decision."))

    def validate_release_decision_number(self, field):
        typed = any((raw or "").strip() for raw in (self.release_effective_on.raw_data or []))
        if bool(field.data) != typed:
            raise ValidationError(_l("Enter both the number of the release decision and its effective date."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name in ("pardon_decision_date", "release_effective_on", "city_plan_date", "report_due_on"):
            _date_message(self[name])
        if not self.template():
            self.form_errors.append(_l("Keep at least one task with some text."))
            ok = False
        return ok

    # --- The task rows ----------------------------------------------------------------------------

    def template(self) -> list[dict]:
        """The rows as they will be saved: not removed, with text, in order."""
        rows = [{"agency": e.agency.data, "text": e.text.data} for e in self.tasks if not e.remove.data]
        return clean_template(rows)

    def show_rows(self, rows: list[dict], blanks: int = BLANK_ROWS) -> None:
        """Fill the rows with `rows` then `blanks` empty ones (GET, or after "More rows")."""
        while len(self.tasks):
            self.tasks.pop_entry()
        for row in rows[: MAX_ROWS - blanks] + [{"agency": AGENCIES[0], "text": ""}] * blanks:
            self.tasks.append_entry({"agency": row["agency"], "text": row["text"], "remove": False})

    def campaign_data(self) -> dict:
        return {name: self[name].data for name in FIELDS}

    @classmethod
    def of(cls, campaign: Campaign) -> "CampaignForm":
        form = cls(obj=campaign)
        form.version.data = campaign.version
        form.show_rows(list(campaign.task_template or []))
        return form
