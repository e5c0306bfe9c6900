"""The reports part of the OpenAPI document: a unit's reports, the build job, the city's roll-up."""

from blueprints.api.openapi_returnees import PAGING, TENANT, _errors, _json, _list, _query
from blueprints.api.reports import REGULAR_PERIOD
from blueprints.reports.figures import KEYS, RATES
from blueprints.reports.models import LIVE, REPORTED, SECTIONS, STATUSES
from blueprints.reports.rollup import COMPLETENESS

REF = "#/components/schemas/"
PERIOD = {"type": "string", "pattern": REGULAR_PERIOD.pattern, "examples": ["2026-09", "2026-Q3", "2026-H1", "2026"]}
DATE = {"type": ["string", "null"], "format": "date"}
# The API writes its moments in UTC without an offset (not RFC 3339's date-time, which needs one).
STAMP = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$",
         "description": "UTC, ISO 8601 without an offset: 2026-07-03T02:00:00."}
REPORT_ID = {"name": "report_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PERIOD_PARAM = {
    "name": "period", "in": "path", "required": True, "schema": PERIOD,
    "description": "A month, quarter, half-year or year, from 2000 to 2999. Anything else (ad hoc spans included) "
                   "is 422 with `fields.period`: the path names a period that cannot exist, not a missing record.",
}
SOURCE_PARAM = {
    "name": "source", "in": "query", "required": False,
    "schema": {"type": "string", "enum": [REPORTED, LIVE], "default": REPORTED},
    "description": "`report`: the figures frozen in submitted and approved reports; `live`: the figures the "
                   "units last published as they are now.",
}
COUNTS = {"type": "object", "description": "Counts (VND for loans_vnd), by figure key.",
          "propertyNames": {"enum": KEYS}, "additionalProperties": {"type": "integer"}}
RATES_SCHEMA = {"type": "object", "description": "Percentages with one decimal; null where nothing was due.",
                "propertyNames": {"enum": [r.key for r in RATES]}, "additionalProperties": {"type": ["number", "null"]}}


def paths() -> dict:
    unit = [TENANT]
    return {
        "/t/{tenant_slug}/reports": {
            "get": {
                "operationId": "listReports", "summary": "The unit's reports, newest period first",
                "parameters": [*unit, *_query(PAGING)],
                "responses": {"200": _json("ReportList", "One page"), **_errors(401, 403, 404, 422)},
            },
            "post": {
                "operationId": "buildReport",
                "summary": "Build the files (XLSX, PDF) of the unit's report for a period",
                "description": "Opens the report as a draft when the unit has none for the period (that needs the "
                               "commune police's REPORT_PREPARE, else 403); any unit role may ask for the files "
                               "of an existing report. Answers 202 with the job to follow (Location). Asking "
                               "again finds the files already built for the same figures.",
                "parameters": unit,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "$ref": REF + "ReportBuildRequest"}}}},
                "responses": {"202": _json("ReportBuild", "Build requested"), **_errors(400, 401, 403, 404, 422)},
            },
        },
        "/t/{tenant_slug}/reports/{report_id}": {
            "get": {
                "operationId": "getReport", "summary": "One report with its figures, rates and sections",
                "description": "`frozen` is true when the figures are the snapshot taken at submission; a draft "
                               "or returned report shows the figures as they are now.",
                "parameters": [*unit, REPORT_ID],
                "responses": {"200": _json("ReportDetail", "The report"), **_errors(401, 403, 404)},
            },
        },
        "/city/rollups/{period}": {
            "get": {
                "operationId": "getRollup", "summary": "The city's roll-up of a period: counts per unit and totals",
                "description": "City police only (unit roles: 403). Counts only, never a person. Totals count "
                               "the units whose figures are shown: with source=report, the submitted and "
                               "approved reports.",
                "parameters": [PERIOD_PARAM, SOURCE_PARAM],
                "responses": {"200": _json("Rollup", "The roll-up"), **_errors(401, 403, 422)},
            },
        },
    }


def _report() -> dict:
    return {"type": "object", "properties": {
        "id": {"type": "integer"}, "period": {"type": "string"},
        "kind": {"type": "string", "enum": ["month", "quarter", "half", "year", "adhoc"]},
        "label": {"type": "string", "description": "The period as the police name it (Quý III/2026)."},
        "title": {"type": ["string", "null"]}, "starts_on": DATE, "ends_on": DATE,
        "status": {"type": "string", "enum": list(STATUSES)}, "due_on": DATE, "submitted_at": STAMP,
        "late": {"type": ["boolean", "null"], "description": "Submitted after the due date."},
        "decided_at": STAMP, "return_reason": {"type": ["string", "null"]}, "version": {"type": "integer"},
    }}


def schemas() -> dict:
    detail = _report()
    detail = {"type": "object", "properties": {
        **detail["properties"],
        "frozen": {"type": "boolean"}, "snapshot_sha": {"type": ["string", "null"]},
        "figures": COUNTS, "rates": RATES_SCHEMA,
        "sections": {"type": "object", "propertyNames": {"enum": list(SECTIONS)},
                     "additionalProperties": {"type": "string"}},
    }}
    unit_row = {"type": "object", "properties": {
        "tenant": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"},
        "state": {"type": "string", "enum": list(COMPLETENESS)}, "late": {"type": ["boolean", "null"]},
        "overdue": {"type": "boolean", "description": "Nothing submitted (or returned) and past the due date."},
        "due_on": DATE, "submitted_at": STAMP,
        "figures": {**COUNTS, "type": ["object", "null"]}, "rates": {**RATES_SCHEMA, "type": ["object", "null"]},
    }}
    return {
        "Report": _report(),
        "ReportList": _list("Report"),
        "ReportDetail": detail,
        "ReportBuildRequest": {"type": "object", "required": ["period"], "additionalProperties": False,
                               "properties": {"period": PERIOD}},
        "ReportBuild": {"type": "object", "properties": {
            "job": {"allOf": [{"$ref": REF + "Job"}], "properties": {"url": {"type": "string"}}},
            "report": {"$ref": REF + "Report"},
        }},
        "RollupUnit": unit_row,
        "Rollup": {"type": "object", "properties": {
            "period": {"type": "string"}, "source": {"type": "string", "enum": [REPORTED, LIVE]},
            "units": {"type": "array", "items": {"$ref": REF + "RollupUnit"}},
            "totals": COUNTS, "rates": RATES_SCHEMA,
            "completeness": {"type": "object", "propertyNames": {"enum": list(COMPLETENESS)},
                             "additionalProperties": {"type": "integer"}},
            "late": {"type": "integer", "description": "Units whose report was submitted late."},
        }},
    }
