"""The unit's monthly loan list for the Social Policy Bank (Decision 22/2023/QĐ-TTg, Form 01): made
by the commune police on the 5th of each month, certified by the commune's leader, sent to the bank.

An entry is checked against loan_rules (the caps of Art. 6 and the 5-year window of Art. 3, by the
version in force on the day of the list) through the support-loan check the dossier uses, so both
say the same thing. A certified list is frozen. Reads are a fixed number of statements; nothing
here commits.
"""

import calendar
import io
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from blueprints.campaigns.forms import MONTH
from blueprints.campaigns.models import LIST_CERTIFIED, OPEN, Campaign, LoanList, LoanListEntry
from blueprints.campaigns.services import CampaignError, publish
from blueprints.reports.services import utcnow
from blueprints.returnees.care_services import CareError
from blueprints.returnees.care_support_services import check_loan
from blueprints.returnees.labels import mask_national_id
from blueprints.returnees.models import Conviction, Returnee
from portal import audit
from portal.accounts import User
from portal.extensions import db
from portal.i18n import format_day

# Who may be on the list: people who presented themselves and live in the commune under its management
# (not someone still expected or missing, detained, moving away or closed).
ELIGIBLE = ("received", "under_management")


class ListError(CampaignError):
    """Refused; `field` names the form field the message belongs next to (or None)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def month_start(month: str) -> date | None:
    if not isinstance(month, str) or not MONTH.match(month):
        return None
    return date(int(month[:4]), int(month[5:]), 1)


def loan_day(loan_list: LoanList, today: date) -> date:
    """The day the rules are applied on: today, within the list's month (a past month: its last day)."""
    first = month_start(loan_list.month)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return min(max(today, first), last)


# --- Reading ---------------------------------------------------------------------------------------------


def find(month: str) -> LoanList | None:
    return db.session.scalar(select(LoanList).where(LoanList.month == month))


def all_lists() -> list[tuple[LoanList, str | None, int, int]]:
    """The unit's lists, newest month first: (list, campaign name, people, total VND); one statement."""
    return db.session.execute(
        select(LoanList, Campaign.name, func.count(LoanListEntry.id),
               func.coalesce(func.sum(LoanListEntry.amount_vnd), 0))
        .outerjoin(Campaign, Campaign.id == LoanList.campaign_id)
        .outerjoin(LoanListEntry, and_(LoanListEntry.list_id == LoanList.id,
                                       LoanListEntry.tenant_id == LoanList.tenant_id))
        .group_by(LoanList.id, Campaign.name)
        .order_by(LoanList.month.desc())
    ).all()


def open_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).where(Campaign.status == OPEN).order_by(Campaign.id.desc())))


def entries(loan_list: LoanList) -> list[tuple[LoanListEntry, Returnee, date | None]]:
    """The list's people with the day each finished the sentence (the later of the release and the
    main penalty served), by name; one statement."""
    served = (
        select(Conviction.returnee_id, func.max(Conviction.main_penalty_served_on).label("served"))
        .group_by(Conviction.returnee_id)
        .subquery()
    )
    rows = db.session.execute(
        select(LoanListEntry, Returnee, served.c.served)
        .join(Returnee, and_(Returnee.id == LoanListEntry.returnee_id, Returnee.tenant_id == LoanListEntry.tenant_id))
        .outerjoin(served, served.c.returnee_id == Returnee.id)
        .where(LoanListEntry.list_id == loan_list.id)
        .order_by(Returnee.search_name, Returnee.id)
    ).all()
    out = []
    for entry, person, served_on in rows:
        known = [d for d in (person.release_date, served_on) if d is not None]
        out.append((entry, person, max(known) if known else None))
    return out


def candidates(loan_list: LoanList) -> list[Returnee]:
    """The unit's open dossiers that may go on the list, the campaign's people first; one statement."""
    first = case((Returnee.campaign_id == loan_list.campaign_id, 0), else_=1) if loan_list.campaign_id else None
    order = [first] if first is not None else []
    return list(db.session.scalars(
        select(Returnee)
        .where(Returnee.status.in_(ELIGIBLE))
        .order_by(*order, Returnee.search_name, Returnee.id)
    ))


def certifier_name(loan_list: LoanList) -> str | None:
    if loan_list.certified_by is None:
        return None
    user = db.session.get(User, loan_list.certified_by)
    return (user.full_name or user.username) if user is not None else None


# --- Changes ------------------------------------------------------------------------------------------


def new_list(month: str, campaign: Campaign | None, actor_id: int | None) -> LoanList:
    if find(month) is not None:
        raise ListError(_("The list of this month already exists."), "month")
    loan_list = LoanList(month=month, campaign_id=campaign.id if campaign else None)
    db.session.add(loan_list)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a colleague made it at the same moment
        raise ListError(_("The list of this month already exists."), "month") from None
    audit.record("loan_list.create", loan_list, user_id=actor_id)
    return loan_list


def _changed(loan_list: LoanList) -> None:
    # Entries live in their own table: touching the list bumps its version, so the leader's
    # certification of the list as the page showed it is refused once someone changed it.
    flag_modified(loan_list, "month")


def _writable(loan_list: LoanList) -> None:
    if loan_list.status == LIST_CERTIFIED:
        raise ListError(_("This list has been certified by the leader: it can no longer be changed."))


