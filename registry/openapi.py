"""The OpenAPI 3.1 description of the registry API, served at /openapi.json."""

from __future__ import annotations

from typing import Any

STATUSES = ["submitted", "in_work", "returned", "ready", "issued", "refused", "archived"]
ACTIONS = ["accept", "return", "extend", "ready", "issue", "refuse"]
COMPLAINT_STATUSES = ["registered", "under_review", "answered", "forwarded"]
COMPLAINT_ACTIONS = ["take", "answer", "forward"]

_text = {"type": "object", "properties": {"kk": {"type": "string"}, "ru": {"type": "string"}},
         "required": ["kk", "ru"]}
_error = {
    "description": "An error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_number = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "Case number, e.g. 26-000042"}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Kenes registry API",
        "version": "1.0.0",
        "description": (
            "Cases, complaints and booked visits handed in through the Kenes bot, for clerks' "
            "back-office systems. Moves go through the same lifecycles as the clerks' commands in "
            "Telegram, and the applicant is notified in their language."
        ),
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Text": _text,
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                "required": ["error", "message"],
            },
            "CaseSummary": {
                "type": "object",
                "properties": {
                    "number": {"type": "string"},
                    "status": {"enum": STATUSES},
                    "service": {"type": "object", "properties": {"id": {"type": "string"},
                                                                  "name": {"$ref": "#/components/schemas/Text"}}},
                    "standard": {"type": "string"},
                    "office": {"type": "object", "properties": {"id": {"type": "string"},
                                                                 "name": {"$ref": "#/components/schemas/Text"}}},
                    "submitted_at": {"type": "string", "format": "date-time"},
                    "due_date": {"type": "string", "format": "date"},
                    "overdue": {"type": "boolean"},
                },
                "required": ["number", "status", "service", "office", "submitted_at", "due_date", "overdue"],
            },
            "Event": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "actor": {"type": "string"},
                    "action": {"type": "string"},
                    "from": {"type": ["string", "null"]},
                    "to": {"type": "string"},
                    "comment": {"type": ["string", "null"]},
                    "ground": {"type": ["integer", "null"]},
                    "ground_text": {"oneOf": [{"$ref": "#/components/schemas/Text"}, {"type": "null"}]},
                    "due_date": {"type": ["string", "null"], "format": "date"},
                },
            },
            "Attachment": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "document_id": {"type": "string"},
                    "kind": {"enum": ["photo", "document"]},
                    "mime_type": {"type": ["string", "null"]},
                    "file_name": {"type": ["string", "null"]},
                    "file_size": {"type": ["integer", "null"]},
                    "stored": {"type": "boolean"},
                    "content_url": {"type": "string"},
                },
            },
            "Case": {
                "allOf": [
                    {"$ref": "#/components/schemas/CaseSummary"},
                    {
                        "type": "object",
                        "properties": {
                            "applicant": {"type": "object"},
                            "details": {"type": "object"},
                            "ready_at": {"type": ["string", "null"], "format": "date-time"},
                            "closed_at": {"type": ["string", "null"], "format": "date-time"},
                            "allowed_actions": {"type": "array", "items": {"enum": ACTIONS}},
                            "refusal_grounds": {"type": "array", "items": {"$ref": "#/components/schemas/Text"}},
                            "history": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
                            "attachments": {"type": "array",
                                            "items": {"$ref": "#/components/schemas/Attachment"}},
                        },
                    },
                ]
            },
            "ComplaintSummary": {
                "type": "object",
                "properties": {
                    "number": {"type": "string", "description": "e.g. C-26-000042"},
                    "status": {"enum": COMPLAINT_STATUSES},
                    "topic": {"enum": ["official", "quality", "deadline", "courtesy", "other"]},
                    "standard": {"type": "string"},
                    "office": {"type": "object", "properties": {"id": {"type": "string"},
                                                                 "name": {"$ref": "#/components/schemas/Text"}}},
                    "addressee": {"$ref": "#/components/schemas/Text"},
                    "case": {"type": ["string", "null"], "description": "The case complained about, if any"},
                    "registered_at": {"type": "string", "format": "date-time"},
                    "due_date": {"type": "string", "format": "date", "description": "The last day of the review"},
                    "overdue": {"type": "boolean"},
                },
                "required": ["number", "status", "topic", "office", "registered_at", "due_date", "overdue"],
            },
            "Complaint": {
                "allOf": [
                    {"$ref": "#/components/schemas/ComplaintSummary"},
                    {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "complainant": {"type": "object"},
                            "outcome": {"enum": ["upheld", "partly", "rejected", None]},
                            "answer": {"type": ["string", "null"]},
                            "forwarded_to": {"type": ["string", "null"]},
                            "closed_at": {"type": ["string", "null"], "format": "date-time"},
                            "allowed_actions": {"type": "array", "items": {"enum": COMPLAINT_ACTIONS}},
                            "history": {"type": "array", "items": {"type": "object"}},
                            "attachments": {"type": "array",
                                            "items": {"$ref": "#/components/schemas/Attachment"}},
                        },
                    },
                ]
            },
            "ComplaintAction": {
                "type": "object",
                "properties": {
                    "action": {"enum": COMPLAINT_ACTIONS},
                    "actor": {"type": "string", "description": "Who acts, recorded as api:<actor>"},
                    "outcome": {"enum": ["upheld", "partly", "rejected"], "description": "Required for answer"},
                    "comment": {"type": "string",
                                "description": "Required for answer (its text) and forward (where it goes)"},
                },
                "required": ["action"],
                "additionalProperties": False,
            },
            "Booking": {
                "type": "object",
                "properties": {
                    "number": {"type": "string"},
                    "service": {"type": "string"},
                    "standard": {"type": "string"},
                    "office": {"type": "string"},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "status": {"enum": ["active", "cancelled", "served", "no_show"]},
                    "arrived_at": {"type": ["string", "null"], "format": "date-time"},
                    "served_at": {"type": ["string", "null"], "format": "date-time"},
                    "waited_minutes": {"type": ["number", "null"]},
                    "waited_within_limit": {"type": ["boolean", "null"]},
                },
            },
            "Action": {
                "type": "object",
                "properties": {
                    "action": {"enum": ACTIONS},
                    "actor": {"type": "string", "description": "Who acts, recorded as api:<actor>"},
                    "comment": {"type": "string",
                                "description": "Required for return (the reasons) and extend (the reason)"},
                    "ground": {"type": "integer",
                               "description": "For refuse: index into the case's refusal_grounds"},
                    "extension_months": {"type": "integer",
                                         "description": "For extend: one of the standard's extensions (1 or 3)"},
                },
                "required": ["action"],
                "additionalProperties": False,
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/cases": {
            "get": {
                "summary": "List cases, earliest due first",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string"},
                     "description": "Comma-separated statuses: " + ", ".join(STATUSES)},
                    {"name": "service", "in": "query", "schema": {"type": "string"}},
                    {"name": "office", "in": "query", "schema": {"type": "string"}},
                    {"name": "overdue", "in": "query", "schema": {"type": "boolean"},
                     "description": "true: open cases past their due day"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                ],
                "responses": {
                    "200": {"description": "Cases", "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {"cases": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/CaseSummary"}}},
                    }}}},
                    "401": _error,
                    "422": _error,
                },
            }
        },
        "/api/v1/cases/{number}": {
            "get": {
                "summary": "One case with its history and attachments",
                "parameters": [_number],
                "responses": {
                    "200": {"description": "The case",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}},
                    "401": _error,
                    "404": _error,
                },
            }
        },
        "/api/v1/cases/{number}/actions": {
            "post": {
                "summary": "Move a case through its lifecycle; the applicant is notified",
                "parameters": [_number],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Action"}}}},
                "responses": {
                    "200": {"description": "The case after the move",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}},
                    "401": _error,
                    "404": _error,
                    "409": {**_error, "description": "The lifecycle does not allow this move now"},
                    "422": _error,
                },
            }
        },
        "/api/v1/bookings": {
            "get": {
                "summary": "An office's booked visits of a day, and the share served within the wait limit",
                "parameters": [
                    {"name": "office", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                ],
                "responses": {
                    "200": {"description": "The day's bookings", "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {
                            "office": {"type": "string"},
                            "date": {"type": "string", "format": "date"},
                            "wait_limit_minutes": {"type": "integer"},
                            "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}},
                            "served": {"type": "integer"},
                            "waited_within_limit": {"type": "integer"},
                            "share_within_limit": {"type": ["number", "null"]},
                        },
                    }}}},
                    "401": _error,
                    "422": _error,
                },
            }
        },
        "/api/v1/bookings/{number}/visit": {
            "post": {
                "summary": "Mark a visitor arrived, served (the service started) or a no-show",
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
                                "description": "Talon number, e.g. T-000042"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"event": {"enum": ["arrived", "served", "no_show"]}},
                    "required": ["event"]}}}},
                "responses": {
                    "200": {"description": "The booking",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}}},
                    "401": _error,
                    "404": _error,
                    "409": _error,
                    "422": _error,
                },
            }
        },
        "/api/v1/complaints": {
            "get": {
                "summary": "List complaints, earliest review day first",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string"},
                     "description": "Comma-separated statuses: " + ", ".join(COMPLAINT_STATUSES)},
                    {"name": "office", "in": "query", "schema": {"type": "string"}},
                    {"name": "overdue", "in": "query", "schema": {"type": "boolean"},
                     "description": "true: open complaints past their review day"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {"description": "Complaints", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"complaints": {
                            "type": "array", "items": {"$ref": "#/components/schemas/ComplaintSummary"}}}}}}},
                    "401": _error,
                    "422": _error,
                },
            }
        },
        "/api/v1/complaints/{number}": {
            "get": {
                "summary": "One complaint with its history and files",
                "parameters": [{**_number, "description": "Complaint number, e.g. C-26-000042"}],
                "responses": {
                    "200": {"description": "The complaint",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Complaint"}}}},
                    "401": _error,
                    "404": _error,
                },
            }
        },
        "/api/v1/complaints/{number}/actions": {
            "post": {
                "summary": "Take a complaint under review, answer it, or forward it (the complainant is notified)",
                "parameters": [{**_number, "description": "Complaint number, e.g. C-26-000042"}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ComplaintAction"}}}},
                "responses": {
                    "200": {"description": "The complaint after the move",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Complaint"}}}},
                    "401": _error,
                    "404": _error,
                    "409": _error,
                    "422": _error,
                },
            }
        },
        "/api/v1/attachments/{id}/content": {
            "get": {
                "summary": "The stored file of an attachment",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {
                    "200": {"description": "The file"},
                    "401": _error,
                    "404": _error,
                    "409": {**_error, "description": "Not downloaded from Telegram yet"},
                },
            }
        },
    },
}
