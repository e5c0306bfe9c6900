"""Expected expungement dates (Penal Code Arts. 69–73, 107; LEGAL.md §5): pure worked cases, no database.

Every case states the article and the arithmetic: the period counts from the day after the main penalty
was served (D), ends on the anniversary (Civil Code Arts. 147–148; 29/02 → 28/02 in a common year) and
the expected date is the day after the anniversary. The bracket follows the penalty as pronounced.
"""

from datetime import date, timedelta

import pytest
from flask import Flask
from flask_babel import Babel

from blueprints.returnees.expungement import (
    NOTE_MESSAGES,
    PENAL_CODE_2015,
    REASON_MESSAGES,
    STATUS_LABELS,
    STATUSES,
    ConvictionFacts,
    IncompleteFacts,
    Period,
    Rules,
    add_months,
    compute,
    describe,
)

TODAY = date(2026, 11, 25)


def conv(**facts) -> ConvictionFacts:
    """An adult's intentional serious property crime (Chapter XVI) unless the case says otherwise."""
    defaults = {
        "judgment_date": date(2019, 5, 20),
        "penalty_kind": "imprisonment",
        "penal_code_chapter": 16,
        "severity": "serious",
        "intentional": True,
    }
    return ConvictionFacts(**{**defaults, **facts})


def prison(months: int, served: date | None, **facts) -> ConvictionFacts:
    return conv(sentence_months=months, main_penalty_served_on=served, **facts)


def juvenile(age: int, severity: str, intentional: bool = True, **facts) -> ConvictionFacts:
    return conv(offender_age_at_offence=age, severity=severity, intentional=intentional, **facts)


