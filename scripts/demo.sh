#!/usr/bin/env bash
# One command for a new user: set up, then score the bundled sample call in the terminal.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh"
SAMPLE="$ROOT/fixtures/sample/expansion_call.vtt"
[ -f "$SAMPLE" ] || SAMPLE="$ROOT/fixtures/sample/expansion_call.txt"
exec "$VENV/bin/coach" score "$SAMPLE" --format text --seller "Priya Shah" --seller "Dan Ortiz" "$@"
