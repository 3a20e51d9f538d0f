/**
 * Another consumer in Switchyard's dead-letter group (a second installation on the same cluster with the default
 * group, a demo left running) takes some of the topics' partitions, and their records go to its database, not this
 * one. Members seen for less than `afterMs` are left out: a collectors process killed a moment ago stays a member
 * until its session times out (10 s) and gives its partitions back then. Pure: `firstSeen` is kept by the caller.
 */
export function foreignMembers(
  members: { memberId: string; clientId: string; clientHost: string }[],
  own: string | null,
  firstSeen: Map<string, number>,
  now: number,
  afterMs: number,
): { clientId: string; clientHost: string }[] {
  const others = members.filter((m) => m.memberId !== own);
  for (const id of [...firstSeen.keys()]) if (!others.some((m) => m.memberId === id)) firstSeen.delete(id);
  for (const m of others) if (!firstSeen.has(m.memberId)) firstSeen.set(m.memberId, now);
  return others.filter((m) => now - firstSeen.get(m.memberId)! >= afterMs).map((m) => ({ clientId: m.clientId, clientHost: m.clientHost }));
}
