# shellcheck shell=bash
# Shared helpers of the runner's commands: the error voice, run-state paths and reading a parsed .conf.
# Sourced, never run; it defines functions and reads nothing from a .conf itself.

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
