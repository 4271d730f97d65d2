#!/usr/bin/env bash
# Summary: Make the clinic's certificate authority and the audio-receiver's TLS certificate (openssl)
# Usage: scripts/gen-certs.sh [--force] [--days N] OUT_DIR [HOSTNAME|IP ...]
#
# OUT_DIR gets ca.pem + ca.key (the clinic CA; made once and kept unless --force) and cert.pem + key.pem (the
# receiver's certificate, signed by that CA, for localhost, 127.0.0.1 and every HOSTNAME/IP given; remade on each
# run). Doctors' clients trust ca.pem only, so the receiver needs no public CA. Keys are mode 0600.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

usage() {
  sed -n 's/^# \(Usage: .*\)/\1/p' "$0" >&2
  exit 1
}
die() {
  printf 'gen-certs: %s\n' "$*" >&2
  exit 1
}

force=0
days=825
positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --days)
      [ $# -ge 2 ] || usage
      days="$2"
      shift
      ;;
    -h | --help) usage ;;
    -*) die "unknown option '$1'" ;;
    *) positional+=("$1") ;;
  esac
  shift
done
[ "${#positional[@]}" -ge 1 ] || usage
if ! [[ "$days" =~ ^[1-9][0-9]*$ ]]; then
  die "--days takes a whole number of days, got '$days'"
fi
command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"
out="${positional[0]}"
names=(localhost 127.0.0.1 "${positional[@]:1}")
mkdir -p "$out"
umask 077

san=""
for name in "${names[@]}"; do
  if [[ "$name" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || [[ "$name" == *:* ]]; then
    san+="IP:$name,"
  elif [[ "$name" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    san+="DNS:$name,"
  else
    die "'$name' is neither a hostname nor an IP address"
  fi
done
san="${san%,}"

if [ "$force" -eq 1 ] || [ ! -f "$out/ca.pem" ] || [ ! -f "$out/ca.key" ]; then
  openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 3650 -subj "/CN=Intelluxe clinic CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$out/ca.key" -out "$out/ca.pem" 2>/dev/null
  echo "clinic CA: $out/ca.pem (keep $out/ca.key offline once the receiver's certificate is made)"
fi

openssl req -newkey rsa:2048 -sha256 -nodes -subj "/CN=${names[2]:-localhost}" \
  -keyout "$out/key.pem" -out "$out/receiver.csr" 2>/dev/null
openssl x509 -req -in "$out/receiver.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
  -days "$days" -sha256 -out "$out/cert.pem" \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$san") \
  2>/dev/null
rm -f "$out/receiver.csr" "$out/ca.srl"
chmod 0644 "$out/ca.pem" "$out/cert.pem"
echo "receiver certificate: $out/cert.pem for $san"
