"""Official documents as PDF: a Jinja template under `documents/` rendered to HTML, printed by
WeasyPrint with the print stylesheet (not the web CSS: a PDF carries no CSP and needs page rules).

Used by the report and roll-up builds and, later, by the campaign plans. Runs in any app context
(a job has no request): templates translate through the locale the caller forced.
"""

from functools import cache
from pathlib import Path

from flask import render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

PRINT_CSS = Path(__file__).resolve().parent.parent / "portal" / "templates" / "documents" / "print.css"


@cache
def _print_css() -> tuple[CSS, FontConfiguration]:
    fonts = FontConfiguration()
    return CSS(filename=str(PRINT_CSS), font_config=fonts), fonts


def render_html(template_name: str, **context) -> str:
    return render_template(f"documents/{template_name}", **context)


def render_pdf(template_name: str, **context) -> bytes:
    """The PDF of `documents/<template_name>`.

    No base URL: a document may not fetch anything (charts are inline SVG, fonts are the system's),
    so the bytes depend only on the template and the context.
    """
    stylesheet, fonts = _print_css()
    html = HTML(string=render_html(template_name, **context))
    return html.write_pdf(stylesheets=[stylesheet], font_config=fonts)
