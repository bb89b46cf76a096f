/**
 * Half-open intervals [start, end) of epoch ms, and a sorted index answering
 * "does [a, b) overlap anything busy?" in O(log n). Touching is not overlapping.
 */
import type { Interval } from './types.ts';

/** Disjoint, sorted, non-touching blocks (merged from the inputs). */
export interface BlockIndex {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Sorts once and merges overlapping or touching intervals; empty ones
 * (end <= start) block nothing and are dropped. Merging touching blocks keeps
 * the answer unchanged: [a,b) overlaps [x,y)∪[y,z) iff it overlaps [x,z).
 */
export function buildBlockIndex(intervals: readonly Interval[]): BlockIndex {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const { start, end } of sorted) {
    const last = ends.length - 1;
    const lastEnd = ends[last];
    if (lastEnd !== undefined && start <= lastEnd) {
      if (end > lastEnd) ends[last] = end;
    } else {
      starts.push(start);
      ends.push(end);
    }
  }
  return { starts, ends };
}

/** True when [start, end) overlaps some block. */
export function overlapsBlock(index: BlockIndex, start: number, end: number): boolean {
  // First block whose end is after `start`; only it can overlap, since the
  // blocks before it end at or before `start` and later ones start after it.
  let lo = 0;
  let hi = index.ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((index.ends[mid] ?? Infinity) > start) hi = mid;
    else lo = mid + 1;
  }
  const blockStart = index.starts[lo];
  return blockStart !== undefined && blockStart < end;
}
