#!/usr/bin/env bash
# Summary: Run the service benchmarks (verify, claims, audit, dictation, personalization); see scripts/bench/README.md
# Usage: scripts/bench/run-all.sh
#
# Uses the repository's .venv python if there is one, else python3. Each benchmark prints its figures, ratio and
# PASS / BELOW TARGET; this script runs them in turn and exits non-zero only if one of them failed to run or had failed
# requests. POSTGRES_URL / REDIS_URL select existing servers; without them each benchmark starts embedded ones.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [[ -x "$root/.venv/bin/python" ]]; then
    python="$root/.venv/bin/python"
elif command -v python3 >/dev/null 2>&1; then
    python="python3"
else
    echo "run-all.sh: neither $root/.venv/bin/python nor python3 found (run scripts/start.sh or install Python 3.11+)" >&2
    exit 1
fi

status=0
for bench in bench_verify.py bench_claims.py bench_audit.py bench_dictation.py bench_personalization.py; do
    if [[ "$bench" == bench_personalization.py ]] && ! "$python" -c "import torch, peft, transformers" 2>/dev/null; then
        echo "=== $bench skipped: the training extra is not installed (scripts/dev-setup.sh installs it)"
        echo
        continue
    fi
    echo "=== $bench ($python)"
    "$python" "$here/$bench" || { code=$?; echo "=== $bench exited with $code" >&2; status=$code; }
    echo
done
exit "$status"
