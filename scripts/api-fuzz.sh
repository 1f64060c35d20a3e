#!/usr/bin/env bash
# The office API fuzzed against its own OpenAPI document, bounded: `scripts/api-fuzz.sh`.
#
# Starts a demo office on loopback (a fresh data folder under .tmp/api-fuzz/), checks that
# /api/v1/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator), signs in one seat
# of each role, and runs schemathesis against the document with that seat's token: no 5xx, every
# status, content type, header and JSON body as documented. One summary line per role; exits
# non-zero on any failure or error. schemathesis and the validator live in .tmp/py (scripts/deps.sh).
#
# Knobs (environment):
#   API_FUZZ_EXAMPLES=8        test cases per operation and phase (schemathesis --max-examples)
#   API_FUZZ_SECONDS=30        time budget per role (schemathesis --max-time)
#   API_FUZZ_ROLES="officer responsible editor admin"
#   API_FUZZ_SEED=<n>          replay a run (schemathesis prints the seed of each)
#   API_FUZZ_WORKERS=1         concurrent requests (more threads can trip a CPython 3.11 bug in
#                              Hypothesis, "AST constructor recursion depth mismatch": an error
#                              of the fuzzer, not of the office)
#   API_FUZZ_OFFICE_ARGS=...   more arguments for `liaison-office serve` (e.g. looser rate limits;
#                              a 429 is declared in the document, so it never fails the run)
#   OFFICE_BIN=target/debug/liaison-office
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES="${API_FUZZ_EXAMPLES:-8}"
BUDGET="${API_FUZZ_SECONDS:-30}"
ROLES="${API_FUZZ_ROLES:-officer responsible editor admin}"
WORKERS="${API_FUZZ_WORKERS:-1}"
OFFICE_BIN="${OFFICE_BIN:-target/debug/liaison-office}"
PY=.tmp/py/bin
[ -x "$PY/st" ] && [ -x "$PY/openapi-spec-validator" ] || {
  echo "api-fuzz: schemathesis is missing; run scripts/deps.sh" >&2
  exit 2
}
[ -x "$OFFICE_BIN" ] || {
  echo "api-fuzz: $OFFICE_BIN is missing; cargo build -p liaison-office --bin liaison-office" >&2
  exit 2
}

WORK=".tmp/api-fuzz"
rm -rf "$WORK" && mkdir -p "$WORK/data"
OFFICE_PID=""
cleanup() {
  if [ -n "$OFFICE_PID" ]; then
    kill "$OFFICE_PID" 2>/dev/null || true
    wait "$OFFICE_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# shellcheck disable=SC2086 # API_FUZZ_OFFICE_ARGS is a list of arguments
"$OFFICE_BIN" serve --data "$WORK/data" --listen 127.0.0.1:0 --demo ${API_FUZZ_OFFICE_ARGS:-} \
  >"$WORK/office.out" 2>"$WORK/office.log" &
OFFICE_PID=$!
BASE=""
for _ in $(seq 1 300); do
  BASE=$(sed -n 's|^liaison-office listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$WORK/office.out")
  [ -n "$BASE" ] && break
  kill -0 "$OFFICE_PID" 2>/dev/null || { cat "$WORK/office.log" >&2; echo "api-fuzz: the office did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$BASE" ] || { echo "api-fuzz: the office did not say where it listens" >&2; exit 1; }
API="$BASE/api/v1"

# The document must be valid OpenAPI 3.1 before anything is fuzzed against it.
curl -fsS "$API/openapi.json" -o "$WORK/openapi.json"
"$PY/openapi-spec-validator" --schema 3.1 "$WORK/openapi.json" >"$WORK/validator.log" 2>&1 || {
  cat "$WORK/validator.log" >&2
  echo "api-fuzz: /api/v1/openapi.json is not a valid OpenAPI 3.1 document" >&2
  exit 1
}
echo "api-fuzz: $API/openapi.json is valid OpenAPI 3.1"

# Sign in every role first: fuzzing the sign-in trips the failed-sign-in throttle for this address.
"$PY/python" - "$API" "$WORK/data/demo-seats.json" "$WORK" $ROLES <<'PY'
import json, sys, urllib.request
api, seats_file, work, *roles = sys.argv[1:]
seats = json.load(open(seats_file))
for role in roles:
    seat = next(s for s in seats if s["role"] == role)
    req = urllib.request.Request(
        f"{api}/sessions",
        data=json.dumps({"login": seat["login"], "password": seat["password"]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        token = json.load(r)["token"]
    with open(f"{work}/{role}.token", "w") as f:
        f.write(token)
PY

export SCHEMATHESIS_HOOKS="$PWD/scripts/api-fuzz/hooks.py"
status=0
for role in $ROLES; do
  token=$(cat "$WORK/$role.token")
  started=$(date +%s)
  rc=0
  # Signing out would end the session the rest of the run uses (the Rust tests cover it).
  "$PY/st" --config-file scripts/api-fuzz/schemathesis.toml run "$API/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --exclude-operation-id sign_out \
    --max-examples "$EXAMPLES" --max-time "$BUDGET" --workers "$WORKERS" \
    --request-timeout 10 --no-shrink \
    ${API_FUZZ_SEED:+--seed "$API_FUZZ_SEED"} \
    --report json --report-json-path "$WORK/$role.json" \
    --no-color >"$WORK/$role.log" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - started ))
  summary=$("$PY/python" - "$WORK/$role.json" <<'PY' || echo "cases=? failures=? errors=?"
import json, sys
r = json.load(open(sys.argv[1]))
cases, ops = r["test_cases"], r["operations"]
print(f"operations={ops['tested']}/{ops['total']} cases={cases['generated']} "
      f"failures={cases['unique_failures']} errors={len(r['errors'])} seed={r['seed']}")
PY
)
  if ! kill -0 "$OFFICE_PID" 2>/dev/null; then
    echo "api-fuzz: the office died during the $role run" >&2
    rc=1
  fi
  result=ok
  [ "$rc" -eq 0 ] || { result=FAILED; status=1; }
  echo "api-fuzz: role=$role $summary seconds=$elapsed result=$result"
  if [ "$rc" -ne 0 ]; then
    sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,/^=* SUMMARY =*$/p' "$WORK/$role.log" | head -200 >&2
    echo "api-fuzz: the whole run is in $WORK/$role.log" >&2
  fi
done
if grep -q "panicked" "$WORK/office.log"; then
  grep -B2 -A2 "panicked" "$WORK/office.log" | head -40 >&2
  echo "api-fuzz: the office panicked (see $WORK/office.log)" >&2
  status=1
fi
exit "$status"
