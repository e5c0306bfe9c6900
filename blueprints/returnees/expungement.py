"""Expected expungement (xóa án tích) date: Penal Code 2015 Arts. 69–73 and 107 (LEGAL.md §5).

Pure: no database, no request. The dossier adapts its `Conviction` rows to `ConvictionFacts`, calls
`compute(convictions, today)` and shows the `ExpungementResult` as "dự kiến" (expected). The legal
effect comes from the judicial record certificate or the court decision, never from this date.

Conventions (the readings behind them are listed in the README's assumptions):

- `main_penalty_served_on` (D) is the day the main penalty was completed: release date on the
  completion certificate; for a pardon the pardon's effective date; for a suspended sentence or a
  conditional release the end of probation; the day the rest of the penalty was waived (Art. 73(4)) or
  the execution limitation expired (Art. 70(3)). None while it is not known.
- The period counts from the day after D and ends on the anniversary (Civil Code Arts. 147–148; a
  29 February anniversary in a common year ends on 28 February). Expected date = anniversary + 1 day.
- The bracket follows the main penalty *as pronounced* (Art. 73(1)), in whole months (a pronounced
  term with extra days is rounded up: 5 years 10 days is "over 5 years").
- `additional_penalties_end` is the last day of the latest additional penalty: the record cannot clear
  before the following day (Art. 70(2) last paragraph for points a–c; the general condition otherwise).
- Civil obligations still open: status `pending_obligations`, no date. Settled after the period: the
  expected date is the settlement day (LEGAL.md §5.2 formula).
- A later conviction for an offence committed before the record cleared restarts every earlier period
  from the newest completion date (Art. 73(2)); the longest period of the chain applies.
- Chapters XIII and XXVI: court decision, Art. 71 periods; a chain or a judgment mixing both regimes is
  decided by the court with Art. 71 periods (Art. 73(3)).

The periods are one versioned `Rules` value (PENAL_CODE_2015); an amendment is a new value.
`reason` is a machine code and `params` its values; `describe()` renders them in the current locale.
"""

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

PENALTY_KINDS = ("non_custodial", "imprisonment", "life", "death_commuted", "exempted", "reformatory")
SEVERITIES = ("less_serious", "serious", "very_serious", "especially_serious")
COURT_CHAPTERS = frozenset({13, 26})  # Chapter XIII national security; XXVI peace, humanity, war crimes
STATUSES = ("no_record", "eligible_on", "pending_obligations", "court_decision", "not_yet_served", "expunged")

class IncompleteFacts(ValueError):
    """The law needs a fact the conviction does not carry (`field` names it, as on ConvictionFacts)."""

    def __init__(self, field_name: str):
        super().__init__(f"{field_name} is needed to compute the expungement date")
        self.field = field_name


@dataclass(frozen=True)
class Period:
    """A legal period in calendar years and months."""

    years: int = 0
    months: int = 0

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    @classmethod
    def of_months(cls, months: int) -> "Period":
        return cls(*divmod(months, 12))


@dataclass(frozen=True, kw_only=True)
class ConvictionFacts:
    """One final judgment, independent of the ORM. Dates are calendar days; see the module docstring."""

    judgment_date: date
    penalty_kind: str  # one of PENALTY_KINDS; non_custodial = warning, fine, non-custodial reform, suspended
    sentence_months: int | None = None  # imprisonment as pronounced (the aggregate of the judgment)
    penal_code_chapter: int | None = None  # Roman chapter as int: XIII = 13, XXVI = 26
    other_chapters: tuple[int, ...] = ()  # chapters of the judgment's other crimes (Art. 73(3))
    severity: str | None = None  # one of SEVERITIES
    intentional: bool | None = None  # False: negligent (vô ý)
    offender_age_at_offence: int | None = None  # None: adult
    offence_date: date | None = None  # needed to tell whether a later crime fell within an earlier period
    main_penalty_served_on: date | None = None
    additional_penalties_end: date | None = None
    civil_obligations_open: bool = False
    civil_obligations_settled_on: date | None = None
    court_expunged_on: date | None = None  # a court decision expunging the record (Arts. 71, 72)

    def __post_init__(self):
        if self.penalty_kind not in PENALTY_KINDS:
            raise ValueError(f"penalty_kind must be one of {PENALTY_KINDS}, not {self.penalty_kind!r}")
        if self.penalty_kind == "imprisonment" and not (self.sentence_months or 0) > 0:
            raise ValueError("imprisonment needs sentence_months > 0 (as pronounced)")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.civil_obligations_open and self.civil_obligations_settled_on is not None:
            raise ValueError("civil obligations cannot be both open and settled")

    @property
    def chapters(self) -> frozenset[int]:
        first = () if self.penal_code_chapter is None else (self.penal_code_chapter,)
        return frozenset((*first, *self.other_chapters))

    @property
    def juvenile(self) -> bool:
        return self.offender_age_at_offence is not None and self.offender_age_at_offence < 18


