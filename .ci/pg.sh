#!/usr/bin/env bash
# Usage: .ci/pg.sh DIR PORT [test]
# Makes sure a private PostgreSQL cluster lives in DIR and listens on
# 127.0.0.1:PORT, then prints its URL (postgres superuser, trust auth on
# loopback only). Installs Debian's postgresql package when its server binaries
# are missing. Reuses the cluster when it already exists or already runs.
# "test" starts it tuned for throwaway data (fsync off): never use it for data
# you keep.
set -euo pipefail
dir=$1 port=$2 mode=${3:-dev}

log() { echo "pg.sh: $*" >&2; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return 0
  fi
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

bindir=$(find_bindir || true)
if [ -z "$bindir" ]; then
  log "PostgreSQL server binaries not found; installing Debian's postgresql package"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
  bindir=$(find_bindir)
fi

# initdb refuses to run as root: run the cluster as the postgres user then.
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
  # The postgres user must be able to reach DIR; fall back to /var/tmp if the
  # checkout sits somewhere it cannot traverse (e.g. under /root).
  mkdir -p "$dir"
  if ! runuser -u postgres -- test -x "$(cd "$dir/.." && pwd)"; then
    dir=/var/tmp/daka-pg-$(echo "$(cd "$dir" && pwd)" | sha1sum | cut -c1-12)
    log "using $dir (postgres cannot reach the checkout)"
  fi
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data sock=$dir/run
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
"${as[@]}" mkdir -p "$sock"

url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
  echo "$url"; exit 0
fi

if [ ! -s "$data/PG_VERSION" ]; then
  log "creating cluster in $data"
  "${as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null 2>&1 ||
    "${as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
fi

opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$sock -c max_connections=300 -c shared_buffers=256MB"
if [ "$mode" = test ]; then
  opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${as[@]}" "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
log "PostgreSQL listening on 127.0.0.1:$port (data: $data, log: $dir/server.log)"
echo "$url"
