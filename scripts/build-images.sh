#!/usr/bin/env bash
# Summary: Build the service image every Python service's .conf runs (intelluxe-service:latest)
# Usage: scripts/build-images.sh [--dry-run] [--tag TAG]
#
# The .conf files name intelluxe-service:latest; --tag adds another tag (e.g. a release version) to the same
# build. --dry-run prints the docker argv, shell-quoted, and builds nothing.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dry_run=0
tags=(intelluxe-service:latest)
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --tag)
      [ $# -ge 2 ] || { echo "build-images: --tag needs a value" >&2; exit 1; }
      tags+=("intelluxe-service:$2")
      shift
      ;;
    *)
      sed -n 's/^# \(Usage: .*\)/\1/p' "$0" >&2
      exit 1
      ;;
  esac
  shift
done

argv=(docker build --file "$root/docker/Dockerfile")
for tag in "${tags[@]}"; do argv+=(--tag "$tag"); done
argv+=("$root")

if [ "$dry_run" -eq 1 ]; then
  printf '%q' "${argv[0]}"
  printf ' %q' "${argv[@]:1}"
  printf '\n'
  exit 0
fi
"${argv[@]}"
