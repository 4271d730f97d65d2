"""The tools each configured payer gets (config/payers/*.yml): `<payer>_check_eligibility` (X12 270/271 through
insurance-verify, which carries it to the payer's clearinghouse, caches and audits it),
`<payer>_prior_authorization_required` (the payer's medical-policy list, no patient data needed) and
`<payer>_submit_claim` (billing's claim: eligibility, estimate, storage, the 837P ready for the payer) and, for a
payer that publishes a drug list, `<payer>_formulary_lookup` (its CMS QHP drugs.json); for a payer that takes
278s, `<payer>_prior_authorization` (an X12 278 request through core.payers, the payer's decision per service).

A tool name is the payer id in snake_case and the capability: anthem-bcbs → `anthem_bcbs_check_eligibility`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.auth import Role
from core.claims.claim_request import CreateClaim
from core.claims.codes import ICD10_SCHEMA, ProcedureCode, ProcedureCodes, icd10_problem, icd10_undotted
from core.clinic import Clinic
from core.config import Settings
from core.db import Database
from core.eligibility import PayerDate, VerifyResponse
from core.payers import PayerAdapter, PayerConfig, PayerError, PayerUnavailable, adapters_for, record_exchange
from core.payers.adapter import Exchange, ReviewInquiry, ReviewResult
from core.payers.formulary import Drug, FormularyError, FormularySource
from core.tls import trust
from core.x12.x278 import ServiceRequest

from .tool_base import InsuranceTool, ToolCall
from .tool_errors import ToolFailure


def tool_prefix(payer_id: str) -> str:
    return payer_id.replace("-", "_").lower()


class PayerTool(InsuranceTool):
    """A tool one payer gets: named `<payer>_<capability>`, titled and described with the payer's name."""

    def named_for(self, payer: PayerConfig, title: str, description: str) -> None:
        self.payer_id = payer.payer_id
        self.name = f"{tool_prefix(payer.payer_id)}_{self.capability}"
        self.title = f"{payer.name}: {title}"
        self.description = description


# ------------------------------------------------------------------------------------------------- eligibility


class MemberArgs(BaseModel):
    """What a payer needs to find the member: nothing else is accepted (no SSN, no full-name field)."""

    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9-]+$", description="the card's member id")
    provider_id: str = Field(min_length=1, max_length=80, description="a configured provider id or an NPI")
    service_date: PayerDate | None = Field(default=None, description="default: today (UTC)")
    member_first_name: str | None = Field(default=None, max_length=60)
    member_last_name: str | None = Field(default=None, max_length=60)
    member_birth_date: PayerDate | None = None


class EligibilityArgs(MemberArgs):
    service_codes: Annotated[ProcedureCodes, Field(min_length=1, max_length=50, description="CPT/HCPCS codes")]


class CheckEligibility(PayerTool):
    capability = "check_eligibility"
    roles = frozenset({Role.CLINICIAN, Role.BILLING, Role.SERVICE})
    input_model = EligibilityArgs
    output_model = VerifyResponse
    code_fields = ("service_codes",)

    def __init__(self, payer: PayerConfig) -> None:
        self.named_for(
            payer,
            "eligibility",
            (
                f"Is the member covered by {payer.name} for these services with this provider? An X12 270 to the "
                "payer's clearinghouse, its 271 read into coverage: status, deductible and out-of-pocket remaining, "
                "copay, coinsurance, plan dates, and the procedure codes that need prior authorization."
            ),
        )

    async def run(self, args: EligibilityArgs, call: ToolCall) -> VerifyResponse:
        body = {**args.model_dump(mode="json", exclude_none=True), "payer_id": self.payer_id}
        answer = await call.suite_json("insurance-verify", "POST", "/verify", json=body)
        return VerifyResponse.model_validate(answer)

    def summary(self, result: VerifyResponse) -> str:
        text = f"{result.eligibility_status} with {self.payer_id}"
        if result.plan_name:
            text += f" ({result.plan_name})"
        if result.reject_reason:
            text += f"; payer rejected the inquiry: {result.reject_reason}"
        if result.authorization_required_codes:
            text += f"; prior authorization for {', '.join(result.authorization_required_codes)}"
        return text + f" [{result.source}]"


# ------------------------------------------------------------------------------------------ prior authorization


class PriorAuthArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_codes: Annotated[ProcedureCodes, Field(min_length=1, max_length=50, description="CPT/HCPCS codes")]


class PriorAuthCode(BaseModel):
    code: str
    required: bool
    reason: str


class PriorAuthAnswer(BaseModel):
    payer_id: str
    required_codes: list[str]
    codes: list[PriorAuthCode]


