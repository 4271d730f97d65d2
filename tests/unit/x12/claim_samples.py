"""The hand-written claim and parties the 837P tests share (plainly fake people and organisations)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.x12 import BillingProvider, Party, Payer, ProfessionalClaim, ServiceLine, Subscriber

NOW = datetime(2026, 1, 15, 10, 0)
JANE = Subscriber("JANE", "DOE", date(1980, 1, 1), "F", "2 ELM ST", "SPRINGFIELD", "IL", "62702")
CLAIM = ProfessionalClaim(
    claim_id="PA1001",
    place_of_service="11",
    diagnosis_codes=("J069", "R05.9"),
    lines=(
        ServiceLine("99213", ("25",), Decimal("125.00"), Decimal("1"), (1, 2), date(2026, 1, 10)),
        ServiceLine("87880", (), Decimal("35.50"), Decimal("1"), (1,), date(2026, 1, 10)),
    ),
)
PARTIES: dict[str, Any] = {
    "submitter": Party("SMALL CLINIC", "CLINIC01", "BILLING OFFICE", "5555550100"),
    "receiver": Party("ACME CLEARINGHOUSE", "ACMECH"),
    "billing_provider": BillingProvider(
        "SMALL CLINIC LLC", "1234567893", "12-3456789", "1 MAIN ST", "SPRINGFIELD", "IL", "62701-1234"
    ),
    "subscriber": JANE,
    "member_id": "XYZ123456789",
    "payer": Payer("ACME HEALTH", "87726"),
}
