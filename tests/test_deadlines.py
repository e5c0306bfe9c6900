"""Working days and deadline rules: a worked table of dates across weekends, Tết, 30/4–1/5 and 2/9.

Pure tests: no database. Each case says why the expected date is what it is. Day names are given
because they are the point: "Fri 13/02/2026" is the last working day before the Tết 2026 break.
"""

from datetime import date

import pytest
from flask import Flask

from blueprints.returnees import deadlines
from blueprints.returnees.deadlines import (
    KEYS,
    RULES,
    Rule,
    RuleNotFound,
    contact_overdue,
    due_date,
    previous_quarter,
    quarter_of,
    quarterly_report_due,
    rule_for,
    validate_rules,
)
from blueprints.returnees.workdays import (
    Calendar,
    add_working_days,
    calendar_from_config,
    is_working_day,
    working_days_between,
)


@pytest.fixture(autouse=True)
def _clean():
    """Overrides conftest's per-test table cleanup: nothing here touches a database."""
    yield


PLAIN = Calendar()
# A hypothetical government decision for New Year 2026: Friday 2/1 off as a bridge day, made up on
# Saturday 10/1. Not a real announcement; it exercises the configuration.
SWAPPED = Calendar(extra_days_off=frozenset({date(2026, 1, 2)}), extra_working_days=frozenset({date(2026, 1, 10)}))


# --- What the holidays package gives (the table below relies on it) -------------------------------


def holidays_between(first: date, last: date) -> list[date]:
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    return [d for d in days if d.weekday() < 5 and not is_working_day(d, PLAIN)]


def test_tet_2026_is_monday_16_to_friday_20_february():
    # Tết (mùng 1) is Tuesday 17/02/2026: the eve Mon 16 and mùng 1–4 (17–20) are the 5 statutory days;
    # with the weekends around them the break runs Sat 14 – Sun 22/02.
    assert holidays_between(date(2026, 2, 9), date(2026, 2, 27)) == [date(2026, 2, d) for d in range(16, 21)]


def test_tet_2027_moves_the_weekend_days_to_thursday_4_and_wednesday_10_february():
    # Tết is Saturday 06/02/2027: mùng 1 (Sat) moves back to Thu 04/02 ("29 Tết"), mùng 2 (Sun) forward to
    # Wed 10/02; with the eve Fri 05 and mùng 3–4 (Mon 08, Tue 09) the break runs Thu 04 – Wed 10/02.
    assert holidays_between(date(2027, 2, 1), date(2027, 2, 12)) == [date(2027, 2, d) for d in (4, 5, 8, 9, 10)]


@pytest.mark.parametrize(
    ("year", "national_days"),
    [
        (2025, [date(2025, 9, 1), date(2025, 9, 2)]),  # 2/9 is a Tuesday: the Monday before goes with it
        (2026, [date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)]),  # 2/9 Wed + Tue 1/9; Mon 31/8 swapped
        (2027, [date(2027, 9, 2), date(2027, 9, 3)]),  # 2/9 is a Thursday: the Friday after goes with it
    ],
)
def test_national_day_has_two_days_since_2021(year, national_days):
    assert holidays_between(date(year, 8, 24), date(year, 9, 6)) == national_days


def test_swapped_saturdays_from_the_package_are_working_days():
    assert is_working_day(date(2025, 4, 26), PLAIN)  # Sat, worked for Fri 02/05/2025 off
    assert is_working_day(date(2026, 8, 22), PLAIN)  # Sat, worked for Mon 31/08/2026 off
    assert is_working_day(date(2014, 12, 27), PLAIN)  # Sat, worked for Fri 02/01/2015: crosses the year
    assert not is_working_day(date(2025, 5, 2), PLAIN)
    assert not is_working_day(date(2026, 5, 2), PLAIN)  # an ordinary Saturday


def test_configuration_wins_over_the_package():
    cal = Calendar(extra_days_off=frozenset({date(2026, 3, 10)}), extra_working_days=frozenset({date(2026, 11, 24)}))
    assert not is_working_day(date(2026, 3, 10), cal)  # an ordinary Tuesday, declared off
    assert is_working_day(date(2026, 11, 24), cal)  # the package's Vietnam Cultural Day, overridden
    assert not is_working_day(date(2026, 11, 24), PLAIN)


