"use client";

import { usePathname } from "next/navigation";
import { Identity } from "./me";
import { SearchBox } from "./search-box";
import { AppLink, TimeZoneSwitch } from "./time";

const links: [href: string, label: string][] = [
  ["/", "Systems"],
  ["/kafka", "Consumer lag"],
  ["/rabbitmq", "Queues"],
  ["/dead-letters", "Dead letters"],
  ["/replays", "Replays"],
  ["/flows", "Event flows"],
  ["/workflows", "Workflows"],
  ["/analysis", "Analysis"],
  ["/traces", "Traces"],
  ["/alerts", "Alerts"],
  ["/audit", "Audit"],
];

/** Whether `pathname` is the page of `href` or one below it (`/kafka/local/g` is under Consumer lag). */
export function isCurrent(href: string, pathname: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

/** The site navigation: marks the current page (aria-current), keeps the zone choice on every link. */
export function Nav() {
  const pathname = usePathname() ?? "/";
  return (
    <>
      <AppLink href="/" className="brand">
        Switchyard
      </AppLink>
      <nav className="nav" aria-label="Main">
        {links.map(([href, label]) => (
          <AppLink key={href} href={href} aria-current={isCurrent(href, pathname) ? "page" : undefined}>
            {label}
          </AppLink>
        ))}
      </nav>
      <SearchBox />
      <TimeZoneSwitch />
      <Identity />
    </>
  );
}

/** What the server sends before the navigation hydrates (same links, nothing marked). */
export function NavFallback() {
  return (
    <>
      <a href="/" className="brand">
        Switchyard
      </a>
      <nav className="nav" aria-label="Main">
        {links.map(([href, label]) => (
          <a key={href} href={href}>
            {label}
          </a>
        ))}
      </nav>
    </>
  );
}
