#!/usr/bin/env bash
# `make run`: a demo office on loopback and, when there is a display, the desk window signed in
# as a demo officer. Data lives in .tmp/ (delete it to start from a fresh demo city).
set -euo pipefail
cd "$(dirname "$0")/.."

listen="${LIAISON_LISTEN:-127.0.0.1:8480}"
office_data=".tmp/demo-office"
desk_data=".tmp/demo-desk"
mkdir -p "$office_data" "$desk_data"

target="${CARGO_TARGET_DIR:-target}/debug"
# A fresh office gets the demo city and a year of sample items (LIAISON_SEED_ITEMS, default 2000).
if [ ! -e "$office_data/office.db" ]; then
  "$target/liaison-office" admin seed --data "$office_data" --items "${LIAISON_SEED_ITEMS:-2000}"
fi
"$target/liaison-office" serve --demo --data "$office_data" --listen "$listen" &
office_pid=$!
trap 'kill $office_pid 2>/dev/null || true; wait $office_pid 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null; then break; fi
  if ! kill -0 "$office_pid" 2>/dev/null; then echo "run: the office did not start (is $listen in use?)" >&2; exit 1; fi
  sleep 0.1
done
echo
echo "Office:  http://$listen   (API under /api/v1, OpenAPI at /api/v1/openapi.json)"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat <<MSG

The desk window needs a desktop session (DISPLAY or WAYLAND_DISPLAY is not set).
The office keeps running; press Ctrl-C to stop it. To see the window on a machine without a
screen, run it inside a virtual display with a keyring:
    scripts/test-session.sh --display -- make run
MSG
  wait "$office_pid"
  exit 0
fi

echo "Desk:    opening the window, signed in as the first demo officer"
LIAISON_OFFICE_URL="http://$listen" \
LIAISON_DEMO_SEATS="$office_data/demo-seats.json" \
LIAISON_DESK_DATA="$desk_data" \
  "$target/liaison-desk"
