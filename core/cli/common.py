"""What the commands share: the error voice and the database they work on."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the database commands load these when they run; the offline tools never do
    from core.config import Settings
    from core.db import Database


def fail(message: str) -> int:
    print(f"intelluxe: {message}", file=sys.stderr)
    return 1


@contextmanager
def database(settings: Settings, *, migrated: bool = True) -> Iterator[Database]:
    """The configured database (with no POSTGRES_URL, the embedded one, started if need be — and then said on
    stderr, so nobody finds a server running that they did not start), schema applied."""
    from core import embedded
    from core.db import Database, migrate

    url = settings.postgres_url or embedded.postgres_url(settings.home)
    if url is None:
        print(
            f"postgres: the embedded server in {settings.home / 'pgdata'} was stopped; starting it "
            "(`intelluxe down` stops it again)",
            file=sys.stderr,
        )
        url = embedded.start_postgres(settings.home)
    db = Database(url, minconn=1, maxconn=2)
    try:
        if migrated:
            migrate(db)
        yield db
    finally:
        db.close()
