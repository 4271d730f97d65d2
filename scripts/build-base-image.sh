#!/usr/bin/env bash
# Summary: Build the offline base image (Debian bookworm minbase + Python 3.11) that scripts/build-images.sh uses
# Usage: scripts/build-base-image.sh [--dry-run] [--if-missing] [--tag TAG] [--mirror URL]
#
# For machines that reach Debian's package mirror but no image registry: debootstrap builds a minimal bookworm
# (python3, python3-venv, ca-certificates; no apt lists, caches, docs or man pages) in a temporary folder and
# `docker import` turns it into TAG (default intelluxe-base:bookworm). The images built on it get python3 3.11 from
# Debian, as python:3.11-slim would give them. --if-missing does nothing when TAG already exists (CI builds the base
# once per run). --dry-run prints the two commands, shell-quoted, and builds nothing. Needs root and debootstrap.
set -euo pipefail
[ -n "${INTELLUXE_DEBUG:-}" ] && { export PS4='+ [${BASH_SOURCE##*/}:${LINENO}] '; set -x; }

die() {
  printf 'build-base-image: %s\n' "$*" >&2
  exit 1
}

dry_run=0
if_missing=0
tag=intelluxe-base:bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --if-missing) if_missing=1 ;;
    --tag | --mirror)
      [ $# -ge 2 ] || die "$1 needs a value"
      if [ "$1" = --tag ]; then tag="$2"; else mirror="$2"; fi
      shift
      ;;
    *)
      sed -n 's/^# \(Usage: .*\)/\1/p' "$0" >&2
      exit 1
      ;;
  esac
  shift
done

packages=python3,python3-venv,ca-certificates
print_argv() {
  printf '%q' "$1"
  shift
  [ $# -eq 0 ] || printf ' %q' "$@"
  printf '\n'
}
# What Debian's own docker images set: no docs or man pages on install, and apt keeps no downloaded packages.
import_changes=(--change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]')

if [ "$dry_run" -eq 1 ]; then
  print_argv debootstrap --variant=minbase "--include=$packages" bookworm ROOTFS "$mirror"
  print_argv docker import "${import_changes[@]}" - "$tag"
  exit 0
fi

command -v docker >/dev/null || die "no 'docker' command on PATH"
if [ "$if_missing" -eq 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "build-base-image: $tag exists, kept (--if-missing)"
  exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"

rootfs="$(mktemp -d "${TMPDIR:-/tmp}/intelluxe-base.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
chmod 0755 "$rootfs" # it becomes the image's /: mktemp's 0700 would lock every other user out of the tree
started=$SECONDS
debootstrap --variant=minbase "--include=$packages" bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 20 "$rootfs.log" >&2
  rm -f "$rootfs.log"
  die "debootstrap failed (last lines above)"
}
rm -f "$rootfs.log"

# Later `apt-get install` in images built on this one (postgres, redis) stays lean too.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-intelluxe-lean" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$rootfs/etc/apt/apt.conf.d/01-intelluxe-lean" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
# Security updates too, as the debian:bookworm images have them.
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/tmp/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +

tar -C "$rootfs" --numeric-owner -c . | docker import "${import_changes[@]}" - "$tag" >/dev/null
size="$(docker image inspect -f '{{.Size}}' "$tag")"
echo "build-base-image: $tag built in $((SECONDS - started)) s, $((size / 1000000)) MB"
