import ipaddr from "ipaddr.js";

/** An address range: `10.0.0.0/8`, `::1/128`; a bare address is its own range. */
export type Cidr = { text: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] };

export function parseCidrList(raw: string): { ranges: Cidr[]; invalid: string[] } {
  const ranges: Cidr[] = [];
  const invalid: string[] = [];
  for (const text of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    try {
      const range = text.includes("/") ? ipaddr.parseCIDR(text) : ((a) => [a, a.kind() === "ipv4" ? 32 : 128] as [typeof a, number])(ipaddr.parse(text));
      ranges.push({ text, range });
    } catch {
      invalid.push(text);
    }
  }
  return { ranges, invalid };
}

/** Whether an address (as a socket reports it: `::ffff:127.0.0.1` for IPv4 over IPv6) is in one of the ranges. */
export function addressIn(address: string | undefined | null, ranges: readonly Cidr[]): boolean {
  if (!address || !ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address); // IPv4-mapped IPv6 → IPv4
  return ranges.some(({ range }) => {
    const [net] = range;
    if (parsed.kind() === net.kind()) return parsed.match(range);
    // an IPv4 range also matches the same address written as IPv4-mapped IPv6, and the reverse
    if (parsed.kind() === "ipv4" && net.kind() === "ipv6") return (parsed as ipaddr.IPv4).toIPv4MappedAddress().match(range);
    return false;
  });
}
