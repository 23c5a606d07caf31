#!/usr/bin/env bash
# Runs every test of the workspace. Needs PostgreSQL: uses the server on
# 127.0.0.1:5432 when one answers, starts the machine's cluster when it is only
# stopped, and otherwise starts a throwaway cluster (installing PostgreSQL from
# Debian's packages when it is missing). Needs Azurite, socket.io-client, socket.io
# and playwright-core (npm), installed under tests/tools when missing; the tests
# start their own instances.
# Needs ffmpeg and ffprobe, and headless Chromium for the dashboard test, installed
# from Debian's packages when missing.
# Needs schemathesis (PyPI, pinned in tests/tools/requirements.txt), installed
# into tests/tools/.venv when missing.
# Needs Redis for the two-process realtime test: uses the server on
# 127.0.0.1:6379 when one answers, else starts a throwaway one (installing
# redis-server from Debian's packages when it is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*" >&2; }

pg_up() { pg_isready -q -h 127.0.0.1 -p "$1" 2>/dev/null; }

ensure_postgres() {
  if [ -n "${ALTEGON_TEST_PG_URL:-}" ]; then
    log "using ALTEGON_TEST_PG_URL"
    return
  fi
  if command -v pg_isready >/dev/null && pg_up 5432; then
    log "PostgreSQL answers on 127.0.0.1:5432"
    return
  fi
  if command -v pg_ctlcluster >/dev/null && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    log "starting the machine's PostgreSQL cluster"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
    for _ in $(seq 1 30); do pg_up 5432 && return; sleep 1; done
  fi
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$initdb" ]; then
    log "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)
  fi
  local bin dir port=55432
  bin=$(dirname "$initdb")
  dir=$(mktemp -d)
  log "starting a throwaway PostgreSQL cluster in $dir on port $port"
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=400" start >/dev/null
  export ALTEGON_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  trap '"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true' EXIT
}

redis_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

ensure_redis() {
  if [ -n "${ALTEGON_TEST_REDIS_URL:-}" ]; then
    log "using ALTEGON_TEST_REDIS_URL"
    return
  fi
  if redis_up 6379; then
    log "Redis answers on 127.0.0.1:6379"
    return
  fi
  if ! command -v redis-server >/dev/null; then
    log "installing Redis"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  fi
  local port=56379
  log "starting a throwaway Redis on port $port"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
  for _ in $(seq 1 30); do redis_up "$port" && break; sleep 0.2; done
  export ALTEGON_TEST_REDIS_URL="redis://127.0.0.1:$port"
}

ensure_ffmpeg() {
  if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then
    log "ffmpeg is installed"
    return
  fi
  log "installing ffmpeg"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then
    log "Chromium is installed"
    return
  fi
  log "installing Chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

ensure_node_tools() {
  local bin=tests/tools/node_modules/.bin/azurite-blob
  if ! command -v npm >/dev/null; then
    log "installing Node.js and npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  # Every package of tests/tools/package.json present, installed from this lockfile.
  local missing
  missing=$(cd tests/tools && node -e '
    const fs = require("fs");
    const deps = Object.keys(require("./package.json").dependencies);
    const gone = deps.filter((d) => !fs.existsSync(`node_modules/${d}/package.json`));
    const installed = "node_modules/.package-lock.json";
    const stale = !fs.existsSync(installed) ||
      fs.statSync("package-lock.json").mtimeMs > fs.statSync(installed).mtimeMs;
    console.log(gone.length || stale ? gone.join(" ") || "stale" : "");
  ')
  if [ -z "$missing" ]; then
    log "the npm tools are installed"
  else
    log "installing the npm tools (Azurite, socket.io-client v4 and v2, socket.io, playwright-core): $missing"
    npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error >/dev/null
  fi
  ALTEGON_AZURITE_BIN="$(pwd)/$bin"
  export ALTEGON_AZURITE_BIN
}

ensure_schemathesis() {
  local venv=tests/tools/.venv want
  want=$(cat tests/tools/requirements.txt)
  if [ -x "$venv/bin/st" ] && "$venv/bin/pip" freeze 2>/dev/null | grep -qx "$want"; then
    log "schemathesis is installed"
  else
    log "installing $want into $venv"
    if ! python3 -m venv --help >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r tests/tools/requirements.txt
  fi
  ALTEGON_SCHEMATHESIS_BIN="$(pwd)/$venv/bin/st"
  export ALTEGON_SCHEMATHESIS_BIN
}

ensure_postgres
ensure_redis
ensure_schemathesis
ensure_node_tools
ensure_ffmpeg
ensure_chromium

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
  # nextest does not run doc tests.
  cargo test --workspace --doc
else
  cargo test --workspace --no-fail-fast "$@"
fi
