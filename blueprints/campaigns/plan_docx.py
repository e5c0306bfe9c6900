"""The campaign plan as a Word document (python-docx), laid out after Decree 30/2020/NĐ-CP.

Input: the words composed by workers.plan_documents.compose. Layout: A4; margins 20 mm top and bottom,
30 mm left, 15 mm right; Times New Roman (what the units' word processors have); the header as a
two-column borderless table; real paragraph styles (Normal, Title, Heading 1/2 and the plan's own), so
an officer who edits the file keeps the look. The bytes are the same for the same words: fixed core
properties and fixed dates on the zip entries.
"""

import io
import zipfile
from datetime import datetime

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

FONT = "Times New Roman"
TEXT_WIDTH = Mm(210 - 30 - 15)
NO_INDENT = Mm(0)
ISSUER_WIDTH, NATION_WIDTH = Mm(62), Mm(103)
CELL_MARGINS = 3.8  # Word's default cell padding, left and right
PPR_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT


# ---- styles ----


def _set_font(style, size: float, *, bold: bool = False, italic: bool = False) -> None:
    """The font on every script slot, replacing the template's theme fonts (Calibri, blue headings)."""
    font = style.font
    font.name, font.size, font.bold, font.italic = FONT, Pt(size), bold, italic
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.lower().endswith("theme"):
            del fonts.attrib[attr]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    # The template's Title and Subtitle carry a blue rule, a list level, letter spacing and kerning.
    for tag in ("w:spacing", "w:kern", "w:iCs", "w:bCs", "w:szCs"):
        for element in rpr.findall(qn(tag)):
            rpr.remove(element)
    ppr = style.element.get_or_add_pPr()
    for tag in ("w:pBdr", "w:numPr"):
        for element in ppr.findall(qn(tag)):
            ppr.remove(element)


def _paragraph_style(document, name: str, size: float, *, bold=False, italic=False, align=JUSTIFY,
                     indent=NO_INDENT, before=0, after=0, base="Normal"):
    styles = document.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != "Normal":
        style.base_style = styles[base]
    _set_font(style, size, bold=bold, italic=italic)
    fmt = style.paragraph_format
    fmt.alignment, fmt.first_line_indent = align, indent
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    return style


def _styles(document) -> None:
    normal = _paragraph_style(document, "Normal", 14, indent=Mm(10), after=6)
    normal.paragraph_format.line_spacing = 1.1
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    normal.element.get_or_add_rPr().insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    # Decree 30: the national title in 12–13 pt capitals; 12 keeps it on one line beside the issuer.
    for name, size, bold, italic in (("Plan Header", 13, False, False), ("Plan Header Bold", 12, True, False),
                                     ("Plan Motto", 14, True, False), ("Plan Place Date", 14, False, True)):
        _paragraph_style(document, name, size, bold=bold, italic=italic, align=CENTER)
    _paragraph_style(document, "Title", 14, bold=True, align=CENTER, before=12)
    _paragraph_style(document, "Subtitle", 14, bold=True, align=CENTER)
    for name in ("Heading 1", "Heading 2"):
        style = _paragraph_style(document, name, 14, bold=True, indent=Mm(10), before=6, after=3)
        style.paragraph_format.keep_with_next = True
    _paragraph_style(document, "Plan Draft Mark", 12, bold=True, align=CENTER, before=6)
    _paragraph_style(document, "Plan Recipients Head", 12, bold=True, italic=True, align=LEFT)
    _paragraph_style(document, "Plan Recipients", 11, align=LEFT)
    _paragraph_style(document, "Plan Signature", 14, bold=True, align=CENTER)
    # Space after, so a word processor does not draw the rule into the next line.
    _paragraph_style(document, "Plan Rule", 2, align=CENTER, after=8)


# ---- pieces ----


def _page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)


def _rule(container, available: float, length: float) -> None:
    """A centred line `length` mm long in `available` mm: an empty paragraph with a bottom border,
    narrowed by its indents."""
    paragraph = container.add_paragraph(style="Plan Rule")
    side = Mm(max(0.0, (available - length) / 2))
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(attr), value)
    borders.append(bottom)
    # Word refuses properties out of the schema's order: the border goes before these.
    paragraph._p.get_or_add_pPr().insert_element_before(borders, *PPR_AFTER_BORDER)