# --- The worked table ----------------------------------------------------------------------------

CASES = [
    # (key, event day, calendar, expected, why)
    ("residence_check", date(2026, 3, 6), PLAIN, date(2026, 3, 11),
     "notice on Fri 06/03: the Friday is not counted; Mon 9, Tue 10, Wed 11"),
    ("residence_check", date(2026, 2, 13), PLAIN, date(2026, 2, 25),
     "Fri 13/02 is the eve of the Tết break (14–22/02): Mon 23, Tue 24, Wed 25"),
    ("residence_check", date(2026, 2, 16), PLAIN, date(2026, 2, 25),
     "received on giao thừa (a holiday) still starts the count: Mon 23, Tue 24, Wed 25"),
    ("dossier_open", date(2026, 2, 12), PLAIN, date(2026, 2, 26),
     "work session Thu 12/02: Fri 13, then Tết, then Mon 23, Tue 24, Wed 25, Thu 26"),
    ("assignment_proposal", date(2027, 2, 3), PLAIN, date(2027, 2, 15),
     "Wed 03/02/2027, Tết break Thu 04 – Wed 10/02 (and the weekend 6–7): Thu 11, Fri 12, Mon 15"),
    ("residence_check", date(2026, 4, 24), PLAIN, date(2026, 5, 4),
     "Fri 24/04/2026: Hùng Kings' day Sun 26/04 moves to Mon 27; Tue 28, Wed 29, then 30/4–1/5 and the "
     "weekend, Mon 04/05"),
    ("transfer_takeover", date(2026, 4, 29), PLAIN, date(2026, 5, 8),
     "Wed 29/04/2026: 30/4 Thu and 1/5 Fri off, weekend; Mon 4, Tue 5, Wed 6, Thu 7, Fri 8"),
    ("residence_check", date(2025, 4, 25), PLAIN, date(2025, 4, 29),
     "Fri 25/04/2025: Sat 26/04 is a swapped working day (for Fri 02/05); Sat 26, Mon 28, Tue 29"),
    ("residence_check", date(2025, 8, 29), PLAIN, date(2025, 9, 5),
     "Fri 29/08/2025: weekend, National Day Mon 1 and Tue 2/9; Wed 3, Thu 4, Fri 5"),
    ("residence_check", date(2026, 8, 28), PLAIN, date(2026, 9, 7),
     "Fri 28/08/2026: weekend, Mon 31/8 (swapped), Tue 1 and Wed 2/9 off; Thu 3, Fri 4, Mon 7"),
    ("residence_check", date(2026, 8, 21), PLAIN, date(2026, 8, 25),
     "Fri 21/08/2026: Sat 22/08 is worked in exchange for Mon 31/08; Sat 22, Mon 24, Tue 25"),
    ("residence_check", date(2027, 8, 31), PLAIN, date(2027, 9, 7),
     "Tue 31/08/2027: Wed 1/9; National Day Thu 2 and Fri 3/9, weekend; Mon 6, Tue 7"),
    ("residence_check", date(2025, 12, 31), PLAIN, date(2026, 1, 6),
     "Wed 31/12/2025, no configuration: 1/1 off; Fri 2, Mon 5, Tue 6"),
    ("residence_check", date(2025, 12, 31), SWAPPED, date(2026, 1, 7),
     "same, with Fri 02/01 configured as a bridge day off: Mon 5, Tue 6, Wed 7"),
    ("residence_check", date(2026, 1, 8), PLAIN, date(2026, 1, 13),
     "Thu 08/01/2026, no configuration: Fri 9, Mon 12, Tue 13"),
    ("residence_check", date(2026, 1, 8), SWAPPED, date(2026, 1, 12),
     "same, with Sat 10/01 configured as worked (làm bù): Fri 9, Sat 10, Mon 12"),
    ("data_subject_ack", date(2026, 11, 20), PLAIN, date(2026, 11, 25),
     "Fri 20/11/2026: Mon 23, then Vietnam Cultural Day Tue 24/11 (from 2026), Wed 25"),
    ("weekly_contact", date(2026, 6, 1), PLAIN, date(2026, 6, 8),
     "contact Mon 01/06: the next is due by Mon 08/06, 7 calendar days"),
    ("loan_list", date(2026, 3, 5), PLAIN, date(2026, 3, 5), "on the 5th itself: that day's list"),
    ("loan_list", date(2026, 3, 6), PLAIN, date(2026, 4, 5), "after the 5th: next month's list"),
    ("loan_list", date(2026, 12, 20), PLAIN, date(2027, 1, 5), "after 5 December: 5 January next year"),
    ("quarterly_report", date(2026, 1, 5), PLAIN, date(2026, 1, 5), "5 January is a due day itself"),
    ("quarterly_report", date(2026, 1, 6), PLAIN, date(2026, 4, 5), "after 5 January: 5 April"),
    ("quarterly_report", date(2026, 12, 31), PLAIN, date(2027, 1, 5), "end of Q4: 5 January next year"),
]


