/** Glob patterns for names (topics, groups, queues): `*` matches any run of characters, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

export function matchesAny(name: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(name));
}

/** Included when it matches an include pattern (or there are none) and no exclude pattern. */
export function selectNames(names: readonly string[], include: readonly string[], exclude: readonly string[]): string[] {
  return names.filter((n) => (include.length === 0 || matchesAny(n, include)) && !matchesAny(n, exclude));
}
