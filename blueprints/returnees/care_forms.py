"""Forms of the help around a person: assignment, support teams, contacts, reviews, support, incidents.

Choices that depend on the unit's rows (team members, employers, returnees) are set by the view from
scoped queries, so an id of another unit is simply "not a valid choice". Dates accept the ISO value of
<input type=date> and a typed dd/mm/yyyy. Rules that need the database (one review per quarter, loan
caps, one leader) are the services' job; the forms check what the typed values alone can tell.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from blueprints.returnees import care_queries
from blueprints.returnees.care_labels import (
    CONTACT_METHOD_LABELS,
    INCIDENT_KIND_LABELS,
    LOAN_PURPOSE_LABELS,
    LOAN_STATE_LABELS,
    MEMBER_KIND_LABELS,
    SUPPORT_KIND_LABELS,
    SUPPORT_STATE_LABELS,
)
from blueprints.returnees.deadlines import quarter_of
from blueprints.returnees.lifecycle import GROUP_LABELS
from portal.i18n import format_vnd

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
PHONE = Regexp(r"^[0-9 +().-]{6,20}$", message=_l("Digits, spaces and + ( ) . - only."))
MAX_VND = 10**12  # far above any cap; stops a typo of extra zeros reaching the bank list


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


def options(labels: dict, blank=None) -> list:
    rows = [choice(key, label) for key, label in labels.items()]
    return ([choice("", blank)] if blank is not None else []) + rows


def not_in_future(form, field):
    if field.data and field.data > care_queries.today():
        raise ValidationError(_l("This date is in the future."))


def Day(label, required=False, **kwargs):  # noqa: N802 - reads like a field class
    first = DataRequired(_l("Enter a date.")) if required else Optional()
    return DateField(label, format=DATE_FORMATS, validators=[first, not_in_future], **kwargs)


def Text(label, max_length, required=False, area=False):  # noqa: N802
    # No Optional() when not required: it would stop the chain before the form's inline checks.
    validators = [DataRequired()] if required else []
    kind = TextAreaField if area else StringField
    return kind(label, filters=[_strip], validators=[*validators, Length(max=max_length)])


def parse_vnd(text: str) -> int:
    """VND typed as 1500000, 1.500.000, 1,500,000 or 1 500 000 (₫, đ, VND allowed after it)."""
    cleaned = re.sub(r"\s|\u00a0", "", text.lower())
    cleaned = re.sub(r"(₫|vnđ|vnd|đ)$", "", cleaned)
    if re.fullmatch(r"\d+", cleaned) or re.fullmatch(r"\d{1,3}(\.\d{3})+|\d{1,3}(,\d{3})+", cleaned):
        return int(re.sub(r"\D", "", cleaned))
    raise ValueError(str(_l("Enter an amount in đồng, such as 1.500.000.")))


class MoneyField(StringField):
    """An amount in VND; keeps what was typed when it cannot be read."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            amount = parse_vnd(valuelist[0])
            if amount > MAX_VND:
                raise ValueError(str(_l("This amount is too large.")))
            self.data = amount

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_vnd(self.data).removesuffix(" ₫") if self.data is not None else ""


class AssignmentForm(FlaskForm):
    organisation = Text(_l("Responsible organisation"), 160, required=True)
    person_name = Text(_l("Responsible person"), 120, required=True)
    person_phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), PHONE])
    proposed_on = Day(_l("Proposed on (HCD-06)"))
    decision_number = Text(_l("Chairman's decision number (HCD-07)"), 60)
    decision_date = Day(_l("Decision date"))

    def validate_decision_number(self, field):
        typed = self.decision_date.raw_data or [""]
        if bool(field.data) != bool(self.decision_date.data or typed[0]):
            raise ValidationError(_l("Enter both the decision number and its date, or neither."))

    def validate_decision_date(self, field):
        if field.data and self.proposed_on.data and field.data < self.proposed_on.data:
            raise ValidationError(_l("The decision cannot come before the proposal."))


class DecisionForm(FlaskForm):
    decision_number = Text(_l("Chairman's decision number (HCD-07)"), 60, required=True)
    decision_date = Day(_l("Decision date"), required=True)


class TeamForm(FlaskForm):
    name = Text(_l("Team name"), 160, required=True)
    hamlet = Text(_l("Hamlet or residential group"), 120)


class MemberForm(FlaskForm):
    full_name = Text(_l("Full name"), 120, required=True)
    kind = SelectField(_l("Represents"), choices=options(MEMBER_KIND_LABELS), validators=[DataRequired()])
    role_title = Text(_l("Position"), 120)
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), PHONE])
    is_leader = BooleanField(_l("Team leader"))