@pytest.mark.parametrize(("key", "event", "cal", "expected", "why"), CASES, ids=[c[4][:40] for c in CASES])
def test_due_date(key, event, cal, expected, why):
    assert due_date(key, event, cal) == expected, why


def test_working_days_between_counts_what_add_working_days_adds():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 25), PLAIN) == 3  # across Tết 2026
    assert working_days_between(date(2026, 2, 25), date(2026, 2, 13), PLAIN) == -3
    assert working_days_between(date(2026, 2, 14), date(2026, 2, 22), PLAIN) == 0  # the whole break
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 6), PLAIN) == 0
    for n in range(12):
        assert working_days_between(date(2025, 12, 31), add_working_days(date(2025, 12, 31), n, SWAPPED), SWAPPED) == n


def test_add_working_days_edges():
    assert add_working_days(date(2026, 2, 17), 0, PLAIN) == date(2026, 2, 17)
    with pytest.raises(ValueError, match="positive"):
        add_working_days(date(2026, 2, 17), -1, PLAIN)


# --- Quarters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "due", "reviews"),
    [
        (1, date(2026, 1, 5), (2025, 4)),  # Monday
        (2, date(2026, 4, 5), (2026, 1)),  # a Sunday: calendar days, kept on the 5th, not moved
        (3, date(2026, 7, 5), (2026, 2)),  # a Sunday too
        (4, date(2026, 10, 5), (2026, 3)),  # Monday
    ],
)
def test_quarterly_report_due_on_the_5th_of_the_first_month(quarter, due, reviews):
    assert quarterly_report_due(2026, quarter) == due
    assert previous_quarter(2026, quarter) == reviews


def test_quarter_of():
    assert [quarter_of(date(2026, m, 15)) for m in range(1, 13)] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    with pytest.raises(ValueError):
        quarterly_report_due(2026, 5)


# --- Weekly contact ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "today", "since", "overdue"),
    [
        (date(2026, 6, 1), date(2026, 6, 8), date(2026, 5, 1), False),  # 7 days without contact: on time
        (date(2026, 6, 1), date(2026, 6, 9), date(2026, 5, 1), True),  # 8 days: overdue
        (None, date(2026, 6, 8), date(2026, 6, 1), False),  # never contacted, managed for 7 days
        (None, date(2026, 6, 9), date(2026, 6, 1), True),  # never contacted, 8 days
        (date(2026, 5, 1), date(2026, 6, 8), date(2026, 6, 1), False),  # a contact before `since` counts from since
        (date(2026, 6, 10), date(2026, 6, 9), date(2026, 5, 1), False),  # a contact dated after today
    ],
)
def test_contact_overdue_after_more_than_7_days(last, today, since, overdue):
    assert contact_overdue(last, today, since) is overdue


def test_contact_rule_starts_with_the_cat_hai_plan():
    with pytest.raises(RuleNotFound, match="weekly_contact"):
        contact_overdue(None, date(2026, 4, 28), date(2026, 1, 1))


# --- Versions ------------------------------------------------------------------------------------

OLD = Rule("residence_check", "Thông tư 10/2024/TT-BCA", date(2024, 5, 1), date(2027, 1, 1), "working_days", 3, "old")
NEW = Rule("residence_check", "a future circular", date(2027, 1, 1), None, "working_days", 5, "new")


