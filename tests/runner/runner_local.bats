#!/usr/bin/env bats
# The local backend: a host process in the folder `volumes` mounts at `working_dir`, with the conf's env (the
# caller wins), PORT from the published port, pid and log under $INTELLUXE_HOME/run, health via health_cmd.

load test_helper

# A tiny service: serves /health on $PORT and reports its working dir and two variables at /env.
write_app() {
  cat >"$SANDBOX/svc/app/serve.py" <<'PY'
import http.server, json, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"cwd": os.getcwd(), "FROM_CONF": os.environ.get("FROM_CONF"),
                           "BOTH": os.environ.get("BOTH")}).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
print("serving on", os.environ["PORT"], flush=True)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
  cat >"$SANDBOX/svc/app/check.py" <<'PY'
import os, sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{os.environ['PORT']}/health", timeout=2)
except OSError:
    sys.exit(1)
PY
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_healthy() {
  for _ in $(seq 1 50); do
    "$RUNNER" status "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

@test "start, status, logs and stop a host process" {
  write_app
  port="$(free_port)"
  conf="$(write_conf web <<EOF2
image="img"
port="$port:8000"
volumes="./app:/app:rw"
env="FROM_CONF=conf BOTH=conf"
working_dir="/app"
health_cmd="python3 /app/check.py"
command="python3 /app/serve.py"
EOF2
)"
  export BOTH=caller
  run "$RUNNER" --backend local web "$conf"
  assert_success
  assert_output --regexp "^web: started locally \\(pid [0-9]+, log $INTELLUXE_HOME/run/web.log\\)$"
  pid="$(cat "$INTELLUXE_HOME/run/web.pid")"
  kill -0 "$pid"
  wait_healthy web

  run curl -s "http://127.0.0.1:$port/env"
  assert_output "{\"cwd\": \"$SANDBOX/svc/app\", \"FROM_CONF\": \"conf\", \"BOTH\": \"caller\"}"

  run "$RUNNER" status web
  assert_success
  assert_line --index 1 "$(printf 'web\tlocal\trunning\thealthy\t%s:8000\t%s' "$port" "$INTELLUXE_HOME/run/web.log")"

  run "$RUNNER" logs web
  assert_success
  assert_output --partial "serving on $port"

  run "$RUNNER" stop web
  assert_success
  assert_output "web: stopped (pid $pid)"
  ! kill -0 "$pid" 2>/dev/null
  [ ! -e "$INTELLUXE_HOME/run/web.pid" ]
  run "$RUNNER" status web
  assert_failure
  assert_line --index 1 --partial "$(printf 'web\tlocal\tstopped\t-')"
}

@test "status checks health with the PATH the service started with (a venv need not be active)" {
  write_app
  mkdir -p "$SANDBOX/venv/bin"
  printf '#!/usr/bin/env bash\nexec python3 "$@"\n' >"$SANDBOX/venv/bin/venv-python"
  chmod +x "$SANDBOX/venv/bin/venv-python"
  port="$(free_port)"
  conf="$(write_conf web <<EOF2
image="img"
port="$port:8000"
volumes="./app:/app:rw"
working_dir="/app"
health_cmd="venv-python /app/check.py"
command="venv-python /app/serve.py"
EOF2
)"
  PATH="$SANDBOX/venv/bin:$PATH" run "$RUNNER" --backend local web "$conf"
  assert_success
  wait_healthy web
  run "$RUNNER" status web
  assert_success
  assert_line --index 1 --partial "$(printf 'web\tlocal\trunning\thealthy')"
  run "$RUNNER" stop web
  assert_success
}

@test "starting again replaces the running process" {
  write_app
  port="$(free_port)"
  conf="$(write_conf web <<EOF2
image="img"
port="$port:8000"
volumes="./app:/app"
working_dir="/app"
command="python3 /app/serve.py"
EOF2
)"
  "$RUNNER" --backend local web "$conf"
  first="$(cat "$INTELLUXE_HOME/run/web.pid")"
  run "$RUNNER" --backend local web "$conf"
  assert_success
  second="$(cat "$INTELLUXE_HOME/run/web.pid")"
  [ "$first" != "$second" ]
  ! kill -0 "$first" 2>/dev/null
  kill -0 "$second"
}

@test "stop ends the whole process group, workers included" {
  # A parent that starts a child and waits, as gunicorn's master does with its workers.
  printf '#!/usr/bin/env bash\nsleep 300 &\necho $! > child.pid\nwait\n' >"$SANDBOX/svc/parent.sh"
  chmod +x "$SANDBOX/svc/parent.sh"
  conf="$(write_conf group <<<$'image="img"\ncommand="./parent.sh"')"
  run "$RUNNER" --backend local group "$conf"
  assert_success
  for _ in $(seq 1 20); do [ -s "$SANDBOX/svc/child.pid" ] && break; sleep 0.1; done
  child="$(cat "$SANDBOX/svc/child.pid")"
  kill -0 "$child"
  run "$RUNNER" stop group
  assert_success
  ! kill -0 "$child" 2>/dev/null
}

