"""Reporting periods as the police name them: a month (`2026-09`), a quarter (`2026-Q3`), a
half-year (`2026-H1`), a year (`2026`) or an ad hoc span (`2026-03-01_2026-05-15`)."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l

KINDS = ("month", "quarter", "half", "year", "adhoc")
FIRST_YEAR, LAST_YEAR = 2000, 2999
KIND_LABELS = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "half": _l("Half-year"),
    "year": _l("Year"),
    "adhoc": _l("Ad hoc"),
}
ROMAN = ("I", "II", "III", "IV")

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_ADHOC = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$")


class BadPeriod(ValueError):
    """The text names no period; the message is translated."""


@dataclass(frozen=True)
class Period:
    kind: str
    key: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        year = self.start.year
        if self.kind == "month":
            return gettext("Month %(month)s/%(year)s", month=f"{self.start.month:02d}", year=year)
        if self.kind == "quarter":
            return gettext("Quarter %(roman)s/%(year)s", roman=ROMAN[(self.start.month - 1) // 3], year=year)
        if self.kind == "half":
            if self.start.month == 1:
                return gettext("First half of %(year)s", year=year)
            return gettext("Second half of %(year)s", year=year)
        if self.kind == "year":
            return gettext("Year %(year)s", year=year)
        if self.kind == "campaign":
            return gettext(
                "Special-pardon campaign %(start)s – %(end)s",
                start=format_date(self.start, "dd/MM/yyyy"),
                end=format_date(self.end, "dd/MM/yyyy"),
            )
        return gettext(
            "From %(start)s to %(end)s",
            start=format_date(self.start, "dd/MM/yyyy"),
            end=format_date(self.end, "dd/MM/yyyy"),
        )

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def quarter_ends(self) -> list[date]:
        """The ends of the calendar quarters that end inside the period (quarterly reviews due)."""
        ends = []
        for year in range(self.start.year, self.end.year + 1):
            for month in (3, 6, 9, 12):
                end = date(year, month, calendar.monthrange(year, month)[1])
                if self.contains(end):
                    ends.append(end)
        return ends

    def previous(self) -> "Period":
        """The period of the same kind just before this one (ad hoc: the span of the same length)."""
        if self.kind in ("adhoc", "campaign"):
            length = self.end - self.start
            end = self.start - timedelta(days=1)
            return adhoc(end - length, end)
        return parse(_key_of(self.kind, self.start - timedelta(days=1)))

    def history(self, count: int) -> list["Period"]:
        """This period and up to `count - 1` before it, oldest first (for trends); none before 2000."""
        periods = [self]
        while len(periods) < count:
            try:
                periods.append(periods[-1].previous())
            except BadPeriod:
                break
        return periods[::-1]


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _key_of(kind: str, day: date) -> str:
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == "half":
        return f"{day.year}-H{1 if day.month <= 6 else 2}"
    return str(day.year)


def containing(kind: str, day: date) -> "Period":
    """The period of `kind` (not ad hoc) that contains `day`."""
    return parse(_key_of(kind, day))


def adhoc(start: date, end: date) -> Period:
    if end < start:
        raise BadPeriod(gettext("The end of the period is before its start."))
    if start.year < FIRST_YEAR or end.year > LAST_YEAR:
        raise BadPeriod(
            gettext("A period must lie between the years %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )
    if (end - start).days > 366 * 5:
        raise BadPeriod(gettext("An ad hoc period may span at most five years."))
    return Period("adhoc", f"{start.isoformat()}_{end.isoformat()}", start, end)


def parse(text: str | None) -> Period:
    """The period a key names; BadPeriod for anything else, years outside 2000–2999 included (no
    record of this portal is older, and a due date must stay inside the calendar)."""
    text = (text or "").strip()
    year = re.match(r"\d{4}", text)
    if year and not FIRST_YEAR <= int(year[0]) <= LAST_YEAR:
        raise BadPeriod(
            gettext("“%(text)s” is not a period. Use 2026-09, 2026-Q3, 2026-H1 or 2026.", text=text[:40])
        )
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        return Period("month", text, date(year, month, 1), _last_day(year, month))
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        return Period("quarter", text, date(year, 3 * q - 2, 1), _last_day(year, 3 * q))
    if m := _HALF.match(text):
        year, h = int(m[1]), int(m[2])
        return Period("half", text, date(year, 6 * h - 5, 1), _last_day(year, 6 * h))
    if m := _YEAR.match(text):
        year = int(m[1])
        if year >= 2000:
            return Period("year", text, date(year, 1, 1), date(year, 12, 31))
    if m := _ADHOC.match(text):
        try:
            return adhoc(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
        except ValueError as exc:
            if isinstance(exc, BadPeriod):
                raise
    raise BadPeriod(
        gettext("“%(text)s” is not a period. Use 2026-09, 2026-Q3, 2026-H1 or 2026.", text=text[:40])
    )
