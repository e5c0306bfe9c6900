"""The words of an expungement result: status labels, reasons and notes, rendered in the current
locale with dates as dd/mm/yyyy. Codes and params come from blueprints.returnees.expungement."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.i18n import format_day

STATUS_LABELS = {
    "no_record": _l("No criminal record"),
    "eligible_on": _l("Expected automatic expungement"),
    "pending_obligations": _l("Pending: obligations outstanding"),
    "court_decision": _l("Expungement by court decision"),
    "not_yet_served": _l("Main penalty not yet served"),
    "expunged": _l("Expunged (expected)"),
}
REASON_MESSAGES = {
    "no_convictions": _l("No conviction is recorded."),
    "exempted_from_penalty": _l("Exempted from penalty: not regarded as having a criminal record (Art. %(article)s)."),
    "negligent_minor_crime": _l(
        "Negligent less serious or serious crime: not regarded as having a criminal record (Art. %(article)s)."
    ),
    "juvenile_no_record": _l(
        "Offence committed under 18: not regarded as having a criminal record (Art. %(article)s)."
    ),
    "main_penalty_not_served": _l("The main penalty has not been served yet."),
    "main_penalty_served_in_future": _l("The main penalty is expected to be served on %(counted_from)s."),
    "obligations_open": _l(
        "Other orders of the judgment (fines, damages, court fees) are outstanding; "
        "the period of %(period)s counts from %(counted_from)s (Art. %(article)s)."
    ),
    "period": _l("%(period)s counted from %(counted_from)s (Art. %(article)s)."),
    "additional_penalty": _l(
        "%(period)s counted from %(counted_from)s, extended until the additional penalty ends on %(until)s "
        "(Art. %(article)s)."
    ),
    "obligations_settled": _l(
        "%(period)s counted from %(counted_from)s; the judgment's obligations were settled later, on %(until)s."
    ),
    "court_decision": _l(
        "Crimes against national security or against peace (Chapters XIII, XXVI) need a court decision: "
        "one may apply after %(period)s counted from %(counted_from)s (Art. %(article)s)."
    ),
    "court_reapply": _l(
        "Applications rejected by the court: %(rejections)s, the last on %(until)s; a new application may be "
        "made from %(date)s (Art. 71)."
    ),
    "court_expunged": _l("Expunged by the court's decision of %(date)s."),
}
NOTE_MESSAGES = {
    "offence_date_assumed": _l(
        "The date of a later offence is unknown: it is assumed to fall within the earlier period, "
        "which restarts (Art. 73(2))."
    ),
    "art69_not_checked": _l(
        "Crime category or fault is unknown: the Art. 69 rule for negligent crimes was not applied."
    ),
}


def format_period(period) -> str:
    parts = []
    if period.years:
        parts.append(ngettext("%(num)d year", "%(num)d years", period.years))
    if period.months or not parts:
        parts.append(ngettext("%(num)d month", "%(num)d months", period.months))
    return " ".join(parts)


def _shown(value):
    if isinstance(value, date):
        return format_day(value)
    if hasattr(value, "total_months"):
        return format_period(value)
    return value


def describe(result) -> str:
    """The reason in the current locale (dates dd/mm/yyyy), followed by any notes."""
    text = str(REASON_MESSAGES[result.reason]) % {key: _shown(value) for key, value in result.params.items()}
    return " ".join([text, *(str(NOTE_MESSAGES[note]) for note in result.notes)])
