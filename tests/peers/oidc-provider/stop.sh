#!/usr/bin/env bash
# Stop the provider start.sh started on PORT: kills only the pid it recorded.
# Usage: stop.sh [PORT]   (default 9100; same $PEER_DIR as start.sh)
PORT="${1:-${PORT:-9100}}"
DIR="${PEER_DIR:-${TMPDIR:-/tmp}/agentctl-peer-oidc-provider}"
PIDFILE="$DIR/pid.$PORT"
[ -f "$PIDFILE" ] || { echo "no pidfile $PIDFILE"; exit 0; }
PID="$(cat "$PIDFILE")"
if kill "$PID" 2>/dev/null; then echo "stopped pid $PID"; else echo "pid $PID not running"; fi
rm -f "$PIDFILE"
