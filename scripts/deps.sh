#!/usr/bin/env bash
# Installs what Liaison needs on Debian 12. Idempotent: each step is skipped when what it installs
# is already present.
#   scripts/deps.sh            everything `make test` and `make package` need (building, running,
#                              testing, the .deb builder)
#   scripts/deps.sh --run      only what building and running needs (`make run`): no browser, no
#                              WebDriver, no PostgreSQL or HAProxy, no fuzzers, no .deb builder
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-test}"
case "$mode" in
  test | --run | --package) ;; # --package: the same as test, kept for `make package`
  *) echo "deps: unknown option $mode (--run or --package)" >&2; exit 2 ;;
esac

RUN_PACKAGES=(
  # building the Tauri desk (WebKitGTK 4.1)
  libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev file libdbus-1-dev
  # the desk's keyring (Secret Service) and its Chinese text
  gnome-keyring fonts-noto-cjk
)
TEST_PACKAGES=(
  # running the desk headless, the real keyring and the WebDriver test
  xvfb xauth dbus dbus-x11 at-spi2-core libsecret-tools
  webkit2gtk-driver dunst imagemagick
  # the office console's browser test
  chromium chromium-driver
  # the office on PostgreSQL: tests start throwaway clusters (initdb, pg_ctl) from these
  postgresql postgresql-client
  # the load balancer the office is tested behind (started by the test on loopback)
  haproxy
  # the OpenAPI validator and the API fuzz run (a virtualenv under .tmp/py)
  python3 python3-venv curl
)
SYSTEM_PACKAGES=("${RUN_PACKAGES[@]}")
[ "$mode" = --run ] || SYSTEM_PACKAGES+=("${TEST_PACKAGES[@]}")

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

if [ "$mode" != --run ] && ! command -v tauri-driver >/dev/null 2>&1; then
  echo "deps: installing tauri-driver (WebDriver bridge for the desk window test)"
  cargo install tauri-driver --locked --quiet
fi

if [ "$mode" != --run ] && ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "deps: installing cargo-fuzz (the bounded fuzz run of the .docx importer)"
  cargo install cargo-fuzz --locked --quiet
fi

# cargo-deb builds the .debs: `make package`, and the desk's .deb `make test` installs.
if [ "$mode" != --run ] && ! command -v cargo-deb >/dev/null 2>&1; then
  echo "deps: installing cargo-deb (the office's and the desk's .deb)"
  cargo install cargo-deb --version 3.8.0 --locked --quiet
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "deps: installing ui npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# The OpenAPI 3.1 validator and schemathesis (scripts/api-fuzz.sh), pinned, in a virtualenv under
# the ignored .tmp/; reinstalled only when the pins change.
PY_TOOLS=(schemathesis==4.32.5 openapi-spec-validator==0.9.0)
PY_VENV=.tmp/py
if [ "$mode" != --run ] && [ "$(cat "$PY_VENV/.pinned" 2>/dev/null)" != "${PY_TOOLS[*]}" ]; then
  echo "deps: installing ${PY_TOOLS[*]} into $PY_VENV"
  rm -rf "$PY_VENV"
  python3 -m venv "$PY_VENV"
  "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
  echo "${PY_TOOLS[*]}" >"$PY_VENV/.pinned"
fi
