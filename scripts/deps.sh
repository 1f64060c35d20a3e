#!/usr/bin/env bash
# Installs what building, running and testing Liaison needs on Debian 12.
# Idempotent: each step is skipped when what it installs is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  # building the Tauri desk (WebKitGTK 4.1)
  libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev file libdbus-1-dev
  # running the desk headless, the real keyring and the WebDriver test
  xvfb xauth dbus dbus-x11 at-spi2-core gnome-keyring libsecret-tools
  webkit2gtk-driver fonts-noto-cjk dunst imagemagick
  # the office console's browser test
  chromium chromium-driver
  # the office on PostgreSQL: tests start throwaway clusters (initdb, pg_ctl) from these
  postgresql postgresql-client
  # the load balancer the office is tested behind (started by the test on loopback)
  haproxy
  # the OpenAPI validator and the API fuzz run (a virtualenv under .tmp/py)
  python3 python3-venv curl
)

missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "deps: installing tauri-driver (WebDriver bridge for the desk window test)"
  cargo install tauri-driver --locked --quiet
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "deps: installing cargo-fuzz (the bounded fuzz run of the .docx importer)"
  cargo install cargo-fuzz --locked --quiet
fi

# `scripts/deps.sh --package` (make package) adds cargo-deb, the office's .deb builder: its
# build takes minutes, so `make test` and `make run` do without it.
if [ "${1:-}" = "--package" ] && ! command -v cargo-deb >/dev/null 2>&1; then
  echo "deps: installing cargo-deb (make package: the office's .deb)"
  cargo install cargo-deb --locked --quiet
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "deps: installing ui npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# The OpenAPI 3.1 validator and schemathesis (scripts/api-fuzz.sh), pinned, in a virtualenv under
# the ignored .tmp/; reinstalled only when the pins change.
PY_TOOLS=(schemathesis==4.32.5 openapi-spec-validator==0.9.0)
PY_VENV=.tmp/py
if [ "$(cat "$PY_VENV/.pinned" 2>/dev/null)" != "${PY_TOOLS[*]}" ]; then
  echo "deps: installing ${PY_TOOLS[*]} into $PY_VENV"
  rm -rf "$PY_VENV"
  python3 -m venv "$PY_VENV"
  "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
  echo "${PY_TOOLS[*]}" >"$PY_VENV/.pinned"
fi
