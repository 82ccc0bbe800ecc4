#!/usr/bin/env bash
# Installs the operating-system programs some tests drive for real (nginx as a gateway, Chromium
# for the browser tests) when they are missing, from Debian's packages. Each argument is
# <binary>:<package>, e.g. `scripts/ensure-os-packages.sh nginx:nginx chromium:chromium`.
# Exits 0 when every binary is present afterwards; prints what it did on stderr.
set -euo pipefail

missing=()
for pair in "$@"; do
  binary=${pair%%:*}
  package=${pair#*:}
  if ! command -v "$binary" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$binary" ] && [ ! -x "/usr/bin/$binary" ]; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-os-packages: missing ${missing[*]} and no apt-get to install them" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
echo "ensure-os-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A stale package index makes installs fail with 404s; refresh it once, quietly.
$sudo apt-get update -qq >&2 || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
