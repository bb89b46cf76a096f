/**
 * Wall clock ↔ instant in one IANA zone over a bounded stretch of time.
 *
 * Temporal is consulted once per stretch to list the zone's offset
 * transitions. Local days that a transition touches ("transition days") have
 * every boundary converted by Temporal with the disambiguation rules below;
 * on all other days the offset is constant, so wall → instant is a subtraction.
 *
 * Boundary rules (CONTEXT.md, rule 1):
 * - a wall time in a spring-forward gap maps to the transition instant;
 * - a repeated wall time maps to its earlier instant as a window start and to
 *   its later instant as a window end;
 * - minute 1440 ('24:00') is the start of the next local day.
 */
import { Temporal } from 'temporal-polyfill';
import { DAY_MS, MINUTE_MS, MINUTES_PER_DAY, formatISODate, type EpochDay } from './calendar.ts';

/** Instants [from, to) during which the zone's UTC offset is offsetMs. */
interface OffsetSpan {
  from: number;
  to: number;
  offsetMs: number;
}

export interface ZoneClock {
  readonly zone: string;
  /** Instants this clock is exact for: [coverFrom, coverTo). */
  readonly coverFrom: number;
  readonly coverTo: number;
  readonly spans: readonly OffsetSpan[];
  readonly transitionDays: ReadonlySet<EpochDay>;
}

/** Which end of a window a wall time is: decides how repeated times resolve. */
export type WindowEdge = 'start' | 'end';

/** Lists the zone's transitions in [coverFrom, coverTo). Throws RangeError on an unknown zone. */
export function buildZoneClock(zone: string, coverFrom: number, coverTo: number): ZoneClock {
  // Temporal only takes whole milliseconds; flooring keeps coverFrom a lower bound.
  let cursor = Temporal.Instant.fromEpochMilliseconds(Math.floor(coverFrom)).toZonedDateTimeISO(zone);
  let offsetMs = cursor.offsetNanoseconds / 1e6;
  let spanFrom = -Infinity;
  const spans: OffsetSpan[] = [];
  const transitionDays = new Set<EpochDay>();
  for (;;) {
    const next = cursor.getTimeZoneTransition('next');
    if (next === null || next.epochMilliseconds >= coverTo) break;
    const at = next.epochMilliseconds;
    const offsetAfterMs = next.offsetNanoseconds / 1e6;
    spans.push({ from: spanFrom, to: at, offsetMs });
    markTransitionDays(transitionDays, at, offsetMs, offsetAfterMs);
    spanFrom = at;
    offsetMs = offsetAfterMs;
    cursor = next;
  }
  spans.push({ from: spanFrom, to: Infinity, offsetMs });
  return { zone, coverFrom, coverTo, spans, transitionDays };
}

/**
 * A transition at `at` makes the wall times between at+before and at+after
 * ambiguous or missing. Every local day whose closed wall range [00:00, 24:00]
 * touches them is a transition day (24:00 of a day is 00:00 of the next).
 */
function markTransitionDays(days: Set<EpochDay>, at: number, beforeMs: number, afterMs: number): void {
  const lo = at + Math.min(beforeMs, afterMs);
  const hi = at + Math.max(beforeMs, afterMs);
  for (let day = Math.floor((lo - 1) / DAY_MS); day <= Math.floor(hi / DAY_MS); day++) days.add(day);
}

export function covers(clock: ZoneClock, instant: number): boolean {
  return instant >= clock.coverFrom && instant < clock.coverTo;
}

/** UTC offset at an instant inside the covered stretch. */
export function offsetAt(clock: ZoneClock, instant: number): number {
  for (const span of clock.spans) {
    if (instant < span.to) return span.offsetMs;
  }
  throw new Error('unreachable: the last span is open-ended');
}

/** The local calendar day of an instant inside the covered stretch. */
export function localDayOf(clock: ZoneClock, instant: number): EpochDay {
  return Math.floor((instant + offsetAt(clock, instant)) / DAY_MS);
}

/** Instant of local `day` at `minuteOfDay` (0..1440) as the given window edge. */
export function wallToInstant(clock: ZoneClock, day: EpochDay, minuteOfDay: number, edge: WindowEdge): number {
  if (!clock.transitionDays.has(day)) {
    const wall = (day * MINUTES_PER_DAY + minuteOfDay) * MINUTE_MS;
    for (const span of clock.spans) {
      const instant = wall - span.offsetMs;
      if (instant >= span.from && instant < span.to) return instant;
    }
  }
  return temporalWallToInstant(clock.zone, day, minuteOfDay, edge);
}

/** The slow, authoritative path: Temporal with explicit disambiguation. */
export function temporalWallToInstant(zone: string, day: EpochDay, minuteOfDay: number, edge: WindowEdge): number {
  const date = Temporal.PlainDate.from(formatISODate(day));
  if (minuteOfDay === MINUTES_PER_DAY) return startOfDayInstant(zone, date.add({ days: 1 }));
  const wall = date.toPlainDateTime(new Temporal.PlainTime(Math.floor(minuteOfDay / 60), minuteOfDay % 60));
  const disambiguation = edge === 'start' ? 'earlier' : 'later';
  const zoned = wall.toZonedDateTime(zone, { disambiguation });
  if (Temporal.PlainDateTime.compare(zoned.toPlainDateTime(), wall) === 0) return zoned.epochMilliseconds;
  // The wall time does not exist (spring-forward gap): 'earlier' lands just
  // before the gap, so the next transition is the first instant after it.
  const beforeGap = wall.toZonedDateTime(zone, { disambiguation: 'earlier' });
  const transition = beforeGap.getTimeZoneTransition('next');
  if (transition === null) throw new Error(`No transition after a gap in ${zone}`);
  return transition.epochMilliseconds;
}

/**
 * First instant of a local date. Temporal's PlainDate.toZonedDateTime(zone)
 * uses start-of-day semantics: a midnight inside a gap yields the transition
 * instant, a repeated midnight yields its earlier occurrence.
 */
export function startOfDayInstant(zone: string, date: Temporal.PlainDate): number {
  return date.toZonedDateTime(zone).epochMilliseconds;
}
