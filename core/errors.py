"""The one table of errors a caller can see: code → HTTP status, whose fault it is, and the default message.

Domain code raises `ApiError(code, ...)` (or a subclass that fixes the code, like `UnknownPayer`); the web layer
renders every one the same way, `{"error": {"code", "message", "fields"}}` with the table's status. The fault says
what the caller can do: fix the request (client), try again later (dependency), or report it (server). A bug is
never one of these: it is an unhandled exception, answered 500 `internal_error` with the request id, and never a
4xx that would blame the caller for it.

Messages and field texts name fields and say what is wrong; they never quote what the caller sent (it may be PHI).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    CLIENT = "client"  # the request is wrong or cannot be served as asked: fix it, do not retry as is
    DEPENDENCY = "dependency"  # something we depend on is down or answered badly: retry later
    SERVER = "server"  # our bug: retrying will not help


@dataclass(frozen=True)
class ErrorKind:
    status: int
    fault: Fault
    message: str


ERRORS: dict[str, ErrorKind] = {
    # the request itself
    "invalid_json": ErrorKind(400, Fault.CLIENT, "request body must be JSON (Content-Type: application/json)"),
    "validation_error": ErrorKind(400, Fault.CLIENT, "request body is invalid"),
    # well formed as documented, but a value cannot be used: a code not in its code set, a wrong check digit, a
    # provider or payer the clinic does not have, a date out of range (what no JSON Schema can say)
    "invalid_value": ErrorKind(422, Fault.CLIENT, "a value is well formed but cannot be used"),
    "invalid_x12": ErrorKind(400, Fault.CLIENT, "the body is not a readable X12 document"),
    "unauthorized": ErrorKind(401, Fault.CLIENT, "missing, invalid, expired or revoked token"),
    "forbidden": ErrorKind(403, Fault.CLIENT, "the token's role may not call this"),
    "not_found": ErrorKind(404, Fault.CLIENT, "no such resource"),
    # the request conflicts with what is stored, or the data cannot be used as asked
    "idempotency_conflict": ErrorKind(409, Fault.CLIENT, "this Idempotency-Key was used with a different request body"),
    "already_resolved": ErrorKind(409, Fault.CLIENT, "the alert is already resolved"),
    "already_posted": ErrorKind(409, Fault.CLIENT, "this payment was already posted"),
    "not_eligible": ErrorKind(422, Fault.CLIENT, "the member is not eligible"),
    "not_exportable": ErrorKind(422, Fault.CLIENT, "the claim lacks what the export needs"),
    "phi_remains": ErrorKind(422, Fault.CLIENT, "the text still holds identifiers after de-identification"),
    # what we depend on
    "payer_error": ErrorKind(502, Fault.DEPENDENCY, "the payer answered with something unreadable"),
    "payer_unavailable": ErrorKind(503, Fault.DEPENDENCY, "the payer cannot be reached"),
    "eligibility_unavailable": ErrorKind(503, Fault.DEPENDENCY, "eligibility could not be checked"),
    "database_unavailable": ErrorKind(503, Fault.DEPENDENCY, "the database is unavailable; try again shortly"),
    "audit_unavailable": ErrorKind(
        503, Fault.DEPENDENCY, "the audit log could not be written; the request's result is withheld"
    ),
    # ours
    "internal_error": ErrorKind(500, Fault.SERVER, "an internal error occurred; the request id is in X-Request-ID"),
}


class ApiError(Exception):
    """An error the caller caused or must know about; `code` is a key of ERRORS, which gives status and fault.

    Raise one with `api_error(code, message, fields)`, or subclass it with a fixed `code` so domain code raises a
    named error (`UnknownPayer(fields=...)`, `ClaimNotExportable("no diagnosis")`)."""

    code: str = "internal_error"

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None, *, code: str | None = None):
        if code is not None:
            self.code = code
        kind = ERRORS[self.code]  # a KeyError here is a typo in our code: it surfaces as a 500, as bugs should
        self.message = message or kind.message
        self.fields = dict(fields or {})
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return ERRORS[self.code].status

    @property
    def fault(self) -> Fault:
        return ERRORS[self.code].fault


def api_error(code: str, message: str | None = None, fields: dict[str, str] | None = None) -> ApiError:
    """The error `code` of the table, with the table's message unless one is given, and the fields at fault."""
    return ApiError(message, fields, code=code)


def invalid(message: str | None = None, **fields: str) -> ApiError:
    """A 400 `validation_error` naming each bad field (the common case, so it has a short name)."""
    return ApiError(message, fields, code="validation_error")


def invalid_value(message: str | None = None, **fields: str) -> ApiError:
    """A 422 `invalid_value`: the field has the documented shape, but its value cannot be used (an unknown
    provider, a code outside its code set)."""
    return ApiError(message, fields, code="invalid_value")
