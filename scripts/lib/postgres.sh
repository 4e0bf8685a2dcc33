# A throw-away PostgreSQL cluster on a free local port, removed when the script exits.
# shellcheck shell=bash

postgres_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

ensure_postgres_installed() {
  if [ -z "$(postgres_bindir)" ]; then
    echo "==> Installation de PostgreSQL (apt-get)"
    apt_install postgresql || {
      echo "PostgreSQL est introuvable et ce script n’est pas lancé en root pour l’installer :" >&2
      echo "installez le paquet Debian « postgresql » ou définissez TEST_DATABASE_URL." >&2
      return 1
    }
  fi
}

free_port() {
  .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Sets PG_URL; registers stop_postgres to run on exit.
start_postgres() {
  local bindir port
  bindir=$(postgres_bindir)
  port=$(free_port)
  PG_DIR=$(mktemp -d /tmp/barometre-pg.XXXXXX)
  local as=()
  if is_root; then
    # PostgreSQL refuses to run as root: the cluster belongs to the "postgres" system user.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bindir/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_STOP=("${as[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  trap stop_postgres EXIT
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres barometre_test
  PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/barometre_test"
  echo "==> PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') sur le port $port"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}
