"""Forms of the admin area: accounts, memberships, and the GET filters of the lists.

Unit choices (slugs of active units) are set per request by the view; a unit role needs a unit
and a city role must have none, whichever form carries the pair.
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.auth.forms import email_field
from portal.permissions import CITY_ROLES, ROLE_LABELS, UNIT_ROLES, Role

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields.choices import SelectChoice as choice
except ImportError:  # pragma: no cover - older WTForms

    def choice(value, label):
        return (value, label)


USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
PER_PAGE = 50

KIND_LABELS = {"xa": _l("Commune"), "phuong": _l("Ward"), "dac_khu": _l("Special zone")}
STATUS_CHOICES = [choice("", _l("All")), choice("active", _l("Active")), choice("inactive", _l("Inactive"))]


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def role_options(roles=None) -> list[tuple[str, str]]:
    """(value, label) of the roles, in the table's order; all of them by default."""
    return [(r.value, ROLE_LABELS[r]) for r in Role if roles is None or r in roles]


def role_choices(roles=None, blank=None) -> list:
    return [choice("", blank or _l("Choose a role"))] + [choice(v, label) for v, label in role_options(roles)]


class MembershipForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired(_l("Choose a role."))])
    unit = SelectField(_l("Unit"), choices=[], default="")

    def validate_unit(self, field):
        if self.role.data in UNIT_ROLES and not field.data:
            raise ValidationError(_l("This role works in a unit: choose the unit."))
        if self.role.data in CITY_ROLES and field.data:
            raise ValidationError(_l("This is a city-level role: leave the unit empty."))


class AccountForm(MembershipForm):
    username = StringField(
        _l("Username"),
        filters=[_lower],
        validators=[
            DataRequired(),
            Regexp(USERNAME, message=_l("3 to 80 lowercase letters, digits, dots, dashes or underscores.")),
        ],
    )
    full_name = StringField(_l("Full name"), filters=[_strip], validators=[DataRequired(), Length(max=120)])
    # Where report reminders are sent; optional.
    email = email_field()


class RoleForm(FlaskForm):
    """Change the role of one membership; choices are the roles of the membership's scope."""

    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])


class FilterForm(FlaskForm):
    """Read from the query string (GET); a filter changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False


class UnitFilterForm(FilterForm):
    q = StringField(_l("Name or code"), filters=[_strip], validators=[Optional(), Length(max=80)])
    kind = SelectField(
        _l("Kind"), choices=[choice("", _l("All kinds")), *(choice(k, v) for k, v in KIND_LABELS.items())], default=""
    )
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="")


class UserFilterForm(FilterForm):
    q = StringField(_l("Username or name"), filters=[_strip], validators=[Optional(), Length(max=80)])
    role = SelectField(_l("Role"), choices=role_choices(blank=_l("All roles")), default="")
    unit = SelectField(_l("Unit"), choices=[], default="")
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="")


class AuditFilterForm(FilterForm):
    unit = SelectField(_l("Unit"), choices=[], default="")
    user = StringField(_l("Username"), filters=[_lower], validators=[Optional(), Length(max=80)])
    action = StringField(
        _l("Action"),
        filters=[_strip],
        validators=[Optional(), Length(max=60)],
        # Matched as a prefix: "user." finds every account change.
        render_kw={"placeholder": "user."},
    )
    # Browsers send the ISO date of <input type=date>; a typed dd/mm/yyyy is accepted as well.
    date_from = DateField(_l("From"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])
    date_to = DateField(_l("To"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


def valid_data(form: FilterForm) -> dict:
    """The filter values, with the invalid ones dropped (their errors are shown next to them)."""
    form.validate()
    return {field.name: (None if field.errors else field.data) or None for field in form}
