"""The OpenAPI 3.1 description of the ingestion API, kept in one place.

Written by hand rather than generated: the API is four routes, and a hand-written schema is the
contract integrators read, so it says what the errors mean. ``tests/test_ingest_api.py`` checks
that every route the app serves is described here, so the two can't drift apart silently.
"""

from __future__ import annotations

import copy
from typing import Any

from assist.ingest.hub import CONVERSATION_ID_PATTERN

_ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _json(description: str, ref: str) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{ref}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_CONVERSATION_ID_PARAM = {
    "name": "conversation_id",
    "in": "path",
    "required": True,
    "description": "Your id for the conversation (the helpdesk's ticket or chat id).",
    "schema": {"type": "string", "pattern": f"^{CONVERSATION_ID_PATTERN}$"},
    "example": "chat-1",
}

_UNAUTHORIZED = {
    "description": "Missing or wrong bearer token.",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "example": "Bearer"}},
    "content": {"application/json": {"schema": _ERROR}},
}

_SCHEMA: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Assist local ingestion API",
        "version": "1",
        "description": (
            "Feed live chats to the Assist desktop app and read its suggestions back. The app "
            "listens on 127.0.0.1 only. Every /v1/conversations endpoint needs "
            "`Authorization: Bearer <token>`; the token is shown in the Assist app and "
            'kept in the OS keyring. Errors are JSON `{"error": ...}`.'
        ),
    },
    "servers": [
        {
            "url": "http://127.0.0.1:{port}",
            "variables": {"port": {"default": "8765", "description": "the ingest.port setting"}},
        }
    ],
    "security": [{"bearer": []}],
    "paths": {
        "/v1/conversations/{conversation_id}/messages": {
            "post": {
                "operationId": "postMessage",
                "summary": "Add one message to a conversation",
                "description": (
                    "The app analyses customer messages and refreshes its suggestions; poll "
                    "the suggestions endpoint to read them. Unknown extra fields are ignored."
                ),
                "parameters": [_CONVERSATION_ID_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Message"}}
                    },
                },
                "responses": {
                    "202": _json("Accepted: handed to the app.", "Accepted"),
                    "400": _error("Body is not UTF-8 JSON, is empty, or a bad Content-Length."),
                    "401": _UNAUTHORIZED,
                    "413": _error("Body over the size limit."),
                    "415": _error("Content-Type is not application/json."),
                    "422": _error("Valid JSON but not a valid message, or a bad id in the path."),
                    "503": _error("The app is not ready to take messages yet; retry shortly."),
                },
            }
        },
        "/v1/conversations/{conversation_id}/suggestions": {
            "get": {
                "operationId": "getSuggestions",
                "summary": "The latest suggestions and analysis for a conversation",
                "parameters": [_CONVERSATION_ID_PARAM],
                "responses": {
                    "200": {
                        "description": (
                            "`status` is `ready` with the latest snapshot, or `pending` while "
                            "the conversation is known but nothing was computed for it yet."
                        ),
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Suggestions"},
                                        {"$ref": "#/components/schemas/Pending"},
                                    ]
                                }
                            }
                        },
                    },
                    "401": _UNAUTHORIZED,
                    "404": _error("No message was ever accepted for this conversation."),
                    "422": _error("Bad conversation id in the path."),
                },
            }
        },
        "/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI 3.1 schema."}},
            }
        },
        "/health": {
            "get": {
                "operationId": "getHealth",
                "summary": "Liveness check (no token needed)",
                "security": [],
                "responses": {"200": _json("The app is listening.", "Health")},
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "Generated on first run, stored in the OS keyring.",
            }
        },
        "schemas": {
            "Message": {
                "type": "object",
                "required": ["role", "text"],
                "properties": {
                    "role": {"type": "string", "enum": ["customer", "agent"]},
                    "text": {"type": "string", "minLength": 1, "description": "Not blank."},
                    "ts": {
                        "type": ["string", "null"],
                        "description": "ISO-8601 time the message was sent.",
                        "example": "2025-01-31T14:05:00Z",
                    },
                    "conversation_id": {
                        "type": "string",
                        "description": "Optional; if given it must equal the id in the path.",
                    },
                    "customer": {
                        "type": ["string", "null"],
                        "maxLength": 200,
                        "description": "Customer display name, shown in the app.",
                    },
                },
                "example": {"role": "customer", "text": "where is my order 12345?"},
            },
            "Accepted": {
                "type": "object",
                "required": ["accepted", "conversation_id"],
                "properties": {
                    "accepted": {"const": True},
                    "conversation_id": {"type": "string"},
                },
            },
            "Suggestions": {
                "type": "object",
                "description": (
                    "The latest snapshot the app published; `conversation_id` and `status` are "
                    "always present, the rest is what the app computed."
                ),
                "required": ["conversation_id", "status"],
                "properties": {
                    "conversation_id": {"type": "string"},
                    "status": {"const": "ready"},
                    "message_index": {
                        "type": ["integer", "null"],
                        "description": "Which message of the conversation this answers.",
                    },
                    "analysis": {
                        "anyOf": [{"$ref": "#/components/schemas/Analysis"}, {"type": "null"}],
                        "description": "Of the last customer message.",
                    },
                    "trend": {
                        "type": ["number", "null"],
                        "description": "Smoothed customer sentiment, -1 to 1.",
                    },
                    "escalation": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Why a supervisor should look (empty: no reason).",
                    },
                    "suggestions": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Suggestion"},
                    },
                },
                "additionalProperties": True,
            },
            "Suggestion": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "source": {"type": "string", "enum": ["macro", "generated", "remote"]},
                    "macro_id": {"type": ["string", "null"]},
                    "citations": {"type": "array", "items": {"type": "object"}},
                },
            },
            "Analysis": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "intent": {"type": "object"},
                    "sentiment": {"type": "object"},
                    "entities": {"type": "array", "items": {"type": "object"}},
                },
            },
            "Pending": {
                "type": "object",
                "required": ["conversation_id", "status"],
                "properties": {
                    "conversation_id": {"type": "string"},
                    "status": {"const": "pending"},
                },
            },
            "Health": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"const": "ok"}},
            },
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string", "description": "What went wrong."}},
            },
        },
    },
}


def openapi_schema(max_body: int) -> dict[str, Any]:
    """A fresh copy of the schema, stating the body limit this app actually enforces."""
    schema = copy.deepcopy(_SCHEMA)
    post = schema["paths"]["/v1/conversations/{conversation_id}/messages"]["post"]
    post["responses"]["413"]["description"] = f"Body over the {max_body}-byte limit."
    return schema
