/** Where to go after signing in: a path of this dashboard only (never `//host`, a scheme, or a backslash trick). */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || next.length > 2000 || !next.startsWith("/") || next.startsWith("//") || /[\\\u0000-\u001f]/.test(next)) return "/";
  if (next === "/sign-in" || next.startsWith("/sign-in?")) return "/";
  return next;
}
