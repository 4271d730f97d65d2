#!/usr/bin/env bash
# Summary: Run one Intelluxe service from one .conf file, in Docker or as a host process
# Usage: universal-service-runner.sh [--dry-run] [--backend docker|local] [--timeout SECONDS] SERVICE CONF
#        universal-service-runner.sh stop SERVICE
#        universal-service-runner.sh status [SERVICE]
#        universal-service-runner.sh logs [-n LINES] SERVICE
#        universal-service-runner.sh conf CONF
#        universal-service-runner.sh help
#
# The service name comes from the command line, never from the file. The default backend is docker when a
# Docker engine answers, else local. Set INTELLUXE_DEBUG=1 to trace. Pids and logs of the local backend live
# under $INTELLUXE_HOME/run (default ./.intelluxe/run). ${NAME} in a .conf value comes from the environment or the
# 0600 file $INTELLUXE_HOME/secrets.env (generated once for the names in config/secrets.names); docs/containers.md.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

USR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export USR_ROOT
export USR_LIBEXEC="$USR_ROOT/libexec"
export INTELLUXE_HOME="${INTELLUXE_HOME:-.intelluxe}"
mkdir -p "$INTELLUXE_HOME"
INTELLUXE_HOME="$(cd "$INTELLUXE_HOME" && pwd)"

command_name="${1:-}"
case "$command_name" in
  "" | -h | --help | help)
    exec "$USR_LIBEXEC/usr-help"
    ;;
  stop | status | logs | conf | local-paths)
    shift
    exec "$USR_LIBEXEC/usr-$command_name" "$@"
    ;;
  start)
    shift
    exec "$USR_LIBEXEC/usr-start" "$@"
    ;;
  *)
    exec "$USR_LIBEXEC/usr-start" "$@"
    ;;
esac