# (convictions, today, status, expected_date, one_third_date, legal_basis)
CASES = [
    # --- Art. 70(2): one bracket each (Art. 72: one third of 1/2/3/5 years = 4/8/12/20 months) ---------
    pytest.param(
        # Suspended sentence: D = end of probation 15/03/2026; 1 year (a) → anniversary 15/03/2027 →
        # 16/03/2027. Art. 72: one third = 4 months → 15/07/2026 → 16/07/2026.
        [conv(penalty_kind="non_custodial", sentence_months=24, main_penalty_served_on=date(2026, 3, 15))],
        TODAY, "eligible_on", date(2027, 3, 16), date(2026, 7, 16), "Penal Code Art. 70(2)(a)",
        id="non-custodial-1y",
    ),
    pytest.param(
        # Fine as the main penalty, paid (served) 02/01/2026: 1 year (a) → 03/01/2027.
        [conv(penalty_kind="non_custodial", severity="less_serious", main_penalty_served_on=date(2026, 1, 2))],
        TODAY, "eligible_on", date(2027, 1, 3), date(2026, 5, 3), "Penal Code Art. 70(2)(a)",
        id="fine-1y",
    ),
    pytest.param(
        # 3 years pronounced, served 10/06/2025: 2 years (b) → 10/06/2027 → 11/06/2027.
        # One third = 8 months → 10/02/2026 → 11/02/2026.
        [prison(36, date(2025, 6, 10))],
        TODAY, "eligible_on", date(2027, 6, 11), date(2026, 2, 11), "Penal Code Art. 70(2)(b)",
        id="up-to-5y-2y",
    ),
    pytest.param(
        # Boundary: exactly 5 years (60 months) is "up to 5 years" → 2 years (b): 30/04/2025 → 01/05/2027.
        # One third, 8 months: 30/12/2025 → 31/12/2025.
        [prison(60, date(2025, 4, 30))],
        TODAY, "eligible_on", date(2027, 5, 1), date(2025, 12, 31), "Penal Code Art. 70(2)(b)",
        id="exactly-5y-is-b",
    ),
    pytest.param(
        # 5 years 1 month → over 5 years → 3 years (c): 30/04/2025 → 30/04/2028 → 01/05/2028.
        # One third = 1 year → 01/05/2026.
        [prison(61, date(2025, 4, 30))],
        TODAY, "eligible_on", date(2028, 5, 1), date(2026, 5, 1), "Penal Code Art. 70(2)(c)",
        id="over-5y-3y",
    ),
    pytest.param(
        # Boundary: exactly 15 years (180 months) is still (c), 3 years: 31/12/2024 → 31/12/2027 → 01/01/2028.
        [prison(180, date(2024, 12, 31))],
        TODAY, "eligible_on", date(2028, 1, 1), date(2026, 1, 1), "Penal Code Art. 70(2)(c)",
        id="exactly-15y-is-c",
    ),
    pytest.param(
        # 15 years 1 month → over 15 years → 5 years (d): 31/12/2024 → 31/12/2029 → 01/01/2030.
        # One third = 1 year 8 months → 31/08/2026 → 01/09/2026.
        [prison(181, date(2024, 12, 31))],
        TODAY, "eligible_on", date(2030, 1, 1), date(2026, 9, 1), "Penal Code Art. 70(2)(d)",
        id="over-15y-5y",
    ),
    pytest.param(
        # Life imprisonment (later reduced to a term), served 20/01/2026 → 5 years (d) → 21/01/2031.
        [conv(penalty_kind="life", severity="especially_serious", main_penalty_served_on=date(2026, 1, 20))],
        TODAY, "eligible_on", date(2031, 1, 21), date(2027, 9, 21), "Penal Code Art. 70(2)(d)",
        id="life-5y",
    ),
    pytest.param(
        # Death sentence commuted, served 03/02/2026 → 5 years (d) → 04/02/2031.
        [conv(penalty_kind="death_commuted", severity="especially_serious", main_penalty_served_on=date(2026, 2, 3))],
        TODAY, "eligible_on", date(2031, 2, 4), date(2027, 10, 4), "Penal Code Art. 70(2)(d)",
        id="death-commuted-5y",
    ),
    # --- Art. 73(1): pronounced, not served; Art. 73(4) and the pardon as start -----------------------
    pytest.param(
        # 7 years pronounced, released after 4 years 10 months (reductions, then the 2025 pardon effective
        # 01/09/2025): still (c), 3 years → 01/09/2028 → 02/09/2028 (not 2 years, as the time served suggests).
        [prison(84, date(2025, 9, 1))],
        TODAY, "eligible_on", date(2028, 9, 2), date(2026, 9, 2), "Penal Code Art. 70(2)(c)",
        id="pronounced-7y-served-under-5y",
    ),
    pytest.param(
        # 16 years pronounced, reduced to 14 years actually served: still (d), 5 years. 15/07/2025 → 16/07/2030.
        [prison(192, date(2025, 7, 15))],
        TODAY, "eligible_on", date(2030, 7, 16), date(2027, 3, 16), "Penal Code Art. 70(2)(d)",
        id="pronounced-16y-served-14y",
    ),
    pytest.param(
        # Special pardon (Decision 1693/QĐ-CTN), effective 01/09/2025, on a 4-year sentence that would have
        # ended in 2027: D = the pardon's effective date; 2 years (b) → 02/09/2027.
        [prison(48, date(2025, 9, 1), judgment_date=date(2023, 3, 1))],
        TODAY, "eligible_on", date(2027, 9, 2), date(2026, 5, 2), "Penal Code Art. 70(2)(b)",
        id="pardon-effective-date-is-start",
    ),
    # --- Art. 70(2) last paragraph: additional penalty longer than the period --------------------------
    pytest.param(
        # 2 years' prison served 10/06/2025 (→ 11/06/2027), then 3 years' probation (quản chế) ending
        # 09/06/2028: the period ends when that penalty is served → 10/06/2028. The Art. 72 date would not
        # be earlier than the expected date, so none is given.
        [prison(24, date(2025, 6, 10), additional_penalties_end=date(2028, 6, 9))],
        TODAY, "eligible_on", date(2028, 6, 10), None, "Penal Code Art. 70(2)(b), 70(2) last paragraph",
        id="additional-penalty-extension",
    ),
    pytest.param(
        # Same, but the ban from residence ends 09/06/2026, inside the 2-year period: no effect → 11/06/2027.
        # The Art. 72 date (one third: 11/02/2026) waits for the ban to be served → 10/06/2026.
        [prison(24, date(2025, 6, 10), additional_penalties_end=date(2026, 6, 9))],
        TODAY, "eligible_on", date(2027, 6, 11), date(2026, 6, 10), "Penal Code Art. 70(2)(b)",
        id="additional-penalty-within-period",
    ),
    pytest.param(
        # Point (d) is outside the extension paragraph, but the additional penalties must still be served
        # (general condition): 5 years → 02/01/2031, penalty ends 01/03/2031 → 02/03/2031, no extension ref.
        # Art. 72 also waits for the additional penalties: no earlier date.
        [prison(240, date(2026, 1, 1), additional_penalties_end=date(2031, 3, 1))],
        TODAY, "eligible_on", date(2031, 3, 2), None, "Penal Code Art. 70(2)(d)",
        id="additional-penalty-after-point-d",
    ),
    # --- Civil obligations (fines, damages, court fees) ---------------------------------------------
    pytest.param(
        # Damages still unpaid: pending, no date (LEGAL.md §5.2), whatever the period.
        [prison(36, date(2022, 6, 10), civil_obligations_open=True)],
        TODAY, "pending_obligations", None, None, "Penal Code Art. 70(2)(b)",
        id="obligations-open-pending",
    ),
    pytest.param(
        # The same person paid on 15/07/2025, after the period had run (ended 10/06/2024): the expected
        # date is the settlement day (LEGAL.md §5.2 formula) → 15/07/2025, before today → expunged.
        [prison(36, date(2022, 6, 10), civil_obligations_settled_on=date(2025, 7, 15))],
        TODAY, "expunged", date(2025, 7, 15), None, "Penal Code Art. 70(2)(b)",
        id="obligations-settled-after-period",
    ),
    pytest.param(
        # Paid 01/02/2026, inside the period (→ 11/06/2027): the settlement changes nothing.
        [prison(36, date(2025, 6, 10), civil_obligations_settled_on=date(2026, 2, 1))],
        TODAY, "eligible_on", date(2027, 6, 11), date(2026, 2, 11), "Penal Code Art. 70(2)(b)",
        id="obligations-settled-within-period",
    ),
    # --- Art. 71: Chapters XIII and XXVI, court decision ------------------------------------------------
    pytest.param(
        # Chapter XIII, suspended sentence ended 15/03/2026: court, 1 year (71(2)(a)) → 16/03/2027.
        [conv(penal_code_chapter=13, penalty_kind="non_custodial", main_penalty_served_on=date(2026, 3, 15))],
        TODAY, "court_decision", date(2027, 3, 16), date(2026, 7, 16), "Penal Code Art. 71(2)(a)",
        id="chapter-xiii-1y",
    ),
    pytest.param(
        # Chapter XIII, 3 years: court, 3 years (b): 15/01/2025 → 15/01/2028 → 16/01/2028. One third 1 year.
        [prison(36, date(2025, 1, 15), penal_code_chapter=13)],
        TODAY, "court_decision", date(2028, 1, 16), date(2026, 1, 16), "Penal Code Art. 71(2)(b)",
        id="chapter-xiii-3y",
    ),
    pytest.param(
        # Chapter XXVI, 10 years: court, 5 years (c): 20/05/2024 → 21/05/2029. One third 1 y 8 m → 21/01/2026.
        [prison(120, date(2024, 5, 20), penal_code_chapter=26, severity="especially_serious")],
        TODAY, "court_decision", date(2029, 5, 21), date(2026, 1, 21), "Penal Code Art. 71(2)(c)",
        id="chapter-xxvi-5y",
    ),
    pytest.param(
        # Chapter XIII, 20 years: court, 7 years (d): 05/01/2026 → 06/01/2033. One third = 2 y 4 m → 06/05/2028.
        [prison(240, date(2026, 1, 5), penal_code_chapter=13, severity="especially_serious")],
        TODAY, "court_decision", date(2033, 1, 6), date(2028, 5, 6), "Penal Code Art. 71(2)(d)",
        id="chapter-xiii-7y",
    ),
    pytest.param(
        # The earliest application date passed long ago: still a court decision, never "expunged" by itself.
        [prison(36, date(2020, 1, 1), penal_code_chapter=13)],
        TODAY, "court_decision", date(2023, 1, 2), date(2021, 1, 2), "Penal Code Art. 71(2)(b)",
        id="chapter-xiii-date-passed",
    ),
    pytest.param(
        # Art. 73(3): one judgment for a Chapter XIII crime and a property crime → the court, Art. 71 periods.
        [prison(36, date(2025, 1, 15), penal_code_chapter=13, other_chapters=(16,))],
        TODAY, "court_decision", date(2028, 1, 16), date(2026, 1, 16), "Penal Code Art. 71(2)(b), 73(3)",
        id="mixed-chapters-one-judgment",
    ),
    pytest.param(
        # Art. 71(2) last paragraph: 3 years' quản chế after a 2-year Chapter XIII sentence (b) runs past
        # the 3-year period (→ 11/06/2028): one may apply when it ends 09/06/2029 → 10/06/2029.
        [prison(24, date(2025, 6, 10), penal_code_chapter=13, additional_penalties_end=date(2029, 6, 9))],
        TODAY, "court_decision", date(2029, 6, 10), None, "Penal Code Art. 71(2)(b), 71(2) last paragraph",
        id="chapter-xiii-additional-penalty",
    ),
    pytest.param(
        # The court expunged the record on 01/03/2024 (Art. 71): done.
        [prison(36, date(2020, 1, 1), penal_code_chapter=13, court_expunged_on=date(2024, 3, 1))],
        TODAY, "expunged", date(2024, 3, 1), None, "Penal Code Art. 71, 72",
        id="court-expunged",
    ),
    pytest.param(
        # Art. 72 in an automatic case: the court expunged on the commune's proposal after one third.
        [prison(36, date(2025, 6, 10), court_expunged_on=date(2026, 3, 2))],
        TODAY, "expunged", date(2026, 3, 2), None, "Penal Code Art. 72",
        id="art-72-court-expunged",
    ),
    # --- Art. 107: under 18 at the offence --------------------------------------------------------------
    pytest.param(
        # 15 at the offence, especially serious, 8 years: 14 to under 16 → no record at all (107(1)(a)).
        [juvenile(15, "especially_serious", sentence_months=96, main_penalty_served_on=date(2025, 1, 1))],
        TODAY, "no_record", None, None, "Penal Code Art. 107(1)(a)",
        id="under-16-no-record",
    ),
    pytest.param(
        # 17, less serious: no record (107(1)(b)).
        [juvenile(17, "less_serious", sentence_months=12, main_penalty_served_on=date(2025, 1, 1))],
        TODAY, "no_record", None, None, "Penal Code Art. 107(1)(b)",
        id="16-18-less-serious-no-record",
    ),
    pytest.param(
        # 16, *intentional* serious crime: still no record — LEGAL.md: any serious crime (107(1)(b)).
        [juvenile(16, "serious", sentence_months=30, main_penalty_served_on=date(2025, 1, 1))],
        TODAY, "no_record", None, None, "Penal Code Art. 107(1)(b)",
        id="16-18-intentional-serious-no-record",
    ),
    pytest.param(
        # 17, negligent very serious crime: no record (107(1)(b)).
        [juvenile(17, "very_serious", intentional=False, sentence_months=84, main_penalty_served_on=date(2025, 1, 1))],
        TODAY, "no_record", None, None, "Penal Code Art. 107(1)(b)",
        id="16-18-negligent-very-serious-no-record",
    ),
    pytest.param(
        # 16, reformatory (trường giáo dưỡng): no record (107(1)(c)).
        [juvenile(16, "very_serious", penalty_kind="reformatory")],
        TODAY, "no_record", None, None, "Penal Code Art. 107(1)(c)",
        id="reformatory-no-record",
    ),
    pytest.param(
        # 17, intentional very serious, suspended sentence ended 01/09/2026: 6 months (107(2)(a)) → 02/03/2027.
        # Art. 72 names only the Art. 70(2)/71(2) periods: no one-third date.
        [juvenile(17, "very_serious", penalty_kind="non_custodial", main_penalty_served_on=date(2026, 9, 1))],
        TODAY, "eligible_on", date(2027, 3, 2), None, "Penal Code Art. 107(2)(a)",
        id="16-18-suspended-6m",
    ),
    pytest.param(
        # 17, intentional very serious, 4 years: 1 year (107(2)(b)): 10/10/2025 → 11/10/2026 → expunged today.
        [juvenile(17, "very_serious", sentence_months=48, main_penalty_served_on=date(2025, 10, 10))],
        TODAY, "expunged", date(2026, 10, 11), None, "Penal Code Art. 107(2)(b)",
        id="16-18-up-to-5y-1y",
    ),
    pytest.param(
        # 16, especially serious, 6 years: 2 years (107(2)(c)): 10/10/2025 → 11/10/2027.
        [juvenile(16, "especially_serious", sentence_months=72, main_penalty_served_on=date(2025, 10, 10))],
        TODAY, "eligible_on", date(2027, 10, 11), None, "Penal Code Art. 107(2)(c)",
        id="16-18-over-5y-2y",
    ),
    pytest.param(
        # 17, especially serious, 18 years (the maximum for a minor): 3 years (107(2)(d)) → 11/10/2028.
        [juvenile(17, "especially_serious", sentence_months=216, main_penalty_served_on=date(2025, 10, 10))],
        TODAY, "eligible_on", date(2028, 10, 11), None, "Penal Code Art. 107(2)(d)",
        id="16-18-over-15y-3y",
    ),
    pytest.param(
        # 17, Chapter XIII: Chapter XII (minors) is the special rule → automatic, Art. 107 periods (assumption).
        [juvenile(17, "especially_serious", sentence_months=72, penal_code_chapter=13,
                  main_penalty_served_on=date(2025, 10, 10))],
        TODAY, "eligible_on", date(2027, 10, 11), None, "Penal Code Art. 107(2)(c)",
        id="16-18-chapter-xiii-still-107",
    ),
    # --- Art. 69: never a record ------------------------------------------------------------------------
    pytest.param(
        # Adult, negligent serious crime (e.g. a traffic death): not regarded as having a record (69(2)).
        [prison(30, date(2025, 1, 1), intentional=False)],
        TODAY, "no_record", None, None, "Penal Code Art. 69(2)",
        id="adult-negligent-serious-no-record",
    ),
    pytest.param(
        # Exempted from penalty: no record (69(2)).
        [conv(penalty_kind="exempted")],
        TODAY, "no_record", None, None, "Penal Code Art. 69(2)",
        id="exempted-no-record",
    ),
    pytest.param(
        # Adult, negligent *very* serious: Art. 69 does not reach it → 3 years (c) → 02/01/2029.
        [prison(96, date(2026, 1, 1), intentional=False, severity="very_serious")],
        TODAY, "eligible_on", date(2029, 1, 2), date(2027, 1, 2), "Penal Code Art. 70(2)(c)",
        id="adult-negligent-very-serious-has-record",
    ),
    # --- Art. 73(2): a new crime restarts the period ------------------------------------------------
    pytest.param(
        # 7 years (c, 3 years) served 01/05/2020 → would clear 02/05/2023. New theft 20/11/2022, inside the
        # period; 1 year pronounced (b, 2 years), served 15/03/2024. Both periods restart from 15/03/2024 and
        # the longer, 3 years, governs → 16/03/2027 (the new conviction alone: 16/03/2026, already past).
        [
            prison(84, date(2020, 5, 1), judgment_date=date(2014, 3, 1)),
            prison(12, date(2024, 3, 15), judgment_date=date(2023, 4, 10), offence_date=date(2022, 11, 20)),
        ],
        TODAY, "eligible_on", date(2027, 3, 16), date(2025, 3, 16), "Penal Code Art. 70(2)(c), 73(2)",
        id="new-crime-restarts-longest-period",
    ),
    pytest.param(
        # The same, listed newest first: the order of the input does not matter.
        [
            prison(12, date(2024, 3, 15), judgment_date=date(2023, 4, 10), offence_date=date(2022, 11, 20)),
            prison(84, date(2020, 5, 1), judgment_date=date(2014, 3, 1)),
        ],
        TODAY, "eligible_on", date(2027, 3, 16), date(2025, 3, 16), "Penal Code Art. 70(2)(c), 73(2)",
        id="new-crime-any-input-order",
    ),
    pytest.param(
        # The old record cleared 11/01/2017; the new offence (01/06/2019) is after it: only the new
        # conviction counts, 2 years (b) from 05/01/2025 → 06/01/2027.
        [
            prison(24, date(2015, 1, 10), judgment_date=date(2013, 2, 1)),
            prison(6, date(2025, 1, 5), judgment_date=date(2024, 7, 1), offence_date=date(2019, 6, 1)),
        ],
        TODAY, "eligible_on", date(2027, 1, 6), date(2025, 9, 6), "Penal Code Art. 70(2)(b)",
        id="new-crime-after-clearing-does-not-restart",
    ),
    pytest.param(
        # A new crime while the old obligations are unpaid: the old record never cleared, it restarts; still
        # pending while those obligations are open.
        [
            prison(24, date(2015, 1, 10), judgment_date=date(2013, 2, 1), civil_obligations_open=True),
            prison(6, date(2025, 1, 5), judgment_date=date(2024, 7, 1), offence_date=date(2019, 6, 1)),
        ],
        TODAY, "pending_obligations", None, None, "Penal Code Art. 70(2)(b), 73(2)",
        id="new-crime-while-obligations-open",
    ),
    pytest.param(
        # A Chapter XIII crime committed within an automatic period: the whole record goes to the court,
        # Art. 71 periods (73(3) by analogy): 5 years (c, 8 years) from 01/06/2026 → 02/06/2031.
        [
            prison(96, date(2020, 5, 1), judgment_date=date(2013, 3, 1)),
            prison(24, date(2026, 6, 1), judgment_date=date(2024, 4, 1), offence_date=date(2022, 2, 2),
                   penal_code_chapter=13),
        ],
        TODAY, "court_decision", date(2031, 6, 2), date(2028, 2, 2), "Penal Code Art. 71(2)(c), 73(3), 73(2)",
        id="new-national-security-crime-goes-to-court",
    ),
    # --- Not yet served, expunged as of today ---------------------------------------------------------
    pytest.param(
        # Still in prison, release date unknown.
        [prison(36, None)],
        TODAY, "not_yet_served", None, None, "Penal Code Art. 70(2)(b)",
        id="not-yet-served",
    ),
    pytest.param(
        # Release expected 10/02/2027 (the prison's notice): the date is already foreseeable → 11/02/2029.
        [prison(36, date(2027, 2, 10))],
        TODAY, "not_yet_served", date(2029, 2, 11), date(2027, 10, 11), "Penal Code Art. 70(2)(b)",
        id="served-in-the-future",
    ),
    pytest.param(
        # A new conviction is not served yet: the old record waits for it too (73(2)).
        [
            prison(24, date(2024, 1, 10), judgment_date=date(2022, 2, 1)),
            prison(12, None, judgment_date=date(2026, 7, 1), offence_date=date(2025, 12, 1)),
        ],
        TODAY, "not_yet_served", None, None, "Penal Code Art. 70(2)(b), 73(2)",
        id="new-conviction-not-yet-served",
    ),
    pytest.param(
        # 2 years (b) from 10/02/2020 → 11/02/2022, before today: expunged (as expected; the certificate rules).
        [prison(24, date(2020, 2, 10))],
        TODAY, "expunged", date(2022, 2, 11), date(2020, 10, 11), "Penal Code Art. 70(2)(b)",
        id="already-expunged",
    ),
    # --- 29 February ------------------------------------------------------------------------------
    pytest.param(
        # Served 29/02/2024, 2 years: 2026 has no 29 February → the period ends 28/02/2026 → 01/03/2026.
        # One third, 8 months: 29/10/2024 → 30/10/2024.
        [prison(24, date(2024, 2, 29))],
        TODAY, "expunged", date(2026, 3, 1), date(2024, 10, 30), "Penal Code Art. 70(2)(b)",
        id="29-february-start",
    ),
    pytest.param(
        # Served 28/02/2027, 1 year: the period ends 28/02/2028 and the next day is 29/02/2028 (leap year).
        [conv(penalty_kind="non_custodial", main_penalty_served_on=date(2027, 2, 28))],
        TODAY, "not_yet_served", date(2028, 2, 29), date(2027, 6, 29), "Penal Code Art. 70(2)(a)",
        id="29-february-is-the-expected-date",
    ),
    pytest.param(
        # Art. 72 one third of 5 years = 1 year 8 months from 30/06/2022 → 29/02/2024 (the month's last day,
        # a leap year) → 01/03/2024. Full period → 30/06/2027 → 01/07/2027.
        [prison(200, date(2022, 6, 30))],
        TODAY, "eligible_on", date(2027, 7, 1), date(2024, 3, 1), "Penal Code Art. 70(2)(d)",
        id="29-february-one-third",
    ),
]


