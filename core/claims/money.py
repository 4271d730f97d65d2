"""Validated money and rate types for request models: Decimal, never float, at most cents."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field


def _cents_only(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimal places")
    return value


# Amounts arrive as JSON numbers or strings; pydantic turns both into Decimal without a float in between.
Money = Annotated[Decimal, Field(ge=0, max_digits=12, allow_inf_nan=False), AfterValidator(_cents_only)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=12, allow_inf_nan=False), AfterValidator(_cents_only)]
Rate = Annotated[Decimal, Field(ge=0, le=1, max_digits=6, allow_inf_nan=False)]
