#!/usr/bin/env bash
# Summary: Run every check: ruff, shellcheck, the Python tests (unit + integration) and the runner's bats tests
# Usage: scripts/test.sh [pytest arguments]
#
# Integration tests use POSTGRES_URL / REDIS_URL when set, else embedded servers they start themselves.
# Installs .venv first when it is missing (scripts/dev-setup.sh).
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ -x .venv/bin/python ] || scripts/dev-setup.sh
venv="$root/.venv/bin"

echo "== ruff"
"$venv/ruff" check core services tests scripts clients
"$venv/ruff" format --check core services tests scripts clients

echo "== shellcheck"
shellcheck -x universal-service-runner.sh libexec/usr-* scripts/*.sh scripts/bench/*.sh .ci/run
shellcheck -s bash tests/runner/*.bash

echo "== pytest"
status=0
"$venv/python" -m pytest "$@" || status=$?

echo "== bats"
tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
bats --tap tests/runner | tee "$tap" || true
passed="$(grep -c '^ok ' "$tap" || true)"
failed="$(grep -c '^not ok ' "$tap" || true)"
planned="$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)"
if [ -z "$planned" ] || [ $((passed + failed)) -ne "$planned" ]; then
  echo "bats: planned ${planned:-?} tests but ran $((passed + failed))" >&2
  failed=$((failed + 1))
fi
echo "bats: $passed passed, $failed failed"

[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
