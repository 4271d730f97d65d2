"""Reading payers' drug lists in the CMS QHP format: the published example shape, what published files add or miss,
lookups, and the fetch that keeps its last good copy."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
import requests

from core.payers.formulary import Formulary, FormularyError, FormularySource


def _sandbox_file() -> bytes:
    return resources.files("payer_sandbox").joinpath("qhp_drugs.json").read_bytes()


def test_the_published_example_and_what_real_files_add() -> None:
    formulary = Formulary.from_json(_sandbox_file())
    assert formulary.skipped == 1  # the entry without its flags: skipped, not fatal
    (tylenol,) = formulary.lookup(rxnorm_id="209459")
    assert [p.plan_id for p in tylenol.plans] == ["12345XX9876543", "12345XX9876542", "12345XX9876541"]
    (amlodipine,) = formulary.lookup(rxnorm_id="197361")
    # the two spellings of the preventive tier read as the CMS one; tiers upper-case; `years` kept
    assert [p.drug_tier for p in amlodipine.plans] == ["ZERO-COST-SHARE-PREVENTIVE", "PREFERRED-GENERIC"]
    assert amlodipine.plans[1].years == [2025, 2026] and amlodipine.plans[1].step_therapy


def test_lookup_by_name_and_plan() -> None:
    formulary = Formulary.from_json(_sandbox_file())
    assert [d.rxnorm_id for d in formulary.lookup(drug_name="zithromax")] == ["248656"]
    (azithro,) = formulary.lookup(drug_name="Azithromycin", plan_id="12345XX9876543")
    assert [(p.plan_id, p.quantity_limit) for p in azithro.plans] == [("12345XX9876543", True)]
    assert formulary.lookup(rxnorm_id="248656", plan_id="12345XX9876541") == []  # that plan does not list it
    with pytest.raises(ValueError, match="rxnorm_id or drug_name"):
        formulary.lookup()


def test_numbers_as_rxcui_and_extra_fields_are_read() -> None:
    entry: dict[str, Any] = {
        "rxnorm_id": 209459,
        "drug_name": "x",
        "issuer_note": "ignored",
        "plans": [
            {
                "plan_id": "12345XX9876543",
                "drug_tier": "generic",
                "prior_authorization": False,
                "step_therapy": False,
                "quantity_limit": False,
                "last_updated_on": "2026-01-01",
            }
        ],
    }
    (drug,) = Formulary.from_json(json.dumps([entry])).drugs
    assert drug.rxnorm_id == "209459"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<html>not found</html>", "not JSON"),
        (b'{"drugs": []}', "expected a JSON array"),
        (b'[{"rxnorm_id": "1"}, {"drug_name": "x"}]', "none of the 2 entries"),
    ],
)
def test_what_is_not_a_drug_list_is_refused_by_name(payload: bytes, message: str) -> None:
    with pytest.raises(FormularyError, match=message):
        Formulary.from_json(payload)


class _Reply:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self._body = body

    def __enter__(self) -> _Reply:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def iter_content(self, size: int) -> list[bytes]:
        return [self._body]


def test_the_source_refreshes_after_its_ttl_and_keeps_the_last_good_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    replies = [_Reply(200, _sandbox_file()), _Reply(503, b""), _Reply(200, b"[]")]
    calls: list[str] = []

    def fake_get(url: str, **kwargs: Any) -> _Reply:
        calls.append(url)
        return replies.pop(0)

    monkeypatch.setattr(requests, "get", fake_get)
    source = FormularySource(
        "https://issuer.example/drugs.json", ttl_seconds=100, timeout_seconds=5, clock=lambda: now[0]
    )
    first, age = source.get()
    assert age == 0 and len(first.drugs) == 4
    now[0] = 50
    assert source.get() == (first, 50) and len(calls) == 1  # within the TTL: no fetch
    now[0] = 150
    assert source.get() == (first, 150) and len(calls) == 2  # refresh failed (503): the last good copy, its age
    now[0] = 151
    empty, age = source.get()
    assert empty.drugs == [] and age == 0 and len(calls) == 3


def test_a_source_that_never_fetched_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(url: str, **kwargs: Any) -> _Reply:
        raise requests.ConnectionError("refused")

    monkeypatch.setattr(requests, "get", refused)
    source = FormularySource("https://issuer.example/drugs.json", ttl_seconds=100, timeout_seconds=5)
    with pytest.raises(FormularyError, match=r"issuer\.example is unreachable \(ConnectionError\)"):
        source.get()
