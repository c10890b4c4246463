#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for one test run (issue 8 item 5), on 127.0.0.1 only.
#   build/postgres-test-cluster.sh install       installs Debian's postgresql when missing (root, apt-get); the tests
#                                                start their own throwaway cluster from it (tests/Ops.TestSupport)
#   source build/postgres-test-cluster.sh start   installs Debian's postgresql when missing (root, apt-get),
#                                                initdb's a cluster in a temp folder as the OS user postgres,
#                                                starts it on a free port and exports OPS_TEST_POSTGRES
#                                                (and OPS_TEST_POSTGRES_PORT, OPS_TEST_POSTGRES_DIR)
#   build/postgres-test-cluster.sh stop DIR      stops the cluster started in DIR and removes it
# The tests read OPS_TEST_POSTGRES (a superuser's connection string; each test class creates its own database).
set -euo pipefail

pg_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
  return 1
}

install() {
  if pg_bin >/dev/null; then echo "PostgreSQL is installed: $(pg_bin)"; return 0; fi
  if [ "$(id -u)" -ne 0 ]; then echo "PostgreSQL is not installed and this is not root: apt-get install -y postgresql" >&2; return 1; fi
  echo "installing Debian's postgresql (apt-get)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  echo "PostgreSQL is installed: $(pg_bin)"
}

start() {
  local bin
  install >/dev/null
  bin=$(pg_bin)
  local dir port runas=()
  dir=$(mktemp -d /tmp/ops-pg.XXXXXX)
  port=$(free_port)
  # initdb refuses root: the cluster belongs to the postgres OS user when we are root.
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"
    runas=(runuser -u postgres --)
  fi
  "${runas[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  # fsync stays on: acknowledged means durable, and the benchmarks measure the real flush.
  "${runas[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
  export OPS_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  export OPS_TEST_POSTGRES_DIR="$dir" OPS_TEST_POSTGRES_PORT="$port"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster $dir)"
}

stop() {
  local dir=${1:-${OPS_TEST_POSTGRES_DIR:-}} bin runas=()
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  bin=$(pg_bin)
  [ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
  "${runas[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 install | source $0 start | $0 stop DIR" >&2; return 2 2>/dev/null || exit 2 ;;
esac
