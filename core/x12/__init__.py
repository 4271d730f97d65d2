"""Our own small, tolerant X12 layer: pure functions from text to dataclasses and back, no I/O.

- `reader`: interchanges, groups, transaction sets and segments, delimiters learned from each ISA.
- `eligibility`: 270 inquiry and 271 answer (005010X279A1).
- `claims`: 837P professional claim writer (005010X222A1) and 835 remittance reader/writer (005010X221A1).

Errors: `X12ParseError` (a ValueError) when the input is at fault, with the segment position; ValueError when what
we were asked to write breaks a rule. Neither quotes names, member ids or birth dates.
"""

from core.x12._common import npi_is_valid
from core.x12.claims import (
    CLAIM_STATUS,
    PLACE_OF_SERVICE_CODES,
    Adjustment,
    BillingProvider,
    ClaimPayment,
    Party,
    Payer,
    PayerContact,
    ProfessionalClaim,
    Remittance,
    ServiceLine,
    ServicePayment,
    build_835,
    build_837p,
    read_835,
)
from core.x12.eligibility import (
    Coverage,
    CoverageAnswer,
    EligibilityRequest,
    Subscriber,
    build_270,
    build_271,
    read_270,
    read_271,
    read_271_all,
)
from core.x12.reader import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Segment,
    SegmentStream,
    Transaction,
    X12ParseError,
    iter_segments,
    parse,
)

__all__ = [
    "CLAIM_STATUS",
    "PLACE_OF_SERVICE_CODES",
    "Adjustment",
    "BillingProvider",
    "ClaimPayment",
    "Coverage",
    "CoverageAnswer",
    "Delimiters",
    "EligibilityRequest",
    "FunctionalGroup",
    "Interchange",
    "Party",
    "Payer",
    "PayerContact",
    "ProfessionalClaim",
    "Remittance",
    "Segment",
    "SegmentStream",
    "ServiceLine",
    "ServicePayment",
    "Subscriber",
    "Transaction",
    "X12ParseError",
    "build_270",
    "build_271",
    "build_835",
    "build_837p",
    "iter_segments",
    "npi_is_valid",
    "parse",
    "read_270",
    "read_271",
    "read_271_all",
    "read_835",
]
