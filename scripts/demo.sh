#!/usr/bin/env bash
# One command for a new user: set up (base install, no compiler), then score the bundled sample call.
# Heuristics only unless an LLM is configured; the scorecard's "LLM grader" line says how to turn it on.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COACH_EXTRAS="${COACH_EXTRAS-}"
source "$ROOT/scripts/setup.sh"
SAMPLE="$ROOT/fixtures/sample/expansion_call.vtt"
[ -f "$SAMPLE" ] || SAMPLE="$ROOT/fixtures/sample/expansion_call.txt"
exec "$VENV/bin/coach" score "$SAMPLE" --format text --seller "Priya Shah" --seller "Dan Ortiz" "$@"
