"""schemathesis against every HTTP service's own OpenAPI document, with every check it has (issue 10).

What the document promises is what the service does: no 5xx from any input, every status and body documented,
schema-invalid input refused (400/413/422), schema-valid input accepted — or refused with 404/409, or with 422 when
a value is well formed but cannot be used (an ICD-10 code that does not exist, an NPI whose check digit is wrong, a
provider the clinic does not have, a service date in the future: what no JSON Schema can say).

The services run in-process (WSGI) against this run's PostgreSQL and Redis as the least-privilege service role,
insurance-verify against the payer sandbox over HTTP, billing against that insurance-verify over HTTP. A few
examples an operation keep it to seconds; a run by hand with more (`SCHEMATHESIS_EXAMPLES=200`) goes deeper.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig

import billing
import compliance
import insurance_verify
import payer_sandbox
from core import auth
from core.auth import Role
from core.db import Database

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))
# A schema-valid request may still be refused 422 when a value is well formed but unusable (see the docstring).
ACCEPTED = ["2xx", "401", "403", "404", "409", "422"]
# A schema-invalid request is refused 400 (or 413 when its body, JSON-escaped, outgrows MAX_REQUEST_BYTES).
REFUSED = ["400", "401", "403", "404", "413", "422"]


def _config() -> SchemathesisConfig:
    # A NUL is refused in any text (400; test_hardening proves it for body, query and path): PostgreSQL cannot store
    # one. Generating it would only rediscover that rule on every operation.
    return SchemathesisConfig.from_dict(
        {
            "generation": {"allow-x00": False},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                "negative_data_rejection": {"expected-statuses": REFUSED},
            },
        }
    )


@schemathesis.serializer("application/edi-x12")
def _x12(ctx: Any, value: Any) -> dict[str, Any]:
    """An X12 body goes on the wire as the text it is (a 270 to the payer sandbox, an 835 to billing)."""
    return {"data": value if isinstance(value, bytes) else str(value).encode()}


@pytest.fixture
def admin_token(db: Database) -> str:
    return auth.issue_token(db, f"fuzz-{os.urandom(4).hex()}", Role.ADMIN)


@pytest.fixture
def service_env(service_url: str, redis_url: str, payer_sandbox) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        **os.environ,
        "POSTGRES_URL": service_url,
        "REDIS_URL": redis_url,
        "PAYER_SANDBOX_URL": payer_sandbox.url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-fuzz-{os.urandom(4).hex()}:",
    }


def _schema(app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", app, config=_config())


@pytest.fixture
def compliance_schema(build_app, service_env: dict[str, str]) -> Any:  # type: ignore[no-untyped-def]
    return _schema(build_app(compliance.create_app, compliance.ComplianceSettings.from_env(service_env)))


@pytest.fixture
def verify_schema(build_app, service_env: dict[str, str]) -> Any:  # type: ignore[no-untyped-def]
    return _schema(build_app(insurance_verify.create_app, insurance_verify.VerifySettings.from_env(service_env)))


@pytest.fixture
def billing_schema(build_app, served_app, service_env: dict[str, str], admin_token: str) -> Any:  # type: ignore[no-untyped-def]
    verify = served_app(build_app(insurance_verify.create_app, insurance_verify.VerifySettings.from_env(service_env)))
    env = {**service_env, "INSURANCE_VERIFY_URL": verify.url, "INTELLUXE_SERVICE_TOKEN": admin_token}
    return _schema(build_app(billing.create_app, billing.BillingSettings.from_env(env)))


@pytest.fixture
def sandbox_schema() -> Any:
    return _schema(payer_sandbox.create_app(payer_sandbox.SandboxSettings.from_env({})))


def _fuzz(schema: Any, token: str) -> None:
    """Every operation, with schema-valid and with schema-invalid input; every failure reported, not only the
    first (hypothesis shrinks each to its smallest example)."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _check(operation, mode, token)
            except Unsatisfiable:  # nothing to get wrong: an operation without parameters or body (GET /health)
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # noqa: BLE001 - each operation's finding is collected and all are shown
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


def _check(operation: Any, mode: GenerationMode, token: str) -> None:
    # An X12 body is documented as text: no JSON Schema can say which text is a readable 270 or 835, so a
    # "schema-valid" one is mostly refused 400 invalid_x12 (the X12 suites test what the readers accept).
    excluded = [positive_data_acceptance] if _takes_x12(operation) else []
    # The token is fixed, not generated: a negative case must break the input, not the credentials.
    strategy = operation.as_strategy(generation_mode=mode, headers={"Authorization": f"Bearer {token}"})

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(excluded_checks=excluded)

    run()


def _takes_x12(operation: Any) -> bool:
    body = operation.definition.raw.get("requestBody", {})
    return "application/edi-x12" in body.get("content", {})


def test_compliance(compliance_schema: Any, admin_token: str) -> None:
    _fuzz(compliance_schema, admin_token)


def test_insurance_verify(verify_schema: Any, admin_token: str) -> None:
    _fuzz(verify_schema, admin_token)


def test_billing(billing_schema: Any, admin_token: str) -> None:
    _fuzz(billing_schema, admin_token)


def test_payer_sandbox(sandbox_schema: Any, admin_token: str) -> None:
    _fuzz(sandbox_schema, admin_token)
