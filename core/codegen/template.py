"""The plan's `templates/insurance-api.yaml`: several payers generated at once.

A template names providers, each with `api_style`, `auth` and `base_url` as in the plan, and `spec` — the payer's
OpenAPI document, a path relative to the template (the plan's workflow drops it in `specs/`). For each provider:
- `api_style: rest` is generated from its spec into one module `<provider>.py` (tools `<provider>_*`);
- any other style (the plan's `soap` with `wsse` for UnitedHealthcare) is reported as not generated, with why:
  a WSDL is no OpenAPI document, and nothing is made up in its place;
- `base_url` replaces the document's servers; `auth` (api_key, bearer, oauth2) is applied to operations the
  document leaves without security — payer documents often describe auth only in prose. oauth2 needs
  `token_url`; api_key may name its header (`api_key_header`, default X-API-Key).
A provider whose spec is missing or unreadable is reported and the others are still generated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.codegen.generate import Generated, GenerateError, generate
from core.codegen.openapi import SecurityScheme, SpecError, parse_text


@dataclass
class TemplateReport:
    generated: list[Generated] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # provider → why


def _scheme(provider: dict[str, Any]) -> SecurityScheme | None:
    auth = str(provider.get("auth") or "").lower()
    if auth in ("", "none"):
        return None
    if auth in ("api_key", "apikey"):
        return SecurityScheme(
            "template_api_key", "api_key", "header", str(provider.get("api_key_header") or "X-API-Key")
        )
    if auth == "bearer":
        return SecurityScheme("template_bearer", "bearer")
    if auth == "oauth2":
        if not provider.get("token_url"):
            raise GenerateError("auth oauth2 needs token_url (the client-credentials token endpoint)")
        return SecurityScheme("template_oauth2", "oauth2_client_credentials", token_url=str(provider["token_url"]))
    raise GenerateError(f"auth {auth!r} is not supported (api_key, bearer, oauth2)")


def generate_template(template: dict[str, Any], folder: Path, roles: list[str] | None = None) -> TemplateReport:
    """Every provider of the template (`folder`: where its relative spec paths start)."""
    report = TemplateReport()
    providers = template.get("providers")
    if not isinstance(providers, list) or not providers:
        raise GenerateError("the template has no providers")
    for provider in providers:
        if not isinstance(provider, dict) or not provider.get("name"):
            raise GenerateError("every provider needs a name")
        name = str(provider["name"])
        style = str(provider.get("api_style") or "rest").lower()
        if style != "rest":
            report.skipped[name] = f"api_style {style}: only OpenAPI (rest) documents are generated from"
            continue
        spec = provider.get("spec")
        if not spec:
            report.skipped[name] = "no spec named (the provider's OpenAPI document)"
            continue
        path = (folder / str(spec)).resolve()
        try:
            raw = parse_text(path.read_text(encoding="utf-8"), str(spec))
            report.generated.append(
                generate(
                    raw,
                    name,
                    roles=roles,
                    base_url=provider.get("base_url"),
                    spec_label=str(spec),
                    extra_scheme=_scheme(provider),
                )
            )
        except OSError as exc:
            report.skipped[name] = f"{spec}: {exc.strerror or exc}"
        except (SpecError, GenerateError) as exc:
            report.skipped[name] = f"{spec}: {exc}"
    return report
