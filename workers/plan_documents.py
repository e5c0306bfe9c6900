"""A unit's campaign plan printed as an official document (Decree 30/2020/NĐ-CP), DOCX and PDF, built
by a job; and the short-lived links that serve the files.

The wording is composed once (`compose`) and laid out twice: python-docx for the DOCX
(blueprints.campaigns.plan_docx), WeasyPrint for the PDF (documents/campaign_plan.html). The plan's
own text is the unit's data, printed as written; the fixed headings are translated in the task's locale.

Idempotent and crash-safe like the report files: a document is identified by (plan, content SHA,
format); the bytes go under a content-addressed key before the row is inserted, and a build that
loses the insert race removes its own object unless it is the very object the winner recorded.
"""

import hashlib
import json
import re

from flask import current_app
from flask_babel import get_locale, gettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.campaigns.models import AGENCIES, AGENCY_LABELS, PLAN_ISSUED, Campaign, PlanDocument, UnitPlan
from blueprints.campaigns.plan_docx import plan_docx
from portal.extensions import db
from tenants.context import current_tenant, current_tenant_id
from workers import storage as files
from workers.documents import ROMAN, UNIT_KIND_PREFIXES, render_pdf, store_output
from workers.runner import JobFailed, job, report_progress

FORMATS = ("docx", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# Part of the content SHA: bump it when the layout changes, so a rebuild prints the new layout.
LAYOUT = 1
# A line the officer typed may already start with a dash or a number; the document adds its own.
LEADING_MARK = re.compile(r"^\s*(?:[-–+•]|\d+[.)])\s*")
BLANK = "……"


# ---- what the document says ----


def _iso(value):
    return value.isoformat() if value is not None else None


def plan_content(plan: UnitPlan, campaign: Campaign, unit, locale: str) -> dict:
    """Everything the document prints, as plain values: its SHA names the document.

    Task status and notes are left out on purpose: they are not printed, so ticking a task off
    does not make a new document.
    """
    return {
        "layout": LAYOUT,
        "locale": locale,
        "unit": {"code": unit.code, "name": unit.name},
        "campaign": {
            "year": campaign.year, "round": campaign.round,
            "pardon_decision_number": campaign.pardon_decision_number,
            "pardon_decision_date": _iso(campaign.pardon_decision_date),
            "city_plan_number": campaign.city_plan_number, "city_plan_date": _iso(campaign.city_plan_date),
            "report_due_on": _iso(campaign.report_due_on),
        },
        "plan": {
            "id": plan.id, "status": plan.status, "number": plan.number, "signed_on": _iso(plan.signed_on),
            "place": plan.place, "signer_name": plan.signer_name, "signer_title": plan.signer_title,
            "purpose": plan.purpose, "content": plan.content, "organisation": plan.organisation,
            "recipients": plan.recipients,
        },
        "tasks": [
            {"agency": t.agency, "text": t.text, "due_on": _iso(t.due_on), "position": t.position}
            for t in plan.tasks
        ],
    }


def content_sha(content: dict) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lines(text: str | None) -> list[str]:
    """The non-empty lines of a text field, without the marks the document adds itself."""
    return [LEADING_MARK.sub("", line).strip() for line in (text or "").splitlines() if line.strip()]


def _dmy(value) -> str:
    return value.strftime("%d/%m/%Y") if value else BLANK


def _place(plan: UnitPlan, unit) -> str:
    """Decree 30 names the place by its proper name: "An Khánh", not "Xã An Khánh"."""
    place = (plan.place or "").strip() or unit.name
    for prefix in UNIT_KIND_PREFIXES:
        if place.startswith(prefix) and not place[len(prefix):].strip().isdigit():
            return place[len(prefix):].strip()
    return place


def _unit_in_sentence(unit) -> str:
    """"Xã An Khánh" inside a sentence reads "xã An Khánh"."""
    for prefix in UNIT_KIND_PREFIXES:
        if unit.name.startswith(prefix):
            return prefix.lower() + unit.name[len(prefix):]
    return unit.name


def _place_date(plan: UnitPlan, campaign: Campaign, unit) -> str:
    """Decree 30: days 1–9 and months 1–2 with a leading zero; an unsigned plan leaves blanks."""
    on = plan.signed_on
    if on is None:
        day, month, year = BLANK, BLANK, campaign.year
    else:
        day, month, year = f"{on.day:02d}", f"{on.month:02d}" if on.month < 3 else str(on.month), on.year
    return gettext("%(place)s, %(day)s/%(month)s/%(year)s", place=_place(plan, unit), day=day, month=month,
                   year=year)


def _signature(plan: UnitPlan) -> list[str]:
    """TM. (on behalf of) the committee; the chairman signs as such, anyone else KT. (for) the chairman."""
    lines = [gettext("ON BEHALF OF THE PEOPLE'S COMMITTEE")]
    title = (plan.signer_title or "").strip()
    chairman = {gettext("Chairman").casefold(), "chủ tịch", "chairman"}
    if title.casefold() in chairman:
        lines.append(title.upper())
    else:
        lines.append(gettext("FOR THE CHAIRMAN"))
        if title:
            lines.append(title.upper())
    return lines


def _opening(campaign: Campaign, unit) -> list[str]:
    year, who = campaign.year, _unit_in_sentence(unit)
    opening = [gettext(
        "Pursuant to Decision No. %(number)s of %(date)s of the State President on special pardon in %(year)s;",
        number=campaign.pardon_decision_number, date=_dmy(campaign.pardon_decision_date), year=year,
    )]
    if campaign.city_plan_number:
        opening.append(gettext(
            "Implementing Plan No. %(number)s of %(date)s of the People's Committee of Hai Phong city on carrying "
            "out the special pardon work in %(year)s, the People's Committee of %(unit)s issues its plan for the "
            "special pardon work in %(year)s as follows:",
            number=campaign.city_plan_number, date=_dmy(campaign.city_plan_date), year=year, unit=who,
        ))
    else:
        opening.append(gettext(
            "The People's Committee of %(unit)s issues its plan for the special pardon work in %(year)s as follows:",
            unit=who, year=year,
        ))
    return opening


def _assignments(plan: UnitPlan, campaign: Campaign) -> list[dict]:
    """One numbered group per agency, in the template's agency order, each task a dash."""
    order = {agency: i for i, agency in enumerate(AGENCIES)}
    agencies = sorted({t.agency for t in plan.tasks}, key=lambda a: (order.get(a, len(order)), a))
    groups = []
    for number, agency in enumerate(agencies, start=1):
        items = []
        for t in plan.tasks:
            if t.agency != agency:
                continue
            text = t.text.strip()
            if t.due_on and t.due_on != campaign.report_due_on:
                # (gettext outside the f-string: message extraction cannot read into one)
                complete_by = gettext("Complete by %(date)s.", date=_dmy(t.due_on))
                text = f"{text} {complete_by}"
            items.append(text)
        groups.append({"heading": f"{number}. {AGENCY_LABELS.get(agency, agency)}", "tasks": items})
    return groups


def compose(plan: UnitPlan, campaign: Campaign, unit) -> dict:
    """The document's words, in reading order (translated in the current locale)."""
    headings = (
        gettext("PURPOSE AND REQUIREMENTS"), gettext("CONTENT OF THE WORK"), gettext("ASSIGNMENT OF TASKS"),
        gettext("ORGANISATION OF IMPLEMENTATION"),
    )
    organisation = _lines(plan.organisation)
    if organisation and not organisation[-1].endswith("./."):
        organisation[-1] = organisation[-1].rstrip(".") + "./."  # Decree 30 closes the body with "./."
    return {
        "issuer": [gettext("PEOPLE'S COMMITTEE"), unit.name.upper()],
        "number": gettext("No.: %(number)s", number=(plan.number or "").strip() or f"{BLANK}/KH-UBND"),
        "republic": gettext("SOCIALIST REPUBLIC OF VIETNAM"),
        "motto": gettext("Independence - Freedom - Happiness"),
        "place_date": _place_date(plan, campaign, unit),
        "draft": gettext("DRAFT") if plan.status != PLAN_ISSUED else None,
        "title": gettext("PLAN"),
        "subject": gettext("Carrying out the special pardon work in %(year)s", year=campaign.year),
        "opening": _opening(campaign, unit),
        "sections": [
            {"heading": f"{ROMAN[0]}. {headings[0]}",
             "dashes": _lines(plan.purpose), "numbered": [], "paragraphs": [], "groups": []},
            {"heading": f"{ROMAN[1]}. {headings[1]}",
             "dashes": [], "numbered": _lines(plan.content), "paragraphs": [], "groups": []},
            {"heading": f"{ROMAN[2]}. {headings[2]}",
             "dashes": [], "numbered": [], "paragraphs": [], "groups": _assignments(plan, campaign)},
            {"heading": f"{ROMAN[3]}. {headings[3]}",
             "dashes": [], "numbered": [], "paragraphs": organisation, "groups": []},
        ],
        "recipients_head": gettext("Recipients:"),
        "recipients": _lines(plan.recipients),
        "signature": _signature(plan),
        "signer": (plan.signer_name or "").strip(),
        "created": plan.signed_on or campaign.pardon_decision_date,  # fixed dates keep the bytes stable
        "campaign_year": campaign.year,
    }


def plan_pdf(doc: dict) -> bytes:
    closing = {
        "recipients": doc["recipients"],
        "role": Markup("<br>").join(escape(line) for line in doc["signature"]),
        "signer": doc["signer"],
    }
    return render_pdf("campaign_plan.html", doc["created"], doc=doc, closing=closing)


def render(fmt: str, doc: dict) -> bytes:
    if fmt == "docx":
        return plan_docx(doc)
    return plan_pdf(doc)


# ---- the job ----


def load_plan(plan_id: int) -> UnitPlan | None:
    return db.session.scalar(select(UnitPlan).where(UnitPlan.id == plan_id).options(selectinload(UnitPlan.tasks)))


def existing(lookup: dict) -> PlanDocument | None:
    """The document already built for this plan, content and format, if any."""
    return db.session.scalar(select(PlanDocument).filter_by(**lookup))


@job("campaigns.plan_document", queue="documents")
def build_plan_document(task, plan_id: int) -> dict:
    plan = load_plan(plan_id)
    if plan is None:
        raise JobFailed(gettext("The plan is no longer there."))
    campaign, unit = db.session.get(Campaign, plan.campaign_id), current_tenant()
    sha = content_sha(plan_content(plan, campaign, unit, str(get_locale())))
    # Composed once, before any commit below expires the rows it reads.
    doc, plan_key, unit_code = compose(plan, campaign, unit), plan.id, unit.code
    ids = []
    for step, fmt in enumerate(FORMATS):
        lookup = {"plan_id": plan_key, "content_sha": sha, "format": fmt}
        found = existing(lookup)
        if found is not None:
            ids.append(found.id)
            continue
        report_progress(task, 10 + 45 * step, gettext("Building the %(format)s file", format=fmt.upper()))
        data = render(fmt, doc)
        digest = files.sha256_of(data)
        key = files.tenant_key(unit_code, "plans", str(plan_key), f"{sha}-{digest[:16]}.{fmt}")
        row = PlanDocument(**lookup, storage_key=key, size=len(data), sha256=digest)
        ids.append(store_output(PlanDocument, row, lookup, data, "campaign.plan_document", task.actor_id))
    return {"documents": ids, "content_sha": sha}


# ---- short-lived download links ----


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="plan-document-download")


def download_token(document: PlanDocument, user_id: int) -> str:
    """A link for one user to one document of the current unit."""
    return _signer().dumps({"d": document.id, "t": current_tenant_id(), "u": user_id})


def read_download_token(token: str, user_id: int) -> int | None:
    """The document id the token grants to this user here, or None if forged, expired or someone else's."""
    try:
        data = _signer().loads(token, max_age=current_app.config["DOWNLOAD_LINK_SECONDS"])
    except (BadSignature, SignatureExpired):
        return None
    if data.get("u") != user_id or data.get("t") != current_tenant_id():
        return None
    return data.get("d")


def download_name(campaign: Campaign, fmt: str) -> str:
    """ke-hoach-dac-xa-2025.docx (a later round of the same year: ke-hoach-dac-xa-2025-dot-2.docx)."""
    suffix = f"-dot-{campaign.round}" if campaign.round and campaign.round > 1 else ""
    return f"ke-hoach-dac-xa-{campaign.year}{suffix}.{fmt}"