@pytest.mark.parametrize(("convictions", "today", "status", "expected", "one_third", "basis"), CASES)
def test_worked_cases(convictions, today, status, expected, one_third, basis):
    result = compute(convictions, today)
    assert (result.status, result.expected_date, result.one_third_date, result.legal_basis) == (
        status, expected, one_third, basis,
    )


def test_no_convictions_is_no_record():
    result = compute([], TODAY)
    assert (result.status, result.reason, result.expected_date) == ("no_record", "no_convictions", None)


def test_bracket_period_and_counting_date_are_reported():
    result = compute([prison(84, date(2025, 9, 1))], TODAY)
    assert (result.period, result.counted_from, result.reason) == (Period(3), date(2025, 9, 1), "period")


def test_a_new_version_of_the_rules_is_a_value_not_an_edit():
    """DESIGN §3: rules are versioned configuration. A hypothetical amendment shortening point (b) to 1 year."""
    amended = Rules(
        instrument="hypothetical amendment", effective_from=date(2027, 1, 1),
        automatic=(Period(1), Period(1), Period(3), Period(5)), court=PENAL_CODE_2015.court,
        juvenile=PENAL_CODE_2015.juvenile,
    )
    facts = [prison(36, date(2025, 6, 10))]
    assert compute(facts, TODAY, rules=amended).expected_date == date(2026, 6, 11)
    assert compute(facts, TODAY).expected_date == date(2027, 6, 11)


