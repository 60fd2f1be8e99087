#!/usr/bin/env bash
# Development-time load check of `cliprt serve` (issue 19): index the shipped samples with the
# default model, serve on 127.0.0.1, open 8 slowloris connections (one header byte every 4 s), and
# run wrk (Debian package wrk) with 32 connections for 30 s over a mix of text searches and
# thumbnails (a request slower than 10 s counts as an error). Prints requests/s, latency
# percentiles and errors (socket errors, timeouts, non-2xx answers).
# usage: tools/serve_load.sh BUILD_DIR [PORT]
set -euo pipefail
build=$1 port=${2:-18931}
cli="$build/cliprt"
work=$(mktemp -d)
trap 'kill ${server_pid:-} ${slow_pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
"$cli" index samples --db "$work/index.db" --model models/default --backend cpu > /dev/null
"$cli" serve --db "$work/index.db" --port "$port" --backend cpu > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/status" > /dev/null && break; sleep 0.2; done
ids=$(curl -sf "http://127.0.0.1:$port/api/search?k=48&q=shape" | jq -r '.results[].id' | tr '\n' ' ')
for id in $ids; do curl -sf -o /dev/null "http://127.0.0.1:$port/api/thumb?id=$id"; done  # thumbnails cached
python3 tools/slow_headers.py 127.0.0.1 "$port" 8 4 40 &
slow_pid=$!
sleep 2
THUMB_IDS="$ids" wrk -t 4 -c 32 -d 30s --timeout 10s --latency -s tools/serve_load.lua "http://127.0.0.1:$port/"
wait "$slow_pid"
