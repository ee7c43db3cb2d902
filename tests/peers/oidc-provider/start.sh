#!/usr/bin/env bash
# Start agentctl's test OpenID provider (npm oidc-provider 9) on 127.0.0.1:PORT, in the background.
# Usage: start.sh [PORT]   (default 9100)
# Install dir: $PEER_DIR (default $TMPDIR/agentctl-peer-oidc-provider). Dependencies come from this
# directory's package-lock.json via `npm ci`, reinstalled only when the lock file changes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${1:-${PORT:-9100}}"
DIR="${PEER_DIR:-${TMPDIR:-/tmp}/agentctl-peer-oidc-provider}"
PIDFILE="$DIR/pid.$PORT"
LOG="$DIR/log.$PORT.txt"
DATA="$DIR/data.$PORT"
command -v node >/dev/null || { echo "start.sh: node is not installed (need Node 20+)" >&2; exit 127; }
mkdir -p "$DIR" "$DATA"

install() {
  if ! cmp -s "$HERE/package-lock.json" "$DIR/package-lock.json" \
     || [ ! -f "$DIR/node_modules/oidc-provider/package.json" ]; then
    cp "$HERE/package.json" "$HERE/package-lock.json" "$DIR/"
    (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error --prefer-offline >/dev/null)
  fi
  cp "$HERE/server.mjs" "$DIR/server.mjs"
}
# Several test sessions may share one install dir: serialise installs.
if command -v flock >/dev/null; then
  exec 9>"$DIR/.install.lock"
  flock 9
  install
  flock -u 9
  exec 9>&-
else
  install
fi

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "already running: pid $(cat "$PIDFILE")"
  exit 0
fi
cd "$DIR"
nohup node server.mjs "$PORT" "$DATA" >"$LOG" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 1 150); do
  if curl -sf "http://127.0.0.1:$PORT/.well-known/openid-configuration" >/dev/null; then
    echo "oidc-provider up at http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOG)"
    exit 0
  fi
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "oidc-provider died:" >&2; cat "$LOG" >&2; rm -f "$PIDFILE"; exit 1; }
  sleep 0.2
done
echo "timeout waiting for http://127.0.0.1:$PORT discovery" >&2
cat "$LOG" >&2
exit 1
