import { Temporal } from 'temporal-polyfill';

/**
 * A series' occurrences, expanded from its first start and its rule, pure:
 * the same wall-clock time in the resource's zone every N weeks, so across
 * a DST change 10:00 stays 10:00 local and the instant moves. The steps are
 * Temporal's calendar arithmetic on a PlainDateTime (`add({ weeks })`), each
 * then placed in the zone; never milliseconds added to an instant (a week
 * is not 7 × 24 h across a change).
 *
 * - A local time that does not exist on a date (inside a spring-forward
 *   gap) is an occurrence that cannot be booked, reported with reason
 *   `nonexistent_local_time`: never silently moved to another time.
 *   (rrule-temporal drops such dates without counting them, REFERENCE.md
 *   "Recurrence"; here the customer sees them.)
 * - A repeated local time (fall back) takes the earlier of its two instants.
 */
export interface Recurrence {
  frequency: 'weekly';
  /** Every `interval` weeks, 1 to MAX_INTERVAL_WEEKS. */
  interval: number;
  /** How many occurrences, the first included; or `until`. */
  count?: number | undefined;
  /** The last local date an occurrence may fall on (inclusive), in the resource's zone. */
  until?: string | undefined;
}

export const MAX_OCCURRENCES = 52;
export const MAX_INTERVAL_WEEKS = 12;

export interface Occurrence {
  /** 0 for the first. */
  index: number;
  /** The local date and wall time asked for, in the resource's zone. */
  localDate: string;
  localTime: string;
  /** Its instant (epoch ms), or null when that local time does not exist that day. */
  start: number | null;
}

export type ExpandResult = { ok: true; occurrences: Occurrence[] } | { ok: false; field: 'recurrence' | 'until' | 'count' | 'interval'; message: string };

/**
 * The occurrences of `rule` from `firstStart` in `zone`. `lastDate` (the
 * service's booking horizon, as a local date) caps an `until` rule; a
 * `count` rule runs its count, and what lies beyond the horizon is the
 * engine's to refuse (`beyond_horizon`), shown like any other reason.
 */
export function expandRecurrence(firstStart: number, zone: string, rule: Recurrence, lastDate?: string): ExpandResult {
  if (!Number.isInteger(rule.interval) || rule.interval < 1 || rule.interval > MAX_INTERVAL_WEEKS) {
    return { ok: false, field: 'interval', message: `Repeat every 1 to ${MAX_INTERVAL_WEEKS} weeks.` };
  }
  const hasCount = rule.count !== undefined && rule.count !== null;
  const hasUntil = rule.until !== undefined && rule.until !== null;
  if (hasCount === hasUntil) return { ok: false, field: 'recurrence', message: 'Give either a number of occurrences or an end date.' };
  if (hasCount && (!Number.isInteger(rule.count) || rule.count! < 2 || rule.count! > MAX_OCCURRENCES)) {
    return { ok: false, field: 'count', message: `A series has 2 to ${MAX_OCCURRENCES} occurrences.` };
  }
  const first = Temporal.Instant.fromEpochMilliseconds(firstStart).toZonedDateTimeISO(zone).toPlainDateTime();
  let until: Temporal.PlainDate | null = null;
  if (hasUntil) {
    try {
      until = Temporal.PlainDate.from(rule.until!, { overflow: 'reject' });
    } catch {
      return { ok: false, field: 'until', message: 'Give the end date as YYYY-MM-DD.' };
    }
    if (Temporal.PlainDate.compare(until, first.toPlainDate()) <= 0) return { ok: false, field: 'until', message: 'The end date must be after the first date.' };
    if (lastDate && Temporal.PlainDate.compare(until, Temporal.PlainDate.from(lastDate)) > 0) until = Temporal.PlainDate.from(lastDate);
  }
  const occurrences: Occurrence[] = [];
  for (let index = 0; occurrences.length < (hasCount ? rule.count! : MAX_OCCURRENCES); index++) {
    const wall = first.add({ weeks: index * rule.interval });
    if (until && Temporal.PlainDate.compare(wall.toPlainDate(), until) > 0) break;
    occurrences.push({ index, localDate: wall.toPlainDate().toString(), localTime: wall.toPlainTime().toString({ smallestUnit: 'minute' }), start: instantOf(wall, zone) });
  }
  if (occurrences.length < 2) return { ok: false, field: 'until', message: 'A series has at least 2 occurrences: choose a later end date.' };
  return { ok: true, occurrences };
}

/** The instant of a wall time in `zone`: the earlier of a repeated hour, null inside a gap. */
function instantOf(wall: Temporal.PlainDateTime, zone: string): number | null {
  const zoned = wall.toZonedDateTime(zone, { disambiguation: 'earlier' });
  // Inside a gap Temporal answers another wall time; that date has no such time.
  if (!zoned.toPlainDateTime().equals(wall)) return null;
  return zoned.epochMilliseconds;
}
