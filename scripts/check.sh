#!/usr/bin/env bash
# Lint, format check, types, tests. `make check` runs this; so does scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff check";        python3 -m ruff check .
echo "== ruff format";       python3 -m ruff format --check .
echo "== mypy";              python3 -m mypy
echo "== directives";    python3 -m cli directives check
echo "== pytest";            python3 -m pytest -v -p no:cacheprovider "$@"
echo "== replay";            WA_TMP_DIR="$(mktemp -d)" python3 -m cli replay tests/scenarios/ --no-transcript
