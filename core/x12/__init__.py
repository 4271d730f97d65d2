"""Our own small, tolerant X12 layer: pure functions from text to dataclasses and back, no I/O.

- `reader`: interchanges, groups, transaction sets and segments, delimiters learned from each ISA.
- `parties`: the people and organisations the transactions name (subscriber, submitter, billing provider, payer).
- `x270`: the 270 inquiry; `x271`: the 271 answer (005010X279A1), `x271_benefits` its value rules, `x271_writer`
  the payer sandbox's 271.
- `x837p`: the 837P professional claim writer (005010X222A1); `x835`: the 835 remittance (005010X221A1).

Errors: `X12ParseError` (a ValueError) when the input is at fault, with the segment position; ValueError when what
we were asked to write breaks a rule. Neither quotes names, member ids or birth dates.
"""

from core.x12._common import npi_is_valid
from core.x12.parties import RELATIONSHIPS, BillingProvider, Dependent, Party, Payer, PayerContact, Subscriber
from core.x12.reader import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Segment,
    SegmentStream,
    Transaction,
    TransactionRead,
    X12ParseError,
    iter_segments,
    parse,
)
from core.x12.x270 import EligibilityRequest, build_270, read_270
from core.x12.x271 import Coverage, OutOfNetwork, read_271, read_eligibility
from core.x12.x271_writer import CoverageAnswer, build_271
from core.x12.x835 import (
    CLAIM_STATUS,
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    build_835,
    read_remittances,
)
from core.x12.x837p import PLACE_OF_SERVICE_CODES, ProfessionalClaim, ServiceLine, build_837p

__all__ = [
    "CLAIM_STATUS",
    "PLACE_OF_SERVICE_CODES",
    "RELATIONSHIPS",
    "Adjustment",
    "BillingProvider",
    "ClaimPayment",
    "Coverage",
    "CoverageAnswer",
    "Delimiters",
    "Dependent",
    "EligibilityRequest",
    "FunctionalGroup",
    "Interchange",
    "OutOfNetwork",
    "Party",
    "Payer",
    "ProviderAdjustment",
    "PayerContact",
    "ProfessionalClaim",
    "Remittance",
    "Segment",
    "SegmentStream",
    "TransactionRead",
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
    "read_eligibility",
    "read_remittances",
]
