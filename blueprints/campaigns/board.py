"""The city's view of a campaign: one row per active unit, from what units published
(`CampaignProgress`: dates and counts) and the registry. No person's row and no unit's own table is
read here, so nothing personal can reach the board or its export.

Every function issues a fixed number of statements whatever the number of units or campaigns; the
rows are filtered and summed in Python (there are 114 units).
"""

import io
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from blueprints.campaigns.models import DRAFT, PLAN_ISSUED, Campaign, CampaignProgress
from blueprints.reports.models import APPROVED, RETURNED, SUBMITTED
from portal.extensions import db
from portal.i18n import local_moment
from portal.search import fold
from tenants.models import Tenant

PLAN_LABELS = {"issued": _l("plan issued"), "draft": _l("plan being drafted"), "none": _l("no plan yet")}
REPORT_LABELS = {
    "on_time": _l("submitted on time"),
    "late": _l("submitted late"),
    "returned": _l("returned for correction"),
    "missing": _l("not submitted"),
}
PLAN_FILTERS = {"issued": _l("Plan issued"), "not_issued": _l("Plan not issued"), "none": _l("No plan yet")}
REPORT_FILTERS = {
    "submitted": _l("Report submitted"),
    "on_time": _l("Submitted on time"),
    "late": _l("Submitted late"),
    "missing": _l("Report not submitted"),
    "overdue": _l("Overdue"),
}
# Counts summed for the totals, in the board's column order.
COUNTS = ("tasks_done", "tasks_total", "expected", "arrived", "presented_on_time", "presented_late",
          "loan_people", "loan_vnd")


@dataclass
class BoardRow:
    tenant: Tenant
    progress: CampaignProgress | None
    plan: str  # issued / draft / none
    report: str  # on_time / late / returned / missing
    overdue: bool  # past the deadline with no report counted

    def count(self, name: str) -> int:
        return (getattr(self.progress, name) or 0) if self.progress is not None else 0

    @property
    def plan_issued_on(self) -> date | None:
        return self.progress.plan_issued_on if self.progress is not None else None

    @property
    def submitted_at(self) -> datetime | None:
        """When the counted report was submitted, as stored (naive UTC): `|moment` and the export show
        it in Hải Phòng time."""
        moment = self.progress.report_submitted_at if self.progress is not None else None
        return moment if self.report in ("on_time", "late") else None


def _plan_state(progress: CampaignProgress | None) -> str:
    if progress is None or progress.plan_status is None:
        return "none"
    return "issued" if progress.plan_status == PLAN_ISSUED else "draft"


def _report_state(progress: CampaignProgress | None) -> str:
    status = progress.report_status if progress is not None else None
    if status in (SUBMITTED, APPROVED):
        return "late" if progress.report_late else "on_time"
    return "returned" if status == RETURNED else "missing"


def rows(campaign: Campaign, today: date) -> list[BoardRow]:
    """Every active unit, by kind and name, with its published progress (two statements)."""
    units = db.session.scalars(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.kind, Tenant.name)).all()
    progress = {
        p.tenant_id: p
        for p in db.session.scalars(select(CampaignProgress).where(CampaignProgress.campaign_id == campaign.id))
    }
    out = []
    for unit in units:
        p = progress.get(unit.id)
        report = _report_state(p)
        overdue = campaign.status != DRAFT and report in ("missing", "returned") and today > campaign.report_due_on
        out.append(BoardRow(unit, p, _plan_state(p), report, overdue))
    return out


def keep(row: BoardRow, plan: str = "", report: str = "", kind: str = "", words: str = "") -> bool:
    """The board's filters; `words` is already folded (no case, no diacritics)."""
    if plan == "issued" and row.plan != "issued":
        return False
    if plan == "not_issued" and row.plan == "issued":
        return False
    if plan == "none" and row.plan != "none":
        return False
    if report == "submitted" and row.report not in ("on_time", "late"):
        return False
    if report in ("on_time", "late") and row.report != report:
        return False
    if report == "missing" and row.report not in ("missing", "returned"):
        return False
    if report == "overdue" and not row.overdue:
        return False
    if kind and row.tenant.kind != kind:
        return False
    name = fold(row.tenant.name)
    return all(w in name or w in row.tenant.code for w in words.split())


def summary(board_rows: list[BoardRow]) -> dict:
    """Totals of the counts, and how many units are in each state."""
    out = {name: sum(r.count(name) for r in board_rows) for name in COUNTS}
    out["units"] = len(board_rows)
    out["plans_issued"] = sum(1 for r in board_rows if r.plan == "issued")
    out["no_plan"] = sum(1 for r in board_rows if r.plan == "none")
    for state in REPORT_LABELS:
        out[state] = sum(1 for r in board_rows if r.report == state)
    out["overdue"] = sum(1 for r in board_rows if r.overdue)
    return out


def units_without_plan(campaign: Campaign) -> int:
    """Active units with no progress row for the campaign yet, i.e. no plan made (one statement)."""
    made = select(CampaignProgress.tenant_id).where(CampaignProgress.campaign_id == campaign.id)
    return db.session.scalar(
        select(func.count()).select_from(Tenant).where(Tenant.active.is_(True), Tenant.id.not_in(made))
    )


