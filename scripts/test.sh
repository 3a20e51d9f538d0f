#!/usr/bin/env bash
# `npm test`: unit tests, integration tests against the real servers, and Playwright e2e against the built app.
# Tests use their own database (switchyard_test) and ports, so a running `npm run demo` is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
export NEXT_TELEMETRY_DISABLED=1 KAFKAJS_NO_PARTITIONER_WARNING=1
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/switchyard_test}"
export NEXT_DIST_DIR=.next-test
bin=node_modules/.bin
reports=.cache/test-reports
rm -rf "$reports" && mkdir -p "$reports"
step() { printf '\n== %s\n' "$*"; }

step "typecheck"
$bin/tsc --noEmit -p .
step "layering (dependency-cruiser: a violation fails the run, naming its rule)"
$bin/depcruise --config .dependency-cruiser.cjs app lib db collectors demo scripts bench
step "unit tests"
$bin/vitest run --project unit --reporter=default --reporter=json --outputFile.json="$reports/unit.json"
step "infrastructure (Kafka, RabbitMQ, Postgres)"
$bin/tsx scripts/infra.ts
$bin/tsx db/migrate-cli.ts
step "integration tests against the real servers"
$bin/vitest run --project integration --reporter=default --reporter=json --outputFile.json="$reports/integration.json"
step "dashboard build ($NEXT_DIST_DIR)"
$bin/next build
step "end-to-end tests in Chromium (on the test database made afresh: no earlier run's rows)"
$bin/tsx db/migrate-cli.ts --fresh-test-db
PLAYWRIGHT_JSON_OUTPUT_NAME="$reports/e2e.json" $bin/playwright test --reporter=list,json

$bin/tsx scripts/test-summary.ts "$reports/unit.json" "$reports/integration.json" "$reports/e2e.json"
