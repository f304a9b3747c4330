#!/usr/bin/env bash
# One command for a new user: set up everything the tests need (dev + local-llm extras),
# provision PostgreSQL and chromium the way CI does (scripts/provision.sh), run the suite.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COACH_EXTRAS="${COACH_EXTRAS-dev,local-llm}"
source "$ROOT/scripts/setup.sh"
source "$ROOT/scripts/provision.sh"
cd "$ROOT"
set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$status"