class PriorAuthorizationRequired(PayerTool):
    """From the payer's medical-policy list in config/payers (no patient data leaves). A member's 271 may add codes
    for that member's plan: `<payer>_check_eligibility` reports those."""

    capability = "prior_authorization_required"
    roles = frozenset({Role.CLINICIAN, Role.BILLING, Role.SERVICE})
    input_model = PriorAuthArgs
    output_model = PriorAuthAnswer
    code_fields = ("procedure_codes",)

    def __init__(self, payer: PayerConfig) -> None:
        self.payer = payer
        self.named_for(
            payer,
            "prior authorization required?",
            (
                f"Which of these procedure codes {payer.name}'s medical policy sends to prior authorization (the "
                "payer rules configured for the clinic; the member's own plan may add more — see check_eligibility)."
            ),
        )

    async def run(self, args: PriorAuthArgs, call: ToolCall) -> PriorAuthAnswer:
        listed = set(self.payer.prior_auth_codes)
        codes = [
            PriorAuthCode(
                code=code,
                required=code in listed,
                reason="on the payer's prior-authorization list" if code in listed else "not on the payer's list",
            )
            for code in args.procedure_codes
        ]
        return PriorAuthAnswer(
            payer_id=self.payer_id, required_codes=[c.code for c in codes if c.required], codes=codes
        )

    def summary(self, result: PriorAuthAnswer) -> str:
        if not result.required_codes:
            return f"{result.payer_id}: no prior authorization needed for these codes"
        return f"{result.payer_id}: prior authorization needed for {', '.join(result.required_codes)}"


# ------------------------------------------------------------------------------------------------------ claims


class SubmitClaimArgs(CreateClaim):
    """billing's claim request (core.claims.claim_request, the same checks), for this tool's payer."""

    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        pattern=r"^[!-~]([ -~]{0,253}[!-~])?$",
        description="the same key and claim again return the first claim and write nothing (a safe retry)",
    )


class ClaimAnswer(BaseModel):
    """billing's answer for the claim; `x12_837p_path` is where the 837P for the payer is fetched (billing role)."""

    model_config = ConfigDict(extra="allow")

    claim_id: str
    status: str
    payer_id: str | None = None
    estimated_patient_responsibility: Any = None
    x12_837p_path: str


class SubmitClaim(PayerTool):
    capability = "submit_claim"
    roles = frozenset({Role.BILLING})
    input_model = SubmitClaimArgs
    output_model = ClaimAnswer
    read_only = False

    def __init__(self, payer: PayerConfig) -> None:
        self.named_for(
            payer,
            "submit a claim",
            (
                f"Create a professional claim for {payer.name} in billing: eligibility checked with the payer, the "
                "patient's share estimated, the claim stored, its 837P ready for the clearinghouse. Refused when the "
                "member is not covered."
            ),
        )

    def service_codes(self, args: SubmitClaimArgs) -> list[str]:
        return [line.code for line in args.services]

    async def run(self, args: SubmitClaimArgs, call: ToolCall) -> ClaimAnswer:
        if args.payer_id not in (None, self.payer_id):
            raise ToolFailure(
                "invalid arguments",
                kind="invalid_arguments",
                fields={"payer_id": f"this tool submits to {self.payer_id}; leave payer_id out"},
            )
        body = args.model_dump(mode="json", exclude_none=True, exclude={"idempotency_key"})
        body["payer_id"] = self.payer_id
        key = args.idempotency_key
        reply = await call.suite.call(
            "billing",
            "POST",
            "/create_claim",
            token=call.caller.token,
            request_id=call.request_id,
            json=body,
            extra_headers={"Idempotency-Key": key} if key else None,
        )
        claim = reply.json()
        return ClaimAnswer.model_validate({**claim, "x12_837p_path": f"/claims/{claim['claim_id']}/837"})

    def summary(self, result: ClaimAnswer) -> str:
        return f"claim {result.claim_id} {result.status} for {self.payer_id}"


# ---------------------------------------------------------------------------------------------------- formulary


class FormularyArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rxnorm_id: str | None = Field(default=None, pattern=r"^[0-9]{1,10}$", description="the drug's RxCUI")
    drug_name: str | None = Field(default=None, min_length=3, max_length=120, description="part of the drug's name")
    plan_id: str | None = Field(
        default=None, pattern=r"^[0-9]{5}[A-Z]{2}[0-9]{7}$", description="the member's HIOS plan id (14 characters)"
    )

    @model_validator(mode="after")
    def _one_key(self) -> FormularyArgs:
        if not self.rxnorm_id and not self.drug_name:
            raise ValueError("give rxnorm_id or drug_name")
        return self


