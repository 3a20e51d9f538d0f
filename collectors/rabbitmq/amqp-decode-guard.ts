import { createRequire } from "node:module";
import path from "node:path";

/**
 * A field table amqplib cannot decode must not take the connection down. amqplib decodes message headers
 * recursively while it parses frames, before any consumer sees the message: a header nested ~9,000 levels deep (it
 * fits a 64 KiB frame) exceeds the stack, amqplib closes the connection, RabbitMQ requeues the message and the next
 * connection meets it again, so one message would halt the capture of every dead-letter queue on that connection
 * for ever. An unknown type tag does the same. `guardedAmqplib` is amqplib with its `decodeFields` wrapped so such a
 * table decodes to its raw bytes instead (`switchyard.undecodable-headers`, stored as base64 like every byte array)
 * and the reason (`switchyard.decode-error`).
 *
 * amqplib's frame and method decoders take `decodeFields` when they are first loaded. If amqplib is not loaded yet,
 * it is patched where it is, for everyone; if it is (another module of the process imported it first), the dead-letter
 * capture gets an instance of its own, loaded afresh after the patch, and the others keep theirs.
 */
type Amqplib = typeof import("amqplib");
type DecodeFields = ((slice: Buffer) => Record<string, unknown>) & { switchyardGuard?: true };

const req = typeof require === "function" ? require : createRequire(`${process.cwd()}/package.json`);

function patchCodec(): void {
  const codec = req("amqplib/lib/codec") as { decodeFields: DecodeFields };
  if (codec.decodeFields.switchyardGuard) return;
  const original = codec.decodeFields;
  const guarded: DecodeFields = (slice) => {
    try {
      return original(slice);
    } catch (e) {
      return {
        "switchyard.undecodable-headers": Buffer.from(slice),
        "switchyard.decode-error": e instanceof RangeError ? "nested too deep to decode" : e instanceof Error ? e.message : String(e),
      };
    }
  };
  guarded.switchyardGuard = true;
  codec.decodeFields = guarded;
}

function load(): Amqplib {
  const dir = path.dirname(req.resolve("amqplib/package.json")) + path.sep;
  const loaded = Object.keys(req.cache).filter((k) => k.startsWith(dir));
  if (loaded.length === 0) {
    patchCodec();
    return req("amqplib") as Amqplib;
  }
  // a private instance: take amqplib's modules out of the cache, load them again patched, then put the others back
  const saved = new Map(loaded.map((k) => [k, req.cache[k]]));
  for (const k of loaded) delete req.cache[k];
  try {
    patchCodec();
    return req("amqplib") as Amqplib;
  } finally {
    for (const k of Object.keys(req.cache)) if (k.startsWith(dir)) delete req.cache[k];
    for (const [k, m] of saved) req.cache[k] = m;
  }
}

export const guardedAmqplib: Amqplib = load();
