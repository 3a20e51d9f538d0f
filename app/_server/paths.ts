/**
 * What proxy.ts tells the pages about a request (no imports: the proxy loads this file too, and must not load the
 * server context or the database client).
 */

/** The request's path as the browser sent it (still percent-encoded): the error pages link back to its section. */
export const pathHeader = "x-switchyard-path";
/** Set when proxy.ts rewrites a malformed URL to /bad-request: why it was refused ("encoding" or "nul"). */
export const badRequestHeader = "x-switchyard-bad-request";

/** The list page a path belongs to, for the link back from an error page. */
export function sectionOf(pathname: string): { href: string; label: string } {
  const sections: Record<string, { href: string; label: string }> = {
    kafka: { href: "/kafka", label: "all consumer groups" },
    rabbitmq: { href: "/rabbitmq", label: "all queues" },
    "dead-letters": { href: "/dead-letters", label: "all dead letters" },
    traces: { href: "/traces", label: "search traces" },
  };
  return sections[pathname.split("/")[1] ?? ""] ?? { href: "/", label: "all systems" };
}
