/** Queue figures derived from what the management API reports (pure). */
export interface QueueRates {
  publishRate: number | null;
  deliverRate: number | null;
  ackRate: number | null;
}

/**
 * Seconds until the queue's ready messages are drained at the current rates; null when it is not draining.
 * Draining speed is what consumers take (acks, or deliveries for auto-ack consumers) minus what is published.
 */
export function drainEtaSeconds(ready: number, r: QueueRates): number | null {
  if (ready === 0) return 0;
  const out = Math.max(r.ackRate ?? 0, r.deliverRate ?? 0);
  const net = out - (r.publishRate ?? 0);
  return net > 0 ? ready / net : null;
}

/** Depth growth in messages per second between two samples. */
export function growthRate(a: { ready: number; timeMs: number }, b: { ready: number; timeMs: number }): number | null {
  if (b.timeMs <= a.timeMs) return null;
  return (b.ready - a.ready) / ((b.timeMs - a.timeMs) / 1000);
}
