"""Tools over the suite itself: the patient-responsibility estimate, a claim's status, a PHI scan of a text."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.auth import Role
from core.claims.estimate import LineIn, LineInput, estimate
from core.eligibility import VerifyResponse

from .payer_tools import MemberArgs
from .tool_base import InsuranceTool, ToolCall

# ---------------------------------------------------------------------------------------------------- estimate


class EstimateArgs(MemberArgs):
    payer_id: str = Field(min_length=1, max_length=64, description="config/payers/<payer_id>.yml")
    lines: list[LineIn] = Field(min_length=1, max_length=50, description="billed (and contracted) amount per code")


class EstimateLine(BaseModel):
    code: str
    billed: str
    allowed: str
    copay: str
    deductible: str
    coinsurance: str
    non_covered: str
    patient_responsibility: str
    insurance_responsibility: str


class EstimateAnswer(BaseModel):
    payer_id: str
    eligibility_status: str
    source: str = Field(description="payer | cache | stale: where the coverage came from")
    patient_responsibility: str
    insurance_responsibility: str
    billed_total: str
    allowed_total: str
    lines: list[EstimateLine]


class PatientResponsibilityEstimate(InsuranceTool):
    name = "estimate_patient_responsibility"
    title = "Patient responsibility estimate"
    capability = "estimate"
    description = (
        "What the patient will owe for these services: the member's coverage from the payer (eligibility, cached), "
        "then copay, deductible, coinsurance and the out-of-pocket cap line by line. An inactive member owes "
        "everything; the estimate says so rather than guessing coverage."
    )
    roles = frozenset({Role.CLINICIAN, Role.BILLING, Role.SERVICE})
    input_model = EstimateArgs
    output_model = EstimateAnswer

    def service_codes(self, args: EstimateArgs) -> list[str]:
        return [line.code for line in args.lines]

    async def run(self, args: EstimateArgs, call: ToolCall) -> EstimateAnswer:
        question = args.model_dump(mode="json", exclude_none=True, exclude={"lines"})
        question["service_codes"] = [line.code for line in args.lines]
        answer = await call.suite_json("insurance-verify", "POST", "/verify", json=question)
        coverage = VerifyResponse.model_validate(answer)
        active = coverage.eligibility_status == "active"
        lines = [LineInput(**line.model_dump() | ({} if active else {"covered": False})) for line in args.lines]
        result = estimate(coverage.coverage_terms(), lines)
        money = result.to_json()
        return EstimateAnswer(
            payer_id=coverage.payer_id,
            eligibility_status=coverage.eligibility_status,
            source=coverage.source,
            patient_responsibility=str(money["patient_responsibility"]),
            insurance_responsibility=str(money["insurance_responsibility"]),
            billed_total=str(money["billed_total"]),
            allowed_total=str(money["allowed_total"]),
            lines=[
                EstimateLine(**{k: v for k, v in line.to_json().items() if k in EstimateLine.model_fields})
                for line in result.lines
            ],
        )

    def summary(self, result: EstimateAnswer) -> str:
        return (
            f"patient owes about ${result.patient_responsibility} of ${result.billed_total} "
            f"(member {result.eligibility_status} with {result.payer_id})"
        )


# ------------------------------------------------------------------------------------------------ claim status


class ClaimStatusArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claim_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class ClaimStatusAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    claim_id: str
    status: str
    payer_id: str | None = None


class ClaimStatus(InsuranceTool):
    name = "claim_status"
    title = "Claim status"
    capability = "claim_status"
    description = "A stored claim's status, estimate and, once the payer's 835 is posted, what was paid."
    roles = frozenset({Role.BILLING})
    input_model = ClaimStatusArgs
    output_model = ClaimStatusAnswer

    async def run(self, args: ClaimStatusArgs, call: ToolCall) -> ClaimStatusAnswer:
        return ClaimStatusAnswer.model_validate(await call.suite_json("billing", "GET", f"/claims/{args.claim_id}"))

    def summary(self, result: ClaimStatusAnswer) -> str:
        return f"claim {result.claim_id}: {result.status}"


# ---------------------------------------------------------------------------------------------------- PHI scan


class PhiScanArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1_000_000)


class PhiSpan(BaseModel):
    start: int
    end: int
    type: str


class PhiScanAnswer(BaseModel):
    """Spans only: the text found is never echoed back."""

    spans: list[PhiSpan]
    count: int


class PhiScan(InsuranceTool):
    name = "phi_scan"
    title = "PHI scan"
    capability = "phi_scan"
    description = (
        "Where a text holds identifiers (names, dates, phones, ids, places): offsets and types only, nothing of "
        "the text is stored or echoed. Run by the compliance service with the clinic's settings."
    )
    roles = frozenset({Role.CLINICIAN, Role.BILLING, Role.COMPLIANCE, Role.SERVICE})
    input_model = PhiScanArgs
    output_model = PhiScanAnswer

    async def run(self, args: PhiScanArgs, call: ToolCall) -> PhiScanAnswer:
        answer = await call.suite_json("compliance", "POST", "/scan_pii", json={"content": args.text})
        spans = [PhiSpan(start=f["start"], end=f["end"], type=f["type"]) for f in answer.get("findings", [])]
        return PhiScanAnswer(spans=spans, count=len(spans))

    def summary(self, result: PhiScanAnswer) -> str:
        kinds = sorted({span.type for span in result.spans})
        return f"{result.count} identifiers found" + (f" ({', '.join(kinds)})" if kinds else "")


def suite_tools() -> list[InsuranceTool]:
    return [PatientResponsibilityEstimate(), ClaimStatus(), PhiScan()]
