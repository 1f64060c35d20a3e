#!/usr/bin/env bash
# The desk's .deb (cargo-deb), checked, installed with dpkg -i and launched from /usr/bin under
# Xvfb: its window must paint and sign in to a test office (tests/tests/window.rs,
# the_installed_desk_paints_and_signs_in). The package is removed again afterwards.
#
#   scripts/package-desk.sh           `make package`: a release build
#   scripts/package-desk.sh --debug   `make test`: the debug binary the test run built, packed fast
#
# Installing needs root (or sudo). Prints the .deb's path last.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
if [ "${1:-}" = "--debug" ]; then profile=dev; fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target/debian"
fail() { echo "package-desk: $*" >&2; exit 1; }
command -v cargo-deb >/dev/null 2>&1 || fail "cargo-deb is missing (scripts/deps.sh installs it)"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Tauri embeds ui/dist when the app compiles: the front end is built first (make ui).
[ -f ui/dist/index.html ] || fail "ui/dist is not built (make ui)"
if [ "$profile" = release ]; then
  cargo build --release -p liaison-desk-app --bin liaison-desk
  bin="$target/release/liaison-desk"
  pack=(--profile release)
else
  bin="$target/debug/liaison-desk"
  [ -x "$bin" ] || fail "$bin is not built (cargo build --workspace --bins)"
  pack=(--profile dev --fast)
fi
mkdir -p "$out"
rm -f "$out"/liaison-desk_*.deb
cargo deb -p liaison-desk-app --no-build "${pack[@]}" --output "$out"
deb=$(ls "$out"/liaison-desk_*.deb)

work=$(mktemp -d)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then $SUDO dpkg -r liaison-desk >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== dpkg-deb --info $deb"
dpkg-deb --info "$deb" | tee "$work/info"
dpkg-deb --contents "$deb" >"$work/contents"
for f in ./usr/bin/liaison-desk ./usr/share/applications/liaison-desk.desktop \
  ./usr/share/icons/hicolor/128x128/apps/liaison-desk.png; do
  awk '{print $6}' "$work/contents" | grep -qx "$f" || fail "$f is not in the package"
done
grep -q ' Package: liaison-desk$' "$work/info" || fail "the package is not named liaison-desk"
# dpkg-shlibdeps found the WebKitGTK the binary links: installing pulls it in.
grep -q 'Depends:.*libwebkit2gtk-4.1-0' "$work/info" || fail "the package does not depend on WebKitGTK 4.1"

if dpkg-query -W -f='${Status}' liaison-desk 2>/dev/null | grep -q "install ok installed"; then
  fail "liaison-desk is installed on this machine already; remove it first (dpkg -r liaison-desk)"
fi
echo "== dpkg -i"
installed=1
$SUDO dpkg -i "$deb"
[ -x /usr/bin/liaison-desk ] || fail "dpkg -i did not install /usr/bin/liaison-desk"

# The office the installed desk signs in to is this workspace's debug build.
cargo build -p liaison-office --bin liaison-office
echo "== the installed desk under Xvfb"
LIAISON_INSTALLED_DESK=/usr/bin/liaison-desk scripts/test-session.sh --display -- \
  cargo test --workspace --features liaison-tests/window --test window -- \
  --ignored --exact the_installed_desk_paints_and_signs_in

echo "package-desk: ok"
echo "$deb"