def index_counts() -> dict[int, dict]:
    """Per campaign: units with a plan made, with the plan issued, with the report submitted (one
    statement for all campaigns)."""
    done = CampaignProgress.report_status.in_((SUBMITTED, APPROVED))
    query = select(
        CampaignProgress.campaign_id,
        func.count(CampaignProgress.plan_status),
        func.count().filter(CampaignProgress.plan_status == PLAN_ISSUED),
        func.count().filter(done),
        func.count().filter(done, CampaignProgress.report_late.is_(True)),
    ).join(Tenant, Tenant.id == CampaignProgress.tenant_id).where(Tenant.active.is_(True)).group_by(
        CampaignProgress.campaign_id
    )
    return {
        cid: {"plans": plans, "issued": issued, "submitted": submitted, "late": late}
        for cid, plans, issued, submitted, late in db.session.execute(query).all()
    }


# --- The export -------------------------------------------------------------------------------------

HEADER_FONT, HEADER_FILL = Font(bold=True), PatternFill("solid", start_color="FFE8EEF4")
COUNT, MONEY, DAY, MOMENT = "#,##0", '#,##0 "₫"', "DD/MM/YYYY", "DD/MM/YYYY HH:MM"


def workbook(campaign: Campaign, board_rows: list[BoardRow], kinds: dict, today: date) -> bytes:
    """The board as a workbook: the campaign on a first sheet, then one row per unit with a frozen
    header and a filter, and the totals under the filtered range."""
    wb = Workbook()
    cover = wb.active
    cover.title = gettext("Campaign")[:31]
    for label, value, fmt in [
        (gettext("Campaign"), campaign.name, None),
        (gettext("Year"), campaign.year, None),
        (gettext("Round"), campaign.round, None),
        (gettext("President's decision"), campaign.pardon_decision_number, None),
        (gettext("Date of the decision"), campaign.pardon_decision_date, DAY),
        (gettext("Release decision"), campaign.release_decision_number, None),
        (gettext("Release effective on"), campaign.release_effective_on, DAY),
        (gettext("City plan"), campaign.city_plan_number, None),
        (gettext("Date of the city plan"), campaign.city_plan_date, DAY),
        (gettext("Units' report deadline"), campaign.report_due_on, DAY),
        (gettext("Situation on"), today, DAY),
    ]:
        cover.append([label, value])
        if fmt:
            cover.cell(row=cover.max_row, column=2).number_format = fmt
    cover.column_dimensions["A"].width, cover.column_dimensions["B"].width = 32, 48
    for row in cover.iter_rows(max_col=1):
        row[0].font = HEADER_FONT

    ws = wb.create_sheet(gettext("Units")[:31])
    columns = [
        (gettext("Unit"), 34, None), (gettext("Code"), 8, "@"), (gettext("Kind"), 12, None),
        (gettext("Plan"), 20, None), (gettext("Plan issued on"), 14, DAY),
        (gettext("Tasks done"), 10, COUNT), (gettext("Tasks"), 10, COUNT),
        (gettext("Expected"), 10, COUNT), (gettext("Arrived"), 10, COUNT),
        (gettext("Presented on time"), 12, COUNT), (gettext("Presented late"), 12, COUNT),
        (gettext("Loans: people"), 10, COUNT), (gettext("Loans (VND)"), 18, MONEY),
        (gettext("Report"), 22, None), (gettext("Submitted at"), 18, MOMENT), (gettext("Overdue"), 10, None),
    ]
    ws.append([label for label, _, _ in columns])
    for col, (_, width, _) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "B2"
    yes, no = gettext("yes"), gettext("no")
    for r in board_rows:
        ws.append([
            r.tenant.name, r.tenant.code, str(kinds.get(r.tenant.kind, r.tenant.kind)), str(PLAN_LABELS[r.plan]),
            r.plan_issued_on, *(r.count(name) for name in COUNTS), str(REPORT_LABELS[r.report]),
            local_moment(r.submitted_at), yes if r.overdue else no,
        ])
        for col, (_, _, fmt) in enumerate(columns, start=1):
            if fmt:
                ws.cell(row=ws.max_row, column=col).number_format = fmt
    last = ws.max_row
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last, 1)}"
    totals = summary(board_rows)
    ws.append([])
    ws.append([gettext("Total (%(n)s units)", n=len(board_rows)), None, None,
               gettext("%(n)s plans issued", n=totals["plans_issued"]), None,
               *(totals[name] for name in COUNTS), None, None, None])
    for col, (_, _, fmt) in enumerate(columns, start=1):
        cell = ws.cell(row=ws.max_row, column=col)
        cell.font = HEADER_FONT
        if fmt and fmt not in ("@", DAY, MOMENT):
            cell.number_format = fmt
    wb.active = 1
    raw = io.BytesIO()
    wb.save(raw)
    return raw.getvalue()
