"""Workbooks of a unit report and of the city roll-up (openpyxl).

Sheet titles and headers are translated in the locale the build runs in. The bytes depend only on
the content: the document properties carry a date taken from the data (the period's end) and the
zip entries a fixed timestamp, so rebuilding the same snapshot gives the same SHA-256.
"""

import io
import re
import zipfile
from datetime import date, datetime, time

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from blueprints.reports import figures
from blueprints.reports.models import STATUS_LABELS
from blueprints.reports.rollup import COMPLETENESS, COMPLETENESS_LABELS, SOURCE_LABELS
from portal.i18n import local_moment

COUNT, MONEY, RATE = "#,##0", '#,##0 "₫"', '0.0"%"'
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="FFE8EEF4")
TOTAL_FONT = Font(bold=True)
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
# The earliest moment a zip entry can record; any fixed value would do.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def sheet_title(label: str, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet title, unique per workbook."""
    base = _BAD_TITLE.sub(" ", str(label)).strip()[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def number_format(key: str) -> str:
    return MONEY if figures.BY_KEY[key].money else COUNT


def _header(ws, labels: list[str], widths: list[int]) -> None:
    ws.append([str(label) for label in labels])
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"


def _filter(ws) -> None:
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{max(ws.max_row, 1)}"


def _section_rows(section: str, values: dict) -> list[tuple]:
    """(key, label, value, format) for the figures and rates of one section, in report order."""
    rows = [(f.key, str(f.label), values.get(f.key, 0), number_format(f.key))
            for f in figures.FIGURES if f.section == section]
    computed = figures.rates(values)
    rows += [(r.key, str(r.label), computed[r.key], RATE) for r in figures.RATES if r.section == section]
    return rows


def _save(wb: Workbook, on: date) -> bytes:
    moment = datetime.combine(on, time())
    wb.properties.created = wb.properties.modified = moment
    wb.properties.creator = wb.properties.lastModifiedBy = gettext("Reintegration portal")
    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip(raw.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry dated _ZIP_TIME (zipfile stamps entries with the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, item.external_attr
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def report_workbook(*, unit, report, period, values: dict) -> bytes:
    """A cover sheet, then one sheet per section of figures: No., figure, value, key."""
    wb = Workbook()
    used: set[str] = set()
    cover = wb.active
    cover.title = sheet_title(gettext("Summary"), used)
    _header(cover, [gettext("Item"), gettext("Value")], [36, 48])
    submitted = local_moment(report.submitted_at).date() if report.submitted_at else None  # Hải Phòng's day
    late = "" if report.late is None else (gettext("yes") if report.late else gettext("no"))
    for label, value, fmt in [
        (gettext("Unit"), unit.name, None),
        (gettext("Unit code"), unit.code, "@"),
        (gettext("Period"), period.label, None),
        (gettext("From"), period.start, "DD/MM/YYYY"),
        (gettext("To"), period.end, "DD/MM/YYYY"),
        (gettext("Status"), str(STATUS_LABELS.get(report.status, report.status)), None),
        (gettext("Due on"), report.due_on, "DD/MM/YYYY"),
        (gettext("Submitted on"), submitted, "DD/MM/YYYY"),
        (gettext("Late"), late, None),
    ] + [(str(r.label), v, RATE) for r, v in zip(figures.RATES, figures.rates(values).values(), strict=True)]:
        cover.append([label, value])
        if fmt:
            cover.cell(row=cover.max_row, column=2).number_format = fmt
    _filter(cover)
    for section in figures.SECTIONS:
        ws = wb.create_sheet(sheet_title(figures.SECTION_LABELS[section], used))
        _header(ws, [gettext("No."), gettext("Figure"), gettext("Value"), gettext("Key")], [6, 64, 16, 28])
        for n, (key, label, value, fmt) in enumerate(_section_rows(section, values), start=1):
            ws.append([n, label, value, key])
            ws.cell(row=ws.max_row, column=3).number_format = fmt
            ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True)
        _filter(ws)
    return _save(wb, period.end)


def rollup_workbook(data) -> bytes:
    """One row per unit with every figure and rate and a totals row; then the completeness sheet."""
    wb = Workbook()
    used: set[str] = set()
    ws = wb.active
    ws.title = sheet_title(gettext("Units"), used)
    keys = figures.KEYS
    rate_keys = [r.key for r in figures.RATES]
    labels = [gettext("Code"), gettext("Unit"), gettext("State"), gettext("Late")]
    labels += [str(figures.BY_KEY[k].label) for k in keys] + [str(r.label) for r in figures.RATES]
    _header(ws, labels, [8, 28, 22, 8] + [14] * (len(keys) + len(rate_keys)))
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = "C2"  # unit code and name stay in view while scrolling the figures
    for row in data.rows:
        values = row.figures or {}
        rates = figures.rates(values) if row.figures else {}
        late = "" if row.late is None else (gettext("yes") if row.late else gettext("no"))
        ws.append(
            [row.tenant.code, row.tenant.name, str(COMPLETENESS_LABELS[row.state]), late]
            + [values.get(k) if row.figures else None for k in keys]
            + [rates.get(k) for k in rate_keys]
        )
    last = ws.max_row  # the filter stops above the totals row, so sorting leaves it at the bottom
    ws.append(["", gettext("Total"), "", data.late]
              + [data.totals.get(k, 0) for k in keys] + [data.rates.get(k) for k in rate_keys])
    for cell in ws[ws.max_row]:
        cell.font = TOTAL_FONT
    for col, key in enumerate(keys, start=5):
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=col).number_format = number_format(key)
    for col in range(5 + len(keys), 5 + len(keys) + len(rate_keys)):
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=col).number_format = RATE
    ws.auto_filter.ref = f"A1:{get_column_letter(ws.max_column)}{last}"

    done = wb.create_sheet(sheet_title(gettext("Completeness"), used))
    _header(done, [gettext("State"), gettext("Units")], [36, 12])
    for state in COMPLETENESS:
        done.append([str(COMPLETENESS_LABELS[state]), data.completeness.get(state, 0)])
    done.append([gettext("late"), data.late])
    done.append([gettext("Figures from"), str(SOURCE_LABELS.get(data.source, data.source))])
    _filter(done)
    return _save(wb, data.period.end)
