"""Routing dictation work to plugins by `config/agent_routing.yml`: the router, and the file's validated shape.

`AgentRouter` (agent_router.py) picks the transcriber per request class and the processor per document type;
`routing_config.py` holds the file's model, the list of switches that have no implementation yet
(`NOT_IMPLEMENTED`) and the checks against the plugin registry. docs/agent-orchestration-roadmap.md describes both.
`performance.py` (imported by itself: it brings psycopg2 and Prometheus, which `router check` does not need) records
each plugin's calls and accuracy and reports them (`intelluxe router report`).
"""

from __future__ import annotations

from core.orchestration.agent_router import DOCUMENT_TYPES, REQUEST_CLASSES, AgentRouter, default_routing_path
from core.orchestration.routing_config import (
    NOT_IMPLEMENTED,
    RoutingConfig,
    RoutingConfigError,
    load_routing,
    validate_routing,
)

__all__ = [
    "DOCUMENT_TYPES",
    "NOT_IMPLEMENTED",
    "REQUEST_CLASSES",
    "AgentRouter",
    "RoutingConfig",
    "RoutingConfigError",
    "default_routing_path",
    "load_routing",
    "validate_routing",
]
