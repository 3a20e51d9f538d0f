import type { HttpMethod } from "./endpoint";

/**
 * Which methods a path of the API answers, from the contracts' path templates, resolved as Next.js routes them: at
 * each segment a fixed name wins over a `{param}` (`/dead-letters/discard` is the discard route, not dead letter
 * "discard"). Null when no template matches (the catch-all answers 404).
 */
export function allowedMethods(templates: readonly { path: string; method: HttpMethod }[], pathname: string): HttpMethod[] | null {
  const segs = pathname.split("/").filter(Boolean);
  let best: { score: string; path: string } | null = null;
  for (const { path } of templates) {
    const t = path.split("/").filter(Boolean);
    if (t.length !== segs.length) continue;
    let score = "";
    let ok = true;
    for (let i = 0; i < t.length && ok; i++) {
      if (/^\{\w+\}$/.test(t[i]!)) score += "0";
      else if (t[i] === segs[i]) score += "1";
      else ok = false;
    }
    if (ok && (!best || score > best.score)) best = { score, path };
  }
  if (!best) return null;
  const chosen = best.path;
  return [...new Set(templates.filter((t) => t.path === chosen).map((t) => t.method))];
}