def test_one_day_before_and_on_the_expected_date():
    """Eligible from the day after the anniversary: the anniversary itself is still inside the period."""
    facts = [prison(24, date(2024, 3, 10))]  # anniversary 10/03/2026 → 11/03/2026
    assert compute(facts, date(2026, 3, 10)).status == "eligible_on"
    assert compute(facts, date(2026, 3, 11)).status == "expunged"


def test_pending_then_settled():
    """Open obligations give no date; once settled (within the period) the date appears unchanged."""
    open_ = compute([prison(36, date(2025, 6, 10), civil_obligations_open=True)], TODAY)
    assert (open_.status, open_.expected_date, open_.one_third_date) == ("pending_obligations", None, None)
    assert (open_.period, open_.counted_from, open_.reason) == (Period(2), date(2025, 6, 10), "obligations_open")
    settled = compute([prison(36, date(2025, 6, 10), civil_obligations_settled_on=date(2026, 11, 1))], TODAY)
    assert (settled.status, settled.expected_date) == ("eligible_on", date(2027, 6, 11))


def test_settlement_after_the_period_is_the_reason():
    result = compute([prison(36, date(2022, 6, 10), civil_obligations_settled_on=date(2025, 7, 15))], TODAY)
    assert (result.reason, result.params["until"]) == ("obligations_settled", date(2025, 7, 15))


