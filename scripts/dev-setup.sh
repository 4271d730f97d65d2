#!/usr/bin/env bash
# Summary: Create .venv and install Intelluxe with its dev tools, the dictation extra and the dictation client
# Usage: scripts/dev-setup.sh
#
# Idempotent: an existing .venv is reused and brought up to date. PYTHON picks the interpreter (default python3,
# which must be 3.11 or newer).
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  { echo "dev-setup: $python is older than Python 3.11" >&2; exit 1; }
[ -x "$root/.venv/bin/python" ] || "$python" -m venv "$root/.venv"
"$root/.venv/bin/python" -m pip install --quiet --upgrade pip
"$root/.venv/bin/python" -m pip install --quiet -e "${root}[dev,audio]"
# The doctors' dictation client (its own package; the end-to-end tests run it against the receiver).
"$root/.venv/bin/python" -m pip install --quiet -e "${root}/clients/windows/intelluxe-audio-client"
echo "installed into $root/.venv (activate: source .venv/bin/activate)"
