#!/usr/bin/env bats
# The .conf parser: every key, multi-valued keys, errors with file and line, values that stay inert.

load test_helper

@test "help lists the usage and every command" {
  run "$RUNNER" help
  assert_success
  assert_output --partial "Usage: universal-service-runner.sh [--dry-run] [--backend docker|local] [--timeout SECONDS] SERVICE CONF"
  assert_output --partial "stop"
  assert_output --partial "status"
  assert_output --partial "logs"
}

@test "wrong usage prints the usage line and fails" {
  run "$RUNNER" only-one-arg
  assert_failure
  assert_output --partial "Usage:"
}

@test "conf prints every key it read" {
  conf="$(write_conf demo <<<"$FULL_CONF")"
  run "$RUNNER" conf "$conf"
  assert_success
  assert_line --index 0 "$(printf 'image\tintelluxe-service:latest')"
  assert_line "$(printf 'command\tgunicorn -c python:core.gunicorn_conf server:app')"
  assert_line "$(printf 'tmpfs\t/tmp:size=512M /run')"
}

@test "comments, blank lines and CRLF endings are accepted" {
  conf="$(write_conf crlf <<<$'# comment\r\n\r\nimage="img"\r\n   # indented comment\r\nrestart="always"\r')"
  run "$RUNNER" conf "$conf"
  assert_success
  assert_output "$(printf 'image\timg\nrestart\talways')"
}

@test "an unknown key stops with the file and line" {
  conf="$(write_conf bad <<<$'image="img"\n# note\nname="demo"')"
  run "$RUNNER" conf "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf:3: unknown key 'name' (known: image port volumes env restart network health_cmd memory_limit working_dir command tmpfs)"
}

@test "a malformed line stops with the file and line" {
  conf="$(write_conf bad <<<$'image="img"\nport=8003:8000')"
  run "$RUNNER" conf "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf:2: expected key=\"value\", got: port=8003:8000"
}

@test "a repeated key stops naming both lines" {
  conf="$(write_conf bad <<<$'image="img"\nport="1:1"\nport="2:2"')"
  run "$RUNNER" conf "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf:3: key 'port' repeats line 2"
}

@test "a missing image stops naming the file" {
  conf="$(write_conf bad <<<'port="8003:8000"')"
  run "$RUNNER" conf "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf: missing required key 'image'"
}

@test "bad items are refused with their line" {
  local cases=(
    'port="8003"|port '\''8003'\'' is not [ip:]HOST:CONTAINER[/proto]'
    'volumes="relative-without-container"|volume '\''relative-without-container'\'' is not HOST:/CONTAINER[:ro|rw]'
    'env="1BAD=x"|env item '\''1BAD=x'\'' is not NAME=VALUE'
    'restart="sometimes"|restart '\''sometimes'\'' is not no|always|unless-stopped|on-failure[:N]'
    'memory_limit="lots"|memory_limit '\''lots'\'' is not a size like 512m or 2g'
    'working_dir="app"|working_dir '\''app'\'' must be an absolute path in the container'
    'tmpfs="tmp"|tmpfs '\''tmp'\'' is not /PATH[:OPTIONS]'
  )
  for case in "${cases[@]}"; do
    conf="$(write_conf bad <<<"image=\"img\"
${case%%|*}")"
    run "$RUNNER" conf "$conf"
    assert_failure
    assert_output "universal-service-runner: $conf:2: ${case#*|}"
  done
}

@test "on-failure with a count is a valid restart policy" {
  conf="$(write_conf ok <<<$'image="img"\nrestart="on-failure:5"')"
  run "$RUNNER" conf "$conf"
  assert_success
}

@test "a missing config file is named" {
  run "$RUNNER" conf "$SANDBOX/nope.conf"
  assert_failure
  assert_output "universal-service-runner: config file '$SANDBOX/nope.conf' not found"
}

@test "command substitution and backticks in values stay text" {
  conf="$(write_conf evil <<EOF2
image="img"
env="A=\$(touch\${IFS}$SANDBOX/pwned-env) B=\`touch\${IFS}$SANDBOX/pwned-tick\`"
command="echo \$(touch $SANDBOX/pwned-cmd) \`touch $SANDBOX/pwned-tick2\`"
EOF2
)"
  run "$RUNNER" --dry-run --backend docker evil "$conf"
  assert_success
  assert_output --partial "-e A=\\\$\\(touch\\\$\\{IFS\\}$SANDBOX/pwned-env\\)"
  assert_output --partial "echo \\\$\\(touch $SANDBOX/pwned-cmd\\)"
  run "$RUNNER" conf "$conf"
  assert_success
  [ ! -e "$SANDBOX/pwned-env" ]
  [ ! -e "$SANDBOX/pwned-tick" ]
  [ ! -e "$SANDBOX/pwned-cmd" ]
  [ ! -e "$SANDBOX/pwned-tick2" ]
}

@test "an array subscript in a key cannot run code" {
  conf="$(write_conf evil <<EOF2
image="img"
a[\$(touch $SANDBOX/pwned-key)]="x"
EOF2
)"
  run "$RUNNER" conf "$conf"
  assert_failure
  assert_output --partial ":2: expected key=\"value\""
  [ ! -e "$SANDBOX/pwned-key" ]
}

@test "a service name that is not a plain name is refused" {
  conf="$(write_conf ok <<<'image="img"')"
  run "$RUNNER" --dry-run --backend docker 'Bad;Name' "$conf"
  assert_failure
  assert_output "universal-service-runner: service name 'Bad;Name' must be lowercase letters, digits, '_', '.' or '-'"
}
