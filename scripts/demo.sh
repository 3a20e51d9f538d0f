#!/usr/bin/env bash
# `npm run demo`: everything, on this machine, with real traffic. See scripts/demo.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
exec node_modules/.bin/tsx scripts/demo.ts "$@"