class LinkForm(FlaskForm):
    returnee = SelectField(_l("Person helped"), coerce=optional_int, choices=[], validators=[DataRequired()])
    since = Day(_l("Helped since"), required=True)


class UnlinkForm(FlaskForm):
    until = Day(_l("Helped until"), required=True)


class ContactForm(FlaskForm):
    on = Day(_l("Date"), required=True)
    member = SelectField(_l("Team member"), coerce=optional_int, choices=[])
    contact_person = Text(_l("Or another person"), 120)
    method = SelectField(_l("How"), choices=options(CONTACT_METHOD_LABELS), validators=[DataRequired()])
    content = Text(_l("What was discussed"), 5000, required=True, area=True)
    state_of_mind = Text(_l("State of mind"), 200)
    risk_signals = Text(_l("Risk signals"), 2000, area=True)
    next_step = Text(_l("Next step"), 255)

    def validate_contact_person(self, field):
        if not field.data and self.member.data is None:
            raise ValidationError(_l("Choose a team member or write who met the person."))


class ReviewForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    quarter = SelectField(
        _l("Quarter"), coerce=optional_int, choices=[choice(q, str(q)) for q in (1, 2, 3, 4)],
        validators=[DataRequired()],
    )
    report_received_on = Day(_l("Supervisor's report (HCD-08) received on"))
    group = SelectField(_l("Group"), choices=options(GROUP_LABELS), validators=[DataRequired()])
    reason = Text(_l("Reason for the group"), 2000, required=True, area=True)
    progress = Text(_l("Progress"), 5000, area=True)
    proposals = Text(_l("Proposals"), 2000, area=True)

    def validate_quarter(self, field):
        now = care_queries.today()
        if self.year.data and field.data and (self.year.data, field.data) > (now.year, quarter_of(now)):
            raise ValidationError(_l("This quarter has not started yet."))


class SupportForm(FlaskForm):
    kind = SelectField(_l("Kind of support"), choices=options(SUPPORT_KIND_LABELS), validators=[DataRequired()])
    status = SelectField(_l("Status"), choices=options(SUPPORT_STATE_LABELS), validators=[DataRequired()])
    started_on = Day(_l("Started on"))
    completed_on = Day(_l("Completed on"))
    provider = Text(_l("Provider"), 160)
    employer = SelectField(_l("Employer"), coerce=optional_int, choices=[])
    amount = MoneyField(_l("Amount (VND)"))
    # default "": a form sent without these fields (not a loan) is not "None", an invalid choice.
    loan_purpose = SelectField(_l("Loan purpose"), choices=options(LOAN_PURPOSE_LABELS, _l("Not a loan")), default="")
    loan_status = SelectField(_l("Loan status"), choices=options(LOAN_STATE_LABELS, _l("Not a loan")), default="")
    months = IntegerField(_l("Training months"), validators=[Optional(), NumberRange(1, 120)])
    note = Text(_l("Note"), 2000, area=True)

    def validate_completed_on(self, field):
        if field.data and self.started_on.data and field.data < self.started_on.data:
            raise ValidationError(_l("The end is before the start."))

    def validate_loan_purpose(self, field):
        if self.kind.data == "loan" and not field.data:
            raise ValidationError(_l("Choose what the loan is for."))

    def validate_loan_status(self, field):
        if self.kind.data == "loan" and not field.data:
            raise ValidationError(_l("Choose the state of the loan."))

    def validate_amount(self, field):
        if self.kind.data == "loan" and field.data is None:
            raise ValidationError(_l("Enter the amount of the loan."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        # Not an inline validator: Optional() ends the months field's chain when it is empty.
        training = self.kind.data == "loan" and self.loan_purpose.data == "training"
        if training and not self.months.data and not self.months.errors:
            self.months.errors = [*self.months.errors, _l("Enter how many months the course lasts.")]
            valid = False
        return valid


class IncidentForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(INCIDENT_KIND_LABELS), validators=[DataRequired()])
    on = Day(_l("Date"), required=True)
    # May be in the future: a detention order gives its end date in advance.
    until = DateField(_l("Held until"), format=DATE_FORMATS, validators=[Optional()])
    description = Text(_l("What happened"), 5000, required=True, area=True)
    decision = Text(_l("Decision or record number"), 160)
    # Offered with a custody period and ignored with the other kinds (the box is ticked by default).
    move_to_custody = BooleanField(_l("Custody period: move the person to “in custody” (group D) from this date"))

    def validate_until(self, field):
        if field.data and self.kind.data != "custody_period":
            raise ValidationError(_l("Only a custody period has an end date."))
        if field.data and self.on.data and field.data < self.on.data:
            raise ValidationError(_l("The end is before the start."))
