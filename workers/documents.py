"""Official documents as PDF: a Jinja template under `documents/` rendered to HTML, printed by
WeasyPrint with the print stylesheet (not the web CSS: a PDF carries no CSP and needs page rules).

Used by the report and roll-up builds and, later, by the campaign plans. Runs in any app context
(a job has no request): templates translate through the locale the caller forced.
"""

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from flask import render_template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from weasyprint import CSS, HTML, URLFetcher
from weasyprint.text.fonts import FontConfiguration

from portal import audit
from portal.extensions import db
from workers import storage as files

PRINT_CSS = Path(__file__).resolve().parent.parent / "portal" / "templates" / "documents" / "print.css"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
UNIT_KIND_PREFIXES = ("Đặc khu ", "Phường ", "Xã ")


def place_of(unit) -> str:
    """Decree 30 names the place by its proper name: "An Khánh", not "Xã An Khánh"."""
    for prefix in UNIT_KIND_PREFIXES:
        if unit.name.startswith(prefix):
            return unit.name[len(prefix):]
    return unit.name


@cache
def _print_css() -> tuple[CSS, FontConfiguration]:
    fonts = FontConfiguration()
    return CSS(filename=str(PRINT_CSS), font_config=fonts), fonts


def render_html(template_name: str, **context) -> str:
    return render_template(f"documents/{template_name}", **context)


@contextmanager
def _fixed_font_stamp(on: date):
    """WeasyPrint subsets the fonts with fontTools, which stamps each subset with the time unless
    SOURCE_DATE_EPOCH is set: a fixed stamp keeps the PDF bytes the same for the same content.
    (Jobs run one per process, so setting the variable for the call is safe there.)"""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(int(datetime(on.year, on.month, on.day, tzinfo=UTC).timestamp()))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def render_pdf(template_name: str, stamp: date, **context) -> bytes:
    """The PDF of `documents/<template_name>`, dated `stamp` in its metadata.

    Self-contained: no base URL and inline data only, never a file or network address (charts are
    inline SVG, fonts are the system's), so the bytes depend only on the template and the context.
    """
    stylesheet, fonts = _print_css()
    html = HTML(string=render_html(template_name, **context), url_fetcher=URLFetcher(allowed_protocols={"data"}))
    with _fixed_font_stamp(stamp):
        return html.write_pdf(stylesheets=[stylesheet], font_config=fonts)


def store_output(model, row, lookup: dict, data: bytes, action: str, actor_id: int | None) -> int:
    """Keep a built file: bytes first (atomic, verified; a StorageError propagates and RQ retries),
    then its row. A duplicate build that lost the race removes its own object and returns the winner."""
    backend = files.storage()
    backend.put(row.storage_key, data, row.sha256)
    db.session.add(row)
    try:
        db.session.flush()
        audit.record(action, row, user_id=actor_id)
        db.session.commit()
        return row.id
    except IntegrityError:
        db.session.rollback()
    winner = db.session.scalar(select(model).filter_by(**lookup))
    if winner is None:
        raise RuntimeError("file row conflict without a winner")
    if winner.storage_key != row.storage_key:
        backend.delete(row.storage_key)
    return winner.id
