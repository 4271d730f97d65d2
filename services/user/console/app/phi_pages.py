"""The PHI scan page: paste a text, see what the detector found (type, span, rule) marked in place, and the text
redacted. The compliance service's `POST /scan_pii` does the work; neither it nor the console stores the text, logs
it or puts it anywhere but this one answer (no-store, like every page here).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from markupsafe import Markup, escape

from core.auth import Role

from .guard import NavItem, current, page
from .suite import suite

bp = Blueprint("phi_pages", __name__)
NAV = (NavItem("phi_pages.phi_scan", "PHI scan", "Find identifiers in a text and see it redacted", (Role.COMPLIANCE,)),)

MAX_CHARACTERS = 100_000  # a page's worth; the API takes up to 1,000,000


@bp.route("/phi-scan", methods=["GET", "POST"])
@page(Role.COMPLIANCE)
def phi_scan() -> tuple[str, int] | str:
    if request.method == "GET":
        return render_template("phi_scan.html", text="", result=None)
    text = request.form.get("text", "")
    surrogate = request.form.get("surrogate") == "on"
    if not text.strip() or len(text) > MAX_CHARACTERS:
        error = f"Paste a text of 1 to {MAX_CHARACTERS:,} characters."
        return render_template("phi_scan.html", text=text[:MAX_CHARACTERS], result=None, error=error), 400
    result = suite().json(
        "compliance",
        "POST",
        "/scan_pii",
        token=current().token,
        json={"content": text, "redact": True, "surrogate": surrogate},
    )
    return render_template(
        "phi_scan.html",
        text=text,
        surrogate=surrogate,
        result=result,
        marked=mark_spans(text, result["findings"]),
    )


def mark_spans(text: str, findings: list[dict[str, Any]]) -> Markup:
    """The text with each finding wrapped in <mark> (its type as a visible label for screen readers too); overlapping
    findings keep the first. Everything from the text is escaped."""
    out: list[str] = []
    at = 0
    for f in sorted(findings, key=lambda f: (f["start"], -f["end"])):
        start, end = int(f["start"]), int(f["end"])
        if start < at or not 0 <= start < end <= len(text):
            continue
        out.append(str(escape(text[at:start])))
        kind = escape(f["type"])
        found = escape(text[start:end])
        out.append(f'<mark class="phi" data-type="{kind}">{found}<span class="phi-type"> [{kind}]</span></mark>')
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))  # noqa: S704 - every piece of the text is escaped above