def add_entry(loan_list: LoanList, person: Returnee, data: dict, today: date, actor_id: int | None) -> LoanListEntry:
    _writable(loan_list)
    if person.status not in ELIGIBLE:
        raise ListError(_("Only a person who has presented themselves and is managed by the unit can be put on "
                          "the list."), "returnee_id")
    taken = db.session.scalar(select(LoanListEntry.id).where(
        LoanListEntry.list_id == loan_list.id, LoanListEntry.returnee_id == person.id))
    if taken is not None:
        raise ListError(_("This person is already on the list."), "returnee_id")
    months = data["term_months"]
    try:
        check_loan(person, data["purpose"], data["amount_vnd"], months, loan_day(loan_list, today))
    except CareError as exc:
        raise ListError(str(exc), "amount_vnd" if exc.field == "amount" else "returnee_id") from None
    entry = LoanListEntry(list_id=loan_list.id, returnee_id=person.id, **data)
    db.session.add(entry)
    _changed(loan_list)
    db.session.flush()
    audit.record("loan_list.entry_add", entry, user_id=actor_id, reason=f"list={loan_list.id}")
    return entry


def delete_entry(loan_list: LoanList, entry: LoanListEntry, actor_id: int | None) -> None:
    _writable(loan_list)
    audit.record("loan_list.entry_delete", entry, user_id=actor_id, reason=f"list={loan_list.id}")
    db.session.delete(entry)
    _changed(loan_list)
    db.session.flush()


def certify(loan_list: LoanList, actor_id: int | None) -> None:
    _writable(loan_list)
    loan_list.status, loan_list.certified_by, loan_list.certified_at = LIST_CERTIFIED, actor_id, utcnow()
    db.session.flush()
    audit.record("loan_list.certify", loan_list, user_id=actor_id)
    if loan_list.campaign_id is not None:
        campaign = db.session.get(Campaign, loan_list.campaign_id)
        if campaign is not None:
            publish(campaign)


# --- Form 01 as XLSX -------------------------------------------------------------------------------------

# The form's text is a document addressed to the bank, in Vietnamese whatever the interface language.
TITLE = "DANH SÁCH NGƯỜI CHẤP HÀNH XONG ÁN PHẠT TÙ CÓ NHU CẦU VAY VỐN"
HEADERS = ("STT", "Họ và tên", "Năm sinh", "Số định danh cá nhân", "Địa chỉ cư trú",
           "Ngày chấp hành xong án phạt tù", "Mục đích vay", "Số tiền đề nghị vay (đồng)", "Thời hạn vay (tháng)",
           "Ghi chú")
PURPOSES = {"business": "Sản xuất, kinh doanh, tạo việc làm", "training": "Học nghề"}
WIDTHS = (6, 26, 9, 17, 34, 16, 22, 18, 12, 30)


def _address(person: Returnee) -> str:
    return ", ".join(part for part in (person.address, person.hamlet) if part)


def workbook(loan_list: LoanList, rows, unit_name: str, show_id: bool, certifier: str | None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Mẫu số 01"
    bold, centre = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    last = len(HEADERS)
    month = f"{loan_list.month[5:]}/{loan_list.month[:4]}"

    def line(row: int, text: str, *, font=None, first=1, to=last):
        sheet.merge_cells(start_row=row, start_column=first, end_row=row, end_column=to)
        cell = sheet.cell(row=row, column=first, value=text)
        cell.alignment, cell.font = centre, font or Font()

    line(1, f"ỦY BAN NHÂN DÂN {unit_name.upper()}", font=bold, to=4)
    line(1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=bold, first=5)
    line(2, f"CÔNG AN {unit_name.upper()}", font=bold, to=4)
    line(2, "Độc lập - Tự do - Hạnh phúc", font=bold, first=5)
    line(3, "Mẫu số 01 (kèm theo Quyết định số 22/2023/QĐ-TTg ngày 17/8/2023 của Thủ tướng Chính phủ)",
         font=Font(italic=True))
    line(5, TITLE, font=Font(bold=True, size=13))
    line(6, f"Tháng {month} — {unit_name}")
    head = 8
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, (text, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=head, column=column, value=text)
        cell.font, cell.alignment, cell.border = bold, centre, border
        sheet.column_dimensions[cell.column_letter].width = width
    total = 0
    for number, (entry, person, ended) in enumerate(rows, start=1):
        values = (number, person.full_name, person.date_of_birth.year,
                  person.national_id if show_id else mask_national_id(person.national_id), _address(person),
                  ended.strftime("%d/%m/%Y") if ended else "", PURPOSES.get(entry.purpose, entry.purpose),
                  entry.amount_vnd, entry.term_months, entry.need or "")
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=head + number, column=column, value=value)
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.cell(row=head + number, column=8).number_format = "#,##0"
        total += entry.amount_vnd
    end = head + len(rows) + 1
    sheet.merge_cells(start_row=end, start_column=1, end_row=end, end_column=7)
    sheet.cell(row=end, column=1, value=f"Tổng cộng: {len(rows)} người").font = bold
    sheet.cell(row=end, column=8, value=total).number_format = "#,##0"
    sheet.cell(row=end, column=8).font = bold
    if loan_list.status == LIST_CERTIFIED and loan_list.certified_at:
        on = format_day(loan_list.certified_at)  # stored in UTC; the day is Hải Phòng's
        certified = f"Xác nhận của Ủy ban nhân dân {unit_name}: đã xác nhận ngày {on} — {certifier or ''}"
    else:
        certified = f"Xác nhận của Ủy ban nhân dân {unit_name}: chưa xác nhận"
    line(end + 2, certified, font=bold)
    sheet.freeze_panes = sheet.cell(row=head + 1, column=1)
    sheet.print_title_rows = f"{head}:{head}"
    sheet.page_setup.orientation = "landscape"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
