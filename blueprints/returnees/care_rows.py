"""The shapes the care pages read (plain data, no queries), and the small rules they share.

A SupportTeam's `members` relationship is never used on these pages: it would load lazily, one
statement per team. TeamView carries the members that one joined query already brought.
"""

from dataclasses import dataclass, field
from datetime import date

from blueprints.returnees.care import REQUIRED_MEMBER_KINDS, SupportAction, SupportTeam, TeamMember

MONTHS_TAG = "[months="  # training-loan months kept at the head of `note` (no column for it yet)


def age_flag(date_of_birth: date, on: date) -> str | None:
    """"child" under 16, "minor" under 18 (DESIGN §3), else None; the same rule as Returnee.is_child."""
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    return "child" if age < 16 else "minor" if age < 18 else None


def split_note(note: str | None) -> tuple[int | None, str]:
    """(training months, the rest of the note) from a support action's note."""
    text = note or ""
    if text.startswith(MONTHS_TAG) and "]" in text:
        head, _, rest = text.partition("]")
        number = head.removeprefix(MONTHS_TAG)
        if number.isdigit():
            return int(number), rest.lstrip()
    return None, text


def join_note(months: int | None, text: str | None) -> str | None:
    if months is None:
        return text or None
    return f"{MONTHS_TAG}{months}] {text or ''}".rstrip()


def missing_kinds(members) -> list[str]:
    present = {m.kind for m in members if m.active}
    return [kind for kind in REQUIRED_MEMBER_KINDS if kind not in present]


@dataclass
class TeamView:
    team: SupportTeam
    since: date | None = None
    members: list[TeamMember] = field(default_factory=list)
    helped: int = 0

    @property
    def active_members(self):
        return [m for m in self.members if m.active]

    @property
    def leader(self):
        return next((m for m in self.members if m.active and m.is_leader), None)

    @property
    def missing(self) -> list[str]:
        return missing_kinds(self.members)


@dataclass
class SupportRow:
    action: SupportAction
    employer_name: str | None
    months: int | None
    note: str


@dataclass
class ReviewDue:
    """The HCD-08 review due this quarter: it covers (year, quarter), the previous quarter."""

    returnee_id: int
    year: int
    quarter: int
    due_on: date
    needed: bool
    overdue: bool
    full_name: str = ""
    hamlet: str | None = None
    group: str | None = None
    flag: str | None = None


@dataclass
class OverdueContact:
    returnee_id: int
    full_name: str
    hamlet: str | None
    last_contact: date | None
    counted_from: date
    days_without: int
    flag: str | None
