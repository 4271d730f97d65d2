# shellcheck shell=bash
# Shared helpers of the runner's commands: the error voice, run-state paths, reading a parsed .conf, checking a
# value against its key, expanding ${NAME} references (environment, then $INTELLUXE_HOME/secrets.env) and finding a
# service's container. Sourced, never run; it defines functions and reads nothing from a .conf itself.

usr_die() {
  printf 'universal-service-runner: %s\n' "$*" >&2
  exit 1
}

# Print the calling command's Usage lines (its header comment is the help text) and exit 1.
usr_usage() {
  sed -n 's/^# \(Usage: .*\)/\1/p; s/^# \(       [a-z].*\)/\1/p' "$0" >&2
  exit 1
}

usr_check_service_name() {
  [[ "$1" =~ ^[a-z0-9][a-z0-9_.-]{0,62}$ ]] ||
    usr_die "service name '$1' must be lowercase letters, digits, '_', '.' or '-'"
}

usr_run_dir() {
  printf '%s/run' "$INTELLUXE_HOME"
}

# Fill the associative array CONF (declared by the caller) from usr-conf's validated key<TAB>value output.
usr_load_conf() {
  local file="$1" parsed key value
  parsed="$("$USR_LIBEXEC/usr-conf" "$file")" || exit 1
  while IFS=$'\t' read -r key value; do
    [ -n "$key" ] || continue
    # shellcheck disable=SC2034 # CONF is the caller's
    CONF["$key"]="$value"
  done <<<"$parsed"
}

