"""Vietnamese working days ("ngày làm việc") for the legal deadlines of Circular 10/2024/TT-BCA.

A day is a working day unless it is a Saturday, a Sunday or a public holiday, with two corrections the
government makes every year for public servants (the commune police and People's Committee are public
sector): extra days off (bridge days, a longer Tết) and Saturdays worked in exchange (ngày làm bù).

What the `holidays` package (0.109, ``country_holidays("VN")``) covers, read from its VN module:
- the statutory holidays of the Labour Code 2019 Art. 112: 1/1; Tết Nguyên Đán as 5 days (the eve and
  days 1–4, "mùng 1–4", since 2013); Hùng Kings' day (10/3 lunar); 30/4; 1/5; 2/9 plus one adjacent day
  (since 2021, so 2025 and later have two National Day days: 1–2/9/2025, 1–2/9/2026, 2–3/9/2027); and,
  from 2026, 24/11 (Vietnam Cultural Day, Resolution 80-NQ/TW);
- observed days: a Tết day on a Saturday moves to the previous working day ("29 Tết"), on a Sunday to
  the next one ("mùng 5/6"); other holidays on a weekend move to the next working day;
- a short table of swaps announced by the government for some years (2025: 2/5 off, Saturday 26/4
  worked; 2026: 31/8 off, Saturday 22/8 worked), exposed as ``weekend_workdays``; both are honoured here.
It does NOT know the extra Tết days or bridge days the Prime Minister grants in a year it has no entry
for (for example a 9-day Tết announced in the autumn). Those go in the configuration:
WORKDAYS_EXTRA_OFF and WORKDAYS_EXTRA_WORKING (lists of ISO dates). The configuration wins over the
package, so a wrong package entry can also be corrected.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

SATURDAY = 5


@dataclass(frozen=True)
class Calendar:
    """The deployment's corrections to the official calendar."""

    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def __post_init__(self):
        both = self.extra_days_off & self.extra_working_days
        if both:
            raise ValueError(f"dates both off and working: {', '.join(sorted(d.isoformat() for d in both))}")


def _dates(name: str, values: Iterable) -> frozenset[date]:
    parsed = set()
    for value in values or ():
        if isinstance(value, date):
            parsed.add(value)
            continue
        try:
            parsed.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    return frozenset(parsed)


def calendar_from_config(config: Mapping | None = None) -> Calendar:
    """The Calendar from WORKDAYS_EXTRA_OFF / WORKDAYS_EXTRA_WORKING of `config`, by default the current
    app's config (read now, so it needs an app context). Missing keys mean no corrections."""
    if config is None:
        from flask import current_app

        config = current_app.config
    return Calendar(
        extra_days_off=_dates("WORKDAYS_EXTRA_OFF", config.get("WORKDAYS_EXTRA_OFF")),
        extra_working_days=_dates("WORKDAYS_EXTRA_WORKING", config.get("WORKDAYS_EXTRA_WORKING")),
    )


@lru_cache(maxsize=64)
def _official(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, Saturdays/Sundays worked in exchange) of one year, built once per process."""
    vn = holidays.country_holidays("VN", years=year)
    return frozenset(vn), frozenset(vn.weekend_workdays)


def is_working_day(d: date, cal: Calendar) -> bool:
    if d in cal.extra_working_days:
        return True
    if d in cal.extra_days_off:
        return False
    public_holidays, _ = _official(d.year)
    if d in public_holidays:
        return False
    if d.weekday() >= SATURDAY:
        # A Saturday worked in late December can pay for a day off in the next January (2014/2015).
        return d in _official(d.year)[1] or d in _official(d.year + 1)[1]
    return True


def add_working_days(start: date, n: int, cal: Calendar) -> date:
    """The n-th working day after `start`: the end of "within n working days from start".

    The day of the event is not counted, whether or not it is a working day (Civil Code 2015
    Art. 147(2): a period in days starts on the day after the event); the period ends on the n-th working
    day after it. A notice received on Friday with 3 working days is due on Wednesday. n = 0 is `start`.
    """
    if n < 0:
        raise ValueError("n must be zero or positive")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day, cal):
            n -= 1
    return day


def working_days_between(a: date, b: date, cal: Calendar) -> int:
    """Working days in (a, b]: a not counted, b counted, so working_days_between(a,
    add_working_days(a, n)) == n. Negative when b is before a; 0 when equal."""
    if b < a:
        return -working_days_between(b, a, cal)
    return sum(is_working_day(a + timedelta(days=i), cal) for i in range(1, (b - a).days + 1))
