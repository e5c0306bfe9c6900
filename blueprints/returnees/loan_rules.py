"""Loan rules of Decision 22/2023/QĐ-TTg as versioned configuration (LEGAL.md §3; DESIGN.md §3).

Like deadlines.py: each value is a version with its instrument and period in force, chosen by the day
of the loan, because the instrument may be amended (it still names district-level bodies that no longer
exist). To change a cap, add a version with its effective date; never edit an old one.

The checks here only say what the portal will put on the unit's loan list (Form 01): the Social Policy
Bank decides the loan itself.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

QD22 = "Quyết định 22/2023/QĐ-TTg"
QD22_FROM = date(2023, 10, 10)


class LoanRuleNotFound(LookupError):
    """No version of the rule is in force on that day."""


@dataclass(frozen=True)
class LoanRule:
    """One version of one cap; effective_to is the first day it no longer applies (None: in force)."""

    key: str
    instrument: str
    effective_from: date
    effective_to: date | None
    value: int

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


RULES: tuple[LoanRule, ...] = (
    # Art. 6: production and business, per person.
    LoanRule("business_cap_per_person", f"{QD22}, Điều 6", QD22_FROM, None, 100_000_000),
    # Art. 6: vocational training, per month of the course (Art. 8: disbursed over the course).
    LoanRule("training_cap_per_month", f"{QD22}, Điều 6", QD22_FROM, None, 4_000_000),
    # Art. 3(2)(a): no more than 5 years between finishing the sentence and the loan.
    LoanRule("window_years", f"{QD22}, Điều 3 khoản 2 điểm a", QD22_FROM, None, 5),
    # Art. 6: an employer's project; not a person's loan, kept for the employer loan list.
    LoanRule("employer_project_cap", f"{QD22}, Điều 6", QD22_FROM, None, 2_000_000_000),
)


def rule_for(key: str, on: date, *, rules: Iterable[LoanRule] = RULES) -> LoanRule:
    found = [rule for rule in rules if rule.key == key and rule.in_force(on)]
    if len(found) != 1:
        state = "several versions are" if found else "no version is"
        raise LoanRuleNotFound(f"loan rule {key!r}: {state} in force on {on.isoformat()}")
    return found[0]


def value(key: str, on: date, *, rules: Iterable[LoanRule] = RULES) -> int:
    return rule_for(key, on, rules=rules).value


def window_end(sentence_ended_on: date, on: date, *, rules: Iterable[LoanRule] = RULES) -> date:
    """The last day a loan may be made: the anniversary of the end of the sentence, `window_years`
    later (a 29 February end falls on 28 February in a common year, as in the Civil Code)."""
    years = value("window_years", on, rules=rules)
    year = sentence_ended_on.year + years
    day = min(sentence_ended_on.day, calendar.monthrange(year, sentence_ended_on.month)[1])
    return date(year, sentence_ended_on.month, day)