def test_extension_is_the_reason():
    result = compute([prison(24, date(2025, 6, 10), additional_penalties_end=date(2028, 6, 9))], TODAY)
    assert (result.reason, result.params["until"]) == ("additional_penalty", date(2028, 6, 9))


def test_court_rejections_postpone_the_next_application():
    """Art. 71: again 1 year after a first rejection, 2 years after a second or later one."""
    facts = [prison(36, date(2020, 1, 1), penal_code_chapter=13)]  # may apply from 02/01/2023
    first = compute(facts, TODAY, court_rejections=[date(2026, 2, 10)])
    assert (first.status, first.reason, first.expected_date) == ("court_decision", "court_reapply", date(2027, 2, 11))
    assert first.legal_basis == "Penal Code Art. 71(2)(b), 71"
    second = compute(facts, TODAY, court_rejections=[date(2026, 2, 10), date(2027, 3, 1)])
    assert second.expected_date == date(2029, 3, 2)
    # A rejection before the current period started (an earlier record) does not count.
    assert compute(facts, TODAY, court_rejections=[date(2019, 5, 5)]).expected_date == date(2023, 1, 2)


def test_restart_keeps_the_whole_chain():
    old = prison(84, date(2020, 5, 1), judgment_date=date(2014, 3, 1))
    new = prison(12, date(2024, 3, 15), judgment_date=date(2023, 4, 10), offence_date=date(2022, 11, 20))
    result = compute([new, old], TODAY)
    assert result.chain == (old, new)
    assert (result.period, result.counted_from, result.notes) == (Period(3), date(2024, 3, 15), ())