@dataclass(frozen=True)
class ExpungementResult:
    status: str  # one of STATUSES
    reason: str  # a key of REASON_MESSAGES
    params: Mapping = field(default_factory=dict, hash=False)  # values for the reason's message (dates, ints, Period)
    expected_date: date | None = None  # eligible from (automatic) / may apply from (court) / expunged on
    one_third_date: date | None = None  # Art. 72: the court may expunge from this date on a proposal
    period: Period | None = None
    counted_from: date | None = None  # D, the completion date the period counts from
    legal_basis: str = ""  # e.g. "Penal Code Art. 70(2)(b), 73(2)"
    notes: tuple[str, ...] = ()  # keys of NOTE_MESSAGES
    chain: tuple[ConvictionFacts, ...] = ()  # the convictions the result depends on, oldest first

    @property
    def label(self):
        return STATUS_LABELS[self.status]


# --- Calendar arithmetic (Civil Code Arts. 147–148) ------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Same day `months` later; a day the target month lacks becomes its last day (29/02 → 28/02)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, period: Period) -> date:
    """The last day of a period counted from the day after `start` (the anniversary)."""
    return add_months(start, period.total_months)


# --- The rules -------------------------------------------------------------------------------------

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rules:
    """One version of the periods, by point a–d (non-custodial, ≤ 5 years, > 5–15 years, > 15 years).

    A later amendment is a new Rules value passed to compute(rules=...), never an edit of this one.
    """

    instrument: str
    effective_from: date
    automatic: tuple[Period, ...]  # Art. 70(2)(a)–(d)
    court: tuple[Period, ...]  # Art. 71(2)(a)–(d)
    juvenile: tuple[Period, ...]  # Art. 107(2)(a)–(d)


PENAL_CODE_2015 = Rules(
    instrument="Penal Code 100/2015/QH13, amended by Law 12/2017/QH14",
    effective_from=date(2018, 1, 1),
    automatic=(Period(1), Period(2), Period(3), Period(5)),
    court=(Period(1), Period(3), Period(5), Period(7)),
    juvenile=(Period(0, 6), Period(1), Period(2), Period(3)),
)


def _no_record(c: ConvictionFacts) -> tuple[str, str] | None:
    """(reason, article) when the conviction leaves no criminal record at all (Arts. 69, 107(1))."""
    if c.penalty_kind == "reformatory":
        return "juvenile_no_record", "107(1)(c)"
    if c.penalty_kind == "exempted":
        return "exempted_from_penalty", "69(2)"
    if c.juvenile:
        if c.offender_age_at_offence < 16:
            return "juvenile_no_record", "107(1)(a)"
        if c.severity is None:
            raise IncompleteFacts("severity")
        if c.severity in ("less_serious", "serious"):
            return "juvenile_no_record", "107(1)(b)"
        if c.severity == "very_serious":
            if c.intentional is None:
                raise IncompleteFacts("intentional")
            if not c.intentional:
                return "juvenile_no_record", "107(1)(b)"
        return None
    if c.intentional is False and c.severity in ("less_serious", "serious"):
        return "negligent_minor_crime", "69(2)"
    return None


def _bracket(c: ConvictionFacts) -> int:
    """0–3 = points a–d, from the main penalty as pronounced (Art. 73(1))."""
    if c.penalty_kind == "non_custodial":
        return 0
    if c.penalty_kind in ("life", "death_commuted"):
        if c.juvenile:
            raise ValueError("life imprisonment and the death penalty are not imposed on offenders under 18")
        return 3
    return 1 if c.sentence_months <= 60 else 2 if c.sentence_months <= 180 else 3