def _borderless(table) -> None:
    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    props.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                                "w:tblDescription", "w:tblPrChange")


def _two_columns(document, left_width, right_width):
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borderless(table)
    # A fixed layout takes the grid's widths; the cells repeat them for word processors that read those.
    table.columns[0].width, table.columns[1].width = left_width, right_width
    left, right = table.rows[0].cells
    left.width, right.width = left_width, right_width
    return left, right


def _fill(cell, lines: list[tuple[str, str]]) -> None:
    """Lines of (style, text); the cell's own first paragraph takes the first line."""
    for i, (style, text) in enumerate(lines):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.style = style
        paragraph.text = text


def _header(document, doc: dict) -> None:
    issuer, nation = _two_columns(document, ISSUER_WIDTH, NATION_WIDTH)
    _fill(issuer, [("Plan Header Bold", doc["issuer"][0]), ("Plan Header Bold", doc["issuer"][1])])
    _rule(issuer, ISSUER_WIDTH.mm - CELL_MARGINS, 24)
    issuer.add_paragraph(doc["number"], style="Plan Header")
    _fill(nation, [("Plan Header Bold", doc["republic"]), ("Plan Motto", doc["motto"])])
    _rule(nation, NATION_WIDTH.mm - CELL_MARGINS, 62)
    nation.add_paragraph(doc["place_date"], style="Plan Place Date")


def _closing(document, doc: dict) -> None:
    recipients, signature = _two_columns(document, Mm(80), Mm(85))
    _fill(recipients, [("Plan Recipients Head", doc["recipients_head"])])
    for line in doc["recipients"]:
        recipients.add_paragraph(f"- {line}", style="Plan Recipients")
    _fill(signature, [("Plan Signature", line) for line in doc["signature"]])
    name = signature.add_paragraph(doc["signer"], style="Plan Signature")
    name.paragraph_format.space_before = Pt(80)  # room for the signature and the seal


def _body(document, doc: dict) -> None:
    if doc["draft"]:
        document.add_paragraph(doc["draft"], style="Plan Draft Mark")
    document.add_paragraph(doc["title"], style="Title")
    document.add_paragraph(doc["subject"], style="Subtitle")
    _rule(document, TEXT_WIDTH.mm, 45)
    for paragraph in doc["opening"]:
        document.add_paragraph(paragraph)
    for section in doc["sections"]:
        document.add_paragraph(section["heading"], style="Heading 1")
        for line in section["dashes"]:
            document.add_paragraph(f"- {line}")
        for number, line in enumerate(section["numbered"], start=1):
            document.add_paragraph(f"{number}. {line}")
        for line in section["paragraphs"]:
            document.add_paragraph(line)
        for group in section["groups"]:
            document.add_paragraph(group["heading"], style="Heading 2")
            for task in group["tasks"]:
                document.add_paragraph(f"- {task}")


def _drop_thumbnail(document) -> None:
    """The template's preview picture shows an empty page; without the relationship it is not saved."""
    rels = document.part.package.rels
    for r_id in [r_id for r_id, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        rels.pop(r_id)


def _properties(document, doc: dict) -> None:
    created = datetime(doc["created"].year, doc["created"].month, doc["created"].day)
    props = document.core_properties
    props.title = f"{doc['title']} {doc['number']}"
    props.subject = doc["subject"]
    props.author = doc["issuer"][1]
    props.last_modified_by = doc["issuer"][1]
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = created
    props.last_printed = created
    props.revision = 1


def _stable_zip(data: bytes) -> bytes:
    """The same archive with every entry dated 1980-01-01, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def plan_docx(doc: dict) -> bytes:
    document = Document()
    _page(document)
    _styles(document)
    # The template's empty first paragraph would push the header down a line.
    for paragraph in list(document.paragraphs):
        paragraph._p.getparent().remove(paragraph._p)
    _header(document, doc)
    _body(document, doc)
    _closing(document, doc)
    _properties(document, doc)
    _drop_thumbnail(document)
    out = io.BytesIO()
    document.save(out)
    return _stable_zip(out.getvalue())
