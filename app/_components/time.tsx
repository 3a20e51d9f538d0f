"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useSyncExternalStore, type ComponentProps } from "react";
import { formatRelative, formatTime, parseTimeZoneMode, toEpochMs, tzParam, withTimeZone, type TimeInput, type TimeZoneMode } from "@/lib/time-format";

const noopSubscribe = () => () => {};

/**
 * False while the server renders and the browser hydrates, true after. The server cannot know the reader's zone, so
 * until then times are written in UTC (the same text on both sides) and switch to local right after hydration.
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noopSubscribe,
    () => true,
    () => false,
  );
}

/** The zone choice of the URL (`?tz=utc`, default local), as the page can show it now. */
export function useTimeZoneMode(): TimeZoneMode {
  const params = useSearchParams();
  const hydrated = useHydrated();
  const mode = parseTimeZoneMode(params.get(tzParam));
  return hydrated ? mode : "utc";
}

/** The zone the URL asks for (what links carry on), regardless of hydration. */
export function useRequestedTimeZoneMode(): TimeZoneMode {
  return parseTimeZoneMode(useSearchParams().get(tzParam));
}

// One shared clock for every relative age on the page, ticking while something shows one.
const tickMs = 5_000;
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | null = null;
function subscribeClock(fn: () => void) {
  listeners.add(fn);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, tickMs);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** Now, re-read every few seconds, for relative ages. */
export function useNow(): number {
  return useSyncExternalStore(
    subscribeClock,
    () => now,
    () => now,
  );
}

/**
 * A time in the page's one format: absolute (`2026-12-01 08:25:13 UTC`) or, with `relative`, an age ("3 min ago")
 * whose tooltip holds the absolute time. Always a `<time>` with a machine-readable `dateTime`.
 */
export function Time({ value, relative = false, millis = false, className }: { value: TimeInput; relative?: boolean; millis?: boolean; className?: string }) {
  const mode = useTimeZoneMode();
  const clock = useNow();
  const ms = toEpochMs(value);
  if (ms === null) return <span className={className}>—</span>;
  const absolute = formatTime(ms, mode, { millis });
  const text = relative ? formatRelative(ms, Math.max(clock, Date.now())) : absolute;
  return (
    <time className={className ? `time ${className}` : "time"} dateTime={new Date(ms).toISOString()} title={absolute} data-tz={mode} suppressHydrationWarning>
      {text}
    </time>
  );
}

/** A next/link that keeps the page's zone choice (`?tz=utc`) on in-app hrefs. */
export function AppLink({ href, ...rest }: Omit<ComponentProps<typeof Link>, "href"> & { href: string }) {
  const mode = useRequestedTimeZoneMode();
  return <Link href={withTimeZone(href, mode)} {...rest} />;
}

/** The hook form of AppLink, for hrefs built in code (router.push, window.open). */
export function useAppHref(): (href: string) => string {
  const mode = useRequestedTimeZoneMode();
  return (href) => withTimeZone(href, mode);
}

/** The UTC/local switch; writes `?tz=utc` (local is the default and leaves the URL). */
export function TimeZoneSwitch() {
  const requested = useRequestedTimeZoneMode();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const choose = (m: TimeZoneMode) => {
    const next = new URLSearchParams(params.toString());
    if (m === "utc") next.set(tzParam, "utc");
    else next.delete(tzParam);
    const qs = next.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };
  return (
    <span className="tz-switch" role="group" aria-label="Time zone">
      {(["local", "utc"] as const).map((m) => (
        <button key={m} type="button" className={requested === m ? "chip on" : "chip"} aria-pressed={requested === m} onClick={() => choose(m)}>
          {m === "utc" ? "UTC" : "local"}
        </button>
      ))}
    </span>
  );
}
