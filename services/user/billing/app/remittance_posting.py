"""Posting an 835: the payer's final word moves each claim to paid, partially paid, denied or reversed.

A file may be a batch: a clearinghouse sends many payments (one 835 transaction set each, in one or many
interchanges) in one file, and each is money the clinic received. Every transaction set is posted on its own, under
a savepoint of one database transaction that also holds the request's audit row, and reported with its outcome:
`posted`, `already_posted` (the same payment — payer name and TRN02 check/EFT number — was posted before: a file
sent twice never pays a claim twice) or `unreadable` (its own content is at fault: the error names the segment).
The readable ones are posted although another is not: posting them is safe to repeat, so the desk re-sends the
corrected file and the ones already in are reported `already_posted`. A CLP naming a claim we do not have is kept in
the remittance's `unmatched` and reported back — never dropped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import Json

from core.audit import RequestTrail
from core.db import Database
from core.errors import ApiError, api_error
from core.x12 import ClaimPayment, Remittance, TransactionRead, X12ParseError, read_remittances

Cursor = psycopg2.extensions.cursor

ZERO = Decimal("0")


class AlreadyPosted(ApiError):
    """This payer's check/EFT number was posted before."""

    code = "already_posted"


def claim_status(payment: ClaimPayment) -> str:
    """CLP02 and the amounts → our status. 4 denied, 22 reversal; processed claims are paid when nothing of the
    billed amount is left unaccounted (paid + patient share + contractual write-off), else partially paid."""
    if payment.status_code == "4":
        return "denied"
    if payment.status_code == "22":
        return "reversed"
    accounted = payment.paid + payment.patient_responsibility + payment.contractual
    return "paid" if accounted >= payment.billed else "partially_paid"


def post_835(db: Database, raw: str, *, posted_by: str, trail: RequestTrail) -> list[dict[str, Any]]:
    """Read an 835 file and post every transaction set in it, in one database transaction with the request's audit
    row; one result per transaction set, in file order.

    Raises 400 when the file is not X12 or holds no 835, or when no transaction set in it is readable; 409 when
    every one was posted before.
    """
    if not raw.strip():
        raise api_error("validation_error", "the body must be an X12 835", {"body": "empty"})
    try:
        reads = read_remittances(raw)
    except X12ParseError as exc:
        raise api_error("invalid_x12", f"not a readable 835: {exc}", {"body": str(exc)}) from None
    if all(read.error is not None for read in reads):
        errors = {f"transaction {read.position}": str(read.error) for read in reads}
        raise api_error("invalid_x12", f"no readable 835 transaction set: {reads[0].error}", errors)

    def write(cur: Cursor) -> list[dict[str, Any]]:
        results = [_post_one(cur, read, posted_by) for read in reads]
        posted = [r for r in results if r["status"] == "posted"]
        if not posted and all(r["status"] == "already_posted" for r in results):
            raise AlreadyPosted(message=f"the {len(results)} payment(s) of this file were already posted")
        trail.note(
            posted[0]["remittance_id"] if len(posted) == 1 else None,
            transactions=len(results),
            posted=len(posted),
            claims=sum(len(r["posted"]) for r in posted),
            unmatched=sum(len(r["unmatched"]) for r in posted),
        )
        trail.write_in(cur)
        return results

    return db.run(write, retries=0)


def _post_one(cur: Cursor, read: TransactionRead[Remittance], posted_by: str) -> dict[str, Any]:
    where = {"position": read.position, "control_number": read.control_number}
    if read.value is None:
        return {**where, "status": "unreadable", "error": str(read.error)}
    remittance = read.value
    cur.execute("SAVEPOINT remittance")
    try:
        result = post_remittance(cur, remittance, read.transaction.text(), posted_by=posted_by)
    except AlreadyPosted:
        cur.execute("ROLLBACK TO SAVEPOINT remittance")
        return {**where, "status": "already_posted", "check_number": remittance.check_number}
    cur.execute("RELEASE SAVEPOINT remittance")
    return {**where, "status": "posted", **result}


def post_remittance(cur: Cursor, remittance: Remittance, raw: str, *, posted_by: str) -> dict[str, Any]:
    remittance_id = _insert_remittance(cur, remittance, raw, posted_by)
    cur.execute(
        "SELECT claim_id FROM claims WHERE claim_id = ANY(%s) FOR UPDATE", ([p.claim_id for p in remittance.claims],)
    )
    known = {row["claim_id"] for row in cur.fetchall()}
    posted, unmatched = [], []
    for payment in remittance.claims:
        summary = {
            "claim_id": payment.claim_id,
            "status_code": payment.status_code,
            "billed": payment.billed,
            "paid": payment.paid,
            "patient_responsibility": payment.patient_responsibility,
        }
        if payment.claim_id not in known:
            unmatched.append(summary)
            continue
        status = _post_payment(cur, remittance_id, payment)
        posted.append(
            {
                **summary,
                "status": status,
                "deductible": payment.deductible,
                "coinsurance": payment.coinsurance,
                "copay": payment.copay,
            }
        )
    if unmatched:
        cur.execute(
            "UPDATE remittances SET unmatched = %s WHERE remittance_id = %s",
            (Json([{k: str(v) for k, v in u.items()} for u in unmatched]), remittance_id),
        )
    return {
        "remittance_id": remittance_id,
        "check_number": remittance.check_number,
        "total_paid": remittance.total_paid,
        "posted": posted,
        "unmatched": unmatched,
    }


def _insert_remittance(cur: Cursor, remittance: Remittance, raw: str, posted_by: str) -> str:
    """The remittance row (unique per payer and check/EFT number), or AlreadyPosted."""
    cur.execute("SAVEPOINT remit")
    try:
        cur.execute(
            """
            INSERT INTO remittances (payer_name, check_number, payment_date, total_paid, raw_835, posted_by)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING remittance_id
            """,
            (
                remittance.payer_name,
                remittance.check_number,
                remittance.payment_date,
                remittance.total_paid,
                raw,
                posted_by,
            ),
        )
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT remit")
        raise AlreadyPosted(message=f"check/EFT {remittance.check_number} from this payer was already posted") from None
    return str(cur.fetchone()["remittance_id"])


def _post_payment(cur: Cursor, remittance_id: str, payment: ClaimPayment) -> str:
    """One claim's payment row and the claim's new status and totals; returns the status."""
    status = claim_status(payment)
    cur.execute(
        """
        INSERT INTO claim_payments (remittance_id, claim_id, status_code, billed, paid, patient_responsibility,
                                    deductible, coinsurance, copay, payer_claim_number)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            remittance_id,
            payment.claim_id,
            payment.status_code,
            payment.billed,
            payment.paid,
            payment.patient_responsibility,
            payment.deductible,
            payment.coinsurance,
            payment.copay,
            payment.payer_claim_number,
        ),
    )
    # A claim can be paid in several remittances (and reversed): amounts are the sum of its payments.
    cur.execute(
        """
        UPDATE claims SET status = %s, updated_date = now(),
            paid_amount = (SELECT sum(paid) FROM claim_payments WHERE claim_id = %s),
            patient_amount = (SELECT sum(patient_responsibility) FROM claim_payments WHERE claim_id = %s)
        WHERE claim_id = %s
        """,
        (status, payment.claim_id, payment.claim_id, payment.claim_id),
    )
    return status
