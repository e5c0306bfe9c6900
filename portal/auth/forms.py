from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp


def email_field() -> StringField:
    """An optional e-mail address (where reminders are sent)."""
    return StringField(
        _l("E-mail"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            Optional(), Length(max=200),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address.")),
        ],
    )


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    # Length, leaked and guessable passwords are checked by passwords.password_problem in the view,
    # which knows the user's own name.
    new = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])


class EnrolForm(CodeForm):
    """Turning the second factor on binds a phone to the account: the password is asked again."""

    password = PasswordField(_l("Current password"), validators=[DataRequired()])


class EmailForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """Sensitive account changes ask for the password again (a stolen open session is not enough)."""

    password = PasswordField(_l("Current password"), validators=[DataRequired()])
