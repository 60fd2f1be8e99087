#!/usr/bin/env bash
# End-to-end test of `cliprt serve` in a real browser: indexes the shipped samples, starts the
# server and Debian's chromedriver, and drives headless chromium over the W3C WebDriver HTTP
# protocol with curl + jq: types a query, waits for the grid, checks that the thumbnails appear
# in the order `cliprt search --json` gives for the same query, opens one full image, clicks
# "more like this" and checks the grid becomes that image's neighbours (`cliprt search --image`,
# the image itself left out), then uploads a sample and checks it finds itself first. Screenshots
# go to the build directory as test artifacts.
#
# usage: serve_browser_test.sh CLIPRT_BINARY SOURCE_DIR OUTPUT_DIR
# Exit 77 (ctest: skipped) when chromium or chromedriver is not installed.
set -euo pipefail

CLIPRT=$(realpath "$1")
SRC=$(realpath "$2")
OUT=$(realpath "$3")
QUERY="a green triangle"
K=48  # what the page asks for

CHROMEDRIVER=$(command -v chromedriver || true)
CHROMIUM=""
for c in /usr/lib/chromium/chromium /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -x "$c" ]; then CHROMIUM=$c; break; fi
done
if [ -z "$CHROMEDRIVER" ] || [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium and chromium-driver are needed (scripts/setup.sh installs them)"
  exit 77
fi
command -v jq >/dev/null || { echo "FAIL: jq is needed (scripts/setup.sh installs it)"; exit 1; }

WORK="$OUT/serve_browser"
mkdir -p "$WORK"
rm -f "$OUT"/serve_browser_*.png
fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "[$SECONDS s] $*"; }

# The default model once it ships, else the tiny test checkpoint (any model exercises the UI).
MODEL="$SRC/models/default"
[ -d "$MODEL" ] || MODEL="$SRC/tests/data/checkpoints/open_clip_f16"
DB="$WORK/samples.db"
index() { "$CLIPRT" index "$SRC/samples" --db "$DB" --model "$MODEL" --backend cpu >"$WORK/index.log" 2>&1; }
# Incremental: a rerun only rescans. An index of another model is started afresh.
if ! index; then
  rm -rf "$DB" "$DB-wal" "$DB-shm" "$DB.thumbs"
  index || { cat "$WORK/index.log"; fail "cliprt index"; }
fi
log "indexed: $(tail -1 "$WORK/index.log")"

