#!/usr/bin/env bats
# scripts/dev-setup.sh (run by scripts/start.sh and scripts/test.sh): a line of progress a step, pip's output in
# $VENV/setup.log, its tail when a step fails. A stub interpreter stands in for python and pip.

load test_helper

SETUP="$RUNNER_ROOT/scripts/dev-setup.sh"

write_stub_python() {
  cat >"$SANDBOX/python" <<'SH'
#!/usr/bin/env bash
case "$1 ${2:-}" in
  "-c "*) exit 0 ;;
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip")
    for i in $(seq 1 150); do echo "Collecting something-$i"; done
    echo "BuildBackendWarning: a deprecation" >&2
    [ -z "${FAIL_PIP:-}" ] || exit 1
    ;;
esac
SH
  chmod +x "$SANDBOX/python"
}

@test "a setup prints one line a step and keeps pip's output in the log" {
  write_stub_python
  PYTHON="$SANDBOX/python" VENV="$SANDBOX/venv" run "$SETUP"
  assert_success
  assert_line --index 0 --regexp "^creating $SANDBOX/venv \\.\\.\\. done \\([0-9]+ s\\)$"
  assert_line --index 2 --regexp "^installing torch 2\\.13\\.0 \\(CPU\\) \\.\\.\\. done"
  assert_line --index 5 --regexp "^installing the dictation client \\.\\.\\. done"
  [ "${#lines[@]}" -eq 7 ]
  refute_output --partial "Collecting"
  refute_output --partial "BuildBackendWarning"
  grep -q "Collecting something-150" "$SANDBOX/venv/setup.log"
  grep -q "BuildBackendWarning" "$SANDBOX/venv/setup.log"
}

@test "a failing step stops the setup and shows the end of the log" {
  write_stub_python
  FAIL_PIP=1 PYTHON="$SANDBOX/python" VENV="$SANDBOX/venv" run "$SETUP"
  assert_failure
  assert_line "updating pip ... failed"
  assert_output --partial "the last lines of $SANDBOX/venv/setup.log"
  assert_output --partial "Collecting something-150"
  refute_output --partial "installing Intelluxe"
}
