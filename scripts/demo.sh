#!/usr/bin/env bash
# One command for a new user: set up, then run the coach on the bundled sample call.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
exec "$VENV/bin/coach" inspect "$ROOT/fixtures/sample/expansion_call.vtt" "$@"
