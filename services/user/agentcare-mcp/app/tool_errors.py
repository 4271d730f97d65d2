"""The one way a tool says no: `ToolFailure`, turned into an MCP tool error (`is_error`) and an audit outcome.

Its message reaches the caller and the audit row's error kind reaches the log, so it names fields, services and
HTTP statuses — never a value the caller sent (a member id, a name, a date of birth).
"""

from __future__ import annotations


class ToolFailure(Exception):
    """A call that cannot be answered: bad arguments, a role that may not call the tool, a service or payer that is
    down or refused. `outcome` is the audit outcome (failure or denied); `kind` a short machine-readable reason."""

    def __init__(
        self, message: str, *, kind: str, outcome: str = "failure", fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.outcome = outcome
        self.fields = fields or {}

    def text(self) -> str:
        """One line for the caller: the message, then each field and what is wrong with it."""
        if not self.fields:
            return self.message
        return self.message + ": " + "; ".join(f"{name}: {problem}" for name, problem in sorted(self.fields.items()))
