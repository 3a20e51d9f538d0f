"use client";

import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { clampNameColumn, moveSelection, nameColumn } from "@/lib/traces/waterfall";
import styles from "../traces.module.css";

const storageKey = "switchyard.traces.nameColumnPx";

function readStored(): string | null {
  try {
    return window.localStorage.getItem(storageKey);
  } catch {
    return null; // storage disabled: the default width
  }
}

/** The waterfall's name column width (px), kept in localStorage: a reader's preference, not part of a shared view. */
export function useNameColumnWidth(): [number, (px: number) => void] {
  const [width, setWidth] = useState<number>(nameColumn.defaultPx);
  useEffect(() => {
    // the server cannot know the stored width: read it once mounted (and when the window is resized)
    const apply = () => setWidth((w) => clampNameColumn(readStored() ?? w, window.innerWidth));
    apply();
    window.addEventListener("resize", apply);
    return () => window.removeEventListener("resize", apply);
  }, []);
  const set = useCallback((px: number) => {
    const w = clampNameColumn(px, window.innerWidth);
    setWidth(w);
    try {
      window.localStorage.setItem(storageKey, String(w));
    } catch {
      /* storage disabled: kept for this page only */
    }
  }, []);
  return [width, set];
}

/** The drag handle on the name column's edge: a window splitter (pointer drag, or arrow keys when focused). */
export function NameColumnHandle({ width, onChange }: { width: number; onChange: (px: number) => void }) {
  const drag = useRef<{ x: number; width: number } | null>(null);
  const [dragging, setDragging] = useState(false);
  return (
    <div
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the span name column"
      aria-valuenow={width}
      aria-valuemin={nameColumn.minPx}
      aria-valuemax={nameColumn.maxPx}
      tabIndex={0}
      className={styles.handle}
      data-testid="name-column-handle"
      data-dragging={dragging}
      onPointerDown={(e) => {
        e.preventDefault();
        e.currentTarget.setPointerCapture(e.pointerId);
        drag.current = { x: e.clientX, width };
        setDragging(true);
      }}
      onPointerMove={(e) => {
        if (drag.current) onChange(drag.current.width + (e.clientX - drag.current.x));
      }}
      onPointerUp={(e) => {
        drag.current = null;
        setDragging(false);
        if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
      }}
      onPointerCancel={() => {
        drag.current = null;
        setDragging(false);
      }}
      onDoubleClick={() => onChange(nameColumn.defaultPx)}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 64 : 16;
        if (e.key === "ArrowLeft") onChange(width - step);
        else if (e.key === "ArrowRight") onChange(width + step);
        else if (e.key === "Home") onChange(nameColumn.minPx);
        else if (e.key === "End") onChange(nameColumn.maxPx);
        else return;
        e.preventDefault();
      }}
    />
  );
}

/**
 * Keyboard access to the span rows (a roving tab stop): Tab reaches one row (the selected one, else the first),
 * arrow keys, Home, End and Page Up/Down move the focus, Enter or Space opens the focused span's details.
 */
export function useRowKeys(keys: string[], selected: string, container: RefObject<HTMLDivElement | null>, select: (key: string) => void) {
  const [focused, setFocused] = useState<string | null>(null);
  const focusedIdx = focused ? keys.indexOf(focused) : -1;
  const selectedIdx = keys.indexOf(selected);
  const tabStop = focusedIdx >= 0 ? focusedIdx : selectedIdx >= 0 ? selectedIdx : 0;
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>, index: number) => {
    if (e.target !== e.currentTarget) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      setFocused(keys[index]!);
      select(keys[index]!);
      return;
    }
    const next = moveSelection(index, e.key, keys.length);
    if (next === null) return;
    e.preventDefault();
    setFocused(keys[next]!);
    container.current?.querySelector<HTMLElement>(`[data-row-index="${next}"]`)?.focus();
  };
  return { tabStop, onKeyDown };
}
