"""Files as payers and clearinghouses publish them: batches of transaction sets, groups and interchanges, each read;
whitespace as people and tools leave it; bad values reported against their own transaction (issue 11)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.x12 import X12ParseError, iter_segments, read_remittances
from core.x12.reader import SegmentStream

FIXTURES = Path(__file__).parent / "fixtures"
ONE = (FIXTURES / "835_remittance.x12").read_text()
ISA, GS, *BODY, GE, IEA = [line for line in ONE.splitlines() if line]
ST_TO_SE = BODY  # ST … SE of the one payment


def _payment(check: str, control: str) -> list[str]:
    """The fixture's payment as another transaction set: its own ST02/SE02 and trace (TRN02) number."""
    out = []
    for seg in ST_TO_SE:
        if seg.startswith("ST*835*"):
            seg = f"ST*835*{control}~"
        elif seg.startswith("SE*"):
            seg = f"SE*{seg.split('*')[1]}*{control}~"
        elif seg.startswith("TRN*1*"):
            seg = seg.replace("EFT0004711", check)
        out.append(seg)
    return out


def _group(payments: list[list[str]], number: str) -> list[str]:
    return [GS.replace("*201*X*", f"*{number}*X*"), *(s for p in payments for s in p), f"GE*{len(payments)}*{number}~"]


def _interchange(groups: list[list[str]], control: str) -> str:
    isa = ISA.replace("*000000201*", f"*{control}*")
    lines = [isa, *(s for g in groups for s in g), f"IEA*{len(groups)}*{control}~"]
    return "\n".join(lines) + "\n"


def test_every_transaction_of_every_group_of_every_interchange_is_read() -> None:
    """Six payments: three in one group, one in a second group, two in a second interchange (was: the first only)."""
    first = _interchange(
        [_group([_payment(f"EFT{n}", f"000{n}") for n in (1, 2, 3)], "301"), _group([_payment("EFT4", "0004")], "302")],
        "000000301",
    )
    second = _interchange([_group([_payment(f"EFT{n}", f"000{n}") for n in (5, 6)], "303")], "000000302")
    reads = read_remittances(first + second)
    assert [r.value.check_number for r in reads if r.value] == [f"EFT{n}" for n in range(1, 7)]
    assert all(r.error is None for r in reads)
    assert sum(len(r.value.claims) for r in reads if r.value) == 6 * 4
    assert [r.control_number for r in reads] == ["0001", "0002", "0003", "0004", "0005", "0006"]
    assert reads[0].position == 3 and reads[-1].position > reads[-2].position


def test_a_bad_value_rejects_its_own_transaction_only() -> None:
    bad = [s.replace("DTM*472*20260110", "DTM*472*20261340") for s in _payment("EFT2", "0002")]
    assert bad != _payment("EFT2", "0002")
    text = _interchange([_group([_payment("EFT1", "0001"), bad, _payment("EFT3", "0003")], "301")], "000000301")
    first, second, third = read_remittances(text)
    assert first.value is not None and third.value is not None
    assert second.value is None and second.error is not None
    assert "(DTM): DTM02 is not a CCYYMMDD date" in str(second.error) and second.error.position > second.position


@pytest.mark.parametrize("amount", ["1E+50", "9" * 32, "+5", "1,000.00"])
def test_a_huge_or_odd_amount_is_a_parse_error_naming_the_segment(amount: str) -> None:
    text = ONE.replace("CLP*PA1001*1*160.5*", f"CLP*PA1001*1*{amount}*")
    [read] = read_remittances(text)
    assert read.value is None
    assert "(CLP): CLP03 is not a number of at most 18 digits" in str(read.error)


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("byte-order mark and CRLF", lambda t: "\ufeff" + t.replace("\n", "\r\n")),
        ("indented segments", lambda t: t.replace("\n", "\n    ").replace("\n    ISA", "\nISA")),
        ("tab-indented, one line", lambda t: t.replace("~\n", "~\t")),
        ("line break before each terminator", lambda t: t.replace("~\n", "\n~")),
        ("CRLF before each terminator", lambda t: t.replace("~\n", "\r\n~\r\n")),
        ("trailing spaces before the line break", lambda t: t.replace("~\n", "   ~  \r\n")),
        ("a segment a line, no terminator but the line break", None),
    ],
)
def test_whitespace_as_published_reads_the_same(name: str, change) -> None:  # type: ignore[no-untyped-def]
    expected = read_remittances(ONE)[0].value
    text = ONE.replace("~\n", "\n") if change is None else change(ONE)  # None: the line break is the terminator
    [read] = read_remittances(text)
    assert read.error is None, (name, read.error)
    assert read.value == expected, name


