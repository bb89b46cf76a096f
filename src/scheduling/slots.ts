/**
 * computeSlots: every bookable (start, resource) in a range. Temporal is only
 * used per resource (transitions) and per window boundary on transition days;
 * the inner loop steps and compares plain numbers.
 */
import { MINUTE_MS, type EpochDay } from './calendar.ts';
import {
  earliestStart,
  horizonCap,
  isBlocked,
  isDayFull,
  lastBookableDay,
  prepareResource,
  windowIntervalsOn,
  type ResourceContext,
} from './rules.ts';
import { localDayOf } from './zoneclock.ts';
import { assertServiceRules } from './validation.ts';
import type { Interval, ResourceSchedule, Slot, SlotQuery } from './types.ts';

/** Slots sorted by (start, resourceId), without duplicates. Throws RangeError on malformed input. */
export function computeSlots(query: SlotQuery): Slot[] {
  assertServiceRules(query.service);
  // Clip the range to what the notice and horizon rules can ever allow.
  const from = Math.max(query.range.start, earliestStart(query.service, query.now));
  const to = Math.min(query.range.end, horizonCap(query.service, query.now));
  if (!(from < to)) return [];
  const out: Slot[] = [];
  for (const resource of query.resources) collectResourceSlots(query, resource, { start: from, end: to }, out);
  return sortUnique(out);
}

function collectResourceSlots(query: SlotQuery, resource: ResourceSchedule, span: Interval, out: Slot[]): void {
  const ctx = prepareResource(query, resource, span.end);
  // A window of local day D lies within [start of D, start of D+1], so the
  // starts in `span` come from the local days of its two ends.
  const firstDay = localDayOf(ctx.clock, span.start);
  const lastDay = Math.min(lastBookableDay(ctx, query.service), localDayOf(ctx.clock, span.end - 1));
  for (let day = firstDay; day <= lastDay; day++) collectDaySlots(ctx, query, day, span, out);
}

function collectDaySlots(ctx: ResourceContext, query: SlotQuery, day: EpochDay, span: Interval, out: Slot[]): void {
  if (isDayFull(ctx, query.service, day)) return;
  const windows = windowIntervalsOn(ctx, day);
  if (windows === null) return;
  const step = query.service.intervalMin * MINUTE_MS;
  const duration = query.service.durationMin * MINUTE_MS;
  const resourceId = ctx.resource.resourceId;
  for (const window of windows) {
    // Jump straight to the first grid start at or after span.start.
    const skip = window.start < span.start ? Math.ceil((span.start - window.start) / step) : 0;
    for (let t = window.start + skip * step; t + duration <= window.end && t < span.end; t += step) {
      if (!isBlocked(ctx, query.service, t)) out.push({ start: t, end: t + duration, resourceId });
    }
  }
}

/** Sorts by (start, resourceId) using code-unit order, and drops repeats. */
function sortUnique(slots: Slot[]): Slot[] {
  slots.sort((a, b) => a.start - b.start || (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0));
  return slots.filter((s, i) => {
    const prev = slots[i - 1];
    return prev === undefined || prev.start !== s.start || prev.resourceId !== s.resourceId;
  });
}
