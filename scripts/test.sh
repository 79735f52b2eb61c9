#!/usr/bin/env bash
# The README's test command: install what the tests need on a fresh machine, then run every check.
# System packages: Redis from Debian when missing, PostgreSQL likewise (the tests start throwaway
# servers of both themselves, on loopback). Python packages: the project with its dev extras.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    missing+=(postgresql postgresql-contrib)
fi
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing from Debian: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

python3 -m pip install --disable-pip-version-check -q -e '.[dev]'
exec bash scripts/check.sh "$@"