SERVER_PID="" DRIVER_PID="" SESSION=""
cleanup() {
  if [ -n "$SESSION" ]; then curl -s -X DELETE "$WD/session/$SESSION" >/dev/null || true; fi
  if [ -n "$DRIVER_PID" ]; then kill "$DRIVER_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$CLIPRT" serve --db "$DB" --port 0 --model "$MODEL" --backend cpu >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do grep -q "http://" "$WORK/serve.log" && break; sleep 0.1; done
PORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/serve.log" | head -1 | cut -d: -f2)
[ -n "$PORT" ] || { cat "$WORK/serve.log"; fail "cliprt serve did not start"; }
APP="http://127.0.0.1:$PORT"
log "serving at $APP"

# A free port for chromedriver: the first that nothing answers on.
DRIVER_PORT=""
for p in $(shuf -i 20000-60000 -n 20); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then DRIVER_PORT=$p; break; fi
done
[ -n "$DRIVER_PORT" ] || fail "no free port for chromedriver"
"$CHROMEDRIVER" --port="$DRIVER_PORT" >"$WORK/chromedriver.log" 2>&1 &
DRIVER_PID=$!
WD="http://127.0.0.1:$DRIVER_PORT"
for _ in $(seq 100); do
  [ "$(curl -s "$WD/status" | jq -r '.value.ready' 2>/dev/null)" = "true" ] && break
  sleep 0.1
done

# wd METHOD PATH [JSON]: one WebDriver command; prints .value, fails on a WebDriver error.
wd() {
  local reply
  reply=$(curl -s -X "$1" "$WD$2" -H 'Content-Type: application/json' ${3:+--data "$3"}) || fail "WebDriver $1 $2: no answer"
  if [ "$(jq -r '.value.error? // empty' <<<"$reply")" != "" ]; then
    fail "WebDriver $1 $2: $(jq -r '.value.error + ": " + .value.message' <<<"$reply" | head -3)"
  fi
  jq -c '.value' <<<"$reply"
}
js() { wd POST "/session/$SESSION/execute/sync" "$(jq -nc --arg s "$1" '{script: $s, args: []}')"; }
find_all() { wd POST "/session/$SESSION/elements" "$(jq -nc --arg v "$1" '{using: "css selector", value: $v}')" | jq -r '.[] | to_entries[0].value'; }
find_one() { wd POST "/session/$SESSION/element" "$(jq -nc --arg v "$1" '{using: "css selector", value: $v}')" | jq -r 'to_entries[0].value'; }
attr() { wd GET "/session/$SESSION/element/$1/attribute/$2" | jq -r '.'; }
# Waits until the grid shows the search labelled $1 (the page sets data-for when it is complete).
wait_grid() {
  local state=""
  for _ in $(seq 200); do
    state=$(js "const g = document.getElementById('results'); return g.dataset.state + ' ' + (g.dataset.for || '');" | jq -r '.')
    [ "$state" = "done $1" ] && return 0
    [[ "$state" == error* ]] && fail "the page reports an error: $(js "return document.getElementById('heading').textContent" | jq -r .)"
    sleep 0.1
  done
  fail "grid for '$1' did not appear (state: $state)"
}
# The file names the grid shows, in order (one script call: 48 attribute round trips are slow).
grid_names() { js "return [...document.querySelectorAll('#results figure.result')].map(f => f.dataset.name)" | jq -r '.[]'; }
screenshot() { wd GET "/session/$SESSION/screenshot" | jq -r '.' | base64 -d >"$1"; [ "$(head -c 4 "$1" | tail -c 3)" = "PNG" ] || fail "screenshot $1 is not a PNG"; log "screenshot: $1"; }

CAPS=$(jq -nc --arg bin "$CHROMIUM" --arg dir "$WORK/profile" '{capabilities: {alwaysMatch: {
  "goog:chromeOptions": {binary: $bin, args: ["--headless=new", "--no-sandbox", "--disable-gpu",
    "--disable-dev-shm-usage", "--window-size=1280,1000", "--hide-scrollbars", ("--user-data-dir=" + $dir)]}}}}')
rm -rf "$WORK/profile"
SESSION=$(wd POST /session "$CAPS" | jq -r '.sessionId')
log "browser session $SESSION"

wd POST "/session/$SESSION/url" "$(jq -nc --arg u "$APP/" '{url: $u}')" >/dev/null
# The status line shows the index.
COUNT=$("$CLIPRT" search "$QUERY" --db "$DB" --backend cpu --json -k 1 | jq -r '.indexed')
for _ in $(seq 100); do
  [ "$(js "return document.getElementById('status').dataset.count || ''" | jq -r .)" = "$COUNT" ] && break
  sleep 0.1
done
STATUS=$(js "return document.getElementById('status').textContent" | jq -r .)
[[ "$STATUS" == "$COUNT images"* ]] || fail "status line '$STATUS' does not show $COUNT images"
log "status: $STATUS"

# 1. Type the query and submit, as a user does.
BOX=$(find_one "#q")
wd POST "/session/$SESSION/element/$BOX/value" "$(jq -nc --arg t "$QUERY" '{text: $t}')" >/dev/null
wd POST "/session/$SESSION/element/$(find_one "#go")/click" '{}' >/dev/null
wait_grid "text:$QUERY"
GOT=$(grid_names)
EXPECTED=$("$CLIPRT" search "$QUERY" --db "$DB" --backend cpu --json -k $K | jq -r '.results[].path' | xargs -n1 basename)
[ "$(wc -l <<<"$GOT")" -eq "$(wc -l <<<"$EXPECTED")" ] || fail "grid has $(wc -l <<<"$GOT") results, cliprt search $(wc -l <<<"$EXPECTED")"
[ "$GOT" = "$EXPECTED" ] || { diff <(echo "$EXPECTED") <(echo "$GOT") | head; fail "grid order differs from cliprt search"; }
log "text query: $(wc -l <<<"$GOT") thumbnails in cliprt search's order, first: $(head -3 <<<"$GOT" | paste -sd' ')"

