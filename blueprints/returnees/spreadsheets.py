"""Spreadsheets of returnees: the columns, reading an uploaded XLSX or CSV, writing the template
and the export.

The header row is Vietnamese, like the offices' own sheets. Headers and the coded values written in
cells (Nam/Nữ, the release kinds) are a file format shared with the prisons' and offices' files, not
interface text, so they are constants here and never translated. A header is matched without case or
diacritics ("ho va ten" is "Họ và tên"); the field's code name (full_name) is accepted too.

Uploaded bytes are untrusted: the size, the unpacked size and entry count of an XLSX and the number
of rows are capped before anything is parsed further, and any unreadable file is refused with a message.
"""

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from portal.search import fold

MAX_BYTES = 2 * 1024 * 1024  # config IMPORT_MAX_BYTES overrides
MAX_ROWS = 2000  # config IMPORT_MAX_ROWS overrides
MAX_UNPACKED = 40 * 1024 * 1024  # an XLSX is a zip: refuse one that unpacks to more (zip bomb)
MAX_ENTRIES = 200  # ... or that holds more entries than a workbook needs (Excel writes about a dozen)
DATE_FORMAT = "DD/MM/YYYY"
SHEET_TITLE = "Danh sách"


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as written in the template (Vietnamese)
    kind: str = "text"  # text / date / sex / release_kind / national_id / phone / export
    required: bool = False
    max_length: int | None = None
    hint: object = ""  # lazy string shown on the import page and in the template's guide
    aliases: tuple[str, ...] = ()


SEX_VALUES = {"male": "Nam", "female": "Nữ"}
RELEASE_KIND_VALUES = {
    "completed_sentence": "Chấp hành xong án phạt tù",
    "special_pardon": "Đặc xá",
    "conditional_release_ended": "Tha tù trước thời hạn có điều kiện",
}
_DATE_HINT = _l("A date as dd/mm/yyyy.")
COLUMNS = (
    Column("full_name", "Họ và tên", required=True, max_length=120, aliases=("ho ten",)),
    Column("other_names", "Tên gọi khác", max_length=200),
    Column("sex", "Giới tính", "sex", required=True, hint=_l("Nam or Nữ.")),
    Column("date_of_birth", "Ngày sinh", "date", required=True, hint=_DATE_HINT),
    Column("national_id", "Số định danh cá nhân", "national_id", hint=_l("12 digits."),
           aliases=("so cccd", "cccd", "so can cuoc", "so dinh danh")),
    Column("ethnicity", "Dân tộc", max_length=40),
    Column("nationality", "Quốc tịch", max_length=60, hint=_l("Việt Nam when empty.")),
    Column("hamlet", "Thôn/Tổ dân phố", max_length=120, aliases=("thon", "thon, to dan pho", "to dan pho")),
    Column("address", "Địa chỉ", max_length=255),
    Column("phone", "Số điện thoại", "phone", max_length=20),
    Column("release_kind", "Diện", "release_kind", required=True,
           hint=_l("Chấp hành xong án phạt tù, Đặc xá or Tha tù trước thời hạn có điều kiện."),
           aliases=("dien tai hoa nhap", "loai")),
    Column("prison", "Trại giam", max_length=160),
    Column("notice_received_on", "Ngày nhận thông báo", "date",
           hint=_l("The day the prison's pre-release notice was received (dd/mm/yyyy)."),
           aliases=("ngay nhan thong bao cua trai giam",)),
    Column("expected_release_date", "Ngày dự kiến ra trại", "date", hint=_DATE_HINT),
    Column("release_date", "Ngày ra trại", "date", hint=_DATE_HINT),
    Column("certificate_number", "Số giấy chứng nhận", max_length=60),
    Column("certificate_date", "Ngày cấp giấy chứng nhận", "date", hint=_DATE_HINT),
    Column("certificate_issuer", "Nơi cấp giấy chứng nhận", max_length=160),
    Column("reporting_deadline", "Hạn trình diện", "date",
           hint=_l("As printed on the certificate (dd/mm/yyyy)."), aliases=("han phai trinh dien",)),
    Column("pardon_decision", "Quyết định đặc xá", max_length=60),
    Column("pardon_round", "Đợt đặc xá", max_length=60),
)
# Written by the export only, and ignored when such a file is imported back.
EXPORT_COLUMNS = (Column("status", "Trạng thái", "export"), Column("group", "Nhóm", "export"))
_BY_HEADER = {
    key: column
    for column in COLUMNS + EXPORT_COLUMNS
    for key in (fold(column.header), column.field.replace("_", " "), *column.aliases)
}


