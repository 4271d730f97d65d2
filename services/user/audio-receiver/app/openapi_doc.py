"""The receiver's OpenAPI document (GET /openapi.json), as every service serves one.

Not derived from routes, as core.web's is: the receiver is a websockets server whose gate answers three paths
(gate.py). The document names them, their answers and the dictation handshake's refusals; the messages on the
open socket are in core/transcription/protocol.md, which the document points to.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from core.web.openapi import ErrorResponse, package_version, schema_ref


class ReceiverHealth(BaseModel):
    """The receiver's own health (receiver.py): 200 with status ok, else 503 with status degraded."""

    status: Literal["ok", "degraded"]
    service: str
    engine: str
    transcribers: list[str] = Field(description="the plugins that decode each final (several when voting is on)")
    model: str
    workers: int
    jobs: int
    sessions: int
    max_sessions: int
    database: Literal["ok", "unavailable"]


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    health, error = schema_ref(ReceiverHealth, schemas), schema_ref(ErrorResponse, schemas)

    def _error(description: str) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": error}}}

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Intelluxe audio-receiver",
            "version": package_version(),
            "description": "Doctors' dictation over a TLS websocket: encrypted audio in, text out, transcribed on "
            "this server. The messages on the socket: core/transcription/protocol.md.",
        },
        "paths": {
            "/health": {
                "get": {
                    "operationId": "health.get",
                    "summary": "200 when the model is loaded and PostgreSQL answers, else 503. No auth.",
                    "responses": {
                        "200": {"description": "healthy", "content": {"application/json": {"schema": health}}},
                        "503": {"description": "degraded", "content": {"application/json": {"schema": health}}},
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics.get",
                    "summary": "Prometheus metrics (sessions, refusals, final latency). No auth.",
                    "responses": {"200": {"description": "text/plain; version=0.0.4"}},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi.get",
                    "summary": "This document.",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
            "/dictation": {
                "get": {
                    "operationId": "dictation.get",
                    "summary": "Open a dictation websocket (Upgrade: websocket) with a doctor's dictation token.",
                    "security": [{"bearerAuth": []}],
                    "x-roles": ["clinician"],
                    "responses": {
                        "101": {"description": "switching protocols: the session starts (protocol.md)"},
                        "401": _error("missing, invalid, expired or revoked token"),
                        "403": _error("the token is not an enrolled doctor's dictation token"),
                        "503": _error("at the session limit (Retry-After: 5), or the database is down"),
                    },
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
