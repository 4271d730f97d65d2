"""How answers are written as JSON: Decimal money as a JSON number, dates in ISO 8601, keys in the handler's order.

Money is Decimal inside and already rounded to cents by the domain code; the seed's clients expect numbers, so it
leaves as one (Flask's default would write a string). A float is exact for cents well below 2**53.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


class MoneyJSONProvider(DefaultJSONProvider):
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, datetime | date):
            return o.isoformat()
        return DefaultJSONProvider.default(o)
