"""The PHI scan feature: `POST /scan_pii` — identifiers in a text, with spans, and optionally the text redacted.

The text is PHI by assumption: it is never stored, logged or put in an error message — only counts and types
leave this module, besides the findings and redaction returned to the caller who sent it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from core.auth import Role
from core.phi import detect, redact_findings, severity
from core.web import audit_resource, documented, parse_body, phi_access, requires

from .access_rules import current_rules

MAX_CHARACTERS = 1_000_000


class ScanRequest(BaseModel):
    """Text to scan (`content`, as first published); `redact` adds the text with identifiers replaced."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(max_length=MAX_CHARACTERS)
    # Strict: 0 or "yes" is a caller's mistake to hear about, not a boolean to guess.
    redact: StrictBool = False
    surrogate: StrictBool = Field(default=False, description="with redact: consistent fake values instead of [TYPE]")


class ViolationDetail(BaseModel):
    type: str
    count: int
    severity: str = Field(description="high | medium | low")


class FindingOut(BaseModel):
    type: str
    start: int
    end: int
    score: float
    rule: str = Field(description="what found it: cue:<word>, shape:<kind>, names:lists, names:context, place:<kind>")


class ScanResponse(BaseModel):
    """The first published fields (violations_found, violation_details, scan_timestamp) plus the findings with their
    spans."""

    violations_found: bool
    violation_details: list[ViolationDetail]
    scan_timestamp: datetime
    findings: list[FindingOut]
    redacted_content: str | None = None


def scan(body: ScanRequest, keep: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The findings of `body.content`, less the place types the clinic keeps (compliance.yml `phi_keep`)."""
    findings = [f for f in detect(body.content) if f.type not in keep]
    counts = Counter(f.type for f in findings)
    # A name next to a birth date identifies a person outright, whatever the name alone would rate.
    identified = "name" in counts and "date_of_birth" in counts
    details = [
        {"type": kind, "count": n, "severity": "high" if identified and kind == "name" else severity(kind)}
        for kind, n in sorted(counts.items())
    ]
    result: dict[str, Any] = {
        "violations_found": bool(findings),
        "violation_details": details,
        "scan_timestamp": datetime.now(UTC),
        "findings": [
            {"type": f.type, "start": f.start, "end": f.end, "score": f.score, "rule": f.rule} for f in findings
        ],
    }
    if body.redact:
        result["redacted_content"] = redact_findings(body.content, findings, surrogate=body.surrogate)
    return result


bp = Blueprint("pii_scan", __name__)


@bp.post("/scan_pii")
@requires(Role.CLINICIAN, Role.BILLING, Role.COMPLIANCE, Role.SERVICE)
@phi_access("scan", "text")
@documented(request_model=ScanRequest, responses={200: ScanResponse})
def scan_pii() -> Response:
    """Find identifiers (with spans) in `content`; with `redact: true` also return it redacted. Nothing is stored."""
    body = parse_body(ScanRequest)
    result = scan(body, current_rules().phi_keep)
    audit_resource(None, characters=len(body.content), findings=len(result["findings"]))
    return jsonify(result)
