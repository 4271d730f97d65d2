"""The generator itself, offline: same bytes on regeneration, ruff-clean output, each auth kind, $ref cycles,
documents it must refuse, and the plan's template (several payers, a SOAP one reported, not faked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.codegen import SpecError, generate, parse_text
from core.codegen.template import generate_template

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "openapi"
SPECS = {"clinicaltrials-gov": DATA / "clinicaltrials-gov-v2.yaml", "test-payer": DATA / "auth-kinds.yaml"}


def _raw(name: str) -> dict:  # type: ignore[type-arg]
    return parse_text(SPECS[name].read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_regenerating_gives_the_same_bytes_and_ruff_accepts_them(name: str, tmp_path: Path) -> None:
    first = generate(_raw(name), name, spec_label=SPECS[name].name)
    second = generate(_raw(name), name, spec_label=SPECS[name].name)
    assert first.files == second.files
    first.write(tmp_path)
    for args in (
        ["check", "--config", str(ROOT / "pyproject.toml")],
        ["format", "--check", "--config", str(ROOT / "pyproject.toml")],
    ):
        run = subprocess.run([sys.executable, "-m", "ruff", *args, str(tmp_path)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_each_auth_kind_becomes_a_scheme_the_client_applies() -> None:
    made = generate(_raw("test-payer"), "test-payer")
    source = made.files["test_payer.py"]
    for kind in ("oauth2_client_credentials", "api_key", "bearer"):
        assert f'kind="{kind}"' in source
    assert 'location="query"' in source and 'parameter="X-Partner-Key"' in source
    assert sorted(made.tools) == [
        "test_payer_check_eligibility",
        "test_payer_delete_claims",
        "test_payer_get_claims",
        "test_payer_get_member",
    ]
    readme = made.files["test_payer/README.md"]
    for variable in (
        "TEST_PAYER_CLIENT_CREDENTIALS_CLIENT_ID",
        "TEST_PAYER_PARTNER_KEY_KEY",
        "TEST_PAYER_BEARER_TOKEN",
    ):
        assert variable in readme and variable not in source  # named for the operator, read at call time
    # the spec's example answer (copay "not a number") does not fit its schema: the mock answers a made value
    assert any("example answer does not match" in note for note in made.notes)


def test_self_referring_schemas_and_3_1_null_types_load(tmp_path: Path) -> None:
    made = generate(_raw("test-payer"), "test-payer")
    made.write(tmp_path)
    from agentcare_mcp.loader import load_generated

    tools, report = load_generated(tmp_path, set())
    assert not report.skipped and len(tools) == 4
    check = next(t for t in tools if t.name == "test_payer_check_eligibility")
    body = check.input_model.model_validate(
        {"body": {"memberId": "M1", "dependents": [{"memberId": "M2", "plan": None}]}}
    )
    assert body.model_dump(by_alias=True, exclude_unset=True)["body"]["dependents"][0]["memberId"] == "M2"
    with pytest.raises(ValueError, match="ssn"):
        check.input_model.model_validate({"body": {"memberId": "M1"}, "ssn": "1"})


def test_prose_in_a_generated_tools_arguments_is_marked_for_redaction(tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Appeals", "version": "1"},
        "servers": [{"url": "https://appeals.example"}],
        "paths": {
            "/appeals": {
                "post": {
                    "operationId": "fileAppeal",
                    "parameters": [{"name": "comment", "in": "query", "schema": {"type": "string"}}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "claimNumber": {"type": "string", "pattern": "^[A-Z0-9]+$"},
                                        "appeal_reason": {"type": "string"},
                                        "status": {"type": "string", "enum": ["new", "reopened"]},
                                        "description": {"type": "string", "pattern": "^[a-z]+$"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {"201": {"description": "filed"}},
                }
            }
        },
    }
    generate(document, "appeals").write(tmp_path)
    from agentcare_mcp.loader import load_generated

    (tool,), report = load_generated(tmp_path, set())
    # prose by its name; a field held to a pattern or to fixed values is no prose
    assert tool.free_text_fields == ("comment", "body.appeal_reason")
    # the schema's pattern holds the argument as the API would
    tool.input_model.model_validate({"body": {"claimNumber": "C123"}})
    with pytest.raises(ValueError, match="claimNumber"):
        tool.input_model.model_validate({"body": {"claimNumber": "c-1"}})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": "2.0", "paths": {}}, "swagger 2.0"),
        ({"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "other.yaml#/x"}}}}}}, "outside"),
        ({"openapi": "3.0.0", "paths": {}}, "no operations"),
        ({"openapi": "3.0.0", "paths": {"/a/{id}": {"get": {"responses": {}}}}}, "no path parameter"),
    ],
)
def test_documents_it_cannot_generate_from_are_refused_with_the_reason(document: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SpecError, match=message):
        generate(document, "x")


def test_the_template_generates_each_rest_payer_and_reports_the_soap_one(tmp_path: Path) -> None:
    template = yaml.safe_load((ROOT / "services/user/codegen-dev/templates/insurance-api.yaml").read_text())
    for provider in template["providers"]:  # the payers' own documents are not public: stand-ins from the tests
        provider["spec"] = str(SPECS["test-payer"])
    report = generate_template(template, tmp_path)
    assert [g.module for g in report.generated] == ["anthem_bcbs", "cigna"]
    assert "soap" in report.skipped["unitedhealthcare"]
    cigna = next(g for g in report.generated if g.module == "cigna")
    assert "https://api.cignaforhcp.com" in cigna.files["cigna.py"]  # the template's base_url wins
