"""GET /qhp/drugs.json: a payer's published drug list in the CMS QHP format, for the formulary tools.

The fixture (qhp_drugs.json) is CMS's published example of the format (github.com/CMSgov/QHP-provider-formulary-APIs,
data/drugs-1.json; a US government work) with three sandbox entries added for what published files also hold: a
`years` list, the two spellings of the preventive tier and a lower-case tier, a specialty drug with every limit, and
an entry missing its flags (skipped by readers, never fatal). A real issuer's file replaces it by the payer's
`formulary.url` (config/payers).
"""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response

from core.web import documented

bp = Blueprint("qhp_formulary", __name__)


@bp.get("/qhp/drugs.json")
@documented(responses={200: "the QHP drugs.json (a JSON array of drugs and the plans that cover them)"})
def drugs_json() -> Response:
    """The sandbox payer's drug list in the CMS QHP format. Not part of Intelluxe's API: a payer stand-in."""
    body = resources.files(__package__).joinpath("qhp_drugs.json").read_bytes()
    return Response(body, mimetype="application/json")
