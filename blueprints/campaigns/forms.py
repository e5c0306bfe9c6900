"""The unit's campaign forms: the plan with its task rows, one task's progress, an expected person,
an arrival, a loan list and its entries.

The person and arrival forms reuse the dossier's own fields (blueprints/returnees/forms.py,
transition_forms.py), so a campaign entry is checked exactly like the dossier pages check it.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields import FieldList, FormField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import TextInput

from blueprints.campaigns.models import AGENCY_LABELS
from blueprints.returnees.forms import CreateForm, ReturneeForm, blank_to_none, choice, choices, date_field, strip
from blueprints.returnees.labels import FACT_LABELS
from blueprints.returnees.transition_forms import form_class

TASK_STATE_LABELS = {"todo": _l("Not started"), "in_progress": _l("In progress"), "done": _l("Done")}
PLAN_STATUS_LABELS = {"draft": _l("Draft"), "issued": _l("Issued")}
LOAN_PURPOSE_LABELS = {"business": _l("Production and business"), "training": _l("Vocational training")}
LIST_STATUS_LABELS = {"draft": _l("Draft"), "certified": _l("Certified")}
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MAX_TERM_MONTHS = 120  # Decision 22/2023, Art. 8: production and business loans up to 120 months
MAX_AMOUNT = 10**10


def text_field(label, length):
    return StringField(label, filters=[blank_to_none], validators=[Optional(), Length(max=length)])


def long_text(label, length=20000):
    return TextAreaField(label, filters=[blank_to_none], validators=[Optional(), Length(max=length)])


# --- The plan ----------------------------------------------------------------------------------------


class TaskRow(Form):
    """One row of the plan's tasks (no CSRF of its own: it travels inside the plan form)."""

    id = HiddenField(filters=[blank_to_none])
    agency = SelectField(_l("Agency"), choices=choices(AGENCY_LABELS, _l("Choose")), default="")
    # No Optional(): it would stop the chain before validate_text, which decides when empty is wrong.
    text = TextAreaField(_l("Task"), filters=[blank_to_none], validators=[Length(max=2000)])
    due_on = date_field(_l("Due by"))
    status = SelectField(_l("Status"), choices=[choice(k, v) for k, v in TASK_STATE_LABELS.items()], default="todo")
    note = TextAreaField(_l("Notes"), filters=[blank_to_none], validators=[Optional(), Length(max=2000)])
    remove = BooleanField(_l("Remove this task"))

    def validate_text(self, field):
        if self.id.data and not self.remove.data and not field.data:
            raise ValidationError(_l("Write the task, or tick “Remove this task”."))

    def validate_agency(self, field):
        if self.text.data and not field.data:
            raise ValidationError(_l("Choose the agency in charge."))


class PlanForm(FlaskForm):
    # The version the officer started from (UnitPlan.version): a change saved meanwhile is not overwritten.
    version = HiddenField()
    number = text_field(_l("Number and symbol"), 60)
    signed_on = date_field(_l("Date of the plan"))
    place = text_field(_l("Place"), 120)
    signer_name = text_field(_l("Signer's name"), 120)
    signer_title = text_field(_l("Signer's title"), 120)
    purpose = long_text(_l("I. Purpose and requirements"))
    content = long_text(_l("II. Content"))
    organisation = long_text(_l("IV. Organisation of the work"))
    recipients = long_text(_l("Recipients (one per line)"), 4000)
    tasks = FieldList(FormField(TaskRow), min_entries=0, max_entries=200)

    PLAN_FIELDS = ("number", "signed_on", "place", "signer_name", "signer_title", "purpose", "content",
                   "organisation", "recipients")

    def plan_data(self) -> dict:
        return {name: self[name].data for name in self.PLAN_FIELDS}

    def task_rows(self) -> list[dict]:
        """The rows as typed, blank new rows left out (an "add a row" that was not filled in)."""
        rows = []
        for entry in self.tasks:
            row = {name: entry.form[name].data for name in ("id", "agency", "text", "due_on", "status", "note",
                                                           "remove")}
            if row["id"] is None and not row["text"]:
                continue
            rows.append(row)
        return rows


class TaskUpdateForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[choice(k, v) for k, v in TASK_STATE_LABELS.items()])
    note = TextAreaField(_l("Notes"), filters=[blank_to_none], validators=[Optional(), Length(max=2000)])


class VersionForm(FlaskForm):
    """A button that acts on what the page showed (issuing the plan, certifying a list)."""

    version = HiddenField()


# --- People ------------------------------------------------------------------------------------------


class PersonForm(FlaskForm):
    """An expected pardon recipient, from the prison's notice: the dossier form's own fields."""

    full_name = ReturneeForm.full_name
    sex = ReturneeForm.sex
    date_of_birth = ReturneeForm.date_of_birth
    national_id = ReturneeForm.national_id
    hamlet = ReturneeForm.hamlet
    address = ReturneeForm.address
    prison = ReturneeForm.prison
    notice_received_on = ReturneeForm.notice_received_on
    expected_release_date = ReturneeForm.expected_release_date
    confirm_distinct = CreateForm.confirm_distinct
    validate_date_of_birth = ReturneeForm.validate_date_of_birth

    FIELDS = ("full_name", "sex", "date_of_birth", "national_id", "hamlet", "address", "prison",
              "notice_received_on", "expected_release_date")

    def person_data(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class ArrivalForm(form_class("received")):
    """The work session of the lifecycle's `received` step, plus the release on the pardon certificate:
    the 5-year loan window and "presented on time" count from it."""

    release_date = date_field(FACT_LABELS["release_date"])
    reporting_deadline = date_field(FACT_LABELS["reporting_deadline"])

    def validate_reporting_deadline(self, field):
        if field.data and self.release_date.data and field.data < self.release_date.data:
            raise ValidationError(_l("The deadline to present is before the release date."))
        if field.data and not self.release_date.data:
            raise ValidationError(_l("Give the release date as well."))


class ImportForm(FlaskForm):
    pass  # the file comes in request.files; the form carries the CSRF token


# --- Loan lists --------------------------------------------------------------------------------------


class MoneyField(IntegerField):
    """An amount in VND as people type it: 50.000.000, 50 000 000 ₫ or 50000000."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [re.sub(r"[\s.,₫đ]", "", valuelist[0] or "")]
        super().process_formdata(valuelist)


class LoanListForm(FlaskForm):
    month = StringField(
        _l("Month"), filters=[strip],
        validators=[DataRequired(_l("Choose the month.")), Regexp(MONTH, message=_l("A month as YYYY-MM."))],
        render_kw={"type": "month"},
    )
    campaign_id = SelectField(_l("Campaign"), choices=[], default="", validate_choice=False)


class LoanEntryForm(FlaskForm):
    returnee_id = SelectField(_l("Person"), choices=[], coerce=str, validate_choice=False,
                              validators=[DataRequired(_l("Choose the person."))])
    purpose = SelectField(_l("Purpose of the loan"), choices=choices(LOAN_PURPOSE_LABELS, _l("Choose")),
                          validators=[DataRequired(_l("Choose the purpose."))])
    amount_vnd = MoneyField(
        _l("Amount requested (VND)"),
        validators=[DataRequired(_l("Enter the amount.")), NumberRange(min=1, max=MAX_AMOUNT)],
        render_kw={"inputmode": "numeric"},
    )
    term_months = IntegerField(
        _l("Term (months)"),
        validators=[DataRequired(_l("Enter the term.")),
                    NumberRange(min=1, max=MAX_TERM_MONTHS, message=_l("Between 1 and 120 months."))],
    )
    need = long_text(_l("Need and plan for the loan"), 2000)

    def chosen_id(self) -> int | None:
        value = self.returnee_id.data or ""
        return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None
