"""Deadline rules as versioned configuration, and the expected (dự kiến) dates they give.

Every date computed here is an expectation, shown as "dự kiến": the legal effect comes from the
documents themselves. Rules are versions with an instrument and a period in force, chosen by the day of
the event, because the instruments change (Law 127/2025/QH15 is in force from 01/07/2026 and may bring a
new decree or circular: add a version with its effective date, never edit an old one).

Nothing here computes the deadline for a released person to present at the commune: it is printed on the
completion or pardon certificate and is stored as printed.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from blueprints.returnees.workdays import Calendar, add_working_days, calendar_from_config

KINDS = ("working_days", "calendar_days", "day_of_period")
PERIOD_MONTHS = {"month": 1, "quarter": 3}


class RuleNotFound(LookupError):
    """No version of the rule is in force on that day (or, for a broken registry, more than one)."""


@dataclass(frozen=True)
class Rule:
    """One version of a deadline rule.

    effective_to is the first day the version is no longer in force (None: still in force), so a new
    version starts on the old one's effective_to. kind and amount:
    - working_days: due on the amount-th working day after the event (workdays.add_working_days);
    - calendar_days: due amount days after the event, weekends and holidays included, never moved;
    - day_of_period: due on day `amount` of each `period` ("month" or "quarter", whose first month it is).
    """

    key: str
    instrument: str
    effective_from: date
    effective_to: date | None
    kind: str
    amount: int
    description: object = field(compare=False)  # a lazy string: translated when shown
    period: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: unknown kind {self.kind!r}")
        if (self.kind == "day_of_period") != (self.period in PERIOD_MONTHS):
            raise ValueError(f"{self.key}: a period (month or quarter) goes with day_of_period, and only with it")
        if self.amount < (1 if self.kind == "day_of_period" else 0) or (self.period and self.amount > 28):
            raise ValueError(f"{self.key}: amount {self.amount} out of range")
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(f"{self.key}: effective_to must be after effective_from")

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


TT10 = "Thông tư 10/2024/TT-BCA"
TT10_FROM = date(2024, 5, 1)

# Decree 49/2020/NĐ-CP sets no day counts for the commune (LEGAL §1.8): the periods are Circular 10's.
RULES: tuple[Rule, ...] = (
    Rule("residence_check", f"{TT10}, Điều 8 khoản 1", TT10_FROM, None, "working_days", 3,
         _l("Check where the person will live: 3 working days after the prison's notice is received")),
    Rule("assignment_proposal", f"{TT10}, Điều 10 khoản 2", TT10_FROM, None, "working_days", 3,
         _l("Propose who supervises and helps the person (HCD-06): 3 working days after the work session")),
    Rule("dossier_open", f"{TT10}, Điều 11 khoản 2", TT10_FROM, None, "working_days", 5,
         _l("Open the management dossier: 5 working days after the work session")),
    Rule("transfer_takeover", f"{TT10}, Điều 15 khoản 2", TT10_FROM, None, "working_days", 5,
         _l("Take over a person who moved here: 5 working days after the notice is received")),
    # "Trong 05 ngày đầu của tháng đầu quý": read as calendar days 1–5, due on the 5th as printed, not
    # moved when the 5th is a weekend (the Civil Code would allow the next working day: we show the
    # earlier date). The report due in a quarter reviews the previous quarter. [CHECK] with the city police.
    Rule("quarterly_report", f"{TT10}, Điều 10 khoản 4", TT10_FROM, None, "day_of_period", 5,
         _l("Supervisor's quarterly report (HCD-08) on the previous quarter: by the 5th of the quarter's first month"),
         period="quarter"),
    # A local plan, adopted by the portal as the model for every unit (DESIGN §1).
    Rule("weekly_contact", "Kế hoạch 179/KH-UBND đặc khu Cát Hải (29/04/2026)", date(2026, 4, 29), None,
         "calendar_days", 7,
         _l("Meet the person at least once a week: overdue after 7 days without contact")),
    Rule("loan_list", "Quyết định 22/2023/QĐ-TTg, Điều 14 khoản 2 điểm c", date(2023, 10, 10), None,
         "day_of_period", 5,
         _l("Loan list (Form 01) for the Social Policy Bank: the 5th of every month"),
         period="month"),
    # Figures from a third-party report [CHECK] (LEGAL §6.4). Decree 13/2023, in force before 2026, is not
    # encoded: the portal holds no requests from before 2026.
    Rule("data_subject_ack", "Nghị định 356/2025/NĐ-CP, Điều 5", date(2026, 1, 1), None, "working_days", 2,
         _l("Acknowledge a personal-data request: 2 working days after it is received")),
)
KEYS = tuple(dict.fromkeys(rule.key for rule in RULES))


def validate_rules(rules: Iterable[Rule]) -> None:
    """Raise ValueError when two versions of one key are in force on the same day."""
    by_key: dict[str, list[Rule]] = {}
    for rule in rules:
        by_key.setdefault(rule.key, []).append(rule)
    for key, versions in by_key.items():
        versions.sort(key=lambda r: r.effective_from)
        for old, new in zip(versions, versions[1:], strict=False):
            if old.effective_to is None or old.effective_to > new.effective_from:
                raise ValueError(f"{key}: versions from {old.effective_from} and {new.effective_from} overlap")


def rule_for(key: str, on: date, *, rules: Iterable[Rule] = RULES) -> Rule:
    """The version of `key` in force on `on`; RuleNotFound if none (or, in a broken registry, several)."""
    found = [rule for rule in rules if rule.key == key and rule.in_force(on)]
    if len(found) != 1:
        state = "several versions are" if found else "no version is"
        raise RuleNotFound(f"deadline rule {key!r}: {state} in force on {on.isoformat()}")
    return found[0]


def _next_period_day(rule: Rule, on: date) -> date:
    """The first day `rule.amount` of a period's first month falling on or after `on`."""
    step = PERIOD_MONTHS[rule.period]
    month = on.month - (on.month - 1) % step  # first month of the period holding `on`
    year = on.year
    while date(year, month, rule.amount) < on:
        month += step
        if month > 12:
            year, month = year + 1, month - 12
    return date(year, month, rule.amount)


