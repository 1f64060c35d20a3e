#!/usr/bin/env bash
# `make package`: the office's .deb (a release build, through cargo-deb), then checked: its
# control data and maintainer scripts, its files, the conffile, the packaged binary reading the
# packaged office.toml, and the systemd unit (systemd-analyze verify, where there is one).
# Prints the .deb's path last.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target/debian"
if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "package: cargo-deb is missing (scripts/deps.sh installs it)" >&2
  exit 1
fi

mkdir -p "$out"
rm -f "$out"/liaison-office_*.deb
cargo deb -p liaison-office --output "$out"
deb=$(ls "$out"/liaison-office_*.deb)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "package: $*" >&2; exit 1; }

echo "== dpkg-deb --info $deb"
dpkg-deb --info "$deb" | tee "$work/info"
echo "== dpkg-deb --contents"
dpkg-deb --contents "$deb" | tee "$work/contents"

for f in ./usr/bin/liaison-office ./etc/liaison-office/office.toml \
  ./lib/systemd/system/liaison-office.service; do
  awk '{print $6}' "$work/contents" | grep -qx "$f" || fail "$f is not in the package"
done
grep -q ' Package: liaison-office$' "$work/info" || fail "the package is not named liaison-office"
dpkg-deb --control "$deb" "$work/control"
grep -qx /etc/liaison-office/office.toml "$work/control/conffiles" ||
  fail "/etc/liaison-office/office.toml is not a conffile"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "no executable $script"
  sh -n "$work/control/$script" || fail "$script is not valid sh"
done
grep -q 'useradd --system' "$work/control/postinst" || fail "postinst does not create the system user"

dpkg-deb -x "$deb" "$work/root"
bin="$work/root/usr/bin/liaison-office"
"$bin" --version
# The packaged binary reads the packaged configuration: with a data folder that holds no office
# it gets as far as refusing to serve it (a bad value would stop it earlier, with its line).
set +e
"$bin" serve --config "$work/root/etc/liaison-office/office.toml" --data "$work/no-office" \
  2>"$work/serve.err"
status=$?
set -e
grep -q 'holds no office yet' "$work/serve.err" || { cat "$work/serve.err" >&2; fail "the packaged office.toml did not read"; }
[ "$status" -eq 78 ] || fail "serve on no office exited $status, not 78"
[ ! -e "$work/no-office" ] || fail "serve created the data folder it refused"

if command -v systemd-analyze >/dev/null 2>&1; then
  echo "== systemd-analyze verify"
  # The unit as installed, its binary where this check can see it.
  unit="$work/liaison-office.service"
  sed "s|/usr/bin/liaison-office|$bin|" "$work/root/lib/systemd/system/liaison-office.service" >"$unit"
  # verify exits 0 on an unknown key (it only warns): any output is a failure here.
  systemd-analyze verify "$unit" 2>&1 | tee "$work/verify"
  [ ! -s "$work/verify" ] || fail "systemd-analyze verify complained about the unit"
  echo "== systemd-analyze security (exposure at most 3.0 of 10)"
  systemd-analyze security --offline=true --threshold=30 "$unit" | tail -1 ||
    fail "the unit's sandboxing is weaker than expected"
else
  echo "package: no systemd-analyze here; the unit was not verified"
fi

echo "package: ok"
echo "$deb"