def _term(c: ConvictionFacts, court: bool, rules: Rules) -> tuple[Period, str]:
    point = _bracket(c)
    if c.juvenile:  # 16–18, intentional very serious or especially serious: automatic, any chapter
        return rules.juvenile[point], f"107(2)({'abcd'[point]})"
    if court:
        return rules.court[point], f"71(2)({'abcd'[point]})"
    return rules.automatic[point], f"70(2)({'abcd'[point]})"


@dataclass(frozen=True)
class _Outcome:
    court: bool
    period: Period
    article: str
    refs: tuple[str, ...]
    counted_from: date | None  # None: some main penalty of the chain is not served
    floor: date | None  # no expungement before this day (additional penalties served, obligations settled)
    why: str  # the reason code of the term that fixes the date
    until: date | None  # the additional penalty's last day or the settlement day, when it fixes the date
    open: bool
    court_expunged_on: date | None

    def after(self, period: Period) -> date | None:
        if self.counted_from is None:
            return None
        day = period_end(self.counted_from, period) + _DAY
        return max(day, self.floor) if self.floor else day

    @property
    def expected(self) -> date | None:
        return self.after(self.period)


def _evaluate(chain: list[ConvictionFacts], rules: Rules) -> _Outcome:
    court = any(c.chapters & COURT_CHAPTERS for c in chain if not c.juvenile)
    terms = [_term(c, court, rules) for c in chain]
    period, article = max(terms, key=lambda t: t[0].total_months)  # the first of equals
    refs = [article]
    if court and any(not c.chapters <= COURT_CHAPTERS for c in chain if not c.juvenile):
        refs.append("73(3)")
    if len(chain) > 1:
        refs.append("73(2)")
    served = [c.main_penalty_served_on for c in chain]
    counted_from = None if None in served else max(served)
    penalty_ends = [c.additional_penalties_end + _DAY for c in chain if c.additional_penalties_end]
    settled = [c.civil_obligations_settled_on for c in chain if c.civil_obligations_settled_on]
    floor = max(penalty_ends + settled, default=None)
    why, until = "period", None
    if counted_from is not None and floor is not None and floor > period_end(counted_from, period) + _DAY:
        if settled and max(settled) == floor:
            why, until = "obligations_settled", floor
        else:
            why, until = "additional_penalty", floor - _DAY
            # Art. 70(2) last paragraph covers points a–c; Art. 71(2)'s covers points a–b. Beyond them the
            # general condition (additional penalties served) gives the same day.
            if article[:2] in ("70", "71") and article[-2] in ("abc" if article[:2] == "70" else "ab"):
                refs.append(f"{article[:2]}(2) last paragraph")
    return _Outcome(
        court=court, period=period, article=article, refs=tuple(refs), counted_from=counted_from, floor=floor,
        why=why, until=until, open=any(c.civil_obligations_open for c in chain),
        court_expunged_on=chain[-1].court_expunged_on,
    )


def _cleared_on(outcome: _Outcome) -> date | None:
    """When the chain's record cleared (ignoring today); None: not cleared by itself."""
    if outcome.court_expunged_on is not None:
        return outcome.court_expunged_on
    if outcome.court or outcome.open:
        return None
    return outcome.expected


def _art69_unknown(c: ConvictionFacts) -> bool:
    """An adult's conviction where the missing category or fault might have meant no record (Art. 69)."""
    unknown = c.severity is None or c.intentional is None
    return unknown and c.intentional is not True and c.severity in (None, "less_serious", "serious")


def _chain(records: list[ConvictionFacts], rules: Rules) -> tuple[list[ConvictionFacts], tuple[str, ...]]:
    """The convictions still on record: a crime committed before the record cleared joins it (Art. 73(2))."""
    chain, notes = [], []
    for c in records:
        cleared = _cleared_on(_evaluate(chain, rules)) if chain else None
        if cleared is not None:
            committed = c.offence_date
            if committed is None and c.judgment_date >= cleared:
                notes.append("offence_date_assumed")  # the conservative reading: the period restarts
                committed = cleared - _DAY
            if committed is not None and committed >= cleared:
                chain = []  # the earlier record had cleared: it no longer counts
        chain.append(c)
    if any(_art69_unknown(c) for c in chain if not c.juvenile):
        notes.append("art69_not_checked")
    return chain, tuple(dict.fromkeys(notes))


