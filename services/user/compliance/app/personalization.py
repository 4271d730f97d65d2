"""The personalization feature: doctors' writing samples for their future adapters, de-identified on the way in.

Why here: compliance already owns PHI detection and redaction (core.phi behind `POST /scan_pii`) and the audit
trail, so a doctor's notes are de-identified where PHI handling lives and are never seen by the billing or
eligibility services. The domain step is `core.training.TrainingDataCollector`; this module maps HTTP onto it.

- `POST /personalization/samples` (clinician, admin): `doctor_id`, `content_type`, `text` → 201 once the
  de-identified sample and its audit row have committed. The answer carries the de-identified text, once: the
  doctor sees exactly what will be trained on and can delete it if the redaction mangled it. The raw text is never
  stored, logged or audited; identifiers that survive de-identification refuse the sample (422 `phi_remains`,
  naming the categories).
- `GET /personalization/samples?doctor_id=` lists ids, types, sizes and times — never text: whoever may list a
  doctor's samples cannot harvest the notes through it.
- `DELETE /personalization/samples/<id>`, `GET /personalization/readiness/<doctor_id>` (the plan's keys).
- `GET|PUT /personalization/preferences/<doctor_id>` `{"feed_corrections": bool}`: whether the receiver keeps the
  doctor's corrected dictations as samples (off until the doctor opts in; audited `opt_in` / `opt_out`).

A doctor's own dictation token (`dictation-<doctor>`) may act only on that doctor's samples; other clinician and
admin tokens (a clinic app's) act for any doctor.
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from core.auth import ForbiddenError, Role
from core.enrollment import doctor_for_token
from core.errors import api_error
from core.training import MAX_CHARACTERS, Actor, InvalidSample, SampleRefused, TrainingDataCollector
from core.training.data_collector import check_doctor_id
from core.web import (
    audit_resource,
    audited_by_handler,
    current_principal,
    documented,
    get_db,
    param,
    parse_body,
    phi_access,
    query_int,
    request_id,
    requires,
    state,
)

DOCTOR_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,127}$"

bp = Blueprint("personalization", __name__)


class SampleRequest(BaseModel):
    """One finalised text of the doctor's; de-identified before it is stored."""

    model_config = ConfigDict(extra="forbid")

    doctor_id: str = Field(pattern=DOCTOR_ID_PATTERN, description="the doctor's id, as enrolled (e.g. dr-smith)")
    content_type: Literal["note", "letter", "summary", "corrected_dictation"]
    text: str = Field(min_length=1, max_length=MAX_CHARACTERS, description="at least 20 words; never stored as sent")


class SampleOut(BaseModel):
    sample_id: str
    doctor_id: str
    content_type: str
    characters: int
    words: int
    redactions: dict[str, int] = Field(description="identifiers replaced, per type")
    created_at: str


class Readiness(BaseModel):
    user_id: str
    samples_collected: int
    samples_needed: int
    ready_for_training: bool
    completion_percentage: float


class StoredOut(BaseModel):
    sample: SampleOut
    deidentified_text: str = Field(description="the text as stored (returned this once, to the submitter)")
    readiness: Readiness


class SampleList(BaseModel):
    samples: list[SampleOut]


class Preferences(BaseModel):
    """The doctor's own choices about personalization."""

    model_config = ConfigDict(extra="forbid")

    feed_corrections: bool = Field(
        strict=True,  # "yes" or 1 is a client's mistake, not a choice
        description="keep the doctor's corrected dictations (de-identified) as corrected_dictation samples",
    )


class PreferencesOut(Preferences):
    doctor_id: str


def _collector() -> TrainingDataCollector:
    return TrainingDataCollector(get_db(), state().audit_writer(), service=state().service)


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.name, principal.role.value, request.remote_addr, request_id())


def _own_doctor() -> str | None:
    """The doctor whose dictation token calls, or None for a clinic app's or an admin's token."""
    return doctor_for_token(current_principal().name)


def _may_act_for(doctor_id: str) -> None:
    own = _own_doctor()
    if own is not None and own != doctor_id:
        raise ForbiddenError("a doctor's own token may act only on that doctor's samples")


def _invalid(exc: InvalidSample) -> Exception:
    # A shape the schema states (doctor_id) is 400; a well-formed text that cannot be used (blank, too few words) 422.
    code = "validation_error" if exc.field in ("doctor_id", "content_type") else "invalid_value"
    return api_error(code, None, {exc.field: exc.message})


