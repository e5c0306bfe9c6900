"""Read side of the unit's report pages. Each function is one statement, whatever the number of
reports, people or comments; nothing here filters by unit (tenants.scoping adds the current unit to
every query, so another unit's report is simply not found: 404)."""

from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, raiseload

from blueprints.reports import figures
from blueprints.reports.models import Report, ReportFile
from blueprints.reports.periods import Period
from blueprints.returnees.comment_queries import comment_items
from blueprints.returnees.models import Returnee
from blueprints.returnees.queries import PER_PAGE, Page
from portal.accounts import User
from portal.extensions import db

MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database
COMMENT_TARGET = "report"


def period_of(report: Report) -> Period:
    return Period(report.period_kind, report.period, report.starts_on, report.ends_on)


def list_reports() -> list[Report]:
    """The unit's reports, the latest period first (ad hoc spans among them by their end)."""
    query = select(Report).options(raiseload("*")).order_by(
        Report.ends_on.desc(), Report.starts_on.desc(), Report.id.desc()
    )
    return list(db.session.scalars(query))


@dataclass
class Loaded:
    report: Report
    created_by: str | None
    submitted_by: str | None
    decided_by: str | None


def _name(full_name, username):
    return full_name or username


def report_or_404(report_id: int) -> Loaded:
    """The unit's report with the names of who opened, submitted and decided it: one statement."""
    if not 0 < report_id <= MAX_ID:
        abort(404)
    creator, submitter, decider = aliased(User), aliased(User), aliased(User)
    row = db.session.execute(
        select(Report, creator.full_name, creator.username, submitter.full_name, submitter.username,
               decider.full_name, decider.username)
        .outerjoin(creator, creator.id == Report.created_by)
        .outerjoin(submitter, submitter.id == Report.submitted_by)
        .outerjoin(decider, decider.id == Report.decided_by)
        .where(Report.id == report_id)
    ).first()
    if row is None:
        abort(404)
    return Loaded(row[0], _name(row[1], row[2]), _name(row[3], row[4]), _name(row[5], row[6]))


def report_only_or_404(report_id: int) -> Report:
    if not 0 < report_id <= MAX_ID:
        abort(404)
    report = db.session.scalar(select(Report).where(Report.id == report_id))
    return report if report is not None else abort(404)


def files_of(report: Report) -> list[ReportFile]:
    """The files built from the report, newest first (for the `reports/_files.html` partial)."""
    return list(db.session.scalars(
        select(ReportFile).where(ReportFile.report_id == report.id)
        .order_by(ReportFile.created_at.desc(), ReportFile.id.desc())
    ))


def comments_of(report: Report) -> list[dict]:
    """The report's comments, oldest first, with their authors' names: one statement."""
    return comment_items(COMMENT_TARGET, report.id)


def counts_people(figure: figures.Figure) -> bool:
    """The figure's number is a number of people (so its list has exactly that many rows); other
    figures count records (contacts, loans, incidents…) of the people their list shows."""
    return figure.model is Returnee or figure.measure == "persons"


def figure_sections(values: dict) -> list[tuple[object, list[dict]]]:
    """The figures grouped by section, each section's rates after its counts (percentages)."""
    rates = figures.rates(values)
    out = []
    for section in figures.SECTIONS:
        rows = [
            {"key": f.key, "label": f.label, "value": values.get(f.key), "money": f.money,
             "cases": f.about_people, "rate": False}
            for f in figures.FIGURES if f.section == section
        ]
        rows += [
            {"key": r.key, "label": r.label, "value": rates.get(r.key), "money": False, "cases": False, "rate": True}
            for r in figures.RATES if r.section == section
        ]
        out.append((figures.SECTION_LABELS[section], rows))
    return out


def case_page(report: Report, key: str, page: int) -> Page | None:
    """One page (50) of the people figure `key` counts for the report's period, sorted by name, with
    the total as a window count: one statement. None for a key that lists nobody."""
    if key not in figures.BY_KEY:
        return None
    condition = figures.cases(key, period_of(report))
    if condition is None:
        return None
    result = db.session.execute(
        select(Returnee, func.count().over().label("total"))
        .where(condition)
        .options(raiseload("*"))
        .order_by(Returnee.search_name, Returnee.id)
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    rows = [row.Returnee for row in result[:PER_PAGE]]
    return Page(rows, page, len(result) > PER_PAGE, result[0].total if result else None)
