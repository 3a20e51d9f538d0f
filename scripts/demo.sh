#!/usr/bin/env bash
# `npm run demo`: everything, on this machine, with real traffic. See scripts/demo.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-deps.sh
# the demo's supervisor, like every process it starts, stops itself when its parent is gone (scripts/lib/procs.ts)
preload="--import=$(node -p 'require("node:url").pathToFileURL(process.argv[1]).href' "$PWD/scripts/lib/exit-with-parent.mjs")"
case " ${NODE_OPTIONS:-} " in *" $preload "*) ;; *) export NODE_OPTIONS="${NODE_OPTIONS:-} $preload" ;; esac
exec node_modules/.bin/tsx scripts/demo.ts "$@"
