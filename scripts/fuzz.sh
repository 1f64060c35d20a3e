#!/usr/bin/env bash
# A bounded fuzz run of the .docx importer: `scripts/fuzz.sh [seconds]` (default 30).
# cargo-fuzz drives libFuzzer; the toolchain here is stable, so RUSTC_BOOTSTRAP lets it pass the
# unstable flags libFuzzer needs. The seed corpus is the tests' own files.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-30}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
CORPUS="$PWD/.tmp/fuzz-corpus/docx"
rm -rf "$CORPUS" && mkdir -p "$CORPUS"
cargo run -q -p liaison-import --features testing --example write_fuzz_corpus -- "$CORPUS"
cd crates/import
RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz docx "$CORPUS" -- \
    -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=1024 -timeout=10 -print_final_stats=1
