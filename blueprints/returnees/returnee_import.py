"""Importing a list of returnees from a spreadsheet: every row is checked, then all are saved or none.

A row becomes a dossier through the dossier service (services.create_returnee: the lifecycle's
transition, the search key, the audit), in the status its dates imply: the prison's notice only →
expected; a release date and the reporting deadline printed on the certificate →
released_not_reported. Personal ID numbers already in the unit, or repeated in the file, are refused.
`today` is a parameter so the checks are deterministic.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext

from blueprints.returnees import services
from blueprints.returnees.lifecycle import TransitionError
from blueprints.returnees.models import Returnee
from blueprints.returnees.spreadsheets import COLUMNS, RELEASE_KIND_VALUES, Column, Sheet, text_of
from portal.search import fold

NATIONAL_ID = re.compile(r"^[0-9]{12}$")
PHONE = re.compile(r"^[0-9+() .-]{6,20}$")
DATE_PATTERNS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
EARLIEST_BIRTH = date(1900, 1, 1)
SEXES = {"nam": "male", "male": "male", "nu": "female", "female": "female"}
RELEASE_KINDS = {
    **{code: code for code in RELEASE_KIND_VALUES},
    **{fold(label): code for code, label in RELEASE_KIND_VALUES.items()},
    "chap hanh xong an": "completed_sentence",
    "tha tu truoc thoi han": "conditional_release_ended",
    "tha tu co dieu kien": "conditional_release_ended",
}
HEADERS = {c.field: c.header for c in COLUMNS}
# The two ways into the lifecycle, and the facts each needs (lifecycle.REQUIRED_FACTS).
STARTS = (("released_not_reported", "release_date", ("release_date", "reporting_deadline")),
          ("expected", "notice_received_on", ("notice_received_on",)))


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it (the header is usually row 1)
    column: str  # the header, as the file or the template writes it
    message: str


@dataclass
class Checked:
    people: list[tuple[int, dict]] = field(default_factory=list)  # (row, field → value) of valid rows
    errors: list[RowError] = field(default_factory=list)


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_of(value)
    for pattern in DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(gettext("Not a date: write it as dd/mm/yyyy."))


def _digits(value) -> str:
    # Excel turns a typed number into a number, dropping its leading zero; ID numbers and mobile
    # numbers in Viet Nam start with 0 (province code 001–096; 0x mobile prefixes).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return re.sub(r"[\s.]", "", text_of(value))


def convert(column: Column, value):
    """The cell as the model's value; ValueError with the message for the user."""
    if column.kind == "date":
        return parse_date(value)
    if column.kind == "national_id":
        number = _digits(value)
        number = number.zfill(12) if len(number) == 11 and not isinstance(value, str) else number
        if not NATIONAL_ID.match(number):
            raise ValueError(gettext("A personal ID number has 12 digits."))
        return number
    if column.kind == "sex":
        if fold(text_of(value)) not in SEXES:
            raise ValueError(gettext("Write Nam or Nữ."))
        return SEXES[fold(text_of(value))]
    if column.kind == "release_kind":
        if fold(text_of(value)) not in RELEASE_KINDS:
            raise ValueError(gettext("Not a known kind: use one of the template's values."))
        return RELEASE_KINDS[fold(text_of(value))]
    text = text_of(value)
    if column.kind == "phone":
        text = _digits(value) if not isinstance(value, str) else text
        text = "0" + text if text.isdigit() and len(text) == 9 else text
        if not PHONE.match(text):
            raise ValueError(gettext("Digits, spaces and + . - ( ) only."))
    if column.max_length and len(text) > column.max_length:
        raise ValueError(gettext("At most %(max)d characters.", max=column.max_length))
    return text


def _check_header(sheet: Sheet, given: frozenset[str] = frozenset()) -> list[RowError]:
    errors, seen = [], set()
    for header, column in zip(sheet.headers, sheet.columns, strict=True):
        if column is None and header:
            errors.append(RowError(1, header, gettext("Unknown column: use the headers of the template.")))
        elif column is not None and column.field in seen:
            errors.append(RowError(1, header, gettext("This column appears twice.")))
        elif column is not None:
            seen.add(column.field)
    for column in COLUMNS:
        if column.required and column.field not in seen and column.field not in given:
            errors.append(RowError(1, column.header, gettext("This column is missing; it is required.")))
    return errors