def test_a_newer_version_applies_from_its_effective_date():
    rules = (OLD, NEW)
    assert rule_for("residence_check", date(2026, 12, 31), rules=rules) is OLD
    assert rule_for("residence_check", date(2027, 1, 1), rules=rules) is NEW
    # Thu 31/12/2026 under the old rule: 1/1 off; Mon 4, Tue 5, Wed 6/1/2027.
    assert due_date("residence_check", date(2026, 12, 31), PLAIN, rules=rules) == date(2027, 1, 6)
    # Fri 01/01/2027 (a holiday) under the new rule, 5 working days: Mon 4 … Fri 8/1/2027.
    assert due_date("residence_check", date(2027, 1, 1), PLAIN, rules=rules) == date(2027, 1, 8)
    with pytest.raises(RuleNotFound, match="no version"):
        rule_for("residence_check", date(2024, 4, 30), rules=rules)


def test_overlapping_versions_are_refused():
    overlapping = Rule("residence_check", "x", date(2026, 6, 1), None, "working_days", 4, "x")
    with pytest.raises(ValueError, match="overlap"):
        validate_rules((OLD, NEW, overlapping))
    with pytest.raises(RuleNotFound, match="several"):
        rule_for("residence_check", date(2027, 2, 1), rules=(NEW, overlapping))


def test_the_registry():
    validate_rules(RULES)
    assert set(KEYS) >= {
        "residence_check", "assignment_proposal", "dossier_open", "transfer_takeover",
        "quarterly_report", "weekly_contact", "loan_list", "data_subject_ack",
    }
    circular = [r for r in RULES if r.instrument.startswith("Thông tư 10/2024/TT-BCA")]
    assert {r.effective_from for r in circular} == {date(2024, 5, 1)}
    assert {r.key: r.amount for r in circular} == {
        "residence_check": 3, "assignment_proposal": 3, "dossier_open": 5, "transfer_takeover": 5,
        "quarterly_report": 5,
    }
    with pytest.raises(RuleNotFound):
        due_date("data_subject_ack", date(2025, 12, 31), PLAIN)  # Decree 356/2025 is in force from 2026
    with pytest.raises(RuleNotFound):
        rule_for("no_such_rule", date(2026, 1, 1))


def test_nothing_computes_the_reporting_deadline_on_the_certificate():
    assert not any("report" in key and "quarter" not in key for key in KEYS)
    assert "printed on the" in deadlines.__doc__


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "hours"},
        {"kind": "day_of_period"},  # without a period
        {"period": "month"},  # a period on a working-day rule
        {"effective_to": date(2024, 5, 1)},
        {"amount": -1},
    ],
)
def test_malformed_rules_are_refused(fields):
    base = {"key": "k", "instrument": "i", "effective_from": date(2024, 5, 1), "effective_to": None,
            "kind": "working_days", "amount": 3, "description": "d"}
    with pytest.raises(ValueError):
        Rule(**(base | fields))


# --- Configuration -------------------------------------------------------------------------------


def test_calendar_from_the_app_config_read_when_called():
    app = Flask(__name__)
    with app.app_context():
        assert calendar_from_config() == Calendar()  # keys absent: no corrections
        app.config["WORKDAYS_EXTRA_OFF"] = ["2026-01-02"]
        app.config["WORKDAYS_EXTRA_WORKING"] = [" 2026-01-10 "]
        assert calendar_from_config() == SWAPPED
        # cal=None: the working-day rules take the current app's calendar.
        assert due_date("residence_check", date(2026, 1, 8)) == date(2026, 1, 12)


def test_calendar_configuration_errors():
    with pytest.raises(ValueError, match="WORKDAYS_EXTRA_OFF"):
        calendar_from_config({"WORKDAYS_EXTRA_OFF": ["02/01/2026"]})
    with pytest.raises(ValueError, match="both off and working"):
        calendar_from_config({"WORKDAYS_EXTRA_OFF": ["2026-01-10"], "WORKDAYS_EXTRA_WORKING": ["2026-01-10"]})


def test_swapped_days_come_from_the_environment(monkeypatch):
    """An operator announces a bridge day off and a swapped Saturday without touching code."""
    from portal import config

    monkeypatch.setenv("WORKDAYS_EXTRA_OFF", "2026-01-02, 2026-04-24")
    monkeypatch.setenv("WORKDAYS_EXTRA_WORKING", "2026-01-10")
    settings = config.from_environment()
    cal = calendar_from_config(settings)
    assert not is_working_day(date(2026, 1, 2), cal)
    assert is_working_day(date(2026, 1, 10), cal)
