/**
 * `npm run bench:otlp-decode`: the receiver's CPU per span on the decode thread, stage by stage, on SDK-serialized
 * exports of 512 spans (bench/span-gen.ts): protobuf decoding with protobufjs's generated decoder (used) and with
 * @bufbuild/protobuf's `fromBinary` (which the OTLP/JSON path and the responses use), flattening, and COPY text.
 * Single-threaded, nothing else running in the process; BENCH_DECODE_ORDERS (default 25,000 orders = 200,000 spans),
 * seven passes, the median pass counts.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { exportBodies, spansPerOrder } from "./span-gen";
import { decodeProtobufRequest } from "../lib/otlp/decode";
import { ExportTraceServiceRequestSchema } from "../lib/otlp/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { flattenRequest } from "../lib/otlp/spans";
import { spanCopy } from "../db/queries/spans";

const orders = Number(process.env.BENCH_DECODE_ORDERS ?? 25_000);
const now = Date.now();
const bodies = [...exportBodies(orders, 512, now - 3600_000, now)].map((b) => new Uint8Array(b));
const spans = orders * spansPerOrder;
console.log(`${spans} spans in ${bodies.length} SDK-serialized exports, ${(bodies.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(0)} MB`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const us = (ms: number) => `${((ms * 1000) / spans).toFixed(2)} µs/span`;

function passes(name: string, each: (body: Uint8Array) => unknown) {
  const times: number[] = [];
  for (let p = 0; p < 7; p++) {
    const t = performance.now();
    for (const b of bodies) each(b);
    times.push(performance.now() - t);
  }
  console.log(`${name}: ${us(median(times))}`);
}

// alternated, twice each: the first passes also warm the JIT and size the heap
for (let round = 1; round <= 2; round++) {
  passes(`decode, @bufbuild/protobuf fromBinary (round ${round})`, (b) => fromBinary(ExportTraceServiceRequestSchema, b));
  passes(`decode, protobufjs generated decoder, used (round ${round})`, (b) => decodeProtobufRequest(b));
}

// the receiver's whole task, timed stage by stage
const stages = { decode: [] as number[], flatten: [] as number[], copy: [] as number[] };
for (let p = 0; p < 7; p++) {
  let d = 0;
  let f = 0;
  let c = 0;
  for (const b of bodies) {
    const t0 = performance.now();
    const request = decodeProtobufRequest(b);
    const t1 = performance.now();
    const flat = flattenRequest(request);
    const t2 = performance.now();
    spanCopy(flat.spans);
    const t3 = performance.now();
    d += t1 - t0;
    f += t2 - t1;
    c += t3 - t2;
  }
  stages.decode.push(d);
  stages.flatten.push(f);
  stages.copy.push(c);
}
const [d, f, c] = [median(stages.decode), median(stages.flatten), median(stages.copy)];
console.log(`decode + flatten + COPY text (the decode thread's task): ${us(d)} + ${us(f)} + ${us(c)} = ${us(d + f + c)}`);
