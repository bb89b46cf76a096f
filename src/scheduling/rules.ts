/**
 * The booking rules shared by computeSlots and explainSlot, so the two cannot
 * disagree: per-resource preparation, day-level rules (closed, maxPerDay) and
 * candidate-level rules (notice, grid, buffers vs busy).
 */
import { DAY_MS, MINUTE_MS, type EpochDay } from './calendar.ts';
import { buildDayPlanner, windowsOn, type DayPlanner } from './availability.ts';
import { buildBlockIndex, overlapsBlock, type BlockIndex } from './intervals.ts';
import { buildZoneClock, covers, localDayOf, wallToInstant, type ZoneClock } from './zoneclock.ts';
import type { Interval, ResourceSchedule, ServiceRules, SlotQuery } from './types.ts';

/** Margin around the instants of interest so the zone clock covers their local days. */
const COVER_MARGIN_MS = 2 * DAY_MS;

export interface ResourceContext {
  readonly resource: ResourceSchedule;
  readonly clock: ZoneClock;
  readonly planner: DayPlanner;
  readonly blocks: BlockIndex;
  /** Bookings per local day of their start; empty when maxPerDay is null. */
  readonly bookingsPerDay: ReadonlyMap<EpochDay, number>;
  readonly nowDay: EpochDay;
}

/** Earliest allowed start: never before now, nor before now + minNotice. */
export function earliestStart(service: ServiceRules, now: number): number {
  return Math.max(now, now + service.minNoticeMin * MINUTE_MS);
}

/**
 * An instant after which no start can be within the horizon in any zone
 * (its local date is at least nowDay + horizonDays + 1).
 */
export function horizonCap(service: ServiceRules, now: number): number {
  return now + (service.horizonDays + 2) * DAY_MS;
}

/** Prepares one resource for instants in [query.now, lastInstant]. */
export function prepareResource(query: SlotQuery, resource: ResourceSchedule, lastInstant: number): ResourceContext {
  const clock = buildZoneClock(resource.timeZone, query.now - COVER_MARGIN_MS, lastInstant + COVER_MARGIN_MS);
  const blocks = buildBlockIndex([...resource.bookings.map((b) => b.blocked), ...resource.busy]);
  const bookingsPerDay = new Map<EpochDay, number>();
  if (query.service.maxPerDay !== null) {
    for (const booking of resource.bookings) {
      // Bookings outside the covered stretch fall on days no candidate can have.
      if (!covers(clock, booking.start)) continue;
      const day = localDayOf(clock, booking.start);
      bookingsPerDay.set(day, (bookingsPerDay.get(day) ?? 0) + 1);
    }
  }
  const planner = buildDayPlanner(resource, query.holidays);
  return { resource, clock, planner, blocks, bookingsPerDay, nowDay: localDayOf(clock, query.now) };
}

export function lastBookableDay(ctx: ResourceContext, service: ServiceRules): EpochDay {
  return ctx.nowDay + service.horizonDays;
}

export function isDayFull(ctx: ResourceContext, service: ServiceRules, day: EpochDay): boolean {
  return service.maxPerDay !== null && (ctx.bookingsPerDay.get(day) ?? 0) >= service.maxPerDay;
}

/**
 * The day's windows as instants, in wall-clock order; null when closed.
 * Windows that collapse to nothing (wholly inside a gap) are kept as empty.
 */
export function windowIntervalsOn(ctx: Pick<ResourceContext, 'clock' | 'planner'>, day: EpochDay): Interval[] | null {
  const windows = windowsOn(ctx.planner, day);
  if (windows === null) return null;
  return windows.map((w) => ({
    start: wallToInstant(ctx.clock, day, w.start, 'start'),
    end: wallToInstant(ctx.clock, day, w.end, 'end'),
  }));
}

/** Is t a grid start of the window whose appointment fits whole inside it? */
export function isGridStart(window: Interval, service: ServiceRules, t: number): boolean {
  const offset = t - window.start;
  return offset >= 0 && offset % (service.intervalMin * MINUTE_MS) === 0 && t + service.durationMin * MINUTE_MS <= window.end;
}

/**
 * What an appointment of `service` starting at `t` blocks: [t - buffer
 * before, t + duration + buffer after). The one place it is computed: the
 * engine checks it, and the booking service stores it for the exclusion
 * constraint.
 */
export function blockedRange(service: Pick<ServiceRules, 'durationMin' | 'bufferBeforeMin' | 'bufferAfterMin'>, t: number): Interval {
  return { start: t - service.bufferBeforeMin * MINUTE_MS, end: t + (service.durationMin + service.bufferAfterMin) * MINUTE_MS };
}

/** Does the candidate's blocked range hit a booking or busy block? */
export function isBlocked(ctx: ResourceContext, service: ServiceRules, t: number): boolean {
  const { start, end } = blockedRange(service, t);
  return overlapsBlock(ctx.blocks, start, end);
}
