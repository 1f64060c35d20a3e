#!/usr/bin/env bash
# Runs a command inside what a desktop session gives the desk: a private D-Bus session bus, an
# unlocked gnome-keyring (the real Secret Service) and, with --display, an Xvfb screen.
# HOME is a temporary folder so the user's own keyring and desk data are never touched.
#
#   scripts/test-session.sh [--display] -- COMMAND...
set -euo pipefail

display=0
if [ "${1:-}" = "--display" ]; then display=1; shift; fi
[ "${1:-}" = "--" ] && shift

# Keep the toolchain where it is when HOME moves.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"

session_home=$(mktemp -d /tmp/liaison-session.XXXXXX)
trap 'rm -rf "$session_home"' EXIT
export HOME="$session_home"
export XDG_DATA_HOME="$session_home/.local/share" XDG_CONFIG_HOME="$session_home/.config"
export XDG_RUNTIME_DIR="$session_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

inner=$(cat <<'INNER'
set -e
printf '%s' liaison-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"
INNER
)

if [ "$display" = 1 ]; then
  exec xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- bash -c "$inner" session "$@"
else
  exec dbus-run-session -- bash -c "$inner" session "$@"
fi
