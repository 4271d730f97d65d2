"""`intelluxe x12 read-271`: a 271 file in, the Coverage JSON out; malformed input exits non-zero, named."""

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "x12", "read-271", *args], input=stdin, capture_output=True, text=True
    )


def test_prints_exactly_the_keys_the_271_carries() -> None:
    done = _run(str(FIXTURES / "271_active.x12"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "eligibility_status": "active",
        "member_id": "XYZ123456789",
        "payer_id": "87726",
        "plan_name": "GOLD PPO 1500",
        "effective_date": "2026-01-01",
        "termination_date": "2026-12-31",
        "deductible": "1500.00",
        "deductible_remaining": "1200.00",
        "family_deductible_remaining": "2500.00",
        "coinsurance_rate": "0.20",
        "copay_amount": "25.00",
        "out_of_pocket_max": "6000.00",
        "out_of_pocket_remaining": "5500.50",
        "authorization_required_codes": ["70553", "72148"],
        "out_of_network": {
            "deductible": "3000.00",
            "deductible_remaining": "2950.00",
            "out_of_pocket_max": "12000.00",
            "copay_amount": "50.00",
            "coinsurance_rate": "0.40",
        },
    }


def test_reads_stdin_with_other_delimiters() -> None:
    done = _run("-", stdin=(FIXTURES / "271_family.x12").read_text())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["eligibility_status"] == "active"


def test_malformed_input_exits_1_naming_the_segment() -> None:
    text = (FIXTURES / "271_active.x12").read_text()
    broken = text.replace("GE*", "EB*1~\nGE*", 1)  # a segment between transaction sets: the envelopes are broken
    done = _run("-", stdin=broken)
    assert done.returncode == 1
    assert done.stderr.startswith("intelluxe: -: segment ")
    assert "XYZ123456789" not in done.stderr


def test_a_trailer_that_does_not_match_is_a_warning_not_a_failure() -> None:
    """Published and real 271s often carry a wrong SE01 after hand edits: the answer is read, the mismatch said."""
    text = (FIXTURES / "271_active.x12").read_text()
    done = _run("-", stdin=text.replace("SE*", "SE*9", 1))
    assert done.returncode == 0
    assert json.loads(done.stdout)["eligibility_status"] == "active"
    assert "warning: segment" in done.stderr and "(SE): SE01 says 9" in done.stderr


def test_a_missing_file_exits_1() -> None:
    done = _run("/nonexistent/file.x12")
    assert done.returncode == 1
    assert "No such file or directory" in done.stderr