def test_unknown_offence_date_is_assumed_inside_the_period():
    """16 years (5-year period) served 01/01/2015 → would clear 02/01/2020. A judgment of 01/06/2020 with
    no offence date may concern a crime of 2019: assumed inside the period, so 5 years from the new
    completion 01/05/2021 → 02/05/2026, with a note (without the old record: 02/05/2023)."""
    facts = [
        prison(192, date(2015, 1, 1), judgment_date=date(2000, 1, 1)),
        prison(12, date(2021, 5, 1), judgment_date=date(2020, 6, 1)),
    ]
    result = compute(facts, date(2026, 1, 1))
    assert (result.status, result.expected_date, result.notes) == (
        "eligible_on", date(2026, 5, 2), ("offence_date_assumed",),
    )


def test_unknown_offence_date_before_clearing_needs_no_assumption():
    """Judged before the old record would have cleared: the offence certainly fell inside the period."""
    facts = [
        prison(84, date(2020, 5, 1), judgment_date=date(2014, 3, 1)),
        prison(12, date(2024, 3, 15), judgment_date=date(2023, 4, 10)),
    ]
    result = compute(facts, TODAY)
    assert (result.expected_date, result.notes) == (date(2027, 3, 16), ())


def test_unknown_category_of_an_adults_negligent_crime_is_noted():
    result = compute([prison(30, date(2025, 1, 1), intentional=False, severity=None)], TODAY)
    assert (result.status, result.notes) == ("eligible_on", ("art69_not_checked",))
    assert compute([prison(30, date(2025, 1, 1), severity=None)], TODAY).notes == ()  # intentional: no doubt


