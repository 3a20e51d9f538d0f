import "../otel";
import { loadKnobs, sleep } from "../knobs";
import { lifecycle, runService } from "../service";

/** Posts orders to the order service at DEMO_RATE per second; a share carries the failure knobs. */
const knobs = loadKnobs();
const skus = ["kettle", "teapot", "mug", "grinder", "filter"];
let posted = 0;

function nextOrder() {
  const r = Math.random();
  const fail = r < knobs.DEMO_KAFKA_POISON_RATE ? "inventory" : r < knobs.DEMO_KAFKA_POISON_RATE + knobs.DEMO_DECLINE_RATE ? "payment-declined" : undefined;
  const qty = 1 + Math.floor(Math.random() * 3);
  return {
    customer: `cust-${Math.floor(Math.random() * 500)}`,
    sku: skus[Math.floor(Math.random() * skus.length)]!,
    qty,
    amountCents: qty * 1999,
    ...(fail ? { fail } : {}),
  };
}

async function main() {
  const url = `http://127.0.0.1:${knobs.DEMO_ORDER_PORT}/orders`;
  if (knobs.DEMO_RATE === 0) {
    console.log("traffic: DEMO_RATE=0, not posting orders");
    return;
  }
  const gap = 1000 / knobs.DEMO_RATE;
  console.log(`traffic: posting ${knobs.DEMO_RATE} orders/s to ${url}`);
  while (!lifecycle.stopping) {
    const started = Date.now();
    try {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(nextOrder()) });
      if (res.status !== 202) console.log(`traffic: order service answered ${res.status}`);
      else if (++posted % 100 === 0) console.log(`traffic: ${posted} orders posted`);
    } catch (e) {
      console.log(`traffic: order service unreachable (${(e as Error).message}), retrying`);
      await sleep(1000);
    }
    await sleep(Math.max(0, gap - (Date.now() - started)));
  }
}

runService("traffic", main);
