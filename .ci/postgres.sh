#!/usr/bin/env bash
# PostgreSQL for the PostgreSQL store tests and HAProxy for the cluster tests (issue 18):
# Debian's postgresql and haproxy. The tests start their own throwaway server (host/testpg:
# initdb in a temp dir, a free loopback port, as `nobody` under root), never the cluster
# Debian's package creates, so a policy-rc.d keeps apt from starting any service during the
# install. Idempotent: quick when both are present.
set -euo pipefail

# The directory host/testpg takes the server from: FNHOST_PG_BIN, else `pg_config --bindir`
# when it holds the server, else the newest /usr/lib/postgresql/*/bin. Empty when none.
pg_bin() {
  if [ -n "${FNHOST_PG_BIN:-}" ]; then
    echo "$FNHOST_PG_BIN"
    return
  fi
  local dir best=""
  dir=$(pg_config --bindir 2>/dev/null || true)
  if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return
  fi
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
    if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then best=$dir; fi
  done
  echo "$best"
}

has_server() {
  local dir
  dir=$(pg_bin)
  [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]
}

if has_server && command -v haproxy >/dev/null; then
  exit 0
fi
if [ -n "${FNHOST_PG_BIN:-}" ] && ! has_server; then
  echo "postgres: FNHOST_PG_BIN=$FNHOST_PG_BIN holds no initdb and postgres" >&2
  exit 1
fi

echo "postgres: installing postgresql and haproxy (apt)" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# Exit code 101 of policy-rc.d tells invoke-rc.d (and deb-systemd-invoke) not to start the
# services the packages install; Docker's Debian images ship one already.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  $sudo sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
# `env` inside sudo: sudo resets the environment.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql haproxy >/dev/null
"$(pg_bin)/postgres" --version >/dev/null
haproxy -v >/dev/null
