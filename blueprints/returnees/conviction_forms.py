"""The conviction form: one final judgment, with what the expungement rules turn on."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, TextAreaField, ValidationError
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from blueprints.returnees.expungement import PENALTY_KINDS, SEVERITIES
from blueprints.returnees.forms import DATE_FORMATS, blank_to_none, choice, choices, date_field, not_in_future, text
from blueprints.returnees.labels import PENALTY_KIND_LABELS, SEVERITY_LABELS

ROMAN = (
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI",
    "XVII", "XVIII", "XIX", "XX", "XXI", "XXII", "XXIII", "XXIV", "XXV", "XXVI",
)
FIELDS = (
    "judgment_number", "judgment_date", "court", "penal_code_article", "penal_code_chapter", "intentional",
    "severity", "penalty_kind", "sentence_months", "main_penalty_served_on", "additional_penalties",
    "additional_penalties_end", "civil_obligations", "civil_obligations_open", "civil_obligations_settled_on",
    "age_at_offence",
)


def _chapter(value):
    return int(value) if value not in (None, "") else None


def _intentional(value):
    return {"1": True, "0": False, True: True, False: False}.get(value)


class ConvictionForm(FlaskForm):
    judgment_number = text(_l("Judgment number"), 60)
    judgment_date = DateField(
        _l("Judgment date"), format=DATE_FORMATS,
        validators=[DataRequired(_l("Enter the date of the judgment.")), not_in_future],
    )
    court = text(_l("Court"), 160)
    penal_code_article = text(_l("Penal Code article"), 20)
    penal_code_chapter = SelectField(
        _l("Penal Code chapter"), coerce=_chapter, validators=[Optional()],
        choices=[choice("", _l("Unknown"))] + [choice(str(n), f"{r}") for n, r in enumerate(ROMAN, 1)],
    )
    intentional = RadioField(
        _l("Fault"), coerce=_intentional, validators=[InputRequired(_l("Choose intentional or negligent."))],
        choices=[choice("1", _l("Intentional")), choice("0", _l("Negligent"))],
    )
    severity = SelectField(
        _l("Category of the crime"), choices=choices({k: SEVERITY_LABELS[k] for k in SEVERITIES}, _l("Unknown")),
    )
    penalty_kind = SelectField(
        _l("Main penalty"), validators=[DataRequired(_l("Choose the main penalty."))],
        choices=choices({k: PENALTY_KIND_LABELS[k] for k in PENALTY_KINDS}, _l("Choose")),
    )
    sentence_years = IntegerField(_l("Term as pronounced: years"), validators=[Optional(), NumberRange(0, 30)])
    sentence_extra_months = IntegerField(_l("and months"), validators=[Optional(), NumberRange(0, 11)])
    main_penalty_served_on = date_field(_l("Main penalty served on"))
    additional_penalties = TextAreaField(
        _l("Additional penalties"), filters=[blank_to_none], validators=[Optional(), Length(max=2000)]
    )
    additional_penalties_end = date_field(_l("Additional penalties end on"))
    civil_obligations = TextAreaField(
        _l("Civil obligations (fines, damages, court fees)"), filters=[blank_to_none],
        validators=[Optional(), Length(max=2000)],
    )
    civil_obligations_open = BooleanField(_l("Civil obligations still outstanding"))
    civil_obligations_settled_on = date_field(_l("Civil obligations settled on"))
    age_at_offence = IntegerField(
        _l("Age at the time of the offence"), validators=[Optional(), NumberRange(14, 120)]
    )

    @property
    def sentence_months(self) -> int | None:
        years, months = self.sentence_years.data, self.sentence_extra_months.data
        if years is None and months is None:
            return None
        return (years or 0) * 12 + (months or 0)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here: the term's own fields are optional, so their validators stop when empty.
        if self.penalty_kind.data == "imprisonment" and not self.sentence_months and not self.sentence_years.errors:
            message = _l("Imprisonment for a term needs the term as pronounced.")
            self.sentence_years.errors = [*self.sentence_years.errors, message]
            valid = False
        return valid

    def validate_civil_obligations_settled_on(self, field):
        if field.data and self.civil_obligations_open.data:
            raise ValidationError(_l("Outstanding obligations have no settlement date: untick one of the two."))

    def validate_main_penalty_served_on(self, field):
        if field.data and self.judgment_date.data and field.data < self.judgment_date.data:
            raise ValidationError(_l("This date is before the judgment."))

    def values(self) -> dict:
        data = {name: self[name].data for name in FIELDS if name != "sentence_months"}
        data["severity"] = data["severity"] or None
        data["sentence_months"] = self.sentence_months
        return data

    def show(self, conviction) -> None:
        """Fill the form from a saved conviction (GET of the edit page)."""
        for name in FIELDS:
            if name == "sentence_months":
                continue
            value = getattr(conviction, name)
            self[name].data = "" if value is None and name == "severity" else value
        if conviction.sentence_months is not None:
            self.sentence_years.data, self.sentence_extra_months.data = divmod(conviction.sentence_months, 12)
