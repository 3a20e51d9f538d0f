#!/usr/bin/env bash
# `npm run demo`: everything, on this machine, with real traffic. See scripts/demo.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
# the demo's supervisor, like every process it starts, stops itself when its parent is gone (scripts/lib/procs.ts
# adds the same preload to its children's NODE_OPTIONS unless it is there already, as it is then)
export NODE_OPTIONS="${NODE_OPTIONS:-} --import=$(node -p 'require("node:url").pathToFileURL(process.argv[1]).href' "$PWD/scripts/lib/exit-with-parent.mjs")"
exec node_modules/.bin/tsx scripts/demo.ts "$@"
