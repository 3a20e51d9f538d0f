/**
 * Appends `value` to the list under `key`, making the list on first use. (Rebuilding the list with a spread on every
 * append, as `map.set(k, [...(map.get(k) ?? []), v])` does, copies it each time: quadratic in its length, which the
 * replay engine's batches of 2,000 and a broker's thousands of queues made visible in CPU profiles.)
 */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
