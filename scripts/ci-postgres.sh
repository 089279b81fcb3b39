#!/usr/bin/env bash
# PostgreSQL for the prediction-log tests (Debian's postgresql package).
#
#   scripts/ci-postgres.sh install   apt-get install postgresql if its binaries are missing
#   scripts/ci-postgres.sh start     initdb + start a throwaway server on a free 127.0.0.1 port; prints
#                                    `export GROVE_TEST_POSTGRES_URL=…` lines for eval
#   scripts/ci-postgres.sh stop      stop it and remove its directory
#
# The tests need only `install`: test/helpers/postgres.ts starts (and kills, and restarts) servers of
# its own. A server from `start` is used, through GROVE_TEST_POSTGRES_URL, by the tests that do not
# kill the server. As root, the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail

state="${GROVE_CI_POSTGRES_STATE:-${TMPDIR:-/tmp}/grove-ci-postgres.dir}"

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; fi
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  install)
    if [ -n "$(bindir)" ]; then
      echo "PostgreSQL present: $(bindir)"
      exit 0
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    # policy-rc.d 101: do not start Debian's system cluster during the install (the tests start their own)
    if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    echo "PostgreSQL installed: $(bindir)"
    ;;
  start)
    bin=$(bindir)
    if [ -z "$bin" ]; then echo "PostgreSQL is not installed (run: $0 install)" >&2; exit 1; fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/grove-ci-pg-XXXXXX")
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    as_owner "$bin/initdb" -D "$dir/data" -U grove -A trust -E UTF8 --no-sync --no-instructions >/dev/null
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
    echo "$dir" > "$state"
    echo "export GROVE_TEST_POSTGRES_URL=postgres://grove@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$state" ]; then
      dir=$(cat "$state")
      bin=$(bindir)
      if [ -n "$bin" ] && [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null 2>&1 || true
      fi
      rm -rf "$dir" "$state"
    fi
    ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
