#!/usr/bin/env bash
# Brings up what the tests talk to for real: PostgreSQL on 127.0.0.1:5432 and Debian's chromium.
# Sourced by scripts/test.sh and .ci/run, so both provision the same way.
#
# Where a service cannot be had (not root, PostgreSQL not installed), it exports
# COACH_TEST_UNAVAILABLE_POSTGRES / COACH_TEST_UNAVAILABLE_CHROMIUM with the reason;
# the tests that need it are then skipped with that reason, and only then.
# With COACH_PROVISION_STRICT=1 (CI) a missing service is an error instead.
provision_log() { printf '[provision] %s\n' "$*" >&2; }
provision_missing() {  # name reason
  if [ "${COACH_PROVISION_STRICT:-0}" = "1" ]; then
    provision_log "$2; CI requires it"
    return 1
  fi
  provision_log "$2: the tests that need it will be skipped"
  export "COACH_TEST_UNAVAILABLE_$1=$2"
}

provision_postgres() {
  local pg_url="${COACH_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
  if ! command -v pg_isready >/dev/null 2>&1; then
    provision_missing POSTGRES "PostgreSQL is not installed (apt-get install postgresql)"
    return
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    if [ "$(id -u)" = "0" ] && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
      provision_log "starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
      for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
  fi
  if pg_isready -h 127.0.0.1 -p 5432 -q; then
    export COACH_TEST_POSTGRES_URL="$pg_url"
  else
    provision_missing POSTGRES "PostgreSQL is not running on 127.0.0.1:5432 and could not be started (needs root and a cluster)"
  fi
}

provision_chromium() {
  if [ -x /usr/bin/chromium ]; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    provision_log "installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true
  fi
  if [ ! -x /usr/bin/chromium ]; then
    provision_missing CHROMIUM "/usr/bin/chromium is missing and could not be installed (needs root and apt-get)"
  fi
}

provision_postgres || return 1 2>/dev/null || exit 1
provision_chromium || return 1 2>/dev/null || exit 1
