"""The OpenAPI 3.1 description of /api/v1; a test keeps it and the URL map in step."""

from blueprints.api import openapi_campaigns, openapi_reports, openapi_returnees

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


def _errors(*codes: int) -> dict:
    return {str(c): _json("#/components/schemas/Error", "Error") for c in codes}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hải Phòng reintegration portal API",
            "version": "1",
            "description": "Bearer tokens from `flask --app wsgi users token USERNAME`. "
            "Another unit's objects answer 404.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/me": {
                "get": {
                    "operationId": "me",
                    "summary": "The caller, their units, roles and permissions",
                    "responses": {"200": _json("#/components/schemas/Me", "The caller"), **_errors(401)},
                }
            },
            "/tenants": {
                "get": {
                    "operationId": "listTenants",
                    "summary": "The 114 units of Hải Phòng",
                    "responses": {"200": _json("#/components/schemas/TenantList", "Units"), **_errors(401)},
                }
            },
            "/jobs/{job_id}": {
                "get": {
                    "operationId": "getJob",
                    "summary": "A background job's state and progress",
                    "parameters": [{"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": _json("#/components/schemas/Job", "The job"), **_errors(401, 404)},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI document"}},
                }
            },
            **openapi_returnees.paths(),
            **openapi_reports.paths(),
            **openapi_campaigns.paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "Tenant": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "pattern": "^[0-9]{5}$"},
                        "slug": {"type": "string"},
                        "name": {"type": "string"},
                        "kind": {"type": "string", "enum": ["xa", "phuong", "dac_khu"]},
                        "active": {"type": "boolean"},
                    },
                },
                "TenantList": {
                    "type": "object",
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Tenant"}},
                        "total": {"type": "integer"},
                    },
                },
                "Me": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "username": {"type": "string"},
                        "full_name": {"type": "string"},
                        "locale": {"type": ["string", "null"]},
                        "city_role": {"type": ["string", "null"]},
                        "memberships": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "tenant": {"type": "string"},
                                    "tenant_code": {"type": "string"},
                                    "role": {"type": "string"},
                                    "permissions": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
                "Job": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "kind": {"type": "string"},
                        "state": {
                            "type": "string",
                            "enum": ["pending", "queued", "started", "finished", "failed", "expired"],
                        },
                        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                        "message": {"type": ["string", "null"]},
                        "result": {"type": ["object", "null"]},
                        "created_at": {"type": ["string", "null"]},
                        "tenant": {"type": "string", "description": "The unit; absent for a city task."},
                    },
                },
                **openapi_returnees.schemas(),
                **openapi_reports.schemas(),
                **openapi_campaigns.schemas(),
            },
        },
    }
