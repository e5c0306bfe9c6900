"""Reading API input: JSON bodies field by field, query-string paging. Every problem becomes a
message next to its field (422), never a 500; a body that is not a JSON object is a 400."""

import re
from dataclasses import dataclass
from datetime import date

from flask import request
from flask_babel import gettext

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NATIONAL_ID = re.compile(r"^[0-9]{12}$")  # ASCII digits: \d would take any script's digits
PHONE = re.compile(r"^\+?[0-9 .()-]{6,20}$")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50
MAX_PAGE = 100_000
MAX_INT = 2**31 - 1  # the integer columns


class Unreadable(Exception):
    """The request as a whole cannot be read (400)."""


class Invalid(Exception):
    """Field-level problems (422): `fields` maps a field name to its message."""

    def __init__(self, fields: dict[str, str], values: dict | None = None):
        super().__init__("invalid")
        self.fields = fields
        self.values = values or {}  # what was valid, for checks across fields


def collect(*steps) -> list:
    """Run each step (a callable); report every field problem of all of them at once."""
    results, problems = [], {}
    for step in steps:
        try:
            results.append(step())
        except Invalid as exc:
            problems.update(exc.fields)
            results.append(exc.values)
    if problems:
        raise Invalid(problems)
    return results


@dataclass(frozen=True)
class Spec:
    kind: str  # text / date / choice / bool / national_id / phone / needs / int
    max: int | None = None
    required: bool = False
    choices: tuple = ()
    keys: tuple = ()  # for needs: the allowed keys; choices are then the allowed values


def text(max_len: int, required: bool = False) -> Spec:
    return Spec("text", max=max_len, required=required)


def day(required: bool = False) -> Spec:
    return Spec("date", required=required)


def one_of(choices, required: bool = False) -> Spec:
    return Spec("choice", choices=tuple(choices), required=required)


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Unreadable(gettext("Send a JSON object with Content-Type: application/json."))
    return body


def _clean(spec: Spec, value):
    """(value, error message or None) for one present field."""
    if isinstance(value, str) and spec.kind != "bool":
        value = value.strip() or None
    if value is None:
        return None, gettext("This field is required.") if spec.required else None
    if spec.kind in ("text", "national_id", "phone"):
        if not isinstance(value, str):
            return None, gettext("Must be text.")
        if spec.kind == "national_id" and not NATIONAL_ID.match(value):
            return None, gettext("A personal ID number has exactly 12 digits.")
        if spec.kind == "phone" and not PHONE.match(value):
            return None, gettext("Not a valid phone number.")
        if spec.max is not None and len(value) > spec.max:
            return None, gettext("At most %(n)d characters.", n=spec.max)
        return value, None
    if spec.kind == "date":
        if not isinstance(value, str) or not ISO_DATE.match(value):
            return None, gettext("A date as yyyy-mm-dd.")
        try:
            return date.fromisoformat(value), None
        except ValueError:
            return None, gettext("Not a valid date.")
    if spec.kind == "choice":
        return (value, None) if value in spec.choices else (None, gettext("Not a valid choice."))
    if spec.kind == "bool":
        return (value, None) if isinstance(value, bool) else (None, gettext("Must be true or false."))
    if spec.kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT
        return (value, None) if ok else (None, gettext("Must be a positive whole number."))
    if spec.kind == "needs":
        if not isinstance(value, dict) or not all(k in spec.keys and v in spec.choices for k, v in value.items()):
            return None, gettext("Map need areas to “need” or “no_need”.")
        return dict(value), None
    raise AssertionError(spec.kind)


def parse(payload: dict, specs: dict[str, Spec], *, partial: bool, read_only=()) -> dict:
    """The cleaned values of `payload`; with partial (PATCH) only the fields sent, else every field
    (missing ones as None, checked for `required`). Raises Invalid with every problem at once."""
    errors, values = {}, {}
    for name in payload:
        if name not in specs:
            errors[name] = gettext("This field cannot be changed here.") if name in read_only else gettext(
                "Unknown field."
            )
    for name, spec in specs.items():
        if partial and name not in payload:
            continue
        value, error = _clean(spec, payload.get(name))
        if error:
            errors[name] = error
        else:
            values[name] = value
    if errors:
        raise Invalid(errors, values)
    return values


def parse_checked(payload: dict, specs: dict[str, Spec], check=None, **kwargs) -> dict:
    """parse(), then check(values) across fields on what was valid; every problem at once."""
    try:
        values, problems = parse(payload, specs, **kwargs), {}
    except Invalid as exc:
        values, problems = exc.values, exc.fields
    if check is not None:
        try:
            check(values)
        except Invalid as exc:
            problems = {**exc.fields, **problems}
    if problems:
        raise Invalid(problems)
    return values


def paging() -> tuple[int, int]:
    """(page, per_page) from the query string; per_page at most 100."""
    errors, out = {}, {}
    for name, default, top in (("page", 1, MAX_PAGE), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        raw = request.args.get(name, "")
        if raw == "":
            out[name] = default
        elif not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= top:
            errors[name] = gettext("A whole number from 1 to %(top)d.", top=top)
        else:
            out[name] = int(raw)
    if errors:
        raise Invalid(errors)
    return out["page"], out["per_page"]
