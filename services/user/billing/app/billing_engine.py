"""billing: claims — eligibility check, patient-responsibility estimate, storage, 837P export, 835 posting.

This module builds the service on the core web spine; its /health checks PostgreSQL, where claims live. The claim
endpoints arrive with the claims work.
"""

from core.web import create_app

app = create_app(
    "billing",
    description="Claims: eligibility check, patient-responsibility estimate, 837P export and 835 posting.",
)
