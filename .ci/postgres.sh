#!/usr/bin/env bash
# Sets up the PostgreSQL the storage tests use, on a fresh Debian 12 machine, as root:
# installs the server if missing, starts (or creates) a cluster on 127.0.0.1:5432, and creates
# role `sweep` and database `sweep_test` owned by it. The password is distinctive so that a test
# can search logs, outputs and tables for it. Safe to run again: each step checks first, so a
# second run changes nothing and succeeds.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
readonly port=5432 role=sweep password=sweep-test-pw-7f3a9c database=sweep_test

if ! command -v pg_lsclusters >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq postgresql
fi

# The cluster that owns the port, else a new one for the newest installed server version.
# (Installing the package normally creates "main" on 5432 already; containers without
# maintainer scripts, or an earlier cluster on another port, need one made here.)
cluster=$(pg_lsclusters -h | awk -v port="$port" '$3 == port {print $1 " " $2; exit}')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  name=main
  if pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then name=sweep; fi
  pg_createcluster "$version" "$name" --port "$port"
  cluster="$version $name"
fi
read -r version name <<<"$cluster"

# Loopback only: the tests connect over TCP with a password, nothing else needs to reach it.
# A drop-in under conf.d (which Debian's postgresql.conf includes) leaves the packaged file alone.
dropin=/etc/postgresql/$version/$name/conf.d/sweepcluster.conf
wanted="listen_addresses = '127.0.0.1'"
changed=false
if [ "$(cat "$dropin" 2>/dev/null)" != "$wanted" ]; then
  echo "$wanted" >"$dropin"
  changed=true
fi
if pg_lsclusters -h | awk -v v="$version" -v n="$name" '$1 == v && $2 == n && $4 == "online" {found = 1} END {exit !found}'; then
  # A running cluster picks up a new listen address only on restart.
  if $changed; then pg_ctlcluster "$version" "$name" restart; fi
else
  pg_ctlcluster "$version" "$name" start
fi

for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
if ! pg_isready -h 127.0.0.1 -p "$port"; then
  echo "error: PostgreSQL $version/$name is not accepting connections on 127.0.0.1:$port" >&2
  exit 1
fi

sql() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -tAc "$1"; }
if [ "$(sql "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
  sql "CREATE ROLE $role LOGIN PASSWORD '$password'"
else
  # Reset the password too, so a role left behind by something else still matches what the tests use.
  sql "ALTER ROLE $role LOGIN PASSWORD '$password'" >/dev/null
fi
if [ "$(sql "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  sql "CREATE DATABASE $database OWNER $role"
fi

echo "Host=127.0.0.1;Port=$port;Username=$role;Password=$password;Database=$database"