@test "a process that dies at once is reported with its log" {
  printf 'import sys\nprint("boom: missing setting", file=sys.stderr)\nsys.exit(3)\n' >"$SANDBOX/svc/crash.py"
  conf="$(write_conf crash <<<$'image="img"\ncommand="python3 crash.py"')"
  run "$RUNNER" --backend local crash "$conf"
  assert_failure
  assert_output --partial "universal-service-runner: crash exited at once; last lines of $INTELLUXE_HOME/run/crash.log:"
  assert_output --partial "boom: missing setting"
}

@test "command substitution in a local command stays text" {
  conf="$(write_conf evil <<EOF2
image="img"
command="echo \$(touch $SANDBOX/pwned) \`touch $SANDBOX/pwned2\`"
EOF2
)"
  run "$RUNNER" --backend local evil "$conf"
  sleep 0.2
  run cat "$INTELLUXE_HOME/run/evil.log"
  assert_output --partial "\$(touch $SANDBOX/pwned) \`touch $SANDBOX/pwned2\`"
  [ ! -e "$SANDBOX/pwned" ]
  [ ! -e "$SANDBOX/pwned2" ]
}

@test "the local backend needs a command" {
  conf="$(write_conf nocmd <<<'image="redis:7"')"
  run "$RUNNER" --backend local nocmd "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf: the local backend needs a 'command' key (the docker backend uses the image's own)"
}

@test "a working_dir no volume mounts is refused for the local backend" {
  conf="$(write_conf nowd <<<$'image="img"\nworking_dir="/srv"\ncommand="true"')"
  run "$RUNNER" --backend local nowd "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf: working_dir '/srv' is not mounted by any volume, so the local backend has no host folder for it"
}

@test "local dry run shows folder, env and the command with container paths mapped" {
  conf="$(write_conf demo <<<"$FULL_CONF")"
  unset FLASK_ENV
  export REDIS_URL=unix:///caller.sock
  run "$RUNNER" --dry-run --backend local demo "$conf"
  assert_success
  assert_output "cd $SANDBOX/svc/app && env FLASK_ENV=production PORT=8003 INTELLUXE_HOME=$INTELLUXE_HOME gunicorn -c python:core.gunicorn_conf server:app"
}

@test "a port published on loopback only binds the host process to loopback" {
  conf="$(write_conf internal <<'EOF2'
image="img"
port="127.0.0.1:8010:8000"
volumes="./app:/app:rw"
working_dir="/app"
command="serve"
EOF2
)"
  unset HOST
  run "$RUNNER" --dry-run --backend local internal "$conf"
  assert_success
  assert_output "cd $SANDBOX/svc/app && env PORT=8010 HOST=127.0.0.1 INTELLUXE_HOME=$INTELLUXE_HOME serve"
  HOST=0.0.0.0 run "$RUNNER" --dry-run --backend local internal "$conf"
  assert_output "cd $SANDBOX/svc/app && env PORT=8010 INTELLUXE_HOME=$INTELLUXE_HOME serve"  # the caller's HOST wins
}

@test "stop of a service that is not running says so" {
  run "$RUNNER" stop ghost
  assert_success
  assert_output "ghost: not running"
}

@test "\${NAME} references: expanded for the host process from secrets.env, as written in the dry run; the caller's variable wins unexpanded" {
  write_app
  port="$(free_port)"
  mkdir -p "$INTELLUXE_HOME"
  (umask 077 && printf 'API_SECRET=s3cret-from-file\n' >"$INTELLUXE_HOME/secrets.env")
  conf="$(write_conf web <<EOF2
image="img"
port="$port:8000"
volumes="./app:/app:rw"
env="FROM_CONF=key:\${API_SECRET} BOTH=\${NEVER_SET}"
working_dir="/app"
health_cmd="python3 /app/check.py"
command="python3 /app/serve.py"
EOF2
)"
  export BOTH=caller
  run "$RUNNER" --dry-run --backend local web "$conf"
  assert_success
  assert_output --partial 'FROM_CONF=key:\$\{API_SECRET\}'
  refute_output --partial "s3cret-from-file"
  run "$RUNNER" --backend local web "$conf"
  assert_success
  wait_healthy web
  run curl -s "http://127.0.0.1:$port/env"
  assert_output "{\"cwd\": \"$SANDBOX/svc/app\", \"FROM_CONF\": \"key:s3cret-from-file\", \"BOTH\": \"caller\"}"
  "$RUNNER" stop web
}

@test "\${NAME} references: one without a value stops a local start, naming it" {
  write_app
  conf="$(write_conf web <<'EOF2'
image="img"
volumes="./app:/app:rw"
env="TOKEN=${CLINIC_TOKEN}"
working_dir="/app"
command="python3 /app/serve.py"
EOF2
)"
  run "$RUNNER" --backend local web "$conf"
  assert_failure
  assert_output "universal-service-runner: $conf: env TOKEN names \${CLINIC_TOKEN}, which has no value: export CLINIC_TOKEN or add CLINIC_TOKEN=... to $INTELLUXE_HOME/secrets.env (mode 600)"
  [ ! -e "$INTELLUXE_HOME/run/web.pid" ]
}
