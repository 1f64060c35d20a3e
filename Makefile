# Liaison — `make run` starts a demo office and opens the desk; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test test-postgres chaos bench bench-smoke fuzz api-fuzz deps ui build lint test-rust test-ui clean package

# How long `make test` fuzzes the .docx importer; `make fuzz FUZZ_SECONDS=600` for longer.
FUZZ_SECONDS ?= 30
# Seconds `make test` fuzzes the office API as each role; `make api-fuzz API_FUZZ_SECONDS=600`
# for longer (scripts/api-fuzz.sh lists its other knobs).
API_FUZZ_SECONDS ?= 30

# Installs only what building and running needs (no browser, WebDriver, PostgreSQL or fuzzers)
# and builds only the office and the desk.
run:
	scripts/deps.sh --run
	cd ui && npm run build
	$(CARGO) build -p liaison-office -p liaison-desk-app --bin liaison-office --bin liaison-desk
	scripts/run.sh

# Every test: formatting, lints, the UI's unit tests, and all Rust tests inside a session with a
# real Secret Service and an Xvfb display (the window test drives the built app through WebDriver).
test: deps ui
	$(CARGO) fmt --all -- --check
	$(CARGO) build --workspace --bins
	$(CARGO) clippy --workspace --all-targets --features liaison-tests/window -- -D warnings
	cd ui && npm test
	scripts/test-session.sh --display -- $(CARGO) test --workspace --features liaison-tests/window
	$(MAKE) test-postgres
	API_FUZZ_SECONDS=$(API_FUZZ_SECONDS) scripts/api-fuzz.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)
	scripts/package-desk.sh --debug
	$(MAKE) bench-smoke
	@# ts-rs rewrote ui/src/bindings during the tests: the committed ones must be current.
	git diff --exit-code --stat -- ui/src/bindings || { echo "ui/src/bindings is stale: commit the regenerated files"; exit 1; }

# The office's API, console and engine tests again, each office on a database of its own in a
# throwaway PostgreSQL cluster (the same tests: tests/common and tests/src/lib.rs pick the
# backend), and the desks' engine against a real office process on it. A name in both the office
# and tests/ runs both. Same features as `make test`, so nothing is built again.
POSTGRES_TESTS = api authorisation board commissions files handover hardening inbox limits load_balancer \
	openapi organisation scores signoff watch desk_office desk_cli
test-postgres: deps
	$(CARGO) build -p liaison-pgcluster --bin with-postgres
	$(CARGO) build --workspace --bins
	target/debug/with-postgres scripts/test-session.sh -- $(CARGO) test --workspace \
		--features liaison-tests/window $(addprefix --test ,$(POSTGRES_TESTS))

# The chaos run on its own: make chaos SEED=<n> ROUNDS=<n> [LONG=<seconds>] [OFFICERS=<n>]
# [BACKEND=sqlite|postgres] [OFFICES=<n>]. BACKEND=postgres runs OFFICES office processes on one
# throwaway PostgreSQL cluster behind HAProxy (and restarts the database, cuts its connections).
# Its last line is `chaos: seed=… items=… delivered_once=… lost=0 duplicated=0 corrupt=0`.
ROUNDS ?= 3
OFFICERS ?= 3
BACKEND ?= sqlite
OFFICES ?= 1
chaos: build
	scripts/test-session.sh -- target/debug/liaison-chaos --rounds $(ROUNDS) --officers $(OFFICERS) \
		--backend $(BACKEND) --offices $(OFFICES) \
		$(if $(SEED),--seed $(SEED)) $(if $(LONG),--long $(LONG))

# Benchmarks against floors measured in the same run, in release builds; figures in BENCHMARKS.md.
# Seeded stores (100,000 items; 1,000,000 on SQLite and in a PostgreSQL cluster for the postgres
# group) are kept in target/liaison-bench between runs.
# `make bench BENCH_ARGS="--only store,office"` runs some groups; `--help` lists the knobs.
bench: deps ui
	$(CARGO) build --release -p liaison-office -p liaison-desk-app -p liaison-tests \
		--bin liaison-office --bin liaison-desk --bin liaison-bench --example bare_window
	LIAISON_OFFICE_WRITE_LIMITS=off scripts/test-session.sh --display -- target/release/liaison-bench $(BENCH_ARGS)

# Every benchmark group once, small and in the debug build (`make test` runs it, about 4 minutes):
# the benchmarks still run to their table. Its figures mean nothing; `make bench` is the measure.
bench-smoke: deps
	$(CARGO) build --workspace --bins
	$(CARGO) build -p liaison-desk-app --example bare_window
	LIAISON_OFFICE_WRITE_LIMITS=off scripts/test-session.sh --display -- target/debug/liaison-bench \
		--turns 1 --list-drafts 300 --search-drafts 2000 --office-items 2000 --ingest-items 50 \
		--clients 5 --drain-items 20 --upload-mb 16 --keystrokes 50 --postgres-inbox-items 2000 \
		--cache target/liaison-bench-smoke

# The .docx importer under libFuzzer (cargo-fuzz), bounded.
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The office API against its OpenAPI document (schemathesis), one run per role, bounded.
api-fuzz: deps
	$(CARGO) build -p liaison-office --bin liaison-office
	API_FUZZ_SECONDS=$(API_FUZZ_SECONDS) scripts/api-fuzz.sh

deps:
	scripts/deps.sh

# The office's .deb (release build, cargo-deb) with its systemd unit and office.toml, checked
# (dpkg-deb --info/--contents, systemd-analyze verify), and the desk's .deb, installed with
# dpkg -i and launched under Xvfb (`make test` does the desk's from its debug build).
package: ui
	scripts/deps.sh --package
	scripts/package.sh
	scripts/package-desk.sh

# The desk's front end; Tauri embeds ui/dist at compile time, so it is built before the app.
ui: deps
	cd ui && npm run build

build: deps ui
	$(CARGO) build --workspace --bins

clean:
	$(CARGO) clean
	rm -rf ui/dist .tmp