# The visible thumbnails are real 256x256 images (served by /api/thumb).
for _ in $(seq 100); do
  LOADED=$(js "return [...document.querySelectorAll('#results img')].slice(0, 12).filter(i => i.complete && i.naturalWidth === 256).length" | jq -r .)
  [ "$LOADED" = "12" ] && break
  sleep 0.1
done
[ "$LOADED" = "12" ] || fail "only $LOADED of the first 12 thumbnails loaded"
screenshot "$OUT/serve_browser_text.png"

# 2. A click on a thumbnail shows the original image.
FIRST=$(find_all "#results figure.result" | head -1)
FIRST_NAME=$(attr "$FIRST" data-name)
FIRST_ID=$(attr "$FIRST" data-id)
wd POST "/session/$SESSION/element/$(find_one "#results figure.result img")/click" '{}' >/dev/null
for _ in $(seq 100); do
  FULL=$(js "const v = document.getElementById('viewer'), f = document.getElementById('full'); return v.classList.contains('open') && f.complete ? f.naturalWidth + 'x' + f.naturalHeight : ''" | jq -r .)
  [ -n "$FULL" ] && [ "$FULL" != "0x0" ] && break
  sleep 0.1
done
[ -n "$FULL" ] && [ "$FULL" != "0x0" ] || fail "the full image did not open"
log "viewer shows $FIRST_NAME at $FULL"
wd POST "/session/$SESSION/element/$(find_one "#viewer")/click" '{}' >/dev/null

# 3. "More like this" on the first result: its neighbours by the stored embedding.
wd POST "/session/$SESSION/element/$(find_one "#results figure.result button.more")/click" '{}' >/dev/null
wait_grid "similar:$FIRST_ID"
GOT2=$(grid_names)
FIRST_PATH=$("$CLIPRT" search "$QUERY" --db "$DB" --backend cpu --json -k 1 | jq -r '.results[0].path')
[ "$(basename "$FIRST_PATH")" = "$FIRST_NAME" ] || fail "first result $FIRST_NAME is not $FIRST_PATH"
EXPECTED2=$("$CLIPRT" search --image "$FIRST_PATH" --db "$DB" --backend cpu --json -k $((K + 1)) |
  jq -r --arg self "$FIRST_PATH" '[.results[] | select(.path != $self)][:'$K'][] | .path' | xargs -n1 basename)
[ "$GOT2" != "$GOT" ] || fail "the grid did not change after more like this"
[ "$GOT2" = "$EXPECTED2" ] || { diff <(echo "$EXPECTED2") <(echo "$GOT2") | head; fail "more like this differs from cliprt search --image"; }
if grep -qx "$FIRST_NAME" <<<"$GOT2"; then fail "more like this lists the image itself"; fi
log "more like this $FIRST_NAME: $(wc -l <<<"$GOT2") neighbours in cliprt search --image's order, first: $(head -3 <<<"$GOT2" | paste -sd' ')"
screenshot "$OUT/serve_browser_similar.png"

# 4. Search by an uploaded image: the file input gets the path, as chromedriver uploads files.
UPLOAD="$SRC/samples/$(sed -n 5p <<<"$GOT2")"
wd POST "/session/$SESSION/element/$(find_one "#upload")/value" "$(jq -nc --arg t "$UPLOAD" '{text: $t}')" >/dev/null
wait_grid "image:$(basename "$UPLOAD")"
GOT3=$(grid_names)
[ "$(head -1 <<<"$GOT3")" = "$(basename "$UPLOAD")" ] || fail "uploading $(basename "$UPLOAD") did not find it first (got $(head -1 <<<"$GOT3"))"
TOP=$(js "return document.querySelector('#results figure.result').dataset.score" | jq -r .)
awk -v s="$TOP" 'BEGIN { exit !(s >= 0.9999) }' || fail "the uploaded image's own score is $TOP, not 1"
log "upload $(basename "$UPLOAD"): found itself first, score $TOP"

log "PASS"
