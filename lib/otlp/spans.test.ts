import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExportTraceServiceRequestSchema } from "./gen/opentelemetry/proto/collector/trace/v1/trace_service_pb";
import { decodeJsonRequest, decodeProtobufRequest } from "./decode";
import { attributesToJs, flattenRequest } from "./spans";
import { sanitizeRecords } from "./sanitize";

const tid = "5b8efff798038103d269b633813fc60c";
const sid = "eee19b7ec3c1b174";

type JsonAttr = { key: string; value: Record<string, unknown> };
const jsonExport = (attributes: JsonAttr[], span: Record<string, unknown> = {}, resource: JsonAttr[] = [{ key: "service.name", value: { stringValue: "svc" } }]) =>
  JSON.stringify({
    resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ spans: [{ traceId: tid, spanId: sid, name: "op", kind: 1, startTimeUnixNano: "1700000000000000000", attributes, ...span }] }] }],
  });
const one = (text: string) => flattenRequest(decodeJsonRequest(text)).spans[0]!;

describe("attribute keys that name Object.prototype members", () => {
  const keys = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

  it("stores __proto__, constructor, toString and the like as ordinary attributes, in spans, resources, events and links", () => {
    const attrs = keys.map((k, i) => ({ key: k, value: { stringValue: `v${i}` } }));
    const s = one(
      jsonExport(attrs, { events: [{ name: "e", timeUnixNano: "1", attributes: attrs }], links: [{ traceId: tid, spanId: sid, attributes: attrs }] }, [
        { key: "service.name", value: { stringValue: "svc" } },
        ...attrs,
      ]),
    );
    const expected = Object.fromEntries(keys.map((k, i) => [k, `v${i}`]));
    for (const o of [s.attributes, s.resourceAttributes, s.events[0]!.attributes, s.links[0]!.attributes]) {
      expect(Object.keys(o)).toEqual(expect.arrayContaining(keys));
      for (const k of keys) expect(Object.getOwnPropertyDescriptor(o, k)?.value).toBe(expected[k]);
    }
    // and they are in the JSON that is stored
    const text = JSON.stringify(s.attributes);
    for (const k of keys) expect(text).toContain(`"${k}":"v${keys.indexOf(k)}"`);
  });

  it("never takes a kvlist under __proto__ as the prototype: messaging fields are not lifted from it", () => {
    const s = one(
      jsonExport([
        {
          key: "__proto__",
          value: { kvlistValue: { values: [{ key: "messaging.system", value: { stringValue: "kafka" } }, { key: "messaging.destination.name", value: { stringValue: "stolen" } }] } },
        },
      ]),
    );
    expect(Object.getPrototypeOf(s.attributes)).toBe(Object.prototype);
    expect(s.messagingSystem).toBeNull();
    expect(s.messagingDestination).toBeNull();
    expect(Object.getOwnPropertyDescriptor(s.attributes, "__proto__")?.value).toEqual({ "messaging.system": "kafka", "messaging.destination.name": "stolen" });
    expect(JSON.parse(JSON.stringify(s.attributes))).toEqual(JSON.parse('{"__proto__":{"messaging.system":"kafka","messaging.destination.name":"stolen"}}'));
  });

  it("keeps __proto__ in a protobuf export's attributes, and the last of a key sent twice", () => {
    const v = (x: string) => ({ value: { case: "stringValue", value: x } }) as never;
    const body = toBinary(
      ExportTraceServiceRequestSchema,
      create(ExportTraceServiceRequestSchema, {
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(tid, "hex"), spanId: Buffer.from(sid, "hex"), name: "op", attributes: [{ key: "__proto__", value: v("a") }, { key: "__proto__", value: v("b") }] }] }] }],
      }),
    );
    const s = flattenRequest(decodeProtobufRequest(body)).spans[0]!;
    expect(Object.getOwnPropertyDescriptor(s.attributes, "__proto__")?.value).toBe("b");
    expect(attributesToJs([{ key: "constructor", value: { stringValue: "c" } }])).toEqual(JSON.parse('{"constructor":"c"}'));
  });

  it("keeps __proto__ an own attribute when its value is sanitised", () => {
    const s = one(jsonExport([{ key: "__proto__", value: { stringValue: "a\u0000b" } }]));
    expect(sanitizeRecords([s])).toBe(1);
    expect(Object.getPrototypeOf(s.attributes)).toBe(Object.prototype);
    expect(JSON.stringify(s.attributes)).toBe('{"__proto__":"a\uFFFDb","switchyard.sanitized":true}');
  });
});

describe("OTLP/JSON objects keyed __proto__", () => {
  it("are an unknown field like any other, not the prototype of the request, whose fields would then be read from it", () => {
    const inner = JSON.parse(jsonExport([{ key: "k", value: { stringValue: "v" } }]));
    // a request whose only field is "__proto__": nothing in it is a span
    const text = `{"__proto__": ${JSON.stringify(inner)}}`;
    expect(flattenRequest(decodeJsonRequest(text)).spans).toEqual([]);
    // nested too: a span object keyed __proto__ inside a scope is not taken for the scope's spans
    const nested = `{"resourceSpans":[{"scopeSpans":[{"__proto__":{"spans":[{"traceId":"${tid}","spanId":"${sid}","name":"op"}]}}]}]}`;
    expect(flattenRequest(decodeJsonRequest(nested)).spans).toEqual([]);
  });
});

describe("the stored messaging destination of a RabbitMQ consumer span is the queue it read", () => {
  const rabbit = (name: string, attributes: Record<string, string>, kind = 5) =>
    one(jsonExport(Object.entries({ "messaging.system": "rabbitmq", ...attributes }).map(([key, value]) => ({ key, value: { stringValue: value } })), { name, kind }));

  it("as @opentelemetry/instrumentation-amqplib writes it: the exchange in messaging.destination, the queue in the span name", () => {
    const s = rabbit("shop.payments.requests process", { "messaging.destination": "shop.payments", "messaging.rabbitmq.routing_key": "payment.requested" });
    expect(s.messagingDestination).toBe("shop.payments.requests");
    // the exchange stays in the attributes
    expect(s.attributes["messaging.destination"]).toBe("shop.payments");
  });

  it("from current semantic conventions (exchange:routing key:queue) and a queue attribute", () => {
    expect(rabbit("x", { "messaging.destination.name": "shop.payments:payment.requested:shop.payments.requests" }).messagingDestination).toBe("shop.payments.requests");
    expect(rabbit("x", { "messaging.rabbitmq.queue": "q2", "messaging.destination": "ex" }).messagingDestination).toBe("q2");
  });

  it("a RabbitMQ producer keeps the exchange, a Kafka consumer the topic", () => {
    expect(rabbit("shop.payments publish", { "messaging.destination": "shop.payments" }, 4).messagingDestination).toBe("shop.payments");
    const kafka = one(jsonExport([{ key: "messaging.system", value: { stringValue: "kafka" } }, { key: "messaging.destination", value: { stringValue: "shop.orders" } }], { name: "x process", kind: 5 }));
    expect(kafka.messagingDestination).toBe("shop.orders");
  });
});