@pytest.mark.parametrize(
    ("facts", "missing"),
    [
        ({"severity": None}, "severity"),
        ({"severity": "very_serious", "intentional": None}, "intentional"),
    ],
)
def test_a_minor_needs_the_category_and_fault(facts, missing):
    with pytest.raises(IncompleteFacts) as raised:
        compute([prison(48, date(2025, 1, 1), offender_age_at_offence=17, **facts)], TODAY)
    assert raised.value.field == missing


@pytest.mark.parametrize(
    "facts",
    [
        {"penalty_kind": "probation"},
        {"penalty_kind": "imprisonment", "sentence_months": None},
        {"penalty_kind": "imprisonment", "sentence_months": 0},
        {"severity": "grave"},
        {"civil_obligations_open": True, "civil_obligations_settled_on": date(2025, 1, 1)},
    ],
)
def test_invalid_facts_are_refused(facts):
    with pytest.raises(ValueError, match=r"."):
        conv(**{"sentence_months": 12, **facts})


def test_life_is_never_a_minors_penalty():
    with pytest.raises(ValueError, match="under 18"):
        compute([juvenile(17, "especially_serious", penalty_kind="life", main_penalty_served_on=TODAY)], TODAY)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2023, 6, 30), 8, date(2024, 2, 29)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 11, 30), 26, date(2028, 1, 30)),
    ],
)
def test_add_months(start, months, end):
    assert add_months(start, months) == end