@bp.post("/personalization/samples")
@requires(Role.CLINICIAN)
@phi_access("store", "writing_sample")
@documented(
    request_model=SampleRequest,
    responses={
        201: StoredOut,
        403: "a doctor's own token naming another doctor",
        422: "blank or too few words (invalid_value), or identifiers survive de-identification (phi_remains)",
    },
)
def add_sample() -> tuple[Response, int]:
    """Store one writing sample of a doctor's, de-identified; the answer comes after the write has committed."""
    body = parse_body(SampleRequest)
    _may_act_for(body.doctor_id)
    audit_resource(None, doctor_id=body.doctor_id, content_type=body.content_type, characters=len(body.text))
    try:
        stored = _collector().collect_writing_sample(body.doctor_id, body.text, body.content_type, actor=_actor())
    except InvalidSample as exc:
        raise _invalid(exc) from None
    except SampleRefused as exc:
        audited_by_handler()  # the collector audited the refusal with its categories
        raise api_error("phi_remains", exc.message, {"text": ", ".join(exc.categories)}) from None
    audited_by_handler()  # the collector's audit row committed with the sample
    return jsonify(
        {"sample": stored.info.to_json(), "deidentified_text": stored.text, "readiness": stored.readiness}
    ), 201


@bp.get("/personalization/samples")
@requires(Role.CLINICIAN)
@phi_access("search", "writing_sample")
@documented(
    responses={200: SampleList},
    query={
        "doctor_id": param("the doctor's id", required=True, type="string", pattern=DOCTOR_ID_PATTERN),
        "limit": param("1-1000, default 1000", type="integer", minimum=1, maximum=1000, default=1000),
    },
)
def list_samples() -> Response:
    """A doctor's samples, newest first: ids, types, sizes and times — never the text."""
    doctor_id = request.args.get("doctor_id")
    if not doctor_id:
        raise api_error("validation_error", "invalid query", {"doctor_id": "required"})
    _may_act_for(doctor_id)
    try:
        samples = _collector().list_samples(doctor_id, limit=query_int("limit") or 1000)
    except InvalidSample as exc:
        raise _invalid(exc) from None
    audit_resource(None, doctor_id=doctor_id, results=len(samples))
    return jsonify({"samples": [s.to_json() for s in samples]})


@bp.delete("/personalization/samples/<sample_id>")
@requires(Role.CLINICIAN)
@phi_access("delete", "writing_sample")
@documented(responses={200: "the deleted sample (no text)", 404: "no such sample"})
def delete_sample(sample_id: str) -> Response:
    """Delete one sample; its audit row commits with the deletion."""
    audit_resource(sample_id)
    deleted = _collector().delete_sample(sample_id, actor=_actor(), doctor_id=_own_doctor())
    if deleted is None:
        raise api_error("not_found", "no such sample")
    audited_by_handler()
    return jsonify({"deleted": deleted.to_json()})


@bp.get("/personalization/readiness/<doctor_id>")
@requires(Role.CLINICIAN)
@phi_access("view", "training_readiness")
@documented(responses={200: Readiness, 404: "not a doctor id"})
def readiness(doctor_id: str) -> Response:
    """How far the doctor is from enough samples to train on (the plan's 50)."""
    _may_act_for(doctor_id)
    try:
        result = _collector().get_training_readiness(doctor_id)
    except InvalidSample:
        # Like the ids of alerts and audit rows: a path that is no doctor id names nothing (404, not a bad request).
        raise api_error("not_found", "no such doctor id") from None
    audit_resource(None, doctor_id=doctor_id)
    return jsonify(result)


@bp.get("/personalization/preferences/<doctor_id>")
@requires(Role.CLINICIAN)
@phi_access("view", "personalization_preferences")
@documented(responses={200: PreferencesOut, 404: "not a doctor id"})
def get_preferences(doctor_id: str) -> Response:
    """The doctor's personalization choices (corrected dictations as samples: off unless opted in)."""
    _may_act_for(doctor_id)
    if not _is_doctor_id(doctor_id):
        raise api_error("not_found", "no such doctor id")
    feeds = _collector().feeds_corrections(doctor_id)
    audit_resource(None, doctor_id=doctor_id)
    return jsonify({"doctor_id": doctor_id, "feed_corrections": feeds})


@bp.put("/personalization/preferences/<doctor_id>")
@requires(Role.CLINICIAN)
@phi_access("update", "personalization_preferences")
@documented(request_model=Preferences, responses={200: PreferencesOut, 404: "not a doctor id"})
def put_preferences(doctor_id: str) -> Response:
    """Opt the doctor in or out of corrected dictations becoming samples; samples already kept stay until deleted."""
    body = parse_body(Preferences)
    _may_act_for(doctor_id)
    if not _is_doctor_id(doctor_id):
        raise api_error("not_found", "no such doctor id")
    audit_resource(None, doctor_id=doctor_id, feed_corrections=body.feed_corrections)
    _collector().set_feed_corrections(doctor_id, body.feed_corrections, actor=_actor())
    audited_by_handler()  # the collector's audit row committed with the preference
    return jsonify({"doctor_id": doctor_id, "feed_corrections": body.feed_corrections})


def _is_doctor_id(doctor_id: str) -> bool:
    try:
        check_doctor_id(doctor_id)
    except InvalidSample:
        return False
    return True
