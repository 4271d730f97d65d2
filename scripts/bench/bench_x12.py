#!/usr/bin/env python3
"""X12 reading speed on large generated batches, as ratios of a plain `bytes.split` pass over the same bytes.

Why a ratio: seconds depend on the machine; splitting the file on its segment terminator is the least any reader
must do, so reader time ÷ split time says what tokenizing, envelope checks and the 835 reading cost on top, here.
Why two sizes: reading time grew quadratically with the number of interchanges in a file (10 MB of small 271
interchanges took 7.3 s, 20 MB 23 s); the time per MB at 5 and at 20 MB shows whether it is linear now.

Files (generated here, never stored; the generator is the project's own writer):
- 271 batch: many small interchanges, one 271 each (what a clearinghouse returns for a day's inquiries);
- 835 batch: one interchange, 835 transaction sets of 200 claims each (a month of remittances), about 17 MB.

Targets: the tokenizer ≥ 200,000 segments/s at any size; time per MB at 20 MB ≤ 1.5× the time per MB at 5 MB;
the 17 MB 835 read (`read_remittances`) in under 5 s on this machine. Prints PASS or BELOW TARGET; exits 0 either
way (1 only when something failed to run).

    python scripts/bench/bench_x12.py [--mb-835 17] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core.x12 import (  # noqa: E402
    Adjustment,
    ClaimPayment,
    CoverageAnswer,
    EligibilityRequest,
    PayerContact,
    Remittance,
    ServicePayment,
    build_271,
    build_835,
    iter_segments,
    parse,
    read_eligibility,
    read_remittances,
)

NOW = datetime(2026, 11, 24, 9, 0)
PAYER = PayerContact("987654321", "PO BOX 100", "HARTFORD", "CT", "06101", "8005550199")


def _271_interchange(n: int) -> str:
    request = EligibilityRequest(
        payer_id="87726",
        payer_name="ACME HEALTH",
        provider_npi="1234567893",
        provider_name="SMALL CLINIC",
        member_id=f"XYZ{n:09d}",
        member_first_name="JANE",
        member_last_name="DOE",
        member_birth_date=date(1980, 1, 1),
        service_date=date(2026, 11, 24),
        trace_number=f"TRACE{n:09d}",
        sender_id="CLINIC01",
        receiver_id="ACMEHEALTH",
    )
    answer = CoverageAnswer(
        plan_name="GOLD PPO",
        deductible=Decimal(1500),
        deductible_remaining=Decimal(1200),
        coinsurance_rate=Decimal("0.2"),
        copay=Decimal(25),
        out_of_pocket_max=Decimal(6000),
        out_of_pocket_remaining=Decimal("5500.50"),
    )
    return build_271(request, answer, control_number=n % 999_999_999 + 1, now=NOW)


def batch_271(megabytes: float) -> str:
    one = _271_interchange(1)
    count = max(1, int(megabytes * 1_000_000 / len(one)))
    return "".join(_271_interchange(n) for n in range(1, count + 1))


def _835_transaction_text(n: int, claims: int) -> str:
    """One 835 interchange's ST..SE lines (the envelope is put around all of them once)."""
    payments = [
        ClaimPayment(
            claim_id=f"CLM{n:05d}{k:04d}",
            status_code="1",
            billed=Decimal("450.00"),
            paid=Decimal("75.00"),
            patient_responsibility=Decimal("225.00"),
            payer_claim_number=f"PCN{n:05d}{k:04d}",
            adjustments=(Adjustment("CO", "45", Decimal("150.00")), Adjustment("PR", "1", Decimal("225.00"))),
            lines=(
                ServicePayment(
                    "99213", Decimal("450.00"), Decimal("75.00"), Decimal(1), service_date=date(2026, 11, 1)
                ),
            ),
            patient_last_name="DOE",
            patient_member_id=f"XYZ{k:09d}",
        )
        for k in range(claims)
    ]
    remittance = Remittance(
        payer_name="ACME HEALTH",
        payee_npi="1234567893",
        payee_name="SMALL CLINIC",
        check_number=f"EFT{n:08d}",
        payment_date=date(2026, 11, 24),
        total_paid=Decimal("75.00") * claims,
        claims=payments,
    )
    text = build_835(remittance, payer=PAYER, sender_id="ACMEHEALTH", receiver_id="CLINIC01", control_number=n, now=NOW)
    lines = text.splitlines()
    st = next(i for i, line in enumerate(lines) if line.startswith("ST*"))
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    return "\n".join(lines[st : se + 1]) + "\n"


