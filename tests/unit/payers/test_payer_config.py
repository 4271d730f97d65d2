from pathlib import Path

import pytest

from core.payers.config import PayerConfigError, load_payers


def test_the_project_payers_load() -> None:
    payers = load_payers()
    assert set(payers) == {"anthem-bcbs", "unitedhealthcare", "cigna"}
    anthem = payers["anthem-bcbs"]
    assert anthem.x12_payer_id == "ANTHM"
    assert "70553" in anthem.prior_auth_codes
    assert anthem.endpoint({"PAYER_SANDBOX_URL": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9/x12/270"
    assert anthem.credential({}) is None  # auth type none


def test_an_unset_url_variable_is_named() -> None:
    with pytest.raises(PayerConfigError, match="needs PAYER_SANDBOX_URL, which is not set"):
        load_payers()["cigna"].endpoint({})


def _write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text)


GOOD = """payer_id: acme
name: Acme Health
x12_payer_id: "ACME1"
clearinghouse:
  url: "https://ch.example/x12/270"
  auth: {type: bearer, credential_env: ACME_TOKEN}
  submitter_id: CLINIC
  receiver_id: ACME1
prior_authorization:
  procedure_codes: ["70553"]
"""


def test_bearer_credentials_come_from_the_named_variable(tmp_path: Path) -> None:
    _write(tmp_path, "acme.yml", GOOD)
    acme = load_payers(tmp_path)["acme"]
    assert acme.credential({"ACME_TOKEN": "s3cret"}) == "s3cret"
    with pytest.raises(PayerConfigError, match="credential variable ACME_TOKEN is not set"):
        acme.credential({})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('["70553"]', '["7055"]'), r"prior_authorization\.procedure_codes: not CPT"),
        (lambda t: t.replace("payer_id: acme", "payer_id: Acme Health"), r"payer_id: String should match"),
        (lambda t: t.replace("type: bearer", "type: oauth"), r"clearinghouse\.auth\.type"),
        (lambda t: t + "surprise: 1\n", r"surprise: Extra inputs are not permitted"),
        (lambda t: t.replace("  submitter_id: CLINIC\n", ""), r"clearinghouse\.submitter_id: Field required"),
    ],
)
def test_a_bad_file_is_named_with_the_field(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    _write(tmp_path, "acme.yml", change(GOOD))
    with pytest.raises(PayerConfigError, match=rf"acme\.yml: .*{message}"):
        load_payers(tmp_path)


def test_two_files_with_one_payer_id_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yml", GOOD)
    _write(tmp_path, "b.yml", GOOD)
    with pytest.raises(PayerConfigError, match="payer_id 'acme' is also used"):
        load_payers(tmp_path)


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PayerConfigError, match="no payer files"):
        load_payers(tmp_path)
