#!/usr/bin/env bats
# scripts/gen-certs.sh: the clinic CA and the receiver's certificate, verified with openssl itself.

load test_helper

GEN="$RUNNER_ROOT/scripts/gen-certs.sh"

@test "the receiver certificate verifies against the clinic CA and names every host" {
  run "$GEN" "$SANDBOX/certs" receiver.clinic.lan 10.0.0.5
  assert_success
  run openssl verify -CAfile "$SANDBOX/certs/ca.pem" "$SANDBOX/certs/cert.pem"
  assert_success
  assert_output "$SANDBOX/certs/cert.pem: OK"
  run openssl x509 -in "$SANDBOX/certs/cert.pem" -noout -ext subjectAltName
  assert_output --partial "DNS:localhost, IP Address:127.0.0.1, DNS:receiver.clinic.lan, IP Address:10.0.0.5"
  run stat -c %a "$SANDBOX/certs/key.pem" "$SANDBOX/certs/ca.key"
  assert_output "$(printf '600\n600')"
}

@test "the CA is kept across runs unless --force" {
  "$GEN" "$SANDBOX/certs" >/dev/null
  first="$(openssl x509 -in "$SANDBOX/certs/ca.pem" -noout -fingerprint)"
  "$GEN" "$SANDBOX/certs" other.lan >/dev/null
  [ "$(openssl x509 -in "$SANDBOX/certs/ca.pem" -noout -fingerprint)" = "$first" ]
  run openssl verify -CAfile "$SANDBOX/certs/ca.pem" "$SANDBOX/certs/cert.pem"
  assert_success
  "$GEN" --force "$SANDBOX/certs" >/dev/null
  [ "$(openssl x509 -in "$SANDBOX/certs/ca.pem" -noout -fingerprint)" != "$first" ]
}

@test "a bad host name or day count is refused" {
  run "$GEN" "$SANDBOX/certs" 'bad name;rm'
  assert_failure
  assert_output "gen-certs: 'bad name;rm' is neither a hostname nor an IP address"
  run "$GEN" --days 0 "$SANDBOX/certs"
  assert_failure
  assert_output "gen-certs: --days takes a whole number of days, got '0'"
  run "$GEN"
  assert_failure
  assert_output "Usage: scripts/gen-certs.sh [--force] [--days N] OUT_DIR [HOSTNAME|IP ...]"
}
