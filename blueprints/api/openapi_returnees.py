"""The returnee part of the OpenAPI document: paths under /t/{tenant_slug}/returnees and their schemas."""

from blueprints.api.returnee_service import CREATE, NOT_EMPTIED_ON_PATCH, PATCH, WRITABLE
from blueprints.api.validation import MAX_INT, MAX_PER_PAGE, NATIONAL_ID, PHONE, Spec
from blueprints.returnees.care import CONTACT_METHODS
from blueprints.returnees.comment_service import MAX_BODY
from blueprints.returnees.lifecycle import CLOSURE_GROUNDS, OVERDUE_STATES, REQUIRED_FACTS, STATUSES
from blueprints.returnees.models import GROUPS, NEED_DOMAINS, NEED_STATES, RELEASE_KINDS

REF = "#/components/schemas/"
TENANT = {
    "name": "tenant_slug", "in": "path", "required": True, "schema": {"type": "string"},
    "description": "The unit's slug (dac_khu_cat_hai) or its 5-digit code (11914).",
}
RETURNEE_ID = {"name": "returnee_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PAGING = {
    "page": {"type": "integer", "minimum": 1, "default": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
}
LIST_QUERY = {
    "q": {"type": "string", "maxLength": 100, "description": "Words of the name; case and diacritics ignored."},
    "status": {"type": "string", "enum": list(STATUSES)},
    "group": {"type": "string", "enum": list(GROUPS)},
    "release_kind": {"type": "string", "enum": list(RELEASE_KINDS)},
    "hamlet": {"type": "string", "description": "Exact hamlet / residential group."},
    **PAGING,
}
DATE = {"type": ["string", "null"], "format": "date"}
TEXT = {"type": ["string", "null"]}


def _json(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": REF + ref}}}}


def _body(ref: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": REF + ref}}}}


def _errors(*codes: int) -> dict:
    return {str(c): _json("Error", "Error") for c in codes}


def _schema(spec: Spec) -> dict:
    if spec.kind == "date":
        return DATE
    if spec.kind == "choice":
        return {"type": ["string", "null"], "enum": [*spec.choices, None]}
    if spec.kind == "bool":
        return {"type": ["boolean", "null"]}
    if spec.kind == "int":
        return {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_INT}
    if spec.kind == "needs":
        return {"type": ["object", "null"], "propertyNames": {"enum": list(NEED_DOMAINS)},
                "additionalProperties": {"enum": list(NEED_STATES)}}
    if spec.kind == "national_id":
        return {"type": ["string", "null"], "pattern": NATIONAL_ID.pattern}
    return {"type": ["string", "null"], "maxLength": spec.max}


def _field(spec: Spec, given: bool = False) -> dict:
    """An input field as validation._clean reads it. Text is stripped and blank text counts as
    absent, so a field that must be given (`given`, or required) takes neither null nor blanks."""
    schema = dict(_schema(spec))
    if spec.kind == "phone":
        schema["pattern"] = PHONE.pattern
    if given or spec.required:
        schema["type"] = schema["type"][0]
        if "enum" in schema:
            schema["enum"] = [choice for choice in schema["enum"] if choice is not None]
        if spec.kind == "text":
            schema["pattern"] = r"\S"
    return schema


def _input(specs: dict[str, Spec], description: str, *, partial: bool = False, not_null=()) -> dict:
    """A request body; with `partial` (PATCH) nothing is required, but what is sent must be valid and
    a required field (or one of `not_null`) cannot be emptied."""
    return {
        "type": "object", "description": description, "additionalProperties": False,
        "required": [] if partial else [name for name, spec in specs.items() if spec.required],
        "properties": {name: _field(spec, name in not_null) for name, spec in specs.items()},
    }


def _query(params: dict) -> list[dict]:
    return [
        # The views read an empty value as no value (a form's untouched filter): `?status=` lists all.
        {"name": name, "in": "query", "required": False, "allowEmptyValue": True,
         "schema": {k: v for k, v in schema.items() if k != "description"},
         **({"description": schema["description"]} if "description" in schema else {})}
        for name, schema in params.items()
    ]


def paths() -> dict:
    one, many = [TENANT, RETURNEE_ID], [TENANT]
    return {
        "/t/{tenant_slug}/returnees": {
            "get": {
                "operationId": "listReturnees", "summary": "The unit's returnees, by name, one page at a time",
                "parameters": [*many, *_query(LIST_QUERY)],
                "responses": {"200": _json("ReturneeList", "One page"), **_errors(401, 403, 404, 422)},
            },
            "post": {
                "operationId": "createReturnee", "summary": "Open a dossier (first status: expected by default)",
                "parameters": many,
                "requestBody": _body("ReturneeCreate"),
                "responses": {"201": _json("Returnee", "Created"), **_errors(400, 401, 403, 404, 409, 422)},
            },
        },
        "/t/{tenant_slug}/returnees/{returnee_id}": {
            "get": {
                "operationId": "getReturnee", "summary": "One dossier with convictions and status history",
                "parameters": one, "responses": {"200": _json("Returnee", "The dossier"), **_errors(401, 403, 404)},
            },
            "patch": {
                "operationId": "updateReturnee", "summary": "Edit identity and release facts",
                "description": "Send `version` from a read to refuse a lost update (409). A closed dossier is 409.",
                "parameters": one,
                "requestBody": _body("ReturneePatch"),
                "responses": {"200": _json("Returnee", "Updated"), **_errors(400, 401, 403, 404, 409, 422)},
            },
        },
        "/t/{tenant_slug}/returnees/{returnee_id}/transitions": {
            "post": {
                "operationId": "transitionReturnee", "summary": "Move the dossier to another status of its lifecycle",
                "description": "Send `to` and the facts that status needs (422 names the missing ones). 409: a "
                               "change the lifecycle forbids, a closed dossier, a stale `version`, or entering or "
                               "leaving `transferring` (the transfer flow does that).",
                "parameters": one,
                "requestBody": _body("ReturneeTransition"),
                "responses": {"200": _json("Returnee", "Moved"), **_errors(400, 401, 403, 404, 409, 422)},
            },
        },
        "/t/{tenant_slug}/returnees/{returnee_id}/contacts": {
            "get": {
                "operationId": "listContacts", "summary": "The progress notebook, newest first",
                "parameters": [*one, *_query(PAGING)],
                "responses": {"200": _json("ContactList", "One page"), **_errors(401, 403, 404, 422)},
            },
            "post": {
                "operationId": "createContact", "summary": "Record a contact", "parameters": one,
                "requestBody": _body("ContactCreate"),
                "responses": {"201": _json("Contact", "Recorded"), **_errors(400, 401, 403, 404, 409, 422)},
            },
        },
        "/t/{tenant_slug}/returnees/{returnee_id}/comments": {
            "get": {
                "operationId": "listComments", "summary": "The unit's comments on the dossier, oldest first",
                "parameters": one, "responses": {"200": _json("CommentList", "Comments"), **_errors(401, 403, 404)},
            },
            "post": {
                "operationId": "createComment", "summary": "Comment on the dossier (police, leader, Front member)",
                "parameters": one,
                "requestBody": _body("CommentCreate"),
                "responses": {"201": _json("Comment", "Written"), **_errors(400, 401, 403, 404, 409, 422)},
            },
        },
    }


def _list(ref: str) -> dict:
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": REF + ref}}, "total": {"type": "integer"},
        "page": {"type": "integer"}, "per_page": {"type": "integer"},
    }}


def _returnee() -> dict:
    props = {"id": {"type": "integer"}, **{n: _schema(s) for n, s in WRITABLE.items()}}
    props["national_id"] = {"type": ["string", "null"], "description": "Masked (••••••••1234) for Front members."}
    props.update({
        "campaign_id": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": list(STATUSES)},
        "overdue_state": {"type": ["string", "null"], "enum": [*OVERDUE_STATES, None]},
        "group": {"type": ["string", "null"], "enum": [*GROUPS, None]},
        "closure_ground": {"type": ["string", "null"], "enum": [*CLOSURE_GROUNDS, None]},
        "closure_decision_number": TEXT, "commitment_signed": {"type": "boolean"},
        "age": {"type": "integer"}, "is_minor": {"type": "boolean", "description": "Under 18 today."},
        "is_child": {"type": "boolean", "description": "Under 16 today."},
        "version": {"type": "integer"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"},
        "convictions": {"type": "array", "items": {"type": "object"}, "description": "Only in a single read."},
        "status_history": {"type": "array", "items": {"type": "object"}, "description": "Only in a single read."},
        "due_dates": {"type": "array", "items": {"$ref": REF + "DueDate"}, "description": "Only in a single read."},
    })
    for name in ("residence_checked_on", "reported_on", "dossier_opened_on", "managed_since", "closed_on",
                 "closure_decision_date"):
        props[name] = DATE
    return {"type": "object", "properties": props}


def _transition() -> dict:
    """One shape per target status: `to`, `on`, `version` and the facts of that status, all of them
    required (transitions.read_transition refuses the facts of another status as unknown fields)."""
    from blueprints.api.transitions import COMMON, FACT_SPECS

    def shape(to: str) -> dict:
        facts = {name: _field(FACT_SPECS[name], given=True) for name in REQUIRED_FACTS[to]}
        if "commitment_signed" in facts:
            facts["commitment_signed"] = {"const": True}  # a person is received once the commitment is signed
        return {"type": "object", "additionalProperties": False, "required": ["to", *facts], "properties": {
            **{name: _field(spec) for name, spec in COMMON.items()}, "to": {"const": to}, **facts,
        }}

    return {
        "type": "object",
        "description": "`to` names the target status; send its facts, and nothing else. `on` (the legal date) "
                       "defaults to the status's own date fact, else today; `version` from a read refuses a "
                       "lost update (409). Entering `transferring` is the transfer flow's (409 here).",
        "oneOf": [shape(to) for to in STATUSES if to != "transferring"],
    }


# Request bodies the API accepts (given the dossier's state), for readers and for the fuzz tests.
EXAMPLES = {
    "ReturneeCreate": [
        {"full_name": "Nguyễn Văn An", "sex": "male", "date_of_birth": "1990-05-01", "national_id": "031090001234",
         "release_kind": "completed_sentence", "notice_received_on": "2026-05-04", "hamlet": "Thôn 1"},
        {"full_name": "Trần Thị Bình", "sex": "female", "date_of_birth": "1985-11-20", "release_kind": "special_pardon",
         "status": "received", "release_date": "2025-09-01", "reporting_deadline": "2025-09-11",
         "reported_on": "2025-09-05", "work_session_minutes": "Biên bản làm việc số 12", "commitment_signed": True},
    ],
    "ReturneePatch": [{"phone": "0912 345 678", "address": "Số 3, đường Hà Sen"}],
    "ReturneeTransition": [
        {"to": "under_management", "group": "B", "dossier_opened_on": "2025-09-10"},
        {"to": "closed", "closure_ground": "moved_residence", "closure_decision_number": "15/QĐ-UBND",
         "closure_decision_date": "2026-03-02"},
    ],
    "ContactCreate": [{"on": "2026-06-01", "contact_person": "Trưởng thôn", "method": "visit",
                       "content": "Gặp tại nhà; đang làm phụ hồ, gia đình ổn định."}],
}

DUE_DATE = {"type": "object", "description": "An expected (dự kiến) due date of the procedure.", "properties": {
    "key": {"type": "string"}, "due": DATE, "done_on": DATE, "description": {"type": "string"},
    "instrument": {"type": "string"}, "pending": {"type": "boolean"}, "overdue": {"type": "boolean"},
}}


def schemas() -> dict:
    contact = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "on": {"type": "string", "format": "date"},
            "member_id": {"type": ["integer", "null"]}, "contact_person": {"type": "string"},
            "method": {"type": "string", "enum": list(CONTACT_METHODS)}, "content": {"type": "string"},
            "state_of_mind": TEXT, "risk_signals": TEXT, "next_step": TEXT,
            "recorded_by": {"type": ["integer", "null"]}, "created_at": {"type": "string"},
        },
    }
    from blueprints.api.returnee_notes import CONTACT

    contact_create = _input(CONTACT, "A contact of the progress notebook: by a member of a support team "
                                     "(`member_id`, an active member of this unit) or by `contact_person`.")
    contact_create["anyOf"] = [{"required": ["member_id"], "properties": {"member_id": {"type": "integer"}}},
                               {"required": ["contact_person"],
                                "properties": {"contact_person": _field(CONTACT["contact_person"], given=True)}}]
    return {
        "Returnee": _returnee(),
        "ReturneeList": _list("Returnee"),
        "ReturneeCreate": {**_input(CREATE, "status: expected (needs notice_received_on), released_not_reported "
                                            "(needs release_date and reporting_deadline) or received (needs "
                                            "reported_on, work_session_minutes, commitment_signed)."),
                           "examples": EXAMPLES["ReturneeCreate"]},
        "ReturneePatch": {**_input(PATCH, "Only the fields sent change.", partial=True, not_null=NOT_EMPTIED_ON_PATCH),
                          "examples": EXAMPLES["ReturneePatch"]},
        "ReturneeTransition": {**_transition(), "examples": EXAMPLES["ReturneeTransition"]},
        "DueDate": DUE_DATE,
        "Contact": contact,
        "ContactList": _list("Contact"),
        "ContactCreate": {**contact_create, "examples": EXAMPLES["ContactCreate"]},
        "Comment": {"type": "object", "properties": {
            "id": {"type": "integer"}, "body": {"type": "string"}, "author_id": {"type": ["integer", "null"]},
            "author_name": TEXT, "created_at": {"type": "string"},
        }},
        "CommentList": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": REF + "Comment"}}, "total": {"type": "integer"},
        }},
        "CommentCreate": {"type": "object", "required": ["body"], "additionalProperties": False,
                          "properties": {"body": {"type": "string", "pattern": r"\S", "maxLength": MAX_BODY}},
                          "examples": [{"body": "Đã gặp gia đình, đề nghị hỗ trợ học nghề."}]},
    }
