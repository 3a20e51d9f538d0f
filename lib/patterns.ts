/**
 * Glob patterns for names (topics, groups, queues): `*` matches any run of characters (a newline too: names may hold
 * one, and SQL LIKE's `%` matches it), `?` one character (one code point, so an emoji is one).
 */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "su");
}

export function matchesAny(name: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(name));
}

/** Included when it matches an include pattern (or there are none) and no exclude pattern. */
export function selectNames(names: readonly string[], include: readonly string[], exclude: readonly string[]): string[] {
  return names.filter((n) => (include.length === 0 || matchesAny(n, include)) && !matchesAny(n, exclude));
}

/** Whether a name filter is a glob (`shop.*`, `*.DLT`, `?nv.*`) rather than one exact name. */
export function isGlob(s: string): boolean {
  return /[*?]/.test(s);
}

/** Escapes LIKE's own wildcards and its escape character (`\`), so the text matches only itself. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A glob as a SQL LIKE pattern with the default escape character `\`: `*` → `%`, `?` → `_`, and a literal `%`, `_`
 * or `\` in the glob escaped, so `a_b*` matches `a_b.dlq` and not `axb.dlq`. Matches the whole name, like globToRegExp.
 */
export function globToLike(glob: string): string {
  return escapeLike(glob).replace(/[*?]/g, (c) => (c === "*" ? "%" : "_"));
}
