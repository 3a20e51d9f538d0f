/**
 * One queue (or exchange) as a map key: its virtual host and name, and its broker when a map holds several. A name may
 * hold any character but U+0000 (`/` included: a vhost is often `/`), so the parts are joined by U+0000, which keeps
 * two different queues apart and lets a vhost's keys be found by prefix (`queueKeyPrefix`). A key for code, not for a
 * page: HTML cannot carry U+0000.
 */
export function queueKey(vhost: string, name: string): string {
  return `${vhost}\u0000${name}`;
}

/** The same, on one of several brokers. */
export function brokerQueueKey(broker: string, vhost: string, name: string): string {
  return `${broker}\u0000${queueKey(vhost, name)}`;
}

/** What every `queueKey` of this virtual host starts with. */
export function queueKeyPrefix(vhost: string): string {
  return `${vhost}\u0000`;
}
