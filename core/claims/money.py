"""Money: Decimal, never float; rounded to cents half-up at the edges; validated types for request models."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from core.shapes import off_shape

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """The one rounding of money in the suite: to cents, half-up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cents_only(value: Decimal) -> Decimal:
    if value != value.quantize(CENT):
        raise off_shape("must have at most two decimal places")
    return value


# Amounts arrive as JSON numbers or strings; pydantic turns both into Decimal without a float in between. The
# documented schema says which strings (pydantic's own says any string, and "" is then refused with a 400).
_CENTS = r"\d{1,10}(\.\d{1,2})?"


def amount_schema(number: dict[str, object], pattern: str) -> WithJsonSchema:
    """A decimal's documented schema: a JSON number within `number`'s bounds, or a string matching `pattern`."""
    return WithJsonSchema({"anyOf": [{"type": "number", **number}, {"type": "string", "pattern": pattern}]})


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, allow_inf_nan=False),
    AfterValidator(_cents_only),
    amount_schema({"minimum": 0, "maximum": 9999999999.99, "multipleOf": 0.01}, f"^{_CENTS}$"),
]
PositiveMoney = Annotated[
    Decimal,
    Field(gt=0, max_digits=12, allow_inf_nan=False),
    AfterValidator(_cents_only),
    amount_schema({"exclusiveMinimum": 0, "maximum": 9999999999.99, "multipleOf": 0.01}, rf"^(?!0+(\.0+)?$){_CENTS}$"),
]
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=6, allow_inf_nan=False),
    amount_schema({"minimum": 0, "maximum": 1}, r"^(0(\.\d{1,5})?|1(\.0{1,5})?)$"),
]

# Money and rates in an answer: Decimal inside, a JSON number on the wire (core.web's JSON provider writes it, the
# seed's clients read numbers), so the documented schema says number; read back, it is Decimal again.
MoneyOut = Annotated[Decimal, WithJsonSchema({"type": "number"})]
RateOut = Annotated[Decimal, WithJsonSchema({"type": "number"})]