def test_values_do_not_keep_the_spaces_before_a_line_break() -> None:
    text = ONE.replace("NM1*QC*1*DOE*JANE****MI*XYZ123456789~", "NM1*QC*1*DOE*JANE****MI*XYZ123456789   \r\n~")
    assert text != ONE
    claims = read_remittances(text)[0].value.claims  # type: ignore[union-attr]
    assert claims[0].patient_member_id == "XYZ123456789"


def test_the_tokenizer_takes_text_in_pieces() -> None:
    """Fed a character at a time, the stream gives the same segments as the whole text (no quadratic re-copy is
    visible here; scripts/bench/bench_x12.py measures the time)."""
    two = ONE + ONE.replace("000000201", "000000202")
    stream = SegmentStream()
    pieces = []
    for ch in two:
        stream.receive_data(ch)
        while (seg := stream.next_segment()) is not None:
            pieces.append(seg)
    stream.end_of_input()
    pieces.extend(stream)
    assert [(s.tag, s.elements) for s in pieces] == [(s.tag, s.elements) for s in iter_segments(two)]


@pytest.mark.parametrize(("version", "ok"), [("004010X091A1", True), ("005010X221A1", True), ("003070", False)])
def test_4010_is_read_and_an_unknown_version_is_named(version: str, ok: bool) -> None:
    text = ONE.replace("*005010X221A1~", f"*{version}~")
    [read] = read_remittances(text)
    assert (read.error is None) is ok
    if not ok:
        assert "version '003070' is not supported" in str(read.error)


def test_a_file_without_an_835_is_an_error() -> None:
    with pytest.raises(X12ParseError, match="no 835 transaction set"):
        read_remittances(ONE.replace("ST*835*", "ST*834*").replace("GS*HP*", "GS*BE*"))


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", "x12", "read-835", *args], input=stdin, capture_output=True, text=True
    )


def test_read_835_prints_every_payment_and_exits_1_when_one_is_unreadable() -> None:
    bad = [s.replace("BPR*I*142.5*", "BPR*I**") for s in _payment("EFT2", "0002")]
    text = _interchange([_group([_payment("EFT1", "0001"), bad], "301")], "000000301")
    done = _cli("-", stdin=text)
    assert done.returncode == 1
    assert "1 of 2 835 transaction sets could not be read" in done.stderr
    first, second = json.loads(done.stdout)["transactions"]
    assert first["payment_amount"] == "142.50" and first["check_number"] == "EFT1"
    assert first["claims"][0] == {
        "claim_id": "PA1001",
        "status_code": "1",
        "charge_amount": "160.50",
        "paid_amount": "90.00",
        "patient_responsibility": "45.00",
    }
    assert first["provider_adjustments"] == [{"reason_code": "L6", "amount": "-2.50"}]
    assert second["position"] > 3 and "BPR02 is required" in second["error"]
    assert Decimal(first["payment_amount"]) == sum(Decimal(c["paid_amount"]) for c in first["claims"]) + Decimal("2.50")


def test_read_835_of_one_payment_exits_0() -> None:
    done = _cli(str(FIXTURES / "835_remittance.x12"))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["transactions"]) == 1


def test_a_damaged_line_rejects_its_own_transaction_only() -> None:
    """A line that is no segment (a transmission error, a stray paste) inside one payment: that payment is reported
    damaged with the line's position; the others are read (the whole file was refused)."""
    damaged = _payment("EFT2", "0002")
    damaged.insert(5, "X.5520NN142*14*B2:0202309NN08956B0~")
    damaged[-1] = f"SE*{len(damaged)}*0002~"
    text = _interchange([_group([_payment("EFT1", "0001"), damaged, _payment("EFT3", "0003")], "301")], "000000301")
    first, second, third = read_remittances(text)
    assert first.value is not None and third.value is not None
    assert second.value is None and "transaction set is damaged (segment" in str(second.error)
    with pytest.raises(X12ParseError, match="not a segment"):
        list(iter_segments(text))  # the strict tokenizer still refuses it