def _dates_make_sense(person: dict, today: date) -> dict[str, str]:
    """Errors by field for dates that cannot be right, or that give no starting status."""
    errors = {}
    for name in ("date_of_birth", "notice_received_on", "release_date", "certificate_date"):
        if person.get(name) and person[name] > today:
            errors[name] = gettext("This date is in the future.")
    if person.get("date_of_birth") and person["date_of_birth"] < EARLIEST_BIRTH:
        errors["date_of_birth"] = gettext("This date of birth is not plausible.")
    released, deadline = person.get("release_date"), person.get("reporting_deadline")
    if released and not deadline:
        errors["reporting_deadline"] = gettext("Required with the release date: copy it from the certificate.")
    elif deadline and not released:
        errors["release_date"] = gettext("Required with the reporting deadline.")
    elif released and deadline and deadline < released:
        errors["reporting_deadline"] = gettext("This deadline is before the release date.")
    if not released and not deadline and not person.get("notice_received_on"):
        errors["notice_received_on"] = gettext(
            "Give the day the prison's notice was received, or the release date and the reporting deadline."
        )
    return errors


def check(sheet: Sheet, today: date, ids_in_unit: Callable[[set[str]], set[str]],
          preset: dict | None = None, defaults: dict | None = None) -> Checked:
    """Every row checked; `ids_in_unit(ids)` answers which of these ID numbers the unit already has.

    A campaign's import (the prisons' notices of a special pardon) gives `preset`, values every row
    takes (the kind, the campaign): a row that says otherwise is refused; and `defaults`, values a row
    takes when its cell is empty (the pardon decision). Their columns may be left out of the file."""
    preset, defaults = preset or {}, defaults or {}
    result = Checked(errors=_check_header(sheet, frozenset(preset) | frozenset(defaults)))
    if result.errors:
        return result
    if not sheet.rows:
        result.errors.append(RowError(1, "", gettext("The file has no row to import under its header.")))
        return result
    headers = {**HEADERS, **{c.field: h for h, c in zip(sheet.headers, sheet.columns, strict=True) if c}}
    headers.update({name: name for name in preset if name not in headers})
    for number, cells in sheet.rows:
        person, errors = {}, {}
        for index, column in enumerate(sheet.columns):
            if column is None or column.kind == "export":
                continue
            value = cells[index] if index < len(cells) else None
            if text_of(value) == "":
                if column.required:
                    errors[column.field] = gettext("Required.")
                continue
            try:
                person[column.field] = convert(column, value)
            except ValueError as exc:
                errors[column.field] = str(exc)
        for name, value in preset.items():
            if person.get(name, value) != value:
                shown = RELEASE_KIND_VALUES.get(value, value) if name == "release_kind" else value
                errors[name] = gettext("This import takes only “%(value)s” here.", value=shown)
            person[name] = value
        for name, value in defaults.items():
            person.setdefault(name, value)
        for name, message in _dates_make_sense(person, today).items():
            errors.setdefault(name, message)
        result.errors.extend(RowError(number, headers[name], message) for name, message in errors.items())
        if not errors:
            result.people.append((number, person))
    _refuse_duplicates(result, headers["national_id"], ids_in_unit)
    result.errors.sort(key=lambda e: e.row)
    return result


def _refuse_duplicates(result: Checked, header: str, ids_in_unit) -> None:
    first_row: dict[str, int] = {}
    for number, person in result.people:
        if person.get("national_id"):
            first_row.setdefault(person["national_id"], number)
    known = ids_in_unit(set(first_row)) if first_row else set()
    kept = []
    for number, person in result.people:
        number_id = person.get("national_id")
        if number_id in known:
            message = gettext("A dossier with this personal ID number already exists in this unit.")
            result.errors.append(RowError(number, header, message))
        elif number_id and first_row[number_id] != number:
            message = gettext("Same personal ID number as row %(row)d.", row=first_row[number_id])
            result.errors.append(RowError(number, header, message))
        else:
            kept.append((number, person))
    result.people = kept


def create(people: list[tuple[int, dict]], actor_id: int | None) -> list[Returnee]:
    """One dossier per row, through the dossier service (lifecycle and audit); flushes, never commits.

    Raises TransitionError, its message naming the row, if the lifecycle refuses one."""
    created = []
    for number, values in people:
        person = dict(values)
        to, event_field, needed = next(s for s in STARTS if person.get(s[1]))
        facts = {name: person.pop(name) for name in needed}
        try:
            created.append(services.create_returnee(person, to, facts, facts[event_field], actor_id))
        except TransitionError as exc:
            message = gettext("Row %(row)d: %(message)s", row=number, message=str(exc))
            raise TransitionError(message, exc.fields) from exc
    return created
