# shellcheck shell=bash
# Sourced once by the postgres image's first start (an empty data folder), after the schema files made the role
# intelluxe_service: with INTELLUXE_SERVICE_DB_PASSWORD in the container's environment, the services' role can log
# in over the network with it (password authentication; the role has no password until then). `intelluxe up
# --backend docker` sets it again on every start, so an existing volume gets it too. Not a migration: `intelluxe
# migrate` reads postgres/init only. Works with the official postgres image and docker/postgres alike (both source
# *.sh files of /docker-entrypoint-initdb.d with the server listening on its socket only).
if [ -n "${INTELLUXE_SERVICE_DB_PASSWORD:-}" ]; then
  psql -v ON_ERROR_STOP=1 -X -q --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" -v pw="$INTELLUXE_SERVICE_DB_PASSWORD" \
    <<<"ALTER ROLE intelluxe_service WITH LOGIN PASSWORD :'pw';"
  echo "50-service-login.sh: intelluxe_service may log in with INTELLUXE_SERVICE_DB_PASSWORD"
fi
