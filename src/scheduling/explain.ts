/**
 * explainSlot: re-checks ONE requested start for one resource (the booking
 * service calls it under a lock). It evaluates only the start's local date,
 * through the same rule functions as computeSlots, so
 * ok ⇔ the slot is in computeSlots' output for any range containing it.
 */
import {
  earliestStart,
  horizonCap,
  isBlocked,
  isDayFull,
  isGridStart,
  lastBookableDay,
  prepareResource,
  windowIntervalsOn,
} from './rules.ts';
import { localDayOf } from './zoneclock.ts';
import { assertServiceRules } from './validation.ts';
import type { RejectReason, SlotExplanation, SlotQuery } from './types.ts';

/**
 * Reasons are checked in this order: unknown_resource, past, min_notice,
 * beyond_horizon, closed, off_grid, max_per_day, busy. `query.range` is ignored.
 */
export function explainSlot(query: SlotQuery, resourceId: string, start: number): SlotExplanation {
  assertServiceRules(query.service);
  const { service, now } = query;
  const resource = query.resources.find((r) => r.resourceId === resourceId);
  if (resource === undefined) return reject('unknown_resource');
  if (!(start >= now)) return reject('past');
  if (start < earliestStart(service, now)) return reject('min_notice');
  if (start >= horizonCap(service, now)) return reject('beyond_horizon');
  const ctx = prepareResource(query, resource, start);
  const day = localDayOf(ctx.clock, start);
  if (day > lastBookableDay(ctx, service)) return reject('beyond_horizon');
  const windows = windowIntervalsOn(ctx, day);
  if (windows === null) return reject('closed');
  if (!windows.some((w) => isGridStart(w, service, start))) return reject('off_grid');
  if (isDayFull(ctx, service, day)) return reject('max_per_day');
  if (isBlocked(ctx, service, start)) return reject('busy');
  return { ok: true };
}

function reject(reason: RejectReason): SlotExplanation {
  return { ok: false, reason };
}
