#!/usr/bin/env bash
# Creates the virtualenv (if missing) and installs the project with the extras asked for.
# Sourced by demo.sh (base only: no compiler, about a minute) and test.sh (dev + local-llm,
# which compiles llama.cpp once); run on its own it installs base + dev.
# COACH_VENV names the virtualenv (default .venv), COACH_EXTRAS the extras (default "dev").
# Safe to run again: a stamp keyed on pyproject.toml skips pip when nothing changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COACH_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${COACH_EXTRAS-dev}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"  # its own pip installs every wheel here; upgrading it first only adds a download
fi
# The stamp holds pyproject's hash and the extras installed with it; a run asking for
# extras already installed (demo after test) skips pip too.
STAMP="$VENV/.coach-installed"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
HAVE_HASH=""; HAVE_EXTRAS=""
if [ -f "$STAMP" ]; then read -r HAVE_HASH HAVE_EXTRAS < "$STAMP" || true; fi
NEED=0
[ "$HAVE_HASH" = "$WANT" ] || NEED=1
for extra in ${EXTRAS//,/ }; do
  case ",$HAVE_EXTRAS," in *",$extra,"*) ;; *) NEED=1 ;; esac
done
if [ "$NEED" = "1" ]; then
  if [ "$HAVE_HASH" = "$WANT" ] && [ -n "$HAVE_EXTRAS" ]; then EXTRAS="$HAVE_EXTRAS,$EXTRAS"; fi
  EXTRAS="$(printf '%s' "$EXTRAS" | tr ', ' '\n\n' | sed '/^$/d' | sort -u | paste -sd, -)"
  case "$EXTRAS" in *local-llm*)
    echo "setup: installing the local-llm extra compiles llama.cpp once (about 5 minutes)" >&2
    # A portable build (AVX2, FMA, F16C; no AVX-512 or AMX): llama.cpp tuned to the build
    # machine (GGML_NATIVE, its default) crashed with a segmentation fault in its first
    # multi-token decode on the team's Sapphire Rapids VMs, and a built wheel is reused from
    # pip's cache on whatever machine shares it. CMAKE_ARGS set by the caller wins.
    export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" ;;
  esac
  SPEC="$ROOT"; [ -n "$EXTRAS" ] && SPEC="$ROOT[$EXTRAS]"
  # --no-compile: bytecode is written on first import instead of for every file of every
  # package (openai alone ships a thousand modules the coach never imports).
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile -e "$SPEC"
  echo "$WANT $EXTRAS" > "$STAMP"
fi