# Print the absolute host folder of a volume's host side, relative paths taken from the .conf's folder.
usr_host_path() {
  local host="$1" conf_dir="$2"
  case "$host" in
    /*) printf '%s' "$host" ;;
    . | ./* | .. | ../*) realpath -m "$conf_dir/$host" ;;
    *) printf '%s' "$host" ;; # a named volume
  esac
}

usr_docker_answers() {
  command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1
}

# ------------------------------------------------------------------------------------------- values of each key

# Print why ITEM is not a valid item of the multi-valued KEY (port, volumes, env, tmpfs) and return 1; else 0.
usr_item_problem() {
  local key="$1" item="$2"
  case "$key" in
    port)
      [[ "$item" =~ ^(([0-9]{1,3}\.){3}[0-9]{1,3}:)?[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp|sctp))?$ ]] ||
        { printf "port '%s' is not [ip:]HOST:CONTAINER[/proto]" "$item" && return 1; }
      ;;
    volumes)
      [[ "$item" =~ ^[^:]+:/[^:]*(:(ro|rw|z|Z|ro,z|ro,Z|rw,z|rw,Z))?$ ]] ||
        { printf "volume '%s' is not HOST:/CONTAINER[:ro|rw]" "$item" && return 1; }
      ;;
    env)
      [[ "$item" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { printf "env item '%s' is not NAME=VALUE" "$item" && return 1; }
      ;;
    tmpfs)
      [[ "$item" =~ ^/[^[:space:]]*$ ]] || { printf "tmpfs '%s' is not /PATH[:OPTIONS]" "$item" && return 1; }
      ;;
  esac
  return 0
}

# Print why VAL is not a valid value of KEY and return 1; else 0. Items of multi-valued keys that hold a ${NAME}
# reference are checked once expanded (usr-start), so this skips them when SKIP_REFS=1 (usr-conf's first pass).
usr_value_problem() {
  local key="$1" val="$2" skip_refs="${3:-0}" item
  local -a items=()
  case "$key" in
    port | volumes | env | tmpfs)
      read -r -a items <<<"$val"
      for item in "${items[@]}"; do
        if [ "$skip_refs" -eq 1 ] && [ "$key" != env ] && [[ "$item" == *"\${"* ]]; then continue; fi
        usr_item_problem "$key" "$item" || return 1
      done
      return 0
      ;;
  esac
  if [ "$skip_refs" -eq 1 ] && [[ "$val" == *"\${"* ]]; then return 0; fi
  case "$key" in
    restart)
      [[ "$val" =~ ^(no|always|unless-stopped|on-failure(:[0-9]+)?)$ ]] ||
        { printf "restart '%s' is not no|always|unless-stopped|on-failure[:N]" "$val" && return 1; }
      ;;
    memory_limit)
      [[ "$val" =~ ^[0-9]+[bkmgBKMG]?$ ]] || { printf "memory_limit '%s' is not a size like 512m or 2g" "$val" && return 1; }
      ;;
    working_dir)
      [[ "$val" =~ ^/ ]] || { printf "working_dir '%s' must be an absolute path in the container" "$val" && return 1; }
      ;;
    network)
      [[ "$val" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || { printf "network '%s' is not a network name" "$val" && return 1; }
      ;;
    image)
      [[ "$val" =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || { printf "image '%s' is not an image reference" "$val" && return 1; }
      ;;
  esac
  return 0
}

# ------------------------------------------------------------------------------- ${NAME} references and secrets
# A .conf value may name ${NAME} or ${NAME:-default} (a password, or an image a site overrides). The value comes
# from the exported environment, else from $INTELLUXE_HOME/secrets.env (NAME=VALUE lines, read as data, mode 0600),
# else the default. A name listed in config/secrets.names that has no value yet gets a random one, written to
# secrets.env once (the file is created 0600 when missing). Anything else without a value is refused, by name.

USR_REF_RE='\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}$]*))?\}'

usr_secrets_file() {
  printf '%s/secrets.env' "$INTELLUXE_HOME"
}

# Refuse a secrets.env that others may read (as ssh refuses such a key).
usr_check_secrets_mode() {
  local file mode
  file="$(usr_secrets_file)"
  [ -f "$file" ] || return 0
  mode="$(stat -c '%a' "$file")"
  [ "$mode" = 600 ] || [ "$mode" = 400 ] ||
    usr_die "$file is mode $mode; it holds secrets, so it must be 600 (chmod 600 '$file')"
}

# Print the value of NAME in secrets.env; return 1 when the file or the name is missing.
usr_secrets_value() {
  local name="$1" file line
  file="$(usr_secrets_file)"
  [ -f "$file" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [ "${line%%=*}" = "$name" ]; then
      printf '%s' "${line#*=}"
      return 0
    fi
  done <"$file"
  return 1
}

usr_is_generated_secret() {
  local name="$1" listed
  [ -f "$USR_ROOT/config/secrets.names" ] || return 1
  while IFS= read -r listed || [ -n "$listed" ]; do
    [ "${listed%%#*}" = "$name" ] && return 0
  done <"$USR_ROOT/config/secrets.names"
  return 1
}

# Give NAME (listed in config/secrets.names) a random value in secrets.env, creating the file 0600 when missing.
# 48 hex digits: as strong as a password needs to be, and safe inside a URL such as POSTGRES_URL.
usr_generate_secret() {
  local name="$1" file value
  usr_is_generated_secret "$name" || return 1
  file="$(usr_secrets_file)"
  value="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  [ "${#value}" -eq 48 ] || usr_die "could not read 24 random bytes from /dev/urandom"
  (
    umask 077
    if [ ! -f "$file" ]; then
      # shellcheck disable=SC2016 # ${NAME} is text here
      printf '# Secrets the .conf files name as ${NAME}; written by universal-service-runner.sh. Keep this file\n' >"$file"
      printf '# (mode 600): a database was initialised with these values. Lines are NAME=VALUE, read as data.\n' >>"$file"
    fi
    printf '%s=%s\n' "$name" "$value" >>"$file"
  )
  printf 'universal-service-runner: %s: generated %s (random, kept in this 0600 file)\n' "$file" "$name" >&2
}

# Print VALUE with each ${NAME} / ${NAME:-default} replaced; WHERE (file and key) names the value in a refusal.
usr_expand() {
  local rest="$1" where="$2" out="" ref name value
  usr_has_ref "$rest" || {
    printf '%s' "$rest"
    return 0
  }
  usr_check_secrets_mode
  while [[ "$rest" =~ $USR_REF_RE ]]; do
    ref="${BASH_REMATCH[0]}"
    name="${BASH_REMATCH[1]}"
    local has_default="${BASH_REMATCH[2]}" default="${BASH_REMATCH[3]}"
    if value="$(printenv "$name")" && [ -n "$value" ]; then
      :
    elif value="$(usr_secrets_value "$name")" && [ -n "$value" ]; then
      :
    elif [ -n "$has_default" ]; then
      value="$default"
    elif usr_generate_secret "$name" && value="$(usr_secrets_value "$name")"; then
      :
    else
      usr_die "$where names \${$name}, which has no value: export $name or add $name=... to $(usr_secrets_file) (mode 600)"
    fi
    out+="${rest%%"$ref"*}$value"
    rest="${rest#*"$ref"}"
  done
  printf '%s' "$out$rest"
}

# Return 0 when VALUE names a ${...} reference.
usr_has_ref() {
  [[ "$1" =~ $USR_REF_RE ]]
}

# ------------------------------------------------------------------------------------------ containers

# The label that marks our containers, and the one that holds the sha256 of the argv a container was made with.
USR_LABEL_SERVICE=intelluxe.service
# shellcheck disable=SC2034 # used by usr-start
USR_LABEL_HASH=intelluxe.argv-sha256

# Print the backend that started SERVICE: its run record, else docker when a container of that name carries our
# label (started from another shell or INTELLUXE_HOME), else local.
usr_backend_of() {
  local service="$1" record label
  record="$(usr_run_dir)/$service.backend"
  if [ -f "$record" ]; then
    cat "$record"
    return 0
  fi
  if command -v docker >/dev/null 2>&1 &&
    label="$(docker inspect -f "{{index .Config.Labels \"$USR_LABEL_SERVICE\"}}" "$service" 2>/dev/null)" &&
    [ "$label" = "$service" ]; then
    echo docker
    return 0
  fi
  echo local
}
