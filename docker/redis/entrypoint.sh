#!/usr/bin/env bash
# Summary: Start redis-server as the redis user with its data in /data, as the official redis image does
# Usage: intelluxe-redis-entrypoint redis-server [OPTIONS]
#        intelluxe-redis-entrypoint OTHER COMMAND…
#
# Started as root, it gives /data (often a bind mount) to the redis user and drops to it. redis-server gets
# `--protected-mode no` (the official image builds it in): without a config file, protected mode refuses every
# client that is not on loopback, which would be every other container.
set -euo pipefail

if [ "${1:-}" != redis-server ]; then
  exec "$@"
fi
if [ "$(id -u)" -eq 0 ]; then
  chown redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
exec "$@" --protected-mode no
