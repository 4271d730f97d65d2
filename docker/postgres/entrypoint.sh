#!/usr/bin/env bash
# Summary: Start PostgreSQL in the container, making and seeding the cluster on the first start
# Usage: intelluxe-postgres-entrypoint postgres [SERVER OPTIONS]
#        intelluxe-postgres-entrypoint OTHER COMMAND…
#
# The contract of the official postgres image, the part postgres.conf uses: POSTGRES_USER (default postgres) is the
# superuser, POSTGRES_PASSWORD its password (required: there is no passwordless network login), POSTGRES_DB
# (default POSTGRES_USER) is created, and /docker-entrypoint-initdb.d/*.sql and *.sh run once, in name order,
# against that database, on a private socket before the server listens on the network. Started as root, it gives the
# data folder (often a bind mount) to the postgres user and drops to it. The password is read from the environment
# and handed to initdb through a pipe; it is never printed.
set -euo pipefail

die() {
  printf 'intelluxe-postgres: %s\n' "$*" >&2
  exit 1
}

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"

first_start() {
  [ -n "${POSTGRES_PASSWORD:-}" ] ||
    die "POSTGRES_PASSWORD is empty; set it (the runner takes it from \$INTELLUXE_HOME/secrets.env)"
  echo "intelluxe-postgres: first start: initdb in $PGDATA (superuser $user, database $db)"
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
  # Other containers reach it over the network with the password; the socket stays trust for the healthcheck.
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

  # A private server: the socket only, so nothing connects before the schema is in place.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" -w start >/dev/null
  local -a psql=(psql -v ON_ERROR_STOP=1 -X -q --no-psqlrc -h /var/run/postgresql -U "$user")
  if [ "$db" != postgres ]; then
    "${psql[@]}" -d postgres -v db="$db" <<<'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql)
        echo "intelluxe-postgres: running $f"
        "${psql[@]}" -d "$db" -f "$f"
        ;;
      *.sh)
        echo "intelluxe-postgres: sourcing $f"
        # shellcheck disable=SC1090 # an init script the operator mounts
        source "$f"
        ;;
      *) [ ! -e "$f" ] || echo "intelluxe-postgres: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "intelluxe-postgres: first start done"
}

[ -s "$PGDATA/PG_VERSION" ] || first_start
exec "$@" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql
