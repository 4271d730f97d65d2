"""pyx12, the implementation-guide validator, wrapped: one call, a list of problems, never an exception.

pyx12 reports through three channels (its return value, warnings/errors on its logger, and a JSON error document)
and can itself crash on some inputs (writing a 999 for certain 835s); this gathers all of them into one list. The
problems quote the document, so they are for the caller who sent it, never for logs.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Validation:
    problems: list[str]
    ack_999: str

    @property
    def ok(self) -> bool:
        return not self.problems


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _json_errors(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and value:
                yield from value
            else:
                yield from _json_errors(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_errors(item)


def pyx12_validate(text: str, *, with_999: bool = True) -> Validation:
    """Validate an interchange against pyx12's implementation-guide maps (837P 5010 A1, 835 5010, ...).

    pyx12 cannot write a 999 for an 835 without ST03 (its map marks ST03 unused), hence `with_999=False` there.
    """
    import pyx12.params
    import pyx12.x12n_document

    handler = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False  # its findings are returned, not logged
    fd_997, fd_json = io.StringIO(), io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), fd_997 if with_999 else None, None, None, fd_json
        )
    except Exception as exc:  # noqa: BLE001 - pyx12 crashing is a finding, not our failure
        return Validation([f"pyx12 could not validate the document ({type(exc).__name__})"], "")
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    problems = [f"log: {m}" for m in handler.messages]
    problems += [f"json: {e}" for e in _json_errors(json.loads(fd_json.getvalue() or "{}"))]
    if not ok:
        problems.append("x12n_document returned False")
    return Validation(problems, fd_997.getvalue())
