"""The opening handshake: what a request gets before any websocket exists.

Why here and not after the upgrade: a client without a valid dictation token must not get a websocket at all — it
is refused with HTTP 401 (403 for a valid token that is not a doctor's) and the refusal is audited, so nothing of
the protocol, and no worker, is ever spent on it. The same port answers GET /health (JSON), GET /metrics
(Prometheus) and GET /openapi.json over TLS, for the container health command, monitoring and client authors.

Database work (token lookup, the doctor's keys, audit rows) is blocking psycopg2, so it runs in threads; the event
loop keeps serving other sessions meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import InvalidToken, MultiFernet
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from core import auth, enrollment
from core.db import Database, DatabaseUnavailable
from core.transcription import prompt_from_vocabulary

from .dictation_metrics import REFUSED
from .openapi_doc import document
from .session_records import Recorder

log = logging.getLogger("audio-receiver.gate")
DICTATION_PATH = "/dictation"
OPENAPI = document()


@dataclass(frozen=True)
class Doctor:
    """Who an accepted connection belongs to, and what its session needs."""

    doctor_id: str
    token_name: str
    keys: MultiFernet
    initial_prompt: str | None


class Gate:
    """`process_request` for websockets' serve(): routes /health and /metrics, authenticates /dictation."""

    def __init__(
        self,
        db: Database,
        tokens: auth.VerifiedTokens,
        master: MultiFernet,
        recorder: Recorder,
        *,
        max_sessions: int,
        active_sessions: Callable[[], int],
        health: Callable[[], dict[str, Any]],
    ) -> None:
        self.db = db
        self.tokens = tokens
        self.master = master
        self.recorder = recorder
        self.max_sessions = max_sessions
        self.active_sessions = active_sessions
        self.health = health

    async def __call__(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path == "/health":
            return await self._health(connection)
        if path == "/metrics":
            response = connection.respond(HTTPStatus.OK, generate_latest().decode())
            _content_type(response, CONTENT_TYPE_LATEST)
            return response
        if path == "/openapi.json":
            response = connection.respond(HTTPStatus.OK, json.dumps(OPENAPI) + "\n")
            _content_type(response, "application/json")
            return response
        if path != DICTATION_PATH:
            return _json(connection, HTTPStatus.NOT_FOUND, "not_found", f"dictation is at {DICTATION_PATH}")
        client_ip = peer_ip(connection)
        refusal = await self._authenticate(connection, request, client_ip)
        if refusal is not None:
            return refusal
        if self.active_sessions() >= self.max_sessions:
            await asyncio.to_thread(
                self.recorder.refused,
                reason="busy",
                http_status=503,
                client_ip=client_ip,
                user_id=connection.doctor.doctor_id,
                role="clinician",
            )
            message = f"the receiver is at its limit of {self.max_sessions} sessions; try again shortly"
            response = _json(connection, HTTPStatus.SERVICE_UNAVAILABLE, "busy", message)
            response.headers["Retry-After"] = "5"
            REFUSED.labels(status="503").inc()
            return response
        return None

    async def _authenticate(
        self, connection: ServerConnection, request: Request, client_ip: str | None
    ) -> Response | None:
        """None when the request carries a live dictation token of an enrolled doctor (set on the connection)."""
        token = auth.bearer_token(request.headers.get("Authorization"))
        try:
            principal = await asyncio.to_thread(self.tokens.verify, self.db, token)
        except auth.AuthError as exc:
            return await self._refuse(connection, HTTPStatus.UNAUTHORIZED, _reason(str(exc)), client_ip)
        except DatabaseUnavailable:
            return _json(connection, HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "the database is unreachable")
        doctor_id = enrollment.doctor_for_token(principal.name)
        if doctor_id is None or principal.role is not auth.Role.CLINICIAN:
            return await self._refuse(
                connection,
                HTTPStatus.FORBIDDEN,
                "not_a_dictation_token",
                client_ip,
                user_id=principal.name,
                role=principal.role.value,
            )
        try:
            keys = await asyncio.to_thread(enrollment.doctor_keys, self.db, self.master, doctor_id)
        except DatabaseUnavailable:
            return _json(connection, HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "the database is unreachable")
        except InvalidToken:
            # The doctor's keys were sealed under a master key this process does not hold: an ops error, not the
            # doctor's. Logged without the id's keys, of course; the doctor id is staff data, not PHI.
            log.error("the master key does not open the stored keys of a doctor; was INTELLUXE_MASTER_KEY changed?")
            return _json(connection, HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "the server cannot read its keys")
        if keys is None:
            return await self._refuse(
                connection,
                HTTPStatus.UNAUTHORIZED,
                "doctor_not_enrolled",
                client_ip,
                user_id=principal.name,
                role=principal.role.value,
            )
        connection.doctor = Doctor(doctor_id, principal.name, keys.fernet, prompt_from_vocabulary(keys.vocabulary))
        return None

    async def _refuse(
        self,
        connection: ServerConnection,
        status: HTTPStatus,
        reason: str,
        client_ip: str | None,
        *,
        user_id: str | None = None,
        role: str | None = None,
    ) -> Response:
        try:
            await asyncio.to_thread(
                self.recorder.refused,
                reason=reason,
                http_status=int(status),
                client_ip=client_ip,
                user_id=user_id,
                role=role,
            )
        except DatabaseUnavailable:
            log.error("could not audit a refused dictation connection (database unreachable)")
        REFUSED.labels(status=str(int(status))).inc()
        code = "unauthorized" if status == HTTPStatus.UNAUTHORIZED else "forbidden"
        message = {
            "not_a_dictation_token": "this token is not a doctor's dictation token",
            "doctor_not_enrolled": "the doctor is not enrolled (or was revoked); ask the clinic to enroll you again",
        }.get(reason, "a valid dictation token is required (Authorization: Bearer ...)")
        response = _json(connection, status, code, message)
        if status == HTTPStatus.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Bearer realm="intelluxe-dictation"'
        return response

    async def _health(self, connection: ServerConnection) -> Response:
        body = await asyncio.to_thread(self.health)
        status = HTTPStatus.OK if body.get("status") == "ok" else HTTPStatus.SERVICE_UNAVAILABLE
        response = connection.respond(status, json.dumps(body) + "\n")
        _content_type(response, "application/json")
        return response


def _reason(message: str) -> str:
    """AuthError's message as a short audit code (the message never holds the token)."""
    return {
        "missing bearer token": "missing_token",
        "token revoked": "token_revoked",
        "token expired": "token_expired",
    }.get(message, "invalid_token")


def peer_ip(connection: ServerConnection) -> str | None:
    """The client's address for audit rows (the socket's peer; the receiver is not behind a proxy)."""
    address = connection.remote_address
    return str(address[0]) if address else None


def _content_type(response: Response, value: str) -> None:
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = value


def _json(connection: ServerConnection, status: HTTPStatus, code: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "fields": {}}}  # the suite's one error shape
    response = connection.respond(status, json.dumps(body) + "\n")
    _content_type(response, "application/json")
    return response