def _reapply(first: date, counted_from: date, rejections: Iterable[date]) -> tuple[date, list[date]]:
    """Art. 71: after a rejection one may apply again 1 year later, 2 years after a second or later one."""
    relevant = sorted(r for r in rejections if r >= counted_from)
    if not relevant:
        return first, relevant
    wait = Period(1) if len(relevant) == 1 else Period(2)
    return max(first, period_end(relevant[-1], wait) + _DAY), relevant


def compute(
    convictions: Iterable[ConvictionFacts],
    today: date,
    *,
    court_rejections: Iterable[date] = (),
    rules: Rules = PENAL_CODE_2015,
) -> ExpungementResult:
    """The expected expungement status of a person with these convictions, as of `today`.

    `court_rejections`: dates the court rejected an expungement application (Art. 71 cases).
    `rules`: the version of the periods to apply (the only one so far: PENAL_CODE_2015).
    Raises IncompleteFacts when a fact the law turns on is missing (e.g. severity at 16–17).
    """
    ordered = sorted(convictions, key=lambda c: (c.judgment_date, c.offence_date or c.judgment_date))
    if not ordered:
        return ExpungementResult("no_record", "no_convictions")
    records = [c for c in ordered if _no_record(c) is None]
    if not records:
        reason, article = _no_record(ordered[-1])
        return ExpungementResult(
            "no_record", reason, {"article": article}, legal_basis=f"Penal Code Art. {article}",
            chain=(ordered[-1],),
        )
    chain, notes = _chain(records, rules)
    o = _evaluate(chain, rules)
    params = {"period": o.period, "counted_from": o.counted_from, "article": o.article, "until": o.until}
    basis = "Penal Code Art. " + ", ".join(o.refs)
    common = {"period": o.period, "counted_from": o.counted_from, "notes": notes, "chain": tuple(chain)}

    def result(status, reason, expected=None, one_third=None, **extra):
        return ExpungementResult(
            status, reason, {**params, **extra.pop("params", {})}, expected_date=expected,
            one_third_date=one_third, legal_basis=extra.pop("legal_basis", basis), **common,
        )

    if o.court_expunged_on is not None and o.court_expunged_on <= today:
        return result(
            "expunged", "court_expunged", o.court_expunged_on, params={"date": o.court_expunged_on},
            legal_basis="Penal Code Art. 71, 72" if o.court else "Penal Code Art. 72",
        )
    if o.counted_from is None:
        return result("not_yet_served", "main_penalty_not_served")
    one_third = None
    if not o.article.startswith("107"):  # Art. 72 refers to the Art. 70(2) and 71(2) periods only
        one_third = o.after(Period.of_months(o.period.total_months // 3))
        one_third = one_third if one_third < o.expected else None
    if o.counted_from > today:
        if o.open:
            return result("not_yet_served", "main_penalty_served_in_future")
        return result("not_yet_served", "main_penalty_served_in_future", o.expected, one_third)
    if o.open:
        return result("pending_obligations", "obligations_open")
    if o.court:
        apply_from, rejected = _reapply(o.expected, o.counted_from, court_rejections)
        if rejected:
            return result(
                "court_decision", "court_reapply", apply_from, one_third, legal_basis=f"{basis}, 71",
                params={"rejections": len(rejected), "until": rejected[-1], "date": apply_from},
            )
        return result("court_decision", "court_decision", apply_from, one_third)
    return result("expunged" if o.expected <= today else "eligible_on", o.why, o.expected, one_third)


# The texts live beside this module (expungement_text); they are re-exported for callers.
from blueprints.returnees.expungement_text import (  # noqa: E402
    NOTE_MESSAGES,
    REASON_MESSAGES,
    STATUS_LABELS,
    describe,
    format_period,
)

__all__ = [
    "NOTE_MESSAGES", "REASON_MESSAGES", "STATUS_LABELS", "ConvictionFacts", "ExpungementResult",
    "IncompleteFacts", "Period", "Rules", "add_months", "compute", "describe", "format_period", "period_end",
]
