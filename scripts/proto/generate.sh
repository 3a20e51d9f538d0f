#!/usr/bin/env bash
# Regenerates lib/otlp/gen from the opentelemetry-proto definitions (pinned in scripts/proto/pom.xml).
# The generated code is committed; run this only to move to another opentelemetry-proto version.
set -euo pipefail
cd "$(dirname "$0")"
# target/ holds the unpack markers: without removing it a second run would skip unpacking into the emptied cache
rm -rf target ../../.cache/proto ../../lib/otlp/gen ../../lib/otlp/pbjs
mvn -B -q generate-sources
PATH="$PWD/../../node_modules/.bin:$PATH" buf generate ../../.cache/proto \
  --template buf.gen.yaml \
  --path ../../.cache/proto/opentelemetry/proto/collector/trace/v1/trace_service.proto \
  --path ../../.cache/proto/opentelemetry/proto/trace/v1/trace.proto \
  --path ../../.cache/proto/opentelemetry/proto/common/v1/common.proto \
  --path ../../.cache/proto/opentelemetry/proto/resource/v1/resource.proto
echo "generated $(find ../../lib/otlp/gen -name '*.ts' | wc -l) files in lib/otlp/gen"

# The binary decoder of the receiver's hot path: protobufjs static code (decode functions only), about twice as fast
# as @bufbuild/protobuf's reflection-based fromBinary on SDK exports (npm run bench:otlp-decode). 64-bit fields as
# Long, so nanosecond timestamps stay exact.
mkdir -p ../../lib/otlp/pbjs
../../node_modules/.bin/pbjs -t static-module -w commonjs --force-long --no-create --no-encode --no-verify --no-convert \
  --no-delimited --no-service --no-typeurl -p ../../.cache/proto -o ../../lib/otlp/pbjs/trace_service.js \
  ../../.cache/proto/opentelemetry/proto/collector/trace/v1/trace_service.proto
# protobufjs names the oneof member it has just decoded through the oneof's setter, which deletes every other member:
# for AnyValue, six slow runtime calls per attribute value even when none is set, a third of decoding time in a
# profile of bench:otlp-ingest. This setter deletes only a member that is set (one read earlier in the same value):
# the last member read still wins.
node -e '
const fs = require("fs"), f = process.argv[1], from = "set: $util.oneOfSetter($oneOfFields)";
const to = "set: (function (fields) { return function (name) { for (var i = 0; i < fields.length; ++i) if (fields[i] !== name && this[fields[i]] != null) delete this[fields[i]]; }; })($oneOfFields)";
const s = fs.readFileSync(f, "utf8");
if (!s.includes(from)) throw new Error("protobufjs no longer generates " + from + ": review this patch");
fs.writeFileSync(f, s.split(from).join(to));
' ../../lib/otlp/pbjs/trace_service.js
../../node_modules/.bin/pbts -o ../../lib/otlp/pbjs/trace_service.d.ts ../../lib/otlp/pbjs/trace_service.js
echo "generated lib/otlp/pbjs/trace_service.{js,d.ts}"
