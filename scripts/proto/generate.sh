#!/usr/bin/env bash
# Regenerates lib/otlp/gen from the opentelemetry-proto definitions (pinned in scripts/proto/pom.xml).
# The generated code is committed; run this only to move to another opentelemetry-proto version.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf ../../.cache/proto ../../lib/otlp/gen
mvn -B -q generate-sources
PATH="$PWD/../../node_modules/.bin:$PATH" buf generate ../../.cache/proto \
  --template buf.gen.yaml \
  --path ../../.cache/proto/opentelemetry/proto/collector/trace/v1/trace_service.proto \
  --path ../../.cache/proto/opentelemetry/proto/trace/v1/trace.proto \
  --path ../../.cache/proto/opentelemetry/proto/common/v1/common.proto \
  --path ../../.cache/proto/opentelemetry/proto/resource/v1/resource.proto
echo "generated $(find ../../lib/otlp/gen -name '*.ts' | wc -l) files in lib/otlp/gen"
