"use client";

import { useEffect, useLayoutEffect, useRef, type RefObject } from "react";

/**
 * Keeps the reader's place in a list that refreshes itself: the row at the top of the window (an element with
 * `data-anchor`) stays where it was on screen when rows are added above it or reordered, instead of the page jumping.
 * At the very top of the page nothing is held, so new rows show up where the reader is looking.
 */
export function useScrollAnchor(container: RefObject<HTMLElement | null>, version: unknown) {
  const anchor = useRef<{ key: string; top: number } | null>(null);

  useEffect(() => {
    const remember = () => {
      const el = container.current;
      if (!el || window.scrollY <= 0) {
        anchor.current = null;
        return;
      }
      const rows = el.querySelectorAll<HTMLElement>("[data-anchor]");
      for (const row of rows) {
        const r = row.getBoundingClientRect();
        if (r.bottom > 0) {
          anchor.current = { key: row.dataset.anchor!, top: r.top };
          return;
        }
      }
      anchor.current = null;
    };
    remember();
    window.addEventListener("scroll", remember, { passive: true });
    window.addEventListener("resize", remember);
    return () => {
      window.removeEventListener("scroll", remember);
      window.removeEventListener("resize", remember);
    };
  }, [container]);

  useLayoutEffect(() => {
    const a = anchor.current;
    const el = container.current;
    if (!a || !el) return;
    const row = [...el.querySelectorAll<HTMLElement>("[data-anchor]")].find((r) => r.dataset.anchor === a.key);
    if (!row) return;
    const delta = row.getBoundingClientRect().top - a.top;
    if (Math.abs(delta) >= 1) window.scrollBy({ top: delta, behavior: "instant" });
    anchor.current = { key: a.key, top: row.getBoundingClientRect().top };
  }, [version, container]);
}