class FormularyAnswer(BaseModel):
    payer_id: str
    drugs: list[Drug] = Field(description="matching drugs and the plans that list them (tier, PA, step, quantity)")
    on_formulary: bool = Field(description="some matching drug is listed (by the plan asked about, if one was)")
    prior_authorization: bool = Field(description="some listing of a matching drug needs prior authorization")
    list_age_seconds: int = Field(description="how long ago the payer's drug list was fetched")
    entries_skipped: int = Field(description="entries of the payer's file that did not read")


class FormularyLookup(PayerTool):
    """The payer's published QHP drug list (public: nothing about a patient is sent to look a drug up)."""

    capability = "formulary_lookup"
    roles = frozenset({Role.CLINICIAN, Role.BILLING, Role.SERVICE})
    input_model = FormularyArgs
    output_model = FormularyAnswer

    def __init__(self, payer: PayerConfig, source: FormularySource) -> None:
        self.source = source
        self.named_for(
            payer,
            "formulary",
            (
                f"Is a drug on {payer.name}'s formulary: by RxCUI or name, optionally for one plan (HIOS id) — tier, "
                "prior authorization, step therapy, quantity limit, from the payer's published drugs.json (CMS QHP)."
            ),
        )

    async def run(self, args: FormularyArgs, call: ToolCall) -> FormularyAnswer:
        try:
            formulary, age = await anyio.to_thread.run_sync(self.source.get, abandon_on_cancel=True)
        except FormularyError as exc:
            raise ToolFailure(f"{self.payer_id}: {exc}", kind="payer_unavailable") from None
        drugs = formulary.lookup(rxnorm_id=args.rxnorm_id, drug_name=args.drug_name, plan_id=args.plan_id)
        return FormularyAnswer(
            payer_id=self.payer_id,
            drugs=drugs,
            on_formulary=bool(drugs),
            prior_authorization=any(plan.prior_authorization for drug in drugs for plan in drug.plans),
            list_age_seconds=round(age),
            entries_skipped=formulary.skipped,
        )

    def summary(self, result: FormularyAnswer) -> str:
        if not result.on_formulary:
            return f"{result.payer_id}: not on the formulary"
        tiers = sorted({plan.drug_tier for drug in result.drugs for plan in drug.plans})
        text = f"{result.payer_id}: on the formulary ({', '.join(tiers)})"
        return text + ("; prior authorization required" if result.prior_authorization else "")


# ------------------------------------------------------------------------------- prior authorization (X12 278)