def due_date(key: str, event_day: date, cal: Calendar | None = None, *, rules: Iterable[Rule] = RULES) -> date:
    """The expected (dự kiến) due date of `key` for an event on `event_day`, by the version in force then.

    working_days: the n-th working day after the event (the event day not counted); `cal` defaults to
    the current app's calendar (needs an app context). calendar_days: event + n days. day_of_period: the
    next due day on or after event_day (for "loan_list", on 2026-03-05 → 2026-03-05, on 03-06 → 04-05).
    """
    rule = rule_for(key, event_day, rules=rules)
    if rule.kind == "working_days":
        return add_working_days(event_day, rule.amount, cal if cal is not None else calendar_from_config())
    if rule.kind == "calendar_days":
        return event_day + timedelta(days=rule.amount)
    return _next_period_day(rule, event_day)


def quarter_of(d: date) -> int:
    """1–4."""
    return (d.month - 1) // 3 + 1


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    """The quarter a quarterly report due in (year, quarter) reviews."""
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def quarterly_report_due(year: int, quarter: int, *, rules: Iterable[Rule] = RULES) -> date:
    """Expected (dự kiến) due date of the HCD-08 reports due in (year, quarter): the 5th of the quarter's
    first month (5 January, April, July, October). Those reports review previous_quarter(year, quarter)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1–4")
    return due_date("quarterly_report", date(year, 3 * quarter - 2, 1), rules=rules)


def contact_overdue(last_contact: date | None, today: date, since: date, *, rules: Iterable[Rule] = RULES) -> bool:
    """True when the person has gone more than the rule's days (7) without contact, as of `today`.

    Counted from the last contact, or from `since` (the day they came under management) if there was
    none or the last one was before it: nobody is overdue for a time they were not managed here. With
    contact on the 1st, the 8th is still on time and the 9th is overdue. An expected (dự kiến) status.
    """
    rule = rule_for("weekly_contact", today, rules=rules)
    start = since if last_contact is None else max(last_contact, since)
    return today > start + timedelta(days=rule.amount)
