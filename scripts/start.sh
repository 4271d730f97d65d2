#!/usr/bin/env bash
# Summary: Set up and run the whole suite on this machine: .venv, embedded PostgreSQL and Redis, every service
# Usage: scripts/start.sh [intelluxe up options]
#
# Needs only Python 3.11+, bash and openssl (for the receiver's certificates): no Docker, no database. Stop everything with `.venv/bin/intelluxe down`.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/dev-setup.sh"
cd "$root"
exec "$root/.venv/bin/intelluxe" up "$@"
