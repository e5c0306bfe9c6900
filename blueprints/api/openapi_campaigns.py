"""The campaign part of the OpenAPI document: the list of campaigns, a unit's plan and progress, the
city's board."""

from blueprints.api.campaigns import BOARD_FILTERS, PROGRESS_COUNTS
from blueprints.api.openapi_reports import STAMP
from blueprints.api.openapi_returnees import TENANT, _errors, _json, _query
from blueprints.campaigns import board
from blueprints.campaigns.models import AGENCIES, CAMPAIGN_STATES, PLAN_DRAFT, PLAN_ISSUED, TASK_STATES
from blueprints.reports.models import STATUSES as REPORT_STATUSES

REF = "#/components/schemas/"
DATE = {"type": ["string", "null"], "format": "date"}
TEXT = {"type": ["string", "null"]}
CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True, "schema": {"type": "integer"}}
BOARD_QUERY = {
    "plan": {"type": "string", "enum": list(BOARD_FILTERS["plan"]),
             "description": "issued; not_issued (drafted or none); none (no plan made yet)."},
    "report": {"type": "string", "enum": list(BOARD_FILTERS["report"]),
               "description": "submitted (on time or late), on_time, late, missing (incl. returned), overdue."},
    "kind": {"type": "string", "enum": list(BOARD_FILTERS["kind"])},
}


def paths() -> dict:
    return {
        "/campaigns": {
            "get": {
                "operationId": "listCampaigns", "summary": "The special-pardon campaigns, newest first",
                "description": "City police see every campaign, drafts included; unit users see opened and "
                               "closed ones; other roles 403.",
                "parameters": _query({"status": {"type": "string", "enum": list(CAMPAIGN_STATES)}}),
                "responses": {"200": _json("CampaignList", "Campaigns"), **_errors(401, 403, 422)},
            },
        },
        "/t/{tenant_slug}/campaigns/{campaign_id}": {
            "get": {
                "operationId": "getUnitCampaign",
                "summary": "The unit's plan for a campaign, its progress and its results report's state",
                "description": "Counts only for the people (expected, arrived, presented); never a person. "
                               "A draft campaign is 404 for units.",
                "parameters": [TENANT, CAMPAIGN_ID],
                "responses": {"200": _json("UnitCampaign", "The unit's campaign"), **_errors(401, 403, 404)},
            },
        },
        "/city/campaigns/{campaign_id}/board": {
            "get": {
                "operationId": "getCampaignBoard",
                "summary": "The city's board of a campaign: one row per active unit, with totals",
                "description": "City police only (unit roles: 403). Read from what the units published: "
                               "dates, states and counts, never a person. Totals are of the rows listed.",
                "parameters": [CAMPAIGN_ID, *_query(BOARD_QUERY)],
                "responses": {"200": _json("CampaignBoard", "The board"), **_errors(401, 403, 404, 422)},
            },
        },
    }


def _progress() -> dict:
    return {"type": "object", "description": "What the unit published for the city (counts; VND for loan_vnd).",
            "properties": {
                **{name: {"type": "integer"} for name in PROGRESS_COUNTS},
                "plan_status": {"type": ["string", "null"], "enum": [PLAN_DRAFT, PLAN_ISSUED, None]},
                "plan_issued_on": DATE,
                "report_status": {"type": ["string", "null"], "enum": [*REPORT_STATUSES, None]},
                "report_submitted_at": STAMP, "report_late": {"type": ["boolean", "null"]}, "updated_at": STAMP,
            }}


def schemas() -> dict:
    campaign = {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "year": {"type": "integer"},
        "round": {"type": "integer"}, "status": {"type": "string", "enum": list(CAMPAIGN_STATES)},
        "pardon_decision_number": {"type": "string"}, "pardon_decision_date": DATE,
        "release_decision_number": TEXT, "release_effective_on": DATE, "city_plan_number": TEXT,
        "city_plan_date": DATE, "report_due_on": DATE, "opened_at": STAMP,
        "task_template": {"type": "array", "items": {"type": "object", "properties": {
            "agency": {"type": "string", "enum": list(AGENCIES)}, "text": {"type": "string"}}}},
    }}
    task = {"type": "object", "properties": {
        "id": {"type": "integer"}, "agency": {"type": "string", "enum": list(AGENCIES)}, "text": {"type": "string"},
        "due_on": DATE, "status": {"type": "string", "enum": list(TASK_STATES)}, "note": TEXT,
        "position": {"type": "integer"},
    }}
    plan = {"type": "object", "properties": {
        "id": {"type": "integer"}, "number": TEXT, "signed_on": DATE, "place": TEXT, "signer_name": TEXT,
        "signer_title": TEXT, "status": {"type": "string", "enum": [PLAN_DRAFT, PLAN_ISSUED]}, "issued_at": STAMP,
        "version": {"type": "integer"}, "purpose": TEXT, "content": TEXT, "organisation": TEXT, "recipients": TEXT,
        "tasks": {"type": "array", "items": {"$ref": REF + "PlanTask"}},
    }}
    report = {"type": "object", "properties": {
        "id": {"type": ["integer", "null"]},
        "status": {"type": ["string", "null"], "enum": [*REPORT_STATUSES, None]},
        "due_on": DATE, "submitted_at": STAMP, "late": {"type": ["boolean", "null"]},
        "overdue": {"type": "boolean", "description": "Not submitted (or returned) and past the due date."},
    }}
    board_unit = {"type": "object", "properties": {
        "tenant": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
        "kind": {"type": "string", "enum": list(BOARD_FILTERS["kind"])},
        "plan_state": {"type": "string", "enum": ["issued", "draft", "none"]},
        "report_state": {"type": "string", "enum": list(board.REPORT_LABELS)},
        "overdue": {"type": "boolean"},
        **_progress()["properties"],
    }}
    totals = {"type": "object", "description": "Sums of the counts and units by state.",
              "additionalProperties": {"type": "integer"}}
    return {
        "Campaign": campaign,
        "CampaignList": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": REF + "Campaign"}}, "total": {"type": "integer"}}},
        "PlanTask": task,
        "UnitPlan": plan,
        "CampaignProgress": _progress(),
        "CampaignReportState": report,
        "UnitCampaign": {"type": "object", "properties": {
            "campaign": {"$ref": REF + "Campaign"},
            "plan": {"oneOf": [{"$ref": REF + "UnitPlan"}, {"type": "null"}],
                     "description": "null until the unit has its plan."},
            "progress": {"$ref": REF + "CampaignProgress"},
            "report": {"$ref": REF + "CampaignReportState"},
        }},
        "CampaignBoardUnit": board_unit,
        "CampaignBoard": {"type": "object", "properties": {
            "campaign": {"$ref": REF + "Campaign"},
            "units": {"type": "array", "items": {"$ref": REF + "CampaignBoardUnit"}},
            "totals": totals, "today": DATE,
        }},
    }
