"""Sign-in throttling: failed sign-ins are counted per subject (an account name, or token sign-ins from one address)
and per client address, over a sliding window, in PostgreSQL (so every worker and every console replica counts the
same failures). Past the limit, the console refuses to even check the password until the window has passed: a
guesser gets `max_failures` tries per account per window, and an address four times that across accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.db import Database

ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class Throttle:
    max_failures: int
    window: timedelta

    def blocked(self, db: Database, subject: str, client_ip: str | None) -> bool:
        row = db.fetchone(
            """
            SELECT count(*) FILTER (WHERE subject = %s) AS by_subject,
                   count(*) FILTER (WHERE client_ip IS NOT DISTINCT FROM %s) AS by_address
            FROM console_sign_in_failures
            WHERE at > now() - %s AND (subject = %s OR client_ip IS NOT DISTINCT FROM %s)
            """,
            (subject, client_ip, self.window, subject, client_ip),
        )
        assert row is not None
        return row["by_subject"] >= self.max_failures or row["by_address"] >= self.max_failures * ADDRESS_FACTOR

    def failed(self, db: Database, subject: str, client_ip: str | None) -> None:
        """Count a failure (and forget this subject's failures older than the window)."""

        def work(cur):  # type: ignore[no-untyped-def]
            cur.execute(
                "DELETE FROM console_sign_in_failures WHERE subject = %s AND at <= now() - %s", (subject, self.window)
            )
            cur.execute(
                "INSERT INTO console_sign_in_failures (subject, client_ip) VALUES (%s, %s)", (subject, client_ip)
            )

        db.run(work)

    def succeeded(self, db: Database, subject: str) -> None:
        db.execute("DELETE FROM console_sign_in_failures WHERE subject = %s", (subject,))