class ReviewService(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_code: ProcedureCode
    quantity: int = Field(default=1, ge=1, le=999)
    modifiers: list[Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$")]] = Field(default_factory=list, max_length=4)


class PriorAuthRequestArgs(MemberArgs):
    diagnosis_codes: list[Annotated[str, Field(pattern=ICD10_SCHEMA["pattern"])]] = Field(
        min_length=1, max_length=12, description="ICD-10-CM codes; the first is the principal diagnosis"
    )
    services: list[ReviewService] = Field(min_length=1, max_length=20)
    service_date: PayerDate = Field(description="the (first) day of the services")
    service_end: PayerDate | None = Field(default=None, description="the last day, for a range")
    place_of_service: str = Field(default="11", pattern=r"^\d{2}$", description="CMS place of service (11 office)")

    @model_validator(mode="after")
    def _billable(self) -> PriorAuthRequestArgs:
        for n, code in enumerate(self.diagnosis_codes):
            problem = icd10_problem(code)
            if problem:
                raise ValueError(f"diagnosis_codes[{n}] {problem}")
        if self.service_end is not None and self.service_end < self.service_date:
            raise ValueError("service_end is before service_date")
        return self


class ReviewRejectOut(BaseModel):
    loop: str
    reason_code: str
    reason: str
    follow_up: str = Field(description="C correct and resubmit, N do not resubmit, R may resubmit, Y wait")


class ServiceDecisionOut(BaseModel):
    procedure_code: str
    decision: str
    action_code: str
    certification_number: str | None
    reason_code: str | None


class PriorAuthDecision(BaseModel):
    payer_id: str
    decision: str = Field(
        description="certified, partially_certified, not_certified, pended, modified, cancelled, contact_payer, "
        "no_action_required, or rejected (the request itself was refused: see rejects)"
    )
    action_code: str | None = Field(description="HCR01 as the payer sent it")
    certification_number: str | None
    reason_code: str | None = Field(description="HCR03: the payer's reason for its decision")
    effective: date | None
    expires: date | None
    services: list[ServiceDecisionOut]
    rejects: list[ReviewRejectOut]
    trace_number: str


class PriorAuthorization(PayerTool):
    """A 278 request through core.payers to the payer's clearinghouse; the exchange is stored as insurance-verify
    stores its 270/271 (payer_exchanges), the tool's audit row names codes only."""

    capability = "prior_authorization"
    roles = frozenset({Role.CLINICIAN, Role.BILLING, Role.SERVICE})
    input_model = PriorAuthRequestArgs
    output_model = PriorAuthDecision
    read_only = False
    timeout_seconds = 60.0

    def __init__(self, payer: PayerConfig, adapter: PayerAdapter, clinic: Clinic, db: Database) -> None:
        self.adapter, self.clinic, self.db = adapter, clinic, db
        self.named_for(
            payer,
            "prior authorization request",
            (
                f"Ask {payer.name} to authorize services (X12 278, 005010X217): the member, diagnoses and procedure "
                "codes go to the payer's clearinghouse; the answer is certified, partially certified, not certified "
                "or pended, with the certification number and period, per service."
            ),
        )

    def service_codes(self, args: PriorAuthRequestArgs) -> list[str]:
        return [service.procedure_code for service in args.services]

    async def run(self, args: PriorAuthRequestArgs, call: ToolCall) -> PriorAuthDecision:
        provider = self.clinic.provider(args.provider_id)
        if provider is None:
            raise ToolFailure(
                "invalid arguments",
                kind="invalid_arguments",
                fields={"provider_id": "neither a provider in config/clinic.yml nor a valid NPI"},
            )
        inquiry = ReviewInquiry(
            member_id=args.member_id,
            provider_npi=provider[0],
            provider_name=provider[1],
            service_date=args.service_date,
            service_end=args.service_end,
            diagnosis_codes=tuple(icd10_undotted(code) for code in args.diagnosis_codes),
            services=tuple(
                ServiceRequest(s.procedure_code, quantity=s.quantity, modifiers=tuple(s.modifiers))
                for s in args.services
            ),
            place_of_service=args.place_of_service,
            member_first_name=args.member_first_name,
            member_last_name=args.member_last_name,
            member_birth_date=args.member_birth_date,
        )
        try:
            result = await anyio.to_thread.run_sync(self._ask, inquiry, abandon_on_cancel=True)
        except PayerError as exc:
            kind = "payer_unavailable" if isinstance(exc, PayerUnavailable) else "payer_error"
            raise ToolFailure(f"{self.payer_id}: {exc.message}", kind=kind) from None
        answer = result.response
        return PriorAuthDecision(
            payer_id=self.payer_id,
            decision=answer.decision,
            action_code=answer.action_code,
            certification_number=answer.certification_number,
            reason_code=answer.reason_code,
            effective=answer.effective,
            expires=answer.expires,
            services=[ServiceDecisionOut(**vars(s)) for s in answer.services],
            rejects=[ReviewRejectOut(**vars(r)) for r in answer.rejects],
            trace_number=result.exchange.trace_number,
        )

    def _ask(self, inquiry: ReviewInquiry) -> ReviewResult:
        """The exchange is stored whatever its outcome (PHI: in the database, never in a log)."""
        try:
            result = self.adapter.prior_authorization(inquiry)
        except PayerError as exc:
            self._store(exc.exchange)
            raise
        self._store(result.exchange)
        return result

    def _store(self, exchange: Exchange) -> None:
        self.db.run(lambda cur: record_exchange(cur, exchange))

    def summary(self, result: PriorAuthDecision) -> str:
        if result.decision == "rejected":
            reasons = "; ".join(f"{r.reason} ({r.reason_code})" for r in result.rejects)
            return f"{result.payer_id} refused the request: {reasons}"
        text = f"{result.payer_id}: {result.decision.replace('_', ' ')}"
        if result.certification_number:
            text += f", number {result.certification_number}"
        if result.expires:
            text += f", valid to {result.expires.isoformat()}"
        return text


def payer_tools(
    payers: dict[str, PayerConfig], settings: Settings, db: Database, clinic: Clinic
) -> list[InsuranceTool]:
    tools: list[InsuranceTool] = []
    adapters = adapters_for(payers, settings.environ, verify=trust(settings))
    for payer in payers.values():
        tools += [CheckEligibility(payer), PriorAuthorizationRequired(payer), SubmitClaim(payer)]
        if payer.review_url:
            tools.append(PriorAuthorization(payer, adapters[payer.payer_id], clinic, db))
        url = payer.formulary_endpoint(settings.environ)
        if url:
            source = FormularySource(
                url,
                ttl_seconds=payer.formulary_ttl_seconds,
                timeout_seconds=payer.formulary_timeout_seconds,
                verify=trust(settings),
            )
            tools.append(FormularyLookup(payer, source))
    return tools