def test_add_months_agrees_with_dateutil():
    relativedelta = pytest.importorskip("dateutil.relativedelta").relativedelta
    day = date(2023, 1, 1)
    while day < date(2025, 1, 1):
        for months in (4, 6, 8, 12, 20, 24, 28, 36, 60, 84):
            assert add_months(day, months) == day + relativedelta(months=months)
        day += timedelta(days=1)


def test_every_status_and_reason_has_a_message():
    assert set(STATUS_LABELS) == set(STATUSES)
    for case in CASES:
        convictions, today = case.values[:2]
        result = compute(convictions, today)
        assert result.reason in REASON_MESSAGES
        assert set(result.notes) <= set(NOTE_MESSAGES)


def test_describe_renders_every_reason():
    app = Flask(__name__)
    Babel(app)
    results = [compute(case.values[0], case.values[1]) for case in CASES]
    results.append(compute([prison(36, date(2020, 1, 1), penal_code_chapter=13)], TODAY, court_rejections=[TODAY]))
    results.append(compute([], TODAY))
    results.append(compute([prison(30, date(2025, 1, 1), intentional=False, severity=None)], TODAY))
    with app.app_context():
        texts = {result.reason: describe(result) for result in results}
        assert set(texts) == set(REASON_MESSAGES)
        assert all("%(" not in text for text in texts.values())
        assert describe(compute([prison(36, date(2025, 6, 10))], TODAY)) == (
            "2 years counted from 10/06/2025 (Art. 70(2)(b))."
        )
        assert describe(compute([prison(200, date(2022, 6, 30))], TODAY)).startswith("5 years counted from")
        assert describe(compute([prison(30, date(2025, 1, 1), intentional=False, severity=None)], TODAY)).endswith(
            "the Art. 69 rule for negligent crimes was not applied."
        )
        assert texts["court_reapply"].startswith("Applications rejected by the court: 1, the last on 25/11/2026;")
        assert describe(compute([juvenile(17, "very_serious", penalty_kind="non_custodial",
                                          main_penalty_served_on=date(2026, 9, 1))], TODAY)).startswith(
            "6 months counted from 01/09/2026"
        )
