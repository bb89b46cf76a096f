/**
 * "Any resource" view: one entry per start instant, listing the resources
 * free at it in the caller's preference order (the booking code tries them in
 * that order).
 */
import type { AnyResourceSlot, Slot, SlotQuery } from './types.ts';
import { computeSlots } from './slots.ts';

/**
 * Groups slots by start. resourceIds follow `resourceOrder` (normally
 * query.resources order); ids missing from it come last, in code-unit order.
 * Output is sorted by start; each entry's end is its first slot's end.
 */
export function mergeAnyResource(slots: readonly Slot[], resourceOrder: readonly string[]): AnyResourceSlot[] {
  const rank = new Map<string, number>();
  resourceOrder.forEach((id, i) => {
    if (!rank.has(id)) rank.set(id, i);
  });
  const byStart = new Map<number, AnyResourceSlot>();
  for (const slot of slots) {
    const entry = byStart.get(slot.start);
    if (entry === undefined) {
      byStart.set(slot.start, { start: slot.start, end: slot.end, resourceIds: [slot.resourceId] });
    } else if (!entry.resourceIds.includes(slot.resourceId)) {
      entry.resourceIds.push(slot.resourceId);
    }
  }
  const byPreference = (a: string, b: string): number =>
    (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0);
  const merged = [...byStart.values()].sort((a, b) => a.start - b.start);
  for (const entry of merged) entry.resourceIds.sort(byPreference);
  return merged;
}

/** computeSlots merged across the query's resources, in their listed order. */
export function computeAnyResourceSlots(query: SlotQuery): AnyResourceSlot[] {
  return mergeAnyResource(
    computeSlots(query),
    query.resources.map((r) => r.resourceId),
  );
}
