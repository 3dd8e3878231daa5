#!/usr/bin/env bash
# A private PostgreSQL for FedActors' database checkpoint store, on loopback only:
#
#   scripts/postgres.sh install          installs Debian's postgresql package (as root; does
#                                        nothing when its binaries are already there)
#   scripts/postgres.sh start DIR [PORT] creates a cluster in DIR (first time), starts it on
#                                        127.0.0.1:PORT (a free port when none is given),
#                                        creates the database "fedactors", and prints its
#                                        connection string, alone on standard output
#   scripts/postgres.sh stop DIR         stops the cluster in DIR (nothing when it is not running)
#
# The cluster belongs to DIR, not to the machine: its data, socket and log are in DIR, it
# listens on 127.0.0.1 only and trusts every connection from there (it is for one machine's
# tests and walkthroughs; a real deployment's database has its own accounts and TLS). Root
# cannot run the server, so under root the cluster is created and run as the 'postgres' user
# the package adds, which then owns DIR. Needs no standard input.
set -euo pipefail

say() { printf '[postgres] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && printf '%s\n' "$dir"
}

# Runs a PostgreSQL binary as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

install() {
  if bindir >/dev/null; then
    say "PostgreSQL present: $(bindir)"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed, and installing it needs root: run 'sudo $0 install' (Debian's postgresql package)"
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # The package would create and start a machine-wide cluster on port 5432; FedActors runs its
  # own, so no service is started during the install (policy-rc.d exit code 101: "action not
  # allowed", Debian's invoke-rc.d convention), and none is left running.
  local policy=/usr/sbin/policy-rc.d placed=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    placed=1
  fi
  say "installing Debian's postgresql package"
  local ok=0
  { apt-get "${opts[@]}" install -y -qq postgresql >/dev/null 2>&1 \
      || { apt-get "${opts[@]}" update -qq && apt-get "${opts[@]}" install -y -qq postgresql >/dev/null; }; } && ok=1
  [ $placed -eq 1 ] && rm -f "$policy"
  [ $ok -eq 1 ] || die "apt-get could not install postgresql"
  bindir >/dev/null || die "postgresql is installed, but no /usr/lib/postgresql/*/bin/pg_ctl was found"
  say "PostgreSQL installed: $(bindir)"
}

free_port() {
  local port tries=0
  while [ $tries -lt 50 ]; do
    port=$(( 20000 + RANDOM % 40000 ))
    # Nothing answers a connection there: taken as free.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
    tries=$((tries + 1))
  done
  die "found no free port on 127.0.0.1 in 50 tries"
}

start() {
  local dir=${1:?usage: $0 start DIR [PORT]} port=${2:-}
  local bin; bin=$(bindir) || die "PostgreSQL is not installed: run '$0 install' (as root) first"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -n "$port" ] || port=$(free_port)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  if [ ! -e "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data (log above)"; }
  fi
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir" start >/dev/null; then
    tail -n 20 "$dir/postgres.log" >&2 || true
    die "PostgreSQL did not start in $dir on 127.0.0.1:$port (its log's end above)"
  fi
  printf '%s\n' "$port" > "$dir/port"
  if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'fedactors'" | grep -q 1; then
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres fedactors
  fi
  say "running in $dir on 127.0.0.1:$port; stop it with: $0 stop $dir"
  printf 'Host=127.0.0.1;Port=%s;Database=fedactors;Username=postgres\n' "$port"
}

stop() {
  local dir=${1:?usage: $0 stop DIR}
  local bin; bin=$(bindir) || die "PostgreSQL is not installed"
  [ -e "$dir/data/postmaster.pid" ] || { say "not running in $dir"; return 0; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  say "stopped in $dir"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: $0 install | start DIR [PORT] | stop DIR" ;;
esac