class FileRefused(ValueError):
    """The whole file is refused before its rows are looked at; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class Sheet:
    headers: list[str]  # as written in the file
    columns: list[Column | None]  # per position; None: an empty header
    rows: list[tuple[int, list]]  # (row number as the spreadsheet shows it, cell values)


def column_for(header) -> Column | None:
    return _BY_HEADER.get(fold(str(header)))


def text_of(value) -> str:
    """A cell as trimmed text in composed Unicode (a Mac's decomposed "ễ" equals Windows' one)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _blank(cells) -> bool:
    return all(text_of(v) == "" for v in cells)


def _xlsx_rows(data: bytes) -> Iterator[list]:
    unreadable = FileRefused(gettext("This XLSX file cannot be read. Save it again from Excel and retry."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
        if len(entries) > MAX_ENTRIES or sum(info.file_size for info in entries) > MAX_UNPACKED:
            raise FileRefused(gettext("The file is too large once unpacked. Nothing was saved."), 413)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except FileRefused:
        raise
    except Exception:  # any damage in untrusted bytes (zip, XML, styles) is the same answer to the user
        raise unreadable from None
    try:
        # Rows are parsed lazily: damage further down the sheet shows up here.
        yield from (list(row) for row in book.worksheets[0].iter_rows(values_only=True))
    except Exception:
        raise unreadable from None
    finally:
        book.close()


def _csv_rows(data: bytes) -> Iterator[list]:
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError:
        raise FileRefused(gettext("The CSV file is not in UTF-8. In Excel, save it as “CSV UTF-8”.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # Excel with a Vietnamese locale separates with ";"
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def read_sheet(filename: str, data: bytes, max_rows: int) -> Sheet:
    """The header and the non-blank rows of the first sheet; FileRefused for an unusable file."""
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise FileRefused(gettext("The old .xls format is not accepted: save the file as .xlsx or CSV UTF-8."))
    if data[:4] == b"PK\x03\x04":
        raw = _xlsx_rows(data)
    elif name.endswith(".xlsx"):
        raise FileRefused(gettext("This XLSX file cannot be read. Save it again from Excel and retry."))
    else:
        if b"\x00" in data[:4096]:
            raise FileRefused(gettext("Only XLSX and CSV files are accepted."))
        raw = _csv_rows(data)
    header, rows = None, []
    try:
        for number, cells in enumerate(raw, start=1):
            if _blank(cells):
                continue
            if header is None:
                header = (number, [text_of(v) for v in cells])
                continue
            if len(rows) >= max_rows:
                message = gettext(
                    "The file has more than %(count)s rows. Split it into several files. Nothing was saved.",
                    count=f"{max_rows:,}".replace(",", "."),
                )
                raise FileRefused(message, 413)
            rows.append((number, list(cells)))
    except csv.Error:
        raise FileRefused(gettext("This CSV file cannot be read.")) from None
    if header is None:
        raise FileRefused(gettext("The file is empty: it has no header row."))
    headers = header[1]
    while headers and not headers[-1]:
        headers.pop()
    return Sheet(headers, [column_for(h) if h else None for h in headers], rows)


# --- Writing ---------------------------------------------------------------------------------------


def text_cell(sheet, value, **style):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text typed by a user is never a formula in the file we hand out
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_workbook() -> bytes:
    """The empty list to fill: the header row (cells formatted as text, so Excel keeps the leading
    zero of an ID number and does not reinterpret a typed date), lists for the coded columns, and a
    guide sheet describing each column."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = bold
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        sheet.column_dimensions[letter].number_format = "@"
        choices = {"sex": SEX_VALUES, "release_kind": RELEASE_KIND_VALUES}.get(column.kind)
        if choices:
            rule = DataValidation(type="list", formula1='"' + ",".join(choices.values()) + '"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Hướng dẫn")
    guide.append([gettext("Column"), gettext("Required"), gettext("What to write")])
    for cell in guide[1]:
        cell.font = bold
    for column in COLUMNS:
        guide.append([column.header, gettext("yes") if column.required else "", str(column.hint)])
    guide.append([])
    guide.append([gettext("Give either the notice date, or the release date and the reporting deadline.")])
    guide.column_dimensions["A"].width = 30
    guide.column_dimensions["C"].width = 80
    return _save(book)


def export_workbook(rows: list[list]) -> bytes:
    """The list in the import's columns followed by the export-only ones; `rows` are cell values."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_TITLE)
    headers = [c.header for c in COLUMNS + EXPORT_COLUMNS]
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(header) + 4)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([text_cell(sheet, header, font=bold) for header in headers])
    for values in rows:
        sheet.append([text_cell(sheet, value) for value in values])
    return _save(book)