def batch_835(megabytes: float, claims: int = 200) -> str:
    """One interchange and group holding as many 835 transaction sets as fit in `megabytes`."""
    sample = _835_transaction_text(1, claims)
    count = max(1, int(megabytes * 1_000_000 / len(sample)))
    header = build_835(
        Remittance("ACME HEALTH", "1234567893", "X", date(2026, 11, 24), Decimal(0), [], payee_name="SMALL CLINIC"),
        payer=PAYER,
        sender_id="ACMEHEALTH",
        receiver_id="CLINIC01",
        control_number=1,
        now=NOW,
    ).splitlines()
    isa, gs = header[0], header[1]
    body = "".join(
        _835_transaction_text(n, claims).replace("ST*835*0001~", f"ST*835*{n:04d}~", 1).replace("*0001~", f"*{n:04d}~")
        for n in range(1, count + 1)
    )
    control = isa.split("*")[13]
    return f"{isa}\n{gs}\n{body}GE*{count}*1~\nIEA*1*{control}~\n"


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measure_271(text: str, repeat: int) -> float:
    """One row of the 271 table; returns the read's seconds per MB."""
    data = text.encode()
    split = best_of(repeat, lambda: data.split(b"~"))
    segments = sum(1 for _ in iter_segments(text))
    tokenize = best_of(repeat, lambda: sum(1 for _ in iter_segments(text)))
    envelope = best_of(repeat, lambda: parse(text))
    reads = best_of(1, lambda: read_eligibility(text))
    size = len(data) / 1e6
    print(
        f"{'271 interchanges':<24}{size:>6.1f}{segments:>11,}{split:>9.3f}{tokenize:>12.2f}"
        f"{segments / tokenize:>11,.0f}{envelope:>9.2f}{reads:>9.2f}{reads / split:>11.0f}x"
    )
    rate = segments / tokenize
    print(f"  tokenizer {rate:,.0f} segments/s: {'PASS' if rate >= 200_000 else 'BELOW TARGET'} (target >= 200,000)")
    return reads / size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb-835", type=float, default=17.0, help="size of the generated 835 batch (default 17)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the fastest is kept")
    args = parser.parse_args(argv)

    print("X12 reading; baseline: bytes.split on the segment terminator over the same bytes (same run)")
    per_mb: dict[float, float] = {}
    print(
        f"{'file':<24}{'MB':>6}{'segments':>11}{'split s':>9}{'tokenize s':>12}{'seg/s':>11}{'parse s':>9}"
        f"{'read s':>9}{'read/split':>12}"
    )
    for megabytes in (5.0, 20.0):
        per_mb[megabytes] = measure_271(batch_271(megabytes), args.repeat)
    growth = per_mb[20.0] / per_mb[5.0]
    print(f"time per MB, 20 MB / 5 MB: {growth:.2f}x: {'PASS' if growth <= 1.5 else 'BELOW TARGET'} (linear: <= 1.5x)")

    text = batch_835(args.mb_835)
    data = text.encode()
    split = best_of(args.repeat, lambda: data.split(b"~"))
    started = time.perf_counter()
    reads = read_remittances(text)
    elapsed = time.perf_counter() - started
    claims = sum(len(r.value.claims) for r in reads if r.value is not None)
    failed = sum(r.error is not None for r in reads)
    if failed:
        print(f"bench_x12: {failed} generated 835 transaction sets did not read", file=sys.stderr)
        return 1
    print(
        f"835 batch {len(data) / 1e6:.1f} MB: {len(reads)} payments, {claims:,} claims read in {elapsed:.2f} s "
        f"({elapsed / split:.0f}x split {split:.3f} s): {'PASS' if elapsed < 5 else 'BELOW TARGET'} (target < 5 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
